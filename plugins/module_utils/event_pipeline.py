# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NotificationStream: a console's notifications as events, from start to a bounded, clean stop.

The stream wires two tasks that never wait for each other where they must not:

    ConnectionSupervisor (supervisor.py)            Delivery (stream_delivery.py)
      connect, seed cursors, subscribe  --outbox-->   recover from cursors, drain the connection's
      watch (loss, session), reconnect                handoff, normalize, de-duplicate, emit
      open channels at runtime         <--request--   (status to active, inventory add)

Blocking calls run in worker threads (worker_calls.py); the recovery cursors (cursors.py) are the one state
both sides share. Events go to an async ``emit`` (the EDA queue's put, or wait_for_notification's
collector), so the consumer's pace is the backpressure all the way to the broker's socket.

Stopping (cancellation, StreamFailed) takes at most SHUTDOWN_SECONDS of the caller's time and never blocks
the event loop: broker connections are closed and (with owns_session) the session is logged off in worker
threads; a call still running then (a frozen console) cleans up after itself when it ends.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import contextlib
import logging
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import RecoveryCursors
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import Receiver
from ansible_collections.zhmc.notifications.plugins.module_utils.stream_delivery import Delivery
from ansible_collections.zhmc.notifications.plugins.module_utils.supervisor import (
    AUTH_FAILURES_ALLOWED,
    ConnectionSupervisor,
    StreamFailed,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.worker_calls import WorkerCalls

LOG = logging.getLogger("zhmc.notifications.source")

SHUTDOWN_SECONDS = 5.0
"""Longest time a stop waits for connections to close and the session to be logged off."""

__all__ = ["AUTH_FAILURES_ALLOWED", "SHUTDOWN_SECONDS", "NotificationStream", "StreamFailed"]


class NotificationStream:
    """Receive the subscribed notifications and emit normalized events until cancelled.

    options: dict with stomp_port, ca_certs, verify, subscriptions (validated spec), accept (callable or
    None), heartbeat, session_check, reconnect {max_attempts, initial_delay, max_delay}, include_raw,
    job_status, max_body, bcpii_heartbeat, held_lookahead (storm rate or None); optionally cursors (a
    RecoveryCursors to start from, e.g. restored from a checkpoint) and on_subscribed (an async callable,
    called with the stream once the first subscriptions are in effect and before any notification is
    processed, for example to read a state that later notifications change; wait_for_notification uses it).
    With owns_session the stream logs on when the client has no session and logs off the session it holds
    when it stops (unless given as hmc_auth.session_id); without, the client's session must be usable (or the
    client able to log on) and is never logged off.
    """

    def __init__(self, client, options, emit, receiver_factory=Receiver, userid=None, password=None,
                 owns_session=False):
        self.client = client
        self.options = options
        self.spec = options["subscriptions"]
        self.emit = emit
        self.receiver_factory = receiver_factory
        self._userid = userid
        self._password = password
        self._owns_session = owns_session
        self.cursors = options.get("cursors") or RecoveryCursors()
        self.workers = WorkerCalls()
        self.console = {"host": None, "type": "hmc"}
        self.outbox = None
        self._supervisor = None
        self._delivery = None
        self._tasks = []
        self._closing = []

    @property
    def resolution(self):
        """What the current connection subscribed (None before the first one)."""
        current = self._supervisor.current if self._supervisor is not None else None
        return current.resolution if current is not None else None

    async def run(self):
        """Connect (failures at start raise at once), then deliver until cancelled or StreamFailed."""
        self.outbox = asyncio.Queue()
        self._supervisor = ConnectionSupervisor(self)
        self._delivery = Delivery(self, self._supervisor)
        try:
            if self._owns_session and not self.client.session_id:
                await self.workers.call(self.client.logon)
            first = await self._supervisor.connect_first()
            self.console.update(first.console)
            self._delivery.start_statuses(first)
            if self.options.get("on_subscribed") is not None:
                await self.options["on_subscribed"](self)
            await self.outbox.put(first)
            self._tasks = [asyncio.ensure_future(self._delivery.run()),
                           asyncio.ensure_future(self._supervisor.run(first))]
            if self.spec["bcpii"]:
                self._tasks.append(asyncio.ensure_future(self._delivery.flush_bcpii()))
            if self.spec["bcpii"] and self.options.get("bcpii_heartbeat"):
                self._tasks.append(asyncio.ensure_future(self._delivery.watch_bcpii_heartbeat()))
            done, _pending = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            raise StreamFailed("the stream ended without a reason")  # no task ends on its own otherwise
        finally:
            await self._shutdown()

    async def _shutdown(self):
        """Stop tasks, close every connection and log off, within SHUTDOWN_SECONDS, off the event loop.

        The logoff waits for calls still under way (a subscription being resolved, a job query): one of them
        would otherwise find the session gone and log on again. When they do not end in time, the last of them
        logs off when it ends (WorkerCalls.stop), so no session is left behind either way.
        """
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        if self._supervisor is not None:
            self._supervisor.cancel()
            # Not awaited one by one: settle() below waits for them and for every other call still running.
            self._closing = [self.workers.submit(receiver.close, 0.5) for receiver in list(self._supervisor.receivers)]
        settled = await self.workers.settle(deadline - time.monotonic())
        if settled and self._owns_session:
            logoff = self.workers.submit(self._logoff)
            await asyncio.wait([logoff], timeout=max(0.1, deadline - time.monotonic()))
            settled = logoff.done()
        if not settled:
            LOG.warning("the console does not answer: stopping without waiting longer than %ss; what is still "
                        "under way closes and logs off in the background when it ends", SHUTDOWN_SECONDS)
        self.workers.stop(self._late_cleanup)

    def _logoff(self):
        """Tried once: a console that is restarting must not hold the stop up for minutes."""
        self.client.stop_retrying()
        if self.client.session_owned:
            try:
                self.client.logoff()
            except HmcError as err:
                LOG.warning("could not log off: %s", err)

    def _late_cleanup(self):
        """In the thread of the last call that was still running at stop: what it opened must not stay."""
        if self._supervisor is not None:
            for receiver in list(self._supervisor.receivers):
                with contextlib.suppress(Exception):
                    receiver.close(0.5)
        if self._owns_session:
            self._logoff()

    def broker_login(self):
        """The session pair works with MFA; userid/password is the fallback for a session without credential."""
        if self.client.session_id and self.client.session_credential:
            return self.client.session_id, self.client.session_credential
        if self._userid and self._password:
            return self._userid, self._password
        return self.client.session_id, ""

    def synthetic(self, kind, severity=None, **fields):
        return normalizer.synthetic_event(kind, console=self.console, severity=severity, timestamp=time.time(),
                                          **fields)
