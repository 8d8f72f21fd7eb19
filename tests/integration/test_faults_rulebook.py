"""Shutdown faults of ansible-rulebook running the source: SIGTERM, SIGINT and a rulebook `shutdown` action.

Whatever ends the rulebook, the source must log its session off and close its STOMP connection, because a
console limits its sessions and a leaked one counts until it times out. hmcsim's control API is the witness:
after ansible-rulebook has exited it must show no session and no STOMP connection, and the logoff must have
happened (the session list was non-empty while running). The collection is used from this checkout through
ANSIBLE_COLLECTIONS_PATH (the source engineer's tests cover the installed tarball).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ANSIBLE_RULEBOOK = Path(sys.executable).parent / "ansible-rulebook"
COLLECTIONS = Path(__file__).resolve().parents[2] / ".tmp" / "collections"


def rulebook_doc(rules):
    """A ruleset with the source on PART1's OS messages and job completions, and the given rules."""
    return [{
        "name": "faults", "hosts": "all",
        "sources": [{"zhmc.notifications.hmc": {
            "hmc_host": "{{ hmc_host }}",
            "hmc_auth": {"userid": "operator", "password": "{{ hmc_password }}", "ca_certs": "{{ ca_file }}"},
            "stomp_port": "{{ stomp_port }}", "heartbeat": 5,
            "subscriptions": {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}], "jobs": True},
        }}],
        "rules": rules,
    }]


class RulebookProcess:
    """ansible-rulebook on a generated rulebook; output goes to tmp_path/rulebook.log."""

    def __init__(self, sim, tmp_path, rules, *flags, password="operator-password", extra_vars=None):
        self.dir = tmp_path
        rulebook = tmp_path / "rulebook.yml"
        rulebook.write_text(yaml.safe_dump(rulebook_doc(rules)))
        variables = {"hmc_host": sim.hmc_host, "ca_file": sim.ca_file, "stomp_port": sim.stomp_port,
                     "hmc_password": password, **(extra_vars or {})}
        self.vars_file = tmp_path / "vars.yml"
        self.vars_file.write_text(yaml.safe_dump(variables))
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZHMC_")}
        env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
                   PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        self.log = tmp_path / "rulebook.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(ANSIBLE_RULEBOOK), "-r", str(rulebook), "-i", str(tmp_path / "inventory.yml"),
                 "--vars", str(self.vars_file), *flags],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_exit(self, timeout=60):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"ansible-rulebook did not exit within {timeout}s:\n{self.output()[-3000:]}") from None

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_running(sim, rulebook, subscriptions=3, timeout=120):
    """Until the source holds its subscriptions (session logged on, STOMP connected)."""
    deadline = time.monotonic() + timeout
    while sum(len(c.get("subscriptions") or []) for c in sim.control.stomp_connections()) < subscriptions:
        if rulebook.process.poll() is not None:
            raise AssertionError(f"ansible-rulebook exited {rulebook.process.returncode}:\n{rulebook.output()}")
        assert time.monotonic() < deadline, f"the source did not subscribe in time:\n{rulebook.output()[-3000:]}"
        time.sleep(0.2)


def assert_clean(sim):
    """The console shows nothing left behind: no session, no STOMP connection (logoff happened)."""
    deadline = time.monotonic() + 10
    while sim.control.sessions() or sim.control.stomp_connections():
        assert time.monotonic() < deadline, (sim.control.sessions(), sim.control.stomp_connections())
        time.sleep(0.1)
    # Sessions only vanish at a logoff here (hmcsim has no session timeout): one logon, now gone.
    assert sim.control.logons() == {"ok": 1, "failed": 0}


STOP_RULES = [
    {"name": "stop", "condition": 'event.hmc.type == "os-message" and event.hmc.os_message.code == "STOP001I"',
     "action": {"shutdown": {"message": "asked to stop"}}},
]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_logs_off_and_disconnects(hmcsim, tmp_path, signum):
    rulebook = RulebookProcess(hmcsim, tmp_path, STOP_RULES, "-v")
    try:
        wait_running(hmcsim, rulebook)
        assert len(hmcsim.control.sessions()) == 1
        rulebook.process.send_signal(signum)
        code = rulebook.wait_exit()
    finally:
        rulebook.kill()
    assert code == 0, f"ansible-rulebook's own graceful path, not killed by the signal ({code}): {rulebook.output()}"
    assert_clean(hmcsim)


def test_shutdown_action_logs_off_and_disconnects(hmcsim, tmp_path):
    rulebook = RulebookProcess(hmcsim, tmp_path, STOP_RULES, "-v")
    try:
        wait_running(hmcsim, rulebook)
        hmcsim.control.os_message("PART1", "STOP001I please stop")
        code = rulebook.wait_exit()
    finally:
        rulebook.kill()
    assert code == 0, rulebook.output()[-3000:]
    assert_clean(hmcsim)
