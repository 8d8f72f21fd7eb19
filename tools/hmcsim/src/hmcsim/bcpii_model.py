"""The BCPii notification registration model: an ASSUMPTION, kept in this one module.

The real registration operations are not publicly documented; the URIs, bodies, errors and delivery rules
implemented here are documented in tools/hmcsim/README.md ("BCPii notification registration model").
"""

import itertools
import json

from aiohttp import web

from hmcsim.errors import ApiError
from hmcsim.model import Console, Resource, Session
from hmcsim.notifier import Notifier, now_ms

FEATURE = "bcpii-notifications"
EVENT_NAMES = ("*", "os-message", "status-change", "property-change", "inventory-change", "capacity-record-change",
               "job-completion")
REGISTRATIONS_PATH = "/api/cpcs/{id}/operations/bcpii-notification-registrations"


class BcpiiRegistrations:
    """Registrations per CPC, the owner-ids each session is bound to, and delivery in BCPii form."""

    def __init__(self, console: Console, notifier: Notifier):
        self.console = console
        self.notifier = notifier
        self.registrations: dict[str, dict] = {}  # registration-id -> registration (+ "cpc-uri")
        self._ids = itertools.count(1)

    # WS API side
    def _cpc(self, session: Session, cpc_id: str) -> Resource:
        if not self.console.api_features:
            raise ApiError(404, 1, "Unknown URI: this console has no API features (BCPii registrations).")
        cpc = self.console.get("cpc", cpc_id)
        if not session.may("bcpii"):
            raise ApiError(403, 1, f"User {session.user.userid} is not authorized to manage BCPii notification "
                                   "registrations.")
        if FEATURE not in cpc.api_features:
            raise ApiError(409, 350, f"CPC {cpc.name} does not have the API feature {FEATURE}.")
        session.bcpii_visible = True
        return cpc

    @staticmethod
    def _public(reg: dict) -> dict:
        return {k: reg[k] for k in ("registration-id", "target-name", "event-name", "owner-id", "permanent")}

    def list_registrations(self, session: Session, cpc_id: str, owner: str | None) -> dict:
        cpc = self._cpc(session, cpc_id)
        regs = [self._public(r) for r in self.registrations.values()
                if r["cpc-uri"] == cpc.uri and (owner is None or r["owner-id"] == owner)]
        return {"registrations": regs, "topic-name": session.bcpii_topic}

    def create(self, session: Session, cpc_id: str, body: dict) -> tuple[dict, bool]:
        cpc = self._cpc(session, cpc_id)
        for key in ("target-name", "event-name", "owner-id"):
            if not isinstance(body.get(key), str) or not body[key] or len(body[key]) > 64:
                raise ApiError(400, 7, f"Field {key} is required: a string of 1 to 64 characters.")
        if body["event-name"] not in EVENT_NAMES:
            raise ApiError(400, 7, f"Unknown event-name {body['event-name']!r} (known: {', '.join(EVENT_NAMES)}).")
        permanent = body.get("permanent", False)
        if not isinstance(permanent, bool):
            raise ApiError(400, 7, "Field permanent must be a boolean.")
        session.bcpii_owners.add(body["owner-id"])
        for reg in self.registrations.values():
            if reg["cpc-uri"] == cpc.uri and all(reg[k] == body[k] for k in ("target-name", "event-name", "owner-id")):
                return {"registration-id": reg["registration-id"], "topic-name": session.bcpii_topic}, False
        reg_id = f"r{next(self._ids)}"
        self.registrations[reg_id] = {"registration-id": reg_id, "target-name": body["target-name"],
                                      "event-name": body["event-name"], "owner-id": body["owner-id"],
                                      "permanent": permanent, "cpc-uri": cpc.uri}
        return {"registration-id": reg_id, "topic-name": session.bcpii_topic}, True

    def _existing(self, cpc: Resource, reg_id: str) -> dict:
        reg = self.registrations.get(reg_id)
        if reg is None or reg["cpc-uri"] != cpc.uri:
            raise ApiError(404, 1, f"BCPii notification registration {reg_id} does not exist on CPC {cpc.name}.")
        return reg

    def get(self, session: Session, cpc_id: str, reg_id: str) -> dict:
        return self._public(self._existing(self._cpc(session, cpc_id), reg_id))

    def delete(self, session: Session, cpc_id: str, reg_id: str) -> None:
        self.registrations.pop(self._existing(self._cpc(session, cpc_id), reg_id)["registration-id"])

    def console_restarted(self) -> None:
        """Non-permanent registrations end with the console; permanent ones survive."""
        self.registrations = {k: r for k, r in self.registrations.items() if r["permanent"]}

    # delivery side
    def _bound_sessions(self, owners: set[str] | None) -> list[Session]:
        return [s for s in self.console.sessions.values()
                if s.bcpii_owners and (owners is None or s.bcpii_owners & owners)]

    async def fan_out(self, headers: dict, body, resource: Resource) -> None:
        """Deliver a notification in BCPii form for each matching registration."""
        cpc = resource if resource.kind == "cpc" else resource.cpc
        if cpc is None:
            return
        ntype = headers["notification-type"]
        for reg in list(self.registrations.values()):
            if reg["cpc-uri"] != cpc.uri or reg["event-name"] not in ("*", ntype):
                continue
            if reg["target-name"] not in ("*", resource.name):
                continue
            extra = {"target-name": resource.name, "event-name": reg["event-name"]}
            for session in self._bound_sessions({reg["owner-id"]}):
                for payload in self._payloads(headers | extra, body):
                    await self._send(session, payload)

    def _payloads(self, headers: dict, body) -> list[dict]:
        """Split long OS message text across consecutive notifications, as BCPii does."""
        limit = self.console.bcpii_max_text
        if headers["notification-type"] != "os-message" or not body:
            return [{"headers": headers, "body": body}]
        result = []
        for message in body["os-messages"]:
            text = message["message-text"] or ""
            chunks = [text[i:i + limit] for i in range(0, len(text), limit)] or [text]
            result.extend({"headers": headers, "body": {"os-messages": [message | {"message-text": chunk}]}}
                          for chunk in chunks)
        return result

    async def _send(self, session: Session, payload: dict) -> None:
        await self.notifier.to_topic(session.bcpii_topic, {"timestamp": str(now_ms())}, json.dumps(payload))

    async def console_event(self, ntype: str, body) -> int:
        """console-starting / console-heartbeat to every session bound to a registration; returns the count."""
        sessions = self._bound_sessions(None)
        for session in sessions:
            headers = self.notifier.headers(ntype, None, {"object-uri": "/api/console", "object-id": "console",
                                                          "class": "console", "name": self.console.name,
                                                          "target-name": self.console.name, "event-name": ntype})
            await self._send(session, {"headers": headers, "body": body})
        return len(sessions)

    async def split_os_message(self, resource: Resource, message: dict, chunk: int) -> None:
        """Deliver one OS message in BCPii form split in chunk-sized pieces to every bound session."""
        headers = self.notifier.headers("os-message", resource, {"target-name": resource.name,
                                                                 "event-name": "os-message"})
        text = message["message-text"]
        for session in self._bound_sessions(None):
            for start in range(0, len(text), chunk):
                piece = message | {"message-text": text[start:start + chunk]}
                await self._send(session, {"headers": headers, "body": {"os-messages": [piece]}})


