"""Benchmark 4, start-up: from main() called to every topic subscribed, with 1, 50 and 200 OS message channels.

hmcsim adds a fixed latency to every WS API request (--latency-ms 20, a console across a WAN or under load)
so that the cost of the REST calls the start-up needs shows. Baselines in the same run: the same start-up with
0 ms (the pure cost of the source and hmcsim), and the sequential estimate (requests x 20 ms) that a client
opening channels one after another would need. "Subscribed" is read from hmcsim's control API: the moment
its STOMP endpoint holds a connection with all N OS message topics (plus the object topic) subscribed.
"""

import time

from bench_lib import table
from rig import Rig

SUBSCRIBE_POLL = 0.01


def scenario_text(channels: int) -> str:
    """A console with one DPM CPC of `channels` active partitions running z/OS."""
    parts = "\n".join(f"      - {{name: PART{i:03d}, status: active, os_name: ZOS{i:03d}, os_type: MVS}}"
                      for i in range(1, channels + 1))
    return (f"console: {{name: HMC1, type: hmc, api_version: '4.10', session_limit: 50}}\n"
            f"users:\n  - {{userid: operator, password: operator-password, permissions: ['*']}}\n"
            f"cpcs:\n  - name: CPC1\n    dpm: true\n    partitions:\n{parts}\n")


def _time_to_subscribed(rig: Rig, sim, channels: int, label: str) -> float:
    names = [f"PART{i:03d}" for i in range(1, channels + 1)]
    args = rig.source_args(sim, {"os_messages": [{"cpc": "CPC1", "partitions": names}]})
    source = rig.source(f"start-{label}", args, mode="soak", extra=["--max-seconds", "120"])
    started = source.expect("starting", 60)["t"]
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            for conn in sim.control.stomp_connections():
                if len(conn["subscriptions"]) >= channels + 1:
                    return time.time() - started
            time.sleep(SUBSCRIBE_POLL)
        raise TimeoutError(f"{channels} channels not subscribed within 60 s; log: {source.log_tail()}")
    finally:
        rig.end(source)


def run(quick: bool) -> str:
    counts = [1, 50, 200]
    repeats = 1 if quick else 3
    rig = Rig("startup")
    rows = []
    try:
        path = rig.dir / "channels-200.yaml"
        path.write_text(scenario_text(200))
        results = {}
        for latency in (0, 20):
            sim = rig.start_sim(str(path), name=f"hmcsim-{latency}ms", latency_ms=latency)
            for channels in counts:
                results[latency, channels] = sorted(
                    _time_to_subscribed(rig, sim, channels, f"{latency}ms-{channels}-{n}") for n in range(repeats))
            rig.stop_sim(sim)
    finally:
        rig.stop()
    for channels in counts:
        fast, slow = results[0, channels], results[20, channels]
        median0, median20 = fast[len(fast) // 2], slow[len(slow) // 2]
        sequential = (channels + 4) * 0.020
        target = "< 2 s" if channels == 200 else ""
        met = ("yes" if median20 < 2 else "NO") if channels == 200 else ""
        rows.append([channels, f"{median0:.3f}", f"{median20:.3f}", f"{median20 - median0:.3f}", f"{sequential:.2f}",
                     f"{sequential / median20:.1f}x", target, met])
    return "\n".join([
        f"Seconds from main() called to all topics subscribed (median of {repeats}); hmcsim STOMP, TLS everywhere.",
        "", table(["OS channels", "0 ms/request", "20 ms/request", "added by latency", "sequential estimate (s)",
                   "speed-up vs sequential", "target", "met"], rows), "",
        "sequential estimate = (channels + 4 requests: logon, list CPCs, list partitions, object topic) x 20 ms."])
