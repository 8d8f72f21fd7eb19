"""Receiver (c): the collection's EDA source, main(queue, args), run in a process of its own.

The queue stands in for ansible-rulebook's: `await put(event)` is all the source may use. Modes:
- count: put returns at once; OS message events are tallied like receivers (a) and (b) tally frames, so the
  three figures are comparable. Synthetic events (connection-lost, ...) are reported with their arrival time.
- stall: put blocks for ever after --stall-after events (a consumer that never drains), to show that memory
  stays bounded while the broker keeps publishing.
- soak: like count, but never stops by itself and reports every OS message's (resource, sequence number) so
  that the orchestrator can count losses and duplicates; RSS is reported every --rss-every seconds.

Output is JSON lines on stdout (see bench_lib.Child); the source's own logging goes to stderr.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import runpy
import signal
import sys
import threading
import time

from bench_lib import REPO_ROOT, Tally, emit, tree_rss_mb

SOURCE_FILE = REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source" / "hmc.py"
COLLECTIONS_ROOT = REPO_ROOT / ".tmp" / "collections"


def load_source_main(source_file=SOURCE_FILE):
    """Import a source the way ansible-rulebook does (runpy), with the checkout as the collection."""
    link = COLLECTIONS_ROOT / "ansible_collections" / "zhmc" / "notifications"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS_ROOT))
    return runpy.run_path(str(source_file))["main"]


class BenchQueue:
    """The stand-in for the rulebook's queue."""

    def __init__(self, tally: Tally, mode: str, stall_after: int):
        self.tally = tally
        self.mode = mode
        self.stall_after = stall_after
        self.events = 0
        self.stalled = asyncio.Event()

    async def put(self, event):
        self.events += 1
        hmc = event.get("hmc") or {}
        kind = hmc.get("type")
        if kind == "os-message":
            message = hmc["os_message"]
            if self.mode == "soak":
                emit(event="os", uri=hmc["resource"]["uri"], seq=message["sequence_number"], t=time.time())
            else:
                self.tally.message(message["text"], hmc["sequence"]["global"])
        else:
            emit(event="source-event", type=kind, t=time.time(),
                 detail={k: v for k, v in hmc.items() if k in ("outage_seconds", "attempts", "reason", "count")})
        if self.mode == "stall" and self.events >= self.stall_after:
            if not self.stalled.is_set():
                self.stalled.set()
                emit(event="stalled", events=self.events)
            await asyncio.Event().wait()


async def run(args) -> None:
    main = load_source_main()
    with open(args.args_json) as handle:
        source_args = json.load(handle)
    tally = Tally(args.count, keep_times=bool(args.times))
    queue = BenchQueue(tally, args.mode, args.stall_after)
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()
    started = time.time()
    emit(event="starting", t=started, rss_mb=tree_rss_mb(os.getpid()))
    task = loop.create_task(main(queue, source_args))
    # SIGTERM (the orchestrator stopping this driver) ends the run like a normal end, so that the source
    # stops as ansible-rulebook stops it (cancelled: it closes its connections and logs off).
    loop.add_signal_handler(signal.SIGTERM, finished.set)

    def report():
        tally.wait_and_report(args.idle_timeout, args.times, events=lambda: queue.events)
        loop.call_soon_threadsafe(finished.set)

    if args.mode == "count":
        threading.Thread(target=report, daemon=True).start()

    async def rss_reporter():
        while True:
            await asyncio.sleep(args.rss_every)
            emit(event="rss", t=time.time(), rss_mb=tree_rss_mb(os.getpid()), events=queue.events, count=tally.count,
                 threads=threading.active_count())

    reporter = loop.create_task(rss_reporter()) if args.rss_every else None
    waiter = loop.create_task(finished.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=args.max_seconds, return_when=asyncio.FIRST_COMPLETED)
    if task in done and task.exception() is not None:
        emit(event="error", message=f"source main() raised: {task.exception()!r}")
    for pending in (task, waiter, reporter):
        if pending is not None:
            pending.cancel()
    # The outcome was reported above; here the task only has to finish (it logs off on cancellation).
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(task, 10)
    emit(event="exit", t=time.time(), rss_mb=tree_rss_mb(os.getpid()), events=queue.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--args-json", required=True, help="file with the source's args (as in a rulebook)")
    parser.add_argument("--mode", choices=("count", "stall", "soak"), default="count")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--times")
    parser.add_argument("--idle-timeout", type=float, default=15)
    parser.add_argument("--stall-after", type=int, default=1000)
    parser.add_argument("--rss-every", type=float, default=0)
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
