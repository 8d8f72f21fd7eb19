"""resource_action and the console's force rules, with the collection installed from its tarball: deactivating
an operating LPAR needs force (the console fails the job with 500 reason 263 otherwise), and the module says so."""

import module_play


def lpar_action(name, **args):
    return {"zhmc.notifications.resource_action": {"hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}",
                                                   "cpc_name": "CPC2", "name": name, **args}}


def status_of(sim, name):
    return next(resource["status"] for resource in sim.control.resources() if resource["name"] == name)


def test_deactivating_an_operating_lpar_needs_force(hmcsim, tmp_path, collections, monkeypatch):
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(collections))
    assert status_of(hmcsim, "LP01") == "operating"
    results, _output = module_play.run(hmcsim, tmp_path, {
        "predicted": {**lpar_action("LP01", action="deactivate"), "check_mode": True},
        "refused": lpar_action("LP01", action="deactivate", wait_timeout=120),
        "forced": lpar_action("LP01", action="deactivate", force=True, wait_timeout=120),
        "start_forced": {"zhmc.notifications.resource_action": {
            "hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}", "cpc_name": "CPC1", "name": "PART1",
            "action": "stop", "force": True}},
    })
    predicted = results["predicted"]
    assert not predicted.get("failed") and predicted["changed"] is True and predicted["job_uri"] is None
    refused = results["refused"]
    assert refused["failed"] is True and refused["job"]["reason_code"] == 263
    assert refused["msg"].startswith("the deactivate job for 'LP01' failed: ")
    assert "set force: true to deactivate it anyway, which stops the operating system" in refused["msg"]
    forced = results["forced"]
    assert not forced.get("failed"), forced
    assert forced["changed"] is True and forced["status_before"] == "operating"
    assert forced["job"]["status_code"] == 200
    assert status_of(hmcsim, "LP01") == "not-activated"
    start_forced = results["start_forced"]
    assert start_forced["failed"] is True
    assert start_forced["msg"] == ("force applies to activate and deactivate (LPARs) only: the console's stop of a "
                                   "partition takes no force")
    jobs = hmcsim.control.jobs()
    assert [(job["name"], job["operation"]) for job in jobs] == [("LP01", "deactivate")] * 2, \
        "check mode started no job, nor did force on a partition's stop"
    assert status_of(hmcsim, "PART1") == "active"
