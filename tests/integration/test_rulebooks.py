"""Each shipped rulebook, run by ansible-rulebook from the installed collection tarball against hmcsim.

Outcomes are checked where they happen: in hmcsim (the reply command it received, the job it ran, the
sessions left open) and in the files the playbooks write (escalation log, state files, diagnostics), not in
the log text. One ansible-rulebook (a JVM) per rulebook; the light ones share a console and run side by side.
"""

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from processes import receiver_children, scheduling

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import demo_support as ds

pytestmark = pytest.mark.rulebook

TIMEOUT = 120
"""Generous: playbooks start an ansible-playbook each, and CI machines are busy."""


def eventually(predicate, what, timeout=TIMEOUT, interval=0.5):
    """Poll until predicate() is truthy and return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def records(path: Path) -> list:
    """The JSON lines of an escalation or forwarding log (none while it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@contextmanager
def rulebook(name, sim, collections, work: Path, **variables):
    """ansible-rulebook running the installed rulebook `name` against sim until the block ends.

    On exit it is stopped the way the demo stops it (SIGINT), and the console must have no session left:
    neither the source's nor one of a playbook.
    """
    work.mkdir(parents=True, exist_ok=True)
    values = {**ds.sim_connection(sim, work / "state"), **variables}
    vars_file = work / "vars.yml"
    vars_file.write_text(yaml.safe_dump(values))
    process = ds.start_rulebook(ds.installed_rulebook(collections, name), ds.write_inventory(work), vars_file,
                                collections, cwd=work)
    log = open(work / "ansible-rulebook.log", "w")  # noqa: SIM115 (closed below, after the pump ends)
    reader = ds.OutputReader(lambda kind, text: None, raw=log)
    pump = reader.pump(process.stdout)
    try:
        yield process, reader.tally
    finally:
        rc = ds.stop_rulebook(process)
        pump.join(5)
        log.close()
    assert rc == 0, f"ansible-rulebook exited with {rc}: {(work / 'ansible-rulebook.log').read_text()[-3000:]}"


def wait_idle(tally, seconds=2.0):
    """Until every playbook the rulebook started has ended (so that none is killed half-way)."""
    eventually(lambda: tally.playbooks_running == 0 and time.monotonic() - tally.last_output > seconds,
               "the playbooks to finish")


def commands(sim, text=None):
    return [c for c in sim.control.os_commands() if text is None or c["text"] == text]


def held_message(sim, resource, text, reply_id):
    """Put a held message on the console; returns its os-message-info as the console recorded it."""
    number = sim.control.os_message(resource, text, held=True, reply_id=reply_id)["sequence-number"]
    return {"sequence-number": number, "message-id": reply_id, "message-text": text, "timestamp": 0,
            "sound-alarm": True, "is-priority": False, "is-held": True, "prompt-text": "", "os-name": "ZOS1",
            "is-refresh": False}


REPLIES = [{"code": "IEF238D", "text": "PAYROLL ", "reply": "CANCEL"}]
PAYROLL = "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."


def test_held_message_responder(hmcsim_factory, collections, tmp_path):
    """Known held message answered once by reply id, an unknown one escalated, a repeat never answered. The
    receiver process runs at nice 10, ansible-rulebook at its own (hmc_receiver_nice is 10 by default)."""
    sim = hmcsim_factory(scenario="minimal")
    options = {"hmc_systems": [{"cpc": "CPC2", "lpars": ["LP01"]}], "held_message_replies": REPLIES}
    state = tmp_path / "run1" / "state"
    with rulebook("held_message_responder.yml", sim, collections, tmp_path / "run1", **options) as (proc, tally):
        ds.wait_until_subscribed(sim.control, proc)
        [receiver] = receiver_children(proc.pid)
        assert scheduling(receiver)[0] == 10 and scheduling(proc.pid)[0] == scheduling(os.getpid())[0]
        known = held_message(sim, "LP01", PAYROLL, "05")
        held_message(sim, "LP01", "*06 IXC102A XCF IS WAITING FOR SYSTEM SYS2 DEACTIVATION", "06")
        # A problem program's WTOR with the same code and text: not a system message, so escalated, not answered.
        held_message(sim, "LP01", "@07 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", "07")
        reply = eventually(lambda: commands(sim, "R 05,CANCEL"), "the reply to IEF238D")
        assert reply[0]["replied-to"] == "05"
        assert reply[0]["resource"] == "LP01"
        escalated = eventually(lambda: [r for r in records(state / "escalations.jsonl")
                                        if r["message_code"] == "IXC102A"], "the escalation of IXC102A")
        assert escalated[0]["reason"] == "no reply configured for held message IXC102A"
        assert escalated[0]["reply_id"] == "06"
        forged = eventually(lambda: [r for r in records(state / "escalations.jsonl") if r["reply_id"] == "07"],
                            "the escalation of the problem program's IEF238D")
        assert forged[0]["reason"] == "no reply configured for held message IEF238D with indicator @"
        # The same notification again (as after a reconnect): same uuid, throttled by the rules engine.
        sim.control.inject("os-message", resource="LP01", topic_type="os-message-notification",
                           body={"os-messages": [known]})
        wait_idle(tally)
    answered = json.loads((state / "held_message_replies.json").read_text())
    assert [record["status"] for record in answered.values()] == ["sent"]

    # A new rules engine (no throttle memory) gets the same message once more: the state file refuses it.
    with rulebook("held_message_responder.yml", sim, collections, tmp_path / "run2",
                  **{**options, "zhmc_state_dir": str(state)}) as (proc, tally):
        ds.wait_until_subscribed(sim.control, proc)
        sim.control.inject("os-message", resource="LP01", topic_type="os-message-notification",
                           body={"os-messages": [known]})
        eventually(lambda: tally.playbooks_done >= 1 or "Not answering" in
                   (tmp_path / "run2" / "ansible-rulebook.log").read_text(), "the responder's second run")
        wait_idle(tally)
    assert len(commands(sim, "R 05,CANCEL")) == 1
    assert len(commands(sim)) == 1, "the unknown held message must not be answered"
    assert sim.control.sessions() == []


def test_held_message_responder_answers_during_a_storm_its_stream_lags_behind(hmcsim_factory, collections, tmp_path):
    """IPL storm: hmcsim holds the STOMP stream for 20 s (a receiver that lags behind the storm) and a WTOR is
    written then. The responder's held_lookahead (100 messages/s by default) finds it through List OS Messages,
    so the reply reaches the console while the stream is still held; when the stream brings the message, nothing
    is answered twice. The rulebook's defaults only: no look-ahead or priority variable is set."""
    sim = hmcsim_factory(scenario="minimal")
    options = {"hmc_systems": [{"cpc": "CPC2", "lpars": ["LP01"]}], "held_message_replies": REPLIES}
    with rulebook("held_message_responder.yml", sim, collections, tmp_path / "run", **options) as (proc, tally):
        ds.wait_until_subscribed(sim.control, proc)
        [receiver] = receiver_children(proc.pid)
        assert scheduling(receiver)[0] == 10 and scheduling(proc.pid)[0] == scheduling(os.getpid())[0]
        sim.control.storm("LP01", 300, 15)
        time.sleep(3)  # the source sees LP01 storm (300 messages/s, looked ahead from 100)
        stalled = 20
        sim.control.stall_heartbeats(stalled)
        stall_ends = time.time() + stalled
        held_message(sim, "LP01", PAYROLL, "05")
        reply = eventually(lambda: commands(sim, "R 05,CANCEL"), "the reply to IEF238D", timeout=stalled)
        assert reply[0]["time"] < stall_ends, "answered while the stream was held"
        time.sleep(max(0.0, stall_ends - time.time()) + 13)  # the stream and the storm go on, then end
        wait_idle(tally)
        assert len(commands(sim, "R 05,CANCEL")) == 1, "the stream's copy was not answered again"
    answered = json.loads((tmp_path / "run" / "state" / "held_message_replies.json").read_text())
    assert [record["status"] for record in answered.values()] == ["sent"]
    assert sim.control.sessions() == []


def test_message_actions(hmcsim_factory, collections, tmp_path):
    """A storm of one watched message runs the action once: one command to the system, one escalation."""
    sim = hmcsim_factory(scenario="minimal")
    actions = [{"code": "IEA40*", "command": "D CONSOLES,BACKLOG", "escalate": True,
                "description": "console buffer shortage"}]
    state = tmp_path / "state"
    with rulebook("message_actions.yml", sim, collections, tmp_path,
                  hmc_systems=[{"cpc": "CPC2", "lpars": ["LP01"]}], message_actions=actions) as (proc, tally):
        ds.wait_until_subscribed(sim.control, proc)
        sim.control.os_message("LP01", "IEF403I PAYROLL - STARTED")
        for _index in range(5):
            sim.control.os_message("LP01", "*IEA404A SEVERE WTO BUFFER SHORTAGE - 100% FULL")
        eventually(lambda: commands(sim, "D CONSOLES,BACKLOG"), "the action's command")
        eventually(lambda: records(state / "escalations.jsonl"), "the escalation")
        wait_idle(tally)
    assert len(commands(sim)) == 1
    escalations = records(state / "escalations.jsonl")
    assert [(r["reason"], r["message_code"], r["resource"]) for r in escalations] == [
        ("console buffer shortage", "IEA404A", "LP01")]
    assert sim.control.sessions() == []


def test_unacceptable_status(hmcsim_factory, collections, tmp_path):
    """A chosen partition that stops is restarted (a start job, active again); one that already used up its
    restarts is escalated instead; a system that is not chosen is escalated."""
    sim = hmcsim_factory(scenario="minimal")
    state = tmp_path / "state"
    state.mkdir()
    uris = {r["name"]: r["object-uri"] for r in sim.control.resources()}
    # PART2 was restarted a minute ago: with restart_max 1 it is not restarted again.
    (state / "restarts.json").write_text(json.dumps({f"{sim.endpoints['host']}|{uris['PART2']}": [time.time() - 60]}))
    with rulebook("unacceptable_status.yml", sim, collections, tmp_path, restart_systems=["PART1", "PART2"],
                  restart_max=1) as (proc, tally):
        ds.wait_until_subscribed(sim.control, proc)
        sim.control.set_status("PART1", "stopped")
        sim.control.set_status("PART2", "terminated")
        sim.control.set_status("LP01", "not-operating")
        job = eventually(lambda: [j for j in sim.control.jobs() if j["name"] == "PART1" and j["status"] ==
                                  "complete"], "the start job of PART1")
        assert (job[0]["operation"], job[0]["job-status-code"], job[0]["userid"]) == ("start", 200, "operator")
        eventually(lambda: len(records(state / "escalations.jsonl")) >= 2, "two escalations")
        wait_idle(tally)
    status = {r["name"]: r["status"] for r in sim.control.resources()}
    assert status["PART1"] == "active"
    assert status["PART2"] == "terminated"
    assert [j["name"] for j in sim.control.jobs()] == ["PART1"]
    reasons = sorted(r["reason"] for r in records(state / "escalations.jsonl"))
    assert reasons == ["LP01 entered the unacceptable status not-operating",
                       "not restarted: 1 restarts within 60 minutes already"]
    diagnostics = [json.loads(p.read_text()) for p in (state / "diagnostics").glob("PART1-*.json")]
    assert diagnostics and diagnostics[0]["status"] == "stopped"
    assert diagnostics[0]["properties"]["name"] == "PART1"
    assert diagnostics[0]["recent_os_messages"] == []
    assert "not running" in diagnostics[0]["os_messages_unavailable"], "a stopped system has no OS messages to give"
    assert sim.control.sessions() == []


def test_audit_and_connection_health(hmcsim_factory, collections, tmp_path):
    """audit_security.yml and connection_health.yml side by side on one console."""
    sim = hmcsim_factory(scenario="minimal")
    names = ("audit_security.yml", "connection_health.yml")
    options = {"hmc_systems": [{"cpc": "CPC2", "lpars": ["LP01"]}], "audit_event_names": ["Logon failed"]}
    with (rulebook(names[0], sim, collections, tmp_path / "audit", **options) as (audit_proc, audit),
          rulebook(names[1], sim, collections, tmp_path / "health", **options) as (health_proc, health)):
        for proc in (audit_proc, health_proc):
            ds.wait_until_subscribed(sim.control, proc, connections=2)
        sim.control.step("log_entry", log="security", event_name="Logon failed", userid="intruder")
        sim.control.step("log_entry", log="audit", event_name="User logged on", userid="operator")
        forwarded = eventually(lambda: records(tmp_path / "audit" / "state" / "audit.jsonl"), "the log entry")
        wait_idle(audit)
        sim.control.drop_connections()
        lost = eventually(lambda: [r for r in records(tmp_path / "health" / "state" / "escalations.jsonl")
                                   if r["event_type"] == "connection-lost"], "the connection-lost record")
        wait_idle(health)
    assert [(r["log_entry"]["name"], r["log_entry"]["user"]) for r in forwarded] == [("Logon failed", "intruder")]
    assert lost[0]["reason"].startswith("connection to the console lost")
    assert sim.control.sessions() == []
