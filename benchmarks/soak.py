"""Soak (issue 7): the source for a long time against hmcsim with a mixed load and periodic faults.

Load: steady OS message storms on four partitions (z/OS and Linux, 50 + 20 + 5 + 5 per second), an IPL-like
burst (400/s for 5 s) every 2 minutes, a status change every 30 s. Faults, one every 90 s in turn: dropped
connections, stalled heart-beats (half-open for 12 s), console restarts (new session, new topic names), a
storm during a reconnect (1,000/s on PART1 with the connection dropped in the middle of it), killed sessions
(ended on the console while the broker connection stays up) and an IPL of PART7 (stopped at start: it comes
up, writes its boot messages and a held WTOR at once, before the source can have its channel open, and is
stopped again later) and, twice in each round, a console failover: two hmcsim instances (127.0.0.1 and
127.0.0.2) manage the CPC, the one in use is killed and the source must move to the other one; the killed one
comes back 20 s later (once the source is subscribed on the other one) as the standby of the next failover
(consoles.py says how both number the messages).
PART6 is quiet: it writes only during outages (three messages right after each drop and each failover).
The source runs with heartbeat 5 s, session_check 5 s and its default reconnect policy, subscribed to the OS
messages of PART1-4, 6 and 7 and to status changes, with both consoles in hmc_host.

Reported: OS messages in (what hmcsim produced for each partition after the source was subscribed) vs out
(what reached the queue), lost and duplicated ones (by sequence number per partition), reconnects,
notifications-missed events, the RSS and thread count of the source over time and the console sessions left
after the source stopped. Target: zero lost, zero duplicated, zero leaked sessions, flat memory and threads.
"""

import itertools
import re
import statistics
import time

from bench_lib import table
from consoles import Consoles
from events import EventLog
from recovery import SCENARIO
from rig import Rig

STORMS = {"PART1": 50, "PART2": 20, "PART3": 5, "PART4": 5}
FAULT_EVERY = 90
BURST_EVERY = 120
STATUS_EVERY = 30
STATUS_GUEST = "      - {name: PART5, status: active, os_name: LNX5, os_type: Linux}\n"
"""A partition outside the OS message subscription whose status flips: object notifications in the mix."""
QUIET_GUEST = "      - {name: PART6, status: active, os_name: LNX6, os_type: Linux}\n"
IPL_GUEST = "      - {name: PART7, status: stopped, os_name: ZOS7, os_type: MVS}\n"
SUBSCRIBED = "PART[1-467]"
SUBSCRIPTIONS_UP = 6
"""STOMP subscriptions of a source that is up: PART1-4 and PART6 (PART7 is stopped) and the object topic."""
FAULTS = ("drop", "failover", "stall", "restart", "storm-drop", "failover", "session-kill", "ipl")
IPL_STOP_AFTER = 20
BACK_AFTER = 20
"""Seconds (scaled) after a failover, and not before the source is subscribed on the other console, until the
killed console is up again (back too early, it would take the source back before the source moved)."""
QUIET_BEFORE_FAILOVER = 5
"""The storms on the console in use end this many seconds before a failover (see consoles.py)."""


def _quiet_writes(consoles: Consoles) -> None:
    for index in range(3):
        consoles.os_message("PART6", f"QUI{index:04d}I written during an outage")


def _ipl(consoles: Consoles) -> None:
    """PART7 comes up and writes at once (the source sees the status change only afterwards)."""
    consoles.set_status("PART7", "active")
    consoles.os_message("PART7", "IEA371I SYS1.IPLPARM ON DEVICE 0A80 SELECTED FOR IPL PARAMETERS")
    consoles.os_message("PART7", "IEA101A SPECIFY SYSTEM PARAMETERS FOR z/OS", held=True, reply_id=1)
    for index in range(3):
        consoles.os_message("PART7", f"IPL{index:04d}I boot step {index}")


