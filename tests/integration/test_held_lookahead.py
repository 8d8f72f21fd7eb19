"""held_lookahead against hmcsim: a held message written while the stream lags behind a storm comes at once
(from List OS Messages, is-held) and once (its stream copy is dropped), and no OS message is lost or doubled.

hmcsim's stall holds every frame of the STOMP connection for some seconds: the stream lags exactly as a
receiver behind a storm does, while the console's history already has the held message.
"""

import asyncio
import time

from test_source_helpers import RunningSource, run, source_args, until_subscribed

OS_PART1 = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
HELD_TEXT = "IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."


def os_events(events):
    return [e for e in events if e["hmc"]["type"] == "os-message"]


def code_is(code):
    return lambda e: (e["hmc"].get("os_message") or {}).get("code") == code


async def held_while_lagging(sim, source):
    """A storm, then a stall of the stream and a held message written during it; returns (held message, seconds
    from writing it to its event, the number of OS events seen before it)."""
    control = sim.control
    await asyncio.to_thread(control.storm, "PART1", 200, 6)
    await asyncio.sleep(2.0)  # the source sees the storm rate (held_lookahead 50)
    await asyncio.to_thread(control.stall_heartbeats, 5)
    await asyncio.to_thread(control.os_message, "PART1", "MID0001I written before the held message")
    written = time.monotonic()
    held = await asyncio.to_thread(control.os_message, "PART1", HELD_TEXT, held=True, reply_id="31")
    event = await source.wait_for(code_is("IEF238D"), timeout=4.5)
    assert event["hmc"]["os_message"]["held"] is True and event["hmc"]["os_message"]["reply_id"] == "31"
    assert event["hmc"]["os_message"]["sequence_number"] == held["sequence-number"]
    return held, time.monotonic() - written, len(os_events(source.seen)) - 1


def test_a_held_message_comes_at_once_while_the_stream_lags_and_every_message_once(hmcsim):
    async def scenario():
        args = source_args(hmcsim, OS_PART1, held_lookahead=50)
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            first = (await asyncio.to_thread(hmcsim.control.os_message, "PART1", "BEG0001I"))["sequence-number"]
            held, seconds, before = await held_while_lagging(hmcsim, source)
            assert seconds < 4.5, "it came during the stall, from List OS Messages"
            await asyncio.sleep(5)  # the stall and the storm end
            end = (await asyncio.to_thread(hmcsim.control.os_message, "PART1", "END0001I"))["sequence-number"]
            await source.wait_for(code_is("END0001I"), timeout=60)
            numbers = [e["hmc"]["os_message"]["sequence_number"] for e in os_events(source.seen)]
            assert sorted(numbers) == list(range(first, end + 1)), "every OS message once"
            assert numbers.index(held["sequence-number"]) == before
            assert any(n < held["sequence-number"] for n in numbers[before + 1:]), \
                "it came ahead of routine messages written before it"
            others = [n for i, n in enumerate(numbers) if i != before]
            assert others == sorted(others), "the others in order"
            assert not [e for e in source.seen if e["hmc"]["type"] == "notifications-missed"]

    run(scenario())


def test_with_the_responders_filters_the_held_message_comes_at_once_and_once(hmcsim):
    """Held only (as held_message_responder.yml filters): the storm is dropped in the receiver process, whose
    runs of dropped numbers tell the source that PART1 storms."""
    async def scenario():
        args = source_args(hmcsim, OS_PART1, held_lookahead=50, filters={"types": ["os-message"], "held": True})
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            held, seconds, before = await held_while_lagging(hmcsim, source)
            assert seconds < 4.5 and before == 0
            await asyncio.sleep(5)
            later = await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA000A SECOND", held=True,
                                            reply_id="32")
            await source.wait_for(code_is("IEA000A"), timeout=60)
            assert [e["hmc"]["os_message"]["sequence_number"] for e in os_events(source.seen)] == \
                [held["sequence-number"], later["sequence-number"]], "each held message once"
            assert not [e for e in source.seen if e["hmc"]["type"] in ("notifications-missed", "parse-error")]

    run(scenario())


def test_without_the_option_the_held_message_waits_for_its_stream(hmcsim):
    """The same stall without held_lookahead: nothing asks the console, the held message comes after the stall."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1)) as source:
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.stall_heartbeats, 3)
            written = time.monotonic()
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", HELD_TEXT, held=True, reply_id="33")
            await source.wait_for(code_is("IEF238D"), timeout=30)
            assert time.monotonic() - written > 2.5
            assert not [e for e in source.seen if e["hmc"]["type"] == "connection-lost"], [
                e["hmc"]["type"] for e in source.seen]

    run(scenario())


def test_a_stalled_stream_without_a_storm_is_not_looked_ahead_of(hmcsim):
    """A held message is looked for only on storming systems: a quiet stream that lags is read as it comes."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1, held_lookahead=50)) as source:
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.stall_heartbeats, 3)
            written = time.monotonic()
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", HELD_TEXT, held=True, reply_id="34")
            event = await source.wait_for(code_is("IEF238D"), timeout=30)
            assert time.monotonic() - written > 2.5 and event["hmc"]["os_message"]["reply_id"] == "34"

    run(scenario())
