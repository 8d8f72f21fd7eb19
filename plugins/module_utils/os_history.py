# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a partition's/LPAR's OS message history (List OS Messages) for cursors and recovery.

Blocking (WS API through the client); called in worker threads. The console keeps a bounded history per
system, in sequence order; what it no longer keeps is reported as a gap, never silently skipped.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _messages(client, resource, begin=None):
    result = client.list_os_messages(resource["uri"], begin=begin, name=resource["name"]) or {}
    return [m for m in result.get("os-messages") or [] if isinstance(m, dict)]


def latest_sequence(client, resource):
    """The newest sequence number the console keeps for resource (None when it keeps none)."""
    numbers = [n for n in (_int(m.get("sequence-number")) for m in _messages(client, resource)) if n is not None]
    return numbers[-1] if numbers else None


def missed_messages(client, resource, begin, since_ms=None):
    """(messages, gaps) the console keeps from sequence number begin on, oldest first.

    begin None: every kept message, or with since_ms only those stamped at or after it (a message without a
    time stamp, -1, counts as new: it cannot be shown to be older), and no gaps. gaps lists (first, last) of each
    run of numbers from begin on that the console no longer keeps, in order: the ones before the oldest kept
    message, and the holes between kept ones, because a console that runs out of history space drops the oldest
    routine messages first and keeps held and priority ones (WS API, List OS Messages), so an old held message
    can be kept while the routine ones after it are gone.
    """
    messages = _messages(client, resource, begin)
    if begin is None:
        if since_ms is not None:
            messages = [m for m in messages if not _stamped_before(m, since_ms)]
        return messages, []
    messages.sort(key=lambda m: seq_delta(_int(m.get("sequence-number"), begin), begin))
    gaps = []
    expected = begin
    for message in messages:
        number = _int(message.get("sequence-number"), expected)
        missing = seq_delta(number, expected)
        if missing > 0:
            gaps.append((expected, expected + missing - 1))
        if missing >= 0:
            expected = number + 1
    return messages, gaps


def _stamped_before(message, since_ms):
    stamp = _int(message.get("timestamp"), -1)
    return 0 <= stamp < since_ms
