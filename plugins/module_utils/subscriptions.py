# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One declarative description of what to receive, resolved into topic names.

The spec is validated once (ValueError naming the offending key) and resolved
through the console client at every (re)connect, because topic names belong to
a session and change when a console restart forces a new one. OS message
channels are opened concurrently so that hundreds of partitions resolve in
seconds.

Spec (all keys optional, at least one needed)::

    os_messages:
      - cpc: CPC1                        # exact CPC name
        partitions: [P1, P2]             # or partition_regex / lpars / lpar_regex (exactly one)
        include_refresh: false

Exact names (partitions, lpars) must each exist when the spec is resolved the first time (at start): a typo is
an error naming it, never a silently smaller subscription. At later resolutions (reconnects) a name that is
gone (the partition was deleted meanwhile) is logged as a warning. Name regular expressions (partition_regex,
lpar_regex) are the console's: it evaluates them (Java syntax, full match) and its answer is taken as it is,
never filtered again with Python's re, which reads some Java patterns differently; the console's refusal of a
pattern is an error naming the option.
    jobs: true
    object_changes: {types: [status-change], classes: [partition]}   # or true
    audit: true
    security: true
    bcpii:
      - cpc: CPC1
        targets: ["*"]                   # CPC or partition/LPAR names, "*" for all
        events: ["*"]                    # notification types, "*" for all
        owner_id: zhmc.notifications
        permanent: false
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import logging
import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zhmc.notifications.plugins.module_utils import bcpii_api
from ansible_collections.zhmc.notifications.plugins.module_utils.connection import option_dict, reject_unknown
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import RESOURCE_KINDS, exact_name_regex
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError

LOG = logging.getLogger("zhmc.notifications.subscriptions")

OBJECT_TYPES = ("status-change", "property-change", "inventory-change", "capacity-record-change")
SELECTORS = {
    "partitions": "partition",
    "partition_regex": "partition",
    "lpars": "logical-partition",
    "lpar_regex": "logical-partition",
}
TOPIC_TYPES = {
    "os": "os-message-notification",
    "object": "object-notification",
    "job": "job-notification",
    "audit": "audit-notification",
    "security": "security-notification",
    "bcpii": "bcpii-notification",
}
CHANNEL_WORKERS = 10
"""Concurrent Open OS Message Channel requests; matches requests' default connection pool size."""


class SubscriptionError(Exception):
    """The spec is valid but the console cannot satisfy it (e.g. a named partition does not exist)."""


# -- validation -------------------------------------------------------------------------------------------


def _to_bool(value, key):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.strip().lower() in ("true", "yes", "on", "1")
    raise ValueError(f"{key}: expected a boolean, got {value!r}")


