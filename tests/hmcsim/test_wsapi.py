"""WS API behaviour of hmcsim over real HTTPS (verified against the generated CA)."""

import json
import time
import urllib.parse
from pathlib import Path

import yaml
from hmcsim_wire import Api, Stomp

MINIMAL = Path(__file__).resolve().parents[2] / "tools/hmcsim/src/hmcsim/scenarios/minimal.yaml"


def test_logon_logoff_and_stale_session(hmcsim):
    api = Api(hmcsim)
    result = api.logon_result
    assert {"api-session", "session-credential", "notification-topic", "job-notification-topic",
            "api-major-version", "api-minor-version"} <= set(result)
    assert api.ok("GET", "/api/version")["api-major-version"] == 4
    assert api.call("DELETE", "/api/sessions/this-session").status_code == 204
    assert api.error("GET", "/api/cpcs") == (403, 5)
    assert Api(hmcsim, logon=False).error("GET", "/api/cpcs") == (403, 4)
    assert hmcsim.control.logons() == {"ok": 1, "failed": 0}


def test_bad_password_and_session_limit(hmcsim):
    anonymous = Api(hmcsim, logon=False)
    assert anonymous.error("POST", "/api/sessions", {"userid": "operator", "password": "wrong"}) == (403, 0)
    sessions = [Api(hmcsim) for _ in range(10)]  # minimal scenario: session_limit 10
    assert anonymous.error("POST", "/api/sessions", {"userid": "operator", "password": "operator-password"}) == \
        (403, 15)
    sessions[0].ok("DELETE", "/api/sessions/this-session")
    Api(hmcsim)
    assert hmcsim.control.logons() == {"ok": 11, "failed": 2}


def test_restart_invalidates_sessions_and_changes_topics(hmcsim):
    api = Api(hmcsim)
    old_topic = api.logon_result["notification-topic"]
    hmcsim.control.restart_console()
    assert api.error("GET", "/api/sessions/operations/get-notification-topics") == (403, 5)
    assert Api(hmcsim).logon_result["notification-topic"] != old_topic


def test_name_filters_are_full_match_regexes(hmcsim):
    api = Api(hmcsim)
    assert [c["name"] for c in api.ok("GET", "/api/cpcs?name=CPC")["cpcs"]] == []
    cpcs = api.ok("GET", "/api/cpcs?name=" + urllib.parse.quote("CPC[12]"))["cpcs"]
    assert [c["name"] for c in cpcs] == ["CPC1", "CPC2"]
    cpc1 = cpcs[0]["object-uri"]
    parts = api.ok("GET", f"{cpc1}/partitions?name={urllib.parse.quote('PART.*')}&status=active")["partitions"]
    assert [p["name"] for p in parts] == ["PART1", "PART2"]
    lpars = api.ok("GET", f"{cpcs[1]['object-uri']}/logical-partitions?name=LP01")["logical-partitions"]
    assert [p["name"] for p in lpars] == ["LP01"]
    permitted = api.ok("GET", "/api/console/operations/list-permitted-logical-partitions")["logical-partitions"]
    assert {p["cpc-name"] for p in permitted} == {"CPC2"}
    assert all(p["cpc-object-uri"] == cpcs[1]["object-uri"] for p in permitted)
    props = api.ok("GET", lpars[0]["object-uri"])
    assert props["status"] == "operating" and props["os-name"] == "ZOS1"


def test_os_message_channel_conflicts(hmcsim):
    api = Api(hmcsim)
    lp01 = api.find("logical-partition", "LP01")
    lp02 = api.find("logical-partition", "LP02")
    topic = api.ok("POST", f"{lp01}/operations/open-os-message-channel", {"include-refresh-messages": False})
    assert api.error("POST", f"{lp01}/operations/open-os-message-channel", {}) == (409, 331)
    assert api.error("POST", f"{lp02}/operations/open-os-message-channel", {}) == (409, 332)
    topics = api.ok("GET", "/api/sessions/operations/get-notification-topics")["topics"]
    os_topics = [t for t in topics if t["topic-type"] == "os-message-notification"]
    assert os_topics == [{"topic-name": topic["topic-name"], "topic-type": "os-message-notification",
                          "object-uri": lp01, "include-refresh-messages": False}]
    other = Api(hmcsim).ok("POST", f"{lp01}/operations/open-os-message-channel", {})
    assert other["topic-name"] != topic["topic-name"]


