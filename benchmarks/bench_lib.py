"""Shared helpers of the benchmarks: machine facts, tables, percentiles, child processes and RSS.

Every benchmark runs its actors (broker, publisher, receivers, simulator, source) as separate processes so
that one actor's GIL and garbage collector never distort another's figures, and so that the RSS of the source
is its own. Processes talk to the orchestrator through line-oriented JSON on stdout: simple to debug by hand.
"""

import argparse
import contextlib
import json
import os
import platform
import queue
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
WORK_DIR = REPO_ROOT / ".tmp" / "bench"
# The .venv python runs the orchestrator; the reference receiver needs its own (it pins an older stomp.py).
PYTHON = sys.executable
ZHMCCLIENT_PYTHON = os.environ.get("ZHMCCLIENT_PYTHON", str(REPO_ROOT / ".venv-zhmcclient" / "bin" / "python"))


def machine() -> dict:
    """What the figures were measured on: they mean nothing without it."""
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "kernel": platform.release(), "load_1m": round(load[0], 2)}


def machine_line() -> str:
    facts = machine()
    return (f"machine: nproc={facts['nproc']}, CPU {facts['cpu']}, Python {facts['python']}, "
            f"kernel {facts['kernel']}, load(1m) at start {facts['load_1m']}")


def percentile(sorted_values: list, fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (no numpy needed in the venv)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub markdown table, so that the printed output can be pasted into the README as is."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio_rounds(rounds: int, kinds: tuple[str, str], measure, ratio) -> tuple[list[list[str]], float]:
    """Rate two receivers in ``rounds`` rounds, alternating which goes first so that neither always meets a warm
    (or a tired) machine; the ratio is taken within a round. ``measure(kind, number)`` gives a rate,
    ``ratio(rates)`` the round's ratio from {kind: rate}. Returns table rows (round, the two rates in the order of
    ``kinds``, ratio; then the median row) and the median ratio."""
    rows, ratios = [], []
    for number in range(rounds):
        order = kinds if number % 2 == 0 else kinds[::-1]
        rates = {kind: measure(kind, number) for kind in order}
        ratios.append(ratio(rates))
        rows.append([str(number + 1), *(f"{rates[kind]:,.0f}" for kind in kinds), f"{ratios[-1]:.2f}"])
    median = statistics.median(ratios)
    rows.append(["median", "", "", f"{median:.2f}"])
    return rows, median


def end_rulebook(proc: subprocess.Popen, reader: threading.Thread, log) -> None:
    """Stop an ansible-rulebook a benchmark started (SIGTERM, 20 s grace, then SIGKILL), then the thread that
    read its output and the log that thread wrote."""
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    reader.join(5)
    log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def receiver_parser(description: str) -> argparse.ArgumentParser:
    """The options every baseline receiver takes (broker, CA, topic, N, arrival-times file, idle timeout), so
    that the rig starts them all alike."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--times")
    parser.add_argument("--idle-timeout", type=float, default=15)
    return parser


def thread_cpu() -> dict:
    """CPU seconds of each thread of this process by thread name (Linux /proc), to see which thread is the
    bottleneck of a receiver."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict = {}
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/stat") as handle:
                stat = handle.read()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            label = "main" if int(task) == os.getpid() else f"{name}/{task}"
            out[label] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def per_thread(first: dict, last: dict, count: int) -> dict:
    """CPU µs per message of each thread between two thread_cpu() samples."""
    return {name: round(1e6 * (seconds - first.get(name, 0.0)) / max(1, count))
            for name, seconds in last.items() if seconds - first.get(name, 0.0) > 0}


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (fields[0] is the state, fields[1] the parent), None
    when the process is gone. The name is cut off at its last parenthesis: it may hold spaces and parentheses."""
    with contextlib.suppress(OSError, IndexError), open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()
    return None


def descendants(pid: int) -> list[int]:
    """Every live process below pid (the source's receiver processes), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of pid and its descendants: the source's memory includes its receiver processes."""
    total = rss_mb(pid)
    for child in descendants(pid):
        with contextlib.suppress(OSError):
            total += rss_mb(child)
    return total


def tree_cpu() -> float:
    """CPU seconds of this process and its live descendants (its receiver processes work for it)."""
    total = time.process_time()
    for child in descendants(os.getpid()):
        total += _cpu_seconds(child)
    return total


def family_cpu(pid: int) -> float:
    """CPU seconds of pid, of the children it waited for (ended playbooks) and of its live descendants."""
    return _cpu_seconds(pid, waited=True) + sum(_cpu_seconds(child) for child in descendants(pid))


def machine_busy() -> float:
    """CPU seconds all cores were busy since boot (/proc/stat: everything but idle and iowait)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int, waited: bool = False) -> float:
    fields = _stat(pid)
    if fields is None:
        return 0.0
    used = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if waited else 0)
    return used / os.sysconf("SC_CLK_TCK")


def parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return None if fields is None else int(fields[1])


