# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions from an OpenStack notification (as oslo.messaging hands it to an endpoint) to an event.

The event has the envelope of the hmc source's events (normalizer_envelope: schema, type, severity, console,
topic, sequence, time, resource, meta.uuid) under the top-level key ``openstack``, so rules and playbooks
written for one source read the other the same way. Versioned payloads (``nova_object.data`` and the like)
are unwrapped into plain keys; the common resources (instances, volumes, snapshots, images, networks, ports
...) get their id, name, state and old state. No I/O, no oslo.messaging import; never raises.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import datetime
import uuid

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import (
    make_event,
    resource_info,
    synthetic_event,
    topic_info,
    worst,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    MAX_RAW,
    bound,
    dumps,
    sanitize,
    to_str,
)

DOMAIN = "openstack"
PRIORITY_SEVERITY = {"audit": "info", "debug": "info", "info": "info", "sample": "info", "warn": "warning",
                     "warning": "warning", "error": "error", "critical": "critical"}
ERROR_STATES = ("error", "failed", "error_deleting", "error_restoring", "error_extending", "error_managing")
CONTEXT_KEYS = {"request_id": ("request_id",), "global_request_id": ("global_request_id",),
                "user_id": ("user_id", "user"), "project_id": ("project_id", "project", "tenant"),
                "user_name": ("user_name",), "project_name": ("project_name",)}
"""The only request context fields an event carries (with the older names oslo.context also uses); the
context also holds the caller's auth token."""

_CLASS_BY_PREFIX = (
    ("compute.instance.", "instance"), ("instance.", "instance"), ("compute_task.", "instance"),
    ("scheduler.", "instance"), ("volume.", "volume"), ("snapshot.", "snapshot"), ("backup.", "backup"),
    ("image.", "image"), ("network.", "network"), ("subnet.", "subnet"), ("port.", "port"),
    ("router.", "router"), ("floatingip.", "floatingip"), ("security_group.", "security_group"),
    ("keypair.", "keypair"), ("flavor.", "flavor"), ("aggregate.", "aggregate"), ("server_group.", "server_group"),
)
_ID_KEYS = {"instance": ("instance_id", "instance_uuid", "uuid", "id"), "volume": ("volume_id", "id"),
            "snapshot": ("snapshot_id", "id"), "backup": ("backup_id", "id")}
_NAME_KEYS = ("display_name", "name", "hostname")
_STATE_KEYS = ("state", "status", "vm_state")


def _text(value):
    return to_str(value) if not isinstance(value, float) else None


def unwrap(value, depth=32):
    """A versioned object ({"nova_object.name", ".version", ".data", ...}) as its plain data, recursively.

    Any namespace is recognized (``nova_object``, ``cinder_object``, ...): a dict whose key ``<ns>.data`` is
    a dict and that has ``<ns>.name`` is replaced by its data.
    """
    if depth <= 0:
        return value
    if isinstance(value, dict):
        prefix = _object_prefix(value)
        if prefix is not None:
            return unwrap(value[prefix + ".data"], depth - 1)
        return {key: unwrap(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item, depth - 1) for item in value]
    return value


def _object_prefix(value):
    for key in value:
        if isinstance(key, str) and key.endswith(".data") and isinstance(value[key], dict):
            prefix = key[:-5]
            if prefix + ".name" in value:
                return prefix
    return None


def payload_type(payload):
    """(name, version) of a versioned payload, (None, None) for an unversioned one."""
    if isinstance(payload, dict):
        prefix = _object_prefix(payload)
        if prefix is not None:
            return _text(payload.get(prefix + ".name")), _text(payload.get(prefix + ".version"))
    return None, None


def resource_class(event_type):
    for prefix, cls in _CLASS_BY_PREFIX:
        if event_type.startswith(prefix):
            return cls
    return None


def _first(mapping, keys):
    for key in keys:
        value = _text(mapping.get(key))
        if value:
            return value
    return None


def resource_of(event_type, payload):
    """{"class", "id", "name", "state", "old_state"} of the resource a notification is about (None members
    when unknown)."""
    cls = resource_class(event_type)
    found = {"class": cls, "id": None, "name": None, "state": None, "old_state": None}
    if not isinstance(payload, dict):
        return found
    data = payload
    nested = payload.get(cls) if cls else None
    if isinstance(nested, dict):  # neutron: {"port": {...}}, also some versioned payloads
        data = nested
    found["id"] = _first(data, _ID_KEYS.get(cls, ("id", f"{cls}_id", "uuid")))
    found["name"] = _first(data, _NAME_KEYS)
    update = data.get("state_update")
    if isinstance(update, dict):  # versioned instance.update
        found["state"] = _first(update, ("state",))
        found["old_state"] = _first(update, ("old_state",))
    found["state"] = found["state"] or _first(data, _STATE_KEYS)
    found["old_state"] = found["old_state"] or _first(data, ("old_state", "old_status"))
    return found


