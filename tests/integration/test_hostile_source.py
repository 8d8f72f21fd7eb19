"""Hostile and malformed notifications sent to a running EDA source through hmcsim's STOMP endpoint.

Each bad frame is followed by a good OS message. What the rulebook would see is checked end to end: the bad
frame becomes a parse-error (raw data bounded) or a notifications-missed event, the good message after it still
arrives, in order, and the source neither raises out of main() nor loses its connection.
"""

import asyncio
import json

from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

MAX_BODY = 200_000
MAX_RAW = 4096  # the normalizer's default bound of raw data in an event
OS_TOPIC = "os-message-notification"


def _os_body(text, seq):
    return {"os-messages": [{"message-text": text, "sequence-number": seq, "message-id": str(seq),
                             "is-held": False, "is-priority": False, "is-refresh": False, "prompt-text": "",
                             "os-name": "LNX1", "sound-alarm": False, "timestamp": -1}]}


class Probe:
    """Sends one bad thing, then a good OS message, and returns the events between them (both included)."""

    def __init__(self, sim, source):
        self.sim = sim
        self.source = source
        self.good = 0

    async def after(self, send_bad):
        await asyncio.to_thread(send_bad, self.sim.control)
        self.good += 1
        marker = f"GOOD{self.good:04d}I after bad input"
        await asyncio.to_thread(self.sim.control.os_message, "PART1", marker)
        start = len(self.source.seen)
        await self.source.wait_for(lambda e: e["hmc"]["type"] == "os-message"
                                   and e["hmc"]["os_message"]["text"] == marker)
        return self.source.seen[start:]


