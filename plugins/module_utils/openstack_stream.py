# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The asyncio side of the openstack source: connection check, oslo.messaging listener, broker watch,
delivery with acknowledgement after the rules engine took the event.

Delivery: the listener's worker thread calls ``handle`` for each notification; it normalizes it, applies the
source-side filters and, for an event to deliver, runs ``_deliver`` in the event loop and waits for it:
``queue.put`` returned (the engine took the event) and, with feedback, the engine's feedback for its
meta.uuid arrived. Only then does the endpoint return HANDLED and oslo.messaging acknowledge the message.
When the source stops first, the endpoint returns REQUEUE and RabbitMQ keeps the message for the next
consumer. Events the source makes up itself (connection-lost ...) take the same path, in the same order.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import concurrent.futures
import fnmatch
import logging
import threading
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_logging
from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_normalizer as normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import topic_info
from ansible_collections.zhmc.notifications.plugins.module_utils.openstack_broker import BrokerError, BrokerWatch

LOG = logging.getLogger("zhmc.notifications.openstack")

STOP_TIMEOUT = 30.0
"""Seconds the listener gets to requeue what it holds and close when the source stops."""


class StreamFailed(Exception):
    """The source cannot go on (login refused, TLS not verified, reconnect budget used up, no feedback)."""


def accept(filters, event):
    """Whether the source-side filters let a notification event through (synthetic events always pass)."""
    section = event[normalizer.DOMAIN]
    if section.get("event_type") is None:
        return True
    checks = (("event_types", section.get("event_type")), ("publisher_ids", section.get("publisher_id")))
    for key, value in checks:
        patterns = filters.get(key)
        if patterns and not any(fnmatch.fnmatchcase(value or "", p) for p in patterns):
            return False
    wanted = filters.get("priorities")
    return not wanted or section.get("priority") in wanted


