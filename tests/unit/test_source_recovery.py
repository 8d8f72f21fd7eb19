"""Pure recovery logic: sequence gaps, status comparison, backoff, handoff (cursors: test_cursors.py)."""

import asyncio
import threading

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.backoff import Backoff, BudgetExhausted
from ansible_collections.zhmc.notifications.plugins.module_utils.handoff import Handoff, HandoffClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.recovery import SessionSequence, status_changes


def test_session_sequence_gaps():
    seq = SessionSequence()
    assert [seq.missed("s1", n) for n in (0, 1, 2, 5, 6)] == [0, 0, 0, 2, 0]
    assert seq.missed("s1", 0) == 0  # numbering restarted with a new connection: no gap
    assert seq.missed("s2", 9) == 0


def test_status_changes():
    assert status_changes({"a": "active", "b": "stopped"}, {"a": "stopped", "b": "stopped", "c": "x"}) == [
        ("a", "active", "stopped")]


def test_backoff_grows_caps_and_jitters():
    backoff = Backoff(1.0, 10.0, rand=lambda: 0.5)
    assert [backoff.next_delay() for _index in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    low = Backoff(1.0, 10.0, rand=lambda: 0.0)
    high = Backoff(1.0, 10.0, rand=lambda: 1.0)
    assert low.next_delay() == 0.75 and high.next_delay() == 1.25


def test_backoff_budget_per_outage():
    backoff = Backoff(1.0, 10.0, max_attempts=2)
    backoff.next_delay()
    backoff.next_delay()
    with pytest.raises(BudgetExhausted):
        backoff.next_delay()
    assert Backoff(1.0, 10.0, max_attempts=2).next_delay() > 0  # a new outage gets a new budget


def test_handoff_is_lossless_ordered_and_blocks_when_full():
    async def scenario():
        handoff = Handoff(asyncio.get_running_loop(), capacity=4)
        total = 1000
        producer = threading.Thread(target=lambda: [handoff.put(i) for i in range(total)])
        producer.start()
        await asyncio.sleep(0.05)
        assert len(handoff) == 4  # the producer blocks instead of dropping
        received, batches = [], []
        while len(received) < total:
            batch = await handoff.get_all()
            assert 1 <= len(batch) <= 4  # never more than the capacity, never an empty wake-up
            batches.append(len(batch))
            received += batch
        producer.join()
        assert received == list(range(total))
        assert max(batches) == 4  # the first batch was a full handoff: taken at once
        handoff.close()
        with pytest.raises(HandoffClosed):
            handoff.put("late")
        with pytest.raises(HandoffClosed):
            await handoff.get_all()

    asyncio.run(scenario())
