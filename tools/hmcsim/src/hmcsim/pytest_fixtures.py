"""pytest fixtures for running hmcsim; conftest files import them so every test folder shares one definition."""

import pytest

from hmcsim.testing import SimProcess


@pytest.fixture
def hmcsim_factory(tmp_path):
    """Start simulators: ``hmcsim_factory(scenario="demo", latency_ms=5)``; all are stopped after the test."""
    started = []

    def start(scenario: str = "minimal", **opts) -> SimProcess:
        sim = SimProcess(scenario, tmp_path / f"hmcsim{len(started)}", **opts).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def hmcsim(hmcsim_factory) -> SimProcess:
    """A running simulator with the minimal scenario (see tools/hmcsim/README.md)."""
    return hmcsim_factory()
