# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The asyncio side of receiving: session + subscriptions + receiver + normalizer -> events.

One NotificationStream runs in an event loop and hands every event to an async
``emit`` (the EDA queue's put, or wait_for_notification's collector), so the
consumer's pace is the backpressure all the way to the broker's socket.

Everything that affects order happens in this one task, in arrival order:
frames and connection losses come through the same Handoff. After a loss it
reconnects (fresh backoff budget per outage; the client logs on again when the
console restarted; topics are re-resolved because their names may change),
subscribes, and only then fetches missed OS messages with List OS Messages.
Live frames that arrive meanwhile wait in the handoff and duplicates are
dropped by sequence number, so an OS message is emitted exactly once and in
order across a fault.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import contextlib
import functools
import logging
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs
from ansible_collections.zhmc.notifications.plugins.module_utils.backoff import Backoff, BudgetExhausted
from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import DUPLICATE, RecoveryCursors
from ansible_collections.zhmc.notifications.plugins.module_utils.early_filter import early_filter
from ansible_collections.zhmc.notifications.plugins.module_utils.handoff import Handoff, HandoffClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_types import status_severity
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import Receiver, ReceiverError
from ansible_collections.zhmc.notifications.plugins.module_utils.recovery import SessionSequence, status_changes
from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta

LOG = logging.getLogger("zhmc.notifications.source")

HANDOFF_CAPACITY = 256
AUTH_FAILURES_ALLOWED = 3
"""Rejected logins in a row during one outage before giving up (no retry storm against the console)."""

OBJECT_TOPIC_TYPES_ALWAYS = ("console-shutting-down", "parse-error")
"""Object topic events emitted whatever object_changes selects: a parse-error is not a notification type the
selection could name, and dropping it would lose an unreadable notification without a trace."""
BCPII_PART_GAP = 1.0
"""Seconds without a further part after which a held BCPii OS message is complete."""
ACTIVE_STATUSES = ("active", "operating", "degraded", "exceptions")


class StreamFailed(Exception):
    """The stream cannot go on (reconnect budget used up, credentials rejected, session lost for good)."""


class _Lost:
    """A connection loss, queued behind the frames that came before it."""

    __slots__ = ("reason", "receiver")

    def __init__(self, receiver, reason):
        self.receiver = receiver
        self.reason = reason


def stomp_host(client_host):
    """Host part of the client's "host:port" (IPv6 without brackets), where the broker listens too."""
    host = client_host.rsplit(":", 1)[0] if client_host.count(":") == 1 or client_host.startswith("[") else client_host
    return host.strip("[]")


