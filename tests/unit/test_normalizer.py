"""normalize() and normalize_os_messages(): every notification type, malformed input and the uuid rules."""

import json
import uuid

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer import (
    normalize,
    normalize_os_messages,
    synthetic_event,
)

CONSOLE = {"host": "hmc1", "type": "hmc"}
LPAR_URI = "/api/logical-partitions/6b1a2c3d-1111-2222-3333-444455556666"

# The real frame from the reference (abridged there; destination and object-uri/object-id added).
REAL_HEADERS = {
    "notification-type": "os-message",
    "class": "logical-partition",
    "name": "LP41",
    "object-uri": LPAR_URI,
    "object-id": "6b1a2c3d-1111-2222-3333-444455556666",
    "session-sequence-nr": "1",
    "global-sequence-nr": "6399",
    "timestamp": "1557755398299",
    "destination": "/topic/os-msg-topic-1",
    "subscription": "sub-1",
    "message-id": "ID:hmc1-1234-1:1:1:1:1",
}
REAL_BODY = (
    '{"os-messages":[{"message-text":" \\n","message-id":"0","sequence-number":1564,"os-name":null,'
    '"sound-alarm":false,"is-priority":false,"is-refresh":false,"prompt-text":"","is-held":false,"timestamp":-1}]}'
)


def run(headers, body, **kwargs):
    """normalize() with the checks every result must pass: non-empty, JSON-serializable, valid uuids."""
    events = normalize(headers, body, console=CONSOLE, **kwargs)
    assert events
    json.dumps(events)
    for event in events:
        uuid.UUID(event["meta"]["uuid"])
        assert event["hmc"]["schema"] == 1
    return events


def headers_of(ntype, **extra):
    headers = {"notification-type": ntype, "class": "partition", "name": "PART1", "object-uri": "/api/partitions/p1",
               "object-id": "p1", "session-sequence-nr": "3", "global-sequence-nr": "700",
               "timestamp": "1795268400123", "destination": "/topic/obj-topic"}
    headers.update(extra)
    return headers


def os_entry(seq, text, **extra):
    entry = {"message-text": text, "message-id": str(seq), "sequence-number": seq, "os-name": "ZOS1",
             "sound-alarm": False, "is-priority": False, "is-refresh": False, "prompt-text": "", "is-held": False,
             "timestamp": 1795268400000}
    entry.update(extra)
    return entry


def os_body(*entries):
    return json.dumps({"os-messages": list(entries)})


# -- os-message -------------------------------------------------------------------------------------------------

def test_real_os_message_frame():
    [event] = run(REAL_HEADERS, REAL_BODY)
    hmc = event["hmc"]
    assert hmc["type"] == "os-message"
    assert hmc["severity"] == "info"
    assert hmc["console"] == CONSOLE
    assert hmc["topic"] == {"name": "os-msg-topic-1", "type": None}
    assert hmc["sequence"] == {"session": 1, "global": 6399}
    assert hmc["time"] == "2019-05-13T13:49:58.299Z"
    assert hmc["resource"] == {"class": "logical-partition", "name": "LP41", "uri": LPAR_URI,
                               "id": "6b1a2c3d-1111-2222-3333-444455556666", "cpc": None, "parent_uri": None}
    assert hmc["os_message"] == {
        "code": None, "reply_id": None, "indicator": None, "action": False, "text": " ", "sequence_number": 1564,
        "message_id": "0",
        "held": False, "priority": False, "sound_alarm": False, "prompt": "", "os_name": None, "refresh": False,
        "time": None,
    }
    assert "raw" not in hmc and "bcpii" not in hmc


def test_one_event_per_os_message_each_with_its_own_uuid():
    body = os_body(os_entry(10, "IEF403I MYJOB - STARTED\n"), os_entry(11, "$HASP373 MYJOB STARTED"))
    events = run(REAL_HEADERS, body)
    assert [event["hmc"]["os_message"]["code"] for event in events] == ["IEF403I", "$HASP373"]
    assert events[0]["hmc"]["os_message"]["text"] == "IEF403I MYJOB - STARTED"
    assert events[0]["hmc"]["os_message"]["time"] == "2026-11-21T13:40:00.000Z"
    assert len({event["meta"]["uuid"] for event in events}) == 2


