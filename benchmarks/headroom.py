"""Benchmarks 8 and 9: the source's rate with filters that keep 1 % of a storm, and the rules engine's headroom.

8, filtered: the same OS message storm through ActiveMQ over TLS into (a) the bare stomp.py listener and (f)
the source with the held message responder's filters (``types: [os-message], held: true``), where every 100th
message (and the last) is held. Both rates are over the whole storm: (N - 1) messages between the first and
the last data message the receiver reports, so the 99 % that (f) drops early count as handled. Target f/a >= 0.9.

9, headroom: the source's unfiltered rate (receiver (c) of the throughput benchmark) against ansible-rulebook's
rate with one trivial rule (``condition: true``, action ``none``) fed by engine_sources/bench_events.py with the
source's own events, as fast as the engine takes them. Target c/engine >= 2: the source must not be what limits
a rulebook.

Rounds alternate the order of the receivers; ratios are taken within a round.
"""

import json
import re
import subprocess
import threading
import time

from bench_lib import BENCH_DIR, REPO_ROOT, end_rulebook, ratio_rounds, table
from rig import Rig
from throughput import SUBSCRIPTIONS, _one
from zos_load import os_message_body, texts

HELD_EVERY = 100
ENGINE_COUNT = 20_000
"""Events per engine round: the engine takes a few hundred to a few thousand per second, so more only adds time."""
RESPONDER_FILTERS = {"types": ["os-message"], "held": True}
ENGINE_RULEBOOK = """---
- name: engine headroom
  hosts: all
  match_multiple_rules: true
  sources:
    - bench_events: {args}
  rules:
    - name: trivial
      condition: true
      action:
        none:
    - name: end of the run
      condition: event.bench_done is defined
      action:
        debug:
          msg: "BENCH DONE"
"""


def _whole_storm_rate(rig: Rig, kind: str, label: str, count: int, sim, cpu: dict | None = None) -> float:
    """Messages per second over the whole storm: (count - 1) / (last data message - first data message).

    With cpu, the receiver's CPU µs per storm message is added to cpu[kind] as (whole, own process): for (f) the
    difference is its receiver process's share."""
    if kind == "a":
        topic, uri = f"filtered.{label}", None
        receiver = rig.bare_receiver(f"recv-{label}", topic, count)
        expected = count
    else:
        args = rig.broker_source_args(sim, SUBSCRIPTIONS, filters=RESPONDER_FILTERS)
        expected = len(range(0, count, HELD_EVERY)) + (1 if (count - 1) % HELD_EVERY else 0)
        receiver = rig.source(f"recv-{label}", args, count=expected)
        channel = rig.new_channel(sim)
        topic, uri = channel["topic-name"], channel["object-uri"]
    publisher = rig.publisher(f"pub-{label}", topic, count, object_uri=uri,
                              held_every=HELD_EVERY if kind == "f" else 0)
    publisher.expect("connected", 60)
    receiver.expect("probe", 60)
    publisher.send("go")
    result = receiver.expect("done", 120 + count / 500)
    publisher.expect("sent", 60)
    rig.end(publisher)
    rig.end(receiver)
    if result["count"] != expected:
        raise RuntimeError(f"receiver {kind} got {result['count']} of {expected} messages")
    if cpu is not None:
        scale = (result["count"] - 1) / (count - 1)
        cpu.setdefault(kind, []).append((result["cpu_us_per_msg"] * scale,
                                         sum(result["thread_cpu_us_per_msg"].values()) * scale))
    return (count - 1) / (result["last"] - result["first"])


