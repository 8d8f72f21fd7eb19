# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One console OS message (an os-message-info object) turned into the ``os_message`` section and a severity.

The same object arrives live in an os-message notification and again from List OS Messages when the source
recovers what it missed during an outage; both paths go through here so they produce the same section.
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import worst
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_types import (
    body_list,
    body_object,
    skipped_problem,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    iso_ms,
    to_bool,
    to_int,
    to_str,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.zos_message import code_severity, parse_zos_message


def os_message(entry):
    """The ``os_message`` section of one os-message-info dict, or None when it is unusable (not an object, or
    a message-text that is a list or object)."""
    if not isinstance(entry, dict):
        return None
    raw_text = entry.get("message-text")
    text = "" if raw_text is None else to_str(raw_text)
    if text is None:
        return None
    # The console is inconsistent about line ends; trailing newlines carry no meaning.
    text = text.rstrip("\r\n")
    held = to_bool(entry.get("is-held"))
    parsed = parse_zos_message(text, held=held)
    return {
        "code": parsed["code"],
        "reply_id": parsed["reply_id"],
        "indicator": parsed["indicator"],
        "action": parsed["action"],
        "text": text,
        "sequence_number": to_int(entry.get("sequence-number")),
        "message_id": to_str(entry.get("message-id")),
        "held": held,
        "priority": to_bool(entry.get("is-priority")),
        "sound_alarm": to_bool(entry.get("sound-alarm")),
        "prompt": to_str(entry.get("prompt-text")) or "",
        "os_name": to_str(entry.get("os-name")),
        "refresh": to_bool(entry.get("is-refresh")),
        "time": iso_ms(entry.get("timestamp")),
    }


def os_message_severity(message):
    """Severity of an OS message: the worst of the rules in docs/events.md.

    A held message waits for an operator reply (warning), critical when it is also a priority or alarm message;
    priority, sound-alarm and action messages (``*``/``@``) are warnings; the message id's type letter adds its
    own (see zos_message.TYPE_SEVERITY).
    """
    urgent = message["priority"] or message["sound_alarm"]
    if message["held"]:
        by_flags = "critical" if urgent else "warning"
    else:
        by_flags = "warning" if urgent or message["action"] else "info"
    return worst(by_flags, code_severity(message["code"]))


def os_message_items(headers, body):
    """The os-message handler (see normalizer_types): one item per usable os-message-info, in console order."""
    entries = body_list(body_object(body, "os-message"), "os-messages")
    if not entries:
        return [], "os-message notification without os-messages"
    messages = [message for message in map(os_message, entries) if message is not None]
    items = [({"os_message": message}, os_message_severity(message)) for message in messages]
    return items, skipped_problem(len(entries), len(items), "os-messages")
