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
        assert cursors.classify("/p/1", seq) == NEW
        cursors.advance("/p/1", seq)
    assert cursors.classify("/p/1", 4995) == DUPLICATE
    assert cursors.classify("/p/1", 0) == RENUMBERED  # 5000 -> 0 is not a wrap and repeats nothing delivered
    cursors.advance("/p/1", 0)
    assert cursors.classify("/p/1", 1) == NEW


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
    assert snapshot == {"version": 1, "cursors": {"/p/1": {"last": 8, "console": "hmc2"},
                                                  "/p/2": {"last": None, "console": None}}}
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
])
def test_restore_rejects_bad_snapshots_and_changes_nothing(snapshot, message):
    cursors = RecoveryCursors()
    cursors.cover("/keep", 3)
    with pytest.raises(ValueError, match=message):
        cursors.restore(snapshot)
    assert cursors.snapshot()["cursors"] == {"/keep": {"last": 3, "console": None}}