def test_list_os_messages_and_reply_clears_held_message(hmcsim):
    api = Api(hmcsim)
    lp01 = api.find("logical-partition", "LP01")
    hmcsim.control.os_message("LP01", "IEF403I PAYROLL - STARTED - TIME=10.00.00")
    hmcsim.control.os_message("LP01", "*05 IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", held=True, reply_id="05")
    messages = api.ok("GET", f"{lp01}/operations/list-os-messages?begin-sequence-number=1")["os-messages"]
    assert [(m["sequence-number"], m["is-held"], m["message-id"]) for m in messages] == [(1, True, "05")]
    assert hmcsim.control.resources()[-2]["held"] == [5]
    api.ok("POST", f"{lp01}/operations/send-os-cmd", {"operating-system-command-text": "R 05,CANCEL",
                                                     "is-priority": False})
    held = {r["name"]: r["held"] for r in hmcsim.control.resources()}
    assert held["LP01"] == []
    [command] = hmcsim.control.os_commands()
    assert (command["resource"], command["text"], command["userid"], command["replied-to"]) == \
        ("LP01", "R 05,CANCEL", "operator", "05")
    texts = [m["message-text"] for m in api.ok("GET", f"{lp01}/operations/list-os-messages")["os-messages"]]
    assert texts[-1] == "IEE600I REPLY TO 05 IS;CANCEL"


