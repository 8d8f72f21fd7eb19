"""The WS API over HTTPS (aiohttp): sessions, inventory, OS message channels, OS commands, jobs, features.

Errors are raised as ApiError anywhere and rendered by one middleware in the console's error body shape.
Console-level operations (console properties, logs, Submit Requests) are in hmcsim.wsapi_console.
"""

import asyncio
import json
import time

from aiohttp import web

from hmcsim import properties
from hmcsim.errors import ApiError
from hmcsim.jobs import OPERATIONS, Jobs
from hmcsim.model import Console, Resource, Session, java_full_match
from hmcsim.os_messages import OsMessages

GUEST_PATHS = {"partitions": "partition", "logical-partitions": "logical-partition"}


def request_session(request: web.Request) -> Session:
    return request.app["console"].session(request.headers.get("X-API-Session"))


async def json_body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise ApiError(400, 9, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, 9, "The request body must be a JSON object.")
    return body


def _guest(request: web.Request) -> Resource:
    kind = GUEST_PATHS.get(request.match_info["kind"])
    if kind is None:
        raise ApiError(404, 1, f"Unknown URI {request.path}")
    return request.app["console"].get(kind, request.match_info["id"])


LIST_PROPERTIES = {"cpc": ("object-uri", "name", "status", "has-unacceptable-status", "dpm-enabled", "se-version"),
                   "partition": ("object-uri", "name", "status", "type"),
                   "logical-partition": ("object-uri", "name", "status")}
"""What each List operation returns per item (as zhmcclient's mock has them; more with additional-properties)."""
PERMITTED_PROPERTIES = {"partition": ("object-uri", "name", "status", "type", "has-unacceptable-status"),
                        "logical-partition": ("object-uri", "name", "status", "activation-mode",
                                              "has-unacceptable-status")}


def _list_item(resource: Resource, names=None, request: web.Request | None = None) -> dict:
    extra = request.query.get("additional-properties", "") if request is not None else ""
    wanted = [*(names or LIST_PROPERTIES[resource.kind]), *(n for n in extra.split(",") if n)]
    return {key: resource.props.get(key) for key in wanted}


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Console-shaped errors, optional per-request latency and the 'console restarting' window."""
    latency = request.app["latency_ms"]
    if latency:
        await asyncio.sleep(latency / 1000)
    frozen = request.app["console"].frozen_until - time.monotonic()
    if frozen > 0:  # a console that hangs: the request is answered only after the freeze
        await asyncio.sleep(frozen)
    try:
        request.app["console"].check_up()
        return await handler(request)
    except ApiError as err:
        return web.json_response({"http-status": err.status, "reason": err.reason, "message": err.message,
                                  "request-method": request.method, "request-uri": request.path_qs},
                                 status=err.status)


async def version(request: web.Request) -> web.Response:
    """Query API Version. API features are not part of it: a console lists them with List API Features."""
    console: Console = request.app["console"]
    return web.json_response({"api-major-version": console.api_version[0],
                              "api-minor-version": console.api_version[1], "hmc-version": console.hmc_version,
                              "hmc-name": console.name})


async def logon(request: web.Request) -> web.Response:
    console: Console = request.app["console"]
    body = await json_body(request)
    if not isinstance(body.get("userid"), str) or not isinstance(body.get("password"), str):
        raise ApiError(400, 7, "The request body must contain the string fields userid and password.")
    session = console.logon(body["userid"], body["password"])
    return web.json_response({"api-session": session.id, "session-credential": session.credential,
                              "notification-topic": session.object_topic,
                              "job-notification-topic": session.job_topic,
                              "api-major-version": console.api_version[0],
                              "api-minor-version": console.api_version[1], "password-expires": -1}, status=200)


async def logoff(request: web.Request) -> web.Response:
    session = request_session(request)
    request.app["console"].logoff(session)
    return web.Response(status=204)


async def notification_topics(request: web.Request) -> web.Response:
    return web.json_response({"topics": request.app["console"].offered_topics(request_session(request))})


async def list_cpcs(request: web.Request) -> web.Response:
    request_session(request)
    name = request.query.get("name")
    cpcs = [_list_item(c) for c in request.app["console"].cpcs() if java_full_match(name, c.name)]
    return web.json_response({"cpcs": cpcs})


def _filtered_guests(request: web.Request, cpc: Resource | None, kind: str) -> list[Resource]:
    """Guests matching the query's filters: name (full-match regex), status and type (repeatable), cpc-name."""
    query = request.query
    name, cpc_name = query.get("name"), query.get("cpc-name")
    statuses, types = query.getall("status", []), query.getall("type", [])
    unacceptable = query.get("has-unacceptable-status")
    return [g for g in request.app["console"].guests(cpc)
            if g.kind == kind and java_full_match(name, g.name) and (not statuses or g.props["status"] in statuses)
            and (not types or g.props.get("type") in types) and java_full_match(cpc_name, g.cpc.name)
            and (unacceptable is None or str(g.props.get("has-unacceptable-status")).lower() == unacceptable)]


