"""Benchmark 7, storm response: how long a held message (WTOR) waits for its reply while the system prints a storm.

ansible-rulebook runs the shipped held message responder (held_message_responder.yml from the collection
tarball, built and installed with ansible-galaxy as a user installs it) with the demo's reply table, against
hmcsim's WS API. Ten held messages (``*nn IEF238D PAYROLL ...``) are created during each 30 s storm of routine OS
messages, 3 s apart; the figure is the time from a held message's creation to its reply (``R nn,CANCEL``)
arriving at the console, where hmcsim records it with its own clock. Two transports:

- activemq: a publisher writes the storm and the held messages into ActiveMQ over TLS (creation = the moment
  it sends the held message); the source reads the broker and hmcsim serves the WS API (logon, channel,
  the reply) and keeps the held messages in its history, as the console that sent them would;
- hmcsim: hmcsim makes the storm itself (its storm control) and the held messages (its os-message control:
  creation = the moment the orchestrator asks for it) and sends them over its own STOMP/TLS.

Before the cases, one unrecorded storm (12 s at the highest rate, 3 held messages) warms the broker and the engine.
Baseline, in the same run with the same rulebook process: the same ten held messages without a storm. Target:
at every rate, the slowest reply within 1.5x the baseline's slowest. Beside it, per case, the time from each held
message's creation to the start of its reply playbook: what the source's way takes, apart from the playbook's run.
"""

import contextlib
import shutil
import sys
import threading
import time
from pathlib import Path

import yaml
from bench_lib import (
    BENCH_DIR,
    PYTHON,
    REPO_ROOT,
    descendants,
    family_cpu,
    machine_busy,
    parent_of,
    percentile,
    started_at,
    table,
)
from rig import Rig

sys.path.insert(0, str(REPO_ROOT / "tools"))

import demo_support as ds

HELD = 10
SPACING = 3.0
FIRST_OFFSET = 1.5
TARGET = 1.5
SUBSCRIPTIONS = [{"cpc": "CPC1", "partitions": ["PART1"]}]
WARM_UP_SECONDS = 12.0
WARM_UP_HELD = 3
HELD_TEXT = "IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."
COLUMNS = ["transport", "storm msgs/s", "achieved msgs/s", "answered", "p50 s", "min s", "p100 s",
           f"target ({TARGET}x baseline p100)", "met", "to playbook p50 / p100 s", "cores: responder / rest"]


def demo_replies() -> list:
    """The reply table of the demo (vars/demo.yml), as the issue asks."""
    demo = yaml.safe_load((REPO_ROOT / "extensions/eda/rulebooks/vars/demo.yml").read_text())
    return demo["held_message_replies"]


