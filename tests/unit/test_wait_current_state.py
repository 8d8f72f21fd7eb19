"""wait_for_notification: which conditions are checked against the console's current state, the events that
check makes, and that a notification repeating it is not counted twice."""

import asyncio

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.modules.wait_for_notification import (
    Collector,
    current_state_events,
    matcher_of,
    place_of,
)

CONSOLE = {"host": "hmc1", "type": "hmc"}
JOBS = subs.validate({"jobs": True})
STATUS = subs.validate({"object_changes": {"types": ["status-change"]}})


class FakeClient:
    """Just what the current-state check calls; records the calls."""

    def __init__(self, jobs=None, permitted=True):
        self.jobs = jobs or {}
        self.permitted = permitted
        self.calls = []
        self.guests = {
            "partition": [{"object-uri": "/api/partitions/p1", "name": "PART1", "status": "active",
                           "cpc-name": "CPC1"},
                          {"object-uri": "/api/partitions/p3", "name": "PART3", "status": "stopped",
                           "cpc-name": "CPC1"}],
            "logical-partition": [{"object-uri": "/api/logical-partitions/l1", "name": "LP01",
                                   "status": "operating", "cpc-name": "CPC2"}],
        }

    def query_job(self, uri):
        self.calls.append(("query_job", uri))
        return self.jobs[uri]

    def list_permitted(self, kind):
        self.calls.append(("list_permitted", kind))
        if not self.permitted:
            raise HmcError("List permitted", "not found", status=404)
        return self.guests[kind]

    def list_cpcs(self):
        return [{"object-uri": "/api/cpcs/c1", "name": "CPC1", "dpm-enabled": True},
                {"object-uri": "/api/cpcs/c2", "name": "CPC2", "dpm-enabled": False}]

    def cpc_guest_kind(self, cpc):
        return "partition" if cpc["dpm-enabled"] else "logical-partition"

    def list_resources(self, cpc_uri, kind):
        self.calls.append(("list_resources", cpc_uri))
        return [{k: v for k, v in g.items() if k != "cpc-name"} for g in self.guests[kind]]

    def get_properties(self, uri):
        self.calls.append(("get_properties", uri))
        guest = next(g for kind in self.guests.values() for g in kind if g["object-uri"] == uri)
        return {"name": guest["name"], "status": guest["status"], "has-unacceptable-status": False}


DONE = {"status": "complete", "job-status-code": 200, "job-reason-code": None, "job-results": {}}


def test_a_completed_job_gives_a_filled_job_completion_event():
    client = FakeClient(jobs={"/api/jobs/1": DONE})
    [event] = current_state_events(client, JOBS, matcher_of({"job_uri": "/api/jobs/1", "names": ["PART3"]}),
                                   CONSOLE)
    hmc = event["hmc"]
    assert (hmc["type"], hmc["current_state"], hmc["severity"]) == ("job-completion", True, "info")
    assert hmc["job"] == {"uri": "/api/jobs/1", "status": "complete", "status_code": 200, "reason_code": None,
                          "results": {}}
    assert hmc["console"]["host"] == "hmc1"


@pytest.mark.parametrize(("spec", "conditions", "job"), [
    (JOBS, {"job_uri": "/api/jobs/1"}, {"status": "running"}),           # not yet: the notification will come
    (STATUS, {"job_uri": "/api/jobs/1"}, DONE),                          # job notifications not subscribed
    (JOBS, {"job_uri": "/api/jobs/1", "types": ["status-change"]}, DONE),  # not a type waited for
    (JOBS, {"types": ["job-completion"]}, DONE),                         # no job named
])
def test_no_job_event(spec, conditions, job):
    client = FakeClient(jobs={"/api/jobs/1": job})
    assert current_state_events(client, spec, matcher_of(conditions), CONSOLE) == []


def test_a_failed_job_is_an_error_event():
    failed = {"status": "complete", "job-status-code": 500, "job-reason-code": 263,
              "job-results": {"message": "start failed"}}
    [event] = current_state_events(FakeClient(jobs={"/api/jobs/1": failed}), JOBS,
                                   matcher_of({"job_uri": "/api/jobs/1"}), CONSOLE)
    assert (event["hmc"]["severity"], event["hmc"]["job"]["reason_code"]) == ("error", 263)


def test_a_current_status_of_named_resources():
    client = FakeClient()
    events = current_state_events(client, STATUS, matcher_of({"names": ["PART.*", "LP01"],
                                                              "status": ["active", "operating"]}), CONSOLE)
    assert [(e["hmc"]["resource"]["name"], e["hmc"]["resource"]["class"], e["hmc"]["resource"]["cpc"],
             e["hmc"]["status"]["old"], e["hmc"]["status"]["new"]) for e in events] == [
        ("PART1", "partition", "CPC1", None, "active"), ("LP01", "logical-partition", "CPC2", None, "operating")]
    assert all(e["hmc"]["type"] == "status-change" and e["hmc"]["current_state"] for e in events)
    # Only the named ones are read one by one.
    assert [c for c in client.calls if c[0] == "get_properties"] == [
        ("get_properties", "/api/partitions/p1"), ("get_properties", "/api/partitions/p3"),
        ("get_properties", "/api/logical-partitions/l1")]


def test_classes_limit_what_is_read_and_old_consoles_walk_the_cpcs():
    client = FakeClient(permitted=False)
    spec = subs.validate({"object_changes": {"types": ["status-change"], "classes": ["logical-partition"]}})
    [event] = current_state_events(client, spec, matcher_of({"names": [".*"], "status": ["operating"]}), CONSOLE)
    assert (event["hmc"]["resource"]["name"], event["hmc"]["resource"]["cpc"]) == ("LP01", "CPC2")
    assert ("list_permitted", "partition") not in client.calls
    assert ("list_resources", "/api/cpcs/c2") in client.calls and ("list_resources", "/api/cpcs/c1") not in \
        client.calls


