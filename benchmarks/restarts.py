"""Soak with restarts (issue 11): the source with a checkpoint, killed with SIGKILL at random points of a steady
OS message load on four partitions, and started again each time, as a restart policy would.

The source runs in source_driver.py (soak mode: every OS message it puts on its queue is reported, and the put
returns at once). Reported: OS messages the console wrote vs delivered, lost ones (written but never delivered
by any run), duplicated ones (delivered by two runs), and how many of those duplicates lay before the checkpoint
the killed run left (a restart that repeats what its checkpoint already covered: target 0; the ones after it
are the events in flight, which at-least-once delivery repeats with the same meta.uuid).
"""

import json
import random
import time

from bench_lib import table
from events import EventLog
from recovery import SCENARIO
from rig import Rig

STORMS = {"PART1": 50, "PART2": 20, "PART3": 5, "PART4": 5}
KILL_EVERY = 20
"""Mean seconds between kills (uniform in 0.5x..1.5x); the console keeps writing while the source is down."""


def _cursors(path):
    """{uri: last} of the checkpoint file (-1 for a cursor that holds nothing delivered yet)."""
    if not path.exists():
        return {}
    cursors = json.loads(path.read_text())["cursors"]["cursors"]
    return {uri: -1 if c["last"] is None else c["last"] for uri, c in cursors.items()}


def run(minutes: float) -> str:
    seconds = minutes * 60
    rig = Rig("restarts")
    chance = random.Random()
    runs: list[list[tuple[str, int, float]]] = []
    at_kill: list[dict] = []
    try:
        scenario = rig.dir / "restarts.yaml"
        # Every SIGKILL leaves its session behind until the console times it out.
        scenario.write_text(SCENARIO.replace("session_limit: 50", "session_limit: 1000"))
        sim = rig.start_sim(str(scenario), heartbeat_ms=1000)
        checkpoint = rig.dir / "state" / "source.checkpoint.json"
        checkpoint.unlink(missing_ok=True)  # one of an earlier run names another hmcsim port: refused as foreign
        args = rig.source_args(sim, {"os_messages": [{"cpc": "CPC1", "partition_regex": "PART[1-4]"}]},
                               heartbeat=5, checkpoint=str(checkpoint))
        started = None
        number = 0
        while True:
            source = rig.source(f"restarts-{number}", args, mode="soak", extra=["--max-seconds", str(seconds + 600)])
            log = EventLog(source)
            if started is None:
                rig.new_channel(sim, resource="PART1", timeout=120)
                for name, rate in STORMS.items():
                    sim.control.storm(name, rate, seconds)
                started = time.monotonic()
            log.first_os_after(0, timeout=120)
            if time.monotonic() - started >= seconds:
                break
            time.sleep(chance.uniform(0.5, 1.5) * KILL_EVERY)
            source.proc.kill()
            source.proc.wait()
            at_kill.append(_cursors(checkpoint))
            rig.end(source)
            runs.append(list(log.os))
            number += 1
        # The last run: until it delivered everything the console wrote.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            produced = {r["object-uri"]: r["os-messages"] for r in sim.control.resources() if r["name"] in STORMS}
            delivered = {(uri, seq) for r in [*runs, log.os] for uri, seq, _ in r}
            if all((uri, n - 1) in delivered for uri, n in produced.items() if n):
                break
            time.sleep(1)
        time.sleep(2)
        rig.end(source)
        runs.append(list(log.os))
        produced = {r["object-uri"]: r["os-messages"] for r in sim.control.resources() if r["name"] in STORMS}
    finally:
        rig.stop()
    return _report(runs, at_kill, produced, minutes)


def _report(runs, at_kill, produced, minutes) -> str:
    seen: set = set()
    deliveries = duplicates = covered_again = 0
    per_restart = []
    for index, events in enumerate(runs):
        cursors = at_kill[index - 1] if index else {}
        again = 0
        for uri, seq, _ in events:
            deliveries += 1
            if (uri, seq) in seen:
                duplicates += 1
                again += 1
                covered_again += seq <= cursors.get(uri, -1)
            seen.add((uri, seq))
        if index:
            per_restart.append(again)
    # A fresh start covers each partition from the console's newest message when it subscribes: what was
    # written before that (while its channel opened) is not expected.
    first = {}
    for uri, seq, _ in runs[0]:
        first.setdefault(uri, seq)
    missing = sorted((uri, seq) for uri, n in produced.items() for seq in range(first.get(uri, 0), n)
                     if (uri, seq) not in seen)
    lost = len(missing)
    written = sum(n - first.get(uri, 0) for uri, n in produced.items())
    kills = len(runs) - 1
    return "\n".join([
        f"{minutes:g} min against hmcsim, {sum(STORMS.values())} OS messages/s on four partitions, the source "
        f"killed with SIGKILL every {KILL_EVERY} s on average ({kills} kills) and started again from its checkpoint.",
        "",
        table(["measure", "value", "target", "met"], [
            ["OS messages written / delivered (unique)", f"{written:,} / {len(seen):,}", "equal",
             "yes" if written == len(seen) else "NO"],
            ["lost", lost, "0", "yes" if lost == 0 else "NO"],
            ["delivered again after a kill (in flight)", f"{duplicates:,} ({duplicates / max(1, kills):.0f} per kill)",
             "", ""],
            ["delivered again although the checkpoint covered it", covered_again, "0",
             "yes" if covered_again == 0 else "NO"],
            ["deliveries in all", f"{deliveries:,}", "", ""],
        ]),
        "", f"Delivered again per restart: {per_restart}",
        *([f"Lost (first 10): {[(uri.rsplit('/', 1)[-1][:8], seq) for uri, seq in missing[:10]]}"] if missing else []),
    ])