def iso_time(value):
    """oslo.messaging's timestamp ("2026-12-01 13:40:00.123456", UTC) as ISO 8601 with ms; None if unreadable."""
    text = _text(value)
    if not text:
        return None
    text = text.strip().replace("T", " ").rstrip("Z")
    for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            moment = datetime.datetime.strptime(text[:26], layout)
        except ValueError:
            continue
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return None


def event_id(message_id):
    """The message id as a UUID string (oslo.messaging makes a uuid4 per notification); None if it is none."""
    text = _text(message_id)
    if text:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            pass
    return None


def context_info(ctxt):
    """The safe fields of the request context (never its token)."""
    ctxt = ctxt if isinstance(ctxt, dict) else {}
    return {key: _first(ctxt, names) for key, names in CONTEXT_KEYS.items()}


def raw_info(ctxt, publisher_id, event_type, payload, metadata, priority, max_raw=MAX_RAW):
    """The notification as received (bounded), with the context reduced to its safe fields."""
    text, cut = bound(dumps({"priority": priority, "publisher_id": publisher_id, "event_type": event_type,
                             "metadata": metadata, "context": context_info(ctxt), "payload": payload}), max_raw)
    return {"notification": text, "truncated": cut}


def normalize(ctxt, publisher_id, event_type, payload, metadata, priority, *, console, topic=None,
              include_raw=False, max_raw=MAX_RAW):
    """One event for one notification; a parse-error event when the notification cannot be read."""
    try:
        return _normalize(ctxt, publisher_id, event_type, payload, metadata, priority, console, topic,
                          include_raw, max_raw)
    except Exception as exc:  # a hostile payload must never stop the source: report it instead
        return parse_error(f"cannot read the notification: {type(exc).__name__}: {exc}", console=console,
                           raw=raw_info(ctxt, publisher_id, event_type, payload, metadata, priority, max_raw),
                           event_type=_text(event_type), message_id=_message_id(metadata))


def _message_id(metadata):
    return _text(metadata.get("message_id")) if isinstance(metadata, dict) else None


def _normalize(ctxt, publisher_id, event_type, payload, metadata, priority, console, topic, include_raw, max_raw):
    metadata = metadata if isinstance(metadata, dict) else {}
    kind = _text(event_type)
    message_id = _message_id(metadata)
    if not kind:
        return parse_error("notification without an event_type", console=console, event_type=None,
                           message_id=message_id,
                           raw=raw_info(ctxt, publisher_id, event_type, payload, metadata, priority, max_raw))
    priority = (_text(priority) or "").lower() or None
    name, version = payload_type(payload)
    plain = sanitize(unwrap(payload))
    found = resource_of(kind, plain)
    severity = PRIORITY_SEVERITY.get(priority, "info")
    if (found["state"] or "").lower() in ERROR_STATES or kind.endswith(".error"):
        severity = worst(severity, "error")
    context = context_info(ctxt)
    section = {
        "event_type": kind,
        "priority": priority,
        "publisher_id": _text(publisher_id),
        "timestamp": _text(metadata.get("timestamp")),
        "message_id": message_id,
        "request_id": context["request_id"],
        "context": context,
        "payload_type": name,
        "payload_version": version,
        "payload": plain,
        "state": found["state"],
        "old_state": found["old_state"],
    }
    if include_raw:
        section["raw"] = raw_info(ctxt, publisher_id, event_type, payload, metadata, priority, max_raw)
    resource = resource_info(cls=found["class"], name=found["name"], id_=found["id"])
    key = ("openstack", kind, _text(publisher_id), message_id, dumps(plain) if not message_id else None)
    event = make_event(kind, severity, console, key, topic=topic or topic_info(), time=iso_time(
        metadata.get("timestamp")), resource=resource, sections=section)
    uid = event_id(message_id)
    if uid:  # otherwise the uuid5 of the key stands
        event["meta"]["uuid"] = uid
    return _rename(event)


def parse_error(error, *, console, raw, event_type=None, message_id=None, timestamp=None):
    """A parse-error event in the openstack envelope (raw always present)."""
    return synthetic(kind="parse-error", console=console, timestamp=timestamp, error=error,
                     event_type=event_type, message_id=message_id, raw=raw)


def synthetic(kind, *, console, timestamp=None, severity=None, **fields):
    """connection-lost, connection-restored, parse-error ... in the openstack envelope."""
    return _rename(synthetic_event(kind, console=console, severity=severity, timestamp=timestamp, **fields))


def _rename(event):
    """The shared envelope is built under "hmc"; this source's events carry it under "openstack"."""
    return {DOMAIN: event.pop("hmc"), **event}
