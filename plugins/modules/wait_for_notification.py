#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: wait_for_notification
short_description: Wait for console notifications that match conditions
version_added: 0.1.0
description:
  - Subscribes to console notifications (the same O(subscriptions) as the event source), waits until O(count)
    notifications match O(conditions) or O(timeout) passes, and returns them as normalized events
    (see docs/events.md).
  - Only notifications that arrive after the subscription is made are seen. Start the wait before the action
    that causes the notification (for example with C(async)), or subscribe to OS messages with refresh
    messages to see held messages that are still outstanding.
  - Reconnects like the event source when the connection drops while waiting.
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
    type: dict
    default: {}
  count:
    description: How many matching notifications to wait for.
    type: int
    default: 1
  timeout:
    description: Seconds to wait at most.
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
- name: Start waiting for PART1 to stop (in the background)
  zhmc.notifications.wait_for_notification:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
    subscriptions:
      object_changes: {types: [status-change], classes: [partition]}
    conditions: {names: [PART1], status: [stopped]}
    timeout: 600
  async: 660
  poll: 0
  register: waiting

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
  description: The matching notifications as normalized events (at most O(count)), in arrival order.
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
import time  # noqa: E402

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import EventMatcher  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.event_pipeline import (  # noqa: E402
    NotificationStream,
    StreamFailed,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import ReceiverError  # noqa: E402

CONDITION_KEYS = ("types", "classes", "names", "status", "message_codes", "text", "job_uri")


def matcher_of(conditions):
    unknown = sorted(set(conditions) - set(CONDITION_KEYS))
    if unknown:
        raise ValueError(f"conditions: unknown key(s) {', '.join(unknown)}; expected {', '.join(CONDITION_KEYS)}")
    return EventMatcher(types=conditions.get("types"), classes=conditions.get("classes"),
                        names=conditions.get("names"), message_codes=conditions.get("message_codes"),
                        statuses=conditions.get("status"), text=conditions.get("text"),
                        job_uri=conditions.get("job_uri"), option="conditions")


async def collect(client, options, matcher, count, timeout, userid, password):
    """Run a NotificationStream until count events matched or timeout; returns the matching events."""
    found = []
    enough = asyncio.Event()

    async def take(event):
        if len(found) < count and matcher.accept(event):
            found.append(event)
            if len(found) >= count:
                enough.set()

    stream = NotificationStream(client, options, take, userid=userid, password=password)
    runner = asyncio.ensure_future(stream.run())
    waiter = asyncio.ensure_future(enough.wait())
    await asyncio.wait({runner, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in (runner, waiter):
        task.cancel()
    await asyncio.gather(runner, waiter, return_exceptions=True)
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        raise runner.exception()
    return found


def perform(task):
    params = task.params
    auth = params["hmc_auth"]
    try:
        spec = subs.validate(params["subscriptions"])
        matcher = matcher_of(params["conditions"] or {})
    except ValueError as err:
        task.fail(str(err))
    if params["count"] < 1 or params["timeout"] <= 0 or params["heartbeat"] < 0:
        task.fail("count must be at least 1, timeout positive and heartbeat not negative")
    options = {"subscriptions": spec, "stomp_port": params["stomp_port"], "ca_certs": auth["ca_certs"],
               "verify": auth["verify"], "heartbeat": params["heartbeat"], "include_raw": params["include_raw"],
               "job_status": True, "accept": None, "bcpii_heartbeat": 0}
    started = time.monotonic()
    try:
        events = asyncio.run(collect(task.client, options, matcher, params["count"], params["timeout"],
                                     auth["userid"], auth["password"]))
    except (ReceiverError, StreamFailed) as err:
        task.fail(f"Receiving notifications failed: {err}")
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
        },
    ).run(perform)


if __name__ == "__main__":
    main()
