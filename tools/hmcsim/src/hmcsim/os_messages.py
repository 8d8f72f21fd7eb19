"""OS message history per resource, held messages and replies to them (send-os-cmd)."""

import asyncio
import json
import re
import time

from hmcsim.errors import ApiError
from hmcsim.model import Resource, Session
from hmcsim.notifier import Notifier, now_ms

_REPLY_ID_SHOWN = re.compile(r"^\s*[*@]\d{1,4}\s")
_REPLY = re.compile(r"^\s*(?:R(?:EPLY)?\s+)?(\d{1,4})\s*,\s*(.*)$", re.IGNORECASE | re.DOTALL)


class OsMessages:
    """Creates OS messages (bounded history, sequence numbers) and handles OS commands and replies."""

    def __init__(self, notifier: Notifier, run_follow_up):
        self.notifier = notifier
        self.commands: list[dict] = []
        self._run_follow_up = run_follow_up  # callable(step, resource) -> coroutine, from the timeline

    def make(self, resource: Resource, text: str, *, held=False, priority=False, reply_id=None, prompt="",
             refresh=False) -> dict:
        """Record a message in the resource's history and return its os-message-info."""
        sequence = resource.next_os_seq
        resource.next_os_seq += 1
        if held and reply_id and not _REPLY_ID_SHOWN.match(text):
            # z/OS shows a WTOR with its reply id in front ("*05 IEF238D ..."): that is where clients find it.
            text = f"*{int(reply_id):02d} {text}"
        message = {"sequence-number": sequence, "message-id": str(reply_id if held and reply_id else sequence),
                   "message-text": text, "timestamp": now_ms(), "sound-alarm": bool(priority or held),
                   "is-priority": bool(priority), "is-held": bool(held), "prompt-text": prompt,
                   "os-name": resource.props.get("os-name"), "is-refresh": bool(refresh)}
        resource.os_history.append(message)
        self._trim(resource)
        return message

    @staticmethod
    def _trim(resource: Resource) -> None:
        """Keep the history within its limit the way the WS API book describes a console doing it: "the oldest
        non-held, non-priority OS messages are no longer available" (List OS Messages). Only when every kept
        message is held or priority does the oldest of all go, so that the history stays bounded."""
        history = resource.os_history
        while len(history) > resource.os_history_limit:
            routine = next((index for index, m in enumerate(history) if not (m["is-held"] or m["is-priority"])), 0)
            del history[routine]

    async def emit(self, resource: Resource, text: str, *, held=False, priority=False, reply_id=None, prompt="",
                   on_reply=None, refresh=False) -> dict:
        message = self.make(resource, text, held=held, priority=priority, reply_id=reply_id, prompt=prompt,
                            refresh=refresh)
        if held and reply_id:
            resource.held[int(reply_id)] = {"message": message, "on_reply": on_reply or []}
        await self.notifier.os_message(resource, message)
        return message

    def refresh_messages(self, topic: str) -> list[tuple[dict, str]]:
        """What a new subscriber of an OS message topic gets first: the resource's outstanding held messages.

        A channel opened with include-refresh-messages re-sends, to a client that connects to its topic, the held
        messages still waiting for a reply, as refresh messages (is-refresh true, the original sequence number),
        so that a new listener learns what waits (zhmcclient: "refresh messages will be received when the user
        connects to the topic").
        """
        console = self.notifier.console
        for session in console.sessions.values():
            for uri, (channel_topic, include_refresh) in session.os_channels.items():
                resource = console.resources.get(uri)
                if channel_topic != topic or not include_refresh or resource is None:
                    continue
                return [(self.notifier.headers("os-message", resource),
                         json.dumps({"os-messages": [dict(held["message"], **{"is-refresh": True})]}))
                        for _, held in sorted(resource.held.items(), key=lambda item: item[1]["message"][
                            "sequence-number"])]
        return []

    @staticmethod
    def history(resource: Resource, begin: int | None = None, end: int | None = None, held: bool | None = None,
                priority: bool | None = None, limit: int = 0) -> list[dict]:
        """List OS Messages: the kept messages from begin to end, only held or non-held ones, only priority or
        non-priority ones (None: either), the first limit of them (0: all)."""
        messages = [m for m in resource.os_history
                    if (begin is None or m["sequence-number"] >= begin) and (end is None or m["sequence-number"] <= end)
                    and (held is None or m["is-held"] == held) and (priority is None or m["is-priority"] == priority)]
        return messages[:limit] if limit else messages

    async def command(self, session: Session, resource: Resource, text: str, priority: bool) -> None:
        """Record an OS command; a reply to a held message clears it and starts the scenario's follow-ups."""
        if not session.may("send-os-cmd"):
            raise ApiError(403, 1, f"User {session.user.userid} is not authorized to perform the Send OS Command "
                                   "task.")
        if not resource.os_running:
            raise ApiError(409, 332, f"The operating system in {resource.name} is not running.")
        record = {"resource": resource.name, "object-uri": resource.uri, "text": text, "is-priority": priority,
                  "userid": session.user.userid, "time": time.time(), "replied-to": None}
        self.commands.append(record)
        match = _REPLY.match(text)
        if not match or int(match.group(1)) not in resource.held:
            return
        reply_id, reply_text = int(match.group(1)), match.group(2).strip()
        held = resource.held.pop(reply_id)
        held["message"]["is-held"] = False  # answered: List OS Messages shows it as no longer held
        record["replied-to"] = held["message"]["message-id"]
        await self.emit(resource, f"IEE600I REPLY TO {reply_id:02d} IS;{reply_text}")
        for rule in held["on_reply"]:
            if re.search(rule.get("match", ""), reply_text, re.IGNORECASE):
                asyncio.get_running_loop().create_task(self._run_follow_up(rule, resource))