async def list_cpc_guests(request: web.Request) -> web.Response:
    request_session(request)
    cpc = request.app["console"].get("cpc", request.match_info["id"])
    key = request.match_info["kind"]
    kind = GUEST_PATHS[key]
    if cpc.props["dpm-enabled"] != (kind == "partition"):
        raise ApiError(409, 5, f"CPC {cpc.name} is {'' if cpc.props['dpm-enabled'] else 'not '}in DPM mode.")
    return web.json_response({key: [_list_item(g, request=request) for g in _filtered_guests(request, cpc, kind)]})


async def list_permitted(request: web.Request) -> web.Response:
    request_session(request)
    key = request.match_info["kind"]
    kind = GUEST_PATHS[key]
    items = [_list_item(g, PERMITTED_PROPERTIES[kind], request) | {
        "cpc-name": g.cpc.name, "cpc-object-uri": g.cpc.uri, "se-version": g.cpc.props["se-version"]}
        for g in _filtered_guests(request, None, kind)]
    return web.json_response({key: items})


async def get_cpc(request: web.Request) -> web.Response:
    request_session(request)
    cpc = request.app["console"].get("cpc", request.match_info["id"])
    return web.json_response(properties.select(cpc.props, request.query))


async def get_guest(request: web.Request) -> web.Response:
    request_session(request)
    return web.json_response(properties.select(_guest(request).props, request.query))


async def list_image_profiles(request: web.Request) -> web.Response:
    request_session(request)
    console: Console = request.app["console"]
    cpc = console.get("cpc", request.match_info["id"])
    name = request.query.get("name")
    profiles = [{"name": p["name"], "element-uri": p["element-uri"]} for p in console.image_profiles.values()
                if p["parent"] == cpc.uri and java_full_match(name, p["name"])]
    return web.json_response({"image-activation-profiles": profiles})


async def get_image_profile(request: web.Request) -> web.Response:
    request_session(request)
    profile = request.app["console"].image_profiles.get(request.path)
    if profile is None:
        raise ApiError(404, 1, f"The image activation profile {request.match_info['name']} does not exist.")
    return web.json_response(properties.select(profile, request.query))


async def open_os_message_channel(request: web.Request) -> web.Response:
    session = request_session(request)
    resource = _guest(request)
    body = await json_body(request)
    refresh = body.get("include-refresh-messages", True)
    if not isinstance(refresh, bool):
        raise ApiError(400, 7, "include-refresh-messages must be a boolean.")
    if not session.may("os-messages"):
        raise ApiError(403, 1, f"User {session.user.userid} is not authorized to use the Operating System "
                               f"Messages task for {resource.name}.")
    if resource.uri in session.os_channels:
        raise ApiError(409, 331, f"An OS message channel for {resource.name} is already open for this session.")
    if not resource.os_running:
        raise ApiError(409, 332, f"The operating system in {resource.name} is not running or does not support "
                                 "OS messages.")
    topic = f"{session.prefix}.os.{resource.oid[:8]}"
    session.os_channels[resource.uri] = (topic, refresh)
    return web.json_response({"topic-name": topic})


def int_query(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, 14, f"Query parameter {name} must be an integer.") from None


def bool_query(request: web.Request, name: str) -> bool | None:
    """A query parameter true or false (as zhmcclient sends them); absent: None."""
    value = request.query.get(name)
    if value in (None, ""):
        return None
    if value.lower() not in ("true", "false"):
        raise ApiError(400, 14, f"Query parameter {name} must be true or false.")
    return value.lower() == "true"


