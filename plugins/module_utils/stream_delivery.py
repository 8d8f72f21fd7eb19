# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delivery: connections' frames -> normalized, de-duplicated events -> the consumer, in order.

One task serves the connections the supervisor hands over, one after the other. For each it first emits
connection-restored (after an outage) and recovers, from the recovery cursors, the OS messages the console
wrote meanwhile, then drains the connection's handoff until its Lost marker, and emits connection-lost there,
in order with the events before it. Live frames that arrive during recovery wait in the handoff and
duplicates are dropped by the cursors, so an OS message is emitted once and in order across a fault.

A channel opened at runtime (a system noticed coming up, a partition added) is subscribed by the supervisor;
until it reports ChannelDone, live OS messages of that resource are held here, then what the console kept
since the system was noticed is recovered and the held messages follow. Delivery may wait on the WS API (job
status, recovery) and on the consumer; the supervisor never waits on delivery. With held_lookahead, a second
task of each connection emits the held messages of storming resources ahead of their stream (held_lookahead).
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import logging
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs
from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import DUPLICATE, NEW, RENUMBERED
from ansible_collections.zhmc.notifications.plugins.module_utils.held_lookahead import INTERVAL, AheadTracker
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_types import status_severity
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import to_int
from ansible_collections.zhmc.notifications.plugins.module_utils.os_history import missed_messages
from ansible_collections.zhmc.notifications.plugins.module_utils.recovery import SessionSequence, status_changes
from ansible_collections.zhmc.notifications.plugins.module_utils.supervisor import (
    ChannelDone,
    Connection,
    Dropped,
    Failed,
    Lost,
    now_ms,
)

LOG = logging.getLogger("zhmc.notifications.source")

OBJECT_TOPIC_TYPES_ALWAYS = ("console-shutting-down", "parse-error")
"""Object topic events emitted whatever object_changes selects: a parse-error is not a notification type the
selection could name, and dropping it would lose an unreadable notification without a trace."""
BCPII_PART_GAP = 1.0
"""Seconds without a further part after which a held BCPii OS message is complete."""
ACTIVE_STATUSES = ("active", "operating", "degraded", "exceptions")
RECOVERY_CHUNK = 100
"""Recovered OS messages normalized at a time: max_body bounds one notification, and a long outage's list
of thousands of messages must not become one parse-error."""


