"""No secret in any log line at -vvv, whichever component writes it (stomp.py logs every frame it receives).

One ansible-rulebook run meets a broker ERROR that echoes the session id (as ActiveMQ's "User name [<login>] or
password is invalid" does), rejected logins, reconnects and a console restart; every password, session id and
credential hmcsim issued is searched for in the whole output.
"""

import time

from test_faults_rulebook import RulebookProcess, wait_running
from test_secrets import PASSWORD, assert_no_secret, files_under, secrets_of, sim

__all__ = ["sim"]  # the fixture of test_secrets (a console whose password is distinctive), used here too

RULES = [
    {"name": "stop", "condition": 'event.hmc.type == "os-message" and event.hmc.os_message.code == "STOP001I"',
     "action": {"shutdown": {}}},
    {"name": "show", "condition": "event.hmc.type is defined", "action": {"print_event": {}}},
]


def wait_until(what, predicate, rulebook, timeout=90):
    deadline = time.monotonic() + timeout
    while not predicate():
        if rulebook.process.poll() is not None:
            raise AssertionError(f"ansible-rulebook exited while waiting for {what}:\n{rulebook.output()[-3000:]}")
        assert time.monotonic() < deadline, f"no {what} in time:\n{rulebook.output()[-3000:]}"
        time.sleep(0.2)


def test_no_secret_in_any_log_line_at_vvv(sim, tmp_path):
    rulebook = RulebookProcess(sim, tmp_path, RULES, "-vvv", password=PASSWORD)
    try:
        wait_running(sim, rulebook)
        [session] = sim.control.sessions()
        logins = sim.control.stomp_logins()["ok"]
        sim.control.stomp_error(f"User name [{session['id']}] or password is invalid.")
        wait_until("a new broker login", lambda: sim.control.stomp_logins()["ok"] > logins, rulebook)
        wait_running(sim, rulebook)
        logins = sim.control.stomp_logins()
        sim.control.drop_connections(refuse_seconds=1.5, refuse_with="error")  # logins rejected for a while
        wait_until("a login after the rejected ones", lambda: sim.control.stomp_logins()["ok"] > logins["ok"],
                   rulebook)
        wait_running(sim, rulebook)
        sim.control.restart_console(down_seconds=2)
        wait_until("a logon after the restart", lambda: sim.control.logons()["ok"] >= 2, rulebook)
        wait_running(sim, rulebook)
        sim.control.os_message("PART1", "STOP001I done")
        code = rulebook.wait_exit(90)
    finally:
        rulebook.kill()
    output = rulebook.output()
    assert code == 0, output[-3000:]
    assert sim.control.stomp_logins()["failed"] >= 1, "a login was rejected"
    assert "User name [********] or password is invalid" in output, "stomp.py's DEBUG lines are in the output"
    assert output.count("'type': 'connection-restored'") >= 3
    files = files_under(tmp_path, skip={"vars.yml", "scenario.yaml"})
    assert_no_secret([("ansible-rulebook output", output), *files], secrets_of(sim.control))
