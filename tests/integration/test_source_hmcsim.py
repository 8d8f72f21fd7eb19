"""The EDA source's main() against hmcsim over TLS, with a real asyncio queue."""

import asyncio
import re

import pytest
from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError

FAST_RECONNECT = {"initial_delay": 0.3, "max_delay": 1.0}


def test_notification_kinds_become_events(hmcsim):
    """OS message (held), job completion with status, status change and audit entry, from one session."""
    subscriptions = {
        "os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}],
        "jobs": True,
        "object_changes": {"types": ["status-change"]},
        "audit": True,
    }

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 4)
            control = hmcsim.control
            await asyncio.to_thread(control.os_message, "PART1", "IEF238D JOB1 - REPLY DEVICE NAME", held=True,
                                    reply_id="05")
            event = await source.wait_for(of_type("os-message"))
            message = event["hmc"]["os_message"]
            assert (message["code"], message["reply_id"], message["held"]) == ("IEF238D", "05", True)
            assert event["hmc"]["resource"]["name"] == "PART1" and event["hmc"]["resource"]["cpc"] == "CPC1"
            assert event["meta"]["uuid"]

            session = await asyncio.to_thread(control.only_session)
            job = await asyncio.to_thread(control.step, "job_completion", resource="PART1", session=session)
            event = await source.wait_for(of_type("job-completion"))
            assert event["hmc"]["job"]["uri"] == job["job-uri"]
            assert event["hmc"]["job"]["status"] == "complete"  # filled by job_status

            await asyncio.to_thread(control.set_status, "PART2", "stopped")
            event = await source.wait_for(of_type("status-change"))
            assert event["hmc"]["resource"]["name"] == "PART2" and event["hmc"]["status"]["new"] == "stopped"

            await asyncio.to_thread(control.step, "log_entry", log="audit", event_name="Logon", message="hello")
            event = await source.wait_for(of_type("log-entry"))
            assert event["hmc"]["log_entry"]["message"] == "hello"

    run(scenario())


def test_filters_drop_at_source(hmcsim):
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partition_regex": "PART[12]"}]}
    args = source_args(hmcsim, subscriptions, filters={"names": ["PART2"], "message_codes": ["IEA*"]})

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 3)
            for resource, text in (("PART1", "IEA000I ONE"), ("PART2", "IEF000I TWO"), ("PART2", "IEA001I THREE")):
                await asyncio.to_thread(hmcsim.control.os_message, resource, text)
            event = await source.next()
            assert event["hmc"]["os_message"]["text"] == "IEA001I THREE"

    run(scenario())


