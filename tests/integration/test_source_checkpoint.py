"""The source with a checkpoint against hmcsim: a restarted source resumes where the last run stopped."""

import asyncio
import json

import pytest
from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.checkpoint import CheckpointError
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import event_uuid

SUBSCRIPTIONS = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}


def uuid_of(sim, message):
    """The meta.uuid a live event of this os-message-info has (console host, object id, sequence number)."""
    part = next(r for r in sim.control.resources() if r["name"] == "PART1")
    return event_uuid("os-message", "127.0.0.1", part["object-uri"].rsplit("/", 1)[-1], message["sequence-number"])


def written(sim, texts):
    return [sim.control.os_message("PART1", text) for text in texts]


def test_restart_recovers_what_the_console_wrote_meanwhile_with_the_live_uuids(hmcsim, tmp_path):
    path = tmp_path / "hmc1.json"
    args = source_args(hmcsim, SUBSCRIPTIONS, checkpoint=str(path))

    async def first_run():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            before = await asyncio.to_thread(written, hmcsim, ["IEA001I ONE", "IEA002I TWO"])
            events = await source.collect(2, of_type("os-message"))
            return before, events

    before, live = run(first_run())
    assert [e["meta"]["uuid"] for e in live] == [uuid_of(hmcsim, m) for m in before]
    # Stopped: the final write holds both (without feedback, the second one because the engine took it when
    # the test's queue.get returned; the source knows it once the next put returns, i.e. not yet).
    saved = json.loads(path.read_text())
    assert saved["format"] == "zhmc.notifications.checkpoint"
    cursor = next(iter(saved["cursors"]["cursors"].values()))
    assert cursor["last"] in (before[0]["sequence-number"], before[1]["sequence-number"])

    during = written(hmcsim, ["IEA003I THREE", "IEA004I FOUR", "IEA005I FIVE"])

    async def second_run():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            after = await asyncio.to_thread(written, hmcsim, ["IEA006I SIX"])
            events = []
            while not events or events[-1]["hmc"]["os_message"]["text"] != "IEA006I SIX":
                events.append(await source.wait_for(of_type("os-message")))
            return after, events

    after, events = run(second_run())
    texts = [e["hmc"]["os_message"]["text"] for e in events]
    # The event in flight at the stop may come again (same uuid), then everything written meanwhile, in order.
    expected = ["IEA003I THREE", "IEA004I FOUR", "IEA005I FIVE", "IEA006I SIX"]
    assert texts in (expected, ["IEA002I TWO", *expected]), texts
    assert [e["meta"]["uuid"] for e in events[-4:]] == [uuid_of(hmcsim, m) for m in during + after]
    assert hmcsim.control.sessions() == []


def test_messages_the_console_no_longer_keeps_are_reported_with_their_extent(hmcsim_factory, tmp_path):
    sim = hmcsim_factory(scenario="minimal")
    path = tmp_path / "c.json"
    args = source_args(sim, SUBSCRIPTIONS, checkpoint=str(path))

    async def first_run():
        async with RunningSource(args) as source:
            await until_subscribed(sim, 2)
            await asyncio.to_thread(written, sim, ["IEA001I ONE", "IEA002I TWO"])
            await source.collect(2, of_type("os-message"))

    run(first_run())
    last = next(iter(json.loads(path.read_text())["cursors"]["cursors"].values()))["last"]
    kept = 500  # hmcsim's default os_history
    during = written(sim, [f"IEA{n:03d}I STORM" for n in range(kept + 20)])

    async def second_run():
        async with RunningSource(args) as source:
            await until_subscribed(sim, 2)
            missed = await source.wait_for(of_type("notifications-missed"))
            first = await source.wait_for(of_type("os-message"))
            return missed, first

    missed, first = run(second_run())
    oldest_kept = during[-kept]["sequence-number"]
    assert missed["hmc"]["count"] == oldest_kept - (last + 1)
    assert (missed["hmc"]["first_sequence"], missed["hmc"]["last_sequence"]) == (last + 1, oldest_kept - 1)
    assert first["hmc"]["os_message"]["sequence_number"] == oldest_kept


@pytest.mark.parametrize(("change", "message"), [
    ({"subscriptions": {"os_messages": [{"cpc": "CPC1", "partitions": ["PART2"]}]}},
     "was written for other OS message subscriptions"),
    ({"hmc_host": "localhost:1"}, "was written for console"),
])
def test_a_foreign_checkpoint_stops_the_source_at_start(hmcsim, tmp_path, change, message):
    path = tmp_path / "c.json"
    args = source_args(hmcsim, SUBSCRIPTIONS, checkpoint=str(path))

    async def first_run():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(written, hmcsim, ["IEA001I ONE"])
            await source.wait_for(of_type("os-message"))

    run(first_run())

    logons = hmcsim.control.logons()
    with pytest.raises(CheckpointError, match=f"zhmc.notifications.hmc: checkpoint .*c.json {message}"):
        run(_start(dict(args, **change)))
    assert hmcsim.control.logons() == logons, "it failed before logging on"
    path.write_text(path.read_text()[:-20])
    with pytest.raises(CheckpointError, match=r"c\.json is corrupt"):
        run(_start(args))


async def _start(args):
    async with RunningSource(args) as source:
        await source.next()
