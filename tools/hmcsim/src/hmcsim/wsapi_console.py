"""Console-level WS API operations: console properties and API features, audit/security log, Submit Requests.

The log forwarder (zhmc-log-forwarder) reads both logs with a begin time at start; zhmcclient's
`cpcs.list(full_properties=True)` (and every other list with full properties) reads the properties of all
listed objects with one Submit Requests operation of the aggregation service.
"""

from aiohttp import web

from hmcsim import properties
from hmcsim.errors import ApiError
from hmcsim.wsapi import feature_names, int_query, json_body, request_session

LOG_PERMISSIONS = {"audit": ("audit-log", "Audit and Log Management"), "security": ("security-log",
                                                                                  "View Security Logs")}
MAX_SUBMITTED = 1000
"""Requests per Submit Requests operation hmcsim accepts (zhmcclient splits bigger lists itself)."""


async def get_console(request: web.Request) -> web.Response:
    request_session(request)
    return web.json_response(properties.select(properties.console_properties(request.app["console"]),
                                               request.query))


async def list_console_features(request: web.Request) -> web.Response:
    return feature_names(request, request.app["console"].features)


def _log_handler(log: str):
    permission, task = LOG_PERMISSIONS[log]

    async def handler(request: web.Request) -> web.Response:
        """Get Console Audit/Security Log: a JSON array of log entries, optionally within begin/end time (ms)."""
        session = request_session(request)
        if not session.may(permission):
            raise ApiError(403, 1, f"User {session.user.userid} is not authorized to use the {task} task.")
        begin, end = int_query(request, "begin-time"), int_query(request, "end-time")
        entries = [entry for entry in request.app["console"].logs[log]
                   if (begin is None or entry["event-time"] >= begin) and (end is None or entry["event-time"] <= end)]
        return web.json_response(entries)
    return handler


async def submit_requests(request: web.Request) -> web.Response:
    """Submit Requests (aggregation service): GET requests only, each answered as {id, status, headers, body}."""
    session = request_session(request)
    requests = (await json_body(request)).get("requests")
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        raise ApiError(400, 7, "The request body must contain requests, a list of objects.")
    if len(requests) > MAX_SUBMITTED:
        raise ApiError(400, 7, f"At most {MAX_SUBMITTED} requests can be submitted at once.")
    return web.json_response([_answer(request.app, session, item) for item in requests])


def _answer(app: web.Application, session, item: dict) -> dict:
    response = {"status": 200, "headers": []}
    if "id" in item:
        response["id"] = item["id"]
    method, uri = item.get("method"), item.get("uri")
    try:
        if method != "GET" or not isinstance(uri, str):
            raise ApiError(400, 7, "hmcsim's Submit Requests runs GET requests with a uri only.")
        response["body"] = _get_properties(app, uri)
    except ApiError as err:
        response["status"] = err.status
        response["body"] = {"http-status": err.status, "reason": err.reason, "message": err.message,
                            "request-method": method, "request-uri": uri,
                            "request-authenticated-as": session.user.userid}
    return response


def _get_properties(app: web.Application, uri: str) -> dict:
    """Get Properties of one object by URI (the property reads zhmcclient submits in bulk)."""
    path, _, query_text = uri.partition("?")
    query = dict(part.partition("=")[::2] for part in query_text.split("&") if part)
    console = app["console"]
    if path == "/api/console":
        return properties.select(properties.console_properties(console), query)
    if path in console.image_profiles:
        return properties.select(console.image_profiles[path], query)
    resource = console.resources.get(path)
    if resource is None:
        raise ApiError(404, 1, f"The object {path} does not exist.")
    return properties.select(resource.props, query)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/console", get_console)
    app.router.add_get("/api/console/operations/list-features", list_console_features)
    app.router.add_get("/api/console/operations/get-audit-log", _log_handler("audit"))
    app.router.add_get("/api/console/operations/get-security-log", _log_handler("security"))
    app.router.add_post("/api/services/aggregation/submit", submit_requests)
