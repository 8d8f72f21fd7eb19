# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded, lossless handoff from producer threads to one asyncio consumer.

stomp.py delivers frames in its own I/O thread; the EDA queue lives in the
event loop. Items pass through a bounded deque: a producer blocks while it is
full (so the I/O thread stops reading and TCP backpressure reaches the broker)
and nothing is ever dropped. The event loop is woken only when the consumer is
actually waiting, and it takes everything queued at once, so a busy stream
costs one lock round trip per wake-up, not per item.

Each broker connection gets its own Handoff. Until the broker confirmed the
connection's subscriptions it is unbounded (``bounded=False``): the RECEIPT
comes after MESSAGE frames on the same socket, so a producer blocked on a full
handoff would keep the receipt unread while the consumer is busy elsewhere.
``bound()`` switches the limit on once the receipt is in. Control items (a
connection loss, a channel that opened) never block and are read in order with
the frames; ``discard()`` ends a connection's handoff and drops what is queued.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import collections
import threading


class HandoffClosed(Exception):
    """The consumer went away: producers stop, the consumer's get() ends."""


class Handoff:
    """Bounded thread-to-asyncio channel; put() from any thread, get() in the loop."""

    def __init__(self, loop, capacity=256, bounded=True):
        self._loop = loop
        self._capacity = capacity
        self._bounded = bounded
        self._items = collections.deque()
        self._cond = threading.Condition()
        self._waiter = None
        self._closed = False

    def put(self, item):
        """Append item, blocking while the handoff is full; raise HandoffClosed after close()."""
        with self._cond:
            while self._bounded and len(self._items) >= self._capacity and not self._closed:
                self._cond.wait()
            self._append(item)

    def put_control(self, item):
        """Append item without waiting for room (any thread, also the event loop's); HandoffClosed after close."""
        with self._cond:
            self._append(item)

    def _append(self, item):
        if self._closed:
            raise HandoffClosed()
        self._items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_wake, waiter)

    def bound(self):
        """From now on put() waits while capacity items are queued."""
        with self._cond:
            self._bounded = True

    async def get_all(self):
        """Every queued item in arrival order, at least one; waits without blocking the loop.

        Taking them all at once costs one lock round trip per wake-up instead of one per item, which matters
        in a message storm, when the two threads also compete for the GIL.
        """
        while True:
            with self._cond:
                if self._items:
                    items = list(self._items)
                    self._items.clear()
                    self._cond.notify_all()
                    return items
                if self._closed:
                    raise HandoffClosed()
                self._waiter = self._loop.create_future()
                waiter = self._waiter
            await waiter

    def __len__(self):
        return len(self._items)

    def discard(self):
        """Close and drop everything queued: nothing of this handoff is delivered any more."""
        with self._cond:
            self._items.clear()
        self.close()

    def close(self):
        """Release blocked producers; items already queued stay readable."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_wake, waiter)


def _wake(waiter):
    if not waiter.done():
        waiter.set_result(None)
