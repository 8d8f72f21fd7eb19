"""Benchmark 5, recovery: dropped connection, console restart and half-open connection, per heart-beat.

hmcsim generates a steady OS message storm (100/s) on PART1 and its control API injects the faults; the
source runs with its default reconnect policy (initial delay 1 s, +-25 % jitter) and heartbeat = H. hmcsim
offers 1 s heart-beats, so the negotiated interval is H. Measured from the fault call:
- dropped connection: first OS message event after the drop ("events flowing again"; missed messages are
  recovered through List OS Messages, so this counts them too) and the connection-restored event;
- console restart: the same (the session is gone: re-logon, channels re-opened, new topic names);
- half-open (heart-beats and data stalled, TCP still up): time to the connection-lost event, in intervals.
Baseline in the same run: the heart-beat interval itself and the configured reconnect delay.
Every OS message is also checked for exactly-once delivery across the three faults.
"""

import time

from bench_lib import table
from events import EventLog
from rig import Rig

RATE = 100
SCENARIO = """# The minimal console with a history long enough that no outage here outlasts it (a console keeps a few
# hundred messages; an outage longer than that must give notifications-missed, which the tests check).
console: {name: HMC1, type: hmc, api_version: '4.10', session_limit: 50, os_history: 100000}
users:
  - {userid: operator, password: operator-password, permissions: ['*']}
cpcs:
  - name: CPC1
    dpm: true
    partitions:
      - {name: PART1, status: active, os_name: ZOS1, os_type: MVS}
      - {name: PART2, status: active, os_name: ZOS2, os_type: MVS}
      - {name: PART3, status: active, os_name: LNX3, os_type: Linux}
      - {name: PART4, status: active, os_name: LNX4, os_type: Linux}
"""


def _flow_after_loss(log: EventLog, t0: float) -> float:
    """Seconds from t0 to the first OS message after the source noticed the loss (frames already in flight
    when the fault hit do not count as recovered flow)."""
    lost = log.first_synthetic_after("connection-lost", t0)[0]
    return log.first_os_after(lost) - t0


def _one(rig: Rig, sim, heartbeat: float) -> list:
    args = rig.source_args(sim, {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}, heartbeat=heartbeat)
    source = rig.source(f"recovery-hb{heartbeat:g}", args, mode="soak", extra=["--max-seconds", "600"])
    log = EventLog(source)
    try:
        rig.new_channel(sim)
        log.first_os_after(time.time(), 30)
        time.sleep(1)
        t0 = time.time()
        sim.control.drop_connections()
        drop_flow = _flow_after_loss(log, t0)
        drop_restored = log.first_synthetic_after("connection-restored", t0)[0] - t0
        time.sleep(2)
        t0 = time.time()
        sim.control.restart_console()
        restart_flow = _flow_after_loss(log, t0)
        restart_restored = log.first_synthetic_after("connection-restored", t0)[0] - t0
        time.sleep(2)
        t0 = time.time()
        sim.control.stall_heartbeats(heartbeat * 4)
        lost = log.first_synthetic_after("connection-lost", t0, timeout=heartbeat * 5 + 30)[0] - t0
        stall_flow = log.first_os_after(t0 + lost, timeout=heartbeat * 5 + 30) - t0
        time.sleep(1)
        delivered, missing, duplicates = log.exactly_once()
        missed_events = sum(1 for kind, _, _ in log.synthetic if kind == "notifications-missed")
    finally:
        rig.end(source)
    half_open = lost / heartbeat
    return [f"{heartbeat:g}", f"{drop_flow:.2f}", f"{drop_restored:.2f}", f"{restart_flow:.2f}",
            f"{restart_restored:.2f}", f"{lost:.2f}", f"{half_open:.2f}", f"{stall_flow:.2f}",
            f"{delivered:,} / {missing} / {duplicates} / {missed_events}",
            ("yes" if drop_flow < 2 else "NO") if heartbeat == 5 else "",
            "yes" if half_open < 2.5 else "NO"]


def run(quick: bool) -> str:
    heartbeats = [2, 5] if quick else [2, 5, 10]
    rig = Rig("recovery")
    rows = []
    try:
        scenario = rig.dir / "recovery.yaml"
        scenario.write_text(SCENARIO)
        sim = rig.start_sim(str(scenario), heartbeat_ms=1000)
        sim.control.storm("PART1", RATE, 3600)
        for heartbeat in heartbeats:
            rows.append(_one(rig, sim, heartbeat))
    finally:
        rig.stop()
    return "\n".join([
        f"Seconds from the fault (hmcsim control API) to the event; OS message storm {RATE}/s; default reconnect "
        "policy (first retry after 1 s +-25 %).", "",
        table(["heart-beat s", "drop: events flow", "drop: restored event", "restart: events flow",
               "restart: restored event", "half-open: lost after s", "half-open: intervals",
               "half-open: events flow", "OS msgs delivered / lost / dup / missed-events", "drop < 2 s @5 s",
               "half-open < 2.5"],
              rows)])
