"""resource_action while a partition changes its status: on its way to the wanted status is no change (and
waited for when asked), on its way elsewhere is a clear error; never the console's 409 for a needless job."""

import module_play


def action(name, **args):
    return {"zhmc.notifications.resource_action": {"hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}",
                                                   "cpc_name": "CPC1", "name": name, **args}}


def test_a_partition_that_is_starting(hmcsim, tmp_path):
    hmcsim.control.set_status("PART3", "starting")
    results, _output = module_play.run(hmcsim, tmp_path, {
        "start_no_wait": action("PART3", action="start", wait=False),
        "start_check": {**action("PART3", action="start"), "check_mode": True},
        "start_wait_short": action("PART3", action="start", wait=True, wait_timeout=3),
        "stop": action("PART3", action="stop"),
    })
    assert {key: results["start_no_wait"][key] for key in ("changed", "status_before", "job_uri")} == {
        "changed": False, "status_before": "starting", "job_uri": None}
    assert not results["start_no_wait"].get("failed")
    assert results["start_check"]["changed"] is False and not results["start_check"].get("failed")
    waited = results["start_wait_short"]
    assert waited["failed"] is True and waited["changed"] is False
    assert waited["msg"] == "'PART3' is still starting after 3 seconds, not active", "it waited, it did not start"
    stop = results["stop"]
    assert stop["failed"] is True and stop["changed"] is False
    assert stop["msg"] == "cannot stop 'PART3' while it is starting: run the task again once it is no longer starting"
    assert hmcsim.control.jobs() == [], "no job was started (the console would answer 409 reason 1)"
    assert hmcsim.control.sessions() == []


def test_a_partition_that_is_stopping_is_not_started(hmcsim, tmp_path):
    hmcsim.control.set_status("PART1", "stopping")
    results, _output = module_play.run(hmcsim, tmp_path, {
        "start": action("PART1", action="start"),
        "stop_no_wait": action("PART1", action="stop", wait=False),
    })
    assert results["start"]["failed"] is True
    assert results["start"]["msg"] == ("cannot start 'PART1' while it is stopping: run the task again once it is no "
                                       "longer stopping")
    assert results["stop_no_wait"]["changed"] is False and not results["stop_no_wait"].get("failed")
    assert hmcsim.control.jobs() == []


def change_while_waiting(sim, tmp_path, task, resource, first, then):
    """Run task with resource in status first and change it to then once the module has logged on; returns the
    result of a run that saw first. The module reads the status right after it logs on: a run whose read saw
    then already (the test changed it too early on a busy machine) proves nothing and is repeated."""
    for attempt in range(3):
        sim.control.set_status(resource, first)
        process, out = module_play.start(sim, tmp_path / str(attempt), {"task": task})
        try:
            sim.control.wait_for(lambda state: state["sessions"], timeout=180, what="the module's session")
            sim.control.set_status(resource, then)
            results, _output = module_play.finish(process, out)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        if results["task"]["status_before"] == first:
            return results["task"]
        sim.control.wait_for(lambda state: not state["sessions"] and all(job["status"] != "running"
                                                                         for job in state["jobs"]),
                             timeout=60, what="the module's logoff and the end of any job it started")
    raise AssertionError(f"the module never saw {resource} {first}")


def test_waits_until_a_starting_partition_is_active(hmcsim, tmp_path):
    result = change_while_waiting(hmcsim, tmp_path, action("PART3", action="start", wait=True, wait_timeout=240),
                                  "PART3", "starting", "active")
    assert not result.get("failed"), result
    assert (result["changed"], result["job_uri"], result["status_after"]) == (False, None, "active")
    assert not [job for job in hmcsim.control.jobs() if job["name"] == "PART3"]


def test_a_partition_that_ends_elsewhere_fails_the_wait(hmcsim, tmp_path):
    result = change_while_waiting(hmcsim, tmp_path, action("PART1", action="stop", wait=True, wait_timeout=240),
                                  "PART1", "stopping", "paused")
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "'PART1' was stopping and is now 'paused', not stopped"
