"""Reading the console's OS message history for recovery: which sequence numbers it no longer keeps."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.os_history import latest_sequence, missed_messages


class History:
    """List OS Messages of one resource, as a console answers it (begin-sequence-number filters numerically)."""

    def __init__(self, numbers):
        self.numbers = numbers

    def list_os_messages(self, uri, begin=None, name=None):
        kept = [n for n in self.numbers if begin is None or n >= begin]
        return {"os-messages": [{"sequence-number": n, "message-text": f"M{n}", "timestamp": 1000 + n} for n in kept]}


RESOURCE = {"uri": "/api/logical-partitions/1", "name": "LP01"}


def numbers_and_gaps(kept, begin):
    messages, gaps = missed_messages(History(kept), RESOURCE, begin)
    return [m["sequence-number"] for m in messages], gaps


@pytest.mark.parametrize(("kept", "begin", "expected"), [
    ([10, 11, 12], 10, ([10, 11, 12], [])),
    ([14, 15], 10, ([14, 15], [(10, 13)])),
    # A console out of history space keeps an old held message while the routine ones after it are gone.
    ([10, 30, 31], 10, ([10, 30, 31], [(11, 29)])),
    ([12, 20, 25, 26], 10, ([12, 20, 25, 26], [(10, 11), (13, 19), (21, 24)])),
    ([], 10, ([], [])),
])
def test_every_run_of_numbers_the_console_no_longer_keeps_is_a_gap(kept, begin, expected):
    assert numbers_and_gaps(kept, begin) == expected


def test_without_a_cursor_everything_kept_is_recovered_without_gaps():
    assert numbers_and_gaps([3, 9], None) == ([3, 9], [])
    messages, gaps = missed_messages(History([3, 9]), RESOURCE, None, since_ms=1005)
    assert [m["sequence-number"] for m in messages] == [9] and gaps == []


def test_latest_sequence_is_the_newest_kept():
    assert latest_sequence(History([10, 30, 31]), RESOURCE) == 31
    assert latest_sequence(History([]), RESOURCE) is None
