"""Every playbook of playbooks/ in check mode changes nothing: no command or job reaches the console, no state,
escalation or diagnostics file is written, no session is left open.

Each playbook gets an event that would make it act (a held message with a reply, a stopped partition that
may be restarted ...), from the installed collection, as ansible-rulebook would start it.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import demo_support as ds

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def event(sim, resource, hmc_type, **sections):
    """A normalized event as the source makes it, for a resource of the minimal scenario."""
    found = next(r for r in sim.control.resources() if r["name"] == resource)
    return {"hmc": {"type": hmc_type, "console": {"host": sim.endpoints["host"], "type": "hmc"},
                    "resource": {"class": found["class"], "name": resource, "uri": found["object-uri"],
                                 "cpc": found["cpc"]}, **sections},
            "meta": {"uuid": "0b1c6f0e-3f5e-5a57-9d0c-2d9a1c1e4c11"}}


def cases(sim):
    """playbook -> (event, extra variables) that would make it act outside check mode."""
    held = {"code": "IEF238D", "reply_id": "05", "held": True, "sequence_number": 7,
            "text": "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'."}
    return {
        "held_message_reply": (event(sim, "LP01", "os-message", os_message=held),
                               {"held_message_replies": [{"code": "IEF238D", "reply": "CANCEL"}]}),
        "message_action": (event(sim, "LP01", "os-message", os_message={"code": "IEA404A", "text": "*IEA404A"}),
                           {"message_actions": [{"code": "IEA404A", "command": "D C", "escalate": True}]}),
        "restart_resource": (event(sim, "PART3", "status-change",
                                   status={"old": "active", "new": "stopped", "unacceptable": True}), {}),
        "forward_log_entry": (event(sim, "PART1", "log-entry", log_entry={"name": "Logon failed", "user": "x"}),
                              {}),
        "connection_health": (event(sim, "PART1", "connection-lost", reason="test"), {}),
        "escalate": (event(sim, "PART1", "status-change", status={"new": "stopped"}),
                     {"escalation_reason": "test"}),
        "openstack_instance_report": (openstack_event(), {"report_reason": "instance vm1 entered ERROR"}),
    }


def openstack_event():
    """An instance-entered-ERROR event as the openstack source makes it."""
    return {"openstack": {"type": "instance.update", "event_type": "instance.update", "severity": "error",
                          "resource": {"class": "instance", "id": "6f2c9b1e-0000-4000-8000-000000000001",
                                       "name": "vm1"},
                          "state": "error", "old_state": "active", "request_id": "req-1",
                          "payload": {"host": "kvm1", "fault": {"message": "No valid host"}}},
            "meta": {"uuid": "0b1c6f0e-3f5e-4a57-9d0c-2d9a1c1e4c11"}}


COVERED = {"held_message_reply", "message_action", "restart_resource", "forward_log_entry", "connection_health",
           "escalate", "openstack_instance_report"}


def test_every_playbook_is_covered():
    assert {p.stem for p in PLAYBOOKS.glob("*.yml")} == COVERED


def test_playbooks_change_nothing_in_check_mode(hmcsim_factory, collections, tmp_path):
    sim = hmcsim_factory(scenario="minimal")
    inventory = ds.write_inventory(tmp_path)
    state = tmp_path / "state"

    def run(name, case):
        the_event, extra = case
        variables = {**ds.sim_connection(sim, state), **extra, "ansible_eda": {"event": the_event}}
        vars_file = tmp_path / f"{name}.yml"
        vars_file.write_text(yaml.safe_dump(variables))
        playbook = ds.installed_collection(collections) / "playbooks" / f"{name}.yml"
        return subprocess.run([ds.tool("ansible-playbook"), "--check", "-i", str(inventory), str(playbook),
                               "-e", f"@{vars_file}"], capture_output=True, text=True,
                              env=ds.child_env(collections), timeout=300, check=False)

    todo = cases(sim)
    assert set(todo) == COVERED
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(todo, pool.map(lambda item: run(*item), todo.items())))
    for name, result in results.items():
        assert result.returncode == 0, f"{name}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        assert "failed=0" in result.stdout, f"{name}:\n{result.stdout[-3000:]}"
    # They would have acted: the responder would reply, the restart would start a job ...
    assert "Send the reply from the table" in results["held_message_reply"].stdout
    assert "changed: [localhost]" in results["restart_resource"].stdout
    assert "ESCALATED: instance vm1 entered ERROR" in results["openstack_instance_report"].stdout
    console = sim.control.state()
    assert console["os-commands"] == []
    assert console["jobs"] == []
    assert console["sessions"] == []
    assert not state.exists() or not any(state.rglob("*")), sorted(state.rglob("*"))
