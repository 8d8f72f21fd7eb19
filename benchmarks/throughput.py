"""Benchmark 1, throughput: N OS message notifications through ActiveMQ over TLS into three receivers.

(a) a bare stomp.py listener that only parses the JSON body (the transport limit), (b) zhmcclient's
NotificationReceiver (the reference), (c) the collection's source main() with a counting queue (WS API from
hmcsim, STOMP from the broker: the source connects to stomp_port on the console host, which is the broker).

The publisher sends concurrently with the receiver (a topic keeps nothing for absent subscribers, so there is
no honest way to pre-load it); it is a raw pre-encoded TLS writer that needs far less CPU than any receiver,
and producer flow control makes it wait for the slowest. The rate is that of the receiver: messages between
its first and last data message, divided by the time between them. Rounds alternate the order (a b c, c b a)
so that drift in the machine's load hits all three alike; ratios are taken within a round.
"""

import statistics

from bench_lib import PYTHON, ZHMCCLIENT_PYTHON, table
from rig import Rig

KINDS = {"a": PYTHON, "a8": ZHMCCLIENT_PYTHON, "a9b": PYTHON, "aa": PYTHON, "b": None, "c": None}
NAMES = {"a": "(a) bare stomp.py 9 listener + json.loads (transport limit)",
         "a8": "(a8) the same on stomp.py 8.2 (zhmcclient's pin)",
         "a9b": "(a9b) stomp.py 9 with its TLS socket set back to blocking (experiment)",
         "aa": "(aa) asyncio TLS reader, frames split by hand + json.loads (experiment, no stomp.py)",
         "b": "(b) zhmcclient.NotificationReceiver (stomp.py 8.2)",
         "c": "(c) zhmc.notifications.hmc main(), counting queue (stomp.py 9)"}

SUBSCRIPTIONS = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}


def _one(rig: Rig, kind: str, label: str, count: int, sim) -> dict:
    timeout = 120 + count / 500
    if kind.startswith("a"):
        topic, uri = f"bench.{label}", None
        receiver = rig.bare_receiver(f"recv-{label}", topic, count, python=KINDS[kind],
                                     extra=["--blocking-tls"] if kind == "a9b" else None,
                                     script="receiver_asyncio.py" if kind == "aa" else "receiver_stomp.py")
    elif kind == "b":
        topic, uri = f"bench.{label}", None
        receiver = rig.zhmcclient_receiver(f"recv-{label}", topic, count)
    else:
        receiver = rig.source(f"recv-{label}", rig.broker_source_args(sim, SUBSCRIPTIONS),
                              count=count)
        channel = rig.new_channel(sim)
        topic, uri = channel["topic-name"], channel["object-uri"]
    publisher = rig.publisher(f"pub-{label}", topic, count, object_uri=uri)
    publisher.expect("connected", 60)
    receiver.expect("probe", 60)
    publisher.send("go")
    result = receiver.expect("done", timeout)
    publisher.expect("sent", 60)
    rig.end(publisher)
    rig.end(receiver)
    if result["count"] != count:
        raise RuntimeError(f"receiver {kind} got {result['count']} of {count} messages")
    return result


def _thread_split(rounds: list[dict]) -> list[str]:
    """'main 90, other threads 130' per round: where a receiver's CPU goes (main = asyncio loop for (c))."""
    return [f"main {r.get('main', 0)} / other threads {sum(v for k, v in r.items() if k != 'main')}" for r in rounds]


def run(count: int, rounds: int) -> str:
    rig = Rig("throughput")
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        rates: dict[str, list[float]] = {k: [] for k in KINDS}
        rss: dict[str, list[float]] = {k: [] for k in KINDS}
        cpu: dict[str, list[float]] = {k: [] for k in KINDS}
        ratio_ca, ratio_cb = [], []
        threads: dict[str, list[dict]] = {k: [] for k in KINDS}
        # Warm the broker's JIT first: the first thousands of messages through a cold JVM are slower.
        _one(rig, "a", "warmup", min(count, 20_000), sim)
        for number in range(rounds):
            order = list(KINDS) if number % 2 == 0 else list(reversed(KINDS))
            got = {kind: _one(rig, kind, f"{kind}{number}", count, sim) for kind in order}
            for kind, result in got.items():
                rates[kind].append(result["rate"])
                rss[kind].append(result["rss_mb"])
                cpu[kind].append(result["cpu_us_per_msg"])
                threads[kind].append(result.get("thread_cpu_us_per_msg") or {})
            ratio_ca.append(got["c"]["rate"] / got["a"]["rate"])
            ratio_cb.append(got["c"]["rate"] / got["b"]["rate"])
    finally:
        rig.stop()
    rows = [[NAMES[k], f"{statistics.median(rates[k]):,.0f}", " / ".join(f"{r:,.0f}" for r in rates[k]),
             f"{statistics.median(cpu[k]):.0f}", f"{max(rss[k]):.0f}"] for k in KINDS]
    out = [f"N = {count:,} OS message notifications per receiver and round, {rounds} round(s), STOMP 1.2 over TLS "
           "through ActiveMQ 5.17 (publisher concurrent)", "",
           table(["receiver", "msgs/s (median)", "per round", "CPU µs/msg (median)", "RSS at end (MiB)"], rows), "",
           table(["ratio", "median", "per round", "target", "met"], [
               ["c/a", f"{statistics.median(ratio_ca):.2f}", " / ".join(f"{r:.2f}" for r in ratio_ca), ">= 0.9",
                "yes" if statistics.median(ratio_ca) >= 0.9 else "NO"],
               ["c/b", f"{statistics.median(ratio_cb):.2f}", " / ".join(f"{r:.2f}" for r in ratio_cb), ">= 1.3",
                "yes" if statistics.median(ratio_cb) >= 1.3 else "NO"]]), "",
           "CPU µs/msg: CPU time of the receiver's process (all threads) from its first to its last data message, "
           "divided by N: less sensitive to other load on the machine than the wall-clock rate. "
           f"CPU ratio a/c = {statistics.median(cpu['a']) / statistics.median(cpu['c']):.2f}, "
           f"b/c = {statistics.median(cpu['b']) / statistics.median(cpu['c']):.2f} (1/cost, comparable to c/a, c/b).",
           "", "CPU µs/msg per thread (the GIL serializes them, so they add up): "
           + "; ".join(f"{k}: " + ", ".join(_thread_split(threads[k])) for k in ("a", "c"))]
    return "\n".join(out)
