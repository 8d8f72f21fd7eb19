"""The openstack normalizer: envelope shared with the hmc source, versioned payloads unwrapped, resources of
nova, cinder, neutron and glance, severities, ids, and no failure or secret on any input."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_normalizer as os_normalizer

CONSOLE = {"host": "rabbit1:5672", "type": "openstack"}
MESSAGE_ID = "0B1C6F0E-3F5E-4A57-9D0C-2D9A1C1E4C11"
META = {"message_id": MESSAGE_ID, "timestamp": "2026-12-01 13:40:00.123456"}


def normalize(event_type, payload, priority="INFO", ctxt=None, metadata=None, **kwargs):
    metadata = META if metadata is None else metadata
    return os_normalizer.normalize(ctxt or {}, "compute.kvm1", event_type, payload, metadata, priority,
                                   console=CONSOLE, **kwargs)


def test_envelope_is_the_hmc_sources():
    event = normalize("compute.instance.create.end", {"instance_id": "i1"})
    hmc = normalizer.synthetic_event("connection-lost", console=CONSOLE, timestamp=0)["hmc"]
    section = event["openstack"]
    for key in ("schema", "type", "severity", "console", "topic", "sequence", "time", "resource"):
        assert key in section
        assert isinstance(section[key], type(hmc[key])) or section[key] is None
    assert set(section["resource"]) == set(hmc["resource"]) and set(section["topic"]) == set(hmc["topic"])
    assert section["time"] == "2026-12-01T13:40:00.123Z" and section["schema"] == hmc["schema"]
    assert event["meta"]["uuid"] == MESSAGE_ID.lower() == section["message_id"].lower()


def test_versioned_payload_is_unwrapped_and_its_state_change_read():
    wrap = {"nova_object.name": "InstanceUpdatePayload", "nova_object.namespace": "nova",
            "nova_object.version": "1.9", "nova_object.data": {
                "uuid": "u-1", "display_name": "vm1", "state": "error",
                "state_update": {"nova_object.name": "InstanceStateUpdatePayload", "nova_object.version": "1.0",
                                 "nova_object.data": {"old_state": "active", "state": "error"}},
                "flavor": {"nova_object.name": "FlavorPayload", "nova_object.data": {"flavorid": "m1"}}}}
    section = normalize("instance.update", wrap)["openstack"]
    assert section["payload"]["flavor"] == {"flavorid": "m1"}
    assert section["payload"]["state_update"] == {"old_state": "active", "state": "error"}
    assert (section["payload_type"], section["payload_version"]) == ("InstanceUpdatePayload", "1.9")
    assert section["resource"]["class"] == "instance" and section["resource"]["id"] == "u-1"
    assert (section["state"], section["old_state"], section["severity"]) == ("error", "active", "error")


def test_resources_of_the_common_services():
    cases = [
        ("compute.instance.update", {"instance_id": "i1", "display_name": "web", "state": "active",
                                     "old_state": "building"}, ("instance", "i1", "web", "active", "building")),
        ("volume.attach.end", {"volume_id": "v1", "display_name": "data", "status": "in-use"},
         ("volume", "v1", "data", "in-use", None)),
        ("snapshot.create.end", {"snapshot_id": "s1", "display_name": "snap", "status": "available"},
         ("snapshot", "s1", "snap", "available", None)),
        ("port.create.end", {"port": {"id": "p1", "name": "eth0", "status": "DOWN"}},
         ("port", "p1", "eth0", "DOWN", None)),
        ("image.update", {"id": "g1", "name": "rhel9", "status": "active"}, ("image", "g1", "rhel9", "active", None)),
        ("identity.user.created", {"resource_info": "x"}, (None, None, None, None, None)),
    ]
    for event_type, payload, (cls, id_, name, state, old) in cases:
        section = normalize(event_type, payload)["openstack"]
        assert (section["resource"]["class"], section["resource"]["id"], section["resource"]["name"],
                section["state"], section["old_state"]) == (cls, id_, name, state, old), event_type


def test_severity_follows_the_priority_and_error_states():
    assert normalize("compute.instance.update", {}, "WARN")["openstack"]["severity"] == "warning"
    assert normalize("compute.instance.update", {}, "critical")["openstack"]["severity"] == "critical"
    assert normalize("compute.instance.update", {"state": "error"}, "INFO")["openstack"]["severity"] == "error"
    assert normalize("volume.attach.error", {}, "INFO")["openstack"]["severity"] == "error"
    assert normalize("compute.instance.update", {}, "sample")["openstack"]["severity"] == "info"


def test_context_keeps_only_safe_fields_also_in_raw():
    ctxt = {"request_id": "req-1", "user_id": "u", "auth_token": "TOKEN-123", "project_id": "p"}
    section = normalize("compute.instance.create.end", {}, ctxt=ctxt, include_raw=True)["openstack"]
    assert section["request_id"] == "req-1" and section["context"]["project_id"] == "p"
    assert "TOKEN-123" not in json.dumps(section)
    assert json.loads(section["raw"]["notification"])["event_type"] == "compute.instance.create.end"


def test_without_a_message_id_the_uuid_is_derived_and_stable():
    first = normalize("compute.instance.update", {"a": 1}, metadata={})
    again = normalize("compute.instance.update", {"a": 1}, metadata={})
    other = normalize("compute.instance.update", {"a": 2}, metadata={})
    assert first["meta"]["uuid"] == again["meta"]["uuid"] != other["meta"]["uuid"]


def test_missing_event_type_is_a_parse_error_with_the_raw_notification():
    event = normalize(None, {"x": 1})
    assert event["openstack"]["type"] == "parse-error" and event["openstack"]["severity"] == "error"
    assert "event_type" in event["openstack"]["error"]
    assert json.loads(event["openstack"]["raw"]["notification"])["payload"] == {"x": 1}


def test_raw_is_bounded():
    section = normalize("compute.instance.update", {"text": "x" * 10000}, include_raw=True)["openstack"]
    assert len(section["raw"]["notification"]) == 4096 and section["raw"]["truncated"] is True


def test_timestamps():
    assert os_normalizer.iso_time("2026-12-01 13:40:00") == "2026-12-01T13:40:00.000Z"
    assert os_normalizer.iso_time("2026-12-01T13:40:00.5Z") == "2026-12-01T13:40:00.500Z"
    assert os_normalizer.iso_time("yesterday") is None and os_normalizer.iso_time(17) is None


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                           lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@settings(max_examples=100, deadline=None)
@given(event_type=json_values, payload=json_values, metadata=json_values, ctxt=json_values,
       priority=json_values, publisher=json_values)
def test_never_raises_and_always_serializes(event_type, payload, metadata, ctxt, priority, publisher):
    event = os_normalizer.normalize(ctxt, publisher, event_type, payload, metadata, priority, console=CONSOLE,
                                    include_raw=True)
    json.dumps(event, allow_nan=False)
    assert event["openstack"]["type"] and event["meta"]["uuid"]


def test_context_of_oslo_context_request_contexts():
    ctxt = {"request_id": "req-2", "user": "u2", "project": "p2", "tenant": "ignored"}
    context = normalize("compute.instance.update", {}, ctxt=ctxt)["openstack"]["context"]
    assert (context["user_id"], context["project_id"]) == ("u2", "p2")
