# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where and how BCPii notification registrations are managed: the one place that knows the URIs and bodies.

ASSUMPTION: IBM has not published the BCPii registration operations. This mapping follows the model that
hmcsim documents (tools/hmcsim/README.md, "BCPii notification registration model"): registrations live under
``{cpc-uri}/operations/bcpii-notification-registrations`` on the Support Element. When the real operations
become known, only this file should need to change.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

FEATURE = "bcpii-notifications"
"""API feature a CPC (SE 2.16.0, API 4.10) must have for BCPii notifications."""

EVENT_NAMES = (
    "os-message",
    "status-change",
    "property-change",
    "inventory-change",
    "capacity-record-change",
    "job-completion",
    "*",
)
ALL = "*"
"""Wildcard for target-name and event-name."""

FEATURE_MISSING_REASON = 350
"""409 reason: the CPC does not have the API feature bcpii-notifications."""


def registrations_uri(cpc_uri):
    """Collection URI of a CPC's registrations (list with GET, create with POST)."""
    return f"{cpc_uri}/operations/bcpii-notification-registrations"


def registration_uri(cpc_uri, registration_id):
    """URI of one registration (GET, DELETE)."""
    return f"{registrations_uri(cpc_uri)}/{registration_id}"


def list_params(owner_id=None):
    """Query parameters of the list operation (owner-id is an exact match)."""
    return {"owner-id": owner_id} if owner_id else None


def create_body(target_name, event_name, owner_id, permanent=False):
    """Request body of the create operation."""
    return {"target-name": target_name, "event-name": event_name, "owner-id": owner_id, "permanent": permanent}


def to_registration(raw):
    """A console registration as the snake_case dict that modules return."""
    return {
        "registration_id": raw.get("registration-id"),
        "target_name": raw.get("target-name"),
        "event_name": raw.get("event-name"),
        "owner_id": raw.get("owner-id"),
        "permanent": bool(raw.get("permanent", False)),
    }
