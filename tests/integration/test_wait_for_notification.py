"""wait_for_notification as a user runs it: ansible-playbook against hmcsim over TLS."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait
      zhmc.notifications.wait_for_notification:
        hmc_host: "{{ hmc_host }}"
        hmc_auth: "{{ hmc_auth }}"
        stomp_port: "{{ stomp_port }}"
        subscriptions: "{{ subscriptions }}"
        conditions: "{{ conditions }}"
        count: "{{ count | default(1) }}"
        timeout: "{{ timeout }}"
        fail_on_timeout: "{{ fail_on_timeout | default(true) }}"
        current_state: "{{ current_state | default(true) }}"
      register: result
    - name: Save the result
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
"""


def start_playbook(sim, tmp_path, **variables):
    playbook = tmp_path / "wait.yml"
    playbook.write_text(PLAY)
    out = tmp_path / "result.json"
    variables = {"hmc_host": sim.hmc_host, "ca_file": sim.ca_file, "stomp_port": sim.stomp_port, "out": str(out),
                 "hmc_auth": {"userid": "operator", "password": "operator-password", "ca_certs": sim.ca_file},
                 "ansible_python_interpreter": sys.executable, **variables}
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    process = subprocess.Popen([str(ANSIBLE_PLAYBOOK), str(playbook), "-e", f"@{vars_file}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return process, out


def wait_subscribed(sim, count, timeout=60):
    deadline = time.monotonic() + timeout
    while sum(len(c.get("subscriptions") or []) for c in sim.control.stomp_connections()) < count:
        assert time.monotonic() < deadline, "the module did not subscribe"
        time.sleep(0.1)


def test_waits_for_matching_os_messages(hmcsim, tmp_path):
    process, out = start_playbook(
        hmcsim, tmp_path, subscriptions={"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]},
        conditions={"message_codes": ["IEF238D"], "text": "JOB2"}, count=2, timeout=60)
    wait_subscribed(hmcsim, 2)
    for text in ("IEF238D JOB1 X", "IEA000I JOB2", "IEF238D JOB2 FIRST", "IEF238D JOB2 SECOND"):
        hmcsim.control.os_message("PART1", text)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    result = json.loads(out.read_text())
    assert result["found"] is True and result["changed"] is False
    texts = [e["hmc"]["os_message"]["text"] for e in result["events"]]
    assert texts == ["IEF238D JOB2 FIRST", "IEF238D JOB2 SECOND"]
    assert hmcsim.control.sessions() == [], "the module logs off its session"


def test_timeout_fails_or_returns_not_found(hmcsim, tmp_path):
    # The timeout covers subscribing too (a wait that never began is an error): room for a busy machine.
    process, out = start_playbook(hmcsim, tmp_path, subscriptions={"jobs": True}, conditions={}, timeout=8,
                                  fail_on_timeout=False)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    assert json.loads(out.read_text())["found"] is False

    (tmp_path / "strict").mkdir()
    process = start_playbook(hmcsim, tmp_path / "strict", subscriptions={"jobs": True}, conditions={}, timeout=8)[0]
    output = process.communicate(timeout=120)[0]
    assert process.returncode != 0
    assert "Timed out after 8.0s: 0 of 1 matching notification(s) arrived" in output


def logon(sim):
    """A session of the test's own, as zhmc.notifications.session hands it to later tasks."""
    client = HmcClient([sim.hmc_host], userid="operator", password="operator-password", ca_certs=sim.ca_file)
    client.logon()
    return client, {"session_id": client.session_id, "session_credential": client.session_credential,
                    "ca_certs": sim.ca_file}


def finished_job(sim, client, name, action):
    """Start a job in the client's session and wait until the console reports it complete."""
    uri = client.select_guests("CPC1", names=[name])[0]["object-uri"]
    job_uri = getattr(client, action)(uri, name=name)
    deadline = time.monotonic() + 30
    while client.query_job(job_uri)["status"] != "complete":
        assert time.monotonic() < deadline, "the job did not complete"
        time.sleep(0.1)
    return job_uri


def run_wait(sim, tmp_path, name, **variables):
    (tmp_path / name).mkdir()
    process, out = start_playbook(sim, tmp_path / name, **variables)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    return json.loads(out.read_text()), output


def test_a_job_that_completed_before_the_wait_began(hmcsim, tmp_path):
    """The race of starting the job first: its completion notification went out before the wait subscribed.
    The wait queries the job and returns the completion at once, with the job's status filled in."""
    client, auth = logon(hmcsim)
    job_uri = finished_job(hmcsim, client, "PART3", "start_partition")
    started = time.monotonic()
    result, _output = run_wait(hmcsim, tmp_path, "done", hmc_auth=auth, subscriptions={"jobs": True},
                               conditions={"job_uri": job_uri, "types": ["job-completion"], "names": ["PART3"]},
                               timeout=60)
    assert result["found"] is True and result["waited"] < 30, "matched at once, not after the timeout"
    assert time.monotonic() - started < 60
    [event] = result["events"]
    hmc = event["hmc"]
    assert hmc["type"] == "job-completion" and hmc["current_state"] is True
    assert hmc["job"] == {"uri": job_uri, "status": "complete", "status_code": 200, "reason_code": None,
                          "results": {}}
    assert hmc["severity"] == "info"
    assert event["meta"]["uuid"]

    # Only notifications count with current_state false: the same wait times out.
    result, _output = run_wait(hmcsim, tmp_path, "notifications-only", hmc_auth=auth, subscriptions={"jobs": True},
                               conditions={"job_uri": job_uri}, timeout=3, fail_on_timeout=False,
                               current_state=False)
    assert result["found"] is False and result["events"] == []
    assert [s["id"] for s in hmcsim.control.sessions()] == [client.session_id], "a given session stays"
    client.logoff()


def test_a_failed_job_completed_before_the_wait(hmcsim, tmp_path):
    client, auth = logon(hmcsim)
    hmcsim.control.fail_next_job("PART3", "no storage for PART3")
    job_uri = finished_job(hmcsim, client, "PART3", "start_partition")
    result, _output = run_wait(hmcsim, tmp_path, "failed", hmc_auth=auth, subscriptions={"jobs": True},
                               conditions={"job_uri": job_uri}, timeout=60)
    hmc = result["events"][0]["hmc"]
    assert (hmc["job"]["status_code"], hmc["job"]["results"], hmc["severity"]) == (
        500, {"message": "no storage for PART3"}, "error")
    client.logoff()


def test_a_running_job_is_awaited_once(hmcsim_factory, tmp_path):
    """A job still running when the wait begins: its notification completes the wait, counted once although the
    console's state says complete by then too."""
    sim = hmcsim_factory(scenario="minimal")
    client, auth = logon(sim)
    uri = client.select_guests("CPC1", names=["PART3"])[0]["object-uri"]
    job_uri = client.start_partition(uri, name="PART3")
    assert client.query_job(job_uri)["status"] == "running"
    result, _output = run_wait(sim, tmp_path, "running", hmc_auth=auth, subscriptions={"jobs": True},
                               conditions={"job_uri": job_uri}, count=2, timeout=8, fail_on_timeout=False)
    assert [e["hmc"]["job"]["uri"] for e in result["events"]] == [job_uri], "one completion, not two"
    assert result["events"][0]["hmc"]["job"]["status_code"] == 200
    client.logoff()


def test_a_status_the_resource_already_has(hmcsim, tmp_path):
    subscriptions = {"object_changes": {"types": ["status-change"], "classes": ["partition"]}}
    result, _output = run_wait(hmcsim, tmp_path, "has", subscriptions=subscriptions,
                               conditions={"names": ["PART1"], "status": ["active", "degraded"]}, timeout=60)
    [event] = result["events"]
    hmc = event["hmc"]
    assert hmc["type"] == "status-change" and hmc["current_state"] is True
    assert (hmc["resource"]["name"], hmc["resource"]["class"], hmc["resource"]["cpc"]) == (
        "PART1", "partition", "CPC1")
    assert (hmc["status"]["old"], hmc["status"]["new"]) == (None, "active")
    assert result["waited"] < 30

    # PART3 is stopped: not matched by its state; its change to active is, as a notification.
    process, out = start_playbook(hmcsim, tmp_path, subscriptions=subscriptions,
                                  conditions={"names": ["PART[13]"], "status": ["active"],
                                              "classes": ["partition"]}, count=2, timeout=60)
    wait_subscribed(hmcsim, 1)
    hmcsim.control.set_status("PART3", "active")
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    events = json.loads(out.read_text())["events"]
    # PART3's change normally arrives as a notification; should the state be read after the change, the
    # notification repeats it and is not counted twice: either way PART3 is there once, after PART1.
    assert [(e["hmc"]["resource"]["name"], e["hmc"]["status"]["new"]) for e in events] == [
        ("PART1", "active"), ("PART3", "active")]
    assert events[0]["hmc"]["current_state"] is True
    assert hmcsim.control.sessions() == []
