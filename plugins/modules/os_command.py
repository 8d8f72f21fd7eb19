#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: os_command
short_description: Send an operating system command to a partition or LPAR and optionally wait for its answer
version_added: 1.0.0
description:
  - Sends a command to the operating system of a partition (DPM) or LPAR (classic mode) through the console
    (Send OS Command), for example a z/OS operator command or a reply to a held message (WTOR).
  - O(reply_id) and O(reply) build the z/OS reply command C(R nn,text) for you.
  - With O(wait_for) the module waits until the operating system writes a message matching that regular
    expression, and returns the messages seen. It reads them with List OS Messages, starting after the last
    message that existed when the command was sent, so no OS message channel and no broker connection is
    needed.
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
  - zhmc.notifications.guest
options:
  command:
    description:
      - The command text, sent as is. It must be one line - text with a control character (a line break, a tab
        ...) fails the task before anything is sent.
    type: str
  reply_id:
    description:
      - The reply id of a held z/OS message (one to four digits, for example V("05")). Sends C(R <reply_id>,<reply>).
      - The whole value must be those digits; anything else (a blank, a line break) fails the task.
    type: str
  reply:
    description:
      - The reply text for O(reply_id), sent as is. Enclose it in apostrophes yourself when z/OS requires that
        (for example when it contains blanks or commas). Like O(command) it must not contain control characters.
    type: str
  priority:
    description: Send the command as a priority command.
    type: bool
    default: false
  wait_for:
    description:
      - A regular expression (Python syntax) searched in the text of each new OS message. When set, the module
        waits for the first matching message and fails if none arrives within O(wait_timeout).
    type: str
  wait_timeout:
    description: How many seconds to wait for O(wait_for).
    type: int
    default: 60
  wait_interval:
    description: How many seconds to pause between two reads of the OS messages while waiting.
    type: float
    default: 1.0
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: The command is not sent; the module reports that it would be and checks that the target exists.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - Set C(no_log) on the task when the command or the reply contains a secret.
  - Once the console accepted the command the task reports C(changed=true) and C(sent=true), also when it fails
    afterwards (for example while reading the OS messages for O(wait_for)); do not send the command again
    without looking at what it did.
  - Message sequence numbers wrapping around while waiting are not handled; such a wait ends with a timeout.
  - With O(uri) the command is sent without looking the partition or LPAR up first (two requests fewer, the
    way the held message responder answers a WTOR); a URI the console does not know fails the task with the
    console's error, and nothing is sent.
"""

EXAMPLES = r"""
- name: Display the time on z/OS
  zhmc.notifications.os_command:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    cpc_name: CPC2
    name: LP01
    command: D T
    wait_for: "IEE136I"
    wait_timeout: 30
  register: time_display

- name: Reply U to the held message of an event (the event names the system by its URI)
  zhmc.notifications.os_command:
    hmc_host: "{{ hmc_session.hmc_host }}"
    hmc_auth: "{{ hmc_session.hmc_auth }}"
    uri: "{{ ansible_eda.event.hmc.resource.uri }}"
    reply_id: "{{ ansible_eda.event.hmc.os_message.reply_id }}"
    reply: U
"""

RETURN = r"""
command:
  description: The command text that was sent (or would be, in check mode).
  returned: always
  type: str
  sample: R 05,U
sent:
  description:
    - Whether the console accepted the command (false in check mode).
    - Also returned when the task fails; true means the command was sent before the failure.
  returned: always
  type: bool
messages:
  description: The OS messages that arrived after the command was sent, in order, while waiting.
  returned: when O(wait_for) is set
  type: list
  elements: dict
  contains:
    sequence_number:
      description: The message's sequence number.
      type: int
    message_id:
      description: The message id (the reply id of a held message).
      type: str
    text:
      description: The message text without trailing newlines.
      type: str
    held:
      description: Whether the message waits for a reply.
      type: bool
    priority:
      description: Whether it is a priority message.
      type: bool
matched:
  description: The first message whose text matches O(wait_for) (same keys as the elements of RV(messages)).
  returned: when O(wait_for) is set
  type: dict