def test_wtor():
    entry = os_entry(1564, "*05 IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.\n", **{"is-held": True})
    [event] = run(REAL_HEADERS, os_body(entry))
    message = event["hmc"]["os_message"]
    assert (message["code"], message["reply_id"], message["held"], message["action"], message["indicator"]) == (
        "IEF238D", "05", True, True, "*")
    assert event["hmc"]["severity"] == "warning"


@pytest.mark.parametrize(
    ("text", "flags", "severity"),
    [
        ("IEF403I MYJOB - STARTED", {}, "info"),
        ("*05 IEF238D REPLY", {"is-held": True}, "warning"),
        ("*05 IEF238D REPLY", {"is-held": True, "is-priority": True}, "critical"),
        ("*05 IEF238D REPLY", {"is-held": True, "sound-alarm": True}, "critical"),
        ("IEF403I MYJOB - STARTED", {"is-priority": True}, "warning"),
        ("IEF403I MYJOB - STARTED", {"sound-alarm": True}, "warning"),
        ("*IEA404A SEVERE WTO BUFFER SHORTAGE", {}, "warning"),
        ("CSQX202E CONNECTION FAILED", {}, "warning"),
        ("CEE3501S THE MODULE WAS NOT FOUND", {}, "error"),
        ("Linux console output", {}, "info"),
    ],
)
def test_os_message_severity(text, flags, severity):
    [event] = run(REAL_HEADERS, os_body(os_entry(1, text, **flags)))
    assert event["hmc"]["severity"] == severity


def test_numbers_and_booleans_as_strings():
    entry = {"message-text": "IEF403I X", "sequence-number": "1565", "timestamp": "1795268400123",
             "is-held": "true", "is-priority": "FALSE", "message-id": 7}
    [event] = run(REAL_HEADERS, os_body(entry))
    message = event["hmc"]["os_message"]
    assert message["sequence_number"] == 1565
    assert message["time"] == "2026-11-21T13:40:00.123Z"
    assert (message["held"], message["priority"], message["message_id"]) == (True, False, "7")


def test_os_message_uuid_is_keyed_by_resource_and_os_sequence_not_by_frame():
    entry = os_entry(1564, "IEF403I MYJOB - STARTED")
    [first] = run(REAL_HEADERS, os_body(entry))
    redelivered = dict(REAL_HEADERS, **{"global-sequence-nr": "9000", "session-sequence-nr": "1",
                                        "destination": "/topic/other"})
    [second] = run(redelivered, os_body(os_entry(1700, "other"), entry))[1:]
    assert second["meta"]["uuid"] == first["meta"]["uuid"]
    other_lpar = dict(REAL_HEADERS, **{"object-uri": "/api/logical-partitions/x", "object-id": "x"})
    assert run(other_lpar, os_body(entry))[0]["meta"]["uuid"] != first["meta"]["uuid"]
    other_console = normalize(REAL_HEADERS, os_body(entry), console={"host": "hmc2", "type": "hmc"})
    assert other_console[0]["meta"]["uuid"] != first["meta"]["uuid"]


def test_recovered_os_messages_equal_the_live_ones():
    entries = [os_entry(1564, "*05 IEF238D JOB1 - REPLY", **{"is-held": True}), os_entry(1565, "IEF403I X\n")]
    live = run(REAL_HEADERS, os_body(*entries), resource_info={LPAR_URI: {"cpc": "CPC1"}})
    resource = {"object-uri": LPAR_URI, "object-id": "6b1a2c3d-1111-2222-3333-444455556666",
                "class": "logical-partition", "name": "LP41", "cpc-name": "CPC1"}
    recovered = normalize_os_messages(resource, entries, console=CONSOLE, topic="os-msg-topic-1")
    assert [event["meta"]["uuid"] for event in recovered] == [event["meta"]["uuid"] for event in live]
    for old, new in zip(live, recovered):
        for key in ("type", "severity", "console", "topic", "resource", "os_message"):
            assert new["hmc"][key] == old["hmc"][key]
        assert new["hmc"]["sequence"] == {"session": None, "global": None}
        assert new["hmc"]["time"] == new["hmc"]["os_message"]["time"]


