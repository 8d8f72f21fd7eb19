"""Connection rules shared by modules and the source: timeouts, broker login, CA store, log scrubbing, stomp.py."""

import logging
import ssl

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import log_secrets, tls_trust
from ansible_collections.zhmc.notifications.plugins.module_utils.connection import (
    TIMEOUT_DEFAULTS,
    check_broker_login,
    client_options,
    parse_hmc_auth,
    parse_hmc_timeouts,
    receiver_timeouts,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import ca_bundle, stomp_version_problem


def test_timeouts_default_and_coerce_strings():
    assert parse_hmc_timeouts(None) == TIMEOUT_DEFAULTS
    assert parse_hmc_timeouts({"connect": "3", "retries": "0", "retry_period": ""}) == dict(
        TIMEOUT_DEFAULTS, connect=3.0, retries=0)
    options = client_options("h1", {"userid": "u", "password": "p"}, {"read": 5, "retry_delay": 0.5})
    assert (options["timeout"], options["backoff"], options["connect_timeout"]) == (5.0, 0.5, 10.0)
    assert options["retry_period"] == 600.0
    assert receiver_timeouts({"connect": 4, "read": 9}) == {"connect_timeout": 4.0, "receipt_timeout": 9.0}


@pytest.mark.parametrize(("value", "message"), [
    ({"conect": 3}, "hmc_timeouts: unknown key(s) conect; expected connect"),
    ({"connect": 0}, "hmc_timeouts.connect: must be more than 0 seconds"),
    ({"read": -1}, "hmc_timeouts.read: expected a non-negative number"),
    ({"retries": 1.5}, "hmc_timeouts.retries: expected a non-negative integer"),
    ({"retry_period": "soon"}, "hmc_timeouts.retry_period: expected a non-negative number"),
    ({"retry_delay": float("inf")}, "hmc_timeouts.retry_delay: expected a non-negative number"),
    ({"retries": True}, "hmc_timeouts.retries: expected a non-negative integer"),
    ("30", "hmc_timeouts: expected a dictionary"),
])
def test_bad_timeouts_name_the_option(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_hmc_timeouts(value)


def test_a_session_id_without_credential_needs_userid_and_password_for_the_broker():
    ibm_zhmc = {"session_id": "S", "verify": True, "ca_certs": None}  # what ibm.ibm_zhmc.zhmc_session returns
    auth = parse_hmc_auth(ibm_zhmc)
    with pytest.raises(ValueError, match=r"userid and hmc_auth\.password .* broker login") as info:
        check_broker_login(auth)
    assert "ibm.ibm_zhmc.zhmc_session" in str(info.value)
    check_broker_login(parse_hmc_auth(dict(ibm_zhmc, userid="u", password="p")))
    check_broker_login(parse_hmc_auth({"session_id": "S", "session_credential": "C"}))


def test_unset_ca_certs_is_the_system_store_for_both(tmp_path, monkeypatch):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    assert ssl.get_default_verify_paths().cafile == str(ca)
    assert tls_trust.ca_store(None, True) == str(ca)
    assert ca_bundle(None, True) == (str(ca), None), "the broker gets the same store"
    assert tls_trust.ca_store("/given.pem", True) == "/given.pem"
    assert tls_trust.ca_store(None, False) is False


def test_no_system_store_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    with pytest.raises(ValueError, match="no default CA store"):
        tls_trust.ca_store(None, True)


def test_log_filter_masks_remembered_secrets_in_message_args_and_traceback():
    log_secrets.remember("Sess-1d-XYZ", None, "")
    log_secrets.install()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("stomp.py")
    handler = Keep()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("Received frame: %r", {"message": "User name [Sess-1d-XYZ] or password is invalid"})
        try:
            raise RuntimeError("login Sess-1d-XYZ refused")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert len(records) == 2
    assert not [r for r in records if "Sess-1d-XYZ" in r]
    assert "User name [********]" in records[0]
    assert "RuntimeError: login ******** refused" in records[1]


@pytest.mark.parametrize(("version", "ok"), [("9.0.0", True), ("10.1", True), ("8.2.0", False), ("8.1", False),
                                             ("dev", True)])
def test_stomp_py_8_is_refused_with_the_reason(version, ok):
    problem = stomp_version_problem(version)
    assert (problem is None) is ok
    if not ok:
        assert "9.0 or later" in problem and "stomp-py>=9.0" in problem