"""

import re  # noqa: E402
import time  # noqa: E402

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import describe  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import (  # noqa: E402
    GUEST_OPTIONS,
    GUEST_RULES,
    HmcTask,
    checked_uri_kind,
    guest_kind,
    locate_guest,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.os_command_text import (  # noqa: E402
    command_text,
)


def compile_wait_for(task):
    try:
        return re.compile(task.params["wait_for"])
    except re.error as err:
        task.fail(f"wait_for is not a valid regular expression: {err}")


def as_message(raw):
    return {"sequence_number": raw.get("sequence-number"), "message_id": raw.get("message-id"),
            "text": (raw.get("message-text") or "").rstrip("\r\n"), "held": bool(raw.get("is-held")),
            "priority": bool(raw.get("is-priority"))}


def last_sequence_number(client, guest):
    """The highest sequence number the partition or LPAR has produced so far (-1 for none)."""
    messages = client.list_os_messages(guest["object-uri"], name=guest["name"])["os-messages"]
    return max((message["sequence-number"] for message in messages), default=-1)


def wait_for_message(task, guest, pattern, after, seen):
    """Poll List OS Messages from sequence number after+1 until a message matches or the time is up; the
    messages read are appended to seen as they come, so that they are reported also when a later read fails."""
    params = task.params
    deadline = time.monotonic() + params["wait_timeout"]
    while True:
        new = task.client.list_os_messages(guest["object-uri"], begin=after + 1, name=guest["name"])["os-messages"]
        for raw in sorted(new, key=lambda message: message["sequence-number"]):
            after = max(after, raw["sequence-number"])
            message = as_message(raw)
            seen.append(message)
            if pattern.search(message["text"]):
                return message
        if time.monotonic() >= deadline:
            return None
        time.sleep(params["wait_interval"])


def target(task):
    """{"object-uri", "name"} of the partition or LPAR to send to. A given uri is taken as it is (a reply to a
    held message one look-up sooner; the console refuses a URI it does not know), except in check mode, which
    sends nothing and so must check that the target exists."""
    params = task.params
    if params["uri"] and not task.check_mode:
        checked_uri_kind(task)
        return {"object-uri": params["uri"], "name": None}
    if params["uri"]:
        uri, _kind, properties = locate_guest(task)
        return {"object-uri": uri, "name": properties.get("name")}
    return task.client.select_guests(params["cpc_name"], guest_kind(params["resource_type"]), [params["name"]])[0]


def perform(task):
    params = task.params
    try:
        text = command_text(params["command"], params["reply_id"], params["reply"])
    except ValueError as err:
        task.fail(str(err), changed=False, sent=False)
    pattern = compile_wait_for(task) if params["wait_for"] is not None else None
    client = task.client
    guest = target(task)
    result = {"changed": True, "command": text, "sent": False}
    if task.check_mode:
        return result
    after = last_sequence_number(client, guest) if pattern else None
    try:
        client.send_os_command(guest["object-uri"], text, priority=params["priority"], name=guest["name"])
    except HmcError as err:
        task.fail(task.explain(err), **result)  # sent false: the console did not take it
    result["sent"] = True
    if pattern:
        messages = []
        try:
            matched = wait_for_message(task, guest, pattern, after, messages)
        except HmcError as err:
            # The command is out: say so, so that a retry does not send it a second time.
            task.fail(f"The command was sent to {describe(guest['object-uri'], guest['name'])}, but reading the "
                      f"OS messages that followed it failed: {err}", messages=messages, matched=None, **result)
        result.update(messages=messages, matched=matched)
        if matched is None:
            task.fail(f"No OS message of {describe(guest['object-uri'], guest['name'])} matched "
                      f"{params['wait_for']!r} within {params['wait_timeout']} seconds after the command", **result)
    return result


def main():
    HmcTask(
        {
            **GUEST_OPTIONS,
            "command": {"type": "str"},
            "reply_id": {"type": "str"},
            "reply": {"type": "str"},
            "priority": {"type": "bool", "default": False},
            "wait_for": {"type": "str"},
            "wait_timeout": {"type": "int", "default": 60},
            "wait_interval": {"type": "float", "default": 1.0},
        },
        mutually_exclusive=[("command", "reply_id"), *GUEST_RULES["mutually_exclusive"]],
        required_one_of=[("command", "reply_id"), *GUEST_RULES["required_one_of"]],
        required_together=[("reply_id", "reply"), *GUEST_RULES["required_together"]],
    ).run(perform)


if __name__ == "__main__":
    main()
