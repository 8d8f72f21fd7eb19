#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: bcpii_notification_registration_info
short_description: List the BCPii notification registrations of a Support Element
version_added: 1.0.0
description:
  - Returns the BCPii notification registrations held by the Support Element of a CPC, all of them or those of
    one owner, and whether the CPC supports BCPii notifications at all (API feature C(bcpii-notifications)).
  - "ASSUMPTION: the BCPii registration operations are not publicly documented. The collection uses the model
    described in its plugins/module_utils/bcpii_api.py."
author:
  - zhmc.notifications developers (@zhmc-notifications)
extends_documentation_fragment:
  - zhmc.notifications.connection
options:
  cpc_name:
    description: The name of the CPC whose Support Element holds the registrations.
    type: str
    required: true
  owner_id:
    description: Return only the registrations of this owner (exact match).
    type: str
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
- name: Show what the EDA activation registered
  zhmc.notifications.bcpii_notification_registration_info:
    hmc_host: se1.example.com
    hmc_auth: "{{ se_session.hmc_auth }}"
    cpc_name: CPC1
    owner_id: eda-prod
  register: regs

- name: Fail early on a CPC without BCPii notifications
  ansible.builtin.assert:
    that: regs.supported
    fail_msg: "{{ regs.unsupported_reason }}"
"""

RETURN = r"""
supported:
  description: Whether the CPC has the API feature C(bcpii-notifications).
  returned: always
  type: bool
unsupported_reason:
  description: Why the CPC does not support BCPii notifications; null when it does.
  returned: always
  type: str
registrations:
  description: The registrations (empty when not supported).
  returned: always
  type: list
  elements: dict
  contains:
    registration_id:
      description: The console's id of the registration.
      type: str
    target_name:
      description: The target (CPC, partition or LPAR name, or V(*)).
      type: str
    event_name:
      description: The notification type (or V(*)).
      type: str
    owner_id:
      description: The owner.
      type: str
    permanent:
      description: Whether the registration survives a restart of the Support Element.
      type: bool
topic:
  description: The BCPii notification topic of the session used by this task; null when not supported.
  returned: always
  type: str
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402


def perform(task):
    client = task.client
    cpc = client.find_cpc(task.params["cpc_name"])
    reason = client.bcpii_unsupported_reason(cpc["object-uri"], task.params["cpc_name"])
    result = {"changed": False, "supported": reason is None, "unsupported_reason": reason, "registrations": [],
              "topic": None}
    if reason is None:
        owner = task.params["owner_id"]
        registrations, topic = client.list_bcpii_registrations(cpc["object-uri"], owner)
        result.update(topic=topic,
                      registrations=[reg for reg in registrations if owner is None or reg["owner_id"] == owner])
    return result


def main():
    HmcTask({"cpc_name": {"type": "str", "required": True}, "owner_id": {"type": "str"}}).run(perform)


if __name__ == "__main__":
    main()
