"""The state_guard role from the installed collection with values a shell would misread: every command
(claim, mark, limit, append) stores them verbatim, a second claim loses, and check mode writes nothing.

The role runs its script through ansible.builtin.script (one process, no module in between), whose command
line passes a shell, so quoting is the role's job; this is what proves it does it.
"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import demo_support as ds

TRICKY = "it's \"quoted\" $HOME `id` ; echo x && exit 3 | * ? \\ ~ {a,b} ünïcode\nsecond line"


def guard(command, **values):
    return {"name": f"State guard {command}",
            "ansible.builtin.include_role": {"name": "zhmc.notifications.state_guard"},
            "vars": {"state_guard_command": command, **values}}


def keep(name):
    return {"name": f"Keep {name}", "ansible.builtin.set_fact": {name: "{{ state_guard_result }}"}}


PLAYBOOK = [{
    "name": "Use the state guard with hard values", "hosts": "localhost", "gather_facts": False,
    "tasks": [
        guard("claim", state_guard_file="{{ state }}", state_guard_key="{{ tricky }}", state_guard_info="{{ tricky }}"),
        keep("first"),
        guard("claim", state_guard_file="{{ state }}", state_guard_key="{{ tricky }}"),
        keep("second"),
        guard("mark", state_guard_file="{{ state }}", state_guard_key="{{ tricky }}",
              state_guard_status="{{ tricky }}"),
        guard("limit", state_guard_file="{{ limits }}", state_guard_key="{{ tricky }}", state_guard_limit=1),
        keep("allowed"),
        guard("limit", state_guard_file="{{ limits }}", state_guard_key="{{ tricky }}", state_guard_limit=1),
        keep("refused"),
        guard("append", state_guard_file="{{ log }}", state_guard_record={"text": "{{ tricky }}", "n": 1}),
        {"name": "Show the outcomes", "ansible.builtin.copy": {
            "dest": "{{ outcomes }}", "mode": "0600",
            "content": "{{ {'first': first, 'second': second, 'allowed': allowed, 'refused': refused} | to_json }}"}},
    ]}]


def play(collections, tmp_path, *options):
    playbook = tmp_path / "guard.yml"
    playbook.write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False, allow_unicode=True))
    variables = tmp_path / "vars.json"
    files = {name: str(tmp_path / "state dir" / f"{name}.json") for name in ("state", "limits", "log", "outcomes")}
    variables.write_text(json.dumps({"tricky": TRICKY, **files}))
    done = subprocess.run([ds.tool("ansible-playbook"), *options, "-i", str(ds.write_inventory(tmp_path)),
                           str(playbook), "-e", f"@{variables}"], capture_output=True, text=True,
                          env=ds.child_env(collections), timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return {name: Path(path) for name, path in files.items()}


def test_every_command_stores_what_it_was_given(collections, tmp_path):
    files = play(collections, tmp_path)
    outcomes = json.loads(files["outcomes"].read_text())
    assert outcomes["first"]["claimed"] is True and outcomes["second"]["claimed"] is False
    assert outcomes["allowed"]["allowed"] is True and outcomes["refused"]["allowed"] is False
    state = json.loads(files["state"].read_text())
    assert list(state) == [TRICKY]
    assert state[TRICKY]["info"] == TRICKY and state[TRICKY]["status"] == TRICKY
    assert list(json.loads(files["limits"].read_text())) == [TRICKY]
    assert [json.loads(line) for line in files["log"].read_text().splitlines()] == [{"n": 1, "text": TRICKY}]


def test_check_mode_decides_and_writes_nothing(collections, tmp_path):
    files = play(collections, tmp_path, "--check")
    for name in ("state", "limits", "log"):
        assert not files[name].exists(), name
