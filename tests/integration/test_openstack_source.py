"""The openstack source under ansible-rulebook (installed tarball) against a real RabbitMQ, fed by oslo.messaging's
own Notifier: rules fire on unversioned and versioned notifications, over TLS, through a connection loss; hostile
messages become parse-error events and never stop it; the password never shows."""

import json
import uuid

import pytest
from openstack_publish import Publisher, envelope, instance_update, new_id, publish_raw, request
from openstack_rulebook import OpenStackRulebook
from rabbitmq_broker import PASSWORD

pytestmark = pytest.mark.rulebook


def by_type(events, kind):
    return [e for e in events if e["type"] == kind]


def test_rules_fire_on_notifications_over_tls_and_survive_a_connection_loss(rabbitmq, collections, tmp_path):
    args = {"tls": {"ca_file": str(rabbitmq.ca_file)}, "pool": "eda-main", "heartbeat": 10,
            "reconnect": {"initial_delay": 1, "max_delay": 2}}
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(tls=True), args)
    try:
        rulebook.wait_listening()
        instance = new_id()
        with Publisher(rabbitmq.url()) as publisher:
            nova = publisher.notifier("compute.kvm1")
            nova.info(request("req-create-1", auth_token=PASSWORD, user_id="u1", project_id="p1"),
                      "compute.instance.create.end",
                      {"instance_id": instance, "display_name": "web1", "state": "active", "n": 1})
            versioned = publisher.notifier("nova-compute:kvm1", topic="versioned_notifications")
            versioned.info(request("req-update-2"), "instance.update",
                           instance_update(instance, "web1", "active", "error"))
            nova.error({}, "compute.instance.live_migration._rollback.end",
                       {"instance_id": instance, "display_name": "web1", "state": "active", "n": 3})
        events = rulebook.wait_for(lambda e: len(by_type(e, "compute.instance.live_migration._rollback.end")) == 1,
                                   "the three notifications")
        create = by_type(events, "compute.instance.create.end")
        assert len(create) == 1, events
        create = create[0]
        assert (create["resource.class"], create["resource.id"], create["resource.name"], create["state"]) == (
            "instance", instance, "web1", "active")
        assert create["request_id"] == "req-create-1" and create["severity"] == "info"
        assert create["publisher_id"] == "compute.kvm1" and create["priority"] == "info"
        assert create["meta.uuid"] == create["message_id"] == str(uuid.UUID(create["message_id"]))
        rollback = by_type(events, "compute.instance.live_migration._rollback.end")[0]
        assert rollback["severity"] == "error" and rollback["priority"] == "error"
        # versioned_notifications is not a target of this source: only its default topic was subscribed
        assert by_type(events, "instance.update") == []

        rabbitmq.close_connections()
        rulebook.wait_for(lambda e: by_type(e, "connection-restored"), "connection-restored")
        with Publisher(rabbitmq.url()) as publisher:
            publisher.notifier("compute.kvm1").info({}, "compute.instance.delete.end",
                                                    {"instance_id": instance, "state": "deleted", "n": 4})
        events = rulebook.wait_for(lambda e: by_type(e, "compute.instance.delete.end"), "a notification after it")
        assert len(by_type(events, "connection-lost")) == 1
        assert PASSWORD not in rulebook.output()
    finally:
        rulebook.stop()


def test_versioned_notifications_and_hostile_messages(rabbitmq, collections, tmp_path):
    args = {"pool": "eda-versioned", "targets": [{"topic": "versioned_notifications"}, {"topic": "notifications"}],
            "filters": {"event_types": ["instance.*", "compute.*"]}}
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(), args, extra_args=["-vv"])
    try:
        rulebook.wait_listening()
        instance = new_id()
        deep = {}
        level = deep
        for _level in range(400):
            level["a"] = {}
            level = level["a"]
        publish_raw(rabbitmq, [
            "not json {", b"\xff\xfe\x00binary", envelope({"event_type": "compute.x", "payload": {}}),
            envelope({"priority": "INFO", "event_type": "compute.deep", "payload": deep, "message_id": "m-1"}),
            envelope({"priority": "INFO", "event_type": "compute.odd", "payload": ["a", 1, None],
                      "message_id": ["not", "a", "string"], "timestamp": "yesterday"}),
            json.dumps({"oslo.version": "2.0", "oslo.message": "{broken"}),
            envelope({"priority": "INFO", "event_type": "glance.image.ignored", "payload": {}}),  # filtered out
        ])
        with Publisher(rabbitmq.url()) as publisher:
            publisher.notifier("nova-compute:kvm2", topic="versioned_notifications").info(
                request("req-v"), "instance.update", instance_update(instance, "db1", "active", "error"))
        events = rulebook.wait_for(lambda e: by_type(e, "instance.update"), "the versioned notification")
        update = by_type(events, "instance.update")[0]
        assert (update["resource.id"], update["resource.name"], update["state"], update["old_state"]) == (
            instance, "db1", "error", "active")
        assert update["payload_type"] == "InstanceUpdatePayload" and update["severity"] == "error"
        errors = by_type(events, "parse-error")
        assert len(errors) == 4, errors  # not JSON, binary, no priority, broken envelope
        assert any("DecodeError" in e["error"] for e in errors) and any("priority" in e["error"] for e in errors)
        assert {e["type"] for e in events} == {"parse-error", "compute.deep", "compute.odd", "instance.update"}
        rabbitmq.wait_queue_depth("eda-versioned", 0)  # every message was acknowledged
        assert PASSWORD not in rulebook.output()
    finally:
        rulebook.stop()