def test_recovered_messages_match_by_uri_alone():
    entry = os_entry(1564, "IEF403I X")
    [live] = run(REAL_HEADERS, os_body(entry))
    [recovered] = normalize_os_messages({"object-uri": LPAR_URI}, [entry], console=CONSOLE)
    assert recovered["meta"]["uuid"] == live["meta"]["uuid"]


@pytest.mark.parametrize("os_messages", [None, "x", 5, {"a": 1}, []])
def test_recovery_with_garbage(os_messages):
    [event] = normalize_os_messages({"object-uri": LPAR_URI}, os_messages, console=CONSOLE)
    assert event["hmc"]["type"] == "parse-error"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"os-messages": "nope"}', "os-messages is not a list"),
        ('{"os-messages": []}', "os-message notification without os-messages"),
        ("", "os-message notification without os-messages"),
        (None, "os-message notification without os-messages"),
        ("[1, 2]", "os-message body is not a JSON object"),
    ],
)
def test_os_message_bodies_without_messages(body, error):
    [event] = run(REAL_HEADERS, body)
    assert event["hmc"]["type"] == "parse-error"
    assert event["hmc"]["error"] == error
    assert event["hmc"]["notification_type"] == "os-message"
    assert event["hmc"]["raw"]["body"] == body


def test_bad_entries_become_one_parse_error_and_good_ones_still_count():
    body = json.dumps({"os-messages": [os_entry(1, "IEF403I A"), 5, "text", os_entry(2, "x", **{"message-text": [1]}),
                                       os_entry(3, "IEF404I B")]})
    events = run(REAL_HEADERS, body)
    assert [event["hmc"]["type"] for event in events] == ["os-message", "os-message", "parse-error"]
    assert events[2]["hmc"]["error"] == "3 of 5 os-messages entries are not objects of the documented shape"
    assert events[2]["hmc"]["raw"]["body"] == body


# -- the other notification types ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [None, "", "  \n", b"", "null"])
def test_job_completion_without_body(body):
    [event] = run(headers_of("job-completion", **{"job-uri": "/api/jobs/j1"}), body)
    assert event["hmc"]["type"] == "job-completion"
    assert event["hmc"]["job"] == {"uri": "/api/jobs/j1", "status": None, "status_code": None, "reason_code": None,
                                   "results": None}
    assert event["hmc"]["severity"] == "info"


@pytest.mark.parametrize(
    ("result", "severity"),
    [
        ({"status": "complete", "job-status-code": 200, "job-results": {"x": 1}}, "info"),
        ({"status": "complete", "job-status-code": "500", "job-reason-code": "263"}, "error"),
        ({"status": "complete", "job-status-code": 409}, "error"),
        ({"status": "canceled", "job-status-code": 200}, "warning"),
    ],
)
def test_job_completion_with_query_job_status_result(result, severity):
    [event] = run(headers_of("job-completion", **{"job-uri": "/api/jobs/j1"}), json.dumps(result))
    assert event["hmc"]["severity"] == severity
    assert event["hmc"]["job"]["status_code"] == int(result["job-status-code"])


def test_property_change():
    body = {"change-reports": [{"property-name": "description", "old-value": "a", "new-value": "b"},
                               {"property-name": "status", "old-value": "active", "new-value": "stopped"}]}
    [event] = run(headers_of("property-change", **{"property-names": " description status "}), json.dumps(body))
    assert event["hmc"]["changes"] == [{"property": "description", "old": "a", "new": "b"},
                                       {"property": "status", "old": "active", "new": "stopped"}]
    assert event["hmc"]["severity"] == "info"


def test_property_change_without_body_uses_the_property_names_header():
    [event] = run(headers_of("property-change", **{"property-names": " description status "}), "")
    assert event["hmc"]["changes"] == [{"property": "description", "old": None, "new": None},
                                       {"property": "status", "old": None, "new": None}]


def test_status_change_summarizes_first_old_and_last_new():
    body = {"change-reports": [
        {"old-status": "active", "new-status": "stopping", "old-additional-status": [],
         "new-additional-status": [], "has-unacceptable-status": False},
        {"old-status": "stopping", "new-status": "stopped", "old-additional-status": None,
         "new-additional-status": "x", "has-unacceptable-status": True},
    ]}
    [event] = run(headers_of("status-change"), json.dumps(body))
    assert event["hmc"]["status"] == {"old": "active", "new": "stopped", "old_additional": [],
                                      "new_additional": ["x"], "unacceptable": True}
    assert [change["new"] for change in event["hmc"]["changes"]] == ["stopping", "stopped"]
    assert event["hmc"]["changes"][0]["property"] == "status"
    assert event["hmc"]["severity"] == "critical"


