# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection supervision: connect, watch, reconnect, re-logon, re-subscribe, open channels at runtime.

Runs in its own task and never waits on the delivery path (the rules engine's pace): each broker connection
gets its own Handoff, unbounded until the broker confirmed its subscriptions, so the RECEIPT is never stuck
behind MESSAGE frames nobody drains. A connection that is given up is sealed (a Lost marker after the frames it
delivered before, nothing after) and closed in a worker thread; a failed attempt closes what it opened and
its frames are dropped. Finished connections go to delivery through the outbox, in order.

Only permanent, clearly reported conditions end the stream (StreamFailed): logins rejected again and again,
a given session that ended with no userid/password to log on again, a used-up reconnect.max_attempts.
Everything else (console or broker away, a topic the console does not offer for a moment, a broker that
hangs up right after CONNECTED, any unexpected exception) is retried with backoff, and every
OUTAGE_REPORT_EVERY failed attempts a further connection-lost event says the outage goes on.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import contextlib
import logging
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs
from ansible_collections.zhmc.notifications.plugins.module_utils.backoff import Backoff, BudgetExhausted
from ansible_collections.zhmc.notifications.plugins.module_utils.early_filter import Triage, early_filter
from ansible_collections.zhmc.notifications.plugins.module_utils.handoff import Handoff, HandoffClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.os_history import latest_sequence
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import ReceiverError

LOG = logging.getLogger("zhmc.notifications.source")

HANDOFF_CAPACITY = 256
AUTH_FAILURES_ALLOWED = 3
"""Rejected logins in a row during one outage before giving up (no retry storm against the console)."""
OUTAGE_REPORT_EVERY = 10
"""Failed reconnect attempts between two connection-lost events of one outage (ongoing: true)."""
CLOSE_SECONDS = 3.0
"""Longest wait for a given-up connection to close; the thread goes on alone after that."""
SEED_WORKERS = 10
"""Concurrent List OS Messages requests when seeding cursors (as many as channels are opened at once)."""


class StreamFailed(Exception):
    """The stream cannot go on (reconnect budget used up, credentials rejected, session lost for good)."""


class Lost:
    """Queued in a connection's handoff behind the frames it delivered: nothing after it is delivered."""

    __slots__ = ("reason",)

    def __init__(self, reason):
        self.reason = reason


class Dropped:
    """Queued in a connection's handoff for notifications the triage dropped: their drop_notes runs."""

    __slots__ = ("runs",)

    def __init__(self, runs):
        self.runs = runs


class ChannelDone:
    """A channel opened at runtime is subscribed and confirmed (ready) or could not be (not ready)."""

    __slots__ = ("ready", "resource")

    def __init__(self, resource, ready):
        self.resource = resource
        self.ready = ready


class Failed:
    """The outbox item that ends delivery with the supervisor's StreamFailed."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def now_ms():
    return int(time.time() * 1000)


def stomp_host(client_host):
    """Host part of the client's "host:port" (IPv6 without brackets), where the broker listens too."""
    host = client_host.rsplit(":", 1)[0] if client_host.count(":") == 1 or client_host.startswith("[") else client_host
    return host.strip("[]")


class Connection:
    """One broker connection: its receiver, its own handoff, what it subscribed, the console it reached and the WS
    API session its topics belong to."""

    def __init__(self, loop, number, resolution, console, session_id):
        self.number = number
        self.resolution = resolution
        self.console = console
        self.session_id = session_id
        self.handoff = Handoff(loop, HANDOFF_CAPACITY, bounded=False)
        self.receiver = None
        self.restored = None
        """{"attempts", "outage_seconds"} when this connection ended an outage; None for the first one."""
        self.abandoned = False
        self.lost = loop.create_future()
        self._loop = loop

    def on_frame(self, headers, body):
        """stomp.py thread: hand the frame over; a sealed connection's frames are dropped."""
        with contextlib.suppress(HandoffClosed):
            self.handoff.put((headers, body))

    def on_dropped(self, runs):
        """The receiver's thread, as on_frame: the runs of dropped notifications keep their place in the order."""
        with contextlib.suppress(HandoffClosed):
            self.handoff.put(Dropped(runs))

    def on_lost(self, reason):
        """stomp.py or watchdog thread."""
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing waits any more
            self._loop.call_soon_threadsafe(self.lose, reason)

    def lose(self, reason):
        if not self.lost.done():
            self.lost.set_result(reason)


class ConnectionSupervisor:
    """Owns the broker connections of one stream (see the module docstring)."""

    def __init__(self, stream):
        self._stream = stream
        self._client = stream.client
        self._options = stream.options
        self._workers = stream.workers
        self._cursors = stream.cursors
        self._early = early_filter(self._options)
        self.current = None
        self.receivers = set()
        """Every receiver made and not yet closed (the shutdown closes what is left)."""
        self.handoffs = set()
        self._tasks = set()
        self._opening = set()
        self._numbers = 0

    # -- connections ---------------------------------------------------------------------------------

    async def connect_first(self):
        """The first connection; errors raise as they are (a bad configuration fails at start)."""
        self.current = await self._attempt(since_ms=None)
        return self.current

    async def run(self, connection):
        """Watch the connection, replace it when it is lost; ends only with StreamFailed in the outbox."""
        try:
            while True:
                self.current = connection
                reason = await self._watch(connection)
                started = time.monotonic()
                self._abandon(connection, reason)
                connection = await self._reconnect(reason, now_ms(), started)
                await self._stream.outbox.put(connection)
        except StreamFailed as err:
            await self._stream.outbox.put(Failed(err))

    async def _attempt(self, since_ms):
        """Resolve, connect, seed cursors, subscribe with receipt; on any failure close what was opened."""
        resolution = await self._workers.call(subs.resolve, self._client, self._stream.spec)
        console = {"host": stomp_host(self._client.host or ""), "type": "hmc"}
        self._numbers += 1
        connection = Connection(asyncio.get_running_loop(), self._numbers, resolution, console,
                                self._client.session_id)
        login, passcode = self._stream.broker_login()
        receiver = self._stream.receiver_factory(
            console["host"], self._options["stomp_port"], login, passcode,
            on_frame=connection.on_frame, on_lost=connection.on_lost, on_dropped=connection.on_dropped,
            triage=self._triage(resolution),
            ca_certs=self._options.get("ca_certs"), verify=self._options.get("verify", True),
            heartbeat=self._options.get("heartbeat", 30), **self._options.get("receiver_timeouts", {}))
        connection.receiver = receiver
        self.receivers.add(receiver)
        self.handoffs.add(connection.handoff)
        try:
            await self._workers.call(receiver.connect)
            await self._seed(resolution, console, since_ms)
            # Confirmed: only then may missed OS messages be read, or one created in between would be in
            # neither that list nor the live stream.
            await self._workers.call(receiver.subscribe, list(resolution.topics), confirm=True)
        except asyncio.CancelledError:
            connection.handoff.discard()  # the shutdown closes the receiver
            raise
        except BaseException:
            connection.handoff.discard()
            self.handoffs.discard(connection.handoff)
            await self._close(receiver)
            raise
        connection.handoff.bound()
        LOG.info("subscribed %d topics on %s", len(resolution.topics), receiver.where)
        return connection

    def _triage(self, resolution):
        """What the receiver drops at once (None: nothing); BCPii topics are kept for their reassembly."""
        if self._early is None:
            return None
        return Triage(self._early, [t for t, kind in resolution.topics.items() if kind == subs.TOPIC_TYPES["bcpii"]])

    async def _seed(self, resolution, console, since_ms):
        """A cursor for every newly covered resource, before subscribing (see docs/source.md, Recovery).

        since_ms None (first connection): the console's newest message now; what comes later is live or
        recovered. After an outage a resource not covered yet came up or was added meanwhile: every message
        it wrote since the outage began (since_ms) is new.
        """
        fresh = [r for uri, r in resolution.resources.items() if r["topic"] and not self._cursors.covered(uri)]
        if since_ms is not None:
            for resource in fresh:
                self._cursors.cover_since(resource["uri"], since_ms, console["host"])
            return
        limit = asyncio.Semaphore(SEED_WORKERS)

        async def seed(resource):
            async with limit:
                try:
                    latest = await self._workers.call(latest_sequence, self._client, resource)
                except HmcError as err:  # e.g. the OS stopped meanwhile: everything from now on is new
                    LOG.warning("cannot read the newest OS message of %s: %s", resource["name"], err)
                    self._cursors.cover_since(resource["uri"], now_ms(), console["host"])
                    return
                self._cursors.cover(resource["uri"], latest, console["host"])

        await asyncio.gather(*(seed(r) for r in fresh))

    def _abandon(self, connection, reason):
        """Seal the connection (frames queued so far stay deliverable, later ones are dropped) and close it."""
        connection.abandoned = True
        connection.lose(reason)
        with contextlib.suppress(HandoffClosed):
            connection.handoff.put_control(Lost(reason))
        connection.handoff.close()
        self.handoffs.discard(connection.handoff)
        self._spawn(self._close(connection.receiver))

    async def _close(self, receiver):
        try:
            await asyncio.wait_for(self._workers.call(receiver.close, 0.5), CLOSE_SECONDS)
        except asyncio.TimeoutError:
            LOG.info("closing the connection to %s takes longer than %ss; left to finish alone", receiver.where,
                     CLOSE_SECONDS)
        except Exception as err:  # closing anyway: a failure to say goodbye does not matter
            LOG.info("closing the connection to %s failed: %s", receiver.where, err)
        finally:
            self.receivers.discard(receiver)

    # -- watching ------------------------------------------------------------------------------------

    async def _watch(self, connection):
        """The reason the connection is over: lost (receiver, heart-beat watchdog) or its WS API session ended."""
        interval = self._options.get("session_check", 60.0)
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                return await asyncio.wait_for(asyncio.shield(connection.lost), interval or None)
            reason = await self._session_ended(connection)
            if reason:
                LOG.warning("%s: connecting again", reason)
                return reason

    async def _session_ended(self, connection):
        """A cheap WS API call (Get Notification Topics) tells whether the session still lives.

        The connection's topics belong to the session it was resolved in: once the client holds another one,
        whoever logged on again (this call, or a delivery call such as a recovery or a job query that met the
        ended session first), those topics are silent and the connection must be replaced.
        """
        try:
            await self._workers.call(self._client.get_notification_topics)
        except HmcError as err:
            if err.is_session_expired or err.status in (401, 403):
                return f"the console session ended ({err})"
            LOG.info("session check failed, not acting on it: %s", err)
            return None
        except Exception as err:  # not a verdict on the session
            LOG.info("session check failed, not acting on it: %s", err)
            return None
        if self._client.session_id != connection.session_id:
            return "the console session ended (the client logged on again)"
        return None

    # -- reconnecting --------------------------------------------------------------------------------

    async def _reconnect(self, reason, since_ms, started):
        """A new connection with backoff; raises StreamFailed only for permanent conditions."""
        reconnect = self._options.get("reconnect") or {}
        backoff = Backoff(reconnect.get("initial_delay", 1.0), reconnect.get("max_delay", 60.0),
                          reconnect.get("max_attempts", 0))
        rejected = 0
        new_session = False
        last_error = reason
        while True:
            try:
                delay = backoff.next_delay()
            except BudgetExhausted as err:
                raise StreamFailed(f"cannot reconnect to the console: {err}; last error: {last_error}") from None
            await asyncio.sleep(delay)
            try:
                if new_session:
                    await self._workers.call(self._replace_session)
                    new_session = False
                connection = await self._attempt(since_ms)
            except ReceiverError as err:
                last_error = err.message
                if err.auth:
                    rejected += 1
                    if rejected >= AUTH_FAILURES_ALLOWED or not self._client.can_relogon:
                        raise StreamFailed(f"the broker keeps rejecting the login: {err.message}") from None
                    new_session = True  # the session may be gone without the WS API having noticed yet
            except HmcError as err:
                last_error = str(err)
                if err.status in (401, 403) and not err.is_session_expired:
                    rejected += 1
                    if rejected >= AUTH_FAILURES_ALLOWED:
                        raise StreamFailed(str(err)) from None
                elif err.is_session_expired and not self._client.can_relogon:
                    raise StreamFailed(f"the given session ended and there is no userid/password to log on "
                                       f"again: {err}") from None
            except Exception as err:  # SubscriptionError, stomp.py's NotConnectedException, the unforeseen
                last_error = f"{type(err).__name__}: {err}"
                LOG.debug("reconnect attempt failed", exc_info=True)
            else:
                connection.restored = {"attempts": backoff.attempts,
                                       "outage_seconds": round(time.monotonic() - started, 3)}
                return connection
            LOG.warning("reconnect attempt %d failed: %s", backoff.attempts, last_error)
            if backoff.attempts % OUTAGE_REPORT_EVERY == 0:
                await self._stream.outbox.put(self._stream.synthetic(
                    "connection-lost", reason=last_error, ongoing=True, attempts=backoff.attempts,
                    outage_seconds=round(time.monotonic() - started, 3)))

    def _replace_session(self):
        """A new session for the broker login; an own session that may still live is logged off first, because
        logon() forgets it and it would otherwise count against the console's session limit until it expires."""
        if self._client.session_owned:
            try:
                self._client.logoff()
            except HmcError as err:
                LOG.info("could not log off the previous session: %s", err)
        self._client.logon()

    # -- channels opened at runtime ------------------------------------------------------------------

    def request_channel(self, connection, resource):
        """Open and subscribe resource's OS message channel on connection without waiting for it; ChannelDone
        follows in the connection's handoff. False when one is being opened already (nothing follows then)."""
        uri = resource["uri"]
        if uri in self._opening or connection.abandoned:
            return False
        self._opening.add(uri)
        self._spawn(self._open_channel(connection, resource))
        return True

    async def _open_channel(self, connection, resource):
        ready = False
        try:
            await self._workers.call(subs.open_channels, self._client, [resource])
            if resource["topic"] and not connection.abandoned:
                connection.resolution.topics[resource["topic"]] = subs.TOPIC_TYPES["os"]
                await self._workers.call(connection.receiver.subscribe, [resource["topic"]], confirm=True)
                ready = True
                LOG.info("subscribed OS messages of %s %s", resource["class"], resource["name"])
        except HmcError as err:
            LOG.warning("cannot open the OS message channel of %s: %s", resource["name"], err)
        except Exception as err:  # ReceiverError, NotConnectedException: the connection is in trouble
            LOG.warning("cannot subscribe OS messages of %s: %s", resource["name"], err)
            connection.lose(f"subscribing the OS messages of {resource['name']} failed: {err}")
        finally:
            self._opening.discard(resource["uri"])
            with contextlib.suppress(HandoffClosed):
                connection.handoff.put_control(ChannelDone(resource, ready))

    # -- tasks ---------------------------------------------------------------------------------------

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self):
        for task in list(self._tasks):
            task.cancel()
        for handoff in list(self.handoffs):
            handoff.discard()
        if self.current is not None:
            self.current.handoff.discard()
