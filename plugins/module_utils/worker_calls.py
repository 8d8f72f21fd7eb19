# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Blocking calls (WS API requests, STOMP connect and close) off the event loop, with a bounded stop.

Each call runs in its own daemon thread, so a console that does not answer holds a thread, never the event
loop, and never the interpreter's exit. A task awaiting a call can be cancelled at any time; the thread then
finishes on its own. What such a late call leaves behind (a session it logged on, a broker connection it
opened) must not outlive the stream: stop() registers a cleanup that the last call still running runs in its
own thread when it ends. When none runs, the caller's own shutdown steps have all ended and nothing is late.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import concurrent.futures
import logging
import threading

LOG = logging.getLogger("zhmc.notifications.source")


class WorkerCalls:
    """Run blocking callables in daemon threads and await them from the event loop."""

    def __init__(self, name="zhmc-call"):
        self._name = name
        self._lock = threading.Lock()
        self._running = 0
        self._idle = threading.Event()
        self._idle.set()
        self._cleanup = None

    async def call(self, func, *args, **kwargs):
        """func(*args, **kwargs) in a new daemon thread; its result or exception."""
        return await self.submit(func, *args, **kwargs)

    def submit(self, func, *args, **kwargs):
        """Start func(*args, **kwargs) in a new daemon thread now; an asyncio future of its outcome. (Started
        at once, unlike a coroutine, so that settle() right after sees it running.)"""
        future = concurrent.futures.Future()
        with self._lock:
            self._running += 1
            self._idle.clear()
        thread = threading.Thread(target=self._run, args=(future, func, args, kwargs), name=self._name,
                                  daemon=True)
        thread.start()
        return asyncio.wrap_future(future)

    def _run(self, future, func, args, kwargs):
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task, which may be gone: then it is only logged
            if not future.cancelled():
                future.set_exception(exc)
        else:
            if not future.cancelled():
                future.set_result(result)
        finally:
            self._finished()

    def _finished(self):
        with self._lock:
            self._running -= 1
            last = self._running == 0
            cleanup = self._cleanup if last else None
            if last:
                self._cleanup = None
                self._idle.set()
        if cleanup is not None:
            _run_cleanup(cleanup)

    @property
    def running(self):
        return self._running

    async def settle(self, timeout):
        """Wait up to timeout seconds (without blocking the loop) until no call runs; True when none does."""
        if self._idle.is_set():
            return True
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._idle.wait, timeout) if timeout > 0 else False

    def stop(self, cleanup):
        """cleanup() runs once in the thread of the last call still running, when it ends; True when one runs
        (cleanup pending), False when none does (cleanup not needed, never run)."""
        with self._lock:
            if self._running:
                self._cleanup = cleanup
                return True
        return False


def _run_cleanup(cleanup):
    try:
        cleanup()
    except Exception:  # a cleanup of last resort: report, never raise into a thread that has no caller
        LOG.warning("cleanup after stop failed", exc_info=True)
