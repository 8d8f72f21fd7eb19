"""Delivery with held_lookahead, driven by hand: a held message emitted ahead while the engine's queue is full,
and its stream copy arriving meanwhile. Whatever happens to the hand-over, the message goes out exactly once."""

import asyncio
from types import SimpleNamespace

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import RecoveryCursors
from ansible_collections.zhmc.notifications.plugins.module_utils.stream_delivery import Delivery

URI = "/api/logical-partitions/lp01"
RESOURCE = {"uri": URI, "name": "LP01", "class": "logical-partition", "cpc": "CPC2", "topic": "hmc.os.lp01",
            "status": "operating"}
HELD = {"sequence-number": 7, "message-id": "05", "message-text": "*05 IEF238D PAYROLL - REPLY DEVICE NAME",
        "timestamp": 1000, "sound-alarm": True, "is-priority": False, "is-held": True, "prompt-text": "",
        "os-name": "ZOS1", "is-refresh": False}


class Console:
    """List OS Messages answering the held message."""

    def list_os_messages(self, uri, begin=None, end=None, name=None, held=None):
        assert held is True and begin == 1
        return {"os-messages": [HELD]}


class Workers:
    async def call(self, func, *args, **kwargs):
        return func(*args, **kwargs)


class Engine:
    """The engine's queue as the source's output: every put waits until the test lets it through."""

    def __init__(self):
        self.events = []
        self.gate = asyncio.Event()

    async def emit(self, event):
        await self.gate.wait()
        self.events.append(event)


def setup():
    cursors = RecoveryCursors()
    cursors.cover(URI, 0, console="hmc1")
    engine = Engine()
    stream = SimpleNamespace(client=Console(), options={"held_lookahead": 1}, spec={}, cursors=cursors,
                             workers=Workers(), emit=engine.emit, console={"host": "hmc1"})
    connection = SimpleNamespace(console={"host": "hmc1"},
                                 resolution=SimpleNamespace(topics={"hmc.os.lp01": "os-message-notification"},
                                                            resources={URI: RESOURCE}))
    delivery = Delivery(stream, supervisor=None)
    stream_copy = normalizer.normalize_os_messages(
        {"object-uri": URI, "object-id": "lp01", "class": "logical-partition", "name": "LP01", "cpc-name": "CPC2"},
        [HELD], console=connection.console, topic=RESOURCE["topic"])[0]
    return delivery, connection, engine, cursors, stream_copy


def test_the_stream_copy_waits_for_the_hand_over_and_is_dropped_once_it_went_out():
    async def scenario():
        delivery, connection, engine, cursors, stream_copy = setup()
        ahead = asyncio.ensure_future(delivery._emit_held_ahead(connection, RESOURCE))
        await asyncio.sleep(0.01)  # the held message is on its way to the full queue
        copy = asyncio.ensure_future(delivery._deliver_os(connection, stream_copy))
        await asyncio.sleep(0.01)
        assert not copy.done(), "the stream's copy waits for the outcome"
        engine.gate.set()
        await asyncio.gather(ahead, copy)
        assert [e["hmc"]["os_message"]["sequence_number"] for e in engine.events] == [7]
        assert cursors.last(URI) == 7

    asyncio.run(scenario())


def test_a_hand_over_cancelled_with_its_connection_leaves_the_message_to_the_stream():
    async def scenario():
        delivery, connection, engine, cursors, stream_copy = setup()
        ahead = asyncio.ensure_future(delivery._emit_held_ahead(connection, RESOURCE))
        await asyncio.sleep(0.01)
        copy = asyncio.ensure_future(delivery._deliver_os(connection, stream_copy))
        await asyncio.sleep(0.01)
        ahead.cancel()  # the connection ended while the engine's queue was full
        await asyncio.sleep(0.01)
        engine.gate.set()
        await copy
        assert [e["hmc"]["os_message"]["sequence_number"] for e in engine.events] == [7], "not lost"
        assert cursors.last(URI) == 7

    asyncio.run(scenario())


def test_a_copy_that_comes_after_the_hand_over_is_dropped_and_moves_the_cursor():
    async def scenario():
        delivery, connection, engine, cursors, stream_copy = setup()
        engine.gate.set()
        await delivery._emit_held_ahead(connection, RESOURCE)
        assert cursors.last(URI) == 0, "emitted ahead: the cursor still waits for the stream"
        await delivery._emit_held_ahead(connection, RESOURCE)  # the next look finds it again: not twice
        await delivery._deliver_os(connection, stream_copy)
        assert len(engine.events) == 1 and cursors.last(URI) == 7

    asyncio.run(scenario())


def test_a_failing_look_is_logged_and_the_next_one_still_comes(caplog):
    """A look that fails unexpectedly (here the console client raises) must not end the look-ahead."""
    class Flaky(Console):
        calls = 0

        def list_os_messages(self, uri, *args, **kwargs):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("unexpected")
            return super().list_os_messages(uri, *args, **kwargs)

    async def scenario():
        delivery, connection, engine = setup()[:3]
        delivery._client = Flaky()
        engine.gate.set()
        delivery._ahead.count(URI, 10)  # LP01 storms (held_lookahead 1)
        looking = asyncio.ensure_future(delivery._look_ahead(connection))
        for _attempt in range(40):
            await asyncio.sleep(0.1)
            if engine.events:
                break
        looking.cancel()
        assert [e["hmc"]["os_message"]["sequence_number"] for e in engine.events] == [7]

    asyncio.run(scenario())
    assert "looking ahead for the held messages of LP01 failed: unexpected" in caplog.text
