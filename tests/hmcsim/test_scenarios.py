"""Scenario files: shipped ones load, invalid ones fail naming file, line and field."""

import subprocess
import sys

import pytest

from hmcsim.errors import ScenarioError
from hmcsim.scenario import builtin_names, load_scenario

GOOD = """\
console: {name: HMC9}
cpcs:
  - name: CPC1
    dpm: true
    partitions:
      - {name: P1, status: active}
timeline:
  - at: 1
    os_message: {resource: P1, text: hello}
"""


@pytest.mark.parametrize("name", ["demo", "ipl-storm", "console-restart", "bcpii", "minimal"])
def test_shipped_scenarios_load(name):
    assert name in builtin_names()
    assert load_scenario(name).cpcs


def test_shipped_name_wins_over_a_folder_of_that_name(tmp_path, monkeypatch):
    """`hmcsim --scenario demo` run where a folder called demo exists (a user's working directory)."""
    (tmp_path / "demo").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_scenario("demo").cpcs
    (tmp_path / "mine").write_text(GOOD)
    assert load_scenario("mine").console["name"] == "HMC9"
    with pytest.raises(ScenarioError, match=r"missing\.yaml: scenario file not found"):
        load_scenario("missing.yaml")


@pytest.mark.parametrize(("old", "new", "where"), [
    ("status: active", "status: running", ":6: cpcs[0].partitions[0].status: must be one of"),
    ("dpm: true", "dpm: yes-please", ":4: cpcs[0].dpm: must be of type boolean"),
    ("resource: P1", "resource: P9", ":9: timeline[0].os_message.resource: unknown resource 'P9'"),
    ("text: hello", "txt: hello", ":9: timeline[0].os_message.txt: unknown field"),
    ("  - at: 1\n", "  - at: one\n", ":8: timeline[0].at: must be of type integer or number"),
    ("{name: HMC9}", "{name: HMC9, type: z}", ":1: console.type: must be one of hmc, se"),
    # A console sends a job's completion only to the session that started the job: no scenario can.
    ("os_message: {resource: P1, text: hello}", "job_completion: {resource: P1}",
     ":9: timeline[0].job_completion: a console sends a job's completion only to the session that started"),
])
def test_invalid_scenario_names_file_line_and_field(tmp_path, old, new, where):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    assert str(info.value).startswith(str(path) + where)


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD + "  - at: [\n")
    with pytest.raises(ScenarioError, match=r"broken.yaml:1[01]: \(yaml\)"):
        load_scenario(str(path))


def test_cli_reports_invalid_scenario(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("dpm: true", "dpm: 3"))
    result = subprocess.run([sys.executable, "-m", "hmcsim", "--scenario", str(path)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert f"{path}:4: cpcs[0].dpm: must be of type boolean" in result.stderr