def _name_list(value, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: expected a non-empty list of names")
    return list(value)


def _regex(value, key):
    """A name regular expression for the console: not checked with Python's re, whose syntax is not Java's
    (\\p{Digit} and \\Q..\\E are valid Java); the console checks it when the spec is resolved."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key}: expected a regular expression string")
    return value


class ExactNames:
    """The exact names of each os_messages entry (None for a regex entry), with the option that gave them, and
    whether a resolution found them all once (from then on a missing name is a warning, not an error).

    Kept beside the entries, not in them: the entries are the identity of a checkpoint file and do not change.
    """

    def __init__(self, per_entry):
        self.per_entry = per_entry
        self.confirmed = False


def _check_keys(entry, allowed, key):
    if not isinstance(entry, dict):
        raise ValueError(f"{key}: expected a dictionary, got {type(entry).__name__}")
    option_dict(entry, key, allowed)


def _os_entry(entry, key, exact):
    _check_keys(entry, ("cpc", "include_refresh", *SELECTORS), key)
    cpc = entry.get("cpc")
    if not isinstance(cpc, str) or not cpc:
        raise ValueError(f"{key}.cpc: required, the exact name of the CPC")
    chosen = [name for name in SELECTORS if entry.get(name) not in (None, "", [])]
    if len(chosen) != 1:
        raise ValueError(f"{key}: give exactly one of {', '.join(SELECTORS)}")
    selector = chosen[0]
    if selector.endswith("_regex"):
        pattern = _regex(entry[selector], f"{key}.{selector}")
    else:
        names = _name_list(entry[selector], f"{key}.{selector}")
        pattern = "|".join(exact_name_regex(n) for n in names)
        exact[-1] = {"option": f"{key}.{selector}", "names": names}
    return {
        "cpc": cpc,
        "kind": SELECTORS[selector],
        "regex": pattern,
        "include_refresh": _to_bool(entry.get("include_refresh", False), f"{key}.include_refresh"),
    }


def _object_changes(value, key):
    if value in (True, "true", "True", "yes"):
        return {"types": list(OBJECT_TYPES), "classes": []}
    _check_keys(value, ("types", "classes"), key)
    types = value.get("types") or list(OBJECT_TYPES)
    types = _name_list(types, f"{key}.types")
    reject_unknown(types, OBJECT_TYPES, f"{key}.types", noun="type")
    classes = _name_list(value["classes"], f"{key}.classes") if value.get("classes") else []
    return {"types": types, "classes": classes}


def _bcpii_entry(entry, key):
    _check_keys(entry, ("cpc", "targets", "events", "owner_id", "permanent"), key)
    cpc = entry.get("cpc")
    if not isinstance(cpc, str) or not cpc:
        raise ValueError(f"{key}.cpc: required, the exact name of the CPC whose Support Element registers")
    events = _name_list(entry.get("events", [bcpii_api.ALL]), f"{key}.events")
    reject_unknown(events, bcpii_api.EVENT_NAMES, f"{key}.events", noun="event")
    owner = entry.get("owner_id", "zhmc.notifications")
    if not isinstance(owner, str) or not 0 < len(owner) <= 64:
        raise ValueError(f"{key}.owner_id: expected a string of 1 to 64 characters")
    return {
        "cpc": cpc,
        "targets": _name_list(entry.get("targets", [bcpii_api.ALL]), f"{key}.targets"),
        "events": events,
        "owner_id": owner,
        "permanent": _to_bool(entry.get("permanent", False), f"{key}.permanent"),
    }


def _entries(value, key):
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key}: expected a list of entries")
    return value


def validate(spec, option="subscriptions"):
    """The normalized spec; ValueError names the offending key, e.g. 'subscriptions.os_messages[0].cpc'."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"{option}: expected a dictionary with at least one of os_messages, jobs, "
                         "object_changes, audit, security, bcpii")
    _check_keys(spec, ("os_messages", "jobs", "object_changes", "audit", "security", "bcpii"), option)
    result = {"os_messages": [], "jobs": False, "object_changes": None, "audit": False, "security": False,
              "bcpii": []}
    exact = []
    if spec.get("os_messages"):
        key = f"{option}.os_messages"
        for index, entry in enumerate(_entries(spec["os_messages"], key)):
            exact.append(None)
            result["os_messages"].append(_os_entry(entry, f"{key}[{index}]", exact))
    result["exact_names"] = ExactNames(exact)
    for flag in ("jobs", "audit", "security"):
        if spec.get(flag) is not None:
            result[flag] = _to_bool(spec[flag], f"{option}.{flag}")
    changes = spec.get("object_changes")
    if changes not in (None, False, "false", "no"):
        result["object_changes"] = _object_changes(changes, f"{option}.object_changes")
    if spec.get("bcpii"):
        key = f"{option}.bcpii"
        result["bcpii"] = [_bcpii_entry(e, f"{key}[{i}]") for i, e in enumerate(_entries(spec["bcpii"], key))]
    if not (result["os_messages"] or result["jobs"] or result["object_changes"] or result["audit"]
            or result["security"] or result["bcpii"]):
        raise ValueError(f"{option}: nothing to subscribe to")
    return result


# -- resolution -------------------------------------------------------------------------------------------


class Resolution:
    """What one session subscribes to.

    topics: {topic name: topic type}; resources: {uri: {uri, name, class, cpc, cpc_uri, topic, status,
    include_refresh}} for every partition/LPAR of an os_messages entry (topic None while its OS does not
    run); object_topic: the session's object topic when needed (emitted or used for inventory adds).
    """

    def __init__(self):
        self.topics = {}
        self.resources = {}
        self.object_topic = None
        self.cpcs = {}

    def resource_for_topic(self, topic):
        for resource in self.resources.values():
            if resource["topic"] == topic:
                return resource
        return None


def _session_topic(client, kind, topics_cache):
    """A per-session topic (object, job, audit, security) from logon or Get Notification Topics."""
    if kind == "object" and client.object_topic:
        return client.object_topic
    if kind == "job" and client.job_topic:
        return client.job_topic
    if topics_cache is None:
        topics_cache = client.get_notification_topics()
    for topic in topics_cache:
        if topic.get("topic-type") == TOPIC_TYPES[kind]:
            return topic["topic-name"]
    raise SubscriptionError(f"the console offers no {TOPIC_TYPES[kind]} topic to this session")


def _select_resources(client, entry, cpc, exact, index):
    """The partitions or LPARs of an entry as the console selects them (its answer is not filtered again)."""
    try:
        found = client.list_resources(cpc["object-uri"], entry["kind"], entry["regex"])
    except HmcError as err:
        if err.status != 400 or exact is not None:
            raise
        option = f"subscriptions.os_messages[{index}].{'partition' if entry['kind'] == 'partition' else 'lpar'}_regex"
        raise SubscriptionError(f"{option}: the console refused the regular expression {entry['regex']!r}: "
                                f"{err.message}") from None
    if exact is None:
        return found
    return [r for r in found if r.get("name") in exact["names"]]


def _check_names(spec, index, entry, selected):
    """SubscriptionError naming exact names the console does not show, at the first resolution; later a warning."""
    exact = _exact_names(spec, index)
    if exact is None:
        return
    found = {r.get("name") for r in selected}
    missing = [name for name in exact["names"] if name not in found]
    if not missing:
        return
    word = RESOURCE_KINDS[entry["kind"]][2]
    text = (f"{exact['option']}: no {word} named {', '.join(repr(n) for n in missing)} on cpc {entry['cpc']!r} "
            "(or no permission)")
    if not spec["exact_names"].confirmed:
        raise SubscriptionError(text)
    LOG.warning("%s: not subscribed until it appears", text)


