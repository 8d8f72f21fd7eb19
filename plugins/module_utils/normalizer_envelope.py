# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The envelope every normalized event shares: schema, type, severity, console, topic, sequence, time,
resource, and ``meta.uuid``.

Notification events and the source's synthetic events (connection-lost, parse-error ...) are built here so
they have the same shape: a rule can test ``event.hmc.severity`` or ``event.hmc.resource.name`` on any event
without first checking the type. Sub-dicts are always present with null members, never missing.
"""

import hashlib
import math
import uuid

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    dumps,
    iso_ms,
    sanitize,
    to_str,
)

SCHEMA = 1
"""Version of the event layout; raised when a field changes meaning or disappears (additions keep it)."""

SEVERITIES = ("info", "warning", "error", "critical")

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://galaxy.ansible.com/zhmc/notifications/events")
"""uuid5 namespace of event ids: fixed forever, or ids of the same notification would change on upgrade."""
_NAMESPACE_BYTES = NAMESPACE.bytes

SYNTHETIC_SEVERITY = {
    "connection-lost": "error",
    "connection-restored": "info",
    "notifications-missed": "warning",
    "parse-error": "error",
    "heartbeat-missed": "error",
}
"""Default severities of the events the collection makes up itself (no console notification behind them)."""

_ENVELOPE = ("schema", "type", "severity", "console", "time")


def worst(*severities):
    """The most severe of the given severities (unknown values count as info)."""
    return max(severities, key=lambda level: SEVERITIES.index(level) if level in SEVERITIES else 0)


def event_uuid(*parts):
    """Deterministic UUID string of the parts (None counts as empty), so a duplicate gets the same id.

    The value of ``str(uuid.uuid5(NAMESPACE, name))``, computed without building a UUID object: one per event
    is on the hot path of a message storm.
    """
    name = "\x1f".join(["" if part is None else str(part) for part in parts])
    text = hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).hexdigest()
    # Version 5 is the 13th hex digit; the RFC 4122 variant sets the top bits of the 17th to binary 10.
    variant = "89ab"[int(text[16], 16) & 3]
    return f"{text[:8]}-{text[8:12]}-5{text[13:16]}-{variant}{text[17:20]}-{text[20:32]}"


def console_info(console):
    """The caller's console dict made safe; ``host`` and ``type`` always present."""
    info = sanitize(console) if isinstance(console, dict) else {}
    info.setdefault("host", None)
    info.setdefault("type", None)
    return info


def topic_info(name=None, topic_type=None):
    return {"name": name, "type": topic_type}


def sequence_info(session=None, global_=None):
    return {"session": session, "global": global_}


def resource_info(cls=None, name=None, uri=None, id_=None, cpc=None, parent_uri=None):
    return {"class": cls, "name": name, "uri": uri, "id": id_, "cpc": cpc, "parent_uri": parent_uri}


def make_event(kind, severity, console, key, *, topic=None, sequence=None, time=None, resource=None,
               sections=None):
    """One event: the envelope, then the type's own sections; ``key`` is the tuple its uuid is made of."""
    hmc = {
        "schema": SCHEMA,
        "type": kind,
        "severity": severity if severity in SEVERITIES else "info",
        "console": console,
        "topic": topic or topic_info(),
        "sequence": sequence or sequence_info(),
        "time": time,
        "resource": resource or resource_info(),
    }
    hmc.update(sections or {})
    return {"hmc": hmc, "meta": {"uuid": event_uuid(*key)}}


def synthetic_event(kind, *, console, severity=None, timestamp=None, **fields):
    """An event the collection makes up (connection-lost, connection-restored, notifications-missed,
    parse-error, heartbeat-missed, or any other kind), in the same envelope as notification events.

    ``severity`` defaults to SYNTHETIC_SEVERITY (info for other kinds). ``timestamp`` is the caller's clock in
    seconds since the epoch and becomes ``hmc.time``; pass it, because the uuid is derived from kind, console,
    timestamp and fields, so two occurrences with identical fields and no time get the same uuid. ``fields``
    are added to ``hmc`` as given (sanitized); ``topic``, ``sequence`` and ``resource`` replace the empty
    envelope members; schema, type, severity, console and time cannot be overridden.
    """
    console = console_info(console)
    severity = severity if severity in SEVERITIES else SYNTHETIC_SEVERITY.get(kind, "info")
    fields = {name: sanitize(value) for name, value in fields.items() if name not in _ENVELOPE}
    millis = _millis(timestamp)
    key = ("synthetic", kind, console.get("host"), millis, dumps(fields))
    return make_event(to_str(kind) or "unknown", severity, console, key, time=iso_ms(millis), sections=fields)


def _millis(seconds):
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return None
    return round(seconds * 1000)
