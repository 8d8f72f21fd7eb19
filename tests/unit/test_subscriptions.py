"""Validation of the subscription spec and its resolution through a fake client."""

import re
import time

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs


@pytest.mark.parametrize(("spec", "message"), [
    ({"os_messages": [{"cpc": "C", "partition_regex": "("}]},
     "subscriptions.os_messages[0].partition_regex: invalid regular expression"),
    ({"os_messages": [{"partitions": ["P"]}]}, "subscriptions.os_messages[0].cpc: required"),
    ({"os_messages": [{"cpc": "C"}]}, "subscriptions.os_messages[0]: give exactly one of"),
    ({"os_messages": [{"cpc": "C", "partitions": ["P"], "lpars": ["L"]}]}, "give exactly one of"),
    ({"os_messages": [{"cpc": "C", "partitions": []}], "jobs": True}, "give exactly one of"),
    ({"object_changes": {"types": ["nope"]}}, "subscriptions.object_changes.types: unknown type(s) nope"),
    ({"bcpii": [{"cpc": "C", "events": ["x"]}]}, "subscriptions.bcpii[0].events: unknown event(s) x"),
    ({"jobs": "perhaps"}, "subscriptions.jobs: expected a boolean"),
    ({"jobs": False}, "subscriptions: nothing to subscribe to"),
    ({"whatever": 1}, "subscriptions: unknown key(s) whatever"),
    ([], "subscriptions: expected a dictionary"),
])
def test_invalid_specs_name_the_key(spec, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        subs.validate(spec)


def test_names_become_an_exact_alternation():
    spec = subs.validate({"os_messages": [{"cpc": "C", "partitions": ["A.1", "B"]}]})
    entry = spec["os_messages"][0]
    assert entry["kind"] == "partition" and entry["include_refresh"] is False
    assert re.fullmatch(entry["regex"], "A.1") and not re.fullmatch(entry["regex"], "AX1")


class FakeClient:
    """Answers like a console with N partitions; each channel open takes `delay` seconds."""

    object_topic = "obj"
    job_topic = "job"

    def __init__(self, count, delay=0.0):
        self.partitions = [{"object-uri": f"/api/partitions/{i}", "name": f"P{i}", "status": "active"}
                           for i in range(count)]
        self.delay = delay

    def find_cpc(self, name):
        return {"object-uri": "/api/cpcs/1", "name": name}

    def list_resources(self, cpc_uri, kind, name=None):
        return [p for p in self.partitions if re.fullmatch(name, p["name"])]

    def open_os_message_channel(self, uri, include_refresh=True, name=None):
        time.sleep(self.delay)
        return {"topic": "os." + uri.rsplit("/", 1)[-1], "os_not_running": False, "message": ""}

    def get_notification_topics(self):
        return [{"topic-type": "audit-notification", "topic-name": "aud"}]


def test_resolution_lists_topics_with_types_and_resources():
    spec = subs.validate({"os_messages": [{"cpc": "CPC1", "partition_regex": "P[01]"}], "jobs": True, "audit": True})
    res = subs.resolve(FakeClient(3), spec)
    assert res.topics == {"os.0": "os-message-notification", "os.1": "os-message-notification",
                          "obj": "object-notification", "job": "job-notification", "aud": "audit-notification"}
    assert res.resources["/api/partitions/1"]["cpc"] == "CPC1"
    assert res.resource_for_topic("os.1")["name"] == "P1"


def test_channels_open_concurrently():
    spec = subs.validate({"os_messages": [{"cpc": "C", "partition_regex": ".*"}]})
    started = time.monotonic()
    res = subs.resolve(FakeClient(100, delay=0.02), spec)
    assert len([t for t in res.topics.values() if t == "os-message-notification"]) == 100
    assert time.monotonic() - started < 100 * 0.02 / 3


def test_new_resource_matching():
    spec = subs.validate({"os_messages": [{"cpc": "C", "lpar_regex": "LP.*"}]})
    assert subs.matches_new_resource(spec, "logical-partition", "LP9", "C")
    assert subs.matches_new_resource(spec, "logical-partition", "LP9", "D") is None
    assert subs.matches_new_resource(spec, "partition", "LP9", "C") is None
