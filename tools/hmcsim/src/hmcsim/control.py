"""The control API (loopback HTTP, JSON): lets tests and demos drive the console and read back what it saw."""

import base64
import binascii
import json
import time

from aiohttp import web

from hmcsim.scenario import STEP_FIELDS

TOPIC_TYPES = ("object-notification", "job-notification", "os-message-notification", "audit-notification",
               "security-notification", "bcpii-notification")


class ControlError(Exception):
    """A bad control request (400)."""


@web.middleware
async def control_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except KeyError as exc:
        return web.json_response({"error": str(exc.args[0]) if exc.args else "not found"}, status=404)
    except (ControlError, ValueError, TypeError, json.JSONDecodeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)


async def _body(request: web.Request) -> dict:
    body = await request.json() if request.can_read_body else {}
    if not isinstance(body, dict):
        raise ControlError("the request body must be a JSON object")
    return body


def _topics_for(sim, topic_type: str, resource) -> list[str]:
    topics = []
    for session in sim.console.sessions.values():
        if topic_type == "os-message-notification":
            channel = session.os_channels.get(resource.uri) if resource else None
            topics += [channel[0]] if channel else []
        else:
            topics += [t["topic-name"] for t in session.topics() if t["topic-type"] == topic_type]
            if topic_type == "bcpii-notification" and not session.bcpii_visible:
                topics.append(session.bcpii_topic)
    return topics


async def inject(request: web.Request) -> web.Response:
    """Any notification, STOMP form or BCPii form, to one topic or to every topic of a type."""
    sim = request.app["sim"]
    body = await _body(request)
    form = body.get("form", "stomp")
    if form not in ("stomp", "bcpii"):
        raise ControlError("form must be stomp or bcpii")
    resource = sim.console.find(body["resource"]) if body.get("resource") else None
    ntype = body.get("notification_type")
    if not isinstance(ntype, str):
        raise ControlError("notification_type (string) is required")
    headers = sim.notifier.headers(ntype, resource, {k: str(v) for k, v in body.get("headers", {}).items()})
    for name in body.get("drop_headers", []):
        headers.pop(name, None)
    if "topic" in body:
        topics = [body["topic"]]
    else:
        topic_type = body.get("topic_type", "bcpii-notification" if form == "bcpii" else "object-notification")
        if topic_type not in TOPIC_TYPES:
            raise ControlError(f"topic_type must be one of {', '.join(TOPIC_TYPES)}")
        topics = _topics_for(sim, topic_type, resource)
    payload = _raw_bytes(body, "body_base64") if "body_base64" in body else body.get("body")
    if form == "bcpii":
        headers.setdefault("target-name", resource.name if resource else sim.console.name)
        headers.setdefault("event-name", ntype)
        if not isinstance(payload, bytes):  # body_base64 is then the whole frame body, as given
            payload = json.dumps({"headers": headers, "body": payload})
        headers = {"timestamp": headers["timestamp"]}
    for topic in topics:
        await sim.notifier.to_topic(topic, headers, payload)
    return web.json_response({"topics": topics, "global-sequence-nr": headers.get("global-sequence-nr")})


