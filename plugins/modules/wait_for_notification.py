#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: wait_for_notification
short_description: Wait for console notifications that match conditions
version_added: 1.0.0
description:
  - Subscribes to console notifications (the same O(subscriptions) as the event source), waits until O(count)
    notifications match O(conditions) or O(timeout) passes, and returns them as normalized events
    (see docs/events.md).
  - Notifications are seen from the moment the subscriptions are in effect (the broker confirmed them). Two
    kinds of conditions describe a state, not only a change, and are also checked against the console right
    after that, so that a wait started after the action cannot miss what the action already caused
    (O(current_state)).
  - C(job_uri) in O(conditions) with C(jobs) in O(subscriptions) - the job is queried (Query Job Status);
    when it already completed, the result holds a job-completion event built like the source's, with
    C(job.status), C(job.status_code), C(job.reason_code) and C(job.results) filled. The job URI names the job, so
    C(names), C(classes), C(cpcs) and C(uris) are not applied to this event and its C(resource) is empty (Query
    Job Status does not say which resource a job acted on).
  - C(status) with C(names), C(uris) or C(cpcs) in O(conditions), with C(status-change) among the
    C(object_changes) of O(subscriptions) - the status of every partition and LPAR (of the C(classes) given)
    that the conditions name is read; one that already has a wanted status gives a status-change event built
    like the source's with C(status.new) the current status and C(status.old) null.
  - Such events carry C(hmc.current_state=true) (notifications do not have the key) and come first. A
    notification that repeats what the current state reported (the completion of the same job, or the first
    status-change of that resource to the same status) is not counted again.
  - Other conditions (OS messages, log entries, other notification types) only match notifications; subscribe
    to OS messages with refresh messages to see held messages that are still outstanding.
  - A job completion is only sent to the session that started the job. Start the job with a session from
    M(zhmc.notifications.session) and wait in the same session (O(hmc_auth.session_id)).
  - Reconnects like the event source when the connection drops while waiting.
  - O(timeout) bounds the whole task. A console or broker that does not answer in that time (for example a
    broker port that accepts connections but never completes the TLS handshake or the login) fails the task
    with a message naming it, also with O(fail_on_timeout=false) - that option is about notifications that
    did not come, not about a wait that never began.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
options:
  subscriptions:
    description: What to receive; the keys os_messages, jobs, object_changes, audit, security and bcpii as for
      the event source (docs/source.md).
    type: dict
    required: true
  conditions:
    description:
      - Conditions on the normalized event; all given ones must hold, a list means any of its values.
      - C(types) notification types, C(classes) resource classes, C(names) regular expressions on the resource
        name, C(status) new status values of status-change events, C(message_codes) z/OS message code
        patterns (shell style, or regular expressions with the prefix C(re:)), C(text) a regular expression
        searched in the OS message text or log entry message, C(job_uri) the job of a job-completion.
      - C(cpcs) exact names of the CPCs the resource belongs to, C(uris) exact object URIs of the resource. A
        partition or LPAR name is unique only within its CPC - name the CPC or, better, the URI (for example
        C(event.hmc.resource.uri)) to wait for one system. Object notifications do not carry the CPC, so for
        C(cpcs) the CPC of a partition or LPAR is read once (its parent) and filled into C(resource.cpc).
    type: dict
    default: {}
  count:
    description: How many matching notifications to wait for.
    type: int
    default: 1
  timeout:
    description: Seconds the whole task takes at most (connecting and subscribing included).
    type: float
    default: 300
  fail_on_timeout:
    description: Fail when fewer than O(count) notifications matched in time; with V(false) return C(found=false).
    type: bool
    default: true
  stomp_port:
    description: Port of the console's STOMP over TLS endpoint.
    type: int
    default: 61612
  heartbeat:
    description: STOMP heart-beat interval in seconds (0 disables).
    type: float
    default: 30
  include_raw:
    description: Add the raw headers and body to each returned event.
    type: bool
    default: false
  current_state:
    description:
      - Check the current state for job and status conditions after subscribing (see the description).
      - With V(false) only notifications count, for example to wait for the next change to a status the
        resource has now.
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Only reads; runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Log on (the job completion goes to the session that started the job)
  zhmc.notifications.session:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
  register: hmc_session
  no_log: true

- name: Stop PART1
  zhmc.notifications.resource_action:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    cpc_name: CPC1
    name: PART1
    action: stop
    wait: false
  register: stop_job

