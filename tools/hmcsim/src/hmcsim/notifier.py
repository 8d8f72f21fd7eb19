"""Builds notifications and routes them to topics; sinks (STOMP endpoint, external broker) deliver them.

Routing follows the console: object notifications go to the object topic of every session, job completions
to the job topic of the session that started the job, OS messages to the topics of open OS message channels,
log entries to audit/security topics, and matching BCPii registrations get the BCPii form.
"""

import itertools
import json
import time
from typing import Protocol

from hmcsim.model import Console, Resource, Session


class Sink(Protocol):
    """Something that delivers (topic, headers, body) to subscribers."""

    async def deliver(self, topic: str, headers: dict, body: str | bytes) -> None: ...


def now_ms() -> int:
    return int(time.time() * 1000)


class Notifier:
    """The single place where notifications get their headers, sequence numbers and topics."""

    def __init__(self, console: Console):
        self.console = console
        self.sinks: list[Sink] = []
        self.bcpii = None  # set by the BCPii model so it can fan out matching notifications
        self.published = 0
        self._global_seq = itertools.count(0)

    def headers(self, ntype: str, resource: Resource | None, extra: dict | None = None) -> dict:
        headers = {"notification-type": ntype, "global-sequence-nr": str(next(self._global_seq)),
                   "timestamp": str(now_ms())}
        if resource is not None:
            headers.update({"object-uri": resource.uri, "object-id": resource.oid, "class": resource.kind,
                            "name": resource.name})
        headers.update(extra or {})
        return headers

    async def to_topic(self, topic: str, headers: dict, body) -> None:
        """Deliver one notification to one topic through every sink (awaiting backpressure)."""
        text = body if isinstance(body, (str, bytes)) else ("" if body is None else json.dumps(body))
        self.published += 1
        for sink in self.sinks:
            await sink.deliver(topic, headers, text)

    async def object_notification(self, ntype: str, resource: Resource, body=None, extra: dict | None = None):
        headers = self.headers(ntype, resource, extra)
        for session in list(self.console.sessions.values()):
            await self.to_topic(session.object_topic, headers, body)
        await self._bcpii(headers, body, resource)

    async def job_completion(self, session: Session, resource: Resource, job_uri: str) -> None:
        """Only the session that started the job hears of its completion (nothing once that session ended)."""
        headers = self.headers("job-completion", resource, {"job-uri": job_uri})
        if session.id in self.console.sessions:
            await self.to_topic(session.job_topic, headers, "")
        await self._bcpii(headers, None, resource)

    async def os_message(self, resource: Resource, message: dict) -> None:
        headers = self.headers("os-message", resource)
        for session in list(self.console.sessions.values()):
            channel = session.os_channels.get(resource.uri)
            if channel and (channel[1] or not message["is-refresh"]):
                await self.to_topic(channel[0], headers, {"os-messages": [message]})
        await self._bcpii(headers, {"os-messages": [message]}, resource)

    async def log_entry(self, log: str, entry: dict) -> None:
        console_uri = "/api/console"
        headers = self.headers("log-entry", None, {"object-uri": console_uri, "object-id": "console",
                                                    "class": "console", "name": self.console.name})
        for session in list(self.console.sessions.values()):
            topic = session.audit_topic if log == "audit" else session.security_topic
            if topic:
                await self.to_topic(topic, headers, {"log-entries": [entry]})

    async def console_notification(self, ntype: str, body) -> None:
        """A console-wide notification (console-shutting-down) on every object topic."""
        headers = self.headers(ntype, None, {"object-uri": "/api/console", "object-id": "console",
                                            "class": "console", "name": self.console.name})
        for session in list(self.console.sessions.values()):
            await self.to_topic(session.object_topic, headers, body)

    async def _bcpii(self, headers: dict, body, resource: Resource) -> None:
        if self.bcpii is not None:
            await self.bcpii.fan_out(headers, body, resource)