def _only(events, kind):
    found = [e for e in events if e["hmc"]["type"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {[e['hmc']['type'] for e in events]}"
    return found[0]


def _assert_bounded_raw(event):
    raw = event["hmc"]["raw"]
    assert raw["body"] is None or len(raw["body"]) <= MAX_RAW
    assert all(len(k) + len(str(v)) <= 2 * MAX_RAW for k, v in raw["headers"].items())
    json.dumps(event)  # serializable, so the rules engine can take it


def test_malformed_bodies_become_bounded_parse_errors_and_later_messages_arrive(hmcsim):
    """Non-JSON, truncated JSON, invalid UTF-8, deep nesting and a body beyond max_body on an OS message topic."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    args = source_args(hmcsim, subscriptions, max_body=MAX_BODY)
    huge = json.dumps(_os_body("H" * (MAX_BODY + 10), 900))
    bad_bodies = [
        ("not json at all {", None, "not valid JSON"),
        ('{"os-messages": [{"message-text": "cut', None, "not valid JSON"),
        (None, b'\xff\xfe\xc3\x28{"os-messages": []}', "not valid JSON"),  # stomp.py decodes with replacement
        ("[" * 50_000 + "]" * 50_000, None, "nested too deeply"),
        (huge, None, f"exceeds max_body ({MAX_BODY})"),
    ]

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            probe = Probe(hmcsim, source)
            for text, data, error in bad_bodies:
                def send(control, text=text, data=data):
                    control.inject("os-message", resource="PART1", topic_type=OS_TOPIC, body=text, body_bytes=data)
                events = await probe.after(send)
                bad = _only(events, "parse-error")
                assert error in bad["hmc"]["error"], bad["hmc"]["error"]
                assert bad["hmc"]["notification_type"] == "os-message"
                assert bad["hmc"]["resource"]["name"] == "PART1"
                _assert_bounded_raw(bad)
                assert bad["hmc"]["raw"]["body"], "the raw body is kept (bounded) for diagnosis"
                if text and len(text) > MAX_RAW:
                    assert bad["hmc"]["raw"]["truncated"] is True
            assert not source.task.done(), "main() is still running"
            kinds = {e["hmc"]["type"] for e in source.seen}
            assert kinds == {"parse-error", "os-message"}, kinds  # no connection-lost: the connection survived
            good = [e["hmc"]["os_message"]["text"][:8] for e in source.seen if e["hmc"]["type"] == "os-message"]
            assert good == [f"GOOD{n:04d}" for n in range(1, len(bad_bodies) + 1)]
            assert len(await asyncio.to_thread(hmcsim.control.stomp_connections)) == 1

    run(scenario())


def test_unknown_types_and_garbage_headers(hmcsim):
    """Unknown notification types pass through; missing or garbage headers never stop the stream."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 2)
            probe = Probe(hmcsim, source)

            events = await probe.after(lambda c: c.inject("x-frobnicate", resource="PART1", topic_type=OS_TOPIC,
                                                          body={"anything": [1, 2, 3]}))
            unknown = _only(events, "x-frobnicate")
            assert unknown["hmc"]["resource"]["name"] == "PART1"

            events = await probe.after(lambda c: c.inject("os-message", resource="PART1", topic_type=OS_TOPIC,
                                                          body=_os_body("NO TYPE", 500),
                                                          drop_headers=["notification-type"]))
            bad = _only(events, "parse-error")
            assert bad["hmc"]["error"] == "no notification-type header"
            _assert_bounded_raw(bad)

            garbage = {"global-sequence-nr": "not-a-number", "timestamp": "yesterday", "class": "x" * 10_000,
                       "object-uri": "\u202e/api/../../etc/passwd", "name": "\x1b[31mRED"}
            events = await probe.after(lambda c: c.inject("os-message", resource="PART1", topic_type=OS_TOPIC,
                                                          headers=garbage, body=_os_body("GARBAGE HEADERS", 501)))
            odd = next(e for e in events if e["hmc"]["type"] == "os-message")
            assert odd["hmc"]["os_message"]["text"] == "GARBAGE HEADERS"
            assert odd["hmc"]["sequence"]["global"] is None and odd["hmc"]["time"] is None
            json.dumps(odd)
            assert not source.task.done()
            assert not [e for e in source.seen if e["hmc"]["type"].startswith("connection-")]

    run(scenario())


def test_session_sequence_jump_is_reported_and_a_step_back_is_not(hmcsim):
    """A jump of session-sequence-nr is reported as notifications-missed with its extent; going back resets."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 2)
            probe = Probe(hmcsim, source)
            await probe.after(lambda c: None)  # the first frame sets the baseline
            current = source.seen[-1]["hmc"]["sequence"]["session"]
            assert isinstance(current, int)

            jump = {"session-sequence-nr": str(current + 11)}  # ten numbers skipped
            events = await probe.after(lambda c: c.inject("x-jump", resource="PART1", topic_type=OS_TOPIC,
                                                          headers=jump, body={}))
            missed = _only(events, "notifications-missed")
            assert missed["hmc"]["count"] == 10
            assert missed["hmc"]["topic"]["type"] == OS_TOPIC
            assert events.index(missed) < events.index(_only(events, "x-jump")), "the gap is reported first"
            # The good message after the jump carried hmcsim's own next number, far below the injected one: a step
            # back resets the count (as a console does for a new connection) and is neither a gap nor an error.
            assert events[-1]["hmc"]["sequence"]["session"] < current + 11
            events = await probe.after(lambda c: None)
            assert [e["hmc"]["type"] for e in events] == ["os-message"]
            assert sum(e["hmc"]["type"] == "notifications-missed" for e in source.seen) == 1
            assert not source.task.done()

    run(scenario())


def test_a_replayed_os_message_is_dropped_and_a_step_back_is_a_new_numbering(hmcsim):
    """The same OS message again (its number and text) is not doubled. A number that goes back with another
    text is not dropped as a replay: nothing may be lost, so it is a new numbering, announced by
    sequence-reset before the message (docs/events.md)."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}

    def inject(text, seq):
        return lambda c: c.inject("os-message", resource="PART1", topic_type=OS_TOPIC, body=_os_body(text, seq))

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 2)
            probe = Probe(hmcsim, source)
            await probe.after(lambda c: c.os_message("PART1", "FIRST001I original"))
            first = next(e for e in source.seen if e["hmc"].get("os_message", {}).get("text") == "FIRST001I original")
            seq = first["hmc"]["os_message"]["sequence_number"]
            events = await probe.after(inject("FIRST001I original", seq))
            assert [e["hmc"]["os_message"]["text"] for e in events] == ["GOOD0002I after bad input"]
            events = await probe.after(inject("OLDER01I backwards", seq - 1))
            assert [e["hmc"]["type"] for e in events] == ["sequence-reset", "os-message", "os-message"]
            assert events[0]["hmc"]["sequence"] == seq - 1
            assert events[1]["hmc"]["os_message"]["text"] == "OLDER01I backwards"
            texts = [e["hmc"]["os_message"]["text"] for e in source.seen if e["hmc"]["type"] == "os-message"]
            assert texts.count("FIRST001I original") == 1

    run(scenario())


def test_malformed_stomp_frames_do_not_kill_the_receiver(hmcsim):
    """Raw frames below the notification layer: unknown command, undecodable header bytes, no destination."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    frames = [
        b"FROBNICATE\nfoo:bar\n\n\x00",
        b"MESSAGE\ndestination:/topic/nowhere\n\xff\xfe:\xc3\x28\nnotification-type:os-message\n\nnot json\x00",
        b"MESSAGE\nnotification-type:status-change\n\n{}\x00",
    ]

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 2)
            probe = Probe(hmcsim, source)
            for frame in frames:
                await probe.after(lambda c, frame=frame: c.raw_frame(frame))
            assert not source.task.done()
            kinds = [e["hmc"]["type"] for e in source.seen]
            assert kinds.count("os-message") == len(frames)
            assert "connection-lost" not in kinds
            bad = [e for e in source.seen if e["hmc"]["type"] == "parse-error"]
            assert bad and all(len(e["hmc"]["raw"]["body"] or "") <= MAX_RAW for e in bad)

    run(scenario())


def test_parse_errors_on_the_object_topic_reach_the_rulebook(hmcsim):
    """An unreadable notification on the object topic is a parse-error event, not silently dropped by the
    object_changes type selection (which selects notification types, and a parse-error is none of them)."""
    subscriptions = {"object_changes": {"types": ["status-change"]}}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 1)
            await asyncio.to_thread(hmcsim.control.inject, "status-change", resource="PART1", body="{broken")
            await asyncio.to_thread(hmcsim.control.set_status, "PART1", "stopped")
            await source.wait_for(of_type("status-change"))
            kinds = [e["hmc"]["type"] for e in source.seen]
            assert kinds[0] == "parse-error", kinds
            assert source.seen[0]["hmc"]["notification_type"] == "status-change"

    run(scenario())
