"""Helpers (no tests): run the real EDA source main() against hmcsim with a real asyncio queue.

The source is loaded with runpy from a path of the form .../ansible_collections/zhmc/notifications/..., as
ansible-rulebook loads an installed collection's source, so its own sys.path set-up is exercised too.
"""

import asyncio
import contextlib
import runpy
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def collection_tree():
    """A temporary ansible_collections/zhmc/notifications symlink to this checkout; returns its root."""
    root = Path(tempfile.mkdtemp(prefix="zhmc-ac-"))
    (root / "ansible_collections" / "zhmc").mkdir(parents=True)
    (root / "ansible_collections" / "zhmc" / "notifications").symlink_to(CHECKOUT)
    return root


_ROOT = collection_tree()
sys.path.insert(0, str(_ROOT))  # so tests import the same ansible_collections package the source uses


def load_source():
    """The source's globals, loaded the way ansible-rulebook loads it (runpy.run_path)."""
    path = _ROOT / "ansible_collections/zhmc/notifications/extensions/eda/plugins/event_source/hmc.py"
    return runpy.run_path(str(path))


def source_args(sim, subscriptions, **extra):
    args = {
        "hmc_host": sim.hmc_host,
        "hmc_auth": {"userid": "operator", "password": "operator-password", "ca_certs": sim.ca_file},
        "stomp_port": sim.stomp_port,
        "subscriptions": subscriptions,
    }
    args.update(extra)
    return args


class RunningSource:
    """main(queue, args) as a task; events() waits for events matching a predicate."""

    def __init__(self, args, queue_size=1):
        self.args = args
        self.queue = asyncio.Queue(queue_size)
        self.seen = []
        self.task = None

    async def __aenter__(self):
        main = load_source()["main"]
        self.task = asyncio.ensure_future(main(self.queue, self.args))
        return self

    async def __aexit__(self, *exc):
        if self.task.done():
            if not self.task.cancelled():
                self.task.exception()  # a failure was already raised to the test by next()
            return
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def next(self, timeout=10.0):
        getter = asyncio.ensure_future(self.queue.get())
        done = (await asyncio.wait({getter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED))[0]
        if getter in done:
            event = getter.result()
            self.seen.append(event)
            return event
        getter.cancel()
        if self.task in done:
            self.task.result()
            raise AssertionError("the source returned without an error")
        raise AssertionError(f"no event within {timeout}s; seen: {[e['hmc']['type'] for e in self.seen]}")

    async def wait_for(self, predicate, timeout=10.0):
        """The first event satisfying predicate (others are kept in seen)."""
        deadline = time.monotonic() + timeout
        while True:
            event = await self.next(max(0.01, deadline - time.monotonic()))
            if predicate(event):
                return event

    async def collect(self, count, predicate, timeout=10.0):
        found = []
        while len(found) < count:
            found.append(await self.wait_for(predicate, timeout))
        return found


async def until_subscribed(sim, topics, timeout=10.0):
    """Wait until hmcsim shows at least `topics` STOMP subscriptions."""
    deadline = time.monotonic() + timeout
    while True:
        conns = await asyncio.to_thread(sim.control.stomp_connections)
        count = sum(len(c.get("subscriptions") or []) for c in conns)
        if count >= topics:
            return conns
        if time.monotonic() > deadline:
            raise AssertionError(f"only {count} of {topics} subscriptions after {timeout}s: {conns}")
        await asyncio.sleep(0.05)


def of_type(kind, **fields):
    def predicate(event):
        hmc = event["hmc"]
        if hmc["type"] != kind:
            return False
        return all(_get(hmc, path) == value for path, value in fields.items())
    return predicate


def _get(hmc, path):
    value = hmc
    for part in path.split("__"):
        value = (value or {}).get(part)
    return value


def run(coro):
    return asyncio.run(coro)
