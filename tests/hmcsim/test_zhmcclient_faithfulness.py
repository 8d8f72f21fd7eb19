"""Faithfulness: hmcsim answers real clients (zhmcclient, and the reads of the zhmc command line and the log
forwarder) the way a console does. One hmcsim and one probe run for the module; each test checks one part.

Where the expected behaviour comes from: the WS API book (List API Features returns an array of strings,
Get Console Audit/Security Log return arrays of log entries), zhmcclient's client code (it deletes a job after
waiting for it; cpcs.list(full_properties=True) uses Submit Requests; Lpar.activate reads the image profile)
and its mock (force rules observed on real machines).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_zhmcclient_conformance import CA_ENV, zhmcclient_python

from hmcsim.testing import SimProcess

PROBE = Path(__file__).with_name("zhmcclient_faithfulness_probe.py")
SCENARIO = """
console: {name: HMC1, job_seconds: 0, features: [dpm-ctc-partition-link-management]}
cpcs:
  - name: CPC1
    dpm: true
    features: [bcpii-notifications]
    partitions:
      - {name: PART1, status: active, os_name: LNX1}
      - {name: PART2, status: stopped}
      - {name: PART3, status: stopped}
  - name: CPC2
    dpm: false
    lpars:
      - {name: LP01, status: operating, os_name: ZOS1}
      - {name: LP02, status: not-activated}
      - {name: LP03, status: not-activated}
      - {name: LP04, status: not-activated}
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    work = tmp_path_factory.mktemp("faithfulness")
    scenario = work / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    with SimProcess(scenario, work / "sim") as sim:
        target = {"host": "127.0.0.1", "ws_port": sim.ws_port, "stomp_port": sim.stomp_port,
                  "ca_file": sim.ca_file, "control": sim.endpoints["control"]}
        env = {k: v for k, v in os.environ.items() if k not in CA_ENV}
        run = subprocess.run([zhmcclient_python(), str(PROBE), json.dumps(target)], capture_output=True, text=True,
                             timeout=240, env=env)
        assert run.returncode == 0, run.stderr + "\n--- hmcsim log ---\n" + sim.log_file.read_text()
        result = json.loads(run.stdout.strip().splitlines()[-1])
        result["sessions_left"] = sim.control.sessions()
    return result


def part(probe, name):
    value = probe[name]
    assert "error" not in value, value.get("error")
    return value


def test_jobs_complete_and_are_deleted_by_zhmcclient(probe):
    jobs = part(probe, "jobs")
    assert jobs["statuses"] == ["active", "stopped", "operating", "not-activated"]
    assert jobs["jobs"] == [["start", 200, True], ["stop", 200, True], ["activate", 200, True],
                            ["deactivate", 200, True]], "each job ends with 200 and zhmcclient deletes it"


def test_force_rules_of_lpar_operations(probe):
    force = part(probe, "force")
    assert force["deactivate_operating"] == [500, 263]
    assert force["activate_operating"] == [500, 263]
    assert force["status_after"] == "operating", "a refused job leaves the LPAR as it was"
    assert force["deactivate_inactive_forced"] == [500, 263], "refused even with force (observed on an EC12)"
    assert force["activate_operating_forced"] is None


def test_list_api_features_returns_lists_of_names(probe):
    features = part(probe, "features")
    assert features["console"] == ["dpm-ctc-partition-link-management"]
    assert features["cpc1"] == ["bcpii-notifications"] and features["cpc1_filtered"] == ["bcpii-notifications"]
    assert features["cpc2"] == []
    assert features["cpc1_enabled"] is True


def test_console_properties(probe):
    console = part(probe, "console")
    assert console["name"] == "HMC1"
    props = console["properties"]
    assert props["object-uri"] == "/api/console" and props["class"] == "console"
    assert props["version"] == "2.16.0" and props["machine-type"]
    assert console["version_only"] == "2.16.0"


def test_audit_and_security_log_with_begin_and_end_time(probe):
    logs = part(probe, "logs")
    assert logs["audit_since"] == ["User logged on"], "entries older than begin-time are left out"
    assert logs["audit_all"] == ["Old entry", "User logged on"]
    [entry] = logs["security"]
    assert (entry["event-name"], entry["userid"]) == ("Logon failed", "intruder")
    assert {"event-time", "event-id", "event-message", "user-uri", "event-data-items"} <= set(entry)