@pytest.mark.parametrize(
    ("new", "unacceptable", "severity"),
    [("active", False, "info"), ("stopped", False, "info"), ("operating", "false", "info"),
     ("degraded", False, "warning"), ("status-check", False, "warning"), ("active", "true", "critical")],
)
def test_status_change_severity(new, unacceptable, severity):
    body = {"change-reports": [{"old-status": "x", "new-status": new, "has-unacceptable-status": unacceptable}]}
    [event] = run(headers_of("status-change"), json.dumps(body))
    assert event["hmc"]["severity"] == severity


def test_status_change_without_body():
    [event] = run(headers_of("status-change"), None)
    assert event["hmc"]["status"] == {"old": None, "new": None, "old_additional": [], "new_additional": [],
                                      "unacceptable": None}
    assert event["hmc"]["changes"] == []


@pytest.mark.parametrize("action", ["add", "remove"])
def test_inventory_change(action):
    [event] = run(headers_of("inventory-change", action=action), "")
    assert event["hmc"]["inventory"] == {"action": action}


def test_log_entry_one_event_per_entry():
    body = {"log-entries": [
        {"event-time": 1795268400123, "event-name": "User logged on", "event-id": "1941", "userid": "operator",
         "user-uri": "/api/users/u1", "event-message": "User operator has logged on.",
         "event-data-items": [{"data-item-number": 0, "data-item-value": "operator", "data-item-type": "string"}]},
        {"event-time": "1795268401000", "event-name": "User logged off", "event-id": 1942, "userid": "operator"},
    ]}
    events = run(headers_of("log-entry", **{"destination": "/topic/audit"}), json.dumps(body),
                 topic_types={"audit": "audit-notification"})
    assert [event["hmc"]["log_entry"]["id"] for event in events] == ["1941", "1942"]
    first = events[0]["hmc"]
    assert first["topic"] == {"name": "audit", "type": "audit-notification"}
    assert first["log_entry"] == {"name": "User logged on", "id": "1941", "user": "operator",
                                  "user_uri": "/api/users/u1", "message": "User operator has logged on.",
                                  "time": "2026-11-21T13:40:00.123Z",
                                  "data": [{"number": 0, "value": "operator", "type": "string"}]}
    assert events[1]["hmc"]["log_entry"]["data"] == []
    assert events[0]["meta"]["uuid"] != events[1]["meta"]["uuid"]


@pytest.mark.parametrize("body", ["", '{"log-entries": []}', '{"log-entries": [1]}'])
def test_log_entry_without_entries(body):
    events = run(headers_of("log-entry"), body)
    assert [event["hmc"]["type"] for event in events] == ["parse-error"]


def test_console_shutting_down():
    body = {"console-type": "hmc", "invoker": "operator", "reason": "firmware update", "shutdown-type": "restart",
            "component": "console"}
    [event] = run(headers_of("console-shutting-down"), json.dumps(body))
    assert event["hmc"]["severity"] == "critical"
    assert event["hmc"]["shutdown"] == {"console_type": "hmc", "invoker": "operator", "reason": "firmware update",
                                        "shutdown_type": "restart", "component": "console"}


def test_capacity_record_change():
    [event] = run(headers_of("capacity-record-change"), '{"capacity-record-change-type": "activated"}')
    assert event["hmc"]["capacity_record"] == {"change_type": "activated"}


def test_console_starting_and_heartbeat():
    [starting] = run(headers_of("console-starting"), '{"console-type": "se"}')
    assert (starting["hmc"]["severity"], starting["hmc"]["startup"]) == ("warning", {"console_type": "se"})
    [beat] = run(headers_of("console-heartbeat"), None)
    assert (beat["hmc"]["type"], beat["hmc"]["severity"]) == ("console-heartbeat", "info")


