"""Benchmark 10: the openstack source's rate against a bare kombu consumer draining the same notifications.

A private RabbitMQ node (the tests' ``rabbitmq_broker.py``: its own node, cookie and loopback ports, plain
AMQP) gets N ``compute.instance.update`` notifications published once with oslo.messaging's Notifier, as nova
publishes them. They land in two queues bound alike to the ``openstack`` exchange (``notifications.info``):
the pool queue the source reads (``pool: bench-source``) and one a bare kombu consumer reads (kombu decodes
each JSON body, the consumer acknowledges each, with the source's prefetch: the transport limit). A RabbitMQ queue
keeps what nobody reads yet, so both drain a queue that is already full; each rate is (N - 1) over the time
from its first to its last message. Rounds alternate which drains first. A figure without a target: o/k.

    make bench BENCH_ARGS="--only openstack"

Run as ``openstack_rate.py source ARGS_JSON COUNT`` or ``openstack_rate.py kombu URL QUEUE COUNT`` it is one
of the two consumers (a process of its own, reporting JSON lines like every benchmark child).
"""

import asyncio
import json
import logging
import statistics
import sys
import time
from pathlib import Path

from bench_lib import PYTHON, REPO_ROOT, Child, emit, fresh_dir, ratio_rounds, table
from source_driver import load_source_main

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

SOURCE_FILE = REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source" / "openstack.py"
POOL = "bench-source"
KOMBU_QUEUE = "bench-kombu"
EVENT_TYPE = "compute.instance.update"
PREFETCH = 512
"""The source's default prefetch, given to the kombu consumer too."""
LISTENING = "listening for OpenStack notifications"


# -- the two consumers (child processes) --------------------------------------------------------------

class _Ready(logging.Handler):
    """Reports once the source says it listens (its pool queue exists and is bound from then on)."""

    def emit(self, record):
        if LISTENING in record.getMessage():
            emit(event="listening")


class _CountingQueue:
    def __init__(self, count):
        self.count = count
        self.seen = 0
        self.first = self.last = None
        self.done = asyncio.Event()

    async def put(self, event):
        if (event.get("openstack") or {}).get("type") != EVENT_TYPE:
            return
        self.last = time.time()
        self.first = self.first or self.last
        self.seen += 1
        if self.seen == self.count:
            self.done.set()


async def _run_source(args, count):
    main = load_source_main(SOURCE_FILE)
    queue = _CountingQueue(count)
    task = asyncio.get_running_loop().create_task(main(queue, args))
    waiter = asyncio.ensure_future(queue.done.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done() and task.exception() is not None:
        emit(event="error", message=f"source main() raised: {task.exception()!r}")
        return
    emit(event="done", count=queue.seen, first=queue.first, last=queue.last)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _run_kombu(url, queue_name, count):
    import kombu

    exchange = kombu.Exchange("openstack", type="topic", durable=False)
    queue = kombu.Queue(queue_name, exchange, routing_key="notifications.info", durable=False)
    state = {"seen": 0, "first": None, "last": None}

    def on_message(body, message):
        message.ack()  # kombu decoded the JSON body already (content type application/json)
        state["last"] = time.time()
        state["first"] = state["first"] or state["last"]
        state["seen"] += 1

    with kombu.Connection(url.replace("rabbit://", "amqp://")) as connection:
        queue(connection.default_channel).declare()
        emit(event="listening")
        with connection.Consumer(queue, callbacks=[on_message], prefetch_count=PREFETCH, accept=["json"]):
            while state["seen"] < count:
                connection.drain_events(timeout=120)
    emit(event="done", count=state["seen"], first=state["first"], last=state["last"])


# -- the orchestrator ---------------------------------------------------------------------------------

class _Bench:
    def __init__(self, count):
        from rabbitmq_broker import RabbitMQBroker

        self.count = count
        self.dir = fresh_dir("openstack")
        self.broker = RabbitMQBroker(self.dir / "rabbitmq").start()
        self.url = self.broker.url()
        self.args_file = self.dir / "source-args.json"
        self.args_file.write_text(json.dumps({"transport_url": self.url, "pool": POOL, "priorities": ["info"]}))
        self.runs = 0

    def consumer(self, kind, count):
        self.runs += 1
        argv = ([PYTHON, __file__, "source", str(self.args_file), str(count)] if kind == "o"
                else [PYTHON, __file__, "kombu", self.url, KOMBU_QUEUE, str(count)])
        env = {"PYTHONPATH": str(REPO_ROOT / ".tmp" / "collections")}
        return Child(f"{kind}{self.runs}", argv, self.dir / "logs", env=env)

    def declare_queues(self):
        """Start each consumer once so that its queue exists and is bound before anything is published."""
        for kind in ("o", "k"):
            child = self.consumer(kind, 1)
            child.expect("listening", 120)
            child.stop()

    def publish(self):
        from openstack_publish import Publisher, request

        with Publisher(self.url) as publisher:
            nova = publisher.notifier("compute.kvm1")
            for n in range(self.count):
                nova.info(request(f"req-{n}"), EVENT_TYPE, {"instance_id": f"i-{n}", "n": n})

    def drain(self, kind):
        child = self.consumer(kind, self.count)
        try:
            done = child.expect("done", 120 + self.count / 200)
        finally:
            child.stop()
        if done["count"] != self.count:
            raise RuntimeError(f"{kind} drained {done['count']} of {self.count}")
        return (self.count - 1) / (done["last"] - done["first"])

    def stop(self):
        self.broker.stop()


def run(count: int, rounds: int) -> str:
    bench = _Bench(count)
    rates = {"o": [], "k": []}
    try:
        bench.declare_queues()

        def measure(kind, number):
            if len(rates["o"]) == len(rates["k"]):  # a round's first drain: publish once, for both queues
                bench.publish()
            rates[kind].append(bench.drain(kind))
            return rates[kind][-1]

        rows, median = ratio_rounds(rounds, ("o", "k"), measure, lambda got: got["o"] / got["k"])
    finally:
        bench.stop()
    return "\n".join([
        f"{count:,} `{EVENT_TYPE}` notifications per round (oslo.messaging Notifier, RabbitMQ on loopback, plain "
        "AMQP), drained from a full queue by (o) the openstack source's main() with a counting queue and (k) a bare "
        f"kombu consumer (JSON decoded by kombu, one ack each, prefetch {PREFETCH}).", "",
        table(["round", "(o) source msgs/s", "(k) kombu msgs/s", "o/k"], rows), "",
        f"Median o/k {median:.2f} (a figure, no target); source {statistics.median(rates['o']):,.0f} msgs/s."])


def _child(argv):
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if argv[0] == "source":
        logging.getLogger("zhmc.notifications").addHandler(_Ready())
        logging.getLogger("zhmc.notifications").setLevel(logging.INFO)
        asyncio.run(_run_source(json.loads(Path(argv[1]).read_text()), int(argv[2])))
    else:
        _run_kombu(argv[1], argv[2], int(argv[3]))


if __name__ == "__main__":
    _child(sys.argv[1:])
