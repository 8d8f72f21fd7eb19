"""wait_for_notification waits for the system it is asked about (a partition name is unique only within its CPC)
and within its timeout, as a user runs it with ansible-playbook against hmcsim."""

import contextlib
import socket
import subprocess
import threading
import time

import demo_support as ds
import module_play
import yaml

TWO_PART3 = {
    "console": {"name": "HMC1", "type": "hmc", "api_version": "4.10", "session_limit": 10},
    "users": [{"userid": "operator", "password": "operator-password", "permissions": ["*"]}],
    # CPCA comes first, so that a wait matching by name alone meets its PART3 first.
    "cpcs": [
        {"name": "CPCA", "dpm": True, "partitions": [{"name": "PART3", "status": "active", "os_name": "LNXA"}]},
        {"name": "CPC1", "dpm": True, "partitions": [{"name": "PART1", "status": "active", "os_name": "LNX1"},
                                                     {"name": "PART3", "status": "stopped"}]},
    ],
}
STATUS_CHANGES = {"object_changes": {"types": ["status-change"], "classes": ["partition"]}}


def two_part3(hmcsim_factory, tmp_path):
    scenario = tmp_path / "two-part3.yaml"
    scenario.write_text(yaml.safe_dump(TWO_PART3, sort_keys=False))
    return hmcsim_factory(scenario=str(scenario))


def uri_of(sim, cpc, name):
    return next(r["object-uri"] for r in sim.control.resources() if r["cpc"] == cpc and r["name"] == name)


def wait(**args):
    return {"zhmc.notifications.wait_for_notification": {
        "hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}", "stomp_port": "{{ stomp_port }}", **args}}


def subscribed(sim, timeout=120):
    deadline = time.monotonic() + timeout
    while not any(c.get("subscriptions") for c in sim.control.stomp_connections()):
        assert time.monotonic() < deadline, "the module did not subscribe"
        time.sleep(0.1)


def test_conditions_name_the_cpc_and_the_uri(hmcsim_factory, tmp_path):
    """CPCA/PART3 is active, CPC1/PART3 stopped: a wait for CPC1's PART3 active does not end with CPCA's, neither
    from the current state nor from a notification of CPCA/PART3."""
    sim = two_part3(hmcsim_factory, tmp_path)
    process, out = module_play.start(sim, tmp_path / "cpcs", {
        "by_cpc": wait(subscriptions=STATUS_CHANGES, conditions={"cpcs": ["CPC1"], "names": ["PART3"],
                                                                 "status": ["active"]}, timeout=240)})
    try:
        subscribed(sim)
        sim.control.set_status("CPCA/PART3", "stopped")
        sim.control.set_status("CPCA/PART3", "active")
        sim.control.set_status("CPC1/PART3", "active")
        results, _output = module_play.finish(process, out)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    by_cpc = results["by_cpc"]
    assert not by_cpc.get("failed"), by_cpc
    [event] = by_cpc["events"]
    resource = event["hmc"]["resource"]
    assert (resource["uri"], resource["cpc"], resource["name"]) == (uri_of(sim, "CPC1", "PART3"), "CPC1", "PART3"), \
        "the CPC of a status notification is read and filled in"
    assert event["hmc"].get("current_state") is None, "a notification, not the current state of CPCA/PART3"

    sim.control.set_status("CPCA/PART3", "stopped")
    results, _output = module_play.run(sim, tmp_path / "uris", {
        "by_uri": wait(subscriptions=STATUS_CHANGES, conditions={"uris": [uri_of(sim, "CPC1", "PART3")],
                                                                 "status": ["active"]}, timeout=120),
        "other_uri": wait(subscriptions=STATUS_CHANGES, conditions={"uris": [uri_of(sim, "CPCA", "PART3")],
                                                                    "status": ["active"]},
                          timeout=3, fail_on_timeout=False),
        "bad_cpcs": wait(subscriptions=STATUS_CHANGES, conditions={"cpcs": [["CPC1"]]}, timeout=3),
    })
    [event] = results["by_uri"]["events"]
    assert event["hmc"]["current_state"] is True and event["hmc"]["resource"]["cpc"] == "CPC1"
    assert results["other_uri"]["found"] is False and results["other_uri"]["events"] == []
    assert results["bad_cpcs"]["msg"] == "conditions.cpcs: expected a string or a list of non-empty strings"
    assert sim.control.sessions() == []