class Responder:
    """ansible-rulebook running the installed held_message_responder.yml against one hmcsim."""

    def __init__(self, rig: Rig, collections: Path, sim, stomp_port: int, label: str, overrides: dict):
        self.sim = sim
        work = rig.dir / label
        # A fresh state file: the responder would rightly refuse to answer what a previous run's claims name
        # (same console, partition URI, sequence number and reply id in a new hmcsim).
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        values = {**ds.sim_connection(sim, work / "state"), "stomp_port": stomp_port, "hmc_systems": SUBSCRIPTIONS,
                  "held_message_replies": demo_replies()}
        values["hmc_ca_certs"] = rig.certs["ca"]
        values.update(overrides)
        (work / "vars.yml").write_text(yaml.safe_dump(values))
        self.log = open(work / "ansible-rulebook.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = ds.start_rulebook(ds.installed_rulebook(collections, "held_message_responder.yml"),
                                         ds.write_inventory(work), work / "vars.yml", collections, cwd=work)
        self.reader = ds.OutputReader(lambda kind, text: None, raw=self.log)
        self.pump = self.reader.pump(self.process.stdout)

    def replies(self) -> dict[str, float]:
        """Reply id -> time the console received its first reply command."""
        found = {}
        for command in self.sim.control.os_commands():
            text = command["text"]
            if text.startswith("R ") and text.endswith(",CANCEL"):
                found.setdefault(text[2:].split(",")[0], command["time"])
        return found

    def wait_replies(self, ids: list[str], timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.replies()
            if all(i in got for i in ids) or time.monotonic() > deadline:
                return {i: got[i] for i in ids if i in got}
            if self.process.poll() is not None:
                raise RuntimeError(f"ansible-rulebook exited with {self.process.returncode}")
            time.sleep(0.1)

    def stop(self) -> None:
        ds.stop_rulebook(self.process)
        self.pump.join(5)
        self.log.close()


class PlaybookStarts:
    """When each reply playbook (an ansible-playbook below ansible-rulebook, not one of its task forks) started:
    splits a held message's wait into the way to the rules engine's action and the playbook's own run time.
    The kernel keeps each process's start time, so a scan every half second misses none (a playbook lives for
    seconds) and costs the machine next to nothing."""

    INTERVAL = 0.5

    def __init__(self, responder_pid: int):
        self._pid = responder_pid
        self._starts: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._scan, daemon=True)
        self._thread.start()

    def _scan(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            below = descendants(self._pid)
            playbooks = {pid for pid in below if _is_playbook(pid)}
            for pid in playbooks:
                if pid not in self._starts and parent_of(pid) not in playbooks:
                    started = started_at(pid)
                    if started is not None:
                        self._starts[pid] = started

    def stop(self) -> list[float]:
        """The start times seen, in order."""
        self._stop.set()
        self._thread.join()
        return sorted(self._starts.values())


def _is_playbook(pid: int) -> bool:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as handle:
        return any(part.endswith(b"ansible-playbook") for part in handle.read().split(b"\0")[:2])
    return False


class BrokerStorm:
    """Storm and held messages written into ActiveMQ by storm_publisher.py."""

    def __init__(self, rig: Rig, sim):
        channel = rig.new_channel(sim, timeout=180)
        self.publisher = rig.child("storm-pub", [
            PYTHON, str(BENCH_DIR / "storm_publisher.py"), "--port", str(rig.broker.stomp_ssl_port), "--ca",
            rig.certs["ca"], "--topic", channel["topic-name"], "--object-uri", channel["object-uri"],
            "--console", sim.control.base_url], stdin=True)
        self.publisher.expect("connected", 60)

    def held_now(self, reply_id: int) -> float:
        self.publisher.send(f"held {reply_id}")
        return self.publisher.expect("held", 30)["t"]

    def storm(self, rate: int, seconds: float, held: list[tuple[int, float]]) -> tuple[dict[str, float], float]:
        self.publisher.send(f"storm {rate} {seconds} " + " ".join(f"{i}:{o}" for i, o in held))
        lines, report = self.publisher.gather("held", "storm", seconds * 4 + 120)
        achieved = report["sent"] / report["seconds"] if rate else 0.0
        return {f"{line['reply_id']:02d}": line["t"] for line in lines}, achieved


class SimStorm:
    """Storm and held messages made by hmcsim itself and sent over its own STOMP."""

    def __init__(self, sim):
        self.sim = sim

    def held_now(self, reply_id: int) -> tuple[float, int]:
        created = time.time()
        number = self.sim.control.os_message("PART1", HELD_TEXT, held=True, reply_id=str(reply_id))["sequence-number"]
        return created, number

    def storm(self, rate: int, seconds: float, held: list[tuple[int, float]]) -> tuple[dict[str, float], float]:
        start = time.monotonic()
        if rate:
            self.sim.control.storm("PART1", rate, seconds)
        created, numbers = {}, []
        for reply_id, offset in held:
            delay = start + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            created[f"{reply_id:02d}"], number = self.held_now(reply_id)
            numbers.append((created[f"{reply_id:02d}"], number))
        # The storm's achieved rate from the console's sequence numbers between the first and the last held one.
        (t0, n0), (t1, n1) = numbers[0], numbers[-1]
        achieved = (n1 - n0 - (len(numbers) - 1)) / (t1 - t0) if rate and t1 > t0 else 0.0
        remaining = start + seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        return created, achieved


def _warm_up(responder: Responder, storm, reply_id: int, timeout: float = 240) -> None:
    """Until one held message is answered: the source subscribed, the JVM and the playbook path warmed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        storm.held_now(reply_id)
        if responder.wait_replies([f"{reply_id:02d}"], 15):
            return
        reply_id += 1
    raise TimeoutError("the responder answered no held message (is it subscribed?)")


def _case(responder: Responder, storm, rate: int, seconds: float, first_id: int, count: int = HELD) -> dict:
    held = [(first_id + i, FIRST_OFFSET + SPACING * i) for i in range(count)]
    started, busy, responding = time.monotonic(), machine_busy(), family_cpu(responder.process.pid)
    playbooks = PlaybookStarts(responder.process.pid)
    created, achieved = storm.storm(rate, seconds, held)
    replies = responder.wait_replies(list(created), 120)
    wall = time.monotonic() - started
    busy, responding = machine_busy() - busy, family_cpu(responder.process.pid) - responding
    starts = playbooks.stop()
    delays = sorted(replies[i] - created[i] for i in created if i in replies)
    # The engine acts on the held messages in the order they came, one playbook each: the n-th start is the
    # n-th held message's (anything else, a health check playbook, leaves the split unknown).
    order = sorted(created, key=created.get)
    to_playbook = sorted(start - created[i] for i, start in zip(order, starts)) if len(starts) == len(order) else []
    # Let the engine drain whatever the storm left before the next case.
    time.sleep(5)
    return {"rate": rate, "achieved": achieved, "delays": delays, "answered": len(replies), "held": len(created),
            "to_playbook": to_playbook, "responder_cores": responding / wall, "other_cores": (busy - responding) / wall}


def _transport(rig: Rig, collections: Path, transport: str, rates: list[int], seconds: float,
               overrides: dict) -> list[dict]:
    if transport == "activemq":
        sim = rig.start_sim(no_stomp=True, name="hmcsim-amq")
        port = rig.broker.stomp_ssl_port
    else:
        sim = rig.start_sim(name="hmcsim-stomp")
        port = sim.stomp_port
    responder = Responder(rig, collections, sim, port, f"responder-{transport}", overrides)
    try:
        if transport == "activemq":
            storm = BrokerStorm(rig, sim)
        else:
            ds.wait_until_subscribed(sim.control, responder.process, timeout=180)
            storm = SimStorm(sim)
        _warm_up(responder, storm, 90)
        # An unrecorded storm first: the broker's JIT, the page cache and the engine have then seen one, as they
        # have in a console's day; otherwise whichever case came first would pay for warming them.
        _case(responder, storm, max(rates), WARM_UP_SECONDS, 80, count=WARM_UP_HELD)
        results = []
        for number, rate in enumerate([0, *rates]):
            results.append(_case(responder, storm, rate, seconds, 10 + 10 * number))
        return results
    finally:
        responder.stop()
        rig.stop_sim(sim)


def _rows(transport: str, results: list[dict]) -> list[list[str]]:
    base = results[0]["delays"]
    limit = TARGET * base[-1] if base else float("nan")
    rows = []
    for result in results:
        delays = result["delays"]
        worst = delays[-1] if len(delays) == result["held"] else float("inf")
        is_base = result["rate"] == 0
        rows.append([
            transport, "none (baseline)" if is_base else f"{result['rate']:,}",
            "" if is_base else f"{result['achieved']:,.0f}",
            f"{result['answered']}/{result['held']}",
            f"{percentile(delays, 0.5):.2f}" if delays else "-", f"{delays[0]:.2f}" if delays else "-",
            f"{worst:.2f}", "" if is_base else f"<= {limit:.2f}",
            "" if is_base else ("yes" if worst <= limit else "NO"),
            _split(result["to_playbook"]), f"{result['responder_cores']:.2f} / {result['other_cores']:.2f}"])
    return rows


def _split(to_playbook: list[float]) -> str:
    return f"{percentile(to_playbook, 0.5):.2f} / {to_playbook[-1]:.2f}" if to_playbook else "-"


def run(quick: bool, rates: str | None = None, responder_vars: dict | None = None) -> str:
    storm_rates = [int(r) for r in rates.split(",")] if rates else ([1000, 3000] if quick else [1000, 3000, 5000])
    seconds = 30.0
    rig = Rig("storm")
    rows = []
    try:
        collections = ds.build_and_install(rig.dir / "collection")
        rig.start_broker()
        for transport in ("activemq", "hmcsim"):
            try:
                rows += _rows(transport, _transport(rig, collections, transport, storm_rates, seconds,
                                                    responder_vars or {}))
            except Exception as exc:  # report it and go on with the other transport
                rows.append([transport, f"failed: {type(exc).__name__}: {exc}"[:300], *[""] * (len(COLUMNS) - 2)])
    finally:
        rig.stop()
    return "\n".join([
        f"ansible-rulebook running the installed held_message_responder.yml (reply table of vars/demo.yml); {HELD} "
        f"held messages {SPACING:.0f} s apart in each {seconds:.0f} s storm of routine OS messages on the same "
        "partition; seconds from a held message's creation to its reply arriving at the console (hmcsim's clock). "
        "Baseline: the same held messages without a storm, same run and rulebook process."
        + (f" Responder variables other than the shipped defaults: {responder_vars}." if responder_vars else ""), "",
        table(COLUMNS, rows), "",
        "to playbook: seconds from a held message's creation to the start of its reply playbook (ansible-playbook "
        "under ansible-rulebook): the way through the console or broker, the receiver, the source and the rules "
        "engine; the rest of the reply's time is the playbook's own run.",
        "cores: average CPU use during the case of ansible-rulebook with its source, receiver process and "
        "playbooks, and of everything else on the machine (the broker and publisher, or hmcsim's storm)."])