def _storms(consoles: Consoles, now: float, schedule: list, seconds: float) -> None:
    """The steady storms on the console in use, until shortly before the next failover (or the end)."""
    until = next((t - QUIET_BEFORE_FAILOVER for t, kind in schedule if kind == "failover" and t > now), seconds + 30)
    for name, rate in STORMS.items():
        consoles.in_use.control.storm(name, rate, until - now)


def _fault(consoles: Consoles, kind: str, log: EventLog, start: dict) -> str:
    """Run one fault; returns its name as counted (a failover the source had not caught up with is marked)."""
    sim = consoles.in_use
    if kind == "drop":
        sim.control.drop_connections(refuse_seconds=3)
        _quiet_writes(consoles)
    elif kind == "failover":
        caught_up = consoles.fail_over(lambda console: _caught_up(console, log, start))
        _quiet_writes(consoles)
        return kind if caught_up else "failover (source behind)"
    elif kind == "stall":
        sim.control.stall_heartbeats(12)
    elif kind == "restart":
        sim.control.restart_console()
    elif kind == "storm-drop":
        sim.control.storm("PART1", 1000, 6)
        time.sleep(1.5)
        sim.control.drop_connections()
    elif kind == "session-kill":
        sim.control.end_sessions()
    else:
        _ipl(consoles)
    return kind


def _caught_up(sim, log: EventLog, start: dict) -> bool:
    """The source has delivered the last OS message of every subscribed partition that wrote one."""
    last: dict[str, int] = {}
    for uri, seq, _ in list(log.os):
        last[uri] = max(seq, last.get(uri, -1))
    return all(last.get(r["object-uri"], -1) >= r["os-messages"] - 1 for r in sim.control.resources()
               if re.fullmatch(SUBSCRIBED, r["name"] or "") and r["os-messages"] > start[r["object-uri"]])