def run_filtered(count: int, rounds: int) -> str:
    rig = Rig("filtered")
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        for kind in ("a", "f"):  # the broker's JIT and the page cache warm for both, not only for the first
            _whole_storm_rate(rig, kind, f"warmup-{kind}", min(count, 20_000), sim)
        cpu: dict = {}
        rows, median = ratio_rounds(
            rounds, ("a", "f"),
            lambda kind, number: _whole_storm_rate(rig, kind, f"{kind}{number}", count, sim, cpu),
            lambda rates: rates["f"] / rates["a"])
    finally:
        rig.stop()
    return "\n".join([
        f"{count:,} OS messages per receiver and round through ActiveMQ over TLS, every {HELD_EVERY}th held; "
        f"(f) = the source with filters {json.dumps(RESPONDER_FILTERS)} (keeps 1 %), (a) = bare stomp.py listener. "
        "Rates over the whole storm.", "",
        table(["round", "(a) msgs/s", "(f) msgs/s", "f/a"], rows), "",
        "Receiver CPU µs per storm message, by round: (a) " + ", ".join(f"{whole:.0f}" for whole, _ in cpu["a"])
        + "; (f) " + ", ".join(f"{whole:.0f} (source {own:.0f}, receiver process {whole - own:.0f})"
                               for whole, own in cpu["f"]) + ".", "",
        f"Target f/a >= 0.9: {'met' if median >= 0.9 else 'NOT met'} (median {median:.2f})."])


def _engine_events(path, count: int = 2000) -> None:
    """Normalized OS message events as the source emits them, for the engine-only source."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / ".tmp" / "collections"))
    from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer import normalize

    headers = {"notification-type": "os-message", "object-uri": "/api/partitions/bench-part-1",
               "object-id": "bench-part-1", "class": "partition", "name": "PART1", "destination": "/topic/bench"}
    events = []
    for index, text in enumerate(texts(count)):
        frame = {**headers, "session-sequence-nr": str(index), "global-sequence-nr": str(index),
                 "timestamp": str(int(time.time() * 1000))}
        events += normalize(frame, os_message_body(text, index + 1), console={"host": "127.0.0.1", "type": "hmc"})
    path.write_text(json.dumps(events))


def _engine_rate(rig: Rig, label: str, count: int) -> float:
    events_file, start_file = rig.dir / "engine-events.json", rig.dir / f"{label}.start"
    if not events_file.exists():
        _engine_events(events_file)
    args = {"events_file": str(events_file), "count": count, "start_file": str(start_file)}
    rulebook = rig.dir / f"{label}.yml"
    rulebook.write_text(ENGINE_RULEBOOK.format(args=json.dumps(args)))
    inventory = rig.dir / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    argv = [str(REPO_ROOT / ".venv" / "bin" / "ansible-rulebook"), "-S", str(BENCH_DIR / "engine_sources"), "-r",
            str(rulebook), "-i", str(inventory)]
    (rig.dir / "logs").mkdir(exist_ok=True)
    log = open(rig.dir / "logs" / f"{label}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, cwd=rig.dir, bufsize=1)
    done = threading.Event()
    finished = []

    def reader():
        for line in proc.stdout:
            if re.search(r"BENCH DONE", line) and not done.is_set():
                finished.append(time.time())
                done.set()
            log.write(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        if not done.wait(120 + count / 200):
            raise TimeoutError(f"ansible-rulebook did not get through {count:,} events; see {log.name}")
    finally:
        end_rulebook(proc, thread, log)
    return count / (finished[0] - float(start_file.read_text()))


def run_headroom(count: int, rounds: int) -> str:
    rig = Rig("headroom")

    def measure(kind, number):
        if kind == "c":
            return _one(rig, "c", f"c{number}", count, sim)["rate"]
        return _engine_rate(rig, f"engine{number}", min(count, ENGINE_COUNT))

    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        _one(rig, "a", "warmup", min(count, 20_000), sim)
        rows, median = ratio_rounds(rounds, ("c", "e"), measure, lambda rates: rates["c"] / rates["e"])
    finally:
        rig.stop()
    return "\n".join([
        f"{count:,} OS message events per round for (c), {min(count, ENGINE_COUNT):,} for the engine: (c) the "
        "source unfiltered through ActiveMQ over TLS with a counting queue; engine = ansible-rulebook, one rule "
        "`condition: true` with action `none`, fed the source's events by a benchmark source as fast as it takes "
        "them.", "",
        table(["round", "(c) source msgs/s", "engine events/s", "c/engine"], rows), "",
        f"Target c/engine >= 2: {'met' if median >= 2 else 'NOT met'} (median {median:.2f})."])