- name: Wait for the job, also when it completed before the wait began
  zhmc.notifications.wait_for_notification:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    subscriptions: {jobs: true}
    conditions: {job_uri: "{{ stop_job.job_uri }}"}
    timeout: 600
  register: stop_done
  when: stop_job.job_uri is not none

- name: Wait until PART1 is stopped (at once when it is)
  zhmc.notifications.wait_for_notification:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    subscriptions:
      object_changes: {types: [status-change], classes: [partition]}
    conditions: {names: [PART1], status: [stopped]}
    timeout: 600

- name: Wait for the reply request of a z/OS job
  zhmc.notifications.wait_for_notification:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
    subscriptions:
      os_messages: [{cpc: CPC2, lpars: [LP01], include_refresh: true}]
    conditions: {message_codes: [IEF238D], text: "JOB1"}
    timeout: 120
  register: held
"""

RETURN = r"""
found:
  description: Whether O(count) matching notifications arrived in time.
  returned: always
  type: bool
events:
  description:
    - The matching notifications as normalized events (at most O(count)), in arrival order; events from the
      current state first, with C(hmc.current_state=true).
  returned: always
  type: list
  elements: dict
  sample: [{hmc: {type: os-message, os_message: {code: IEF238D, reply_id: "05"}}, meta: {uuid: "..."}}]
waited:
  description: Seconds waited.
  returned: always
  type: float
"""

import asyncio  # noqa: E402
import copy  # noqa: E402
import functools  # noqa: E402
import time  # noqa: E402

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.abandonable_threads import (  # noqa: E402
    AbandonableThreads,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.connection import (  # noqa: E402
    check_broker_login,
    receiver_timeouts,
    reject_unknown,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import EventMatcher  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.event_pipeline import (  # noqa: E402
    NotificationStream,
    StreamFailed,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import object_id  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import (  # noqa: E402
    Receiver,
    ReceiverError,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.resource_conditions import (  # noqa: E402
    ResourcePlace,
)

CONDITION_KEYS = ("types", "classes", "names", "cpcs", "uris", "status", "message_codes", "text", "job_uri")
GUEST_CLASSES = ("partition", "logical-partition")
JOB_ENDED = ("complete", "canceled")
RECEIVER_CONNECT_TIMEOUT = 30.0


class NotReached(Exception):
    """The console or its broker did not answer before the task's timeout: the wait never began."""


def matcher_of(conditions):
    """The EventMatcher of the conditions option (all but cpcs and uris: see place_of); ValueError naming a bad
    key."""
    reject_unknown(conditions, CONDITION_KEYS, "conditions")
    return EventMatcher(types=conditions.get("types"), classes=conditions.get("classes"),
                        names=conditions.get("names"), message_codes=conditions.get("message_codes"),
                        statuses=conditions.get("status"), text=conditions.get("text"),
                        job_uri=conditions.get("job_uri"), option="conditions")


def place_of(conditions):
    """The cpcs and uris conditions."""
    return ResourcePlace(conditions.get("cpcs"), conditions.get("uris"))


# -- the current state ---------------------------------------------------------------------------------------


def _from_state(headers, body, console):
    """An event built by the normalizer like the source's, marked as coming from the current state."""
    headers = dict(headers, timestamp=str(int(time.time() * 1000)))
    event = normalizer.normalize(headers, body, console=console)[0]
    event["hmc"]["current_state"] = True
    return event


def job_event(job_uri, job, console):
    """The job-completion event of a job that Query Job Status reports ended (job section filled)."""
    return _from_state({"notification-type": "job-completion", "job-uri": job_uri}, job, console)


def status_event(resource, props, console):
    """A status-change event saying that a partition or LPAR has its current status (old status unknown)."""
    uri = resource["object-uri"]
    headers = {"notification-type": "status-change", "object-uri": uri, "object-id": object_id(uri),
               "class": resource["kind"], "name": props.get("name") or resource.get("name"),
               "cpc-name": resource.get("cpc-name")}
    report = {"old-status": None, "new-status": props.get("status"),
              "has-unacceptable-status": props.get("has-unacceptable-status")}
    return _from_state(headers, {"change-reports": [report]}, console)


def job_check(spec, matcher):
    """Whether the job condition is checked against Query Job Status: a job uri, job notifications subscribed."""
    return bool(matcher.job_uri) and spec["jobs"] and (not matcher.types or "job-completion" in matcher.types)


