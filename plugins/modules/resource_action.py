#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: resource_action
short_description: Start or stop a partition, activate or deactivate an LPAR, through a console job
version_added: 1.0.0
description:
  - Starts or stops a partition (DPM) or activates or deactivates an LPAR (classic mode) through the console's
    WS API. The console runs the operation as an asynchronous job; the module returns its URI.
  - The remediation playbooks of this collection use it to restart a system that entered an unacceptable status.
    They start the job in a session of their own with O(wait=false) and wait for the job completion and the
    status change with M(zhmc.notifications.wait_for_notification), so that the job completion notification
    (which the console sends to the session that started the job only) reaches them.
  - Idempotent by status. A partition that is already active is not started again, an LPAR that is already
    operating is not activated again, and so on; then no job is started and the module reports no change.
  - Also while a partition changes its status. One that is C(starting) when asked to start (or C(stopping) when
    asked to stop) is on its way - no job is started and the module reports no change; with O(wait=true) it
    waits, up to O(wait_timeout), until the partition reached the status (and fails when it ends up in another
    one). One that is changing the other way (C(stopping) when asked to start, C(starting) when asked to stop)
    fails with a message naming the status - run the task again once that change is over.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
  - zhmc.notifications.guest
options:
  action:
    description:
      - V(start) and V(stop) apply to partitions, V(activate) and V(deactivate) to LPARs.
    type: str
    required: true
    choices: [start, stop, activate, deactivate]
  wait:
    description:
      - Whether to wait until the job completes, by querying its status. The module fails when the job fails.
      - With V(false) the module returns once the console accepted the job.
      - For a partition that is already on its way to the wanted status, whether to wait until it is there.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the job (or for a partition on its way) with O(wait=true) before failing.
    type: int
    default: 600
  force:
    description:
      - For V(activate) and V(deactivate), sent to the console as C(force). Without it the console refuses to
        deactivate an LPAR that is C(operating) (or to activate one that became C(operating) meanwhile). It
        accepts the job and then fails it with HTTP status 500, reason code 263, and the LPAR keeps its status.
        With O(wait=true) the module then fails with a message that says to set O(force=true).
      - V(true) on V(deactivate) stops the operating system that runs in the LPAR, without shutting it down;
        on V(activate) of an LPAR that is operating by the time the job runs, it activates the LPAR again,
        which also ends its operating system. Shut the operating system down first where that matters.
      - An LPAR that is C(not-operating) (no operating system runs) is deactivated without force.
      - The console's Start and Stop Partition have no force; V(true) with V(start) or V(stop) is an error.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - Reads the current status and reports whether a job would be started, without starting it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - The status before and the status the action leads to.
"""

EXAMPLES = r"""
- name: Start the partition named in an event and wait for the job
  zhmc.notifications.resource_action:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
    uri: "{{ ansible_eda.event.hmc.resource.uri }}"
    action: start

- name: Activate an LPAR without waiting
  zhmc.notifications.resource_action:
    hmc_host: hmc1.example.com
    hmc_auth:
      userid: "{{ hmc_userid }}"
      password: "{{ hmc_password }}"
    cpc_name: CPC1
    name: LP41
    action: activate
    wait: false
  register: activation

- name: Deactivate an operating LPAR (this stops the operating system that runs in it)
  zhmc.notifications.resource_action:
    hmc_host: hmc1.example.com
    hmc_auth:
      userid: "{{ hmc_userid }}"
      password: "{{ hmc_password }}"
    cpc_name: CPC1
    name: LP41
    action: deactivate
    force: true
"""

RETURN = r"""
resource:
  description: The partition or LPAR acted on.
  returned: always
  type: dict
  contains:
    uri:
      description: Its object URI.
      type: str
    name:
      description: Its name.
      type: str
    class:
      description: V(partition) or V(logical-partition).
      type: str
status_before:
  description: The status of the resource before the action.
  returned: always
  type: str
  sample: stopped
status_after:
  description:
    - The status once a partition that was on its way (C(starting), C(stopping)) got there, with O(wait=true).
  returned: when the module waited for a partition on its way
  type: str
  sample: active
job_uri:
  description: The URI of the job the console started; null when nothing was done (or in check mode).
  returned: always
  type: str
  sample: /api/jobs/8a4e6c1e-3b1f-4a5e-9d0e-1c2b3a4d5e6f
job:
  description: The final job status with O(wait=true).
  returned: when a job was started and waited for
  type: dict
  contains:
    status:
      description: The job status, V(complete) or V(canceled).
      type: str
    status_code:
      description: The HTTP status code of the operation (200 when it succeeded).
      type: int
    reason_code:
      description: The console's reason code when the operation failed.
      type: int
    results:
      description: The job results (with a C(message) when the operation failed).
      type: dict
