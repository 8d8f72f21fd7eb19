"""The delivery tracker: a checkpoint claims only what the rules engine surely has."""

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.engine_receipts import (
    DeliveryTracker,
    consume_feedback,
)

A, B = "/api/logical-partitions/a", "/api/logical-partitions/b"


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Stream:
    """What the stream does: the cursor moves right after the event was handed over."""

    def __init__(self, tracker_args):
        self.last = {A: 10, B: 50}
        self.tracker = DeliveryTracker(self.last.get, **tracker_args)

    def deliver(self, uri, seq, uuid=None, refresh=False):
        event = {"hmc": {"type": "os-message", "resource": {"uri": uri},
                         "os_message": {"sequence_number": seq, "refresh": refresh}},
                 "meta": {"uuid": uuid or f"{uri}-{seq}"}}
        token = self.tracker.before_put(event)
        self.tracker.after_put(token)
        if not refresh:
            self.last[uri] = seq
        return event["meta"]["uuid"]

    def other(self, uuid):
        token = self.tracker.before_put({"hmc": {"type": "status-change"}, "meta": {"uuid": uuid}})
        self.tracker.after_put(token)

    def checkpoint(self):
        snapshot = {"version": 1, "cursors": {uri: {"last": last, "console": None} for uri, last in self.last.items()}}
        return {uri: c["last"] for uri, c in self.tracker.held_back(snapshot)["cursors"].items()}


def test_without_feedback_an_event_counts_once_the_next_put_returned():
    stream = _Stream({"feedback": False})
    stream.deliver(A, 11)
    assert stream.checkpoint() == {A: 10, B: 50}, "11 may still sit in the engine's queue"
    stream.deliver(A, 12)
    assert stream.checkpoint() == {A: 11, B: 50}
    stream.other("x")                      # any later put shows the engine took 12
    assert stream.checkpoint() == {A: 12, B: 50}


def test_feedback_advances_only_for_acknowledged_events_in_order_per_resource():
    clock = _Clock()
    stream = _Stream({"feedback": True, "timeout": 30, "clock": clock})
    uuids = [stream.deliver(A, seq) for seq in (11, 12, 13)]
    b1 = stream.deliver(B, 51)
    assert stream.checkpoint() == {A: 10, B: 50}
    assert stream.tracker.acknowledge(uuids[0])
    assert stream.checkpoint() == {A: 11, B: 50}
    # 13 is acknowledged, 12 never (a rulebook filter dropped it): not past 12 before the timeout.
    assert stream.tracker.acknowledge(uuids[2])
    assert stream.checkpoint() == {A: 11, B: 50}
    clock.now = 29.9
    assert stream.checkpoint() == {A: 11, B: 50}
    clock.now = 30.0
    assert stream.checkpoint() == {A: 13, B: 50}
    assert stream.tracker.counted_without_ack == 1
    assert stream.tracker.acknowledge(b1) and stream.checkpoint() == {A: 13, B: 51}
    assert stream.tracker.in_flight() == 0


def test_an_event_the_engine_has_not_reached_is_never_counted():
    clock = _Clock()
    stream = _Stream({"feedback": True, "timeout": 5, "clock": clock})
    stream.deliver(A, 11)
    clock.now = 10_000
    assert stream.checkpoint() == {A: 10, B: 50}, "no later acknowledgement: the engine is slow, not skipping"


def test_refresh_and_other_events_do_not_move_cursors_but_count_for_order():
    clock = _Clock()
    stream = _Stream({"feedback": True, "timeout": 0, "clock": clock})
    first = stream.deliver(A, 11)
    stream.deliver(A, 11, uuid=first, refresh=True)   # the same uuid, sent again by the console
    stream.other("status")
    assert stream.tracker.acknowledge("status")        # passes both earlier ones (timeout 0)
    assert stream.checkpoint() == {A: 11, B: 50}
    assert stream.tracker.acknowledge("unknown") is False and stream.tracker.acknowledge(None) is False


def test_the_feedback_queue_is_read_continuously():
    async def scenario():
        stream = _Stream({"feedback": True})
        queue = asyncio.Queue(1)       # as ansible-rulebook makes it
        uuids = [stream.deliver(A, seq) for seq in range(11, 31)]
        reader = asyncio.ensure_future(consume_feedback(queue, stream.tracker))
        for uuid in [*uuids, "engine-only"]:
            await asyncio.wait_for(queue.put({"meta": {"uuid": uuid}}), 5)
        while not queue.empty():
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        reader.cancel()
        return stream

    stream = asyncio.run(scenario())
    assert stream.checkpoint()[A] == 30 and stream.tracker.acknowledged == 20


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([A, B]), st.booleans()), min_size=1, max_size=40),
       st.integers(0, 40), st.booleans())
def test_the_checkpoint_never_passes_an_event_that_is_neither_acknowledged_nor_skipped_long_enough(
        plan, taken, expire):
    """Engine model: takes events in order, acknowledges all but the dropped ones; a crash at any point."""
    clock = _Clock()
    stream = _Stream({"feedback": True, "timeout": 10, "clock": clock})
    sent = []
    for uri, dropped in plan:
        seq = stream.last[uri] + 1
        sent.append((uri, seq, stream.deliver(uri, seq), dropped))
    taken = min(taken, len(sent))
    for _uri, _seq, uuid, dropped in sent[:taken]:
        if not dropped:
            stream.tracker.acknowledge(uuid)
    if expire:
        clock.now = 10
    checkpoint = stream.checkpoint()
    for index, (uri, seq, _uuid, dropped) in enumerate(sent):
        surely_had = index < taken and (not dropped or (expire and any(
            not d for _u, _s, _x, d in sent[index + 1:taken])))
        if not surely_had:
            assert checkpoint[uri] < seq, f"claimed {uri} {seq} which the engine may not have"
    # And nothing acknowledged in order is held back: the first gap of each resource decides.
    for uri in (A, B):
        mine = [(seq, index < taken and not dropped) for index, (u, seq, _x, dropped) in enumerate(sent) if u == uri]
        if mine and all(ok for _seq, ok in mine):
            assert checkpoint[uri] == mine[-1][0]


def test_memory_stays_bounded_by_the_events_in_flight_without_a_checkpoint():
    """A source without a checkpoint never asks for held_back(): the tracker must still forget what counted."""
    for feedback in (False, True):
        stream = _Stream({"feedback": feedback, "clock": _Clock()})
        for seq in range(11, 5011):
            uuid = stream.deliver(A, seq)
            if feedback:
                stream.tracker.acknowledge(uuid)
        assert stream.tracker.held() <= 2
