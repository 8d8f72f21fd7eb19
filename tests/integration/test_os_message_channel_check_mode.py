"""os_message_channel's check mode predicts what the real run does, also for a system whose OS does not run."""

import module_play


def channel(names, **keywords):
    return {"zhmc.notifications.os_message_channel": {"hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}",
                                                      "cpc_name": "CPC2", "names": names}, **keywords}


def outcome(result):
    return [(c["name"], c["opened"], c["already_open"], c["os_not_running"], c["topic"] is not None)
            for c in result["channels"]]


def test_check_mode_predicts_os_not_running(hmcsim, tmp_path):
    """LP02 is not activated: the console refuses its channel (409.332), so check mode must not say 'opened'."""
    results, _output = module_play.run(hmcsim, tmp_path, {
        "predicted": channel(["LP02", "LP01"], check_mode=True),
        "real": channel(["LP02", "LP01"]),
        "predicted_not_running_only": channel(["LP02"], check_mode=True),
        "real_not_running_only": channel(["LP02"]),
    })
    for name, result in results.items():
        assert not result.get("failed"), (name, result)
    assert outcome(results["predicted"]) == [("LP02", False, False, True, False), ("LP01", True, False, False, False)]
    assert outcome(results["real"]) == [("LP02", False, False, True, False), ("LP01", True, False, False, True)]
    assert results["predicted"]["changed"] is True and results["real"]["changed"] is True
    assert "not-activated" in results["predicted"]["channels"][0]["message"]
    assert results["predicted_not_running_only"]["changed"] is False
    assert results["real_not_running_only"]["changed"] is False
    assert outcome(results["predicted_not_running_only"]) == outcome(results["real_not_running_only"])
    assert hmcsim.control.channels() == [], "the task's own session ended, and its channels with it"
