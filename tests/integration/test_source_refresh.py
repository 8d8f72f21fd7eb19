"""Refresh messages: a console re-sends the held messages still waiting for a reply to a listener that connects
to a channel opened with include-refresh-messages (is-refresh true). The source's include_refresh asks for them,
the filter exclude_refresh drops them, and a refresh carries the uuid of the message it repeats, so that a rule
throttled on event.meta.uuid (held_message_responder.yml) and the responder's claim (keyed by resource,
sequence number and reply id) answer a held message once however often it is re-sent.
"""

import asyncio

from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

FAST_RECONNECT = {"initial_delay": 0.3, "max_delay": 1.0}
PAYROLL = "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."


def lp01(include_refresh):
    return {"os_messages": [{"cpc": "CPC2", "lpars": ["LP01"], "include_refresh": include_refresh}]}


def test_a_new_listener_learns_of_the_held_message_once_per_connection_with_one_uuid(hmcsim):
    """Held before the source started: with include_refresh it arrives as a refresh, again after a reconnect,
    with the uuid and sequence number of the held message itself."""
    held = hmcsim.control.os_message("LP01", PAYROLL, held=True, reply_id="05")

    async def scenario():
        async with RunningSource(source_args(hmcsim, lp01(True), reconnect=FAST_RECONNECT)) as source:
            first = await source.wait_for(of_type("os-message"), timeout=30)
            await asyncio.to_thread(hmcsim.control.drop_connections)
            # The refresh may come before or after the source reports connection-restored.
            again = await source.wait_for(of_type("os-message"), timeout=30)
            kinds = [e["hmc"]["type"] for e in source.seen]
            assert "connection-lost" in kinds[kinds.index("os-message") + 1:]
        for event in (first, again):
            message = event["hmc"]["os_message"]
            assert (message["refresh"], message["held"], message["reply_id"], message["code"]) == \
                (True, True, "05", "IEF238D")
            assert message["sequence_number"] == held["sequence-number"]
        assert again["meta"]["uuid"] == first["meta"]["uuid"], "a rule throttled on the uuid acts once"

    run(scenario())


def test_without_include_refresh_or_with_exclude_refresh_no_refresh_arrives(hmcsim):
    """The default (include_refresh false) opens the channel without refresh messages; exclude_refresh drops
    them at the source. Live messages arrive either way."""
    hmcsim.control.os_message("LP01", PAYROLL, held=True, reply_id="05")

    async def live_only(args, sent):
        # The previous source's connection must be gone, or its subscription would count as this one's.
        await asyncio.to_thread(hmcsim.control.wait_for, lambda state: not state["stomp"], timeout=30,
                                what="no STOMP connection")
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 1, timeout=30)
            await asyncio.to_thread(hmcsim.control.os_message, "LP01", "IEF403I PAYROLL - STARTED")
            event = await source.wait_for(of_type("os-message"), timeout=30)
            assert event["hmc"]["os_message"]["code"] == "IEF403I", "nothing came before the live message"
            connections = await asyncio.to_thread(hmcsim.control.stomp_connections)
            assert [c["sent-messages"] for c in connections] == [sent], "what the console sent on the channel"
        # The broker ends a closed connection a moment after the source returned: the next run must not count
        # this one's subscriptions as its own.
        await asyncio.to_thread(hmcsim.control.wait_for, lambda state: not state["stomp"], 30, 0.05,
                                "the first source's connection gone")

    run(live_only(source_args(hmcsim, lp01(False)), sent=1))
    run(live_only(source_args(hmcsim, lp01(True), filters={"exclude_refresh": True}), sent=2))
