"""Run module tasks with ansible-playbook against hmcsim, as a user does, and hand back each task's result.

Each task registers its result and ignores its errors; a last task writes every registered result to a JSON
file, so that tests assert in Python on what the module returned (failures included).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "operator-password"


def operator_auth(sim):
    return {"userid": "operator", "password": PASSWORD, "ca_certs": sim.ca_file}


def write_play(sim, folder, tasks, **variables):
    """A playbook (with its variables file) running tasks {register name: {module: args, keywords...}} in
    order."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "results.json"
    play_tasks = []
    for name, task in tasks.items():
        play_tasks.append({"name": name, **task, "register": name, "ignore_errors": True})
    results = "{" + ", ".join(f"'{name}': {name}" for name in tasks) + "}"
    play_tasks.append({"name": "Save the results", "ansible.builtin.copy": {
        "content": "{{ " + results + " | to_json }}", "dest": str(out)}, "check_mode": False})
    playbook = folder / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Module tasks", "hosts": "localhost", "gather_facts": False,
                                         "tasks": play_tasks}], sort_keys=False))
    variables = {"hmc_host": sim.hmc_host, "hmc_auth": operator_auth(sim), "stomp_port": sim.stomp_port,
                 "ansible_python_interpreter": sys.executable, **variables}
    vars_file = folder / "vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    return playbook, vars_file, out


def environment():
    return dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")


def play_tasks(path, tasks, environ=None, leave_out=(), timeout=300):
    """Run tasks as one localhost play written to path, with ansible-playbook as a user runs it: (rc, output).

    ``leave_out``: prefixes of the test's environment variables the play must not see (trust settings that would
    hide what the test checks); ``environ``: variables to add."""
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = {k: v for k, v in environment().items() if not k.startswith(tuple(leave_out))}
    env.update(environ or {})
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(path), "-e", f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return done.returncode, done.stdout + done.stderr


def start(sim, folder, tasks, **variables):
    """Start the play in the background: (process, results file)."""
    playbook, vars_file, out = write_play(sim, folder, tasks, **variables)
    process = subprocess.Popen([str(ANSIBLE_PLAYBOOK), str(playbook), "-e", f"@{vars_file}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment())
    return process, out


def finish(process, out, timeout=300):
    """Wait for a play from start(); (results by task, output)."""
    output = process.communicate(timeout=timeout)[0]
    assert process.returncode == 0, output
    return json.loads(out.read_text()), output


def run(sim, folder, tasks, **variables):
    """Run the play to its end: (results by task, output)."""
    return finish(*start(sim, folder, tasks, **variables))