def run(minutes: float) -> str:
    seconds = minutes * 60
    # Short smoke runs compress the schedule so that every kind of fault still happens.
    scale = min(1.0, minutes / 15)
    fault_every, burst_every, status_every = FAULT_EVERY * scale, BURST_EVERY * scale, STATUS_EVERY * scale
    rig = Rig("soak")
    faults: dict[str, int] = dict.fromkeys(FAULTS, 0)
    count = int(seconds // fault_every) + 1
    schedule = [t_kind for t_kind in zip((fault_every * n for n in range(1, count)), itertools.cycle(FAULTS))
                if t_kind[0] < seconds]
    fault_log: list[tuple[float, str]] = []
    try:
        scenario = rig.dir / "soak.yaml"
        scenario.write_text(SCENARIO + STATUS_GUEST + QUIET_GUEST + IPL_GUEST)
        consoles = Consoles(rig, str(scenario), heartbeat_ms=1000)
        args = rig.source_args(consoles.in_use, {"os_messages": [{"cpc": "CPC1", "partition_regex": SUBSCRIBED}],
                                                 "object_changes": {"types": ["status-change"]}},
                               heartbeat=5, session_check=5, hmc_host=consoles.hmc_hosts)
        source = rig.source("soak-source", args, mode="soak",
                            extra=["--rss-every", "10", "--max-seconds", str(seconds + 300)])
        log = EventLog(source)
        _until_subscribed(consoles.in_use)
        start = {r["object-uri"]: r["os-messages"] for r in consoles.in_use.control.resources()}
        _storms(consoles, 0, schedule, seconds)
        started = time.monotonic()
        kinds = iter(schedule)
        ipl_stop = back = None
        next_fault, next_burst, next_status = fault_every, burst_every, status_every
        status_cycle = itertools.cycle(("degraded", "active"))
        while (elapsed := time.monotonic() - started) < seconds:
            if elapsed >= next_fault:
                _, kind = next(kinds)
                fault_log.append((time.time(), kind))
                counted = _fault(consoles, kind, log, start)
                faults[counted] = faults.get(counted, 0) + 1
                next_fault += fault_every
                if kind == "ipl":
                    ipl_stop = elapsed + IPL_STOP_AFTER * scale
                if kind == "failover":
                    now = time.monotonic() - started
                    _storms(consoles, now, schedule, seconds)
                    back = now + BACK_AFTER * scale
            if ipl_stop is not None and elapsed >= ipl_stop:
                consoles.set_status("PART7", "stopped")
                ipl_stop = None
            if back is not None and elapsed >= back and _subscribed(consoles.in_use):
                consoles.bring_back()
                back = None
            if elapsed >= next_burst:
                fault_log.append((time.time(), "burst"))
                consoles.in_use.control.storm("PART2", 400, 5)
                next_burst += burst_every
            if elapsed >= next_status:
                consoles.set_status("PART5", next(status_cycle))
                next_status += status_every
            if source.proc.poll() is not None:
                raise RuntimeError(f"the source exited: {source.log_tail()}")
            time.sleep(0.5)
        # Let storms end and the last outage heal, then compare with what hmcsim produced.
        time.sleep(45)
        resources = consoles.in_use.control.resources()
        produced = {r["object-uri"]: (start[r["object-uri"]], r["os-messages"]) for r in resources
                    if re.fullmatch(SUBSCRIBED, r["name"] or "")}
        rig.end(source)
        leaked = consoles.sessions()
    finally:
        rig.stop()
    return _report(log, produced, faults, minutes, fault_log, leaked)


def _subscribed(sim) -> bool:
    return sum(len(c.get("subscriptions") or []) for c in sim.control.stomp_connections()) >= SUBSCRIPTIONS_UP


def _until_subscribed(sim, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not _subscribed(sim):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the source did not subscribe within {timeout}s")
        time.sleep(0.1)


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


def _report(log: EventLog, produced: dict, faults: dict, minutes: float, fault_log: list, leaked: int) -> str:
    delivered: dict[str, set] = {}
    duplicates = 0
    for uri, seq, _ in log.os:
        numbers = delivered.setdefault(uri, set())
        duplicates += seq in numbers
        numbers.add(seq)
    rows = []
    total_in = total_out = total_lost = 0
    gaps: list[str] = []
    for uri, (first, end) in sorted(produced.items()):
        expected = set(range(first, end))
        out = expected & delivered.get(uri, set())
        missing = expected - out
        lost = len(missing)
        gaps += [f"{uri.rsplit('/', 1)[-1][:8]} " + _explain(log, uri, g, fault_log) for g in _ranges(missing)[:5]]
        rows.append([uri.rsplit("/", 1)[-1][:8], f"{len(expected):,}", f"{len(out):,}", lost])
        total_in += len(expected)
        total_out += len(out)
        total_lost += lost
    kinds = [k for k, _, _ in log.synthetic]
    restored = kinds.count("connection-restored")
    missed = kinds.count("notifications-missed")
    rss = log.rss
    samples = [r for _, r in rss]
    warm = [r for t, r in rss if t >= rss[0][0] + 120] if rss else []
    timeline = " → ".join(f"{r:.1f}" for _, r in rss[:: max(1, len(rss) // 8)]) if rss else "-"
    growth = (warm[-1] - warm[0]) if len(warm) > 1 else float("nan")
    threads = [n for _, n in log.threads]
    return "\n".join([
        f"{minutes:g} min against hmcsim; faults: " + ", ".join(f"{count} {kind}" for kind, count in faults.items())
        + ".", "",
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
            ["threads min / median / max", f"{min(threads)} / {statistics.median(threads):g} / {max(threads)}"
             if threads else "-", "bounded", ""],
            ["console sessions left after the source stopped", leaked, "0", "yes" if leaked == 0 else "NO"],
        ]), "", f"RSS over time (MiB): {timeline}", *(["", "Lost OS messages (first ranges):", *gaps] if gaps else [])])