def status_check_classes(spec, matcher, place=None):
    """The classes (partition, logical-partition) whose current status the conditions ask about, or []."""
    changes = spec["object_changes"]
    place = place or ResourcePlace()
    if not (matcher.statuses and (matcher.names or not place.empty) and changes
            and "status-change" in changes["types"]):
        return []
    if matcher.types and "status-change" not in matcher.types:
        return []
    return [kind for kind in GUEST_CLASSES if (not matcher.classes or kind in matcher.classes)
            and (not changes["classes"] or kind in changes["classes"])]


def named_guests(client, kind, matcher, place=None):
    """Partitions or LPARs of every CPC the user may see that the names, cpcs and uris conditions name (with
    cpc-name)."""
    try:
        items = client.list_permitted(kind)
    except HmcError as err:
        if err.status != 404:
            raise
        items = []  # a console before HMC 2.14: walk the CPCs
        for cpc in client.list_cpcs():
            if client.cpc_guest_kind(cpc) == kind:
                items.extend(dict(item, **{"cpc-name": cpc.get("name")})
                             for item in client.list_resources(cpc["object-uri"], kind))
    place = place or ResourcePlace()
    return [dict(item, kind=kind) for item in items
            if (not matcher.names or any(match(item.get("name") or "") for match in matcher.names))
            and place.holds_for_item(item.get("object-uri"), item.get("cpc-name"))]


def current_state_events(client, spec, matcher, console, place=None):
    """The events the console's current state already satisfies (blocking calls; run after subscribing)."""
    events = []
    if job_check(spec, matcher):
        job = client.query_job(matcher.job_uri)
        if job.get("status") in JOB_ENDED:
            event = job_event(matcher.job_uri, job, console)
            # The job uri names the job; the resource of the event is unknown, so names and classes do not apply.
            unnamed = copy.copy(matcher)
            unnamed.names, unnamed.classes = [], frozenset()
            if unnamed.accept(event):
                events.append(event)
    for kind in status_check_classes(spec, matcher, place):
        for resource in named_guests(client, kind, matcher, place):
            event = status_event(resource, client.get_properties(resource["object-uri"]), console)
            if matcher.accept(event):
                events.append(event)
    return events


class Collector:
    """Counts matching events; a notification repeating what the current state reported is not counted twice."""

    def __init__(self, matcher, count, place=None, client=None):
        self.matcher = matcher
        self.count = count
        self.place = place or ResourcePlace()
        self.client = client  # reads the CPC of a resource for a cpcs condition
        self.found = []
        self.enough = asyncio.Event()
        self._jobs = set()
        self._statuses = {}

    def add(self, event):
        if len(self.found) < self.count:
            self.found.append(event)
            if len(self.found) >= self.count:
                self.enough.set()

    def add_current(self, events):
        for event in events:
            hmc = event["hmc"]
            if hmc["type"] == "job-completion":
                self._jobs.add(hmc["job"]["uri"])
            else:
                self._statuses[hmc["resource"]["uri"]] = hmc["status"]["new"]
            self.add(event)

    def repeats_current_state(self, hmc):
        kind = hmc.get("type")
        if kind == "job-completion":
            return (hmc.get("job") or {}).get("uri") in self._jobs
        if kind == "status-change" and not hmc.get("recovered"):
            uri = (hmc.get("resource") or {}).get("uri")
            if uri in self._statuses:
                return self._statuses.pop(uri) == (hmc.get("status") or {}).get("new")
        return False

    async def take(self, event):
        if len(self.found) >= self.count or self.repeats_current_state(event.get("hmc") or {}):
            return
        if self.matcher.accept(event) and await self.in_place(event):
            self.add(event)

    async def in_place(self, event):
        """The cpcs and uris conditions; the CPC of a partition or LPAR is read when the event does not say it."""
        resource = (event.get("hmc") or {}).get("resource") or {}
        verdict = self.place.decide(resource)
        if verdict is None:
            loop = asyncio.get_running_loop()
            resource["cpc"] = await loop.run_in_executor(None, self.place.cpc_of, self.client, resource["uri"])
            verdict = resource["cpc"] in self.place.cpcs
        return verdict


