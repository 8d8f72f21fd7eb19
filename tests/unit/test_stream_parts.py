"""The stream's small parts: a connection's handoff before and after its receipt, sealing, worker calls."""

import asyncio
import threading
import time

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.handoff import Handoff, HandoffClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.worker_calls import WorkerCalls


def test_unbounded_until_confirmed_then_bounded():
    """Before bound() a producer never waits (the receipt behind the frames must be read); after, it does."""
    async def scenario():
        handoff = Handoff(asyncio.get_running_loop(), capacity=4, bounded=False)
        for index in range(100):
            handoff.put(index)  # would block at 4 if bounded
        handoff.bound()
        assert await handoff.get_all() == list(range(100))
        producer = threading.Thread(target=lambda: [handoff.put(i) for i in range(6)])
        producer.start()
        await asyncio.sleep(0.1)
        assert len(handoff) == 4
        handoff.put_control("marker")  # control items never wait for room
        assert len(handoff) == 5
        received = []
        while len(received) < 7:
            received += await handoff.get_all()
        producer.join()
        assert received[:4] == [0, 1, 2, 3] and "marker" in received and received[-1] == 5

    asyncio.run(scenario())


def test_sealed_handoff_keeps_what_came_before_and_discard_drops_it():
    async def scenario():
        handoff = Handoff(asyncio.get_running_loop(), capacity=4)
        handoff.put(1)
        handoff.put_control("lost")
        handoff.close()
        with pytest.raises(HandoffClosed):
            handoff.put(2)  # a frame after the seal is never delivered
        assert await handoff.get_all() == [1, "lost"]
        other = Handoff(asyncio.get_running_loop(), capacity=4)
        other.put(1)
        other.discard()
        with pytest.raises(HandoffClosed):
            await other.get_all()

    asyncio.run(scenario())


def test_worker_calls_return_raise_and_clean_up_after_a_late_call():
    async def scenario():
        calls = WorkerCalls()
        assert await calls.call(lambda a, b=0: a + b, 2, b=3) == 5
        with pytest.raises(ZeroDivisionError):
            await calls.call(lambda: 1 / 0)
        assert calls.stop(lambda: None) is False  # nothing runs: nothing to clean up later
        release = threading.Event()
        cleaned = threading.Event()
        task = asyncio.ensure_future(calls.call(release.wait))
        await asyncio.sleep(0.05)
        task.cancel()
        assert await calls.settle(0.1) is False
        assert calls.stop(cleaned.set) is True
        assert not cleaned.is_set()
        release.set()  # the late call ends: its thread runs the cleanup
        deadline = time.monotonic() + 30
        while not cleaned.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert cleaned.is_set() and calls.running == 0

    asyncio.run(scenario())
