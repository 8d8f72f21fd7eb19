"""Benchmark 6, source-side filtering: what the rules engine has to process during an IPL-like storm.

A burst of N z/OS messages (the realistic mix of zos_load.py, as fast as the publisher goes) reaches
ansible-rulebook through the source twice: without filters (baseline: every message becomes an event for the
engine) and with filters.message_codes limited to the codes a rulebook typically acts on (dumps and I/O
errors). Measured: events the engine processed, the engine's rate while busy, and how long after the storm's
first message the engine had worked through it ("drain"), which is how late an important message at the end
of a storm is acted upon.
"""

from bench_lib import table
from latency import rulebook_run
from rig import Rig
from throughput import SUBSCRIPTIONS
from zos_load import texts

CODES = ["IEA995I", "IOS000I"]


def _case(rig: Rig, sim, name: str, label: str, count: int, filters: dict | None) -> list:
    args = rig.broker_source_args(sim, SUBSCRIPTIONS)
    if filters:
        # The publisher's probe (BENCH001I) must pass too, or the run could not tell when the source is ready.
        args["filters"] = {**filters, "message_codes": [*filters["message_codes"], "BENCH001I"]}
    expected = count if not filters else sum(1 for t in texts(count) if t.split()[0].lstrip("*") in CODES)
    data, sent_report, _ = rulebook_run(rig, sim, label, args, count, 0, expected, timeout=30)
    start = sent_report["started"]
    span = data[-1][1] - data[0][1] if len(data) > 1 else 0
    drain = data[-1][1] - start if data else float("nan")
    return [name, f"{count:,}", f"{len(data):,} / {expected:,}", f"{(len(data) - 1) / span:,.0f}" if span else "-",
            f"{count / drain:,.0f}", f"{drain:.1f}"]


def run(quick: bool) -> str:
    count = 5_000 if quick else 20_000
    rig = Rig("filtering")
    rows = []
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        rows.append(_case(rig, sim, "none (baseline)", "unfiltered", count, None))
        rows.append(_case(rig, sim, f"message_codes: {', '.join(CODES)}", "filtered", count, {"message_codes": CODES}))
    finally:
        rig.stop()
    speedup = float(rows[0][5]) / float(rows[1][5]) if rows[1][5] not in ("nan", "0.0") else float("nan")
    return "\n".join([
        f"IPL-like burst of {count:,} OS messages through ActiveMQ over TLS -> source -> ansible-rulebook (a debug "
        "action per event).", "",
        table(["source filters", "storm", "events fired / expected", "engine events/s while busy",
               "storm msgs/s handled", "drain s (first publish to last fired)"], rows), "",
        f"Drain time without filters / with filters: {speedup:.1f}x."])