def test_list_os_messages_filters_as_zhmcclient_asks(hmcsim):
    """The query parameters zhmcclient's list_os_messages(begin, end, is_held, is_priority, max_messages) sends."""
    api = Api(hmcsim)
    lp01 = api.find("logical-partition", "LP01")
    hmcsim.control.os_message("LP01", "IEF403I ROUTINE")
    held = hmcsim.control.os_message("LP01", "IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                                     reply_id="05")["sequence-number"]
    urgent = hmcsim.control.os_message("LP01", "IOS000I URGENT", priority=True)["sequence-number"]
    hmcsim.control.os_message("LP01", "IEF404I ROUTINE")

    def numbers(query):
        messages = api.ok("GET", f"{lp01}/operations/list-os-messages?{query}")["os-messages"]
        return [m["sequence-number"] for m in messages]

    everything = numbers("")
    assert numbers("is-held=true") == [held]
    assert numbers("is-priority=true") == [urgent]
    assert numbers("is-held=false&is-priority=false") == [n for n in everything if n not in (held, urgent)]
    assert numbers("max-messages=2") == everything[:2]
    assert numbers(f"begin-sequence-number={held}&max-messages=2") == [held, urgent]
    assert numbers("max-messages=0") == everything
    assert api.error("GET", f"{lp01}/operations/list-os-messages?is-held=yes") == (400, 14)
    assert api.error("GET", f"{lp01}/operations/list-os-messages?max-messages=-1") == (400, 14)
    api.ok("POST", f"{lp01}/operations/send-os-cmd", {"operating-system-command-text": "R 05,CANCEL",
                                                     "is-priority": False})
    assert numbers("is-held=true") == [], "an answered message is no longer held"


def test_a_full_history_drops_the_oldest_routine_messages_and_keeps_held_and_priority_ones(hmcsim_factory,
                                                                                             tmp_path):
    """WS API book, List OS Messages: "the oldest non-held, non-priority OS messages are no longer available"."""
    scenario = yaml.safe_load(MINIMAL.read_text())
    scenario["console"]["os_history"] = 5
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(scenario))
    sim = hmcsim_factory(scenario=str(tmp_path / "small.yaml"))
    api = Api(sim)
    lp01 = api.find("logical-partition", "LP01")
    held = sim.control.os_message("LP01", "IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                                  reply_id="07")["sequence-number"]
    urgent = sim.control.os_message("LP01", "IOS000I URGENT", priority=True)["sequence-number"]
    answered = sim.control.os_message("LP01", "IEF238D JOB2 - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                                      reply_id="08")["sequence-number"]
    api.ok("POST", f"{lp01}/operations/send-os-cmd", {"operating-system-command-text": "R 08,U",
                                                     "is-priority": False})  # adds IEE600I REPLY TO 08
    routine = [sim.control.os_message("LP01", f"IEA{n:03d}I ROUTINE")["sequence-number"] for n in range(10)]
    numbers = [m["sequence-number"] for m in api.ok("GET", f"{lp01}/operations/list-os-messages")["os-messages"]]
    assert numbers == [held, urgent, *routine[-3:]], f"answered {answered} is routine again"
    urgent_later = [sim.control.os_message("LP01", f"IOS{n:03d}I URGENT", priority=True)["sequence-number"]
                    for n in range(4)]
    numbers = [m["sequence-number"] for m in api.ok("GET", f"{lp01}/operations/list-os-messages")["os-messages"]]
    assert numbers == [urgent, *urgent_later], \
        "once only held and priority messages are kept, the oldest of all goes: the history stays bounded"


def test_held_message_shows_its_reply_id_in_front_like_zos(hmcsim):
    api = Api(hmcsim)
    lp01 = api.find("logical-partition", "LP01")
    hmcsim.control.os_message("LP01", "IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", held=True, reply_id="7")
    hmcsim.control.os_message("LP01", "@08 IEA000A ALREADY SHOWN", held=True, reply_id="08")
    texts = [m["message-text"] for m in api.ok("GET", f"{lp01}/operations/list-os-messages")["os-messages"]]
    assert texts[-2:] == ["*07 IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", "@08 IEA000A ALREADY SHOWN"]


def test_missing_task_permission_is_403_reason_1(hmcsim):
    viewer = Api(hmcsim, "viewer", "viewer-password")
    lp01 = viewer.find("logical-partition", "LP01")
    assert viewer.error("POST", f"{lp01}/operations/send-os-cmd", {"operating-system-command-text": "D A,L"}) == \
        (403, 1)
    part3 = viewer.find("partition", "PART3")
    assert viewer.error("POST", f"{part3}/operations/start", {}) == (403, 1)


def test_jobs_with_notifications(hmcsim):
    api = Api(hmcsim)
    stomp = Stomp(hmcsim)
    result = api.logon_result
    assert stomp.connect(result["api-session"], result["session-credential"]).command == "CONNECTED"
    stomp.subscribe(result["job-notification-topic"], "1")
    stomp.subscribe(result["notification-topic"], "2")
    part3 = api.find("partition", "PART3")
    response = api.call("POST", f"{part3}/operations/start", {})
    assert response.status_code == 202
    job_uri = response.json()["job-uri"]
    assert api.ok("GET", job_uri)["status"] == "running"
    frames = [stomp.frame() for _ in range(5)]
    kinds = [(f.headers["notification-type"], f.headers.get("property-names")) for f in frames]
    # stopped -> starting keeps the status unacceptable: only status changed, so only status is reported
    assert kinds == [("status-change", None), ("property-change", " status "),
                     ("status-change", None), ("property-change", " status has-unacceptable-status "),
                     ("job-completion", None)]
    assert json.loads(frames[3].body)["change-reports"] == [
        {"property-name": "status", "old-value": "starting", "new-value": "active"},
        {"property-name": "has-unacceptable-status", "old-value": True, "new-value": False}]
    assert frames[4].headers["job-uri"] == job_uri and frames[4].body == b""
    assert api.ok("GET", job_uri) == {"status": "complete", "job-status-code": 200, "job-reason-code": None,
                                      "job-results": {}}
    hmcsim.control.fail_next_job("PART3", "no storage")
    job_uri = api.call("POST", f"{part3}/operations/stop", {}).json()["job-uri"]
    deadline = time.monotonic() + 5
    while api.ok("GET", job_uri)["status"] != "complete" and time.monotonic() < deadline:
        time.sleep(0.1)
    job = api.ok("GET", job_uri)
    assert (job["job-status-code"], job["job-reason-code"], job["job-results"]) == (500, 263, {"message": "no storage"})
    assert api.error("POST", f"{part3}/operations/start", {}) == (409, 1), "start needs a stopped partition"
    assert api.call("DELETE", job_uri).status_code == 204
    assert api.error("GET", job_uri) == (404, 1), "a deleted job is gone"


def test_list_features_and_bcpii_registrations(hmcsim):
    api = Api(hmcsim)
    cpcs = {c["name"]: c["object-uri"] for c in api.ok("GET", "/api/cpcs")["cpcs"]}
    assert api.ok("GET", f"{cpcs['CPC1']}/operations/list-features") == ["bcpii-notifications"]
    assert api.ok("GET", f"{cpcs['CPC2']}/operations/list-features?name=bcpii.*") == []
    regs = f"{cpcs['CPC1']}/operations/bcpii-notification-registrations"
    assert api.error("POST", f"{cpcs['CPC2']}/operations/bcpii-notification-registrations",
                     {"target-name": "*", "event-name": "*", "owner-id": "me"}) == (409, 350)
    created = api.call("POST", regs, {"target-name": "PART1", "event-name": "os-message", "owner-id": "eda"})
    assert created.status_code == 201
    again = api.call("POST", regs, {"target-name": "PART1", "event-name": "os-message", "owner-id": "eda"})
    assert again.status_code == 200 and again.json() == created.json()
    listing = api.ok("GET", regs)
    assert listing["registrations"] == [{"registration-id": created.json()["registration-id"], "target-name": "PART1",
                                         "event-name": "os-message", "owner-id": "eda", "permanent": False}]
    topics = api.ok("GET", "/api/sessions/operations/get-notification-topics")["topics"]
    assert {"topic-name": listing["topic-name"], "topic-type": "bcpii-notification"} in topics
    assert api.call("DELETE", f"{regs}/{created.json()['registration-id']}").status_code == 204
    assert api.error("DELETE", f"{regs}/{created.json()['registration-id']}") == (404, 1)
