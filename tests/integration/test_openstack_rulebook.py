"""The shipped openstack_instance_errors rulebook (installed tarball) against a real RabbitMQ fed by oslo.messaging's
Notifier on nova's exchange: an instance entering ERROR and a failed live migration each produce a report and an
escalation; an instance that is fine produces nothing."""

import json
import time

import pytest
import yaml
from openstack_publish import Publisher, instance_update, new_id, request
from openstack_rulebook import OpenStackRulebook

pytestmark = pytest.mark.rulebook


def reports(state):
    folder = state / "openstack-reports"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def test_instance_error_and_failed_migration_are_reported(rabbitmq, collections, tmp_path):
    state = tmp_path / "state"
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"openstack_tls": {"ca_file": str(rabbitmq.ca_file)},
                                         "openstack_pool": "eda-shipped", "zhmc_state_dir": str(state)}))
    rulebook_file = (collections / "ansible_collections" / "zhmc" / "notifications" / "extensions" / "eda" /
                     "rulebooks" / "openstack_instance_errors.yml")
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(tls=True), None, rulebook=rulebook_file,
                                 extra_args=["--vars", str(variables)])
    broken, moving, fine = new_id(), new_id(), new_id()
    try:
        rulebook.wait_listening()
        with Publisher(rabbitmq.url(), exchange="nova") as publisher:
            context = request("req-broken", project_id="proj-1", user_id="user-1")
            publisher.notifier("nova-compute:kvm3", topic="versioned_notifications").info(
                context, "instance.update", instance_update(broken, "db1", "active", "error"))
            nova = publisher.notifier("compute.kvm4")
            nova.info(request("req-fine"), "compute.instance.create.end",
                      {"instance_id": fine, "display_name": "ok1", "state": "active"})
            nova.error(request("req-move"), "compute.instance.live_migration._rollback.end",
                       {"instance_id": moving, "display_name": "app1", "state": "active", "host": "kvm4",
                        "node": "kvm4.example.com"})
        deadline = time.monotonic() + 180
        while len(reports(state)) < 2:
            assert rulebook.process.poll() is None, rulebook.output()[-6000:]
            assert time.monotonic() < deadline, f"two reports expected: {reports(state)}\n{rulebook.output()[-6000:]}"
            time.sleep(0.5)
    finally:
        rulebook.stop()
    found = {r["instance_id"]: r for r in reports(state)}
    assert set(found) == {broken, moving}, "the instance that is fine is not reported"
    error = found[broken]
    assert (error["instance_name"], error["state"], error["old_state"], error["host"]) == ("db1", "error", "active",
                                                                                           "kvm1")
    assert (error["request_id"], error["project_id"], error["user_id"]) == ("req-broken", "proj-1", "user-1")
    assert error["reason"] == "instance db1 entered ERROR" and error["publisher_id"] == "nova-compute:kvm3"
    migration = found[moving]
    assert migration["reason"] == "live migration of instance app1 failed"
    assert (migration["host"], migration["node"], migration["severity"]) == ("kvm4", "kvm4.example.com", "error")
    escalations = [json.loads(line) for line in (state / "escalations.jsonl").read_text().splitlines()]
    assert sorted(e["reason"] for e in escalations) == ["instance db1 entered ERROR",
                                                        "live migration of instance app1 failed"]