def test_unknown_type_passes_through():
    [event] = run(headers_of("future-thing"), '{"a": [1, {"b": null}]}')
    assert (event["hmc"]["type"], event["hmc"]["severity"]) == ("future-thing", "info")
    assert event["hmc"]["body"] == {"a": [1, {"b": None}]}
    [empty] = run(headers_of("future-thing"), "")
    assert empty["hmc"]["body"] is None


# -- envelope -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [("1795268400123", "2026-11-21T13:40:00.123Z"), ("0", "1970-01-01T00:00:00.000Z"), ("-1", None), ("", None),
     ("abc", None), ("1e3", None), ("99999999999999999999", None)],
)
def test_time_from_the_jms_timestamp(value, expected):
    [event] = run(headers_of("inventory-change", timestamp=value), "")
    assert event["hmc"]["time"] == expected


@pytest.mark.parametrize(
    ("session", "global_nr", "expected"),
    [("0", "1", {"session": 0, "global": 1}), (" 17 ", "6399", {"session": 17, "global": 6399}),
     ("x", "1.5", {"session": None, "global": None})],
)
def test_sequence(session, global_nr, expected):
    headers = headers_of("inventory-change", **{"session-sequence-nr": session, "global-sequence-nr": global_nr})
    assert run(headers, "")[0]["hmc"]["sequence"] == expected


def test_element_resource_has_the_object_as_parent():
    element = {"class": "nic", "name": "nic1", "element-id": "n1", "element-uri": "/api/partitions/p1/nics/n1"}
    headers = headers_of("property-change", **element)
    [event] = run(headers, "", resource_info={"/api/partitions/p1": {"cpc": "CPC1"}})
    assert event["hmc"]["resource"] == {"class": "nic", "name": "nic1", "uri": "/api/partitions/p1/nics/n1",
                                        "id": "n1", "cpc": "CPC1", "parent_uri": "/api/partitions/p1"}


def test_resource_info_and_topic_types_are_optional_and_tolerant():
    headers = headers_of("inventory-change")
    [event] = run(headers, "", resource_info={"/api/partitions/p1": "garbage"}, topic_types=["x"])
    assert event["hmc"]["resource"]["cpc"] is None
    assert event["hmc"]["topic"] == {"name": "obj-topic", "type": None}


def test_include_raw_is_bounded():
    headers = headers_of("property-change")
    body = json.dumps({"change-reports": [{"property-name": "description", "new-value": "x" * 10_000}]})
    [event] = run(headers, body, include_raw=True, max_raw=200)
    raw = event["hmc"]["raw"]
    assert raw["truncated"] is True
    assert raw["body"] == body[:200]
    assert sum(len(name) + len(value) for name, value in raw["headers"].items()) <= 200
    [small] = run(headers_of("inventory-change"), "", include_raw=True)
    assert small["hmc"]["raw"] == {"headers": headers_of("inventory-change"), "body": "", "truncated": False}


def test_notification_uuid_is_deterministic_and_ignores_per_delivery_headers():
    headers = headers_of("inventory-change")
    first = run(headers, "")[0]["meta"]["uuid"]
    assert run(dict(headers), "")[0]["meta"]["uuid"] == first
    assert run(dict(headers, **{"global-sequence-nr": "701"}), "")[0]["meta"]["uuid"] != first
    assert run(dict(headers, destination="/topic/other"), "")[0]["meta"]["uuid"] != first
    no_global = {key: value for key, value in headers.items() if key != "global-sequence-nr"}
    digest = run(no_global, "")[0]["meta"]["uuid"]
    assert run(dict(no_global, **{"session-sequence-nr": "99", "message-id": "m2"}), "")[0]["meta"]["uuid"] == digest
    assert run(dict(no_global, timestamp="1"), "")[0]["meta"]["uuid"] != digest


# -- malformed input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "error_start"),
    [
        ("not json", "body is not valid JSON"),
        ('{"change-reports": [{"property-name": "x"', "body is not valid JSON"),
        (b"\xff\xfe{}", "body is not valid UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "body JSON is nested too deeply"),
        ('"a string"', "property-change body is not a JSON object"),
        ('{"change-reports": 5}', "change-reports is not a list"),
        (12.5, "unsupported body type float"),
    ],
)
def test_unparsable_bodies(body, error_start):
    [event] = run(headers_of("property-change"), body)
    assert event["hmc"]["type"] == "parse-error"
    assert event["hmc"]["severity"] == "error"
    assert event["hmc"]["error"].startswith(error_start)
    assert event["hmc"]["notification_type"] == "property-change"
    assert event["hmc"]["resource"]["name"] == "PART1"
    assert len(event["hmc"]["raw"]["body"]) <= normalizer.MAX_RAW


