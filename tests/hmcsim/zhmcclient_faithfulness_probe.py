"""Run under the zhmcclient venv: real-client calls against hmcsim, one JSON object of what each part saw.

Usage: python zhmcclient_faithfulness_probe.py '<json: host, ws_port, stomp_port, ca_file, control>'
Each part runs on its own, so one deviation shows as one failing test, not as a crashed probe. The parts use
zhmcclient the way its users (the zhmc command line, the log and OS message forwarders) do.
"""

import json
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone

import zhmcclient
from zhmcclient_probe import notifications, subscribed

from hmcsim.testing import ControlClient

USER, PASSWORD = "operator", "operator-password"


def session_for(sim):
    return zhmcclient.Session(sim["host"], USER, PASSWORD, port=sim["ws_port"], verify_cert=sim["ca_file"])


def http_error(call):
    """(http_status, reason) of the HTTPError a call raises, or None when it succeeds."""
    try:
        call()
    except zhmcclient.HTTPError as exc:
        return [exc.http_status, exc.reason]
    return None


class Notifications:
    """A zhmcclient NotificationReceiver on a background thread, collecting (topic, headers, message)."""

    def __init__(self, sim, topics):
        self.receiver = zhmcclient.NotificationReceiver(
            topics, sim["host"], USER, PASSWORD, port=sim["stomp_port"], verify_cert=sim["ca_file"],
            stomp_rt_config=zhmcclient.StompRetryTimeoutConfig(connect_timeout=10))
        self.seen = []
        self.failure = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            _, stream = notifications(self.receiver)
            for headers, message in stream:
                self.seen.append({"topic": headers["destination"].removeprefix("/topic/"), "headers": dict(headers),
                                  "message": message})
        except Exception as exc:  # reported by wait_for
            self.failure = repr(exc)

    def wait_for(self, condition, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not condition(self.seen):
            if self.failure or time.monotonic() > deadline:
                raise SystemExit(f"waiting for {what}: {self.failure or 'timed out'}; seen {self.seen}")
            time.sleep(0.05)

    def close(self):
        self.receiver.close()


def part_notifications(sim, client, control):
    """Refresh messages on channel open, property-change old values, job completion only to the starting session."""
    other_session = session_for(sim)
    other = zhmcclient.Client(other_session)
    cpc1, cpc2 = client.cpcs.find(name="CPC1"), client.cpcs.find(name="CPC2")
    held = control.os_message("PART1", "IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", held=True, reply_id="07")
    os_topic = cpc1.partitions.find(name="PART1").open_os_message_channel(include_refresh_messages=True)
    session = client.session
    other_session.logon()
    topics = [session.object_topic, session.job_topic, other_session.job_topic, os_topic]
    sessions = {"mine": session.session_id, "other": other_session.session_id}
    named_topics = {"object": session.object_topic, "job": session.job_topic, "other_job": other_session.job_topic}
    receiver = Notifications(sim, topics)
    try:
        subscribed(sim["control"], topics)
        receiver.wait_for(lambda seen: any(n["topic"] == os_topic for n in seen), "the refresh message")
        other.cpcs.find(name="CPC1").partitions.find(name="PART2").start(wait_for_completion=True)
        cpc2.lpars.find(name="LP02").activate(wait_for_completion=True)
        jobs = control.jobs()
        receiver.wait_for(lambda seen: sum(n["headers"]["notification-type"] == "job-completion"
                                           for n in seen) >= 2, "two job completions")
        control.set_status("PART1", "active")  # unchanged: no notification
        control.step("property_change", resource="PART1", properties={"description": "changed", "os-name": "LNX1"})
        receiver.wait_for(lambda seen: any(n["message"] and n["message"].get("change-reports", [{}])[0].get(
            "property-name") == "description" for n in seen), "the description change")
    finally:
        receiver.close()
        other_session.logoff()
    return {"held_sequence": held["sequence-number"], "os_topic": os_topic,
            "topics": named_topics,
            "sessions": sessions,
            "jobs": [{k: j[k] for k in ("job-uri", "operation", "name", "session")} for j in jobs],
            "seen": receiver.seen}


def part_jobs(client, control):
    """Partition.start/stop and Lpar.activate/deactivate with wait_for_completion (zhmcclient deletes each job)."""
    cpc1, cpc2 = client.cpcs.find(name="CPC1"), client.cpcs.find(name="CPC2")
    part, lpar = cpc1.partitions.find(name="PART3"), cpc2.lpars.find(name="LP03")
    statuses = []
    part.start(wait_for_completion=True)
    statuses.append(part.get_properties_pulled("status"))
    part.stop(wait_for_completion=True)
    statuses.append(part.get_properties_pulled("status"))
    lpar.activate(wait_for_completion=True)
    statuses.append(lpar.get_properties_pulled("status"))
    lpar.deactivate(wait_for_completion=True, force=True)
    statuses.append(lpar.get_properties_pulled("status"))
    jobs = [j for j in control.jobs() if j["name"] in ("PART3", "LP03")]
    return {"statuses": statuses, "jobs": [(j["operation"], j["job-status-code"], j["deleted"]) for j in jobs]}


def part_force(client):
    """LPAR operations that a console refuses without force (job 500, reason 263), and the one it always refuses."""
    cpc2 = client.cpcs.find(name="CPC2")
    operating, inactive = cpc2.lpars.find(name="LP01"), cpc2.lpars.find(name="LP04")
    return {"deactivate_operating": http_error(lambda: operating.deactivate(wait_for_completion=True)),
            "activate_operating": http_error(lambda: operating.activate(wait_for_completion=True)),
            "status_after": operating.get_properties_pulled("status"),
            "deactivate_inactive_forced": http_error(lambda: inactive.deactivate(wait_for_completion=True,
                                                                                 force=True)),
            "activate_operating_forced": http_error(lambda: operating.activate(wait_for_completion=True,
                                                                               force=True))}


def part_features(client):
    cpc1, cpc2 = client.cpcs.find(name="CPC1"), client.cpcs.find(name="CPC2")
    console = client.consoles.console
    return {"console": console.list_api_features(), "cpc1": cpc1.list_api_features(),
            "cpc1_filtered": cpc1.list_api_features(name="bcpii.*"), "cpc2": cpc2.list_api_features(),
            "cpc1_enabled": cpc1.api_feature_enabled("bcpii-notifications")}


def part_console(client):
    console = client.consoles.console
    name = console.name
    console.pull_full_properties()
    props = dict(console.properties)
    console.pull_properties(["version"])
    return {"name": name, "properties": props, "version_only": console.get_property("version")}


def part_logs(client, control):
    """The log forwarder's start: both logs with a begin time (entries before it are left out)."""
    console = client.consoles.console
    control.step("log_entry", log="audit", event_name="Old entry", message="before the begin time")
    time.sleep(0.05)
    begin = datetime.now(timezone.utc)
    time.sleep(0.05)
    control.step("log_entry", log="audit", event_name="User logged on", userid="operator")
    control.step("log_entry", log="security", event_name="Logon failed", userid="intruder")
    end = datetime.now(timezone.utc) + timedelta(seconds=5)
    return {"audit_since": [e["event-name"] for e in console.get_audit_log(begin_time=begin, end_time=end)],
            "audit_all": [e["event-name"] for e in console.get_audit_log()],
            "security": console.get_security_log(begin_time=begin)}


def part_full_list(client):
    """cpcs.list(full_properties=True) reads every CPC's properties with one Submit Requests operation."""
    cpcs = client.cpcs.list(full_properties=True)
    partitions = client.cpcs.find(name="CPC1").partitions.list(full_properties=True)
    return {"cpcs": {c.name: {k: c.properties.get(k) for k in ("machine-type", "machine-model", "se-version",
                                                                 "dpm-enabled", "status", "machine-serial-number")}
                     for c in cpcs},
            "partitions": sorted(p.name for p in partitions),
            "partition_types": sorted({p.properties.get("type") for p in partitions})}


def part_show(client):
    """What `zhmc partition show` / `lpar show` / `partition list` / `lpar list` read, through zhmcclient."""
    console = client.consoles.console
    [partition] = console.list_permitted_partitions(filter_args={"name": "PART1", "cpc-name": "CPC1"})
    partition.pull_full_properties()
    nic_names = [client.session.get(uri)["name"] for uri in partition.properties["nic-uris"]]
    [lpar] = console.list_permitted_lpars(filter_args={"name": "LP01", "cpc-name": "CPC2"})
    lpar.pull_full_properties()
    listed = client.cpcs.find(name="CPC1").partitions.list(
        additional_properties=["short-name", "os-name", "os-type", "os-version", "description"])
    lp01 = client.cpcs.find(name="CPC2").lpars.find(name="LP01")
    subset = client.session.get(f"{lp01.uri}?properties=status,activation-mode")
    return {"partition": dict(partition.properties), "nic_names": nic_names, "lpar": dict(lpar.properties),
            "list_item": dict(next(p for p in listed if p.name == "PART1").properties),
            "subset": subset,
            "other_cpc": [p.name for p in console.list_permitted_partitions(filter_args={"cpc-name": "CPC9"})]}


def main():
    sim = json.loads(sys.argv[1])
    control = ControlClient(sim["control"])
    session = session_for(sim)
    client = zhmcclient.Client(session)
    parts = {"notifications": lambda: part_notifications(sim, client, control),
             "jobs": lambda: part_jobs(client, control), "force": lambda: part_force(client),
             "features": lambda: part_features(client), "console": lambda: part_console(client),
             "logs": lambda: part_logs(client, control), "full_list": lambda: part_full_list(client),
             "show": lambda: part_show(client)}
    result = {}
    for name, part in parts.items():
        try:
            result[name] = part()
        except BaseException as exc:
            result[name] = {"error": f"{exc!r}\n{traceback.format_exc()}"}
    session.logoff()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
