"""Console state: inventory (CPCs, partitions, LPARs), users, WS API sessions and their topics.

Pure state with no I/O, shared by the WS API, the STOMP endpoint, the control API and the timeline.
"""

import collections
import itertools
import secrets
import time
import uuid
from dataclasses import dataclass, field

from hmcsim import properties
from hmcsim.errors import ApiError
from hmcsim.java_regex import JavaRegexError, java_fullmatch
from hmcsim.scenario import CpcSpec, Guest, Scenario, UserSpec

URI_BASE = {"cpc": "/api/cpcs", "partition": "/api/partitions", "logical-partition": "/api/logical-partitions"}
RUNNING = {"partition": ("active", "degraded"), "logical-partition": ("operating", "exceptions")}
LOG_HISTORY = 1000
"""Audit and security log entries kept for Get Console Audit Log / Get Console Security Log."""


@dataclass(eq=False)
class Resource:
    """A CPC, partition or LPAR with its WS API properties and its OS message state."""

    kind: str
    props: dict
    cpc: "Resource | None" = None
    guest: Guest | None = None
    os_history: collections.deque = field(default_factory=collections.deque)
    os_history_limit: int = 500  # see OsMessages.make: not a deque's maxlen, held and priority messages stay longer
    next_os_seq: int = 0
    held: dict = field(default_factory=dict)
    fail_next_job: str | None = None
    api_features: list = field(default_factory=list)  # CPCs: List CPC API Features (not a property)

    @property
    def uri(self) -> str:
        return self.props["object-uri"]

    @property
    def oid(self) -> str:
        return self.props["object-id"]

    @property
    def name(self) -> str:
        return self.props["name"]

    @property
    def os_running(self) -> bool:
        return self.props.get("status") in RUNNING.get(self.kind, ())


@dataclass(eq=False)
class Session:
    """A WS API session and the notification topics bound to it."""

    id: str
    credential: str
    user: UserSpec
    prefix: str
    created: float
    os_channels: dict = field(default_factory=dict)  # resource uri -> (topic name, include refresh)
    bcpii_visible: bool = False
    bcpii_owners: set = field(default_factory=set)

    @property
    def object_topic(self) -> str:
        return f"{self.prefix}.ob"

    @property
    def job_topic(self) -> str:
        return f"{self.prefix}.jb"

    @property
    def audit_topic(self) -> str | None:
        return f"{self.prefix}.au" if self.may("audit-log") else None

    @property
    def security_topic(self) -> str | None:
        return f"{self.prefix}.se" if self.may("security-log") else None

    @property
    def bcpii_topic(self) -> str:
        return f"{self.prefix}.bc"

    def may(self, permission: str) -> bool:
        return "*" in self.user.permissions or permission in self.user.permissions

    def topics(self) -> list[dict]:
        """The session's topics in the shape of Get Notification Topics."""
        result = [{"topic-name": self.object_topic, "topic-type": "object-notification"},
                  {"topic-name": self.job_topic, "topic-type": "job-notification"}]
        if self.audit_topic:
            result.append({"topic-name": self.audit_topic, "topic-type": "audit-notification"})
        if self.security_topic:
            result.append({"topic-name": self.security_topic, "topic-type": "security-notification"})
        for uri, (topic, refresh) in self.os_channels.items():
            result.append({"topic-name": topic, "topic-type": "os-message-notification", "object-uri": uri,
                           "include-refresh-messages": refresh})
        if self.bcpii_visible:
            result.append({"topic-name": self.bcpii_topic, "topic-type": "bcpii-notification"})
        return result

    def topic_names(self) -> set[str]:
        return {t["topic-name"] for t in self.topics()} | {self.bcpii_topic}


def java_full_match(pattern: str | None, value: str) -> bool:
    """The console's name filter: a full-match Java regular expression, translated for Python (java_regex)."""
    if pattern is None:
        return True
    try:
        return java_fullmatch(pattern, value)
    except JavaRegexError as exc:
        raise ApiError(400, 14, f"The name filter {pattern!r} is not a valid regular expression: {exc}") from None


