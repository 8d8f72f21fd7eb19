"""Parsing and validation of hmc_host / hmc_auth, as modules and the event source see them."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.connection import (
    apply_env_fallbacks,
    client_options,
    parse_hmc_auth,
    parse_hmc_host,
    to_bool,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("hmc1", ["hmc1:6794"]),
    ("hmc1:1234", ["hmc1:1234"]),
    (" hmc1 , hmc2:7000 ", ["hmc1:6794", "hmc2:7000"]),
    (["10.0.0.1", "10.0.0.2:6795"], ["10.0.0.1:6794", "10.0.0.2:6795"]),
    ("[fd00::1]:6794", ["[fd00::1]:6794"]),
    ("[fd00::1]", ["[fd00::1]:6794"]),
    ("fd00::1", ["[fd00::1]:6794"]),
])
def test_hosts_are_normalized_to_host_and_port(value, expected):
    assert parse_hmc_host(value) == expected


@pytest.mark.parametrize(("value", "fragment"), [
    ("", "required"),
    (None, "required"),
    ([], "required"),
    ("hmc1:0", "invalid port"),
    ("hmc1:99999", "invalid port"),
    ("hmc1:https", "invalid port"),
    ("https://hmc1", "expected 'host' or 'host:port'"),
    ("[fd00::1", "malformed IPv6"),
    (":6794", "missing host name"),
    ([7], "expected a string"),
    (7, "expected a string or a list"),
])
def test_bad_hosts_name_the_option(value, fragment):
    with pytest.raises(ValueError, match="hmc_host") as info:
        parse_hmc_host(value)
    assert fragment in str(info.value)


def test_auth_from_the_source_coerces_strings_and_empty_fields():
    auth = parse_hmc_auth({"userid": "op", "password": "pw", "session_id": "", "session_credential": "",
                           "ca_certs": "", "verify": "no"})
    assert auth == {"userid": "op", "password": "pw", "session_id": None, "session_credential": None,
                    "ca_certs": None, "verify": False}


def test_auth_verify_defaults_to_true_when_unset():
    assert parse_hmc_auth({"userid": "op", "password": "pw", "verify": ""})["verify"] is True
    assert parse_hmc_auth({"session_id": "s"})["verify"] is True


@pytest.mark.parametrize(("auth", "message"), [
    ({"userid": "op", "password": "pw", "verify": "maybe"}, "hmc_auth.verify: expected a boolean, got 'maybe'"),
    ({"userid": "op"}, "hmc_auth.password: required together with hmc_auth.userid"),
    ({"password": "pw"}, "hmc_auth.userid: required together with hmc_auth.password"),
    ({}, "hmc_auth: give userid and password"),
    ({"session_credential": "c"}, "hmc_auth: give userid and password"),
    ({"userid": "op", "password": "pw", "colour": "red"}, "hmc_auth: unknown key(s) colour"),
    # YAML gives integer keys too: they are named like the others (sorting them with strings used to raise).
    ({"userid": "op", "password": "pw", 1: "x", "colour": "red"}, "hmc_auth: unknown key(s) 1, colour; expected"),
    ({"userid": 5, "password": "pw"}, "hmc_auth.userid: expected a string, got int"),
    ({"userid": "op", "password": "pw", "ca_certs": "/no/such/ca.pem"}, "hmc_auth.ca_certs: no such file"),
    ("op:pw", "hmc_auth: expected a dictionary, got str"),
])
def test_bad_auth_names_the_option(auth, message):
    with pytest.raises(ValueError) as info:
        parse_hmc_auth(auth)
    assert message in str(info.value)


def test_ca_certs_is_not_checked_when_verification_is_off():
    assert parse_hmc_auth({"session_id": "s", "ca_certs": "/no/such", "verify": False})["ca_certs"] == "/no/such"


def test_ca_certs_may_be_a_directory(tmp_path):
    assert parse_hmc_auth({"session_id": "s", "ca_certs": str(tmp_path)})["ca_certs"] == str(tmp_path)


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("TRUE", True), ("off", False), ("1", True), (0, False), (None, True), ("", True),
])
def test_to_bool(value, expected):
    assert to_bool(value, "opt", default=True) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 1.0, [True]])
def test_to_bool_rejects_other_values(value):
    with pytest.raises(ValueError, match=r"^opt: expected a boolean"):
        to_bool(value, "opt", default=True)


def test_env_fallbacks_fill_only_unset_fields():
    environ = {"ZHMC_HOST": "hmc9", "ZHMC_USERID": "envuser", "ZHMC_PASSWORD": "envpw", "ZHMC_VERIFY": "false",
               "ZHMC_CA_CERTS": "/etc/ca.pem"}
    host, auth = apply_env_fallbacks("", {"userid": "me", "password": "", "verify": ""}, environ)
    assert host == "hmc9"
    assert auth == {"userid": "me", "password": "envpw", "verify": "false", "ca_certs": "/etc/ca.pem"}
    host, auth = apply_env_fallbacks("hmc1", None, {})
    assert (host, auth) == ("hmc1", {})


def test_client_options_combine_both_options():
    options = client_options("hmc1,hmc2", {"session_id": "s", "session_credential": "c"})
    assert options["hosts"] == ["hmc1:6794", "hmc2:6794"]
    assert options["session_id"] == "s"
    assert options["verify"] is True