@pytest.mark.parametrize(("spec", "conditions"), [
    (STATUS, {"status": ["active"]}),                                 # no names: not a state of a resource
    (JOBS, {"names": ["PART1"], "status": ["active"]}),              # status changes not subscribed
    (subs.validate({"object_changes": {"types": ["property-change"]}}), {"names": ["PART1"], "status": ["active"]}),
    (STATUS, {"names": ["PART1"], "status": ["active"], "types": ["job-completion"]}),
    (STATUS, {"names": ["PART1"], "status": ["active"], "classes": ["cpc"]}),
    (STATUS, {"names": ["PART1"], "status": ["stopped"]}),              # has another status
])
def test_no_status_event(spec, conditions):
    client = FakeClient()
    assert current_state_events(client, spec, matcher_of(conditions), CONSOLE) == []


def live(kind, uri, **sections):
    return {"hmc": {"type": kind, "resource": {"uri": uri, "name": "PART1", "class": "partition"}, **sections}}


def test_a_notification_repeating_the_current_state_is_not_counted_twice():
    client = FakeClient(jobs={"/api/jobs/1": DONE})
    matcher = matcher_of({"names": ["PART1"], "status": ["active"], "types": ["status-change", "job-completion"]})
    collector = Collector(matcher, count=5)
    collector.add_current(current_state_events(client, STATUS, matcher, CONSOLE))
    assert len(collector.found) == 1

    async def feed():
        await collector.take(live("status-change", "/api/partitions/p1", status={"new": "active"}))  # repeat
        await collector.take(live("status-change", "/api/partitions/p1", status={"new": "stopped"}))  # no match
        await collector.take(live("status-change", "/api/partitions/p1", status={"new": "active"}))  # a new change

    asyncio.run(feed())
    assert [e["hmc"].get("current_state", False) for e in collector.found] == [True, False]


def test_a_job_completion_repeating_the_current_state_is_not_counted_twice():
    matcher = matcher_of({"job_uri": "/api/jobs/1"})
    collector = Collector(matcher, count=2)
    collector.add_current(current_state_events(FakeClient(jobs={"/api/jobs/1": DONE}), JOBS, matcher, CONSOLE))
    asyncio.run(collector.take(live("job-completion", "/api/partitions/p1", job={"uri": "/api/jobs/1"})))
    assert len(collector.found) == 1 and not collector.enough.is_set()
    asyncio.run(collector.take(live("job-completion", "/api/partitions/p1", job={"uri": "/api/jobs/2"})))
    assert len(collector.found) == 1, "another job does not match"


class ParentClient:
    """get_properties of partitions (with their parent CPC) and CPCs; counts the reads."""

    def __init__(self):
        self.reads = []
        self.props = {"/api/partitions/a3": {"name": "PART3", "parent": "/api/cpcs/ca"},
                      "/api/partitions/p3": {"name": "PART3", "parent": "/api/cpcs/c1"},
                      "/api/cpcs/ca": {"name": "CPCA"}, "/api/cpcs/c1": {"name": "CPC1"}}

    def get_properties(self, uri):
        self.reads.append(uri)
        if uri not in self.props:
            raise HmcError("Get properties", "gone", status=404)
        return self.props[uri]


def test_cpcs_and_uris_conditions_on_notifications():
    """Object notifications do not name the CPC: it is read once per resource and filled into the event."""
    client = ParentClient()
    collector = Collector(matcher_of({"names": ["PART3"]}), count=5, place=place_of({"cpcs": "CPC1"}), client=client)

    async def feed():
        for uri in ("/api/partitions/a3", "/api/partitions/p3", "/api/partitions/a3", "/api/partitions/gone"):
            await collector.take({"hmc": {"type": "status-change",
                                          "resource": {"uri": uri, "name": "PART3", "class": "partition"}}})

    asyncio.run(feed())
    assert [(e["hmc"]["resource"]["uri"], e["hmc"]["resource"]["cpc"]) for e in collector.found] == [
        ("/api/partitions/p3", "CPC1")]
    assert client.reads.count("/api/partitions/a3") == 1, "read once per resource"

    by_uri = Collector(matcher_of({}), count=5, place=place_of({"uris": ["/api/partitions/p3"]}), client=client)
    asyncio.run(by_uri.take({"hmc": {"resource": {"uri": "/api/partitions/a3", "cpc": "CPC1"}}}))
    asyncio.run(by_uri.take({"hmc": {"resource": {"uri": "/api/partitions/p3"}}}))
    assert [e["hmc"]["resource"]["uri"] for e in by_uri.found] == ["/api/partitions/p3"]


def test_cpcs_and_uris_conditions_on_the_current_state():
    client = FakeClient()
    conditions = {"status": ["active", "stopped"], "uris": ["/api/partitions/p3"]}
    [event] = current_state_events(client, STATUS, matcher_of(conditions), CONSOLE, place_of(conditions))
    assert (event["hmc"]["resource"]["name"], event["hmc"]["resource"]["cpc"]) == ("PART3", "CPC1")
    conditions = {"status": ["active", "operating"], "names": [".*"], "cpcs": ["CPC2"]}
    [event] = current_state_events(client, STATUS, matcher_of(conditions), CONSOLE, place_of(conditions))
    assert event["hmc"]["resource"]["name"] == "LP01"


@pytest.mark.parametrize("bad", [[["CPC1"]], [""], 5, {"a": 1}])
def test_cpcs_and_uris_are_exact_strings(bad):
    for key in ("cpcs", "uris"):
        with pytest.raises(ValueError, match=f"conditions.{key}: expected a string or a list of non-empty strings"):
            place_of({key: bad})
