"""Pure parts of the module base and of the modules' planning logic."""

from ansible_collections.zhmc.notifications.plugins.module_utils.module_base import (
    connection_argument_spec,
    guest_kind,
    resource_type_of,
    scrub,
)
from ansible_collections.zhmc.notifications.plugins.modules.bcpii_notification_registration import diff_view, plan


def test_scrub_masks_secrets_anywhere_in_a_result():
    result = {"msg": "session S3CR3T failed", "items": [{"text": "pw=hunter2"}, ("S3CR3T",), 5, None, True]}
    assert scrub(result, ["S3CR3T", "hunter2"]) == {
        "msg": "session ******** failed", "items": [{"text": "pw=********"}, ["********"], 5, None, True]}


def test_connection_spec_hides_every_secret_and_offers_env_fallbacks():
    spec = connection_argument_spec()
    auth = spec["hmc_auth"]["options"]
    assert {name for name, option in auth.items() if option.get("no_log")} == {
        "password", "session_id", "session_credential"}
    assert spec["hmc_host"]["fallback"][1] == ["ZHMC_HOST"]
    assert {name: option["fallback"][1][0] for name, option in auth.items() if "fallback" in option} == {
        "userid": "ZHMC_USERID", "password": "ZHMC_PASSWORD", "ca_certs": "ZHMC_CA_CERTS", "verify": "ZHMC_VERIFY"}
    assert spec["hmc_auth"]["apply_defaults"], "fallbacks must apply when hmc_auth is left out"


def test_resource_types_map_to_client_kinds_and_back():
    assert guest_kind("auto") is None
    assert guest_kind("lpar") == "logical-partition"
    assert resource_type_of(guest_kind("partition")) == "partition"
    assert resource_type_of("logical-partition") == "lpar"


def reg(target, event, permanent=False, rid=None):
    return {"registration_id": rid or f"{target}/{event}", "target_name": target, "event_name": event,
            "owner_id": "eda", "permanent": permanent}


def test_plan_present_creates_what_is_missing_and_keeps_the_rest():
    existing = [reg("LP01", "os-message"), reg("LP09", "os-message")]
    delete, create = plan(existing, {("LP01", "os-message"), ("LP02", "os-message")}, False, "present", False)
    assert delete == []
    assert create == [("LP02", "os-message")]


def test_plan_purge_spares_permanent_registrations():
    existing = [reg("LP01", "os-message"), reg("LP09", "os-message"), reg("*", "*", permanent=True)]
    delete, create = plan(existing, {("LP01", "os-message")}, False, "present", True)
    assert [r["target_name"] for r in delete] == ["LP09"]
    assert create == []


def test_plan_replaces_a_registration_whose_permanence_differs():
    existing = [reg("LP01", "os-message")]
    delete, create = plan(existing, {("LP01", "os-message")}, True, "present", False)
    assert delete == existing
    assert create == [("LP01", "os-message")]


def test_plan_absent_removes_only_the_named_ones_even_permanent():
    existing = [reg("LP01", "os-message", permanent=True), reg("LP02", "os-message")]
    delete, create = plan(existing, {("LP01", "os-message"), ("LP03", "os-message")}, False, "absent", False)
    assert [r["target_name"] for r in delete] == ["LP01"]
    assert create == []


def test_diff_view_is_sorted_lines():
    view = diff_view([reg("LP02", "os-message"), reg("*", "*", permanent=True)])
    assert view == {"registrations": ["* * permanent", "LP02 os-message"]}