class NotificationStream:
    """Receive the subscribed notifications and emit normalized events until cancelled.

    options: dict with stomp_port, ca_certs, verify, subscriptions (validated spec), accept (callable or
    None), heartbeat, reconnect {max_attempts, initial_delay, max_delay}, include_raw, job_status,
    max_body, bcpii_heartbeat; optionally on_subscribed (an async callable, called with the stream once
    the first subscriptions are in effect and before any notification is processed, for example to read a
    state that later notifications change; wait_for_notification uses it). The client's session must be usable
    (or the client able to log on); the stream never logs it off.
    """

    def __init__(self, client, options, emit, receiver_factory=Receiver, userid=None, password=None):
        self.client = client
        self.options = options
        self.spec = options["subscriptions"]
        self._emit_raw = emit
        self._accept = options.get("accept")
        self._early = early_filter(options)
        self._receiver_factory = receiver_factory
        self._userid = userid
        self._password = password
        self._loop = None
        self._handoff = None
        self._receiver = None
        self.resolution = None
        self.cursors = options.get("cursors") or RecoveryCursors()
        self._sequence = SessionSequence()
        self._status = {}
        self._reassembler = normalizer.BcpiiReassembler()
        self._last_bcpii_heartbeat = None
        self._tasks = []
        self._order = None
        self.console = {"host": None, "type": "hmc"}

    # -- lifecycle ------------------------------------------------------------------------------------

    async def run(self):
        """Connect (failures at start raise at once), then process until cancelled or StreamFailed."""
        self._loop = asyncio.get_running_loop()
        self._order = asyncio.Lock()
        self._handoff = Handoff(self._loop, HANDOFF_CAPACITY)
        try:
            await self._connect()
            self._status = {uri: r["status"] for uri, r in self.resolution.resources.items()}
            if self.options.get("on_subscribed") is not None:
                await self.options["on_subscribed"](self)
            await self._recover_os_messages()
            if self.spec["bcpii"]:
                self._tasks.append(asyncio.ensure_future(self._flush_bcpii()))
            if self.spec["bcpii"] and self.options.get("bcpii_heartbeat"):
                self._last_bcpii_heartbeat = time.monotonic()
                self._tasks.append(asyncio.ensure_future(self._watch_bcpii_heartbeat()))
            while True:
                for item in await self._handoff.get_all():
                    if isinstance(item, tuple):
                        await self._on_frame(item[0], item[1])
                    elif item.receiver is self._receiver:
                        await self._on_lost(item.reason)
        finally:
            self._shutdown()

    def _shutdown(self):
        for task in self._tasks:
            task.cancel()
        if self._handoff is not None:
            self._handoff.close()
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None

    async def _call(self, func, *args, **kwargs):
        """Run a blocking client/receiver call in a worker thread."""
        return await self._loop.run_in_executor(None, functools.partial(func, *args, **kwargs))

    async def _connect(self):
        """Resolve subscriptions for the current session, connect to the broker and subscribe."""
        resolution = await self._call(subs.resolve, self.client, self.spec)
        self.console["host"] = stomp_host(self.client.host or "")
        login, passcode = self._broker_login()
        handoff = self._handoff
        receiver = self._receiver_factory(
            self.console["host"], self.options["stomp_port"], login, passcode,
            on_frame=lambda headers, body: handoff.put((headers, body)),
            on_lost=lambda reason: self._report_lost(handoff, receiver, reason),
            ca_certs=self.options.get("ca_certs"), verify=self.options.get("verify", True),
            heartbeat=self.options.get("heartbeat", 30), **self.options.get("receiver_timeouts", {}))
        await self._call(receiver.connect)
        self._receiver = receiver
        self.resolution = resolution
        # Confirmed: only once the broker has them in effect may missed OS messages be read, or one created
        # in between would be in neither that list nor the live stream.
        await self._cover(resolution)
        await self._call(receiver.subscribe, list(resolution.topics), confirm=True)
        LOG.info("subscribed %d topics on %s", len(resolution.topics), receiver.where)

    async def _cover(self, resolution):
        """Seed a cursor for every newly covered resource from the console's newest OS message, read before
        subscribing: what is written later arrives live or is recovered once the broker confirmed the
        subscription (recovery runs after every connect), what was written earlier is not new."""
        for uri, resource in resolution.resources.items():
            if resource["topic"] and not self.cursors.covered(uri):
                try:
                    latest = await self._call(latest_sequence, self.client, resource)
                except HmcError as err:  # e.g. the OS stopped meanwhile: covered when its channel opens again
                    LOG.warning("cannot read the newest OS message of %s: %s", resource["name"], err)
                    continue
                self.cursors.cover(uri, latest, self.console["host"])

    @staticmethod
    def _report_lost(handoff, receiver, reason):
        with contextlib.suppress(HandoffClosed):
            handoff.put(_Lost(receiver, reason))

    def _broker_login(self):
        """The session pair works with MFA; userid/password is the fallback for a session without credential."""
        if self.client.session_id and self.client.session_credential:
            return self.client.session_id, self.client.session_credential
        if self._userid and self._password:
            return self._userid, self._password
        return self.client.session_id, ""

    # -- outage ---------------------------------------------------------------------------------------

    async def _on_lost(self, reason):
        started = time.monotonic()
        LOG.warning("connection to the broker lost: %s", reason)
        await self._emit(self._synthetic("connection-lost", reason=reason))
        old, self._receiver = self._receiver, None
        await self._call(old.close, 0.5)
        previous = self.resolution
        attempts = await self._reconnect()
        outage = round(time.monotonic() - started, 3)
        await self._emit(self._synthetic("connection-restored", outage_seconds=outage, attempts=attempts))
        await self._recover_os_messages()
        await self._recover_statuses(previous)

    async def _reconnect(self):
        """Reconnect with backoff; returns the attempts it took or raises StreamFailed."""
        reconnect = self.options.get("reconnect") or {}
        backoff = Backoff(reconnect.get("initial_delay", 1.0), reconnect.get("max_delay", 60.0),
                          reconnect.get("max_attempts", 0))
        rejected = 0
        new_session = False
        while True:
            try:
                delay = backoff.next_delay()
            except BudgetExhausted as err:
                raise StreamFailed(f"cannot reconnect to the console: {err}") from None
            await asyncio.sleep(delay)
            try:
                if new_session:
                    await self._call(self._replace_session)
                    new_session = False
                await self._connect()
                return backoff.attempts
            except ReceiverError as err:
                LOG.warning("reconnect attempt %d failed: %s", backoff.attempts, err)
                if err.auth:
                    rejected += 1
                    if rejected >= AUTH_FAILURES_ALLOWED or not self.client.can_relogon:
                        raise StreamFailed(f"the broker keeps rejecting the login: {err.message}") from None
                    # The session may be gone without the WS API having noticed yet: start a new one.
                    new_session = True
            except HmcError as err:
                LOG.warning("reconnect attempt %d failed: %s", backoff.attempts, err)
                if err.status in (401, 403) and not err.is_session_expired:
                    rejected += 1
                    if rejected >= AUTH_FAILURES_ALLOWED:
                        raise StreamFailed(str(err)) from None
                elif err.is_session_expired and not self.client.can_relogon:
                    raise StreamFailed(f"the given session ended and there is no userid/password to log on "
                                       f"again: {err}") from None

    def _replace_session(self):
        """A new session for the broker login; an own session that may still live is logged off first, because
        logon() forgets it and it would otherwise count against the console's session limit until it expires."""
        if self.client.session_owned:
            try:
                self.client.logoff()
            except HmcError as err:
                LOG.info("could not log off the previous session: %s", err)
        self.client.logon()

    async def _recover_os_messages(self):
        """Emit, in order, OS messages that arrived at the console while the connection was down."""
        for uri, resource in self.resolution.resources.items():
            if not self.cursors.covered(uri) or not resource["topic"]:
                continue
            begin = self.cursors.resume_from(uri)
            try:
                result = await self._call(self.client.list_os_messages, uri, begin=begin, name=resource["name"])
            except HmcError as err:
                LOG.warning("cannot recover OS messages of %s: %s", resource["name"], err)
                await self._emit(self._synthetic("notifications-missed", reason=str(err),
                                                 resource=self._resource_info(resource)))
                continue
            messages = [m for m in (result or {}).get("os-messages") or [] if isinstance(m, dict)]
            if not messages:
                continue  # nothing missed (an empty list would normalize to a parse-error)
            if begin is not None:
                messages.sort(key=lambda m: seq_delta(_int(m.get("sequence-number"), begin), begin))
            first = _int(messages[0].get("sequence-number")) if messages else None
            if begin is not None and first is not None and seq_delta(first, begin) > 0:
                # The console keeps a bounded history: what it no longer has is lost, so say how much.
                gap = seq_delta(first, begin)
                LOG.warning("%d OS messages of %s are no longer kept by the console", gap, resource["name"])
                await self._emit(self._synthetic(
                    "notifications-missed", count=gap, first_sequence=begin, last_sequence=begin + gap - 1,
                    reason="OS messages no longer kept by the console", resource=self._resource_info(resource)))
            events = normalizer.normalize_os_messages(
                _resource_props(resource), messages, console=self.console, topic=resource["topic"],
                **self._normalize_options())
            for event in events:
                await self._deliver(event, subs.TOPIC_TYPES["os"])

    async def _recover_statuses(self, previous):
        """Emit a synthetic status-change for each subscribed resource whose status changed during the outage."""
        after = {uri: r["status"] for uri, r in self.resolution.resources.items()}
        for uri, old, new in status_changes(self._status, after):
            resource = self.resolution.resources[uri]
            status = {"old": old, "new": new, "old_additional": [], "new_additional": [],
                      "unacceptable": await self._has_unacceptable_status(resource)}
            event = self._synthetic("status-change", severity=status_severity(status),
                                    resource=self._resource_info(resource), changes=[], status=status, recovered=True)
            await self._deliver(event, subs.TOPIC_TYPES["object"])
        self._status.update(after)

    async def _has_unacceptable_status(self, resource):
        """The console's own verdict on a status that changed unseen, so that rules on unacceptable fire; None
        when it cannot be read (the status-change is emitted all the same)."""
        try:
            props = await asyncio.to_thread(self.client.get_properties, resource["uri"])
        except HmcError as exc:
            LOG.warning("cannot read the status of %s after a reconnect: %s", resource["name"], exc)
            return None
        value = props.get("has-unacceptable-status")
        return value if isinstance(value, bool) else None

    # -- frames ---------------------------------------------------------------------------------------

    async def _on_frame(self, headers, body):
        destination = headers.get("destination", "")
        topic = destination[7:] if destination.startswith("/topic/") else destination
        topic_type = self.resolution.topics.get(topic)
        missed = self._sequence.missed(self.client.session_id, _int(headers.get("session-sequence-nr")))
        if missed:
            await self._emit(self._synthetic("notifications-missed", count=missed,
                                             topic={"name": topic, "type": topic_type}))
        if topic_type == subs.TOPIC_TYPES["bcpii"]:
            async with self._order:
                await self._deliver_bcpii(self._reassembler.feed(body, time.monotonic()), topic)
            return
        if self._early is not None and self._early.drops(headers, body, self._pass_over):
            return
        for event in normalizer.normalize(headers, body, console=self.console, **self._normalize_options()):
            await self._deliver(event, topic_type)

    async def _deliver_bcpii(self, payloads, topic):
        for payload in payloads:
            for event in normalizer.normalize_bcpii(payload, console=self.console, topic=topic,
                                                    **self._normalize_options()):
                await self._deliver(event, subs.TOPIC_TYPES["bcpii"])

    async def _flush_bcpii(self):
        """A BCPii message has no end marker: it is complete once no part came for BCPII_PART_GAP seconds."""
        while True:
            await asyncio.sleep(BCPII_PART_GAP / 2)
            if len(self._reassembler):
                async with self._order:
                    topic = next((t for t, kind in self.resolution.topics.items()
                                  if kind == subs.TOPIC_TYPES["bcpii"]), None)
                    await self._deliver_bcpii(self._reassembler.flush_older_than(time.monotonic(), BCPII_PART_GAP),
                                              topic)

    async def _deliver(self, event, topic_type):
        """Track, enrich, filter and emit one normalized event."""
        hmc = event["hmc"]
        kind = hmc.get("type")
        resource = hmc.get("resource") or {}
        if kind == "os-message":
            message = hmc.get("os_message") or {}
            seq = message.get("sequence_number")
            if not message.get("refresh") and self.cursors.classify(resource.get("uri"), seq) == DUPLICATE:
                return
            if self._accept is None or self._accept(event):
                await self._emit_raw(event)
            if not message.get("refresh"):
                self.cursors.advance(resource.get("uri"), seq, self.console["host"])
            return
        elif kind == "status-change":
            await self._track_status(resource.get("uri"), (hmc.get("status") or {}).get("new"))
        elif kind == "inventory-change" and (hmc.get("inventory") or {}).get("action") == "add":
            await self._maybe_add_channel(resource)
        elif kind == "job-completion" and self.options.get("job_status", True):
            await self._fill_job(hmc)
        elif kind == "console-heartbeat":
            self._last_bcpii_heartbeat = time.monotonic()
        elif kind == "console-starting" and topic_type == subs.TOPIC_TYPES["bcpii"]:
            await self._reregister_bcpii()
        if topic_type == subs.TOPIC_TYPES["object"] and not self._object_event_wanted(kind, resource):
            return
        await self._emit(event)

    def _pass_over(self, uri, seq):
        """An OS message the early filter dropped moves its cursor as one dropped in _deliver does."""
        if self.cursors.classify(uri, seq) != DUPLICATE:
            self.cursors.advance(uri, seq, self.console["host"])

    async def _emit(self, event):
        if self._accept is None or self._accept(event):
            await self._emit_raw(event)

    def _object_event_wanted(self, kind, resource):
        """Object topic events are subscribed for inventory tracking too: emit only what object_changes asks."""
        if kind in OBJECT_TOPIC_TYPES_ALWAYS:
            return True
        changes = self.spec["object_changes"]
        if not changes:
            return False
        if kind not in changes["types"]:
            return False
        return not changes["classes"] or resource.get("class") in changes["classes"]

    async def _track_status(self, uri, new):
        if uri not in self.resolution.resources or new is None:
            return
        self._status[uri] = new
        resource = self.resolution.resources[uri]
        if not resource["topic"] and new in ACTIVE_STATUSES:
            await self._open_channel(resource)

    async def _maybe_add_channel(self, resource):
        """A new partition/LPAR that an os_messages entry covers gets its channel without a restart."""
        uri = resource.get("uri")
        if not uri or uri in self.resolution.resources or resource.get("class") not in subs.SELECTORS.values():
            return
        try:
            props = await self._call(self.client.get_properties, uri)
        except HmcError as err:
            LOG.warning("cannot read the new %s %s: %s", resource.get("class"), resource.get("name"), err)
            return
        cpc_name = next((name for name, cpc in self.resolution.cpcs.items()
                         if cpc.get("object-uri") == props.get("parent")), None)
        try:  # a regex entry is the console's to decide (its Java syntax): a request
            entry = await self._call(subs.matches_new_resource, self.spec, resource.get("class"), props.get("name"),
                                     cpc_name, client=self.client, cpc_uri=props.get("parent"))
        except HmcError as err:
            LOG.warning("cannot tell whether the new %s %s is subscribed: %s", resource.get("class"),
                        resource.get("name"), err)
            return
        if entry is None:
            return
        props.setdefault("object-uri", uri)
        record = subs.make_resource(props, entry["kind"], cpc_name, props.get("parent"), entry["include_refresh"])
        self.resolution.resources[uri] = record
        self._status[uri] = record["status"]
        await self._open_channel(record)

    async def _open_channel(self, resource):
        try:
            await self._call(subs.open_channels, self.client, [resource])
        except HmcError as err:
            LOG.warning("cannot open the OS message channel of %s: %s", resource["name"], err)
            return
        if resource["topic"] and self._receiver is not None:
            self.resolution.topics[resource["topic"]] = subs.TOPIC_TYPES["os"]
            await self._call(self._receiver.subscribe, [resource["topic"]])
            LOG.info("subscribed OS messages of %s %s", resource["class"], resource["name"])

    async def _fill_job(self, hmc):
        job = hmc.get("job") or {}
        if not job.get("uri"):
            return
        try:
            status = await self._call(self.client.query_job, job["uri"])
        except HmcError as err:
            LOG.info("cannot query job %s: %s", job["uri"], err)
            return
        job.update(status=status.get("status"), status_code=status.get("job-status-code"),
                   reason_code=status.get("job-reason-code"), results=status.get("job-results"))
        if isinstance(job["status_code"], int) and job["status_code"] >= 400:
            hmc["severity"] = "error"
        hmc["job"] = job

    async def _reregister_bcpii(self):
        """console-starting: non-permanent registrations are gone after the restart, so make them again."""
        for entry in self.spec["bcpii"]:
            try:
                await self._call(subs.register_bcpii, self.client, entry, self.resolution)
            except HmcError as err:
                LOG.warning("cannot re-register BCPii notifications on %s: %s", entry["cpc"], err)

    async def _watch_bcpii_heartbeat(self):
        """Emit heartbeat-missed once when no console-heartbeat came for 1.5 intervals."""
        interval = float(self.options["bcpii_heartbeat"])
        reported = False
        while True:
            await asyncio.sleep(min(interval / 4, 5.0))
            silent = time.monotonic() - self._last_bcpii_heartbeat
            if silent > 1.5 * interval and not reported:
                reported = True
                await self._emit(self._synthetic("heartbeat-missed", silent_seconds=round(silent, 1),
                                                 interval_seconds=interval))
            elif silent <= 1.5 * interval:
                reported = False

    # -- helpers --------------------------------------------------------------------------------------

    def _normalize_options(self):
        options = {"include_raw": self.options.get("include_raw", False), "topic_types": self.resolution.topics,
                   "resource_info": self.resolution.resources}
        if self.options.get("max_body"):
            options["max_body"] = self.options["max_body"]
        return options

    def _synthetic(self, kind, severity=None, **fields):
        return normalizer.synthetic_event(kind, console=self.console, severity=severity, timestamp=time.time(),
                                          **fields)

    @staticmethod
    def _resource_info(resource):
        return {"class": resource["class"], "name": resource["name"], "uri": resource["uri"],
                "id": resource["uri"].rsplit("/", 1)[-1], "cpc": resource["cpc"], "parent_uri": resource["cpc_uri"]}


def latest_sequence(client, resource):
    """The console's newest OS message sequence number of a resource (None when it keeps none)."""
    messages = (client.list_os_messages(resource["uri"], name=resource["name"]) or {}).get("os-messages") or []
    numbers = [_int(m.get("sequence-number")) for m in messages if isinstance(m, dict)]
    numbers = [n for n in numbers if n is not None]
    return numbers[-1] if numbers else None


def _resource_props(resource):
    """A resource record with the WS API property names the normalizer reads (as in live headers)."""
    return {"object-uri": resource["uri"], "object-id": resource["uri"].rsplit("/", 1)[-1],
            "class": resource["class"], "name": resource["name"], "cpc-name": resource["cpc"]}


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
