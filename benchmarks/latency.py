"""Benchmark 2, latency: publish-to-queue for the source, publish-to-rule-fired for ansible-rulebook.

The publisher sends at a fixed rate on a fixed schedule and records the send time of each message; the
receiver records the arrival time of each one by global-sequence-nr; the two are joined afterwards (same
machine, same clock). The bare stomp.py listener (a) at the same rates is the baseline: what the transport
itself (publisher -> ActiveMQ -> TLS -> stomp.py thread) costs before the source adds anything.

publish-to-rule-fired: ansible-rulebook runs the source from the collection (FQCN, as a user would) and a
rule whose action prints "LAT <global-sequence-nr>"; the orchestrator timestamps each line as it reads it.
"""

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

from bench_lib import REPO_ROOT, end_rulebook, percentile, read_times, table
from rig import Rig
from throughput import SUBSCRIPTIONS

RULEBOOK = """---
- name: latency
  hosts: all
  sources:
    - zhmc.notifications.hmc: {args}
  rules:
    - name: fire on every OS message
      condition: event.hmc.type == "os-message"
      action:
        debug:
          msg: "LAT {{{{ event.hmc.sequence.global }}}}"
"""


def _send_times(path: Path, first: int) -> dict[int, float]:
    import array

    times = array.array("d")
    times.frombytes(path.read_bytes())
    return {first + i: t for i, t in enumerate(times)}


def _stats(sent: dict[int, float], received: list[tuple[int, float]], expected: int) -> list:
    lat = sorted((t - sent[g]) * 1000 for g, t in received if g in sent)
    got = len(lat)
    return [f"{percentile(lat, 0.5):.2f}", f"{percentile(lat, 0.99):.2f}", f"{lat[-1]:.2f}" if lat else "-",
            f"{got:,}/{expected:,}"]


def _measure(rig: Rig, kind: str, rate: int, seconds: float, sim) -> list:
    count = max(500, int(rate * seconds))
    label = f"{kind}{rate}"
    recv_times = rig.dir / f"recv-{label}.bin"
    send_times = rig.dir / f"send-{label}.bin"
    if kind == "a":
        topic, uri = f"lat.{label}", None
        receiver = rig.bare_receiver(f"lat-recv-{label}", topic, count, times=recv_times)
    else:
        receiver = rig.source(f"lat-recv-{label}", rig.broker_source_args(sim, SUBSCRIPTIONS),
                              count=count, times=recv_times)
        channel = rig.new_channel(sim)
        topic, uri = channel["topic-name"], channel["object-uri"]
    publisher = rig.publisher(f"lat-pub-{label}", topic, count, rate=rate, times=send_times, object_uri=uri)
    publisher.expect("connected", 60)
    receiver.expect("probe", 60)
    publisher.send("go")
    sent_report = publisher.expect("sent", seconds * 3 + 60)
    receiver.expect("done", 60)
    rig.end(publisher)
    rig.end(receiver)
    gseqs, times = read_times(recv_times)
    sent = _send_times(send_times, sent_report["first_gseq"])
    achieved = count / sent_report["seconds"]
    return [*_stats(sent, list(zip(gseqs, times)), count), f"{achieved:,.0f}"]


