"""No OS message falls between re-subscribing and recovering after a reconnect.

After a reconnect the source re-subscribes and then asks List OS Messages for what it missed. If it asked
before the broker had put the subscriptions in effect, a message created in between would be in neither the
list nor the live stream: lost without a trace. hmcsim's --subscribe-delay-ms makes that window wide (a busy
broker); messages keep coming through the whole outage, and every one must arrive exactly once, in order.
"""

import asyncio
import threading

from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

FAST_RECONNECT = {"initial_delay": 0.2, "max_delay": 0.5}


def test_messages_created_while_subscriptions_take_effect_are_not_lost(hmcsim_factory):
    sim = hmcsim_factory("minimal", subscribe_delay_ms=700)
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    stop = threading.Event()
    created = []

    def keep_writing():
        while not stop.is_set():
            created.append(sim.control.os_message("PART1", f"RACE{len(created):04d}I tick")["sequence-number"])
            stop.wait(0.05)

    async def scenario():
        async with RunningSource(source_args(sim, subscriptions, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(sim, 2)  # PART1's OS message topic and the object topic
            writer = threading.Thread(target=keep_writing)
            writer.start()
            try:
                await asyncio.sleep(0.3)
                await asyncio.to_thread(sim.control.drop_connections)
                await source.wait_for(of_type("connection-restored"), timeout=30)
                await asyncio.sleep(1.0)
            finally:
                stop.set()
                await asyncio.to_thread(writer.join)
            last = created[-1]
            await source.wait_for(lambda e: e["hmc"]["type"] == "os-message"
                                  and e["hmc"]["os_message"]["sequence_number"] == last, timeout=30)
            received = [e["hmc"]["os_message"]["sequence_number"] for e in source.seen
                        if e["hmc"]["type"] == "os-message"]
            assert received == created, "every message once, in order, across the reconnect"
            assert not [e for e in source.seen if e["hmc"]["type"] == "notifications-missed"]

    run(scenario())
