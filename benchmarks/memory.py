"""Benchmark 3, memory: RSS of the source over a long storm and with a consumer that never drains.

Storm: N (>= 1,000,000) OS message notifications as fast as the publisher and the source go, through ActiveMQ
over TLS; the source process reports its RSS every second. Growth is the RSS at the end minus the RSS once
the first 10 % had passed (start-up allocations, caches and the JIT-like warm-up of dict/str pools are not
growth). The baseline is the same source process right after start (idle, subscribed).

Stalled consumer: the queue's put() never returns after the first 1,000 events while the publisher keeps
publishing for the given time; the source must stop reading (TCP backpressure to the broker) instead of
buffering, so its RSS must stay flat.
"""

import statistics
import time

from bench_lib import table
from rig import Rig
from throughput import SUBSCRIPTIONS


def _storm(rig: Rig, sim, count: int) -> list:
    source = rig.source("mem-storm", rig.broker_source_args(sim, SUBSCRIPTIONS), count=count,
                        extra=["--rss-every", "1", "--idle-timeout", "60"])
    start = source.expect("starting", 60)
    channel = rig.new_channel(sim)
    publisher = rig.publisher("mem-storm-pub", channel["topic-name"], count, object_uri=channel["object-uri"])
    publisher.expect("connected", 60)
    source.expect("probe", 60)
    idle = source.drain("rss")
    publisher.send("go")
    samples, done = source.gather("rss", "done", timeout=count / 200 + 120)
    rig.end(publisher)
    rig.end(source)
    if done["count"] != count:
        raise RuntimeError(f"the source delivered {done['count']} of {count} messages")
    counted = [s for s in samples if s["count"] > 0]
    warm = next((s for s in counted if s["count"] >= count // 10), counted[0])
    after_warm = [s["rss_mb"] for s in counted if s["t"] >= warm["t"]]
    baseline = idle[-1]["rss_mb"] if idle else start["rss_mb"]
    peak = max(s["rss_mb"] for s in samples)
    growth = done["rss_mb"] - warm["rss_mb"]
    timeline = " → ".join(f"{s['rss_mb']:.1f}" for s in _spread(counted, 6))
    return [f"storm, {count:,} msgs at {done['rate']:,.0f}/s", f"{baseline:.1f}", f"{warm['rss_mb']:.1f}",
            f"{statistics.median(after_warm):.1f}", f"{peak:.1f}", f"{done['rss_mb']:.1f}", f"{growth:+.1f}",
            "< 20 MB", "yes" if growth < 20 else "NO", timeline]


def _spread(samples: list, n: int) -> list:
    if len(samples) <= n:
        return samples
    step = (len(samples) - 1) / (n - 1)
    return [samples[round(i * step)] for i in range(n)]


def _stalled(rig: Rig, sim, seconds: float) -> list:
    source = rig.source("mem-stall", rig.broker_source_args(sim, SUBSCRIPTIONS), mode="stall",
                        extra=["--rss-every", "1", "--stall-after", "1000", "--max-seconds", str(seconds + 120)])
    source.expect("starting", 60)
    channel = rig.new_channel(sim)
    # More than the publisher can send in the time: it runs until stopped, blocked by flow control at times.
    publisher = rig.publisher("mem-stall-pub", channel["topic-name"], 10_000_000, object_uri=channel["object-uri"])
    publisher.expect("connected", 60)
    source.expect("stalled", 60)
    publisher.send("go")
    stall_start = time.time()
    baseline = source.drain("rss")
    time.sleep(seconds)
    samples = [s for s in source.drain("rss") if s["t"] >= stall_start]
    rig.end(publisher)
    rig.end(source)
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    peak = max(s["rss_mb"] for s in samples)
    growth = last - first
    timeline = " → ".join(f"{s['rss_mb']:.1f}" for s in _spread(samples, 6))
    base = baseline[-1]["rss_mb"] if baseline else first
    return [f"stalled consumer, {seconds:.0f} s of publishing", f"{base:.1f}", f"{first:.1f}",
            f"{statistics.median(s['rss_mb'] for s in samples):.1f}", f"{peak:.1f}", f"{last:.1f}", f"{growth:+.1f}",
            "bounded (< 20 MB)", "yes" if peak - first < 20 else "NO", timeline]


def run(count: int, stall_seconds: float) -> str:
    rig = Rig("memory")
    rows = []
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        rows.append(_storm(rig, sim, count))
        rows.append(_stalled(rig, sim, stall_seconds))
    finally:
        rig.stop()
    return "\n".join([
        "RSS of the source process in MiB (sampled every second); baseline = the same process idle and subscribed.",
        "", table(["run", "baseline", "after 10 % / at stall", "steady (median)", "peak", "end", "growth", "target",
                   "met", "timeline"], rows)])