class Progress:
    """How far the stream got, to say what did not answer when the time is up before the wait began."""

    def __init__(self):
        self.receiver = None
        self.subscribed = False
        self.state_checked = False

    def receiver_factory(self, limit):
        """A Receiver factory for NotificationStream that remembers the connection and bounds its connect and
        receipt waits by limit seconds (the task's timeout), whatever hmc_timeouts says."""
        def make(*args, **kwargs):
            for key in ("connect_timeout", "receipt_timeout"):
                if key in kwargs or key == "connect_timeout":
                    kwargs[key] = min(kwargs.get(key, RECEIVER_CONNECT_TIMEOUT), limit)
            self.receiver = Receiver(*args, **kwargs)
            return self.receiver
        return make

    def not_reached(self, client, timeout):
        """NotReached naming what did not answer, or None when the wait was under way."""
        console = client.host or ", ".join(client.hosts)
        if not self.subscribed:
            if self.receiver is None:
                return NotReached(f"the console at {console} did not answer within {timeout}s (logon and "
                                  "resolving the subscriptions)")
            return NotReached(f"the STOMP broker at {self.receiver.where} did not answer within {timeout}s "
                              "(TLS handshake, login or subscription receipt)")
        if not self.state_checked:
            return NotReached(f"the console at {console} did not answer within {timeout}s (reading the current "
                              "state)")
        return None


async def collect(client, options, matcher, place, count, timeout, userid, password, current_state=True):
    """Run a NotificationStream until count events matched or timeout; returns the matching events. NotReached
    when the console or broker did not answer in time (the blocking calls are abandoned then: see
    abandonable_threads)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(AbandonableThreads())
    collector = Collector(matcher, count, place=place, client=client)
    progress = Progress()
    options = dict(options)

    async def subscribed(stream):
        progress.subscribed = True
        if current_state:
            collector.add_current(await loop.run_in_executor(None, functools.partial(
                current_state_events, client, stream.spec, matcher, stream.console, place)))
        progress.state_checked = True

    options["on_subscribed"] = subscribed
    stream = NotificationStream(client, options, collector.take, userid=userid, password=password,
                                receiver_factory=progress.receiver_factory(timeout))
    runner = asyncio.ensure_future(stream.run())
    waiter = asyncio.ensure_future(collector.enough.wait())
    await asyncio.wait({runner, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in (runner, waiter):
        task.cancel()
    await asyncio.gather(runner, waiter, return_exceptions=True)
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        raise runner.exception()
    if not collector.enough.is_set():
        failure = progress.not_reached(client, timeout)
        if failure is not None:
            raise failure
    return collector.found


def perform(task):
    params = task.params
    auth = params["hmc_auth"]
    try:
        check_broker_login(auth)
        spec = subs.validate(params["subscriptions"])
        matcher = matcher_of(params["conditions"] or {})
        place = place_of(params["conditions"] or {})
    except ValueError as err:
        task.fail(str(err))
    if params["count"] < 1 or params["timeout"] <= 0 or params["heartbeat"] < 0:
        task.fail("count must be at least 1, timeout positive and heartbeat not negative")
    options = {"subscriptions": spec, "stomp_port": params["stomp_port"], "ca_certs": auth["ca_certs"],
               "verify": auth["verify"], "heartbeat": params["heartbeat"], "include_raw": params["include_raw"],
               "job_status": True, "accept": None, "bcpii_heartbeat": 0,
               "receiver_timeouts": receiver_timeouts(params["hmc_timeouts"])}
    started = time.monotonic()
    try:
        events = asyncio.run(collect(task.client, options, matcher, place, params["count"], params["timeout"],
                                     auth["userid"], auth["password"], current_state=params["current_state"]))
    except NotReached as err:
        task.fail(f"Cannot wait for notifications: {err}", found=False, events=[],
                  waited=round(time.monotonic() - started, 3))
    except (ReceiverError, StreamFailed) as err:
        task.fail(f"Receiving notifications failed: {err}", found=False, events=[],
                  waited=round(time.monotonic() - started, 3))
    except subs.SubscriptionError as err:
        task.fail(str(err))
    waited = round(time.monotonic() - started, 3)
    found = len(events) >= params["count"]
    if not found and params["fail_on_timeout"]:
        task.fail(f"Timed out after {params['timeout']}s: {len(events)} of {params['count']} matching "
                  f"notification(s) arrived", events=events, found=False, waited=waited)
    return {"changed": False, "found": found, "events": events, "waited": waited}


def main():
    HmcTask(
        {
            "subscriptions": {"type": "dict", "required": True},
            "conditions": {"type": "dict", "default": {}},
            "count": {"type": "int", "default": 1},
            "timeout": {"type": "float", "default": 300},
            "fail_on_timeout": {"type": "bool", "default": True},
            "stomp_port": {"type": "int", "default": 61612},
            "heartbeat": {"type": "float", "default": 30},
            "include_raw": {"type": "bool", "default": False},
            "current_state": {"type": "bool", "default": True},
        },
    ).run(perform)


if __name__ == "__main__":
    main()
