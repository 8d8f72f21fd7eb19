# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which OS message events the rules engine surely has: what a checkpoint may claim as delivered.

The stream's recovery cursors move as soon as an event is handed to the queue, which is right for recovery
after a reconnect (the process still holds everything it handed over). A checkpoint must claim less: after a
crash, an event that sat in ansible-rulebook's queue, or that the engine took but never acknowledged, is gone
unless the checkpoint lies before it. This tracker keeps the events in flight, in the order they were put, and
holds each resource's cursor back to just before its earliest event the engine does not surely have:

- with feedback (``eda_feedback_queue``), an event counts once the engine acknowledged it (matched by
  meta.uuid). The engine acknowledges in the order it took the events, so an acknowledgement also shows that
  every earlier event was passed: one of those that stays without an acknowledgement (a rulebook filter dropped
  it, or the engine failed on it) counts after ``timeout`` seconds, with a warning. An acknowledgement for a
  later event never advances past an unacknowledged earlier one of the same resource.
- without feedback, an event counts once the engine took it from its queue. That queue holds one event, so an
  event was taken when the put of the next event returned.

Pure state, no I/O; the clock is injectable.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import collections
import logging
import time

LOG = logging.getLogger("zhmc.notifications.source")

IN_FLIGHT = "in-flight"
ACKNOWLEDGED = "acknowledged"
PASSED = "passed"
"""Passed by the engine without an acknowledgement (counts after the timeout)."""


class _Entry:
    __slots__ = ("passed_at", "previous", "seq", "state", "uri", "uuid")

    def __init__(self, uuid, uri=None, seq=None, previous=None):
        self.uuid = uuid
        self.uri = uri
        self.seq = seq
        self.previous = previous
        self.state = IN_FLIGHT
        self.passed_at = None


def os_message_key(event):
    """(resource uri, sequence number) of an event that moves a recovery cursor, else None.

    Refresh messages repeat a message that was delivered before and do not move a cursor.
    """
    hmc = event.get("hmc") if isinstance(event, dict) else None
    if not isinstance(hmc, dict) or hmc.get("type") != "os-message":
        return None
    message = hmc.get("os_message") or {}
    uri = (hmc.get("resource") or {}).get("uri")
    seq = message.get("sequence_number")
    if message.get("refresh") or uri is None or seq is None:
        return None
    return uri, seq


def event_uuid(event):
    meta = event.get("meta") if isinstance(event, dict) else None
    return meta.get("uuid") if isinstance(meta, dict) else None


class DeliveryTracker:
    """Events in flight to the rules engine, and the cursors a checkpoint may claim.

    last_of(uri): the stream cursor of uri before the event is handed over (RecoveryCursors.last).
    """

    def __init__(self, last_of, feedback=False, timeout=30.0, clock=time.monotonic):
        self._last_of = last_of
        self.feedback = feedback
        self.timeout = timeout
        self._clock = clock
        self._unpassed = collections.deque()   # every event put, in order, that the engine did not pass yet
        self._by_uri = {}                      # uri -> deque of tracked entries not yet counted
        self.acknowledged = 0
        self.counted_without_ack = 0

    def before_put(self, event):
        """Call right before queue.put(event); returns the token for after_put."""
        key = os_message_key(event)
        if key is None:
            return _Entry(event_uuid(event))
        uri, seq = key
        return _Entry(event_uuid(event), uri, seq, self._last_of(uri))

    def after_put(self, entry):
        """queue.put(event) returned."""
        if not self.feedback:
            for earlier in self._unpassed:
                earlier.state = ACKNOWLEDGED
            self._unpassed.clear()
        self._unpassed.append(entry)
        if entry.uri is not None:
            self._by_uri.setdefault(entry.uri, collections.deque()).append(entry)
        self._settle()

    def acknowledge(self, uuid):
        """The engine returned the event with this meta.uuid on the feedback queue; False if none is in flight."""
        if uuid is None:
            return False
        index = next((i for i, entry in enumerate(self._unpassed) if entry.uuid == uuid and entry.state == IN_FLIGHT),
                     None)
        if index is None:
            return False
        now = self._clock()
        for _skipped in range(index):
            earlier = self._unpassed.popleft()
            earlier.state = PASSED
            earlier.passed_at = now
        self._unpassed.popleft().state = ACKNOWLEDGED
        self.acknowledged += 1
        self._settle()
        return True

    def held(self):
        """Entries kept in memory, counted or not: bounded by the events in flight, whether or not a
        checkpoint is ever written (a source without one must not keep every OS message)."""
        return sum(len(entries) for entries in self._by_uri.values()) + len(self._unpassed)

    def in_flight(self):
        """Tracked events not counted yet."""
        self._settle()
        return sum(len(entries) for entries in self._by_uri.values())

    def held_back(self, snapshot):
        """A copy of a cursors snapshot ({"version", "cursors": {uri: {"last", ...}}}) with each resource's
        cursor held back to just before its earliest event the engine does not surely have."""
        self._settle()
        cursors = {uri: dict(cursor) for uri, cursor in (snapshot.get("cursors") or {}).items()}
        for uri, entries in self._by_uri.items():
            if entries and uri in cursors:
                cursors[uri]["last"] = entries[0].previous
        return dict(snapshot, cursors=cursors)

    def _settle(self):
        """Drop each resource's leading entries that count as delivered; called after every put and
        acknowledgement so that memory stays bounded by what is in flight."""
        now = self._clock()
        for uri in list(self._by_uri):
            entries = self._by_uri[uri]
            while entries:
                head = entries[0]
                if head.state == PASSED and now - head.passed_at >= self.timeout:
                    self.counted_without_ack += 1
                    LOG.warning("the rules engine did not acknowledge OS message %s of %s (meta.uuid %s) but later "
                                "events; counted as delivered after %s s", head.seq, uri, head.uuid, self.timeout)
                elif head.state != ACKNOWLEDGED:
                    break
                entries.popleft()
            if not entries:
                del self._by_uri[uri]


async def consume_feedback(feedback_queue, tracker):
    """Read ansible-rulebook's feedback queue for as long as the source runs.

    The engine waits on that queue (it holds one event) after every event of this source, so it must be read
    whether or not an event is tracked, or the engine stops.
    """
    while True:
        event = await feedback_queue.get()
        tracker.acknowledge(event_uuid(event))
