"""Follow what a source process (source_driver.py --mode soak) delivers: OS messages, synthetic events, RSS.

One thread consumes the child's report lines so that benchmarks can ask "when did events flow again after
t0" while the log keeps growing, and can check exactly-once delivery per resource and sequence number.
"""

import threading
import time

from bench_lib import Child


class EventLog:
    def __init__(self, child: Child):
        self.child = child
        self.os: list[tuple[str, int, float]] = []
        self.synthetic: list[tuple[str, float, dict]] = []
        self.rss: list[tuple[float, float]] = []
        self.threads: list[tuple[float, int]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            line = self.child.lines.get()
            if line is None:
                return
            kind = line.get("event")
            with self._lock:
                if kind == "os":
                    self.os.append((line["uri"], line["seq"], line["t"]))
                elif kind == "source-event":
                    self.synthetic.append((line["type"], line["t"], line.get("detail") or {}))
                elif kind == "rss":
                    self.rss.append((line["t"], line["rss_mb"]))
                    if line.get("threads") is not None:
                        self.threads.append((line["t"], line["threads"]))
                elif kind == "error":
                    self.errors.append(line.get("message", ""))

    def _wait(self, find, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = find()
            if found is not None:
                return found
            if self.errors:
                raise RuntimeError(f"source failed: {self.errors[-1]}")
            time.sleep(0.005)
        raise TimeoutError(f"{what} not seen within {timeout} s; log: {self.child.log_tail()}")

    def first_os_after(self, t0: float, timeout: float = 60) -> float:
        """Arrival time of the first OS message event after t0."""
        def find():
            first = None
            for _, _, t in reversed(self.os):  # arrival order: walk back to the last one before t0
                if t <= t0:
                    break
                first = t
            return first
        return self._wait(find, timeout, "an OS message event")

    def first_synthetic_after(self, kind: str, t0: float, timeout: float = 60) -> tuple[float, dict]:
        def find():
            return next(((t, d) for k, t, d in self.synthetic if k == kind and t > t0), None)
        return self._wait(find, timeout, f"a {kind} event")

    def exactly_once(self) -> tuple[int, int, int]:
        """(delivered, lost, duplicated) OS messages, from the sequence numbers per resource.

        Lost = numbers missing between the first and the last number seen for a resource; hmcsim numbers each
        resource's messages consecutively, so any gap is a message the source did not deliver.
        """
        with self._lock:
            items = list(self.os)
        seen: dict[str, set] = {}
        duplicates = 0
        for uri, seq, _ in items:
            numbers = seen.setdefault(uri, set())
            if seq in numbers:
                duplicates += 1
            numbers.add(seq)
        lost = sum((max(n) - min(n) + 1) - len(n) for n in seen.values() if n)
        return len(items), lost, duplicates
