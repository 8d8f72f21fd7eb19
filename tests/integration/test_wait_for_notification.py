"""wait_for_notification as a user runs it: ansible-playbook against hmcsim over TLS."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait
      zhmc.notifications.wait_for_notification:
        hmc_host: "{{ hmc_host }}"
        hmc_auth: {userid: operator, password: operator-password, ca_certs: "{{ ca_file }}"}
        stomp_port: "{{ stomp_port }}"
        subscriptions: "{{ subscriptions }}"
        conditions: "{{ conditions }}"
        count: "{{ count | default(1) }}"
        timeout: "{{ timeout }}"
        fail_on_timeout: "{{ fail_on_timeout | default(true) }}"
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
    process, out = start_playbook(hmcsim, tmp_path, subscriptions={"jobs": True}, conditions={}, timeout=1,
                                  fail_on_timeout=False)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    assert json.loads(out.read_text())["found"] is False

    (tmp_path / "strict").mkdir()
    process = start_playbook(hmcsim, tmp_path / "strict", subscriptions={"jobs": True}, conditions={}, timeout=1)[0]
    output = process.communicate(timeout=120)[0]
    assert process.returncode != 0
    assert "Timed out after 1.0s: 0 of 1 matching notification(s) arrived" in output
