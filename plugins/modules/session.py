#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: session
short_description: Create or end a console session that later tasks and the event source reuse
version_added: 1.0.0
description:
  - With O(state=present), logs on to the console (HMC or SE) and returns the session so that later tasks pass
    it as their O(hmc_auth) and O(hmc_host). One session then serves the whole play.
  - Notification topics, such as OS message channels opened by M(zhmc.notifications.os_message_channel), belong
    to the session that created them. Reuse the session returned here to keep them, and hand it to the event
    source so that it receives them.
  - With O(state=absent), logs off the session given in O(hmc_auth.session_id).
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
options:
  state:
    description:
      - V(present) logs on with O(hmc_auth.userid) and O(hmc_auth.password) and returns the new session.
      - V(absent) logs off the session O(hmc_auth.session_id). A session that is no longer valid is accepted.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - With O(state=present) the module logs on in check mode too, because later tasks in check mode need the
        session to read the console. A session is not configuration, so this is not reported as a change.
      - With O(state=absent) check mode reports whether the session would be logged off and does not do it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - The result of O(state=present) contains the session id and credential. The module's action plugin hides that
    result from the output and from callbacks at every verbosity, also on a task without C(no_log), while the
    registered variable keeps the real values. Do not print the registered variable (for example with
    M(ansible.builtin.debug)); a failed logon stays visible, its message holds no secret.
  - End the session with O(state=absent) when done, because consoles limit the number of sessions.
"""

EXAMPLES = r"""
- name: Log on once for the whole play
  zhmc.notifications.session:
    hmc_host: hmc1.example.com
    hmc_auth:
      userid: "{{ hmc_userid }}"
      password: "{{ hmc_password }}"
      ca_certs: /etc/pki/hmc-ca.pem
  register: hmc_session

- name: Use the session in another task
  zhmc.notifications.notification_topics_info:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"

- name: Log off at the end
  zhmc.notifications.session:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    state: absent
"""

RETURN = r"""
hmc_host:
  description:
    - The console the session lives on (one of O(hmc_host)), as C(host:port). Pass it to later tasks.
    - Null with O(state=absent).
  returned: always
  type: str
  sample: hmc1.example.com:6794
hmc_auth:
  description:
    - The session, ready to pass as O(hmc_auth) of later tasks and of the event source.
    - With O(state=absent) the same keys with null values, to overwrite the variable.
  returned: always
  type: dict
  contains:
    session_id:
      description: The session id (a secret).
      type: str
    session_credential:
      description: The session credential for the notification broker (a secret).
      type: str
    ca_certs:
      description: O(hmc_auth.ca_certs) as given.
      type: str
    verify:
      description: O(hmc_auth.verify) as given.
      type: bool
api_version:
  description: The console's WS API version as C(major.minor).
  returned: when O(state=present)
  type: str
  sample: "4.10"
object_topic:
  description: The session's topic for object notifications (property, status and inventory changes).
  returned: when O(state=present)
  type: str
job_topic:
  description: The session's topic for job completion notifications.
  returned: when O(state=present)
  type: str
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402


def logon(task):
    auth = task.params["hmc_auth"]
    if auth["session_id"]:
        task.fail("state=present creates a new session: give hmc_auth.userid and password, not session_id")
    task.client.logon()
    task.keep_session()
    client = task.client
    return {
        "changed": False,
        "hmc_host": client.host,
        "hmc_auth": {"session_id": client.session_id, "session_credential": client.session_credential,
                     "ca_certs": auth["ca_certs"], "verify": auth["verify"]},
        "api_version": ".".join(str(part) for part in client.api_version),
        "object_topic": client.object_topic,
        "job_topic": client.job_topic,
    }


def logoff(task):
    if not task.params["hmc_auth"]["session_id"]:
        task.fail("state=absent needs the session to end in hmc_auth.session_id")
    changed = True if task.check_mode else task.client.logoff()
    return {"changed": changed, "hmc_host": None,
            "hmc_auth": {"session_id": None, "session_credential": None, "ca_certs": None, "verify": None}}


def perform(task):
    return logon(task) if task.params["state"] == "present" else logoff(task)


def main():
    HmcTask({"state": {"type": "str", "choices": ["present", "absent"], "default": "present"}}).run(perform)


if __name__ == "__main__":
    main()