class Console:
    """The whole simulated console: settings from the scenario plus live state."""

    def __init__(self, scenario: Scenario):
        settings = scenario.console
        self.name = settings.get("name", "HMC1")
        self.type = settings.get("type", "hmc")
        major, _, minor = settings.get("api_version", "4.10").partition(".")
        self.api_version = (int(major), int(minor or 0))
        self.hmc_version = settings.get("hmc_version", "2.16.0")
        self.session_limit = settings.get("session_limit", 100)
        self.api_features = settings.get("api_features", True)
        self.bcpii_heartbeat_seconds = float(settings.get("bcpii_heartbeat_seconds", 120))
        self.bcpii_max_text = settings.get("bcpii_max_text", 1000)
        self.os_history = settings.get("os_history", 500)
        self.job_seconds = float(settings.get("job_seconds", 1.0))
        self.features = list(settings.get("features", []))
        self.object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hmcsim/console/{self.name}"))
        self.logs = {"audit": collections.deque(maxlen=LOG_HISTORY), "security": collections.deque(maxlen=LOG_HISTORY)}
        self.image_profiles: dict[str, dict] = {}  # element-uri -> properties
        self.users = {user.userid: user for user in scenario.users}
        self.resources: dict[str, Resource] = {}
        self.sessions: dict[str, Session] = {}
        self.logons = {"ok": 0, "failed": 0}
        self.issued: list[dict] = []  # every session ever created, for tests that look for leaked secrets
        self.generation = 1
        self.down_until = 0.0
        self.hidden_topic_types: dict[str, float] = {}  # topic type -> monotonic time it is offered again
        self.frozen_until = 0.0  # WS API requests are answered only after this monotonic time (freeze)
        self._session_counter = itertools.count(1)
        for cpc in scenario.cpcs:
            self._add_cpc(cpc)

    # inventory
    def _add_cpc(self, spec: CpcSpec) -> None:
        cpc = self.add_resource("cpc", spec.name, None, properties.cpc_properties(spec.name, spec.dpm,
                                                                                   self.hmc_version))
        cpc.props["available-features-list"] = []  # firmware features: none modelled
        cpc.api_features = list(spec.features)
        for guest in spec.guests:
            self.add_guest(cpc, guest)

    def add_guest(self, cpc: Resource, guest: Guest) -> Resource:
        kind = "partition" if cpc.props["dpm-enabled"] else "logical-partition"
        number = len(self.guests(cpc)) + 1
        if kind == "partition":
            standard = properties.partition_properties(number, guest)
        else:
            standard = properties.lpar_properties(number, guest, guest.status != "not-activated")
            profile = properties.image_profile_properties(cpc.uri, guest.name, guest.os_type)
            self.image_profiles[profile["element-uri"]] = profile
        extra = {**standard, "status": guest.status, "os-name": guest.os_name, "os-type": guest.os_type,
                 "acceptable-status": guest.acceptable_status, "has-unacceptable-status":
                 guest.status not in guest.acceptable_status, "parent": cpc.uri}
        resource = self.add_resource(kind, guest.name, cpc, extra)
        resource.guest = guest
        resource.os_history_limit = self.os_history
        return resource

    def add_resource(self, kind: str, name: str, cpc: Resource | None, extra: dict) -> Resource:
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hmcsim/{kind}/{cpc.name if cpc else ''}/{name}"))
        props = {"object-uri": f"{URI_BASE[kind]}/{oid}", "object-id": oid, "class": kind, "name": name,
                 "description": f"simulated {kind} {name}", **extra}
        resource = Resource(kind=kind, props=props, cpc=cpc)
        self.resources[resource.uri] = resource
        return resource

    def remove_resource(self, resource: Resource) -> None:
        self.resources.pop(resource.uri, None)

    def cpcs(self) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == "cpc"]

    def guests(self, cpc: Resource | None = None) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind != "cpc" and (cpc is None or r.cpc is cpc)]

    def get(self, kind: str, oid: str) -> Resource:
        resource = self.resources.get(f"{URI_BASE[kind]}/{oid}")
        if resource is None:
            raise ApiError(404, 1, f"The object with id {oid} ({kind}) does not exist.")
        return resource

    def find(self, ref: str) -> Resource:
        """A resource by name (unique) or 'CPC/NAME', as used in scenarios and the control API."""
        cpc_name, _, name = ref.rpartition("/")
        matches = [r for r in self.resources.values()
                   if r.name == name and (not cpc_name or (r.cpc and r.cpc.name == cpc_name))]
        if not matches:
            raise KeyError(f"no resource named {ref!r}")
        if len(matches) > 1:
            raise KeyError(f"resource name {ref!r} is ambiguous, use CPC/NAME")
        return matches[0]

    # sessions
    def check_up(self) -> None:
        if time.monotonic() < self.down_until:
            raise ApiError(503, 1, "The console is restarting; try again later.")

    def logon(self, userid: str, password: str) -> Session:
        user = self.users.get(userid)
        if user is None or not secrets.compare_digest(user.password, password):
            self.logons["failed"] += 1
            raise ApiError(403, 0, "Logon failed: the userid or password is not valid.")
        if len(self.sessions) >= self.session_limit:
            self.logons["failed"] += 1
            raise ApiError(403, 15, f"Logon failed: the maximum number of API sessions ({self.session_limit}) "
                                    "has been reached.")
        self.logons["ok"] += 1
        number = next(self._session_counter)
        session = Session(id=secrets.token_hex(16), credential=secrets.token_hex(16), user=user,
                          prefix=f"{self.name}.g{self.generation}.s{number:05d}", created=time.time())
        self.sessions[session.id] = session
        self.issued.append({"id": session.id, "credential": session.credential, "userid": userid})
        return session

    def session(self, session_id: str | None) -> Session:
        if not session_id:
            raise ApiError(403, 4, "The request did not include an X-API-Session header.")
        session = self.sessions.get(session_id)
        if session is None:
            raise ApiError(403, 5, "The session id in the X-API-Session header is not valid (it may have expired "
                                   "or the console may have restarted).")
        return session

    def logoff(self, session: Session) -> None:
        self.sessions.pop(session.id, None)

    def offered_topics(self, session: Session) -> list[dict]:
        """Get Notification Topics: the session's topics less those hidden for a while (hide_topics)."""
        now = time.monotonic()
        return [t for t in session.topics() if self.hidden_topic_types.get(t["topic-type"], 0.0) <= now]

    def restart(self) -> None:
        """Invalidate every session; topic names of new sessions carry a new generation."""
        self.sessions.clear()
        self.generation += 1

    def authenticate_stomp(self, login: str, passcode: str) -> dict | None:
        """The grant of a STOMP login ({"session": id} or {"user": userid}), or None when refused.

        Login with a session id + credential gives that session's topics; login with userid + password gives
        the topics of all of that user's live sessions (evaluated at subscribe time by the caller).
        """
        session = self.sessions.get(login)
        if session is not None and secrets.compare_digest(session.credential, passcode):
            return {"session": session.id}
        user = self.users.get(login)
        if user is not None and secrets.compare_digest(user.password, passcode):
            return {"user": user.userid}
        return None

    def permitted_topics(self, grant: dict) -> set[str]:
        if "session" in grant:
            session = self.sessions.get(grant["session"])
            return session.topic_names() if session else set()
        names = set()
        for session in self.sessions.values():
            if session.user.userid == grant["user"]:
                names |= session.topic_names()
        return names
