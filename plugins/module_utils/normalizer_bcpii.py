# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reassembly of OS messages that BCPii split over several notifications.

BCPii may deliver one long OS message as consecutive os-message notifications whose os-messages array holds a
single entry; all fields other than message-text are identical and the texts concatenate in arrival order.
Nothing marks the last part, so a message is complete only when something else happens. The rule:

- A *part* is an os-message notification with exactly one os-messages entry. Parts of the same message have
  the same resource (object-uri, object-id, element-uri, element-id, class, name, target-name, event-name)
  and the same entry apart from message-text (in particular the same sequence-number).
- A part is held back. The next part of the same message is appended to it.
- The held message is complete (and returned) when the next notification for the same resource arrives and
  is not a part of it, when ``flush()`` is called, when ``flush_older_than(now, seconds)`` finds that no part
  arrived for ``seconds``, or when its text reaches ``max_text`` characters.
- Notifications of other resources do not complete it, so interleaved partitions do not cut messages; the
  order of events is kept per resource, not across resources.

The class is pure: the caller passes the time (``now``) and drives the timeout, e.g. with a timer of one or two
seconds, because an unsplit message also waits for it (or for the next notification of its resource).
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import MAX_BODY, decode_json, dumps

MAX_TEXT = 256 * 1024
"""A message text that reaches this many characters is complete: bounds memory if parts never stop."""

_RESOURCE_HEADERS = ("object-uri", "object-id", "element-uri", "element-id", "class", "name", "target-name",
                     "event-name")


class _Held:
    """A message being reassembled: its first payload, the texts so far and when the last part arrived."""

    def __init__(self, payload, entry, match, now):
        self.payload = payload
        self.entry = entry
        self.match = match
        self.texts = [entry.get("message-text") or ""]
        self.size = len(self.texts[0])
        self.last = now

    def add(self, entry, now):
        text = entry.get("message-text") or ""
        self.texts.append(text)
        self.size += len(text)
        self.last = now

    def complete(self):
        """The reassembled payload: the first part with the joined text."""
        if len(self.texts) == 1:
            return self.payload
        entry = dict(self.entry, **{"message-text": "".join(self.texts)})
        body = dict(self.payload["body"], **{"os-messages": [entry]})
        return dict(self.payload, body=body)


class BcpiiReassembler:
    """Joins split BCPii OS messages (see the module docstring for the rule); feed it every BCPii payload."""

    def __init__(self, max_text=MAX_TEXT, max_body=MAX_BODY):
        self.max_text = max_text
        self.max_body = max_body
        self._held = {}

    def __len__(self):
        """Number of messages held back."""
        return len(self._held)

    def feed(self, payload, now=0.0):
        """Payloads that are complete after ``payload`` arrived, in order (possibly none, possibly two).

        Anything that is not a part (other types, unreadable data) is returned as given, after a held message of
        the same resource. Parts are returned as dicts.
        """
        decoded = decode_json(payload, self.max_body)[0]
        part = _part(decoded)
        resource = _resource(decoded)
        held = self._held.get(resource)
        done = []
        if held is not None and (part is None or part[1] != held.match):
            done.append(self._held.pop(resource).complete())
            held = None
        if part is None:
            done.append(payload)
        elif held is not None:
            held.add(part[0], now)
        else:
            held = self._held[resource] = _Held(decoded, part[0], part[1], now)
        if held is not None and held.size >= self.max_text:
            done.append(self._held.pop(resource).complete())
        return done

    def flush(self):
        """Every held message, completed, in the order their first parts arrived."""
        done = [held.complete() for held in self._held.values()]
        self._held.clear()
        return done

    def flush_older_than(self, now, seconds):
        """Held messages whose last part arrived ``seconds`` or more before ``now``, completed."""
        stale = [key for key, held in self._held.items() if now - held.last >= seconds]
        return [self._held.pop(key).complete() for key in stale]


def _part(decoded):
    """``(entry, match key)`` when the payload is a possible part, else None."""
    if not isinstance(decoded, dict):
        return None
    headers, body = decoded.get("headers"), decoded.get("body")
    if not isinstance(headers, dict) or headers.get("notification-type") != "os-message" or not isinstance(body, dict):
        return None
    entries = body.get("os-messages")
    if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], dict):
        return None
    entry = entries[0]
    if not isinstance(entry.get("message-text", ""), (str, type(None))):
        return None
    fields = {key: value for key, value in entry.items() if key != "message-text"}
    return entry, dumps(fields)


def _resource(decoded):
    """The resource a payload is about (what its parts have in common besides the entry)."""
    headers = decoded.get("headers") if isinstance(decoded, dict) else None
    if not isinstance(headers, dict):
        return None
    return dumps([headers.get(name) for name in _RESOURCE_HEADERS])
