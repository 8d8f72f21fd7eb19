#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: resource_info
short_description: Return the status, properties and recent OS messages of a partition or LPAR
version_added: 1.0.0
description:
  - Reads the properties of a partition (DPM) or LPAR (classic mode), among them its C(status) and C(os-name),
    and optionally its recent operating system messages (List OS Messages), for example to record diagnostics
    before a remediation or to look at what a system wrote around an event.
  - OS messages are returned in the layout of the C(os_message) section of the events of the source
    C(zhmc.notifications.hmc) (code, reply id, text, held ...), so the same expressions work on both.
  - List OS Messages needs neither an OS message channel nor a broker connection. The console keeps a bounded
    history of messages per system; when the operating system does not run (for example a stopped partition)
    it has none to give, which the module reports in RV(os_messages_unavailable) instead of failing.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
  - zhmc.notifications.guest
options:
  os_messages:
    description:
      - How many of the most recent OS messages to return; V(0) returns none (and does not ask the console)
        unless O(os_messages_from) is set.
      - With O(os_messages_from), the most recent O(os_messages) of the messages from that sequence number on.
    type: int
    default: 0
  os_messages_from:
    description:
      - Return the OS messages from this sequence number on (all the console still has, or the last
        O(os_messages) of them when that is positive).
      - Pass RV(last_sequence_number) + 1 of an earlier run to get only what is new since then.
    type: int
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - Message sequence numbers may wrap around; the messages are returned in the console's order.
"""

EXAMPLES = r"""
- name: Status and the last 50 OS messages of the system an event is about
  zhmc.notifications.resource_info:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
    uri: "{{ ansible_eda.event.hmc.resource.uri }}"
    os_messages: 50
  register: system

- name: Show them
  ansible.builtin.debug:
    msg: "{{ system.resource.name }} is {{ system.status }}; last message:
      {{ (system.os_messages | last | default({})).text | default('-') }}"

- name: Only the OS messages written since the last look
  zhmc.notifications.resource_info:
    hmc_host: "{{ hmc_host }}"
    hmc_auth: "{{ hmc_auth }}"
    cpc_name: CPC2
    name: LP01
    os_messages_from: "{{ system.last_sequence_number + 1 }}"
  register: newer
"""

RETURN = r"""
resource:
  description: The partition or LPAR, named as in the C(resource) section of events.
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
    cpc:
      description: The name of its CPC (null when the CPC cannot be read with this user's permissions).
      type: str
status:
  description: The C(status) property, for example V(active), V(stopped), V(operating) or V(not-activated).
  returned: always
  type: str
  sample: stopped
properties:
  description: All properties as the console returns them (WS API names, for example C(os-name)).
  returned: always
  type: dict
os_messages:
  description:
    - The OS messages asked for, oldest first, each as the C(os_message) section of a source event.
    - Empty when none were asked for or the console has none to give (see RV(os_messages_unavailable)).
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: The z/OS message id (for example V(IEF238D)), null when the text has none.
      type: str
    reply_id:
      description: The reply id of a held z/OS message.
      type: str
    action:
      description: Whether the message is an action message (C(*) or C(@) before the code).
      type: bool
    text:
      description: The message text without trailing newlines.
      type: str
    sequence_number:
      description: The message's sequence number.
      type: int
    message_id:
      description: The console's message id (the reply id of a held message).
      type: str
    held:
      description: Whether the message waits for a reply.
      type: bool
    priority:
      description: Whether it is a priority message.
      type: bool
    sound_alarm:
      description: Whether the message sounds the alarm.
      type: bool
    prompt:
      description: The prompt text.
      type: str
    os_name:
      description: The name of the operating system that wrote the message.
      type: str
    refresh:
      description: Whether the console re-sent it as a refresh of a held message.
      type: bool
    time:
      description: When it was written (ISO 8601, UTC), null when the console does not know.
      type: str
  sample:
    - {code: IEF238D, reply_id: "05", action: true, held: true, sequence_number: 17, message_id: "05",
       text: "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", priority: false, sound_alarm: true,
       prompt: "", os_name: ZOS1, refresh: false, time: "2026-03-02T08:15:01.250Z"}
last_sequence_number:
  description: The sequence number of the newest message in RV(os_messages); null when it is empty.
  returned: always
  type: int
os_messages_unavailable:
  description: Why the console gave no OS messages (its message), for example because the operating system
    does not run; null when it gave them or none were asked for.
  returned: always
  type: str
"""

from ansible_collections.zhmc.notifications.plugins.module_utils import normalizer  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import (  # noqa: E402
    OS_NOT_RUNNING_REASON,
    object_id,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import (  # noqa: E402
    GUEST_OPTIONS,
    GUEST_RULES,
    HmcTask,
    locate_guest,
)


def cpc_name_of(task, props):
    """The CPC's name: as given, else read from the parent CPC (None when this user may not read it)."""
    if task.params["cpc_name"]:
        return task.params["cpc_name"]
    parent = props.get("parent")
    if not parent:
        return None
    try:
        return task.client.get_properties(parent).get("name")
    except HmcError as err:
        if err.status in (403, 404):
            return None
        raise


def recent_messages(task, resource):
    """(messages as os_message sections, why there are none or None)."""
    params = task.params
    count, begin = params["os_messages"], params["os_messages_from"]
    if count <= 0 and begin is None:
        return [], None
    try:
        raw = task.client.list_os_messages(resource["uri"], begin=begin, name=resource["name"])
    except HmcError as err:
        if err.status == 409 and err.reason == OS_NOT_RUNNING_REASON:
            return [], err.message
        raise
    entries = [entry for entry in (raw or {}).get("os-messages") or [] if isinstance(entry, dict)]
    if count > 0:
        entries = entries[-count:]
    if not entries:
        return [], None
    headers = {"object-uri": resource["uri"], "object-id": object_id(resource["uri"]), "class": resource["class"],
               "name": resource["name"], "cpc-name": resource["cpc"]}
    events = normalizer.normalize_os_messages(headers, entries, console={"host": task.client.host, "type": "hmc"})
    messages = [event["hmc"]["os_message"] for event in events if event["hmc"]["type"] == "os-message"]
    if len(messages) < len(entries):
        task.warn(f"{len(entries) - len(messages)} OS message(s) of {resource['name']!r} could not be read and "
                  "are left out")
    return messages, None


def perform(task):
    if task.params["os_messages"] < 0:
        task.fail(f"os_messages must be 0 or more, got {task.params['os_messages']}")
    uri, kind, props = locate_guest(task)
    resource = {"uri": uri, "name": props.get("name"), "class": kind, "cpc": cpc_name_of(task, props)}
    messages, unavailable = recent_messages(task, resource)
    numbers = [message["sequence_number"] for message in messages if message["sequence_number"] is not None]
    return {"changed": False, "resource": resource, "status": props.get("status"), "properties": props,
            "os_messages": messages, "last_sequence_number": numbers[-1] if numbers else None,
            "os_messages_unavailable": unavailable}


def main():
    HmcTask(
        {
            **GUEST_OPTIONS,
            "os_messages": {"type": "int", "default": 0},
            "os_messages_from": {"type": "int"},
        },
        **GUEST_RULES,
    ).run(perform)


if __name__ == "__main__":
    main()
