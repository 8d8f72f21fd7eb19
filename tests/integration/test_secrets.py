"""No password, session id or session credential in any output, event, result or file, at high verbosity.

The secrets to look for come from the console's side: the password is the test's own, and every session id
and credential hmcsim ever issued (GET /issued-sessions) is searched for, also those of sessions that ended.
Covered: every module at -vvv, a rulebook at -vv and -vvv whose rules print each event and run one of our
modules, and the demo (tools/demo.py) with ansible-rulebook's full output.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from test_faults_rulebook import RulebookProcess, wait_running

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tools/hmcsim/src/hmcsim/scenarios/minimal.yaml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "Pw-7Qx-secret-9z"  # distinctive, so a hit is a leak and not a coincidence


@pytest.fixture
def sim(hmcsim_factory, tmp_path):
    data = yaml.safe_load(MINIMAL.read_text())
    data["users"][0]["password"] = PASSWORD
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(data))
    return hmcsim_factory(str(scenario))


def secrets_of(control, password=PASSWORD):
    issued = control.issued_sessions()
    assert issued, "the run created sessions"
    return [password] + [s["id"] for s in issued] + [s["credential"] for s in issued]


def files_under(folder, skip=()):
    for path in Path(folder).rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name not in skip:
            yield path, path.read_bytes().decode(errors="replace")


def assert_no_secret(texts, secrets):
    for where, text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:3]}...) appears in {where}"


def test_every_module_at_vvv(sim, tmp_path):
    auth = {"userid": "operator", "password": "{{ hmc_password }}", "ca_certs": sim.ca_file}
    conn = {"hmc_host": sim.hmc_host, "hmc_auth": auth}
    reuse = {"hmc_host": "{{ s.hmc_host }}", "hmc_auth": "{{ s.hmc_auth }}"}
    bcpii = {"cpc_name": "CPC1", "targets": ["PART1"], "event_names": ["os-message"], "owner_id": "leaktest"}
    tasks = [
        {"zhmc.notifications.session": conn, "register": "s", "no_log": True},  # as its documentation asks
        {"zhmc.notifications.notification_topics_info": reuse},
        {"zhmc.notifications.os_message_channel": {**reuse, "cpc_name": "CPC1", "names": ["PART1"]}},
        {"zhmc.notifications.os_command": {**conn, "cpc_name": "CPC2", "name": "LP01", "command": "D T"}},
        {"zhmc.notifications.bcpii_notification_registration": {**conn, **bcpii}},
        {"zhmc.notifications.bcpii_notification_registration_info": {**conn, "cpc_name": "CPC1"}},
        {"zhmc.notifications.resource_action": {**conn, "action": "start", "cpc_name": "CPC1", "name": "PART3"}},
        {"zhmc.notifications.resource_info": {**reuse, "cpc_name": "CPC2", "name": "LP01", "os_messages": 5}},
        {"zhmc.notifications.wait_for_notification": {**conn, "stomp_port": sim.stomp_port, "timeout": 2,
                                                      "fail_on_timeout": False,
                                                      "subscriptions": {"jobs": True}}},
        {"zhmc.notifications.notification_topics_info": {**conn, "hmc_auth": {**auth, "password": "wrong"}},
         "ignore_errors": True},
        {"zhmc.notifications.session": {**reuse, "state": "absent"}},
    ]
    playbook = tmp_path / "modules.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHMC_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_LOG_PATH=str(tmp_path / "ansible.log"),
               ANSIBLE_KEEP_REMOTE_FILES="0")
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(playbook), "-vvv", "-e", f"hmc_password={PASSWORD}",
                           "-e", f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, env=env, timeout=240, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert output.count("zhmc.notifications.") >= len(tasks), "every module ran"
    assert (tmp_path / "ansible.log").stat().st_size > 0
    assert_no_secret([("ansible-playbook output", output), *files_under(tmp_path, skip={"scenario.yaml"})],
                     secrets_of(sim.control))
    assert sim.control.sessions() == []


@pytest.mark.parametrize("verbosity", ["-vv", "-vvv"])
def test_rulebook_output_and_events(sim, tmp_path, verbosity):
    # Only the first matching rule fires: the specific ones come first, the catch-all printer last.
    rules = [
        {"name": "act", "condition": 'event.hmc.type == "os-message" and event.hmc.os_message.code == "ACT0001I"',
         "action": {"run_module": {"name": "zhmc.notifications.notification_topics_info", "module_args": {
             "hmc_host": "{{ hmc_host }}",
             "hmc_auth": {"userid": "operator", "password": "{{ hmc_password }}", "ca_certs": "{{ ca_file }}"}}}}},
        {"name": "stop", "condition": 'event.hmc.type == "os-message" and event.hmc.os_message.code == "STOP001I"',
         "action": {"shutdown": {}}},
        {"name": "show", "condition": "event.hmc.type is defined", "action": {"print_event": {}}},
    ]
    rulebook = RulebookProcess(sim, tmp_path, rules, verbosity, password=PASSWORD)
    try:
        wait_running(sim, rulebook)
        sim.control.os_message("PART1", "ACT0001I do something")
        sim.control.drop_connections()  # a reconnect logs in to the broker again: more to leak
        deadline = time.monotonic() + 60
        while "connection-restored" not in rulebook.output() and len(sim.control.stomp_connections()) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        wait_running(sim, rulebook)
        time.sleep(2)  # let the module action finish
        sim.control.os_message("PART1", "STOP001I done")
        code = rulebook.wait_exit(90)
    finally:
        rulebook.kill()
    output = rulebook.output()
    assert code == 0, output[-3000:]
    assert "ACT0001I" in output and "'type': 'connection-restored'" in output, "events were printed"
    assert re.search(r"notification_topics_info|run_module", output), "the module action ran"
    files = files_under(tmp_path, skip={"vars.yml", "scenario.yaml"})
    assert_no_secret([("ansible-rulebook output", output), *files], secrets_of(sim.control))


def test_demo(tmp_path):
    """tools/demo.py end to end (its own hmcsim, ansible-rulebook with --verbose), every output and file."""
    demo = ROOT / "tools" / "demo.py"
    work = tmp_path / "demo"
    secrets = {"operator-password"}  # the demo scenario's password
    stop = threading.Event()

    def collect():
        """The demo's hmcsim stops with it: read its issued sessions while it runs."""
        from hmcsim.testing import ControlClient, ControlError

        control = None
        while not stop.is_set():
            ready = work / "hmcsim" / "ready.json"
            if control is None and ready.exists():
                with contextlib.suppress(ValueError):  # the ready file may be half written
                    control = ControlClient(json.loads(ready.read_text())["control"], timeout=5)
            if control is not None:
                with contextlib.suppress(OSError, ControlError):  # the demo's hmcsim may be stopping
                    for s in control.issued_sessions():
                        secrets.update((s["id"], s["credential"]))
            stop.wait(0.3)

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHMC_")}
    try:
        done = subprocess.run([sys.executable, str(demo), "--duration", "25", "--work-dir", str(work), "--verbose"],
                              capture_output=True, text=True, env=env, timeout=240, check=False, cwd=ROOT)
    finally:
        stop.set()
        collector.join(5)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert len(secrets) >= 3, "session ids and credentials were collected from the demo's console"
    skip = {"ca.pem", "server.pem", "server-key.pem", "ready.json"}
    texts = [("demo output", output)] + [(str(p), t) for p, t in files_under(work, skip=skip)
                                         if "hmcsim" not in p.parts and "/ansible_collections/" not in str(p)]
    assert_no_secret(texts, secrets - {"operator-password"})
    # The password is in the rulebook variables the demo writes for ansible-rulebook (as a user's vars file
    # would hold it); anywhere else it is a leak.
    assert_no_secret([(w, t) for w, t in texts if not str(w).endswith((".yml", ".yaml"))], {"operator-password"})


def test_broker_error_naming_the_login_does_not_carry_it_into_events(sim):
    """ActiveMQ rejects a login with ERROR "User name [<login>] or password is invalid.": with the session pair
    the login is the session id. Whatever the broker echoes must not reach events or exception text."""
    import asyncio

    from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

    args = source_args(sim, {"jobs": True}, reconnect={"initial_delay": 0.3, "max_delay": 1.0})
    args["hmc_auth"]["password"] = PASSWORD

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(sim, 1)
            [session] = await asyncio.to_thread(sim.control.sessions)
            await asyncio.to_thread(sim.control.stomp_error, f"User name [{session['id']}] or password is invalid.")
            lost = await source.wait_for(of_type("connection-lost"), timeout=30)
            await source.wait_for(of_type("connection-restored"), timeout=30)
            return lost

    lost = run(scenario())
    assert "or password is invalid" in lost["hmc"]["reason"]
    assert_no_secret([("connection-lost event", json.dumps(lost))], secrets_of(sim.control))
