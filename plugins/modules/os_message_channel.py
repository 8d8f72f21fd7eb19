#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: os_message_channel
short_description: Ensure the OS message channels of partitions or LPARs are open in a session
version_added: 1.0.0
description:
  - Opens the operating system message channel of each selected partition (DPM) or LPAR (classic mode), so
    that the session receives the operating system's console messages as notifications, and returns the
    notification topic of each channel.
  - Channels belong to the session that opened them and close when it ends. Use a session created by
    M(zhmc.notifications.session) and give the same session to the event source; with O(hmc_auth.userid) and
    O(hmc_auth.password) the channels close again when this task logs off (the module warns about this).
  - A channel that is already open in the session is reported with C(already_open) and does not count as a
    change. A partition or LPAR whose operating system is not running or does not support messages is
    reported with C(os_not_running) and does not fail the task.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
options:
  cpc_name:
    description: The name of the CPC the partitions or LPARs belong to.
    type: str
    required: true
  names:
    description: The exact names of the partitions or LPARs. Each must exist.
    type: list
    elements: str
  name_regex:
    description:
      - A regular expression that the whole name of a partition or LPAR must match. The console evaluates it, in
        its own (Java) syntax - for example V(PROD\\p{Digit}+) or V(\\QLP.1\\E) - and its selection is taken as it
        is; a pattern the console refuses fails the task naming it. See docs/source.md for the syntax.
      - Matching nothing is not an error; the module warns.
    type: str
  resource_type:
    description:
      - V(partition) for partitions of a CPC in DPM mode, V(lpar) for LPARs of a CPC in classic mode.
      - V(auto) takes the type from the mode of the CPC.
    type: str
    choices: [auto, partition, lpar]
    default: auto
  include_refresh_messages:
    description: Whether the channel also delivers refresh messages (the console re-sending held messages).
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - Reports which channels would be opened, by looking at the session's open topics and at the status of each
        partition or LPAR; one whose status says that no operating system runs (partitions other than active or
        degraded, LPARs other than operating or exceptions) is predicted as C(os_not_running), as the console
        would refuse it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The names of the partitions or LPARs with an open channel, before and after.
"""

EXAMPLES = r"""
- name: Open the OS message channels of the production LPARs in the play's session
  zhmc.notifications.os_message_channel:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    cpc_name: CPC1
    name_regex: "PROD.*"
  register: channels

- name: Show the topics to subscribe to
  ansible.builtin.debug:
    msg: "{{ channels.topics }}"

- name: Open the channel of one partition
  zhmc.notifications.os_message_channel:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    cpc_name: DPMCPC
    names: [LINUX01]
    resource_type: partition
    include_refresh_messages: false
"""

RETURN = r"""
topics:
  description: The notification topics of the open channels (unknown ones in check mode are left out).
  returned: always
  type: list
  elements: str
  sample: ["2.1.os.0a1b2c3d"]
channels:
  description: One entry per selected partition or LPAR.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The partition or LPAR name.
      type: str
    cpc:
      description: The CPC name.
      type: str
    resource_type:
      description: V(partition) or V(lpar).
      type: str
    uri:
      description: The object URI of the partition or LPAR.
      type: str
    topic:
      description: The notification topic of the channel; null when it is not open (or not yet, in check mode).
      type: str
    opened:
      description: Whether this task opened the channel (would open it, in check mode).
      type: bool
    already_open:
      description: Whether the channel was open in this session before.
      type: bool
    os_not_running:
      description: Whether the console refused because the operating system does not run or support messages.
      type: bool
    message:
      description: The console's message for an already open channel or a refused one; empty otherwise.
      type: str
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import (  # noqa: E402
    OS_MESSAGE_TOPIC,
    object_id,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import (  # noqa: E402
    RESOURCE_TYPE_OPTION,
    HmcTask,
    guest_kind,
    resource_type_of,
)


def open_topics(client):
    """object id -> topic name of the OS message channels open in this session."""
    return {object_id(topic["object-uri"]): topic["topic-name"] for topic in client.get_notification_topics()
            if topic.get("topic-type") == OS_MESSAGE_TOPIC and topic.get("object-uri")}


OS_RUNNING_STATUSES = {"partition": ("active", "degraded"), "logical-partition": ("operating", "exceptions")}
"""Statuses in which a partition or LPAR runs an operating system; in any other the console refuses to open the
channel (HTTP 409 reason 332)."""


def predict(client, known_topics, guest):
    """What opening would do, without opening (check mode), given the session's open channels and the status."""
    topic = known_topics.get(object_id(guest["object-uri"]))
    if topic is not None:
        return {"topic": topic, "opened": False, "already_open": True, "os_not_running": False, "message": ""}
    status = guest.get("status") or client.get_properties(guest["object-uri"]).get("status")
    if status not in OS_RUNNING_STATUSES.get(guest["kind"], ()):
        return {"topic": None, "opened": False, "already_open": False, "os_not_running": True,
                "message": f"status {status!r}: the operating system does not run (predicted in check mode)"}
    return {"topic": None, "opened": True, "already_open": False, "os_not_running": False, "message": ""}


def perform(task):
    params = task.params
    client = task.client
    if not params["hmc_auth"]["session_id"]:
        task.warn("This task logs on and off by itself, so the channels it opens close when it ends: create a "
                  "session with zhmc.notifications.session and pass its hmc_auth to keep them")
    try:  # the console evaluates name_regex (Java syntax); Python's re is not asked, it reads Java differently
        guests = client.select_guests(params["cpc_name"], guest_kind(params["resource_type"]), params["names"],
                                      params["name_regex"])
    except HmcError as err:
        if err.status != 400 or params["name_regex"] is None:
            raise
        task.fail(f"name_regex: the console refused the regular expression {params['name_regex']!r}: {err.message}")
    if not guests:
        task.warn(f"No partition or LPAR of cpc {params['cpc_name']!r} matches {params['name_regex']!r}")
    known_topics = open_topics(client) if task.check_mode else None
    channels = []
    for guest in guests:
        if task.check_mode:
            outcome = predict(client, known_topics, guest)
        else:
            outcome = client.open_os_message_channel(guest["object-uri"], params["include_refresh_messages"],
                                                     name=guest["name"])
        channels.append(dict(outcome, name=guest["name"], cpc=guest["cpc-name"], uri=guest["object-uri"],
                             resource_type=resource_type_of(guest["kind"])))
    return {
        "changed": any(channel["opened"] for channel in channels),
        "topics": [channel["topic"] for channel in channels if channel["topic"]],
        "channels": channels,
        "diff": {"before": {"open": sorted(c["name"] for c in channels if c["already_open"])},
                 "after": {"open": sorted(c["name"] for c in channels if c["already_open"] or c["opened"])}},
    }


def main():
    HmcTask(
        {
            "cpc_name": {"type": "str", "required": True},
            "names": {"type": "list", "elements": "str"},
            "name_regex": {"type": "str"},
            "resource_type": RESOURCE_TYPE_OPTION,
            "include_refresh_messages": {"type": "bool", "default": True},
        },
        mutually_exclusive=[("names", "name_regex")],
        required_one_of=[("names", "name_regex")],
    ).run(perform)


if __name__ == "__main__":
    main()
