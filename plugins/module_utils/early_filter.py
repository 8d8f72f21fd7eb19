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
    """``drops(headers, body, note)``: True when the source filter drops every event of this notification.

    ``note(uri, sequence_number)`` is called for each dropped OS message that is not a refresh, in order, as
    the source records every OS message it reads (duplicate detection and the recovery cursor), kept or not.
    """

    def __init__(self, matcher, max_body=None):
        self._matcher = matcher
        self._max_body = MAX_BODY if max_body is None else max_body
        self._needs_text = matcher.needs_message_id or matcher.text is not None

    def drops(self, headers, body, note):
        try:
            return self._drops(headers, body, note)
        except Exception:  # anything unexpected: the normalizer decides (and makes a parse-error if it must)
            return False

    def _drops(self, headers, body, note):
        if not isinstance(headers, dict) or (to_str(headers.get("notification-type")) or "").strip() != OS_MESSAGE:
            return False
        decoded, error = decode_json(body, self._max_body)
        entries = decoded.get("os-messages") if isinstance(decoded, dict) and error is None else None
        if not isinstance(entries, list) or not entries:
            return False
        resource = _resource(headers)
        views = [self._view(resource, entry) for entry in entries]
        if any(view is None for view in views) or any(self._matcher.accept(view) for view in views):
            return False
        uri = resource["uri"]
        for view in views:
            message = view["hmc"]["os_message"]
            if not message["refresh"]:
                note(uri, message["sequence_number"])
        return True

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

    The source must still see every notification it drops: its session sequence number (gap detection) and
    the sequence numbers of its OS messages (duplicate detection and recovery cursors). A receiver hands
    ``dropped()``'s answer on instead of the frame, which is what lets a receiver process pass on a storm's
    routine messages at the cost of three numbers each. Frames of the protected topics (BCPii, whose OS
    messages come in parts) are always kept.
    """

    def __init__(self, early, protected_topics=()):
        self._early = early
        self._protected = frozenset(protected_topics)

    def dropped(self, headers, body):
        """None to keep the frame, else (topic, session-sequence-nr header, [(uri, OS sequence number)])."""
        destination = headers.get("destination", "") if isinstance(headers, dict) else ""
        topic = destination[7:] if destination.startswith("/topic/") else destination
        if topic in self._protected:
            return None
        messages = []
        if not self._early.drops(headers, body, lambda uri, seq: messages.append((uri, seq))):
            return None
        return topic, headers.get("session-sequence-nr"), messages


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
