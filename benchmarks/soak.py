"""Soak (issue 7): the source for a long time against hmcsim with a mixed load and periodic faults.

Load: steady OS message storms on four partitions (z/OS and Linux, 50 + 20 + 5 + 5 per second), an IPL-like
burst (400/s for 5 s) every 2 minutes, a status change every 30 s. Faults, one every 90 s in turn: dropped
connections, stalled heart-beats (half-open for 12 s) and console restarts (new session, new topic names).
The source runs with heartbeat 5 s and its default reconnect policy, subscribed to the OS messages of the
four partitions and to status changes.

Reported: OS messages in (what hmcsim produced for each partition from the first one the source saw to the
end) vs out (what reached the queue), lost and duplicated ones (by sequence number per partition),
reconnects, notifications-missed events, and the RSS of the source over time. Target: zero lost, zero
duplicated, flat memory.
"""

import itertools
import statistics
import time

from bench_lib import table
from events import EventLog
from recovery import SCENARIO
from rig import Rig

STORMS = {"PART1": 50, "PART2": 20, "PART3": 5, "PART4": 5}
FAULT_EVERY = 90
BURST_EVERY = 120
STATUS_EVERY = 30
STATUS_GUEST = "      - {name: PART5, status: active, os_name: LNX5, os_type: Linux}\n"
"""A partition outside the OS message subscription whose status flips: object notifications in the mix."""


def _fault(sim, kind: str) -> None:
    if kind == "drop":
        sim.control.drop_connections()
    elif kind == "stall":
        sim.control.stall_heartbeats(12)
    else:
        sim.control.restart_console()


def run(minutes: float) -> str:
    seconds = minutes * 60
    # Short smoke runs compress the schedule so that every kind of fault still happens.
    scale = min(1.0, minutes / 10)
    fault_every, burst_every, status_every = FAULT_EVERY * scale, BURST_EVERY * scale, STATUS_EVERY * scale
    rig = Rig("soak")
    faults: dict[str, int] = {"drop": 0, "stall": 0, "restart": 0}
    fault_log: list[tuple[float, str]] = []
    try:
        scenario = rig.dir / "soak.yaml"
        scenario.write_text(SCENARIO + STATUS_GUEST)
        sim = rig.start_sim(str(scenario), heartbeat_ms=1000)
        args = rig.source_args(sim, {"os_messages": [{"cpc": "CPC1", "partition_regex": "PART[1-4]"}],
                                     "object_changes": {"types": ["status-change"]}}, heartbeat=5)
        source = rig.source("soak-source", args, mode="soak",
                            extra=["--rss-every", "10", "--max-seconds", str(seconds + 300)])
        log = EventLog(source)
        rig.new_channel(sim, resource="PART1")  # the source is up and its channels are open
        for name, rate in STORMS.items():
            sim.control.storm(name, rate, seconds + 30)
        started = time.monotonic()
        kinds = itertools.cycle(("drop", "stall", "restart"))
        next_fault, next_burst, next_status = fault_every, burst_every, status_every
        status_cycle = itertools.cycle(("degraded", "active"))
        while (elapsed := time.monotonic() - started) < seconds:
            if elapsed >= next_fault:
                kind = next(kinds)
                fault_log.append((time.time(), kind))
                _fault(sim, kind)
                faults[kind] += 1
                next_fault += fault_every
            if elapsed >= next_burst:
                fault_log.append((time.time(), "burst"))
                sim.control.storm("PART2", 400, 5)
                next_burst += burst_every
            if elapsed >= next_status:
                sim.control.set_status("PART5", next(status_cycle))
                next_status += status_every
            if source.proc.poll() is not None:
                raise RuntimeError(f"the source exited: {source.log_tail()}")
            time.sleep(0.5)
        # Let storms end and the last outage heal, then compare with what hmcsim produced.
        time.sleep(45)
        produced = {r["object-uri"]: r["os-messages"] for r in sim.control.resources()}
        rig.end(source)
    finally:
        rig.stop()
    return _report(log, produced, faults, minutes, fault_log)


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def _explain(log: EventLog, uri: str, gap: tuple[int, int], fault_log: list) -> str:
    """Where a gap sits: when the messages around it arrived and which fault or burst came last before."""
    before = next((t for u, s, t in log.os if u == uri and s == gap[0] - 1), None)
    after = next((t for u, s, t in log.os if u == uri and s == gap[1] + 1), None)
    cause = [f"last {kind} {before - t:.1f}s earlier" for t, kind in fault_log if before and t <= before][-1:]
    return (f"seq {gap[0]}-{gap[1]}: last before arrived {before and time.strftime('%H:%M:%S', time.localtime(before))}"
            f", next after {after - before:.2f}s later" if before and after else f"seq {gap[0]}-{gap[1]}") + (
            f" ({cause[0]})" if cause else "")


