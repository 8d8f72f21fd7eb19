"""The source's output side: the checkpoint knows a resource before its first event is handed over."""

import asyncio
import json

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import RecoveryCursors
from ansible_collections.zhmc.notifications.plugins.module_utils.source_output import SourceOutput

URI = "/api/logical-partitions/a"


def options(path, feedback=False):
    return {"checkpoint": str(path) if path else None, "feedback": feedback, "feedback_timeout": 30.0,
            "connection": {"hosts": ["hmc1:6794"]},
            "subscriptions": {"os_messages": [{"cpc": "CPC1", "kind": "logical-partition", "names": ["LP1"]}]}}


class _Queue:
    def __init__(self, path):
        self.path = path
        self.on_disk_at_put = []

    async def put(self, event):
        self.on_disk_at_put.append(json.loads(self.path.read_text())["cursors"] if self.path.exists() else None)


def event(seq):
    return {"hmc": {"type": "os-message", "resource": {"uri": URI}, "os_message": {"sequence_number": seq}},
            "meta": {"uuid": f"u{seq}"}}


def test_the_first_event_of_a_resource_waits_for_its_cursor_on_disk(tmp_path):
    path = tmp_path / "c.json"
    cursors = RecoveryCursors()
    queue = _Queue(path)
    output = SourceOutput(queue, options(path), cursors)
    assert output.load() is False

    async def deliver():
        cursors.cover(URI, 41)              # seeded by the stream before subscribing
        for seq in (42, 43):
            await output.put(event(seq))
            cursors.advance(URI, seq)
        output.close()

    asyncio.run(deliver())
    assert queue.on_disk_at_put[0]["cursors"][URI]["last"] == 41
    assert queue.on_disk_at_put[1]["cursors"][URI]["last"] == 41, "written once, not per event"
    # Stopped: 42 counts (the put of 43 returned), 43 may still sit in the engine's queue.
    assert json.loads(path.read_text())["cursors"]["cursors"][URI]["last"] == 42

    restarted = RecoveryCursors()
    assert SourceOutput(_Queue(path), options(path), restarted).load() is True
    assert restarted.resume_from(URI) == 43


def test_feedback_needs_the_queue_ansible_rulebook_gives():
    with pytest.raises(ValueError, match=r"feedback needs ansible-rulebook 1\.3 or later, run with --persistence-id"):
        SourceOutput(_Queue(None), options(None, feedback=True), RecoveryCursors())
