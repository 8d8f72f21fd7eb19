"""Validation of the subscription spec and its resolution through a fake client."""

import re
import time

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs


@pytest.mark.parametrize(("spec", "message"), [
    ({"os_messages": [{"cpc": "C", "partition_regex": ""}], "jobs": True}, "give exactly one of"),
    ({"os_messages": [{"cpc": "C", "partition_regex": 5}]},
     "subscriptions.os_messages[0].partition_regex: expected a regular expression string"),
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


def test_a_missing_exact_name_is_an_error_at_the_first_resolution_and_a_warning_later(caplog):
    spec = subs.validate({"os_messages": [{"cpc": "CPC1", "partitions": ["P1", "PRAT2", "P0"]}]})
    with pytest.raises(subs.SubscriptionError) as caught:
        subs.resolve(FakeClient(3), spec)
    assert str(caught.value) == ("subscriptions.os_messages[0].partitions: no partition named 'PRAT2' on cpc 'CPC1' "
                                 "(or no permission)")
    spec = subs.validate({"os_messages": [{"cpc": "CPC1", "lpars": "P2"}]})
    client = FakeClient(3)
    assert list(subs.resolve(client, spec).resources) == ["/api/partitions/2"]
    client.partitions.pop()  # P2 deleted while the source runs: the reconnect goes on
    assert subs.resolve(client, spec).resources == {}
    assert "no LPAR named 'P2' on cpc 'CPC1' (or no permission): not subscribed until it appears" in caplog.text
    assert subs.matches_new_resource(spec, "logical-partition", "P2", "CPC1") is spec["os_messages"][0]


class ConsoleFilter(FakeClient):
    """A console whose name filter is not Python's: it answers with what its own filter selected."""

    def __init__(self, selected):
        super().__init__(0)
        self.partitions = [{"object-uri": f"/api/partitions/{n}", "name": n, "status": "active"} for n in selected]
        self.filters = []

    def list_resources(self, cpc_uri, kind, name=None):
        self.filters.append(name)
        return list(self.partitions)


@pytest.mark.parametrize("pattern", [r"PART\p{Digit}", r"\QPART\E[12]", "PART[0-9&&[^3]]"])
def test_the_console_s_selection_is_taken_as_it_is(pattern):
    """Java syntax that Python refuses or reads differently: the console's answer is not filtered again."""
    spec = subs.validate({"os_messages": [{"cpc": "CPC1", "partition_regex": pattern}]})
    client = ConsoleFilter(["PART1", "PART2"])
    res = subs.resolve(client, spec)
    assert sorted(r["name"] for r in res.resources.values()) == ["PART1", "PART2"]
    assert client.filters == [pattern]
    assert subs.matches_new_resource(spec, "partition", "PART2", "CPC1", client=client, cpc_uri="/api/cpcs/1")
    assert subs.matches_new_resource(spec, "partition", "PART7", "CPC1", client=client,
                                     cpc_uri="/api/cpcs/1") is None


def test_the_console_s_refusal_of_a_pattern_names_the_option():
    class Refusing(FakeClient):
        def list_resources(self, cpc_uri, kind, name=None):
            raise subs.HmcError("List partitions", "The name filter 'P(' is not a valid regular expression",
                                status=400, reason=14)

    spec = subs.validate({"os_messages": [{"cpc": "CPC1", "partition_regex": "P("}]})
    with pytest.raises(subs.SubscriptionError, match=re.escape(
            "subscriptions.os_messages[0].partition_regex: the console refused the regular expression 'P(': "
            "The name filter 'P(' is not a valid regular expression")):
        subs.resolve(Refusing(0), spec)