"""

import time  # noqa: E402

from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import (  # noqa: E402
    GUEST_OPTIONS,
    GUEST_RULES,
    HmcTask,
    locate_guest,
)


class Action:
    """What one action does: to which class, with which client method, and which statuses mean what for it."""

    def __init__(self, resource_class, method, done, target, toward=(), away=(), forceable=False):
        self.resource_class = resource_class
        self.method = method
        self.forceable = forceable  # whether the console's operation takes force (and refuses without it)
        self.done = done        # statuses in which there is nothing to do
        self.target = target    # the status the action leads to
        self.toward = toward    # transitional statuses on the way to done: nothing to start, maybe to wait for
        self.away = away        # transitional statuses on the way elsewhere: the action cannot start now


ACTIONS = {
    "start": Action("partition", "start_partition", ("active", "degraded"), "active", ("starting",), ("stopping",)),
    "stop": Action("partition", "stop_partition", ("stopped",), "stopped", ("stopping",), ("starting",)),
    "activate": Action("logical-partition", "activate_lpar", ("operating",), "operating", forceable=True),
    "deactivate": Action("logical-partition", "deactivate_lpar", ("not-activated",), "not-activated",
                         forceable=True),
}
POLL_SECONDS = 2
FORCE_REQUIRED = 263
"""The job-reason-code with which the console fails an LPAR operation that it performs only with force."""


def wait_for_status(task, uri, name, action, before):
    """Poll the status of a partition on its way (before is one of action.toward) until it is in action.done;
    fail when it leaves the way for another status or wait_timeout passes."""
    timeout = task.params["wait_timeout"]
    deadline = time.monotonic() + timeout
    status = before
    while status not in action.done:
        if status not in action.toward:
            task.fail(f"{name!r} was {before} and is now {status!r}, not {action.target}", changed=False,
                      status_before=before, status_after=status, job_uri=None)
        if time.monotonic() >= deadline:
            task.fail(f"{name!r} is still {status} after {timeout} seconds, not {action.target}", changed=False,
                      status_before=before, status_after=status, job_uri=None)
        time.sleep(POLL_SECONDS)
        status = task.client.get_properties(uri).get("status")
    return status


def wait_for_job(task, job_uri, name):
    """Poll Query Job Status until the job ends; fail on timeout or when the operation failed."""
    deadline = time.monotonic() + task.params["wait_timeout"]
    while True:
        job = task.client.query_job(job_uri)
        if job.get("status") in ("complete", "canceled"):
            break
        if time.monotonic() >= deadline:
            task.fail(f"the {task.params['action']} job for {name!r} did not complete within "
                      f"{task.params['wait_timeout']} seconds", job_uri=job_uri, changed=True)
        time.sleep(POLL_SECONDS)
    result = {"status": job.get("status"), "status_code": job.get("job-status-code"),
              "reason_code": job.get("job-reason-code"), "results": job.get("job-results")}
    code = result["status_code"] or 0
    if result["status"] != "complete" or code >= 400:
        detail = (result["results"] or {}).get("message") or f"status {result['status']}, code {code}"
        task.fail(f"the {task.params['action']} job for {name!r} failed: {detail}{force_hint(task, result)}",
                  job_uri=job_uri, job=result, changed=True)
    return result


def force_hint(task, job):
    """What to do about a job the console failed for want of force; empty for any other failure."""
    action_name = task.params["action"]
    if job["reason_code"] != FORCE_REQUIRED or task.params["force"] or not ACTIONS[action_name].forceable:
        return ""
    return (f" (reason {FORCE_REQUIRED}: the console does not {action_name} an operating LPAR without force; "
            f"set force: true to {action_name} it anyway, which stops the operating system that runs in it)")


def perform(task):
    action_name = task.params["action"]
    action = ACTIONS[action_name]
    if task.params["force"] and not action.forceable:
        task.fail(f"force applies to activate and deactivate (LPARs) only: the console's {action_name} of a "
                  f"partition takes no force")
    uri, kind, props = locate_guest(task)
    name = props.get("name")
    if kind != action.resource_class:
        task.fail(f"action {action_name} applies to a {action.resource_class}, but {name!r} is a {kind}")
    before = props.get("status")
    result = {"changed": False, "resource": {"uri": uri, "name": name, "class": kind}, "status_before": before,
              "job_uri": None, "diff": {"before": {"status": before}, "after": {"status": before}}}
    if before in action.done:
        return result
    if before in action.away:
        task.fail(f"cannot {action_name} {name!r} while it is {before}: run the task again once it is no longer "
                  f"{before}", changed=False, resource=result["resource"], status_before=before, job_uri=None)
    result["diff"]["after"] = {"status": action.target}
    if before in action.toward:
        # On its way already: a job would fail (HTTP 409) and is not needed.
        if task.params["wait"] and not task.check_mode:
            result["status_after"] = wait_for_status(task, uri, name, action, before)
        return result
    result["changed"] = True
    if task.check_mode:
        return result
    force = {"force": task.params["force"]} if action.forceable else {}
    result["job_uri"] = getattr(task.client, action.method)(uri, name=name, **force)
    if task.params["wait"]:
        result["job"] = wait_for_job(task, result["job_uri"], name)
    return result


def main():
    HmcTask(
        {
            "action": {"type": "str", "required": True, "choices": sorted(ACTIONS)},
            **GUEST_OPTIONS,
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 600},
            "force": {"type": "bool", "default": False},
        },
        **GUEST_RULES,
    ).run(perform)


if __name__ == "__main__":
    main()