def rulebook_run(rig: Rig, sim, label: str, args: dict, count: int, rate: float, expected: int,
                 timeout: float = 120) -> tuple[list[tuple[int, float]], dict, Path]:
    """Run ansible-rulebook with the source (FQCN) and a rule that prints LAT <gseq> per OS message event.

    Publishes count messages at rate (0 = burst) once the probes fire the rule, and waits until expected
    data messages fired or nothing fired for timeout seconds. Returns the (gseq, time) of every data message
    fired, the publisher's report and the file of send times.
    """
    rulebook = rig.dir / f"{label}.yml"
    rulebook.write_text(RULEBOOK.format(args=json.dumps(args)))
    inventory = rig.dir / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    env = {"ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / ".tmp" / "collections"), "PYTHONUNBUFFERED": "1"}
    argv = [str(REPO_ROOT / ".venv" / "bin" / "ansible-rulebook"), "-r", str(rulebook), "-i", str(inventory)]
    (rig.dir / "logs").mkdir(exist_ok=True)
    log = open(rig.dir / "logs" / f"{label}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **env},
                            cwd=rig.dir, bufsize=1)
    received: list[tuple[int, float]] = []
    probe_seen = threading.Event()
    pattern = re.compile(r"LAT (\d+)")

    def reader():
        for line in proc.stdout:
            now = time.time()
            match = pattern.search(line)
            if match:
                received.append((int(match.group(1)), now))
                probe_seen.set()
            log.write(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    send_times = rig.dir / f"send-{label}.bin"
    try:
        channel = rig.new_channel(sim, timeout=120)
        publisher = rig.publisher(f"pub-{label}", channel["topic-name"], count, rate=rate, times=send_times,
                                  object_uri=channel["object-uri"])
        publisher.expect("connected", 60)
        if not probe_seen.wait(120):
            raise TimeoutError("ansible-rulebook fired no rule on the probes")
        publisher.send("go")
        sent_report = publisher.expect("sent", count / max(rate, 100) * 3 + 120)
        rig.end(publisher)
        first = sent_report["first_gseq"]
        seen, idle_since = -1, time.monotonic()
        while sum(1 for g, _ in received[-expected - 1:] if g >= first) < expected:
            if len(received) != seen:
                seen, idle_since = len(received), time.monotonic()
            elif time.monotonic() - idle_since > timeout:
                break
            time.sleep(0.2)
    finally:
        end_rulebook(proc, thread, log)
    return [r for r in received if r[0] >= first], sent_report, send_times


def _rulebook(rig: Rig, rate: int, seconds: float, sim) -> list:
    count = max(500, int(rate * seconds))
    args = rig.broker_source_args(sim, SUBSCRIPTIONS)
    data, sent_report, send_times = rulebook_run(rig, sim, f"rb{rate}", args, count, rate, count, timeout=60)
    sent = _send_times(send_times, sent_report["first_gseq"])
    span = data[-1][1] - data[0][1] if len(data) > 1 else 0
    fired_rate = f"{(len(data) - 1) / span:,.0f}" if span > 0 else "-"
    return [*_stats(sent, data, count), f"{count / sent_report['seconds']:,.0f}", fired_rate]


def run(quick: bool, rates: str | None = None) -> str:
    source_rates = [int(r) for r in rates.split(",")] if rates else ([100, 1000] if quick else [100, 500, 1000, 2000])
    engine_rates = [100, 1000] if quick else [100, 500, 1000, 2000]
    seconds = 5 if quick else 10
    rig = Rig("latency")
    rows, engine_rows = [], []
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        for rate in source_rates:
            base = _measure(rig, "a", rate, seconds, sim)
            ours = _measure(rig, "c", rate, seconds, sim)
            target = "< 10 ms" if rate == 1000 else ""
            met = ("yes" if float(ours[1]) < 10 else "NO") if rate == 1000 else ""
            rows.append([f"{rate:,}", *base[:3], *ours[:3], ours[3], ours[4], target, met])
        for rate in engine_rates:
            try:
                engine_rows.append([f"{rate:,}", *_rulebook(rig, rate, seconds, sim)])
            except Exception as exc:  # report it and go on with the other rates
                engine_rows.append([f"{rate:,}", f"failed: {exc}"[:200], "", "", "", "", ""])
    finally:
        rig.stop()
    return "\n".join([
        f"Publish-to-queue latency in ms, {seconds} s per rate, OS messages through ActiveMQ over TLS; baseline "
        "(a) = bare stomp.py listener at the same rate and on the same broker.", "",
        table(["rate/s", "(a) p50", "(a) p99", "(a) max", "source p50", "source p99", "source max", "received",
               "achieved rate/s", "target p99", "met"], rows), "",
        "Publish-to-rule-fired latency in ms with ansible-rulebook (source -> rules engine -> debug action):", "",
        table(["rate/s", "p50", "p99", "max", "fired", "publish rate/s", "fired rate/s"], engine_rows), "",
        "When the fired rate stays below the publish rate the engine is saturated and latency is queueing time."])