def _report(log: EventLog, produced: dict, faults: dict, minutes: float, fault_log: list) -> str:
    first_seen: dict[str, int] = {}
    delivered: dict[str, set] = {}
    duplicates = 0
    for uri, seq, _ in log.os:
        first_seen.setdefault(uri, seq)
        numbers = delivered.setdefault(uri, set())
        duplicates += seq in numbers
        numbers.add(seq)
    rows = []
    total_in = total_out = total_lost = 0
    gaps: list[str] = []
    for uri, first in sorted(first_seen.items()):
        expected = set(range(first, produced.get(uri, first)))
        missing = expected - delivered[uri]
        lost = len(missing)
        gaps += [f"{uri.rsplit('/', 1)[-1][:8]} " + _explain(log, uri, g, fault_log) for g in _ranges(missing)[:5]]
        rows.append([uri.rsplit("/", 1)[-1][:8], f"{len(expected):,}", f"{len(delivered[uri]):,}", lost])
        total_in += len(expected)
        total_out += len(delivered[uri])
        total_lost += lost
    kinds = [k for k, _, _ in log.synthetic]
    restored = kinds.count("connection-restored")
    missed = kinds.count("notifications-missed")
    rss = log.rss
    samples = [r for _, r in rss]
    warm = [r for t, r in rss if t >= rss[0][0] + 120] if rss else []
    timeline = " → ".join(f"{r:.1f}" for _, r in rss[:: max(1, len(rss) // 8)]) if rss else "-"
    growth = (warm[-1] - warm[0]) if len(warm) > 1 else float("nan")
    return "\n".join([
        f"{minutes:g} min against hmcsim; faults: {faults['drop']} drops, {faults['stall']} half-open stalls, "
        f"{faults['restart']} console restarts.", "",
        table(["partition (id)", "OS msgs in", "out (unique)", "lost"], rows), "",
        table(["measure", "value", "target", "met"], [
            ["OS messages in / out", f"{total_in:,} / {total_out:,}", "equal",
             "yes" if total_in == total_out else "NO"],
            ["lost", total_lost, "0", "yes" if total_lost == 0 else "NO"],
            ["duplicated", duplicates, "0", "yes" if duplicates == 0 else "NO"],
            ["connection-lost / connection-restored events", f"{kinds.count('connection-lost')} / {restored}",
             f"{sum(faults.values())} faults", ""],
            ["notifications-missed events", missed, "", ""],
            ["other events (status-change ...)", len(kinds) - restored - missed - kinds.count("connection-lost"),
             "", ""],
            ["RSS MiB min / median / max", f"{min(samples):.1f} / {statistics.median(samples):.1f} / "
             f"{max(samples):.1f}" if samples else "-", "", ""],
            ["RSS growth after the first 2 min (MiB)", f"{growth:+.1f}", "flat (< 20)",
             "yes" if growth < 20 else "NO"],
        ]), "", f"RSS over time (MiB): {timeline}", *(["", "Lost OS messages (first ranges):", *gaps] if gaps else [])])
