"""Publish an OS message storm with held messages (WTORs) in it, on the orchestrator's commands.

The storm response benchmark needs to know when each held message was created, to time its reply; the storm
around it is what the source must not let delay it. Commands on stdin, one per line:

- ``held ID``: send one held message with reply id ID now; reports {"event": "held", "reply_id", "t"}.
  With --console, hmcsim's history gets it too, under the number its notification carries, as a console that
  sends its notifications through the broker keeps it (what the source's held_lookahead finds there).
- ``storm RATE SECONDS ID:OFFSET ...``: RATE routine messages per second for SECONDS (0: none, the baseline),
  with the held message ID sent OFFSET seconds after the start; reports each held message as above and then
  {"event": "storm", "sent", "seconds"}.
- ``quit``.

Held messages look as z/OS shows them on a console: ``*10 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.``
with is-held true, so the demo's reply table answers them.
"""

import sys
import time

from bench_lib import emit
from publisher import Publisher, publisher_parser, wait_until
from zos_load import texts

from hmcsim.testing import ControlClient

HELD_TEXT = "*{id:02d} IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."


class StormPublisher(Publisher):
    def __init__(self, args):
        super().__init__(args)
        self.console = ControlClient(args.console) if args.console else None

    def held(self, reply_id: int) -> None:
        created = time.time()
        text = HELD_TEXT.format(id=reply_id)
        if self.console:
            self.console.os_renumber(self.args.name, self.os_seq)
            self.console.os_message(self.args.name, text, held=True, reply_id=str(reply_id))
        self.sock.sendall(self.encode(text, held=True))
        emit(event="held", reply_id=reply_id, t=created)

    def storm(self, rate: float, seconds: float, held: list[tuple[int, float]]) -> None:
        """Routine messages on a fixed schedule (late sends catch up), held ones at their offsets."""
        bodies = texts(20_000)
        pending = sorted(held, key=lambda item: item[1])
        count = int(rate * seconds)
        start = time.monotonic() + 0.01
        sent = index = 0
        while index < count or pending:
            due_routine = start + index / rate if index < count else float("inf")
            due_held = start + pending[0][1] if pending else float("inf")
            wait_until(min(due_routine, due_held))
            if due_held <= due_routine:
                self.held(pending.pop(0)[0])
            else:
                self.sock.sendall(self.encode(bodies[index % len(bodies)]))
                index += 1
                sent += 1
        emit(event="storm", sent=sent, seconds=time.monotonic() - start)


def main() -> None:
    parser = publisher_parser(__doc__.splitlines()[0], object_uri=None)
    parser.add_argument("--console", help="hmcsim's control URL: its history gets the held messages too")
    args = parser.parse_args()
    pub = StormPublisher(args)
    emit(event="connected")
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "held":
            pub.held(int(words[1]))
        elif words[0] == "storm":
            held = [(int(item.split(":")[0]), float(item.split(":")[1])) for item in words[3:]]
            pub.storm(float(words[1]), float(words[2]), held)
        elif words[0] == "quit":
            break
    pub.close()


if __name__ == "__main__":
    main()