async def list_os_messages(request: web.Request) -> web.Response:
    session = request_session(request)
    resource = _guest(request)
    if not session.may("os-messages"):
        raise ApiError(403, 1, f"User {session.user.userid} is not authorized to list OS messages.")
    if not resource.os_running:
        raise ApiError(409, 332, f"The operating system in {resource.name} is not running.")
    limit = int_query(request, "max-messages") or 0
    if limit < 0:
        raise ApiError(400, 14, "Query parameter max-messages must not be negative.")
    messages = OsMessages.history(resource, int_query(request, "begin-sequence-number"),
                                  int_query(request, "end-sequence-number"), bool_query(request, "is-held"),
                                  bool_query(request, "is-priority"), limit)
    return web.json_response({"os-messages": messages})


async def send_os_cmd(request: web.Request) -> web.Response:
    session = request_session(request)
    resource = _guest(request)
    body = await json_body(request)
    text = body.get("operating-system-command-text")
    priority = body.get("is-priority", False)
    if not isinstance(text, str) or not text or not isinstance(priority, bool):
        raise ApiError(400, 7, "operating-system-command-text (non-empty string) is required; is-priority is a "
                               "boolean.")
    await request.app["os_messages"].command(session, resource, text, priority)
    return web.Response(status=204)


async def guest_job(request: web.Request) -> web.Response:
    session = request_session(request)
    resource = _guest(request)
    operation = request.match_info["operation"]
    if operation not in OPERATIONS:
        raise ApiError(404, 1, f"Unknown URI {request.path}")
    body = await json_body(request)
    job_uri = request.app["jobs"].start(session, resource, operation, body)
    return web.json_response({"job-uri": job_uri}, status=202)


async def query_job(request: web.Request) -> web.Response:
    session = request_session(request)
    jobs: Jobs = request.app["jobs"]
    return web.json_response(jobs.query(session, f"/api/jobs/{request.match_info['id']}"))


async def delete_job(request: web.Request) -> web.Response:
    session = request_session(request)
    request.app["jobs"].delete(session, f"/api/jobs/{request.match_info['id']}")
    return web.Response(status=204)


def feature_names(request: web.Request, features: list[str]) -> web.Response:
    """List Console / CPC API Features: a JSON array of feature names (404 on a console without API features)."""
    request_session(request)
    if not request.app["console"].api_features:
        raise ApiError(404, 1, f"Unknown URI {request.path}")
    name = request.query.get("name")
    return web.json_response([feature for feature in features if java_full_match(name, feature)])


async def list_features(request: web.Request) -> web.Response:
    request_session(request)
    cpc = request.app["console"].get("cpc", request.match_info["id"])
    return feature_names(request, cpc.api_features)


def add_routes(app: web.Application) -> None:
    kinds = "{kind:partitions|logical-partitions}"
    app.router.add_get("/api/version", version)
    app.router.add_post("/api/sessions", logon)
    app.router.add_delete("/api/sessions/this-session", logoff)
    app.router.add_get("/api/sessions/operations/get-notification-topics", notification_topics)
    app.router.add_get("/api/cpcs", list_cpcs)
    app.router.add_get("/api/cpcs/{id}", get_cpc)
    app.router.add_get("/api/cpcs/{id}/operations/list-features", list_features)
    app.router.add_get("/api/cpcs/{id}/image-activation-profiles", list_image_profiles)
    app.router.add_get("/api/cpcs/{id}/image-activation-profiles/{name}", get_image_profile)
    app.router.add_get("/api/cpcs/{id}/" + kinds, list_cpc_guests)
    app.router.add_get("/api/console/operations/list-permitted-" + kinds, list_permitted)
    app.router.add_get("/api/" + kinds + "/{id}", get_guest)
    app.router.add_post("/api/" + kinds + "/{id}/operations/open-os-message-channel", open_os_message_channel)
    app.router.add_get("/api/" + kinds + "/{id}/operations/list-os-messages", list_os_messages)
    app.router.add_post("/api/" + kinds + "/{id}/operations/send-os-cmd", send_os_cmd)
    app.router.add_post("/api/" + kinds + "/{id}/operations/{operation}", guest_job)
    app.router.add_get("/api/jobs/{id}", query_job)
    app.router.add_delete("/api/jobs/{id}", delete_job)
