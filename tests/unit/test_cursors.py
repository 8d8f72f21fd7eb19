"""Recovery cursors: seeding, duplicates vs new numbering, wrap, snapshot/restore round trip and bad input."""

import json

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import (
    DUPLICATE,
    NEW,
    RENUMBERED,
    RecoveryCursors,
)


def test_cover_seeds_from_the_console_latest_and_keeps_an_existing_cursor():
    cursors = RecoveryCursors()
    assert cursors.cover("/p/1", 41, console="hmc1")
    assert cursors.resume_from("/p/1") == 42
    assert cursors.classify("/p/1", 41) == DUPLICATE and cursors.classify("/p/1", 42) == NEW
    cursors.advance("/p/1", 42)
    assert not cursors.cover("/p/1", 90)  # a new connection must not move a cursor forward past undelivered
    assert cursors.last("/p/1") == 42


def test_covered_empty_resource_recovers_everything_kept():
    cursors = RecoveryCursors()
    cursors.cover("/p/1", None)
    assert cursors.covered("/p/1") and cursors.resume_from("/p/1") is None
    assert cursors.classify("/p/1", 0) == NEW


def test_duplicates_of_recent_deliveries_and_new_numbering():
    cursors = RecoveryCursors()
    cursors.cover("/p/1", 4990)
    for seq in range(4991, 5001):
        assert cursors.classify("/p/1", seq, f"M{seq}") == NEW
        cursors.advance("/p/1", seq, text=f"M{seq}")
    assert cursors.classify("/p/1", 4995, "M4995") == DUPLICATE
    assert cursors.classify("/p/1", 4995) == DUPLICATE
    assert cursors.classify("/p/1", 4990) == DUPLICATE  # the seed itself
    assert cursors.classify("/p/1", 0, "X") == RENUMBERED  # 5000 -> 0: before this numbering began, not a wrap
    cursors.advance("/p/1", 0, text="X")
    assert cursors.classify("/p/1", 1) == NEW
    assert cursors.classify("/p/1", 4995) == NEW  # the old numbering is over: forward from 0


def test_a_long_overlap_of_recovered_and_live_messages_is_not_a_new_numbering():
    """Recovery can run thousands of numbers ahead of the live frames that queued meanwhile."""
    cursors = RecoveryCursors()
    cursors.cover("/p", 100)
    for seq in range(101, 10001):
        cursors.advance("/p", seq, text=f"M{seq}")
    assert cursors.classify("/p", 150, "M150") == DUPLICATE  # older than the remembered texts, same numbering
    assert cursors.classify("/p", 9000, "M9000") == DUPLICATE


def test_renumbering_onto_a_remembered_number_is_told_by_its_text():
    cursors = RecoveryCursors()
    cursors.cover("/p", None)
    for seq in range(0, 50):
        cursors.advance("/p", seq, text=f"OLD{seq}")
    assert cursors.classify("/p", 0, "OLD0") == DUPLICATE
    assert cursors.classify("/p", 0, "NEW0 after a reset") == RENUMBERED


def test_wrap_is_not_a_new_numbering():
    cursors = RecoveryCursors()
    top = 2**32 - 1
    cursors.cover("/p", top - 1)
    cursors.advance("/p", top)
    assert cursors.classify("/p", 0) == NEW


def test_snapshot_is_plain_json_and_restores():
    cursors = RecoveryCursors()
    cursors.cover("/p/1", 7, console="hmc1")
    cursors.cover("/p/2", None)
    cursors.advance("/p/1", 8, console="hmc2")
    snapshot = json.loads(json.dumps(cursors.snapshot()))
    assert snapshot == {"version": 1, "cursors": {"/p/1": {"last": 8, "since": None, "console": "hmc2"},
                                                  "/p/2": {"last": None, "since": None, "console": None}}}
    again = RecoveryCursors()
    again.restore(snapshot)
    assert again.resume_from("/p/1") == 9 and again.covered("/p/2")
    assert not again.cover("/p/1", 100)


@pytest.mark.parametrize(("snapshot", "message"), [
    ([], "expected a dictionary"),
    ({"version": 2, "cursors": {}}, "unsupported version 2"),
    ({"version": 1}, "'cursors' must be a dictionary"),
    ({"version": 1, "cursors": {"/p": {"last": "7"}}}, "'last' of /p must be an integer"),
    ({"version": 1, "cursors": {"/p": {"last": True}}}, "'last' of /p must be an integer"),
    ({"version": 1, "cursors": {"/p": {"last": 1, "console": 5}}}, "'console' of /p must be a string"),
    ({"version": 1, "cursors": {"": {"last": 1}}}, "non-empty string"),
    ({"version": 1, "cursors": {"/p": {"last": None, "since": "x"}}}, "'since' of /p must be an integer"),
])
def test_restore_rejects_bad_snapshots_and_changes_nothing(snapshot, message):
    cursors = RecoveryCursors()
    cursors.cover("/keep", 3)
    with pytest.raises(ValueError, match=message):
        cursors.restore(snapshot)
    assert cursors.snapshot()["cursors"] == {"/keep": {"last": 3, "since": None, "console": None}}


def test_cover_since_holds_until_a_number_is_delivered():
    cursors = RecoveryCursors()
    assert cursors.cover_since("/p", 1700000000000)
    assert cursors.since("/p") == 1700000000000 and cursors.resume_from("/p") is None
    assert not cursors.cover_since("/p", 1)
    assert cursors.classify("/p", 3) == NEW
    cursors.advance("/p", 3)
    assert cursors.since("/p") is None and cursors.resume_from("/p") == 4
    again = RecoveryCursors()
    again.restore({"version": 1, "cursors": {"/q": {"last": None, "since": 5}}})  # "console" may be left out
    assert again.since("/q") == 5