def test_restart_resource_waits_for_the_system_it_restarted(hmcsim_factory, collections, tmp_path):
    """The shipped remediation playbook restarts CPC1/PART3 and reports the status of CPC1/PART3, not of the
    active PART3 of CPCA that the console lists first."""
    sim = two_part3(hmcsim_factory, tmp_path)
    resource = {"class": "partition", "name": "PART3", "uri": uri_of(sim, "CPC1", "PART3"), "cpc": "CPC1"}
    the_event = {"hmc": {"type": "status-change", "console": {"host": sim.endpoints["host"], "type": "hmc"},
                         "resource": resource, "status": {"old": "active", "new": "stopped", "unacceptable": True}},
                 "meta": {"uuid": "0b1c6f0e-3f5e-5a57-9d0c-2d9a1c1e4c12"}}
    variables = {**ds.sim_connection(sim, tmp_path / "state"), "ansible_eda": {"event": the_event}}
    vars_file = tmp_path / "restart.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    playbook = ds.installed_collection(collections) / "playbooks" / "restart_resource.yml"
    done = subprocess.run([ds.tool("ansible-playbook"), "-i", str(ds.write_inventory(tmp_path)), str(playbook),
                           "-e", f"@{vars_file}"], capture_output=True, text=True, env=ds.child_env(collections),
                          timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "RESTARTED PART3 on CPC1: job completed, status active (was stopped)" in output, output
    assert [(job["name"], job["object-uri"]) for job in sim.control.jobs()] == [("PART3", resource["uri"])]
    assert sim.control.sessions() == []


@contextlib.contextmanager
def silent_port():
    """A loopback port that accepts TCP connections and never sends a byte: (port, connections accepted)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_the_timeout_bounds_the_task_and_names_what_did_not_answer(hmcsim, tmp_path):
    """Broker and console ports that accept TCP and never answer: each wait ends near its timeout of 3 s (the
    socket timeouts are 30 s and more) and fails naming what did not answer, also with fail_on_timeout false."""
    with silent_port() as (port, accepted):
        results, _output = module_play.run(hmcsim, tmp_path, {
            "broker": wait(subscriptions={"jobs": True}, stomp_port=port, timeout=3),
            "broker_lenient": wait(subscriptions={"jobs": True}, stomp_port=port, timeout=3, fail_on_timeout=False),
            "console": {"zhmc.notifications.wait_for_notification": {
                "hmc_host": f"127.0.0.1:{port}", "hmc_auth": "{{ hmc_auth }}", "stomp_port": "{{ stomp_port }}",
                "subscriptions": {"jobs": True}, "timeout": 3, "fail_on_timeout": False}},
        })
        assert len(accepted) >= 3, "each wait reached the silent port"
    for name in ("broker", "broker_lenient"):
        result = results[name]
        assert result["failed"] is True and result["found"] is False, (name, result)
        assert result["msg"] == (f"Cannot wait for notifications: the STOMP broker at 127.0.0.1:{port} did not "
                                 "answer within 3.0s (TLS handshake, login or subscription receipt)")
        assert 3 <= result["waited"] < 20, result["waited"]
    console = results["console"]
    assert console["failed"] is True
    assert console["msg"] == (f"Cannot wait for notifications: the console at 127.0.0.1:{port} did not answer "
                              "within 3.0s (logon and resolving the subscriptions)")
    assert 3 <= console["waited"] < 20, console["waited"]
    assert hmcsim.control.sessions() == [], "the sessions of the broker waits were logged off"
