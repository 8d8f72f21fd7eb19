"""Two hmcsim consoles that manage the same CPC (127.0.0.1 and 127.0.0.2): the soak's console failover.

On a real installation the SE reports each OS message to every console that manages the CPC, numbered by the
partition (see docs/source.md). Two hmcsim instances cannot number a storm alike (each generates its own), so
the model here is: storms go to the console in use; one-shot OS messages and status changes go to every console
that is up, as tests/integration/test_failover.py writes them. A failover first lets the console in use go quiet
(its storms end on schedule) and the source catch up, then gives each partition on the standby console the next
sequence number the console in use would have given, and kills the console in use (SIGKILL, no goodbye). What is
written from then on goes to the new console only, so what the source did not see while it moved must come back
by recovery from the other console. The killed console comes back later, fresh, as the standby of the next one.
"""

import socket
import time

from rig import Rig

HOSTS = ("127.0.0.1", "127.0.0.2")


def shared_port(taken: tuple[int, ...] = ()) -> int:
    """A port free on both loopback addresses: the source has one port per kind for all its consoles."""
    for _attempt in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind((HOSTS[0], 0))
            port = first.getsockname()[1]
            try:
                second.bind((HOSTS[1], port))
            except OSError:
                continue
        if port not in taken:
            return port
    raise RuntimeError(f"no port free on both {HOSTS[0]} and {HOSTS[1]}")


class Consoles:
    def __init__(self, rig: Rig, scenario: str, **opts):
        self.rig, self.scenario, self.opts = rig, scenario, opts
        self.ws_port = shared_port()
        self.stomp_port = shared_port((self.ws_port,))
        self.started = 0
        self.statuses: dict[str, str] = {}
        self.sims = {host: self._start(host) for host in HOSTS}
        self.active = HOSTS[0]
        self.down: str | None = None

    @property
    def hmc_hosts(self) -> list[str]:
        return [f"{host}:{self.ws_port}" for host in HOSTS]

    @property
    def in_use(self):
        return self.sims[self.active]

    def _start(self, host: str):
        self.started += 1
        sim = self.rig.start_sim(self.scenario, name=f"hmcsim-{self.started}-{host}", host=host,
                                 port=self.ws_port, stomp_port=self.stomp_port, **self.opts)
        for resource, status in self.statuses.items():
            sim.control.set_status(resource, status)
        return sim

    def os_message(self, resource: str, text: str, **fields) -> None:
        for sim in self.sims.values():
            sim.control.os_message(resource, text, **fields)

    def set_status(self, resource: str, status: str) -> None:
        self.statuses[resource] = status
        for sim in self.sims.values():
            sim.control.set_status(resource, status)

    def fail_over(self, caught_up, timeout: float = 90) -> bool:
        """Kill the console in use once it is quiet; False if the source had not caught up by timeout."""
        deadline = time.monotonic() + timeout
        counts, ready = None, False
        while time.monotonic() < deadline:
            now = {r["name"]: r["os-messages"] for r in self.in_use.control.resources() if r["name"]}
            if now == counts and caught_up(self.in_use):
                ready = True
                break
            counts = now
            time.sleep(1.5)
        standby = next(sim for host, sim in self.sims.items() if host != self.active)
        for resource, number in counts.items():
            standby.control.os_renumber(resource, number)
        gone = self.sims.pop(self.active)
        gone.process.kill()
        gone.process.wait()
        self.rig.stop_sim(gone)
        self.down, self.active = self.active, next(host for host in self.sims)
        return ready

    def bring_back(self) -> None:
        self.sims[self.down] = self._start(self.down)
        self.down = None

    def sessions(self) -> int:
        """Console sessions open on the consoles that are up (a killed console takes its sessions with it)."""
        return sum(len(sim.control.sessions()) for sim in self.sims.values())