def _exact_names(spec, index):
    names = spec.get("exact_names")
    return names.per_entry[index] if names is not None and index < len(names.per_entry) else None


def _open_channel(client, resource):
    outcome = client.open_os_message_channel(resource["uri"], include_refresh=resource["include_refresh"],
                                             name=resource["name"])
    if outcome["os_not_running"]:
        LOG.info("OS message channel of %s %s not open: %s", resource["class"], resource["name"], outcome["message"])
    return outcome["topic"]


def open_channels(client, resources, workers=CHANNEL_WORKERS):
    """Open the OS message channels of resources concurrently; sets each resource's topic (None if no OS)."""
    if not resources:
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(resources))) as pool:
        topics = list(pool.map(lambda r: _open_channel(client, r), resources))
    for resource, topic in zip(resources, topics):
        resource["topic"] = topic


def make_resource(raw, kind, cpc_name, cpc_uri, include_refresh):
    """The resource record of a partition/LPAR as the list operations return it."""
    return {
        "uri": raw["object-uri"],
        "name": raw.get("name"),
        "class": kind,
        "cpc": cpc_name,
        "cpc_uri": cpc_uri,
        "status": raw.get("status"),
        "include_refresh": include_refresh,
        "topic": None,
    }


def resolve(client, spec, workers=CHANNEL_WORKERS):
    """Resolve a validated spec for the client's current session (logs on if needed)."""
    res = Resolution()
    topics_cache = None
    wanted = []
    for index, entry in enumerate(spec["os_messages"]):
        cpc = res.cpcs.get(entry["cpc"]) or client.find_cpc(entry["cpc"])
        res.cpcs[entry["cpc"]] = cpc
        selected = _select_resources(client, entry, cpc, _exact_names(spec, index), index)
        _check_names(spec, index, entry, selected)
        if not selected:
            LOG.warning("os_messages entry for cpc %s matches no %s (yet)", entry["cpc"], entry["kind"])
        for raw in selected:
            if raw["object-uri"] not in res.resources:
                resource = make_resource(raw, entry["kind"], entry["cpc"], cpc["object-uri"], entry["include_refresh"])
                res.resources[resource["uri"]] = resource
                wanted.append(resource)
    open_channels(client, wanted, workers)
    for resource in wanted:
        if resource["topic"]:
            res.topics[resource["topic"]] = TOPIC_TYPES["os"]
    if spec["os_messages"] or spec["object_changes"]:
        res.object_topic = _session_topic(client, "object", topics_cache)
        res.topics[res.object_topic] = TOPIC_TYPES["object"]
    for flag, kind in (("jobs", "job"), ("audit", "audit"), ("security", "security")):
        if spec[flag]:
            if kind in ("audit", "security") and topics_cache is None:
                topics_cache = client.get_notification_topics()
            res.topics[_session_topic(client, kind, topics_cache)] = TOPIC_TYPES[kind]
    for entry in spec["bcpii"]:
        topic = register_bcpii(client, entry, res)
        if topic:
            res.topics[topic] = TOPIC_TYPES["bcpii"]
    if spec.get("exact_names") is not None:
        spec["exact_names"].confirmed = True
    return res


def register_bcpii(client, entry, res=None):
    """Create (or re-create, which rebinds this session) the entry's registrations; returns the BCPii topic."""
    cpc = (res.cpcs.get(entry["cpc"]) if res else None) or client.find_cpc(entry["cpc"])
    if res is not None:
        res.cpcs[entry["cpc"]] = cpc
    topic = None
    for target in entry["targets"]:
        for event in entry["events"]:
            created = client.create_bcpii_registration(cpc["object-uri"], target, event, entry["owner_id"],
                                                       permanent=entry["permanent"])
            topic = created["topic"] or topic
    return topic


def matches_new_resource(spec, resource_class, name, cpc_name, client=None, cpc_uri=None):
    """The os_messages entry a newly added partition/LPAR falls under, or None.

    An exact names entry is decided here. A regex entry is the console's to decide: with client (blocking) the
    console's name filter is asked whether it selects the new name on cpc_uri; without, an entry whose pattern
    Python reads is decided with Python's re, and one it cannot read (Java-only syntax) is logged and skipped.
    """
    for index, entry in enumerate(spec["os_messages"]):
        if entry["kind"] != resource_class or entry["cpc"] != cpc_name:
            continue
        exact = _exact_names(spec, index)
        if exact is not None:
            if name in exact["names"]:
                return entry
        elif _console_selects(entry, name, client, cpc_uri):
            return entry
    return None


def _console_selects(entry, name, client, cpc_uri):
    if client is not None and cpc_uri:
        found = client.list_resources(cpc_uri, entry["kind"], entry["regex"])
        return any(item.get("name") == name for item in found)
    try:
        return re.fullmatch(entry["regex"], name or "") is not None
    except re.error:
        LOG.warning("cannot tell whether the new %s %s matches %r without the console", entry["kind"], name,
                    entry["regex"])
        return False
