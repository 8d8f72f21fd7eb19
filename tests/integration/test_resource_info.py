"""resource_info as a user runs it: ansible-playbook against hmcsim over TLS, also in check mode."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "operator-password"
PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/zhmc.notifications.hmc:
      hmc_host: "{{ hmc_host }}"
      hmc_auth: "{{ hmc_auth }}"
  tasks:
    - name: Read
      zhmc.notifications.resource_info: "{{ params }}"
      register: result
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
      check_mode: false
"""


def read(sim, tmp_path, params, *args, auth=None):
    """Run resource_info with params (through the action group's defaults); returns its result."""
    run = tmp_path / f"run{len(list(tmp_path.glob('run*')))}"
    run.mkdir()
    (run / "play.yml").write_text(PLAY)
    auth = auth or {"userid": "operator", "password": PASSWORD, "ca_certs": sim.ca_file}
    variables = {"hmc_host": sim.hmc_host, "hmc_auth": auth, "params": params, "out": str(run / "result.json"),
                 "ansible_python_interpreter": sys.executable}
    (run / "vars.yml").write_text(yaml.safe_dump(variables))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(run / "play.yml"), "-e", f"@{run / 'vars.yml'}", *args],
                          capture_output=True, text=True, env=env, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((run / "result.json").read_text())


def uri_of(sim, name):
    return next(r["object-uri"] for r in sim.control.resources() if r["name"] == name)


def test_properties_and_last_os_messages_by_uri(hmcsim, tmp_path):
    hmcsim.control.os_message("LP01", "IEF403I PAYROLL - STARTED")
    hmcsim.control.os_message("LP01", "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                              reply_id="05")
    last = hmcsim.control.os_message("LP01", "IEE136I LOCAL: TIME=08.15.01")["sequence-number"]
    result = read(hmcsim, tmp_path, {"uri": uri_of(hmcsim, "LP01"), "os_messages": 2})
    assert result["changed"] is False and not result.get("failed"), result
    assert result["resource"] == {"uri": uri_of(hmcsim, "LP01"), "name": "LP01", "class": "logical-partition",
                                  "cpc": "CPC2"}, "the CPC is named also when only the URI was given"
    assert result["status"] == "operating"
    assert result["properties"]["os-name"] == "ZOS1"
    assert result["properties"]["status"] == "operating"
    held, newest = result["os_messages"]
    assert (held["code"], held["reply_id"], held["held"], held["action"]) == ("IEF238D", "05", True, True)
    assert held["text"] == "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."
    assert (newest["code"], newest["held"], newest["sequence_number"]) == ("IEE136I", False, last)
    assert result["last_sequence_number"] == last
    assert result["os_messages_unavailable"] is None
    assert hmcsim.control.sessions() == [], "the module logs off the session it created"


def test_os_messages_from_a_sequence_number(hmcsim, tmp_path):
    numbers = [hmcsim.control.os_message("PART1", f"LINE {n}")["sequence-number"] for n in range(5)]
    result = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "PART1", "os_messages_from": numbers[2]})
    assert [m["text"] for m in result["os_messages"]] == ["LINE 2", "LINE 3", "LINE 4"]
    assert result["last_sequence_number"] == numbers[4]
    capped = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "PART1", "os_messages_from": numbers[1],
                                     "os_messages": 2})
    assert [m["text"] for m in capped["os_messages"]] == ["LINE 3", "LINE 4"]
    nothing_new = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "PART1", "os_messages_from": numbers[4] + 1})
    assert nothing_new["os_messages"] == [] and nothing_new["last_sequence_number"] is None


def test_no_os_messages_asked_and_a_stopped_system(hmcsim, tmp_path):
    hmcsim.control.os_message("PART1", "LINE")
    plain = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "PART1"})
    assert plain["os_messages"] == [] and plain["status"] == "active"
    stopped = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "PART3", "resource_type": "partition",
                                      "os_messages": 10})
    assert not stopped.get("failed"), stopped
    assert stopped["status"] == "stopped"
    assert stopped["os_messages"] == []
    assert "not running" in stopped["os_messages_unavailable"]


def test_check_mode_and_a_given_session(hmcsim, tmp_path):
    client = HmcClient([hmcsim.hmc_host], userid="operator", password=PASSWORD, ca_certs=hmcsim.ca_file)
    client.logon()
    auth = {"session_id": client.session_id, "session_credential": client.session_credential,
            "ca_certs": hmcsim.ca_file}
    hmcsim.control.os_message("LP01", "IEF403I PAYROLL - STARTED")
    result = read(hmcsim, tmp_path, {"cpc_name": "CPC2", "name": "LP01", "os_messages": 5}, "--check", auth=auth)
    assert result["changed"] is False
    assert [m["code"] for m in result["os_messages"]] == ["IEF403I"], "check mode reads the same"
    assert [s["id"] for s in hmcsim.control.sessions()] == [client.session_id], "a given session stays"
    client.logoff()


def test_errors_name_the_resource(hmcsim, tmp_path):
    unknown = read(hmcsim, tmp_path, {"cpc_name": "CPC1", "name": "NOPE"})
    assert unknown["failed"] is True
    assert "no partition named 'NOPE' on cpc 'CPC1'" in unknown["msg"]
    client = HmcClient([hmcsim.hmc_host], userid="operator", password=PASSWORD, ca_certs=hmcsim.ca_file)
    cpc_uri = client.find_cpc("CPC1")["object-uri"]
    client.logoff()
    foreign = read(hmcsim, tmp_path, {"uri": cpc_uri})
    assert foreign["msg"] == f"uri: {cpc_uri!r} is not the URI of a partition or an LPAR"
    gone = read(hmcsim, tmp_path, {"uri": "/api/partitions/no-such-id"})
    assert "Get properties of partition /api/partitions/no-such-id" in gone["msg"] and "HTTP 404" in gone["msg"]
    negative = read(hmcsim, tmp_path, {"uri": uri_of(hmcsim, "LP01"), "os_messages": -1})
    assert negative["msg"] == "os_messages must be 0 or more, got -1"
    assert hmcsim.control.sessions() == [], "a failing module logs off its session too"