def test_list_with_full_properties_uses_submit_requests(probe):
    full = part(probe, "full_list")
    cpc1, cpc2 = full["cpcs"]["CPC1"], full["cpcs"]["CPC2"]
    assert (cpc1["dpm-enabled"], cpc1["status"], cpc2["dpm-enabled"], cpc2["status"]) == \
        (True, "active", False, "operating")
    for cpc in (cpc1, cpc2):
        assert cpc["machine-type"] and cpc["machine-model"] and cpc["machine-serial-number"]
        assert cpc["se-version"] == "2.16.0"
    assert full["partitions"] == ["PART1", "PART2", "PART3"]
    assert full["partition_types"] == ["linux"]


def test_properties_read_by_partition_and_lpar_show(probe):
    show = part(probe, "show")
    partition = show["partition"]
    for name in ("nic-uris", "crypto-configuration", "type", "short-name", "os-version", "partition-id",
                 "initial-memory", "ifl-processors", "hba-uris", "storage-group-uris", "available-features-list"):
        assert name in partition, name
    assert show["nic_names"] == []
    assert (partition["name"], partition["status"], partition["os-name"]) == ("PART1", "active", "LNX1")
    lpar = show["lpar"]
    for name in ("activation-mode", "os-level", "program-status-word-information", "next-activation-profile-name",
                 "workload-manager-enabled", "partition-number"):
        assert name in lpar, name
    assert (lpar["name"], lpar["status"], lpar["activation-mode"]) == ("LP01", "operating", "general")
    item = show["list_item"]
    assert {"short-name", "os-name", "os-type", "os-version", "description", "type", "status"} <= set(item)
    assert show["subset"] == {"status": "operating", "activation-mode": "general"}, \
        "?properties= returns the named properties only"
    assert show["other_cpc"] == [], "the cpc-name filter of List Permitted Partitions"


def _notifications(probe):
    return part(probe, "notifications")


def test_refresh_messages_when_a_listener_connects_to_the_channel(probe):
    notes = _notifications(probe)
    os_messages = [n for n in notes["seen"] if n["topic"] == notes["os_topic"]]
    assert len(os_messages) == 1
    [message] = os_messages[0]["message"]["os-messages"]
    assert (message["is-refresh"], message["is-held"], message["message-id"]) == (True, True, "07")
    assert message["sequence-number"] == notes["held_sequence"], "a refresh repeats the held message as it was"


def test_job_completion_only_to_the_session_that_started_the_job(probe):
    notes = _notifications(probe)
    topic_of = {notes["sessions"]["mine"]: notes["topics"]["job"],
                notes["sessions"]["other"]: notes["topics"]["other_job"]}
    expected = {j["job-uri"]: topic_of[j["session"]] for j in notes["jobs"]}
    seen = [(n["headers"]["job-uri"], n["topic"]) for n in notes["seen"]
            if n["headers"]["notification-type"] == "job-completion"]
    assert len(set(expected.values())) == 2, "one job of each session"
    assert sorted(seen) == sorted(expected.items()), "each completion once, on its own session's job topic"


def test_property_change_reports_old_values_and_only_changes(probe):
    notes = _notifications(probe)
    changes = [(n["headers"]["name"], n["headers"]["property-names"], n["message"]["change-reports"])
               for n in notes["seen"] if n["headers"]["notification-type"] == "property-change"]
    for _, names, reports in changes:
        assert names.split() == [r["property-name"] for r in reports]
        assert all(r["old-value"] != r["new-value"] for r in reports), reports
    part2 = [reports for name, _, reports in changes if name == "PART2"]
    assert part2[0] == [{"property-name": "status", "old-value": "stopped", "new-value": "starting"}]
    assert part2[1] == [{"property-name": "status", "old-value": "starting", "new-value": "active"},
                        {"property-name": "has-unacceptable-status", "old-value": True, "new-value": False}]
    part1 = [reports for name, _, reports in changes if name == "PART1"]
    assert part1 == [[{"property-name": "description", "old-value": "simulated partition PART1",
                       "new-value": "changed"}]], "setting a status or value it already has reports nothing"


def test_probe_logged_off_every_session(probe):
    assert probe["sessions_left"] == []
