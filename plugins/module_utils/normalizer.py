# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Console notifications -> normalized events (the public API of the normalizer).

Pure functions: no I/O, no clock, no Ansible imports, so the EDA source, modules and tests share them and they
can be fuzzed. They never raise: a notification that cannot be read becomes one ``parse-error`` event holding
the raw data (bounded), because losing a notification silently is worse than an odd event. The event layout,
severities and uuid rule are documented in docs/events.md.

- ``normalize(headers, body, ...)``: the STOMP form (frame headers + body text).
- ``normalize_bcpii(payload, ...)``: the BCPii form (one JSON object with headers and body).
- ``normalize_os_messages(resource, os_messages, ...)``: OS messages recovered with List OS Messages; they get
  the same ``os_message`` section and uuid as the live notification that was missed.
- ``BcpiiReassembler``: joins OS messages that BCPii split over several notifications.
- ``synthetic_event(kind, ...)``: the source's own events in the same envelope.
- ``parse_zos_message(text)``, ``seq_delta`` / ``seq_newer``: helpers the source and rulebooks' playbooks use.
"""

import hashlib
import re
from collections.abc import Mapping

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_bcpii import BcpiiReassembler
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import (
    SEVERITIES,
    console_info,
    make_event,
    resource_info,
    sequence_info,
    synthetic_event,
    topic_info,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_os import os_message_items
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_types import HANDLERS, BodyError, unknown
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    MAX_BODY,
    MAX_RAW,
    bound,
    decode_json,
    dumps,
    iso_ms,
    to_int,
    to_str,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta, seq_newer
from ansible_collections.zhmc.notifications.plugins.module_utils.zos_message import parse_zos_message

__all__ = [
    "MAX_BODY",
    "MAX_RAW",
    "SEVERITIES",
    "BcpiiReassembler",
    "normalize",
    "normalize_bcpii",
    "normalize_os_messages",
    "parse_zos_message",
    "seq_delta",
    "seq_newer",
    "synthetic_event",
]

_HANDLERS = dict(HANDLERS, **{"os-message": os_message_items})
_TYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOPIC_PREFIX = "/topic/"
_PER_DELIVERY_HEADERS = ("subscription", "session-sequence-nr", "message-id", "ack", "expires", "priority")
"""Headers that differ between deliveries of the same notification; left out of content digests."""


def normalize(headers, body, *, console, include_raw=False, max_raw=MAX_RAW, max_body=MAX_BODY, topic_types=None,
              resource_info=None):
    """Events of one STOMP notification; never raises, never returns an empty list.

    ``headers`` are the frame headers (strings), ``body`` the frame body (str, bytes or None; an already decoded
    dict or list is accepted too). ``console`` is ``{"host": ..., "type": "hmc"|"se"}``. ``topic_types`` maps
    topic names to topic types (os-message-notification ...); ``resource_info`` maps object URIs to
    ``{"cpc": name}`` so events can name the CPC the headers do not.
    """
    note = _Notification(headers, body, console, include_raw, max_raw, topic_types, resource_info)
    return note.guarded(lambda: _events(note, note.notification_type(), body, max_body))


def normalize_bcpii(payload, *, console, include_raw=False, max_raw=MAX_RAW, max_body=MAX_BODY, topic=None,
                    topic_types=None, resource_info=None):
    """Events of one BCPii notification: a JSON object (str, bytes or dict) ``{"headers": {...}, "body": ...}``.

    Events are those of the STOMP form plus ``bcpii: {target_name, event_name}``. ``topic`` names the topic
    when the headers have no destination. Split OS messages should go through BcpiiReassembler first.
    """
    decoded, error = decode_json(payload, max_body)
    headers = decoded.get("headers") if isinstance(decoded, dict) else None
    if error is None and not isinstance(headers, dict):
        error = "BCPii payload is not a JSON object with a headers object"
    if error is not None:
        note = _Notification({}, payload, console, include_raw, max_raw, topic_types, resource_info, topic=topic)
        return note.guarded(lambda: [note.parse_error(error)])
    body = decoded.get("body")
    note = _Notification(headers, body, console, include_raw, max_raw, topic_types, resource_info, topic=topic,
                         bcpii=True)
    return note.guarded(lambda: _events(note, note.notification_type(), body, max_body))


def normalize_os_messages(resource, os_messages, *, console, topic=None, topic_types=None, include_raw=False,
                          max_raw=MAX_RAW, max_body=MAX_BODY, resource_info=None):
    """Events of OS messages recovered with List OS Messages (``os_messages`` is its ``os-messages`` list).

    ``resource`` describes the partition or LPAR with WS API property names (object-uri, object-id, class,
    name, optionally cpc-name), like the headers of a live notification. The events equal the live ones in
    ``os_message``, ``resource`` and ``meta.uuid``; ``sequence`` is null and ``time`` is the message's own time.
    """
    note = _Notification(resource, os_messages, console, include_raw, max_raw, topic_types, resource_info,
                         topic=topic)
    return note.guarded(lambda: _events(note, ("os-message", None), {"os-messages": os_messages}, max_body))


def _events(note, type_and_error, body, max_body):
    ntype, error = type_and_error
    if error is None:
        decoded, error = decode_json(body, max_body)
    if error is not None:
        return [note.parse_error(error, ntype)]
    try:
        items, problem = _HANDLERS.get(ntype, unknown)(note.headers, decoded)
    except BodyError as exc:
        return [note.parse_error(str(exc), ntype)]
    events = [note.event(ntype, severity, sections, index) for index, (sections, severity) in enumerate(items)]
    if problem is not None:
        events.append(note.parse_error(problem, ntype))
    return events


class _Notification:
    """What is known of one notification from its headers: the envelope of its events, its uuid keys and its
    raw data. Built from untrusted input, so every attribute is coerced and the constructor cannot fail."""

    def __init__(self, headers, body, console, include_raw, max_raw, topic_types, resources, topic=None,
                 bcpii=False):
        self.headers_ok = _is_mapping(headers)
        self.headers = {key: value for key, value in headers.items() if isinstance(key, str)} if self.headers_ok else {}
        self.body = body
        self.console = console_info(console)
        self.include_raw = include_raw is True
        limit = to_int(max_raw)
        self.max_raw = MAX_RAW if limit is None or limit < 0 else limit
        name = to_str(topic) or _topic_name(self.headers.get("destination"))
        topic_type = topic_types.get(name) if name is not None and _is_mapping(topic_types) else None
        self.topic = topic_info(name, to_str(topic_type))
        self.sequence = sequence_info(to_int(self.headers.get("session-sequence-nr")),
                                      to_int(self.headers.get("global-sequence-nr")))
        self.time = iso_ms(self.headers.get("timestamp"))
        self.resource = _resource(self.headers, resources)
        self.bcpii = {"target_name": to_str(self.headers.get("target-name")),
                      "event_name": to_str(self.headers.get("event-name"))} if bcpii else None
        self._digest = None

    def notification_type(self):
        """``(type, None)`` or ``(type or None, error text)`` from the notification-type header."""
        if not self.headers_ok:
            return None, "headers are not a mapping"
        ntype = to_str(self.headers.get("notification-type"))
        if ntype is None or not ntype.strip():
            return None, "no notification-type header"
        ntype = ntype.strip()
        if not _TYPE_NAME.fullmatch(ntype):
            return None, f"unrecognized notification-type {bound(ntype, 80)[0]!r}"
        return ntype, None

    def guarded(self, build):
        """Run ``build``; a bug must not stop the source, so any exception becomes a parse-error event."""
        try:
            return build()
        except Exception as exc:
            return [self.parse_error(f"internal error while normalizing: {type(exc).__name__}: {exc}")]

    def event(self, ntype, severity, sections, index):
        message = sections.get("os_message")
        if message is not None and message["sequence_number"] is not None and self._identity() is not None:
            key = ("os-message", self.console["host"], self._identity(), message["sequence_number"])
        else:
            key = (ntype, *self._base_key(), index)
        sections = dict(sections)
        if self.bcpii is not None:
            sections["bcpii"] = self.bcpii
        if self.include_raw:
            sections["raw"] = self.raw()
        time = self.time if self.time is not None or message is None else message["time"]
        return make_event(ntype, severity, self.console, key, topic=self.topic, sequence=self.sequence, time=time,
                          resource=self.resource, sections=sections)

    def parse_error(self, error, ntype=None):
        """The parse-error event of this notification; it always carries the raw data."""
        sections = {"error": error, "notification_type": ntype, "raw": self.raw()}
        if self.bcpii is not None:
            sections["bcpii"] = self.bcpii
        return make_event("parse-error", "error", self.console, ("parse-error", *self._base_key()), topic=self.topic,
                          sequence=self.sequence, time=self.time, resource=self.resource, sections=sections)

    def raw(self):
        """``{headers, body, truncated}``: headers and body text each bounded to max_raw characters."""
        headers, cut_headers = _bound_headers(self.headers, self.max_raw)
        body, cut_body = bound(_text(self.body), self.max_raw) if self.body is not None else (None, False)
        return {"headers": headers, "body": body, "truncated": cut_headers or cut_body}

    def _identity(self):
        """The object id that, with the console host, scopes OS message sequence numbers."""
        resource = self.resource
        return resource["id"] or (resource["uri"].rstrip("/").rsplit("/", 1)[-1] if resource["uri"] else None)

    def _base_key(self):
        """Console, topic and global sequence number; a content digest when the console sent no number."""
        global_nr = self.sequence["global"]
        if global_nr is not None:
            return self.console["host"], self.topic["name"], "global", global_nr
        if self._digest is None:
            stable = {key: value for key, value in self.headers.items() if key not in _PER_DELIVERY_HEADERS}
            text = dumps(stable) + "\x1f" + ("" if self.body is None else _text(self.body))
            self._digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return self.console["host"], self.topic["name"], "digest", self._digest


def _topic_name(destination):
    destination = to_str(destination)
    if destination is None:
        return None
    return destination[len(_TOPIC_PREFIX):] if destination.startswith(_TOPIC_PREFIX) else destination


def _resource(headers, resources):
    """The resource section; for element resources (element-uri set) the object-uri is the parent."""
    object_uri = to_str(headers.get("object-uri"))
    element_uri = to_str(headers.get("element-uri"))
    if element_uri is not None:
        uri, id_, parent_uri = element_uri, to_str(headers.get("element-id")), object_uri
    else:
        uri, id_, parent_uri = object_uri, to_str(headers.get("object-id")), None
    cpc = to_str(headers.get("cpc-name"))
    if cpc is None and _is_mapping(resources):
        known = resources.get(uri) if uri is not None else None
        if known is None and parent_uri is not None:
            known = resources.get(parent_uri)
        cpc = to_str(known.get("cpc")) if _is_mapping(known) else None
    return resource_info(to_str(headers.get("class")), to_str(headers.get("name")), uri, id_, cpc, parent_uri)


def _is_mapping(value):
    return isinstance(value, (dict, Mapping))  # dict first: a dict passes without the slow ABC check


def _text(value):
    """Text of a raw header or body value, for raw data and digests."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return dumps(value)


def _bound_headers(headers, limit):
    """Headers as text, in order, until ``limit`` characters (names and values) are used up."""
    kept, left = {}, limit
    for name, value in headers.items():
        text = _text(value)
        if len(name) + len(text) > left:
            if len(name) < left:
                kept[name] = text[:left - len(name)]
            return kept, True
        kept[name] = text
        left -= len(name) + len(text)
    return kept, False