class OpenStackStream:
    """Receive OpenStack notifications and put events with ``emit`` (the rulebook queue's put) until cancelled."""

    def __init__(self, options, emit, listener_factory=None, broker_factory=BrokerWatch):
        self.options = options
        self._emit = emit
        self._listener_factory = listener_factory
        self._broker = broker_factory(options["transport"], options["tls"], heartbeat=options["heartbeat"])
        self._loop = None
        self._order = None
        self._stopping = threading.Event()
        self._pending = set()
        self._feedback = options.get("feedback_queue")
        self._failed = None
        topics = {t["topic"] for t in options["targets"]}
        self._topic = topic_info(next(iter(topics)) if len(topics) == 1 else None, "openstack-notification")
        self.console = {"host": None, "type": "openstack"}

    # -- lifecycle ------------------------------------------------------------------------------------

    async def run(self):
        """Check the broker, start the listener and watch the connection until cancelled or StreamFailed."""
        self._loop = asyncio.get_running_loop()
        self._order = asyncio.Lock()
        self._failed = self._loop.create_future()
        openstack_logging.protect(self.options["secrets"])
        if self.options["pool"] is None:
            LOG.warning("no pool: this source shares the queues %s with every other listener without a pool "
                        "(such as ceilometer), and each notification reaches only one of them; set the option "
                        "'pool'", ", ".join(f"{t['topic']}.<priority>" for t in self.options["targets"]))
        listener = None
        watcher = None
        try:
            try:
                self.console["host"] = await self._loop.run_in_executor(None, self._broker.connect)
            except BrokerError as err:
                raise StreamFailed(err.message) from None
            listener = self._listener_factory(self.options, self.handle, self.dropped)
            await self._loop.run_in_executor(None, listener.start)
            LOG.info("listening for OpenStack notifications on %s (targets %s, pool %s)", self.console["host"],
                     ", ".join(f"{t['exchange'] or 'default exchange'}/{t['topic']}" for t in self.options["targets"]),
                     self.options["pool"])
            watcher = self._loop.run_in_executor(None, self._supervise)
            await asyncio.wait([watcher, self._failed], return_when=asyncio.FIRST_COMPLETED)
            if self._failed.done():
                raise self._failed.exception()
            watcher.result()
        finally:
            self._stopping.set()
            for task in list(self._pending):
                task.cancel()
            if listener is not None:
                await self._stop_listener(listener)
            if watcher is not None:
                await asyncio.wait([watcher], timeout=STOP_TIMEOUT)
            self._broker.close()

    async def _stop_listener(self, listener):
        stopping = self._loop.run_in_executor(None, listener.stop)
        done, _pending = await asyncio.wait([stopping], timeout=STOP_TIMEOUT)
        if not done:
            LOG.warning("the oslo.messaging listener did not stop within %s s", STOP_TIMEOUT)

    # -- connection supervision (a worker thread) ------------------------------------------------------

    def _supervise(self):
        """Watch the broker connection; report outages; raise StreamFailed when reconnecting is hopeless."""
        while not self._stopping.is_set():
            reason = self._broker.watch(self._stopping)
            if reason is None:
                return
            started = time.monotonic()
            reason = openstack_logging.scrub(reason)
            LOG.warning("connection to RabbitMQ at %s lost: %s", self.console["host"], reason)
            self._put_from_thread(self._synthetic("connection-lost", reason=reason))
            try:
                attempts = self._broker.reconnect(self.options["reconnect"], self._stopping, self._attempt_failed)
            except BrokerError as err:
                raise StreamFailed(err.message) from None
            if attempts is None:
                return
            self.console["host"] = self._broker.where
            outage = round(time.monotonic() - started, 3)
            LOG.info("connection to RabbitMQ at %s restored after %s s", self.console["host"], outage)
            self._put_from_thread(self._synthetic("connection-restored", outage_seconds=outage, attempts=attempts))

    @staticmethod
    def _attempt_failed(attempt, err):
        LOG.warning("reconnect attempt %d failed: %s", attempt, err.message)

    # -- delivery ---------------------------------------------------------------------------------------

    def handle(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        """Called by the listener's worker thread; True to acknowledge (delivered or filtered), False to requeue."""
        if self._stopping.is_set():
            return False
        event = normalizer.normalize(ctxt, publisher_id, event_type, payload, metadata, priority,
                                     console=self.console, topic=dict(self._topic),
                                     include_raw=self.options["include_raw"])
        if not accept(self.options["filters"], event):
            return True
        return self._put_from_thread(event)

    def dropped(self, error):
        """oslo.messaging dropped a message it could not read (it is off the queue): report it, without waiting
        (this runs in oslo.messaging's consumer thread)."""
        event = normalizer.parse_error(openstack_logging.scrub(error), console=self.console,
                                       raw={"notification": None, "truncated": False}, timestamp=time.time())
        try:
            asyncio.run_coroutine_threadsafe(self._deliver(event), self._loop)
        except RuntimeError:  # the loop is closed: the source is gone
            LOG.warning("dropped message not reported, the source stopped: %s", error)

    def _put_from_thread(self, event):
        """Deliver from a worker thread and wait; False when the source stopped before it was delivered."""
        try:
            future = asyncio.run_coroutine_threadsafe(self._deliver(event), self._loop)
        except RuntimeError:  # the loop is closed
            return False
        try:
            future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError, StreamFailed):
            return False
        return True

    async def _deliver(self, event):
        task = asyncio.current_task()
        if self._stopping.is_set():  # came in after the pending deliveries were cancelled: requeue it too
            raise asyncio.CancelledError()
        self._pending.add(task)
        try:
            async with self._order:
                await self._emit(event)
                if self._feedback is not None:
                    await self._await_feedback(event["meta"]["uuid"])
        except StreamFailed as err:
            if not self._failed.done():
                self._failed.set_exception(err)
            raise
        finally:
            self._pending.discard(task)

    async def _await_feedback(self, uuid):
        """Wait for the engine's feedback on the event just put (it answers in order, one at a time)."""
        timeout = self.options["feedback_timeout"]
        while True:
            try:
                data = await asyncio.wait_for(self._feedback.get(), timeout)
            except asyncio.TimeoutError:
                raise StreamFailed(f"no feedback from the rules engine within {timeout} s for event {uuid}; "
                                   f"the notification stays in RabbitMQ") from None
            got = ((data or {}).get("meta") or {}).get("uuid") if isinstance(data, dict) else None
            if got == uuid:
                return
            LOG.warning("feedback for an unexpected event %s while waiting for %s: ignored", got, uuid)

    def _synthetic(self, kind, **fields):
        return normalizer.synthetic(kind, console=self.console, timestamp=time.time(), topic=dict(self._topic),
                                    **fields)