def add_routes(app: web.Application) -> None:
    async def list_regs(request: web.Request) -> web.Response:
        session = request.app["console"].session(request.headers.get("X-API-Session"))
        model: BcpiiRegistrations = request.app["bcpii"]
        owner = request.query.get("owner-id")
        return web.json_response(model.list_registrations(session, request.match_info["id"], owner))

    async def create_reg(request: web.Request) -> web.Response:
        session = request.app["console"].session(request.headers.get("X-API-Session"))
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise ApiError(400, 9, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, 9, "The request body must be a JSON object.")
        result, created = request.app["bcpii"].create(session, request.match_info["id"], body)
        return web.json_response(result, status=201 if created else 200)

    async def get_reg(request: web.Request) -> web.Response:
        session = request.app["console"].session(request.headers.get("X-API-Session"))
        return web.json_response(request.app["bcpii"].get(session, request.match_info["id"],
                                                          request.match_info["reg"]))

    async def delete_reg(request: web.Request) -> web.Response:
        session = request.app["console"].session(request.headers.get("X-API-Session"))
        request.app["bcpii"].delete(session, request.match_info["id"], request.match_info["reg"])
        return web.Response(status=204)

    app.router.add_get(REGISTRATIONS_PATH, list_regs)
    app.router.add_post(REGISTRATIONS_PATH, create_reg)
    app.router.add_get(REGISTRATIONS_PATH + "/{reg}", get_reg)
    app.router.add_delete(REGISTRATIONS_PATH + "/{reg}", delete_reg)
