"""The BCPii form: normalize_bcpii() and the reassembly of split OS messages."""

import json

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer import (
    BcpiiReassembler,
    normalize,
    normalize_bcpii,
)

CONSOLE = {"host": "se1", "type": "se"}


def bcpii_headers(ntype="os-message", uri="/api/logical-partitions/lp1", global_nr=1, **extra):
    headers = {"notification-type": ntype, "class": "logical-partition", "name": "LP1", "object-uri": uri,
               "object-id": uri.rsplit("/", 1)[-1], "session-sequence-nr": global_nr, "global-sequence-nr": global_nr,
               "timestamp": 1795268400123, "target-name": "CPC1.LP1", "event-name": "os-messages"}
    headers.update(extra)
    return headers


def part(text, seq=1564, global_nr=1, uri="/api/logical-partitions/lp1"):
    entry = {"message-text": text, "message-id": str(seq), "sequence-number": seq, "os-name": "ZOS1",
             "sound-alarm": False, "is-priority": False, "is-refresh": False, "prompt-text": "", "is-held": False,
             "timestamp": 1795268400000}
    return {"headers": bcpii_headers(uri=uri, global_nr=global_nr), "body": {"os-messages": [entry]}}


def texts(payloads):
    return [payload["body"]["os-messages"][0]["message-text"] for payload in payloads]


# -- normalize_bcpii ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encode", [lambda p: p, json.dumps, lambda p: json.dumps(p).encode()])
def test_bcpii_os_message_in_every_payload_form(encode):
    [event] = normalize_bcpii(encode(part("IEF403I MYJOB - STARTED")), console=CONSOLE)
    hmc = event["hmc"]
    assert hmc["type"] == "os-message"
    assert hmc["bcpii"] == {"target_name": "CPC1.LP1", "event_name": "os-messages"}
    assert hmc["os_message"]["code"] == "IEF403I"
    assert hmc["sequence"] == {"session": 1, "global": 1}
    assert hmc["time"] == "2026-11-21T13:40:00.123Z"


def test_bcpii_and_stomp_forms_give_the_same_os_message_uuid():
    payload = part("IEF403I MYJOB - STARTED")
    [bcpii] = normalize_bcpii(payload, console=CONSOLE)
    headers = {key: str(value) for key, value in payload["headers"].items()}
    [stomp] = normalize(headers, json.dumps(payload["body"]), console=CONSOLE)
    assert bcpii["meta"]["uuid"] == stomp["meta"]["uuid"]


def test_console_starting_and_heartbeat():
    starting = {"headers": bcpii_headers("console-starting", **{"event-name": "console-starting"}),
                "body": {"console-type": "se"}}
    [event] = normalize_bcpii(starting, console=CONSOLE, topic="bcpii-topic")
    assert (event["hmc"]["type"], event["hmc"]["severity"]) == ("console-starting", "warning")
    assert event["hmc"]["startup"] == {"console_type": "se"}
    assert event["hmc"]["topic"]["name"] == "bcpii-topic"
    [beat] = normalize_bcpii({"headers": bcpii_headers("console-heartbeat"), "body": None}, console=CONSOLE)
    assert beat["hmc"]["type"] == "console-heartbeat"


def test_body_as_json_text_inside_the_payload():
    payload = {"headers": bcpii_headers("status-change"),
               "body": json.dumps({"change-reports": [{"old-status": "operating", "new-status": "not-operating"}]})}
    [event] = normalize_bcpii(payload, console=CONSOLE)
    assert event["hmc"]["status"]["new"] == "not-operating"


@pytest.mark.parametrize(
    ("payload", "error_start"),
    [
        ("not json", "body is not valid JSON"),
        (b"\xff", "body is not valid UTF-8"),
        ("[1, 2]", "BCPii payload is not a JSON object with a headers object"),
        ({"body": {}}, "BCPii payload is not a JSON object with a headers object"),
        ({"headers": "x", "body": {}}, "BCPii payload is not a JSON object with a headers object"),
        ({"headers": {}, "body": {}}, "no notification-type header"),
        (None, "BCPii payload is not a JSON object with a headers object"),
        (3, "unsupported body type int"),
        ("[" * 50_000, "body JSON is nested too deeply"),
    ],
)
def test_bad_bcpii_payloads(payload, error_start):
    [event] = normalize_bcpii(payload, console=CONSOLE)
    assert event["hmc"]["type"] == "parse-error"
    assert event["hmc"]["error"].startswith(error_start)
    json.dumps(event)


