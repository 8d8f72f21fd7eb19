"""--hold-timeline: the scenario's timeline waits for POST /timeline/start, then runs once at its times from then."""

import time

from hmcsim.testing import SimProcess

SCENARIO = """\
console: {name: HMC9}
cpcs:
  - name: CPC1
    dpm: true
    partitions:
      - {name: P1, status: active}
timeline:
  - at: 0
    os_message: {resource: P1, text: "FIRST STEP"}
  - at: 1.5
    status_change: {resource: P1, status: stopped}
"""


def p1(sim):
    return next(r for r in sim.control.resources() if r["name"] == "P1")


def wait_done(sim, timeout=20):
    deadline = time.monotonic() + timeout
    while (state := sim.control.timeline())["state"] != "done":
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    return state


def test_held_timeline_runs_only_when_started(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    with SimProcess(str(path), tmp_path / "sim", hold_timeline=True) as sim:
        assert sim.endpoints["timeline"] == "held"
        time.sleep(2)  # longer than the whole timeline
        assert (p1(sim)["os-messages"], p1(sim)["status"]) == (0, "active"), "nothing ran while held"
        assert sim.control.timeline() == {"state": "held", "steps": 2, "done": 0, "last_at": 1.5, "elapsed": None}
        assert sim.control.state()["timeline"]["state"] == "held"

        started = sim.control.start_timeline()
        assert started["started"] is True and started["state"] == "running"
        assert started["steps"] == 2 and started["last_at"] == 1.5
        state = wait_done(sim)
        assert state["done"] == 2 and state["elapsed"] >= 1.5, "step times count from the start call"
        assert (p1(sim)["os-messages"], p1(sim)["status"]) == (1, "stopped")

        again = sim.control.start_timeline()
        assert again["started"] is False and again["state"] == "done"
        time.sleep(0.5)
        assert p1(sim)["os-messages"] == 1, "the timeline runs once"
    assert "timeline:    held until POST http://127.0.0.1:" in sim.log_file.read_text()


def test_without_the_option_the_timeline_starts_at_once(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    with SimProcess(str(path), tmp_path / "sim") as sim:
        assert sim.endpoints["timeline"] == "started"
        state = wait_done(sim)
        assert state["done"] == 2
        assert sim.control.start_timeline()["started"] is False
        assert p1(sim)["os-messages"] == 1


def test_a_stopped_timeline_runs_no_further_step(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    with SimProcess(str(path), tmp_path / "sim", hold_timeline=True) as sim:
        sim.control.start_timeline()
        deadline = time.monotonic() + 10
        while sim.control.timeline()["done"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stopped = sim.control.stop_timeline()
        assert stopped["stopped"] is True and stopped["state"] == "stopped" and stopped["done"] == 1
        time.sleep(2)  # past the second step's time
        assert (p1(sim)["os-messages"], p1(sim)["status"]) == (1, "active")
        assert sim.control.timeline()["state"] == "stopped"
        assert sim.control.start_timeline()["started"] is False, "a stopped timeline does not start again"
        assert sim.control.stop_timeline()["stopped"] is False