def test_max_body_is_checked_before_parsing():
    body = "{" + " " * 2000
    [event] = run(headers_of("property-change"), body, max_body=1000)
    assert event["hmc"]["error"] == "body of 2001 characters exceeds max_body (1000)"
    [event] = run(headers_of("property-change"), body.encode(), max_body=1000)
    assert event["hmc"]["error"] == "body of 2001 bytes exceeds max_body (1000)"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        (None, "headers are not a mapping"),
        (["notification-type"], "headers are not a mapping"),
        ({}, "no notification-type header"),
        ({"notification-type": "  "}, "no notification-type header"),
        ({"notification-type": ["os-message"]}, "no notification-type header"),
        ({"notification-type": "bad type!"}, "unrecognized notification-type 'bad type!'"),
    ],
)
def test_bad_headers(headers, error):
    [event] = run(headers, "{}")
    assert (event["hmc"]["type"], event["hmc"]["error"]) == ("parse-error", error)


def test_parse_error_uuid_is_stable():
    assert run(headers_of("property-change"), "garbage") == run(headers_of("property-change"), "garbage")


def test_an_internal_error_becomes_a_parse_error(monkeypatch):
    def broken(headers, body):
        raise KeyError("bug")

    monkeypatch.setitem(normalizer._HANDLERS, "property-change", broken)
    [event] = run(headers_of("property-change"), "{}")
    assert event["hmc"]["type"] == "parse-error"
    assert event["hmc"]["error"] == "internal error while normalizing: KeyError: 'bug'"


# -- synthetic events ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "severity"),
    [("connection-lost", "error"), ("connection-restored", "info"), ("notifications-missed", "warning"),
     ("parse-error", "error"), ("heartbeat-missed", "error"), ("something-else", "info")],
)
def test_synthetic_default_severities(kind, severity):
    event = synthetic_event(kind, console=CONSOLE, timestamp=1795268400.123)
    assert (event["hmc"]["type"], event["hmc"]["severity"]) == (kind, severity)
    assert event["hmc"]["time"] == "2026-11-21T13:40:00.123Z"
    uuid.UUID(event["meta"]["uuid"])


def test_synthetic_event_fields_and_uuid():
    missed = {"topic": "os-msg-topic-1", "expected": 5, "received": 9, "count": 4}
    event = synthetic_event("notifications-missed", console=CONSOLE, severity="critical", timestamp=100.0,
                            missed=missed, topic={"name": "os-msg-topic-1", "type": "os-message-notification"},
                            type="not-allowed", schema=99)
    hmc = event["hmc"]
    assert (hmc["type"], hmc["severity"], hmc["schema"]) == ("notifications-missed", "critical", 1)
    assert hmc["missed"] == missed
    assert hmc["topic"] == {"name": "os-msg-topic-1", "type": "os-message-notification"}
    assert hmc["resource"]["name"] is None and hmc["sequence"] == {"session": None, "global": None}
    again = synthetic_event("notifications-missed", console=CONSOLE, timestamp=100.0, missed=missed,
                            topic={"name": "os-msg-topic-1", "type": "os-message-notification"})
    assert again["meta"]["uuid"] == event["meta"]["uuid"]
    later = synthetic_event("notifications-missed", console=CONSOLE, timestamp=101.0, missed=missed)
    assert later["meta"]["uuid"] != event["meta"]["uuid"]
    json.dumps([event, again, later])


@pytest.mark.parametrize("timestamp", [None, float("nan"), float("inf"), "now", True])
def test_synthetic_event_without_usable_time(timestamp):
    event = synthetic_event("connection-lost", console=CONSOLE, timestamp=timestamp, error="reset by peer",
                            outage={"since": float("nan")})
    assert event["hmc"]["time"] is None
    assert event["hmc"]["error"] == "reset by peer"
    json.dumps(event, allow_nan=False)
