"""Bad module parameters through ansible-playbook: each task fails with a message naming the parameter.

No console is needed, and none may be contacted: hmc_host points at a closed loopback port, so a module that
validated a parameter only after trying to connect would fail with "cannot connect" instead, and the assertion
on the parameter name catches that. One playbook run holds every case (ansible-playbook start-up is the cost).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SECRET = "s3cret-Password-17"
AUTH = {"userid": "operator", "password": SECRET}
HOST = "127.0.0.1:1"

CASES = {
    # name: (module, params, [fragments the message must contain])
    "unknown_option": ("notification_topics_info", {"cpc": "CPC1"}, ["Unsupported parameters", "cpc"]),
    "unknown_auth_key": ("notification_topics_info", {"hmc_auth": {**AUTH, "pasword": "x"}}, ["pasword"]),
    # ansible-core's own message for a dict option with sub-options given a plain string does not name the
    # option (its check runs before the module): asserted as it is, so a change in ansible-core shows up here.
    "auth_not_a_dict": ("notification_topics_info", {"hmc_auth": "operator"},
                        ["dictionary requested, could not parse JSON or key=value"]),
    "verify_not_bool": ("notification_topics_info", {"hmc_auth": {**AUTH, "verify": "maybe"}}, ["verify"]),
    "port_not_a_number": ("wait_for_notification", {"subscriptions": {"jobs": True}, "stomp_port": "sixty"},
                          ["stomp_port"]),
    "unset_credentials": ("notification_topics_info", {"hmc_auth": {"userid": "", "password": ""}},
                          ["hmc_auth: give userid and password", "ZHMC_USERID"]),
    "password_without_userid": ("notification_topics_info", {"hmc_auth": {"userid": "", "password": SECRET}},
                                ["hmc_auth.userid: required together with hmc_auth.password"]),
    "empty_host": ("notification_topics_info", {"hmc_host": ""}, ["hmc_host: required"]),
    "host_is_a_dict": ("notification_topics_info", {"hmc_host": {"name": "hmc1"}}, ["hmc_host"]),
    "host_with_scheme": ("notification_topics_info", {"hmc_host": "https://hmc1"},
                         ["hmc_host: expected 'host' or 'host:port'"]),
    "missing_ca_file": ("notification_topics_info", {"hmc_auth": {**AUTH, "ca_certs": "/no/such/ca.pem"}},
                        ["hmc_auth.ca_certs: no such file or directory"]),
    "bad_topic_type": ("notification_topics_info", {"topic_types": ["os-messages"]}, ["topic_types"]),
    "wait_timeout_not_int": ("os_command", {"cpc_name": "CPC1", "name": "LP01", "command": "D T",
                                            "wait_timeout": "soon"}, ["wait_timeout"]),
    "bad_wait_for_regex": ("os_command", {"cpc_name": "CPC1", "name": "LP01", "command": "D T",
                                          "wait_for": "IEE136I ("}, ["wait_for is not a valid regular expression"]),
    "bad_reply_id": ("os_command", {"cpc_name": "CPC1", "name": "LP01", "reply_id": "05; D T", "reply": "U"},
                     ["reply_id: must be the one to four digit reply id"]),
    "names_and_regex": ("os_message_channel", {"cpc_name": "CPC1", "names": ["P1"], "name_regex": "P.*"},
                        ["mutually exclusive", "names", "name_regex"]),
    "bad_subscriptions": ("wait_for_notification", {"subscriptions": {"os_msgs": []}},
                          ["subscriptions: unknown key(s) os_msgs"]),
    "bad_condition_regex": ("wait_for_notification", {"subscriptions": {"jobs": True},
                                                      "conditions": {"names": ["PROD("]}}, ["names", "PROD("]),
    "bad_event_name": ("bcpii_notification_registration", {"cpc_name": "CPC1", "targets": ["LP01"],
                                                           "event_names": ["os-messages"], "owner_id": "me"},
                       ["event_names"]),
    "info_uri_and_name": ("resource_info", {"uri": "/api/partitions/1", "name": "P1"},
                          ["mutually exclusive", "uri", "name"]),
    "info_foreign_uri": ("resource_info", {"uri": "/api/cpcs/1"},
                         ["uri: '/api/cpcs/1' is not the URI of a partition or an LPAR"]),
    "info_negative_count": ("resource_info", {"uri": "/api/partitions/1", "os_messages": -1},
                            ["os_messages must be 0 or more, got -1"]),
    "current_state_not_bool": ("wait_for_notification", {"subscriptions": {"jobs": True}, "current_state": "maybe"},
                               ["current_state"]),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Run every case in one playbook; return {case: registered result}."""
    tmp = tmp_path_factory.mktemp("args")
    tasks = []
    for name, (module, params, _expected) in CASES.items():
        args = {"hmc_host": HOST, "hmc_auth": AUTH, **params}
        tasks.append({"name": name, f"zhmc.notifications.{module}": args, "register": name, "ignore_errors": True})
    out = tmp / "results.json"
    tasks.append({"name": "save", "ansible.builtin.copy": {
        "dest": str(out), "content": "{{ {" + ", ".join(f"'{n}': {n}" for n in CASES) + "} | to_json }}"}})
    playbook = tmp / "args.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHMC_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(playbook), "-e",
                           f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, env=env, timeout=240, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert SECRET not in output, "the password leaked into ansible-playbook's output"
    return json.loads(out.read_text())


@pytest.mark.parametrize("case", list(CASES))
def test_bad_parameter_fails_naming_it(results, case):
    result = results[case]
    message = result.get("msg", "")
    assert result.get("failed") is True, result
    for fragment in CASES[case][2]:
        assert fragment in message, message
    assert "cannot connect" not in message, "validated only after trying to reach the console"
    assert SECRET not in json.dumps(result)