def test_oversized_bcpii_payload():
    [event] = normalize_bcpii(part("x" * 5000), console=CONSOLE, max_body=1000)
    assert event["hmc"]["error"].startswith("body of ")
    assert event["hmc"]["raw"]["truncated"] is True


# -- reassembly ---------------------------------------------------------------------------------------------------

def test_split_message_is_joined_in_arrival_order():
    reassembler = BcpiiReassembler()
    assert reassembler.feed(part("IEA989I SLIP TRAP ", global_nr=1), now=0.0) == []
    assert reassembler.feed(json.dumps(part("ID=X33E ", global_nr=2)), now=0.1) == []
    assert reassembler.feed(part("MATCHED", global_nr=3), now=0.2) == []
    assert len(reassembler) == 1
    status = {"headers": bcpii_headers("status-change", global_nr=4), "body": None}
    done = reassembler.feed(status, now=0.3)
    assert texts(done[:1]) == ["IEA989I SLIP TRAP ID=X33E MATCHED"]
    assert done[0]["headers"]["global-sequence-nr"] == 1
    assert done[1] is status
    assert len(reassembler) == 0
    [event] = normalize_bcpii(done[0], console=CONSOLE)
    assert event["hmc"]["os_message"]["text"] == "IEA989I SLIP TRAP ID=X33E MATCHED"
    assert event["hmc"]["os_message"]["code"] == "IEA989I"


def test_a_different_message_completes_the_held_one():
    reassembler = BcpiiReassembler()
    reassembler.feed(part("first ", seq=1))
    reassembler.feed(part("part", seq=1))
    assert texts(reassembler.feed(part("second", seq=2))) == ["first part"]
    assert texts(reassembler.flush()) == ["second"]
    assert reassembler.flush() == []


def test_other_resources_do_not_cut_a_message():
    reassembler = BcpiiReassembler()
    reassembler.feed(part("A1 ", uri="/api/logical-partitions/a"))
    reassembler.feed(part("B1 ", uri="/api/logical-partitions/b"))
    reassembler.feed(part("A2", uri="/api/logical-partitions/a"))
    reassembler.feed(part("B2", uri="/api/logical-partitions/b"))
    assert texts(reassembler.flush()) == ["A1 A2", "B1 B2"]


def test_multi_message_notifications_and_other_payloads_pass_through():
    reassembler = BcpiiReassembler()
    two = part("x")
    two["body"]["os-messages"].append(dict(two["body"]["os-messages"][0], **{"sequence-number": 2}))
    for payload in (two, "garbage", b"\xff", None, {"headers": bcpii_headers("console-heartbeat"), "body": None}):
        assert reassembler.feed(payload) == [payload]
    assert len(reassembler) == 0


def test_flush_older_than():
    reassembler = BcpiiReassembler()
    reassembler.feed(part("old", uri="/api/logical-partitions/a"), now=10.0)
    reassembler.feed(part("new ", uri="/api/logical-partitions/b"), now=11.0)
    assert reassembler.flush_older_than(11.5, 2.0) == []
    assert texts(reassembler.flush_older_than(12.0, 2.0)) == ["old"]
    reassembler.feed(part("more", uri="/api/logical-partitions/b"), now=13.0)
    assert reassembler.flush_older_than(14.0, 2.0) == []
    assert texts(reassembler.flush_older_than(15.0, 2.0)) == ["new more"]


def test_max_text_completes_a_message():
    reassembler = BcpiiReassembler(max_text=10)
    assert reassembler.feed(part("12345")) == []
    assert texts(reassembler.feed(part("67890"))) == ["1234567890"]
    assert len(reassembler) == 0
