"""Scenario files: YAML describing the console and a timeline, validated with file/line/field errors.

The format is documented in tools/hmcsim/README.md. Validation happens once at load, so a typo never
surfaces as a crash minutes into a demo.
"""

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from hmcsim.errors import ScenarioError
from hmcsim.yaml_marks import MarkedDict, MarkedList, load_marked

PARTITION_STATUSES = ("active", "stopped", "starting", "stopping", "paused", "terminated", "degraded",
                      "reservation-error", "communications-not-active", "status-check")
LPAR_STATUSES = ("operating", "not-operating", "not-activated", "exceptions", "acceptable")
NUMBER = (int, float)

# step name -> {field: (accepted types, required)}; "resource" values are checked against the inventory
STEP_FIELDS = {
    "os_message": {"resource": (str, True), "text": (str, True), "held": (bool, False), "priority": (bool, False),
                   "reply_id": (str, False), "prompt": (str, False), "on_reply": (list, False)},
    "storm": {"resource": (str, True), "rate": (int, True), "duration": (NUMBER, True)},
    "split_os_message": {"resource": (str, True), "text": (str, True), "chunk": (int, False)},
    "status_change": {"resource": (str, True), "status": (str, True)},
    "property_change": {"resource": (str, True), "properties": (dict, True)},
    "inventory": {"action": (str, True), "resource": (str, False), "cpc": (str, False), "name": (str, False),
                  "status": (str, False), "os_name": (str, False)},
    "log_entry": {"log": (str, True), "event_name": (str, True), "event_id": (str, False), "message": (str, False),
                  "userid": (str, False)},
    "job_completion": {"resource": (str, True), "session": (str, False), "status_code": (int, False),
                       "operation": (str, False)},
    "capacity_record_change": {"cpc": (str, True), "change_type": (str, False)},
    "shutting_down": {"reason": (str, False), "invoker": (str, False), "shutdown_type": (str, False)},
    "restart": {"down_seconds": (NUMBER, False)},
    "bcpii_console_starting": {},
    "bcpii_heartbeat": {},
    "drop_connections": {"refuse_seconds": (NUMBER, False), "refuse_with": (str, False)},
    "stall_heartbeats": {"seconds": (NUMBER, True)},
    "fail_next_job": {"resource": (str, True), "message": (str, False)},
}
CONSOLE_FIELDS = {"name": (str, False), "type": (str, False), "api_version": (str, False),
                  "hmc_version": (str, False), "session_limit": (int, False), "api_features": (bool, False),
                  "bcpii_heartbeat_seconds": (NUMBER, False), "bcpii_max_text": (int, False),
                  "os_history": (int, False), "job_seconds": (NUMBER, False), "features": (list, False)}
USER_FIELDS = {"userid": (str, True), "password": (str, True), "permissions": (list, False)}
CPC_FIELDS = {"name": (str, True), "dpm": (bool, True), "features": (list, False), "partitions": (list, False),
              "lpars": (list, False)}
GUEST_FIELDS = {"name": (str, True), "status": (str, False), "os_name": (str, False), "os_type": (str, False),
                "acceptable_status": (list, False), "fail_jobs": (list, False)}
TOP_FIELDS = {"console": (dict, False), "users": (list, False), "cpcs": (list, True), "timeline": (list, False)}
PERMISSIONS = ("*", "send-os-cmd", "os-messages", "start-stop", "bcpii", "audit-log", "security-log")


@dataclass
class Guest:
    """A partition (DPM) or LPAR (classic) as declared in the scenario."""

    name: str
    status: str
    os_name: str | None
    os_type: str
    acceptable_status: list[str]
    fail_jobs: list[str]


@dataclass
class CpcSpec:
    name: str
    dpm: bool
    features: list[str]
    guests: list[Guest]


@dataclass
class UserSpec:
    userid: str
    password: str
    permissions: list[str]


@dataclass
class Scenario:
    """A validated scenario: console settings, users, inventory and timeline steps (dicts with 'at' and 'kind')."""

    source: str
    console: dict
    users: list[UserSpec]
    cpcs: list[CpcSpec]
    timeline: list[dict] = field(default_factory=list)


