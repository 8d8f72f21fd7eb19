# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drop an OS message notification that the source's filters drop, before its events are built.

During an IPL storm almost every notification is a routine OS message that no rule wants. Normalizing one
(envelope, uuid, time stamps) costs several times reading it, so the source asks this check first: it reads
only the raw fields the filter's conditions name and says whether every event of the notification would be
dropped. It is conservative: whenever the normalizer would make something the check does not model (a
parse-error, a notification that is not an OS message, an entry it cannot read), it answers "not dropped"
and the notification takes the normal path. The normalizer stays the one definition of the event;
tests/unit/test_early_filter.py proves with generated notifications that both paths keep the same events.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

from ansible_collections.zhmc.notifications.plugins.module_utils.drop_notes import run_of
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import SourceFilter
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_os import os_message_severity
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    MAX_BODY,
    decode_json,
    to_bool,
    to_int,
    to_str,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.zos_message import parse_zos_message

OS_MESSAGE = "os-message"


class EarlyFilter:
    """``dropped_messages(headers, body)``: the OS messages of a notification whose every event the source filter
    drops, or None when the notification takes the normal path.
    """

    def __init__(self, matcher, max_body=None):
        self._matcher = matcher
        self._max_body = MAX_BODY if max_body is None else max_body
        self._needs_text = matcher.needs_message_id or matcher.text is not None

    def dropped_messages(self, headers, body):
        """None to keep the notification, else [(uri, sequence number)] of its OS messages that are not refreshes,
        in order: the source records every OS message it reads (duplicate detection and the recovery cursor),
        kept or not."""
        try:
            return self._dropped_messages(headers, body)
        except Exception:  # anything unexpected: the normalizer decides (and makes a parse-error if it must)
            return None

    def _dropped_messages(self, headers, body):
        if not isinstance(headers, dict) or (to_str(headers.get("notification-type")) or "").strip() != OS_MESSAGE:
            return None
        decoded, error = decode_json(body, self._max_body)
        entries = decoded.get("os-messages") if isinstance(decoded, dict) and error is None else None
        if not isinstance(entries, list) or not entries:
            return None
        resource = _resource(headers)
        uri = resource["uri"]
        accept = self._matcher.accept
        noted = []
        for entry in entries:
            view = self._view(resource, entry)
            if view is None or accept(view):
                return None
            message = view["hmc"]["os_message"]
            if not message["refresh"]:
                noted.append((uri, message["sequence_number"]))
        return noted

    def _view(self, resource, entry):
        """The part of an entry's event that the filter conditions read; None when the entry is unusable."""
        if not isinstance(entry, dict):
            return None
        message = {
            "held": to_bool(entry.get("is-held")),
            "priority": to_bool(entry.get("is-priority")),
            "refresh": to_bool(entry.get("is-refresh")),
            "sequence_number": to_int(entry.get("sequence-number")),
        }
        raw_text = entry.get("message-text")
        text = "" if raw_text is None else to_str(raw_text)
        if text is None:
            return None
        hmc = {"type": OS_MESSAGE, "resource": resource, "os_message": message}
        if self._needs_text:
            text = text.rstrip("\r\n")
            parsed = parse_zos_message(text, held=message["held"])
            message.update(text=text, code=parsed["code"], indicator=parsed["indicator"], action=parsed["action"],
                           sound_alarm=to_bool(entry.get("sound-alarm")))
            hmc["severity"] = os_message_severity(message)
        return {"hmc": hmc}


class Triage:
    """A receiver's first look at a frame: keep it, or report it as dropped in a few numbers.

    The source must still see every notification it drops (see drop_notes): a receiver hands ``dropped()``'s
    run on instead of the frame, which is what lets a receiver process pass on a storm's routine messages at
    the cost of a few numbers per run of them. Frames of the protected topics (BCPii, whose OS messages come in
    parts) are always kept.
    """

    def __init__(self, early, protected_topics=()):
        self._early = early
        self._protected = frozenset(protected_topics)

    def dropped(self, headers, body):
        """None to keep the frame, else its drop_notes run."""
        destination = headers.get("destination", "") if isinstance(headers, dict) else ""
        topic = destination[7:] if destination.startswith("/topic/") else destination
        if topic in self._protected:
            return None
        messages = self._early.dropped_messages(headers, body)
        if messages is None:
            return None
        return run_of(topic, headers.get("session-sequence-nr"), messages)


def _resource(headers):
    """Class, name and URI of the notification's resource, read as the normalizer reads them."""
    element_uri = to_str(headers.get("element-uri"))
    uri = element_uri if element_uri is not None else to_str(headers.get("object-uri"))
    return {"class": to_str(headers.get("class")), "name": to_str(headers.get("name")), "uri": uri}


def early_filter(options):
    """The source's EarlyFilter for its options (accept, max_body), or None when nothing is filtered."""
    accept = options.get("accept")
    if not isinstance(accept, SourceFilter):
        return None
    return EarlyFilter(accept.matcher, options.get("max_body"))
