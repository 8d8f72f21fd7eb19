"""A benchmark-only event source for ansible-rulebook: puts pre-built events on the queue as fast as it can.

It measures the rules engine alone (benchmark "headroom"): the events are normalized OS message events as the
zhmc.notifications source emits them, read from a JSON file, so the engine sees the real size and shape. The
time of the first put is written to start_file; after count events one {"bench_done": true} follows.
"""

import asyncio
import json
import time


async def main(queue, args):
    with open(args["events_file"]) as handle:
        events = json.load(handle)
    count = int(args["count"])
    with open(args["start_file"], "w") as handle:
        handle.write(repr(time.time()))
    for index in range(count):
        await queue.put(events[index % len(events)])
    await queue.put({"bench_done": True})
    await asyncio.Event().wait()
