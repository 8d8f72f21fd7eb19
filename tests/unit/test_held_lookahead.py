"""The held_lookahead bookkeeping: which resources storm, and which held messages were emitted ahead."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import source_options
from ansible_collections.zhmc.notifications.plugins.module_utils.held_lookahead import LINGER, AheadTracker


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_resource_storms_from_the_rate_on_and_for_a_while_after():
    clock = Clock()
    tracker = AheadTracker(200, clock=clock)
    clock.now += 1.0
    tracker.count("/lpar/1", 150)
    tracker.count("/lpar/2", 250)
    assert tracker.storming() == ["/lpar/2"]
    clock.now += 1.0
    tracker.count("/lpar/1", 99)
    tracker.count("/lpar/1", 101)  # frames and dropped runs add up
    assert tracker.storming() == ["/lpar/1", "/lpar/2"]
    clock.now += LINGER - 1.5
    assert tracker.storming() == ["/lpar/1", "/lpar/2"], "a pause in the storm does not end it"
    clock.now += 1.0
    assert tracker.storming() == ["/lpar/1"]
    clock.now += 1.0
    assert tracker.storming() == []


def test_messages_without_a_resource_count_for_none():
    clock = Clock()
    tracker = AheadTracker(1, clock=clock)
    clock.now += 1.0
    tracker.count(None, 500)
    tracker.count("/lpar/1", 5)
    assert tracker.storming() == ["/lpar/1"]


def test_the_rate_is_per_second_of_the_time_since_the_last_look():
    clock = Clock()
    tracker = AheadTracker(200, clock=clock)
    clock.now += 4.0
    tracker.count("/lpar/1", 600)  # 150/s over four seconds: no storm
    assert tracker.storming() == []


def test_the_stream_copy_of_a_held_message_emitted_ahead_gets_its_hand_over_once():
    tracker = AheadTracker(1)
    handed = object()  # the future of the event's hand-over to the engine's queue
    tracker.mark("/lpar/1", 42, handed)
    assert tracker.is_ahead("/lpar/1", 42) and not tracker.is_ahead("/lpar/2", 42)
    assert tracker.take("/lpar/1", 41) is None
    assert tracker.take("/lpar/1", 42) is handed
    assert tracker.take("/lpar/1", 42) is None, "a second copy is the cursors' duplicate, not this one's"
    assert not tracker.is_ahead("/lpar/1", 42)


def test_numbers_the_cursor_passed_or_a_new_numbering_are_no_longer_awaited():
    tracker = AheadTracker(1)
    for seq in (10, 20, 30):
        tracker.mark("/lpar/1", seq, object())
    tracker.mark("/lpar/2", 5, object())
    tracker.passed("/lpar/1", 20)  # the stream lost 10 and 20 (a gap) or the triage dropped them
    assert [tracker.is_ahead("/lpar/1", n) for n in (10, 20, 30)] == [False, False, True]
    assert tracker.is_ahead("/lpar/2", 5)
    tracker.forget("/lpar/1")
    assert not tracker.is_ahead("/lpar/1", 30) and tracker.is_ahead("/lpar/2", 5)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (0, None), ("", None), (500, 500.0), ("2.5", 2.5)])
def test_the_option_is_a_storm_rate_or_off(value, expected):
    args = {"hmc_host": "hmc1", "hmc_auth": {"userid": "u", "password": "p"}, "subscriptions": {"jobs": True},
            "held_lookahead": value}
    assert source_options.parse(args)["held_lookahead"] == expected


@pytest.mark.parametrize("value", [-1, "fast", True, float("nan")])
def test_a_bad_storm_rate_names_the_option(value):
    args = {"hmc_host": "hmc1", "hmc_auth": {"userid": "u", "password": "p"}, "subscriptions": {"jobs": True},
            "held_lookahead": value}
    with pytest.raises(ValueError, match=r"zhmc.notifications.hmc: option 'held_lookahead' must be a non-negative"):
        source_options.parse(args)
