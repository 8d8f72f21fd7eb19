#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: resource_action
short_description: Start or stop a partition, activate or deactivate an LPAR, through a console job
version_added: 0.1.0
description:
  - Starts or stops a partition (DPM) or activates or deactivates an LPAR (classic mode) through the console's
    WS API. The console runs the operation as an asynchronous job; the module returns its URI.
  - The remediation playbooks of this collection use it to restart a system that entered an unacceptable status.
    They start the job in a session of their own with O(wait=false) and wait for the job completion and the
    status change with M(zhmc.notifications.wait_for_notification), so that the job completion notification
    (which the console sends to the session that started the job only) reaches them.
  - Idempotent by status. A partition that is already active is not started again, an LPAR that is already
    operating is not activated again, and so on; then no job is started and the module reports no change.
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
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the job with O(wait=true) before failing.
    type: int
    default: 600
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

ACTIONS = {
    # action -> (resource class, client method, statuses in which the action has nothing to do, target status)
    "start": ("partition", "start_partition", ("active", "degraded"), "active"),
    "stop": ("partition", "stop_partition", ("stopped",), "stopped"),
    "activate": ("logical-partition", "activate_lpar", ("operating",), "operating"),
    "deactivate": ("logical-partition", "deactivate_lpar", ("not-activated",), "not-activated"),
}
POLL_SECONDS = 2


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
        task.fail(f"the {task.params['action']} job for {name!r} failed: {detail}", job_uri=job_uri, job=result,
                  changed=True)
    return result


def perform(task):
    action = task.params["action"]
    wanted_class, method, done_statuses, target = ACTIONS[action]
    uri, kind, props = locate_guest(task)
    name = props.get("name")
    if kind != wanted_class:
        task.fail(f"action {action} applies to a {wanted_class}, but {name!r} is a {kind}")
    before = props.get("status")
    result = {"changed": False, "resource": {"uri": uri, "name": name, "class": kind}, "status_before": before,
              "job_uri": None, "diff": {"before": {"status": before}, "after": {"status": before}}}
    if before in done_statuses:
        return result
    result["changed"] = True
    result["diff"]["after"] = {"status": target}
    if task.check_mode:
        return result
    result["job_uri"] = getattr(task.client, method)(uri, name=name)
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
        },
        **GUEST_RULES,
    ).run(perform)


if __name__ == "__main__":
    main()
