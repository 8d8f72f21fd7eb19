#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

DOCUMENTATION = r"""
module: bcpii_notification_registration
short_description: Manage BCPii notification registrations on a Support Element
version_added: 1.0.0
description:
  - Ensures that the Support Element of a CPC has (or does not have) BCPii notification registrations for each
    combination of O(targets) and O(event_names), owned by O(owner_id).
  - Registrations outlive the session that created them. A session receives BCPii notifications for an owner
    once it created or re-created a registration of that owner; the event source does this itself.
  - Needs the API feature C(bcpii-notifications) (SE 2.16.0, API version 4.10); the module fails with a
    message naming the CPC when it is missing.
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
  targets:
    description: Names of the CPC or of its partitions or LPARs whose notifications are wanted; V(*) means all.
    type: list
    elements: str
    required: true
  event_names:
    description: The notification types wanted for each target; V(*) means all.
    type: list
    elements: str
    required: true
    choices: [os-message, status-change, property-change, inventory-change, capacity-record-change,
              job-completion, "*"]
  owner_id:
    description:
      - Names the application the registrations belong to (1 to 64 characters). Only registrations of this
        owner are created, changed or removed.
    type: str
    required: true
  permanent:
    description:
      - Whether the registrations survive a restart of the Support Element. A wanted registration with the
        other value is replaced.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the missing registrations, V(absent) removes those of O(targets) x O(event_names).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove the registrations of O(owner_id) that are not wanted. Permanent ones
        and those of other owners are never purged.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Reports the registrations that would be created and removed.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The registrations of O(owner_id) before and after.
"""

EXAMPLES = r"""
- name: Receive OS messages and status changes of two LPARs through BCPii
  zhmc.notifications.bcpii_notification_registration:
    hmc_host: se1.example.com
    hmc_auth: "{{ se_session.hmc_auth }}"
    cpc_name: CPC1
    targets: [LP01, LP02]
    event_names: [os-message, status-change]
    owner_id: eda-prod
    purge: true

- name: Stop receiving anything for LP02
  zhmc.notifications.bcpii_notification_registration:
    hmc_host: se1.example.com
    hmc_auth: "{{ se_session.hmc_auth }}"
    cpc_name: CPC1
    targets: [LP02]
    event_names: [os-message, status-change]
    owner_id: eda-prod
    state: absent
"""

RETURN = r"""
registrations:
  description: The registrations of O(owner_id) after the task (as predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    registration_id:
      description: The console's id of the registration (null for one that check mode would create).
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
created:
  description: The registrations created (to be created, in check mode); same keys as RV(registrations).
  returned: always
  type: list
  elements: dict
deleted:
  description: The registrations removed (to be removed, in check mode); same keys as RV(registrations).
  returned: always
  type: list
  elements: dict
topic:
  description: The BCPii notification topic of the session used by this task.
  returned: always
  type: str
"""

from ansible_collections.zhmc.notifications.plugins.module_utils import bcpii_api  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import HmcTask  # noqa: E402


def key(registration):
    return registration["target_name"], registration["event_name"]


def plan(existing, wanted, permanent, state, purge):
    """(registrations to delete, (target, event) pairs to create) for this owner's existing registrations."""
    by_key = {key(reg): reg for reg in existing}
    if state == "absent":
        return [reg for reg in existing if key(reg) in wanted], []
    delete = [reg for reg in existing if key(reg) in wanted and reg["permanent"] != permanent]
    if purge:
        delete += [reg for reg in existing if key(reg) not in wanted and not reg["permanent"]]
    create = sorted(pair for pair in wanted if pair not in by_key or by_key[pair]["permanent"] != permanent)
    return delete, create


def diff_view(registrations):
    """One readable line per registration, e.g. "LP01 os-message permanent"."""
    lines = [f"{reg['target_name']} {reg['event_name']}{' permanent' if reg['permanent'] else ''}"
             for reg in registrations]
    return {"registrations": sorted(lines)}


def perform(task):
    params = task.params
    client = task.client
    owner = params["owner_id"]
    if not 1 <= len(owner) <= 64:
        task.fail(f"owner_id must have 1 to 64 characters, got {len(owner)}")
    cpc = client.find_cpc(params["cpc_name"])
    unsupported = client.bcpii_unsupported_reason(cpc["object-uri"], params["cpc_name"])
    if unsupported:
        task.fail(unsupported)
    registrations, topic = client.list_bcpii_registrations(cpc["object-uri"], owner)
    existing = [reg for reg in registrations if reg["owner_id"] == owner]
    wanted = {(target, event) for target in params["targets"] for event in params["event_names"]}
    delete, create = plan(existing, wanted, params["permanent"], params["state"], params["purge"])

    created = []
    for reg in delete:
        if not task.check_mode:
            client.delete_bcpii_registration(cpc["object-uri"], reg["registration_id"])
    for target, event in create:
        registration_id = None
        if not task.check_mode:
            outcome = client.create_bcpii_registration(cpc["object-uri"], target, event, owner, params["permanent"])
            registration_id, topic = outcome["registration_id"], outcome["topic"] or topic
        created.append({"registration_id": registration_id, "target_name": target, "event_name": event,
                        "owner_id": owner, "permanent": params["permanent"]})

    deleted_ids = {reg["registration_id"] for reg in delete}
    after = [reg for reg in existing if reg["registration_id"] not in deleted_ids] + created
    return {
        "changed": bool(delete or create),
        "registrations": after,
        "created": created,
        "deleted": delete,
        "topic": topic,
        "diff": {"before": diff_view(existing), "after": diff_view(after)},
    }


def main():
    HmcTask(
        {
            "cpc_name": {"type": "str", "required": True},
            "targets": {"type": "list", "elements": "str", "required": True},
            "event_names": {"type": "list", "elements": "str", "required": True,
                            "choices": list(bcpii_api.EVENT_NAMES)},
            "owner_id": {"type": "str", "required": True},
            "permanent": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "purge": {"type": "bool", "default": False},
        },
    ).run(perform)


if __name__ == "__main__":
    main()
