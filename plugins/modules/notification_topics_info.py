#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: notification_topics_info
short_description: List the notification topics of a console session
version_added: 1.0.0
description:
  - Returns the notification topics of the session (Get Notification Topics) for object, job, audit and security
    notifications, the OS message channels opened in the session and, on a Support Element, the BCPii topic.
  - Topics belong to a session. Pass a session created by M(zhmc.notifications.session) to see the topics that
    the event source will receive; with O(hmc_auth.userid) and O(hmc_auth.password) the module shows the topics
    of a new session of its own.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
options:
  topic_types:
    description: Return only topics of these types. All when empty.
    type: list
    elements: str
    choices:
      - object-notification
      - job-notification
      - audit-notification
      - security-notification
      - os-message-notification
      - bcpii-notification
    default: []
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: The module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: List the OS message topics of the play's session
  zhmc.notifications.notification_topics_info:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    topic_types: [os-message-notification]
  register: os_topics
"""

RETURN = r"""
topics:
  description: The session's topics.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The topic name, to subscribe to as C(/topic/<name>).
      type: str
    type:
      description: The topic type, for example V(os-message-notification).
      type: str
    object_uri:
      description: For an OS message topic, the URI of its partition or LPAR; null otherwise.
      type: str
    include_refresh_messages:
      description: For an OS message topic, whether refresh messages are included; null otherwise.
      type: bool
  sample:
    - {name: HMC1.s1.ob, type: object-notification, object_uri: null, include_refresh_messages: null}
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402

TOPIC_TYPES = ["object-notification", "job-notification", "audit-notification", "security-notification",
               "os-message-notification", "bcpii-notification"]


def perform(task):
    wanted = set(task.params["topic_types"])
    topics = [{"name": topic["topic-name"], "type": topic["topic-type"], "object_uri": topic.get("object-uri"),
               "include_refresh_messages": topic.get("include-refresh-messages")}
              for topic in task.client.get_notification_topics() if not wanted or topic["topic-type"] in wanted]
    return {"changed": False, "topics": topics}


def main():
    HmcTask({"topic_types": {"type": "list", "elements": "str", "choices": TOPIC_TYPES, "default": []}}).run(perform)


if __name__ == "__main__":
    main()
