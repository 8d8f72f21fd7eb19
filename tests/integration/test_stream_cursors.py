"""Recovery cursors from the moment a resource is covered (issue 10, item 2).

A partition that wrote nothing since the source subscribed still has a cursor (seeded from the console's newest
OS message right after the broker confirmed the subscription), so what it writes during an outage is recovered.
"""

import asyncio

from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

OS_PART1 = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
FAST_RECONNECT = {"initial_delay": 0.3, "max_delay": 1.0}


def os_texts(events):
    return [e["hmc"]["os_message"]["text"] for e in events if e["hmc"]["type"] == "os-message"]


def test_quiet_partition_gets_the_messages_of_an_outage(hmcsim_factory):
    sim = hmcsim_factory("minimal")
    sim.control.os_message("PART1", "OLD0001I written before the source started")

    async def scenario():
        async with RunningSource(source_args(sim, OS_PART1, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(sim, 2)
            await asyncio.to_thread(sim.control.drop_connections, refuse_seconds=2.0)
            await source.wait_for(of_type("connection-lost"), timeout=30)
            for index in range(1, 4):
                await asyncio.to_thread(sim.control.os_message, "PART1", f"OUT000{index}I during the outage")
            await source.wait_for(of_type("connection-restored"), timeout=60)
            await source.wait_for(lambda e: "OUT0003I" in os_texts([e])[0] if os_texts([e]) else False, timeout=30)
            texts = os_texts(source.seen)
            assert [t.split()[0] for t in texts] == ["OUT0001I", "OUT0002I", "OUT0003I"], texts
            assert not [e for e in source.seen if e["hmc"]["type"] == "notifications-missed"]

    run(scenario())