class _Checker:
    """Validation helpers that raise ScenarioError naming file, line and the dotted field path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, container, key, path: str, message: str):
        line = getattr(container, "line", 0)
        if isinstance(container, MarkedDict) and key in container.key_lines:
            line = container.key_lines[key]
        elif isinstance(container, MarkedList) and isinstance(key, int) and key < len(container.item_lines):
            line = container.item_lines[key]
        raise ScenarioError(f"{self.source}:{line}: {path}: {message}")

    def mapping(self, value, parent, key, path: str, fields: dict) -> dict:
        if not isinstance(value, dict):
            self.fail(parent, key, path, "must be a mapping")
        for name in value:
            if name not in fields:
                self.fail(value, name, f"{path}.{name}", f"unknown field (known: {', '.join(sorted(fields))})")
        for name, (types, required) in fields.items():
            if name not in value:
                if required:
                    self.fail(value, None, f"{path}.{name}", "required field is missing")
                continue
            item = value[name]
            bad_bool = isinstance(item, bool) and bool not in _as_tuple(types)
            if not isinstance(item, types) or bad_bool:
                self.fail(value, name, f"{path}.{name}", f"must be of type {_type_names(types)}, got {item!r}")
        return value

    def choice(self, value, parent, key, path: str, choices) -> None:
        if value not in choices:
            self.fail(parent, key, path, f"must be one of {', '.join(choices)}, got {value!r}")


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types) -> str:
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list", dict: "mapping"}
    return " or ".join(names[t] for t in _as_tuple(types))


def _load_guests(check: _Checker, cpc: dict, path: str, dpm: bool) -> list[Guest]:
    key = "partitions" if dpm else "lpars"
    other = "lpars" if dpm else "partitions"
    if other in cpc:
        check.fail(cpc, other, f"{path}.{other}", f"not allowed on a {'DPM' if dpm else 'classic'} CPC (use {key})")
    statuses = PARTITION_STATUSES if dpm else LPAR_STATUSES
    guests = []
    items = cpc.get(key, [])
    for index, item in enumerate(items):
        gpath = f"{path}.{key}[{index}]"
        check.mapping(item, items, index, gpath, GUEST_FIELDS)
        status = item.get("status", "active" if dpm else "operating")
        check.choice(status, item, "status", f"{gpath}.status", statuses)
        default_ok = ["active", "degraded"] if dpm else ["operating"]
        guests.append(Guest(name=item["name"], status=status, os_name=item.get("os_name"),
                            os_type=item.get("os_type", "Linux" if dpm else "MVS"),
                            acceptable_status=list(item.get("acceptable_status", default_ok)),
                            fail_jobs=list(item.get("fail_jobs", []))))
    return guests


def _check_step(check: _Checker, step: dict, parent, index, path: str, names: set[str], cpc_names: set[str],
                follow_up: bool) -> dict:
    time_key = "after" if follow_up else "at"
    if not isinstance(step, dict):
        check.fail(parent, index, path, "must be a mapping")
    kinds = [key for key in step if key in STEP_FIELDS]
    if len(kinds) != 1:
        check.fail(step, None, path, f"needs exactly one step kind (one of {', '.join(STEP_FIELDS)}), got {kinds}")
    kind = kinds[0]
    allowed = {time_key: (NUMBER, not follow_up), kind: (dict, False)}
    if follow_up:
        allowed["match"] = (str, False)
    check.mapping(step, parent, index, path, allowed)
    body = step.get(kind) or MarkedDict()
    fields = dict(STEP_FIELDS[kind])
    if follow_up and "resource" in fields:
        fields["resource"] = (str, False)  # defaults to the resource of the held message
    check.mapping(body, step, kind, f"{path}.{kind}", fields)
    for ref in ("resource",):
        if ref in body and body[ref] not in names and not (kind == "inventory" and body.get("action") == "remove"):
            check.fail(body, ref, f"{path}.{kind}.{ref}", f"unknown resource {body[ref]!r}")
    if "cpc" in body and body["cpc"] not in cpc_names:
        check.fail(body, "cpc", f"{path}.{kind}.cpc", f"unknown CPC {body['cpc']!r}")
    if kind == "inventory":
        check.choice(body["action"], body, "action", f"{path}.{kind}.action", ("add", "remove"))
        needed = ("cpc", "name") if body["action"] == "add" else ("resource",)
        for name in needed:
            if name not in body:
                check.fail(body, None, f"{path}.{kind}.{name}", f"required for action {body['action']}")
    if kind == "drop_connections" and "refuse_with" in body:
        check.choice(body["refuse_with"], body, "refuse_with", f"{path}.{kind}.refuse_with",
                     ("close", "error", "after-connected"))
    if kind == "log_entry":
        check.choice(body["log"], body, "log", f"{path}.{kind}.log", ("audit", "security"))
    if kind == "job_completion":
        check.fail(step, kind, f"{path}.{kind}", "a console sends a job's completion only to the session that "
                   "started the job, so a scenario cannot: let a client start the job (a playbook, a module), or "
                   "use the control API's job_completion step with that client's session id")
    result = {"kind": kind, "line": step.line, **{k: v for k, v in body.items() if k != "on_reply"}}
    result[time_key] = float(step.get(time_key, 0))
    if "match" in step:
        result["match"] = step["match"]
    if "on_reply" in body:
        rules = body["on_reply"]
        result["on_reply"] = [
            _check_step(check, rule, rules, i, f"{path}.{kind}.on_reply[{i}]", names, cpc_names, follow_up=True)
            for i, rule in enumerate(rules)
        ]
    return result


def parse_scenario(text: str, source: str) -> Scenario:
    """Validate scenario YAML text; source names the file in error messages."""
    check = _Checker(source)
    try:
        data = load_marked(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ScenarioError(f"{source}:{line}: (yaml): {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: (top): a scenario must be a mapping")
    check.mapping(data, None, None, "scenario", TOP_FIELDS)
    console = check.mapping(data.get("console", MarkedDict()), data, "console", "console", CONSOLE_FIELDS)
    if "type" in console:
        check.choice(console["type"], console, "type", "console.type", ("hmc", "se"))
    users = []
    user_items = data.get("users") or [{"userid": "operator", "password": "operator-password"}]
    for index, item in enumerate(user_items):
        check.mapping(item, user_items, index, f"users[{index}]", USER_FIELDS)
        for perm in item.get("permissions", ["*"]):
            check.choice(perm, item, "permissions", f"users[{index}].permissions", PERMISSIONS)
        users.append(UserSpec(item["userid"], item["password"], list(item.get("permissions", ["*"]))))
    cpcs, names = [], set()
    for index, item in enumerate(data["cpcs"]):
        path = f"cpcs[{index}]"
        check.mapping(item, data["cpcs"], index, path, CPC_FIELDS)
        guests = _load_guests(check, item, path, item["dpm"])
        cpcs.append(CpcSpec(item["name"], item["dpm"], list(item.get("features", [])), guests))
        names.add(item["name"])
        for guest in guests:
            names.update((guest.name, f"{item['name']}/{guest.name}"))
    cpc_names = {cpc.name for cpc in cpcs}
    timeline = []
    steps = data.get("timeline") or []
    for index, step in enumerate(steps):
        timeline.append(_check_step(check, step, steps, index, f"timeline[{index}]", names, cpc_names, False))
    timeline.sort(key=lambda s: s["at"])
    return Scenario(source=source, console=dict(console), users=users, cpcs=cpcs, timeline=timeline)


def builtin_names() -> list[str]:
    """Names of the scenarios shipped as package data."""
    folder = resources.files("hmcsim") / "scenarios"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(name_or_path: str) -> Scenario:
    """Load a shipped scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if path.is_file():
        return parse_scenario(path.read_text(encoding="utf-8"), str(path))
    if path.suffix in (".yaml", ".yml") or (path.exists() and name_or_path not in builtin_names()):
        raise ScenarioError(f"{name_or_path}: scenario file not found")
    if name_or_path not in builtin_names():
        raise ScenarioError(f"{name_or_path}: no such scenario (shipped: {', '.join(builtin_names())})")
    text = (resources.files("hmcsim") / "scenarios" / f"{name_or_path}.yaml").read_text(encoding="utf-8")
    return parse_scenario(text, f"{name_or_path}.yaml")
