"""The modules as a user runs them: ansible-playbook against hmcsim over TLS.

The playbooks in playbooks/modules/ assert on the module results; these tests prepare the console, run them
and check the console's side through hmcsim's control API.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

PLAYBOOKS = Path(__file__).parent / "playbooks" / "modules"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "operator-password"


def run_playbook(name, sim, tmp_path, *args, expect_rc=0, environ=None, **extra_vars):
    """Run a playbook with the console's address, CA file and control URL as variables; returns its output."""
    variables = {"hmc_host": sim.hmc_host, "ca_file": sim.ca_file, "control": sim.endpoints["control"],
                 "ansible_python_interpreter": sys.executable, **extra_vars}
    vars_file = tmp_path / f"{name}.vars.json"
    vars_file.write_text(json.dumps(variables))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false", **(environ or {}))
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(PLAYBOOKS / name), "-e", f"@{vars_file}", *args],
                          capture_output=True, text=True, env=env, timeout=240, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == expect_rc, output
    return output


def logon(sim):
    """A session of the test's own, as a later task would get it from the session module."""
    client = HmcClient([sim.hmc_host], userid="operator", password=PASSWORD, ca_certs=sim.ca_file)
    client.logon()
    auth = {"session_id": client.session_id, "session_credential": client.session_credential,
            "ca_certs": sim.ca_file}
    return client, auth


def test_channels_open_once_per_session_and_check_mode_opens_nothing(hmcsim, tmp_path):
    client, auth = logon(hmcsim)
    run_playbook("channels.yml", hmcsim, tmp_path, hmc_auth=auth)
    channels = hmcsim.control.channels()
    assert sorted(channel["name"] for channel in channels) == ["LP01", "PART1", "PART2"]
    assert {channel["session"] for channel in channels} == {client.session_id}
    assert [session["id"] for session in hmcsim.control.sessions()] == [client.session_id], \
        "a module must not log off a session it was given"


def test_bcpii_purge_removes_only_this_owners_unwanted_registrations(hmcsim, tmp_path):
    client, auth = logon(hmcsim)
    cpc_uri = client.find_cpc("CPC1")["object-uri"]
    client.create_bcpii_registration(cpc_uri, "PART1", "os-message", "other-app")
    client.create_bcpii_registration(cpc_uri, "*", "*", "eda", permanent=True)
    client.create_bcpii_registration(cpc_uri, "PART3", "os-message", "eda")
    output = run_playbook("bcpii.yml", hmcsim, tmp_path, "--diff", hmc_auth=auth)
    assert '-        "PART3 os-message"' in output, "the diff shows before and after"
    assert '+        "PART1 os-message",' in output
    left = {(reg["owner-id"], reg["target-name"], reg["event-name"], reg["permanent"])
            for reg in hmcsim.control.bcpii_registrations()}
    assert left == {("other-app", "PART1", "os-message", False), ("eda", "*", "*", True),
                    ("eda", "PART2", "os-message", True), ("eda", "PART2", "status-change", False)}


def test_os_command_reply_clears_the_held_message(hmcsim, tmp_path):
    hmcsim.control.os_message("LP01", "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                              reply_id="05")
    assert held_reply_ids(hmcsim, "LP01") == [5]
    run_playbook("os_command.yml", hmcsim, tmp_path,
                 hmc_auth={"userid": "operator", "password": PASSWORD, "ca_certs": hmcsim.ca_file})
    assert held_reply_ids(hmcsim, "LP01") == []
    commands = hmcsim.control.os_commands()
    assert [(c["text"], c["is-priority"]) for c in commands] == [("R 05,U", False), ("D T", True), ("D A,L", False)]
    assert commands[0]["replied-to"] == "05"
    assert hmcsim.control.sessions() == [], "every module logged off the session it created"


def held_reply_ids(sim, name):
    return next(resource["held"] for resource in sim.control.resources() if resource["name"] == name)


def test_failures_are_clear(hmcsim, tmp_path):
    run_playbook("failures.yml", hmcsim, tmp_path)
    assert hmcsim.control.sessions() == []


def test_connection_from_environment_variables(hmcsim, tmp_path):
    environ = {"ZHMC_HOST": f"127.0.0.1:1,{hmcsim.hmc_host}", "ZHMC_USERID": "operator", "ZHMC_PASSWORD": PASSWORD,
               "ZHMC_CA_CERTS": hmcsim.ca_file}
    run_playbook("env.yml", hmcsim, tmp_path, environ=environ)
    assert hmcsim.control.sessions() == []


def test_relogon_after_console_restart(hmcsim, tmp_path):
    client, _auth = logon(hmcsim)
    hmcsim.control.restart_console()
    logons_before = sum(hmcsim.control.logons().values())
    run_playbook("relogon.yml", hmcsim, tmp_path, old_session_id=client.session_id)
    assert sum(hmcsim.control.logons().values()) == logons_before + 1
    assert hmcsim.control.sessions() == []


def test_session_reuse_shows_no_secret_even_at_vvv(hmcsim, tmp_path):
    secrets_file = tmp_path / "session.json"
    output = run_playbook("session.yml", hmcsim, tmp_path, "-vvv", secrets_file=str(secrets_file))
    session = json.loads(secrets_file.read_text())
    assert session["session_id"] and session["session_credential"]
    for secret in (PASSWORD, session["session_id"], session["session_credential"]):
        assert secret not in output
    assert hmcsim.control.sessions() == []
    assert [reg["owner-id"] for reg in hmcsim.control.bcpii_registrations()] == ["eda"]


def test_os_command_by_uri_sends_only_what_it_should(hmcsim, tmp_path):
    """uri instead of cpc_name and name: the reply goes out; check mode, an unknown or foreign URI and a URI
    together with a name send nothing."""
    hmcsim.control.os_message("LP01", "*07 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                              reply_id="07")
    uri = next(r["object-uri"] for r in hmcsim.control.resources() if r["name"] == "LP01")
    run_playbook("os_command_uri.yml", hmcsim, tmp_path, lp01_uri=uri,
                 hmc_auth={"userid": "operator", "password": PASSWORD, "ca_certs": hmcsim.ca_file})
    assert [c["text"] for c in hmcsim.control.os_commands()] == ["R 07,U"]
    assert held_reply_ids(hmcsim, "LP01") == []
    assert hmcsim.control.sessions() == []