def _raw_bytes(body: dict, field: str) -> bytes:
    """Bytes given as base64, so that tests can send what JSON cannot carry (invalid UTF-8, NUL)."""
    try:
        return base64.b64decode(body[field], validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ControlError(f"{field} must be base64 text: {exc}") from None


async def stomp_error(request: web.Request) -> web.Response:
    """An ERROR frame to every STOMP connection, then close it, as a broker does when it revokes a topic."""
    body = await _body(request)
    message = body.get("message")
    if not isinstance(message, str) or not message:
        raise ControlError("message (string) is required")
    count = await request.app["sim"].stomp.error_all(message, str(body.get("detail", "")))
    return web.json_response({"errors": count})


async def raw_frame(request: web.Request) -> web.Response:
    """Raw bytes queued to every STOMP connection as they are (malformed frames for hostile-input tests)."""
    data = _raw_bytes(await _body(request), "data_base64")
    return web.json_response({"sent": await request.app["sim"].stomp.send_raw_all(data)})


async def step(request: web.Request) -> web.Response:
    """Run any scenario step now: {"kind": "<step kind>", ...fields as in a scenario file}."""
    body = await _body(request)
    if body.get("kind") not in STEP_FIELDS:
        raise ControlError(f"kind must be one of {', '.join(STEP_FIELDS)}")
    return web.json_response(await request.app["sim"].steps.run(body))


def _step_endpoint(kind: str):
    async def handler(request: web.Request) -> web.Response:
        body = await _body(request)
        return web.json_response(await request.app["sim"].steps.run({**body, "kind": kind}))
    return handler


async def timeline_start(request: web.Request) -> web.Response:
    """Start the scenario's timeline (held with --hold-timeline); step times count from now. Runs it once."""
    steps = request.app["sim"].steps
    started = steps.start_timeline()
    return web.json_response({"started": started, **steps.timeline_state()})


async def timeline_stop(request: web.Request) -> web.Response:
    """Run no further step of the timeline (a demo that is being stopped)."""
    steps = request.app["sim"].steps
    stopped = steps.stop_timeline()
    return web.json_response({"stopped": stopped, **steps.timeline_state()})


async def timeline(request: web.Request) -> web.Response:
    return web.json_response(request.app["sim"].steps.timeline_state())


async def state(request: web.Request) -> web.Response:
    return web.json_response(request.app["sim"].describe())


async def issued_sessions(request: web.Request) -> web.Response:
    """Every session created since start, ended ones too, with its credential (secret-leak tests)."""
    return web.json_response(request.app["sim"].console.issued)


async def end_sessions(request: web.Request) -> web.Response:
    """End sessions as a logoff by another client or a timeout does ({userid?}: only that user's); their
    topics go silent, STOMP connections stay up."""
    body = await _body(request)
    console = request.app["sim"].console
    ended = [s for s in list(console.sessions.values()) if body.get("userid") in (None, s.user.userid)]
    for session in ended:
        console.logoff(session)
    return web.json_response({"ended": len(ended)})


async def hide_topics(request: web.Request) -> web.Response:
    """{topic_type, seconds}: Get Notification Topics leaves that type out for a while (a console service that
    is restarting, e.g. the audit log)."""
    body = await _body(request)
    if body.get("topic_type") not in TOPIC_TYPES:
        raise ControlError(f"topic_type must be one of {', '.join(TOPIC_TYPES)}")
    seconds = _positive(body.get("seconds"))
    console = request.app["sim"].console
    console.hidden_topic_types[body["topic_type"]] = time.monotonic() + seconds
    return web.json_response({"hidden": body["topic_type"], "seconds": seconds})


async def freeze(request: web.Request) -> web.Response:
    """{seconds}: WS API requests hang until then (a console that stops answering), then are answered."""
    seconds = _positive((await _body(request)).get("seconds"))
    request.app["sim"].console.frozen_until = time.monotonic() + seconds
    return web.json_response({"frozen": seconds})


async def os_renumber(request: web.Request) -> web.Response:
    """{resource, next}: the resource's next OS message gets sequence number next (an OS that numbers anew)."""
    body = await _body(request)
    number = body.get("next")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ControlError("next must be a non-negative integer")
    resource = request.app["sim"].console.find(body["resource"])
    resource.next_os_seq = number
    return web.json_response({"resource": resource.name, "next": number})


def _positive(seconds):
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ControlError("seconds must be a positive number")
    return seconds


def _getter(name: str):
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(request.app["sim"].describe()[name])
    return handler


def make_control_app(sim) -> web.Application:
    app = web.Application(middlewares=[control_errors])
    app["sim"] = sim
    app.router.add_get("/state", state)
    for name in ("sessions", "channels", "stomp", "logons", "stomp-logins", "os-commands", "jobs", "resources",
                 "bcpii"):
        app.router.add_get(f"/{name}", _getter(name))
    app.router.add_get("/issued-sessions", issued_sessions)
    app.router.add_post("/inject", inject)
    app.router.add_post("/step", step)
    app.router.add_get("/timeline", timeline)
    app.router.add_post("/timeline/start", timeline_start)
    app.router.add_post("/timeline/stop", timeline_stop)
    app.router.add_post("/stomp-error", stomp_error)
    app.router.add_post("/raw-frame", raw_frame)
    app.router.add_post("/end-sessions", end_sessions)
    app.router.add_post("/hide-topics", hide_topics)
    app.router.add_post("/freeze", freeze)
    app.router.add_post("/os-renumber", os_renumber)
    for path, kind in (("os-message", "os_message"), ("storm", "storm"), ("drop", "drop_connections"),
                       ("stall", "stall_heartbeats"), ("restart", "restart"), ("shutting-down", "shutting_down"),
                       ("status", "status_change"), ("fail-next-job", "fail_next_job")):
        app.router.add_post(f"/{path}", _step_endpoint(kind))
    return app