def test_held_filter_keeps_held_messages_and_unreadable_notifications(hmcsim):
    """Routine messages are dropped as they are read; a held message and a parse-error still arrive, in order."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    args = source_args(hmcsim, subscriptions, filters={"held": True})

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            for text in ("IEF403I JOB1 - STARTED", "IEA000I ROUTINE"):
                await asyncio.to_thread(hmcsim.control.os_message, "PART1", text)
            await asyncio.to_thread(hmcsim.control.inject, "os-message", resource="PART1",
                                    topic_type="os-message-notification", body={"os-messages": "not a list"})
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "*05 IEF238D JOB1 - REPLY", held=True,
                                    reply_id="05")
            first, second = await source.next(), await source.next()
            assert first["hmc"]["type"] == "parse-error"
            assert (second["hmc"]["os_message"]["code"], second["hmc"]["os_message"]["indicator"]) == ("IEF238D", "*")

    run(scenario())


def test_bcpii_split_message_is_reassembled(hmcsim):
    subscriptions = {"bcpii": [{"cpc": "CPC1", "targets": ["PART1"], "events": ["os-message"]}]}
    text = "IEA999I " + "X" * 2500

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 1)
            await asyncio.to_thread(hmcsim.control.step, "split_os_message", resource="PART1", text=text)
            event = await source.wait_for(of_type("os-message"))
            assert event["hmc"]["os_message"]["text"] == text
            assert event["hmc"]["bcpii"]["target_name"] == "PART1"

    run(scenario())


def test_dropped_connection_recovers_os_messages_exactly_once(hmcsim):
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    args = source_args(hmcsim, subscriptions, reconnect={"initial_delay": 1.0, "max_delay": 2.0})

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            control = hmcsim.control
            await asyncio.to_thread(control.os_message, "PART1", "MSG0001I before")
            await source.wait_for(of_type("os-message"))
            await asyncio.to_thread(control.drop_connections)
            for n in range(2, 5):  # published while the source waits to reconnect
                await asyncio.to_thread(control.os_message, "PART1", f"MSG000{n}I during")
            lost = await source.wait_for(of_type("connection-lost"))
            assert lost["hmc"]["severity"] == "error"
            restored = await source.wait_for(of_type("connection-restored"), timeout=15)
            assert restored["hmc"]["outage_seconds"] > 0
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(control.os_message, "PART1", "MSG0005I after")
            await source.wait_for(lambda e: e["hmc"]["os_message"] and e["hmc"]["os_message"]["code"] == "MSG0005I"
                                  if e["hmc"]["type"] == "os-message" else False)
            texts = [e["hmc"]["os_message"]["code"] for e in source.seen if e["hmc"]["type"] == "os-message"]
            assert texts == ["MSG0001I", "MSG0002I", "MSG0003I", "MSG0004I", "MSG0005I"]

    run(scenario())


def test_stalled_heartbeats_are_detected_and_recovered(hmcsim_factory):
    hmcsim = hmcsim_factory(heartbeat_ms=1000)
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    args = source_args(hmcsim, subscriptions, heartbeat=1, reconnect=FAST_RECONNECT)

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await asyncio.to_thread(hmcsim.control.stall_heartbeats, 30)
            lost = await source.wait_for(of_type("connection-lost"), timeout=10)
            assert loop.time() - started < 5, "half-open connection noticed within about two intervals"
            assert "heart-beat" in lost["hmc"]["reason"]
            await source.wait_for(of_type("connection-restored"), timeout=15)
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA100I after stall")
            await source.wait_for(of_type("os-message"))

    run(scenario())


def test_console_restart_relogon_and_resubscribe(hmcsim):
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}], "jobs": True}
    args = source_args(hmcsim, subscriptions, reconnect=FAST_RECONNECT)

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 3)
            before = {c["topic-name"] for c in await asyncio.to_thread(hmcsim.control.channels)}
            await asyncio.to_thread(hmcsim.control.restart_console, 0.5)
            await source.wait_for(of_type("connection-lost"))
            await source.wait_for(of_type("connection-restored"), timeout=20)
            await until_subscribed(hmcsim, 3)
            after = {c["topic-name"] for c in await asyncio.to_thread(hmcsim.control.channels)}
            assert after and after != before, "topic names changed with the new session"
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA200I after restart")
            event = await source.wait_for(of_type("os-message"))
            assert event["hmc"]["topic"]["name"] in after

    run(scenario())


def test_inventory_add_subscribes_new_partition(hmcsim):
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partition_regex": "NEW.*"}]}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 1)  # the object topic only: nothing matches yet
            await asyncio.to_thread(hmcsim.control.step, "inventory", action="add", cpc="CPC1", name="NEW1",
                                    status="active", os_name="LNX9")
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.os_message, "NEW1", "IEA300I new partition")
            event = await source.wait_for(of_type("os-message"))
            assert event["hmc"]["resource"]["name"] == "NEW1"

    run(scenario())


def test_shutdown_logs_off(hmcsim):
    subscriptions = {"jobs": True}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)):
            await until_subscribed(hmcsim, 1)
            assert len(await asyncio.to_thread(hmcsim.control.sessions)) == 1
        assert await asyncio.to_thread(hmcsim.control.sessions) == []

    run(scenario())


@pytest.mark.parametrize(("option", "value", "message"), [
    ("heartbeat", "abc", "option 'heartbeat' must be a non-negative number, got 'abc'"),
    ("subscriptions", {"os_messages": [{"cpc": "CPC1", "partition_regex": "("}]},
     "subscriptions.os_messages[0].partition_regex: the console refused the regular expression '('"),
])
def test_bad_args_fail_at_start(hmcsim, option, value, message):
    args = source_args(hmcsim, {"jobs": True})
    args[option] = value

    async def scenario():
        async with RunningSource(args) as source:
            with pytest.raises(Exception, match=re.escape(message)):  # ValueError, or SubscriptionError
                await source.next()

    run(scenario())


def test_wrong_password_fails_fast(hmcsim):
    args = source_args(hmcsim, {"jobs": True})
    args["hmc_auth"]["password"] = "wrong"

    async def scenario():
        async with RunningSource(args) as source:
            with pytest.raises(HmcError, match=r"Logon of user 'operator' .* failed: HTTP 403"):
                await source.next(timeout=10)

    run(scenario())
