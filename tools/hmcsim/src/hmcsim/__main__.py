"""Allows ``python -m hmcsim`` so tests can start the simulator with the interpreter they run under."""

from hmcsim.cli import main

raise SystemExit(main())