class Delivery:
    """Turns the frames of the stream's connections into events (see the module docstring)."""

    def __init__(self, stream, supervisor):
        self._stream = stream
        self._supervisor = supervisor
        self._client = stream.client
        self._options = stream.options
        self._spec = stream.spec
        self._cursors = stream.cursors
        self._workers = stream.workers
        self._accept = self._options.get("accept")
        self._sequence = SessionSequence()
        self._status = {}
        self._held = {}
        rate = self._options.get("held_lookahead")
        self._ahead = AheadTracker(rate) if rate else None
        self._reassembler = normalizer.BcpiiReassembler()
        self._order = asyncio.Lock()
        self.connection = None
        self.last_bcpii_heartbeat = time.monotonic()

    def start_statuses(self, connection):
        """The statuses the first connection found: a later change is compared with them."""
        self._status = {uri: r["status"] for uri, r in connection.resolution.resources.items()}

    async def run(self):
        """Serve the outbox until the supervisor gives up (its StreamFailed is raised here)."""
        outbox = self._stream.outbox
        while True:
            item = await outbox.get()
            if isinstance(item, Failed):
                raise item.error
            if isinstance(item, Connection):
                await self._serve(item)
            else:
                await self._emit(item)

    # -- one connection ------------------------------------------------------------------------------

    async def _serve(self, connection):
        self.connection = connection
        looking = asyncio.ensure_future(self._look_ahead(connection)) if self._ahead else None
        try:
            await self._serve_frames(connection)
        finally:
            if looking:
                looking.cancel()

    async def _serve_frames(self, connection):
        self._stream.console.update(connection.console)
        if connection.restored:
            await self._emit(self._synthetic(connection, "connection-restored", **connection.restored))
        for resource in list(connection.resolution.resources.values()):
            await self._recover(connection, resource)
        if connection.restored:
            await self._recover_statuses(connection)
        while True:
            for item in await connection.handoff.get_all():
                if isinstance(item, tuple):
                    await self._on_frame(connection, item[0], item[1])
                elif isinstance(item, Dropped):
                    await self._on_dropped(connection, item.runs)
                elif isinstance(item, Lost):
                    connection.handoff.discard()
                    self._held.clear()  # recovered from the cursors after the reconnect
                    LOG.warning("connection to the broker lost: %s", item.reason)
                    await self._emit(self._synthetic(connection, "connection-lost", reason=item.reason))
                    return
                elif isinstance(item, ChannelDone):
                    await self._channel_done(connection, item)

    async def _channel_done(self, connection, done):
        held = self._held.pop(done.resource["uri"], [])
        if done.ready:
            await self._recover(connection, done.resource)
        for item in held:
            if isinstance(item, _PassOver):
                self._pass_over(item.uri, item.first, item.last)
            else:
                await self._deliver_os(connection, item)

    # -- recovery ------------------------------------------------------------------------------------

    async def _recover(self, connection, resource):
        """Emit, in order, the OS messages of resource after its cursor that the console keeps."""
        uri = resource["uri"]
        if not resource["topic"] or not self._cursors.covered(uri):
            return
        begin = self._cursors.resume_from(uri)
        try:
            messages, gaps = await self._workers.call(missed_messages, self._client, resource, begin,
                                                      self._cursors.since(uri))
        except HmcError as err:
            LOG.warning("cannot recover OS messages of %s: %s", resource["name"], err)
            await self._emit(self._synthetic(connection, "notifications-missed", reason=str(err),
                                             resource=resource_info(resource)))
            return
        for first, last in gaps:
            # The console keeps a bounded history: what it no longer has is lost, so say how much.
            count = last - first + 1
            LOG.warning("%d OS messages of %s are no longer kept by the console", count, resource["name"])
            await self._emit(self._synthetic(
                connection, "notifications-missed", count=count, first_sequence=first, last_sequence=last,
                reason="OS messages no longer kept by the console", resource=resource_info(resource)))
        if not messages:
            return  # nothing missed (an empty list would normalize to a parse-error)
        for start in range(0, len(messages), RECOVERY_CHUNK):
            events = normalizer.normalize_os_messages(
                resource_props(resource), messages[start:start + RECOVERY_CHUNK], console=connection.console,
                topic=resource["topic"], **self._normalize_options(connection))
            for event in events:
                await self._deliver_os(connection, event)

    async def _recover_statuses(self, connection):
        """A synthetic status-change for each resource whose status changed during the outage."""
        resources = connection.resolution.resources
        after = {uri: r["status"] for uri, r in resources.items()}
        for uri, old, new in status_changes(self._status, after):
            resource = resources[uri]
            status = {"old": old, "new": new, "old_additional": [], "new_additional": [],
                      "unacceptable": await self._has_unacceptable_status(resource)}
            event = self._synthetic(connection, "status-change", severity=status_severity(status),
                                    resource=resource_info(resource), changes=[], status=status, recovered=True)
            await self._deliver(connection, event, subs.TOPIC_TYPES["object"], None)
        self._status.update(after)

    async def _has_unacceptable_status(self, resource):
        """The console's own verdict on a status that changed unseen, so that rules on unacceptable fire; None
        when it cannot be read (the status-change is emitted all the same)."""
        try:
            props = await self._workers.call(self._client.get_properties, resource["uri"])
        except HmcError as exc:
            LOG.warning("cannot read the status of %s after a reconnect: %s", resource["name"], exc)
            return None
        value = props.get("has-unacceptable-status")
        return value if isinstance(value, bool) else None

    # -- frames --------------------------------------------------------------------------------------

    async def _on_frame(self, connection, headers, body):
        destination = headers.get("destination", "")
        topic = destination[7:] if destination.startswith("/topic/") else destination
        topic_type = connection.resolution.topics.get(topic)
        await self._check_gap(connection, topic, headers.get("session-sequence-nr"))
        if topic_type == subs.TOPIC_TYPES["bcpii"]:
            async with self._order:
                await self._deliver_bcpii(connection, self._reassembler.feed(body, time.monotonic()), topic)
            return
        stamp = to_int(headers.get("timestamp"))
        for event in normalizer.normalize(headers, body, console=connection.console,
                                          **self._normalize_options(connection)):
            await self._deliver(connection, event, topic_type, stamp)

    async def _on_dropped(self, connection, runs):
        """Notifications the receiver's triage dropped (drop_notes runs) count for gap detection and move their
        cursors."""
        for topic, first, last, ranges in runs:
            await self._check_gap(connection, topic, first, last)
            for uri, seq_first, seq_last in ranges:
                if self._ahead:
                    self._ahead.count(uri, 1 if seq_first is None or seq_last is None else seq_last - seq_first + 1)
                self._pass_over(uri, seq_first, seq_last)

    async def _check_gap(self, connection, topic, session_sequence, through=None):
        missed = self._sequence.missed(self._client.session_id, to_int(session_sequence), through)
        if missed:
            await self._emit(self._synthetic(connection, "notifications-missed", count=missed, topic={
                "name": topic, "type": connection.resolution.topics.get(topic)}))

    async def _deliver_bcpii(self, connection, payloads, topic):
        for payload in payloads:
            for event in normalizer.normalize_bcpii(payload, console=connection.console, topic=topic,
                                                    **self._normalize_options(connection)):
                await self._deliver(connection, event, subs.TOPIC_TYPES["bcpii"], None)

    async def flush_bcpii(self):
        """A BCPii message has no end marker: it is complete once no part came for BCPII_PART_GAP seconds."""
        while True:
            await asyncio.sleep(BCPII_PART_GAP / 2)
            connection = self.connection
            if len(self._reassembler) and connection is not None:
                async with self._order:
                    topic = next((t for t, kind in connection.resolution.topics.items()
                                  if kind == subs.TOPIC_TYPES["bcpii"]), None)
                    await self._deliver_bcpii(
                        connection, self._reassembler.flush_older_than(time.monotonic(), BCPII_PART_GAP), topic)

    async def _deliver(self, connection, event, topic_type, stamp):
        """Track, enrich, filter and emit one normalized event (stamp: the frame's console time in ms)."""
        hmc = event["hmc"]
        kind = hmc.get("type")
        resource = hmc.get("resource") or {}
        if kind == "os-message":
            if self._ahead:
                self._ahead.count(resource.get("uri"))
            if resource.get("uri") in self._held:
                self._held[resource["uri"]].append(event)
            else:
                await self._deliver_os(connection, event)
            return
        if kind == "status-change":
            self._track_status(connection, resource.get("uri"), (hmc.get("status") or {}).get("new"), stamp)
        elif kind == "inventory-change" and (hmc.get("inventory") or {}).get("action") == "add":
            await self._maybe_add_channel(connection, resource, stamp)
        elif kind == "job-completion" and self._options.get("job_status", True):
            await self._fill_job(hmc)
        elif kind == "console-heartbeat":
            self.last_bcpii_heartbeat = time.monotonic()
        elif kind == "console-starting" and topic_type == subs.TOPIC_TYPES["bcpii"]:
            await self._reregister_bcpii(connection)
        if topic_type == subs.TOPIC_TYPES["object"] and not self._object_event_wanted(kind, resource):
            return
        await self._emit(event)

    async def _deliver_os(self, connection, event):
        """Emit an OS message once: the cursor drops duplicates and advances after the consumer took it."""
        message = event["hmc"].get("os_message") or {}
        resource = event["hmc"].get("resource") or {}
        uri, seq = resource.get("uri"), message.get("sequence_number")
        if message.get("refresh"):
            await self._emit(event)
            return
        text = message.get("text")
        verdict = self._cursors.classify(uri, seq, text)
        if verdict == DUPLICATE:
            return
        if verdict == RENUMBERED:
            previous = self._cursors.last(uri)
            LOG.warning("OS message numbering of %s starts again: %s after %s", resource.get("name"), seq, previous)
            await self._emit(self._synthetic(connection, "sequence-reset", severity="warning", resource=resource,
                                             previous_sequence=previous, sequence=seq))
            if self._ahead:
                self._ahead.forget(uri)
        elif self._ahead:
            handed = self._ahead.take(uri, seq)
            if handed is not None and await handed:  # emitted ahead (waits for a hand-over still under way)
                self._cursors.advance(uri, seq, connection.console["host"], text)  # now in order
                return
        await self._emit(event)
        self._cursors.advance(uri, seq, connection.console["host"], text)
        if self._ahead:
            self._ahead.passed(uri, seq)

    def _pass_over(self, uri, first, last):
        """OS messages the receiver's triage dropped move their cursor as ones the filters drop after normalizing
        do (in order: behind the held messages of a resource whose channel is being opened)."""
        if uri in self._held:
            self._held[uri].append(_PassOver(uri, first, last))
        else:
            self._cursors.pass_over(uri, first, last, self.connection.console["host"])
            if self._ahead and last is not None:
                self._ahead.passed(uri, last)

    async def _emit(self, event):
        if self._accept is None or self._accept(event):
            await self._stream.emit(event)

    # -- held messages ahead of a storm (held_lookahead) ---------------------------------------------

    async def _look_ahead(self, connection):
        """Once a second, the held messages of the storming resources that their stream has not brought yet.
        It only hastens them: whatever goes wrong here is logged and the stream brings the messages."""
        while True:
            await asyncio.sleep(INTERVAL)
            for uri in self._ahead.storming():
                resource = connection.resolution.resources.get(uri)
                if resource and resource["topic"] and uri not in self._held and self._cursors.covered(uri):
                    try:
                        await self._emit_held_ahead(connection, resource)
                    except Exception as exc:  # a bug here must not end the look-ahead for good, nor the source
                        LOG.warning("looking ahead for the held messages of %s failed: %s", resource["name"], exc)

    async def _emit_held_ahead(self, connection, resource):
        uri = resource["uri"]
        try:
            result = await self._workers.call(self._client.list_os_messages, uri, self._cursors.resume_from(uri),
                                              held=True, name=resource["name"])
        except HmcError as err:  # the stream still brings them, only later
            LOG.info("cannot list the held messages of %s ahead of its stream: %s", resource["name"], err)
            return
        held = [m for m in (result or {}).get("os-messages") or [] if isinstance(m, dict) and m.get("is-held") is True
                and self._waited_for(uri, to_int(m.get("sequence-number")), m.get("message-text"))]
        if not held:
            return
        for event in normalizer.normalize_os_messages(resource_props(resource), held, console=connection.console,
                                                      topic=resource["topic"], **self._normalize_options(connection)):
            message = event["hmc"].get("os_message") or {}
            seq = message.get("sequence_number")
            if self._waited_for(uri, seq, message.get("text")):  # checked again: the stream may have come meanwhile
                await self._emit_ahead(uri, seq, event)

    async def _emit_ahead(self, uri, seq, event):
        """Emit event ahead of its stream. Its stream copy, should it come while this still waits for the engine's
        queue, waits for the outcome: dropped once the event went out, emitted itself if this was cancelled (the
        connection ended), so that the message is neither lost nor doubled."""
        handed = asyncio.get_running_loop().create_future()
        self._ahead.mark(uri, seq, handed)
        try:
            await self._emit(event)
        except BaseException:
            handed.set_result(False)
            self._ahead.take(uri, seq)  # the stream's copy, or the recovery, brings it
            raise
        handed.set_result(True)

    def _waited_for(self, uri, seq, text):
        """A held message the stream has not brought and that was not emitted ahead yet."""
        return seq is not None and self._cursors.classify(uri, seq, text) == NEW and not self._ahead.is_ahead(uri, seq)

    def _object_event_wanted(self, kind, resource):
        """Object topic events are subscribed for inventory tracking too: emit only what object_changes asks."""
        if kind in OBJECT_TOPIC_TYPES_ALWAYS:
            return True
        changes = self._spec["object_changes"]
        if not changes:
            return False
        if kind not in changes["types"]:
            return False
        return not changes["classes"] or resource.get("class") in changes["classes"]

    # -- runtime channels ----------------------------------------------------------------------------

    def _track_status(self, connection, uri, new, stamp):
        resources = connection.resolution.resources
        if uri not in resources or new is None:
            return
        self._status[uri] = new
        resource = resources[uri]
        if not resource["topic"] and new in ACTIVE_STATUSES:
            self._open_channel(connection, resource, stamp)

    def _open_channel(self, connection, resource, stamp):
        """The system was noticed coming up at stamp (console ms): from then on its messages are new."""
        since = stamp if stamp is not None and stamp >= 0 else now_ms()
        self._cursors.cover_since(resource["uri"], since, connection.console["host"])
        if self._supervisor.request_channel(connection, resource):
            self._held.setdefault(resource["uri"], [])

    async def _maybe_add_channel(self, connection, resource, stamp):
        """A new partition/LPAR that an os_messages entry covers gets its channel without a restart."""
        uri = resource.get("uri")
        resolution = connection.resolution
        if not uri or uri in resolution.resources or resource.get("class") not in subs.SELECTORS.values():
            return
        try:
            props = await self._workers.call(self._client.get_properties, uri)
        except HmcError as err:
            LOG.warning("cannot read the new %s %s: %s", resource.get("class"), resource.get("name"), err)
            return
        cpc_name = next((name for name, cpc in resolution.cpcs.items()
                         if cpc.get("object-uri") == props.get("parent")), None)
        try:  # a regex entry is the console's to decide (its Java syntax): a request
            entry = await self._workers.call(subs.matches_new_resource, self._spec, resource.get("class"),
                                             props.get("name"), cpc_name, client=self._client,
                                             cpc_uri=props.get("parent"))
        except HmcError as err:
            LOG.warning("cannot tell whether the new %s %s is subscribed: %s", resource.get("class"),
                        resource.get("name"), err)
            return
        if entry is None:
            return
        props.setdefault("object-uri", uri)
        record = subs.make_resource(props, entry["kind"], cpc_name, props.get("parent"), entry["include_refresh"])
        resolution.resources[uri] = record
        self._status[uri] = record["status"]
        self._open_channel(connection, record, stamp)

    # -- enrichment ----------------------------------------------------------------------------------

    async def _fill_job(self, hmc):
        job = hmc.get("job") or {}
        if not job.get("uri"):
            return
        try:
            status = await self._workers.call(self._client.query_job, job["uri"])
        except HmcError as err:
            LOG.info("cannot query job %s: %s", job["uri"], err)
            return
        job.update(status=status.get("status"), status_code=status.get("job-status-code"),
                   reason_code=status.get("job-reason-code"), results=status.get("job-results"))
        if isinstance(job["status_code"], int) and job["status_code"] >= 400:
            hmc["severity"] = "error"
        hmc["job"] = job

    async def _reregister_bcpii(self, connection):
        """console-starting: non-permanent registrations are gone after the restart, so make them again."""
        for entry in self._spec["bcpii"]:
            try:
                await self._workers.call(subs.register_bcpii, self._client, entry, connection.resolution)
            except HmcError as err:
                LOG.warning("cannot re-register BCPii notifications on %s: %s", entry["cpc"], err)

    async def watch_bcpii_heartbeat(self):
        """Emit heartbeat-missed once when no console-heartbeat came for 1.5 intervals."""
        interval = float(self._options["bcpii_heartbeat"])
        self.last_bcpii_heartbeat = time.monotonic()
        reported = False
        while True:
            await asyncio.sleep(min(interval / 4, 5.0))
            silent = time.monotonic() - self.last_bcpii_heartbeat
            if silent > 1.5 * interval and not reported:
                reported = True
                await self._emit(self._synthetic(self.connection, "heartbeat-missed", silent_seconds=round(silent, 1),
                                                 interval_seconds=interval))
            elif silent <= 1.5 * interval:
                reported = False

    # -- helpers -------------------------------------------------------------------------------------

    def _normalize_options(self, connection):
        options = {"include_raw": self._options.get("include_raw", False),
                   "topic_types": connection.resolution.topics, "resource_info": connection.resolution.resources}
        if self._options.get("max_body"):
            options["max_body"] = self._options["max_body"]
        return options

    def _synthetic(self, connection, kind, severity=None, **fields):
        console = connection.console if connection is not None else self._stream.console
        return normalizer.synthetic_event(kind, console=console, severity=severity, timestamp=time.time(),
                                          **fields)


class _PassOver:
    """Early-dropped OS messages (a drop_notes range) of a held resource: its cursor moves when the held messages
    are released."""

    __slots__ = ("first", "last", "uri")

    def __init__(self, uri, first, last):
        self.uri = uri
        self.first = first
        self.last = last


def resource_info(resource):
    return {"class": resource["class"], "name": resource["name"], "uri": resource["uri"],
            "id": resource["uri"].rsplit("/", 1)[-1], "cpc": resource["cpc"], "parent_uri": resource["cpc_uri"]}


def resource_props(resource):
    """A resource record with the WS API property names the normalizer reads (as in live headers)."""
    return {"object-uri": resource["uri"], "object-id": resource["uri"].rsplit("/", 1)[-1],
            "class": resource["class"], "name": resource["name"], "cpc-name": resource["cpc"]}
