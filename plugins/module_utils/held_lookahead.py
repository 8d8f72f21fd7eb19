# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which partitions/LPARs storm, and which of their held messages were emitted ahead of their stream.

Why: in a storm the stream can fall seconds behind the console (the receiver reads every routine message
before it reaches a held one) while a WTOR waits for its reply. The WS API lists a resource's held messages
alone (List OS Messages with is-held=true), so with the held_lookahead option the source asks, once a
second, for the held messages after the cursor of each resource whose stream runs at the storm rate or
above, and emits those the stream has not brought yet. Their stream copies are dropped when they arrive
(the cursor still moves in order over them), so each held message still comes once; a held message can
come before routine messages with lower numbers. No I/O here (the asking is StreamDelivery's): each number
emitted ahead keeps the future of its hand-over, which tells the stream's copy whether the event really went
out (its put into the engine's queue can still be under way, or be cancelled with its connection).
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import time

from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta

INTERVAL = 1.0
"""Seconds between two looks for held messages, and the window the storm rate is measured over."""
LINGER = 10.0
"""Seconds a resource counts as storming after its last window at the storm rate (a storm pauses)."""


class AheadTracker:
    """Storm rates per resource URI, and the sequence numbers emitted ahead that the stream has not reached."""

    def __init__(self, storm_rate, clock=time.monotonic):
        self._rate = storm_rate
        self._clock = clock
        self._counts = {}
        self._since = clock()
        self._storming_until = {}
        self._ahead = {}

    def count(self, uri, messages=1):
        """messages OS messages of uri came through the stream (delivered or dropped by the triage); a
        notification without an object-uri has no system to ask about."""
        if uri is not None:
            self._counts[uri] = self._counts.get(uri, 0) + messages

    def storming(self):
        """The URIs storming now, from the counts since the last call (call it once per INTERVAL)."""
        now = self._clock()
        elapsed = max(now - self._since, 1e-3)
        for uri, messages in self._counts.items():
            if messages / elapsed >= self._rate:
                self._storming_until[uri] = now + LINGER
        self._counts, self._since = {}, now
        for uri in [u for u, until in self._storming_until.items() if until < now]:
            del self._storming_until[uri]
        return sorted(self._storming_until)

    def mark(self, uri, seq, handed):
        """seq of uri is being emitted ahead of its stream; handed (a future) becomes True once the event went
        out, False if it did not."""
        self._ahead.setdefault(uri, {})[seq] = handed

    def is_ahead(self, uri, seq):
        return seq in self._ahead.get(uri, ())

    def take(self, uri, seq):
        """The hand-over future of seq of uri, once, when the stream brings it after it was emitted ahead (True:
        drop the stream's copy); None when it was not."""
        return self._ahead.get(uri, {}).pop(seq, None)

    def passed(self, uri, last):
        """The cursor of uri moved to last: numbers emitted ahead that it passed are no longer awaited."""
        numbers = self._ahead.get(uri)
        if numbers:
            for seq in [n for n in numbers if seq_delta(n, last) <= 0]:
                del numbers[seq]

    def forget(self, uri):
        """The numbering of uri started again: numbers of the old one mean nothing in the new."""
        self._ahead.pop(uri, None)