def started_at(pid: int) -> float | None:
    """When a process started (epoch seconds, to the kernel's clock tick), None when it is gone. The boot time
    comes from /proc/uptime read now, not /proc/stat's btime, which is whole seconds (up to 1 s off)."""
    fields = _stat(pid)
    if fields is None:
        return None
    with open("/proc/uptime") as uptime:
        boot = time.time() - float(uptime.read().split()[0])
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB (from /proc, so no psutil is needed in child venvs)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def emit(**fields) -> None:
    """A child's report line to the orchestrator."""
    print(json.dumps(fields), flush=True)


class Child:
    """A child process whose stdout JSON lines are read by a thread, so the orchestrator never blocks on it.

    Lines that are not JSON (library chatter) go to the log file together with stderr.
    """

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict | None = None, stdin: bool = False):
        self.name = name
        self.argv = argv
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._log.write("$ " + shlex.join(argv) + "\n")
        self._log.flush()
        self.lines: queue.Queue = queue.Queue()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            stripped = line.strip()
            if stripped.startswith("{"):
                with contextlib.suppress(ValueError):
                    self.lines.put(json.loads(stripped))
                    continue
            self._log.write(line)
            self._log.flush()
        self.lines.put(None)

    def expect(self, event: str, timeout: float) -> dict:
        """Wait for the report line whose "event" is event; raise with the log tail when it does not come."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no '{event}' within {timeout}s; log: {self.log_tail()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before '{event}'; log: {self.log_tail()}")
            if line.get("event") == event:
                return line
            if line.get("event") == "error":
                raise RuntimeError(f"{self.name}: {line.get('message')}; log: {self.log_tail()}")

    def gather(self, kind: str, until: str, timeout: float) -> tuple[list[dict], dict]:
        """All report lines of event kind that arrive before the line of event until (which is returned too)."""
        found = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no '{until}' within {timeout}s; log: {self.log_tail()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before '{until}'; log: {self.log_tail()}")
            if line.get("event") == kind:
                found.append(line)
            elif line.get("event") == until:
                return found, line

    def drain(self, kind: str) -> list[dict]:
        """The report lines of event kind that are already there, without waiting."""
        found = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return found
            if line is not None and line.get("event") == kind:
                found.append(line)

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text()[-chars:]

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(2)
        self._log.close()


def fresh_dir(name: str) -> Path:
    path = WORK_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path


class Tally:
    """Counts the data messages a receiver got, tells the first probe apart, keeps arrival times on request.

    Used identically by every receiver under test, so its small cost is the same for each of them.
    """

    PROBE_PREFIX = "BENCH001I"

    def __init__(self, expected: int, keep_times: bool = False):
        import array

        self.expected = expected
        self.count = 0
        self.probes = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu_first = self.cpu_last = 0.0
        self.threads_first = self.threads_last = {}
        self.done = threading.Event()
        self.probe_seen = threading.Event()
        self.keep_times = keep_times
        self.gseqs = array.array("q")
        self.times = array.array("d")

    def message(self, text: str, gseq) -> None:
        """One received OS message (probe or data); the CPU time of the whole process is sampled at the
        first and last data message, which is steadier than wall time on a busy machine."""
        now = time.time()
        if text.startswith(self.PROBE_PREFIX):
            self.probes += 1
            if not self.probe_seen.is_set():
                self.probe_seen.set()
                emit(event="probe")
            return
        if self.count == 0:
            self.first = now
            self.cpu_first = tree_cpu()
            self.threads_first = thread_cpu()
        self.count += 1
        self.last = now
        if self.count >= self.expected:
            self.cpu_last = tree_cpu()
            self.threads_last = thread_cpu()
        if self.keep_times:
            self.gseqs.append(int(gseq))
            self.times.append(now)
        if self.count >= self.expected:
            self.done.set()

    def wait_and_report(self, idle_timeout: float, times_file: str | None, **extra) -> None:
        """Block until all expected messages came or none came for idle_timeout seconds; then report.

        Callable values in extra are called at report time (counters that keep changing until then)."""
        seen = -1
        while not self.done.wait(idle_timeout):
            if self.count == seen:
                break
            seen = self.count
        if times_file:
            with open(times_file, "wb") as handle:
                self.gseqs.tofile(handle)
                self.times.tofile(handle)
        span = self.last - self.first
        cpu = (self.cpu_last or tree_cpu()) - self.cpu_first
        emit(event="done", count=self.count, expected=self.expected, first=self.first, last=self.last,
             rate=(self.count - 1) / span if span > 0 else 0.0, rss_mb=tree_rss_mb(os.getpid()),
             cpu_us_per_msg=1e6 * cpu / max(1, self.count - 1),
             thread_cpu_us_per_msg=per_thread(self.threads_first, self.threads_last, self.count - 1),
             **{key: value() if callable(value) else value for key, value in extra.items()})


def read_times(path: Path) -> tuple[list[int], list[float]]:
    """Read what Tally.wait_and_report wrote: n int64 sequence numbers, then n float64 times."""
    import array

    data = path.read_bytes()
    n = len(data) // 16
    gseqs, times = array.array("q"), array.array("d")
    gseqs.frombytes(data[:n * 8])
    times.frombytes(data[n * 8:])
    return list(gseqs), list(times)
