"""hmcsim's STOMP endpoint over TLS: login, topic checks, MESSAGE headers, heart-beats, drop and stall."""

import json

from hmcsim_wire import Api, Stomp


def test_bad_login_gets_error_and_close(hmcsim):
    stomp = Stomp(hmcsim)
    frame = stomp.connect("operator", "wrong")
    assert frame.command == "ERROR" and "Authentication failed" in frame.headers["message"]
    assert stomp.frame() is None


def test_subscribe_to_unknown_topic_gets_error(hmcsim):
    Api(hmcsim)
    stomp = Stomp(hmcsim)
    assert stomp.connect("operator", "operator-password").command == "CONNECTED"
    frame = stomp.subscribe("someone.elses.topic")
    assert frame.command == "ERROR"
    assert frame.headers["message"].endswith("is not a known or approved topic")


def test_os_message_frame_headers_and_body(hmcsim):
    api = Api(hmcsim)
    lp01 = api.find("logical-partition", "LP01")
    topic = api.ok("POST", f"{lp01}/operations/open-os-message-channel", {})["topic-name"]
    stomp = Stomp(hmcsim)
    result = api.logon_result
    stomp.connect(result["api-session"], result["session-credential"])
    assert stomp.subscribe(topic, "7").command == "RECEIPT"
    hmcsim.control.os_message("LP01", "IEF403I PAYROLL - STARTED - TIME=10.00.00", priority=True)
    hmcsim.control.os_message("LP01", "IEF404I PAYROLL - ENDED - TIME=10.00.01")
    first, second = stomp.frame(), stomp.frame()
    headers = first.headers
    assert first.command == "MESSAGE"
    assert {"notification-type": "os-message", "session-sequence-nr": "0", "object-uri": lp01,
            "object-id": lp01.rsplit("/", 1)[1], "class": "logical-partition", "name": "LP01",
            "destination": f"/topic/{topic}", "subscription": "7", "expires": "0",
            "priority": "4"}.items() <= headers.items()
    assert {"global-sequence-nr", "timestamp", "message-id", "content-length", "content-type"} <= set(headers)
    assert int(headers["content-length"]) == len(first.body)
    assert second.headers["session-sequence-nr"] == "1"
    assert int(second.headers["global-sequence-nr"]) > int(headers["global-sequence-nr"])
    [message] = json.loads(first.body)["os-messages"]
    assert set(message) == {"sequence-number", "message-id", "message-text", "timestamp", "sound-alarm",
                            "is-priority", "is-held", "prompt-text", "os-name", "is-refresh"}
    assert isinstance(message["message-id"], str) and message["is-priority"] is True
    assert message["os-name"] == "ZOS1"


def test_server_sends_heart_beats_and_drops_silent_client(hmcsim_factory):
    sim = hmcsim_factory(heartbeat_ms=300)
    Api(sim)
    stomp = Stomp(sim)
    connected = stomp.connect("operator", "operator-password", heart_beat="300,300")
    assert connected.headers["heart-beat"] == "300,300"
    assert stomp.closed_within(1.5)  # we never send a heart-beat: dropped after 2 intervals
    assert stomp.heartbeats >= 1


def test_stall_is_half_open_then_drop(hmcsim_factory):
    sim = hmcsim_factory(heartbeat_ms=200)
    Api(sim)
    stomp = Stomp(sim)
    stomp.connect("operator", "operator-password", heart_beat="0,200")
    stomp.idle(0.5)
    assert stomp.heartbeats >= 1
    before = stomp.heartbeats
    assert sim.control.stall_heartbeats(1.0)["stalled"] == 1
    stomp.idle(0.8)
    assert stomp.heartbeats == before, "no heart-beat during the stall"
    assert len(sim.control.stomp_connections()) == 1, "half-open: the connection stays"
    stomp.idle(0.7)
    assert stomp.heartbeats > before, "heart-beats resume after the stall"
    assert sim.control.drop_connections()["dropped"] == 1
    assert stomp.closed_within(2)


def test_bcpii_delivery_split_and_heartbeat(hmcsim):
    api = Api(hmcsim)
    cpc1 = next(c["object-uri"] for c in api.ok("GET", "/api/cpcs")["cpcs"] if c["name"] == "CPC1")
    reg = api.ok("POST", f"{cpc1}/operations/bcpii-notification-registrations",
                 {"target-name": "PART1", "event-name": "os-message", "owner-id": "eda"})
    stomp = Stomp(hmcsim)
    stomp.connect(api.logon_result["api-session"], api.logon_result["session-credential"])
    assert stomp.subscribe(reg["topic-name"]).command == "RECEIPT"
    hmcsim.control.step("split_os_message", resource="PART1", text="A" * 150 + "B" * 100, chunk=100)
    hmcsim.control.step("bcpii_heartbeat")
    parts = [json.loads(stomp.frame().body) for _ in range(3)]
    assert [p["body"]["os-messages"][0]["message-text"] for p in parts] == ["A" * 100, "A" * 50 + "B" * 50, "B" * 50]
    assert all(p["headers"] == parts[0]["headers"] for p in parts)
    assert {"target-name": "PART1", "event-name": "os-message", "notification-type": "os-message"}.items() <= \
        parts[0]["headers"].items()
    heartbeat = json.loads(stomp.frame().body)
    assert heartbeat["headers"]["notification-type"] == "console-heartbeat" and heartbeat["body"] is None
