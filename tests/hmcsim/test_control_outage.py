"""hmcsim's broker outage control: drop every STOMP connection and refuse new ones for a while, with the WS API
session left valid, so that tests can change console state while a client cannot receive."""

import contextlib
import time

import pytest
from hmcsim_wire import Api, Stomp

from hmcsim.testing import ControlError


def _session_login(api):
    return api.logon_result["api-session"], api.logon_result["session-credential"]


def test_drop_and_refuse_closes_new_connections_until_the_time_is_up(hmcsim):
    api = Api(hmcsim)
    login = _session_login(api)
    first = Stomp(hmcsim)
    assert first.connect(*login).command == "CONNECTED"
    started = time.monotonic()
    assert hmcsim.control.drop_connections(refuse_seconds=2) == {"dropped": 1}
    assert first.closed_within(5)

    refused = Stomp(hmcsim)  # TLS is accepted, then the connection ends before any frame
    with contextlib.suppress(OSError):
        refused.send("CONNECT", {"accept-version": "1.2", "host": "hmc", "login": login[0], "passcode": login[1]})
    assert refused.closed_within(5)
    assert hmcsim.control.stomp_logins() == {"ok": 1, "failed": 0, "refused": 1}
    # The session outlived the outage: the WS API still takes it.
    assert api.call("GET", "/api/console/operations/list-permitted-partitions").status_code == 200
    assert len(hmcsim.control.sessions()) == 1

    while time.monotonic() - started < 2.2:
        time.sleep(0.1)
    again = Stomp(hmcsim)
    assert again.connect(*login).command == "CONNECTED", "the same session logs in again after the outage"
    assert hmcsim.control.stomp_logins()["ok"] == 2
    assert hmcsim.control.state()["stomp-logins"] == {"ok": 2, "failed": 0, "refused": 1}


def test_refuse_with_error_rejects_the_login_of_a_valid_session(hmcsim):
    api = Api(hmcsim)
    login = _session_login(api)
    hmcsim.control.drop_connections(refuse_seconds=30, refuse_with="error")
    stomp = Stomp(hmcsim)
    frame = stomp.connect(*login)
    assert frame.command == "ERROR" and frame.headers["message"] == "Authentication failed"
    assert stomp.frame() is None
    assert hmcsim.control.stomp_logins() == {"ok": 0, "failed": 1, "refused": 0}
    assert api.call("GET", "/api/console/operations/list-permitted-partitions").status_code == 200


def test_drop_without_refuse_lets_clients_back_at_once(hmcsim):
    login = _session_login(Api(hmcsim))
    hmcsim.control.drop_connections()
    assert Stomp(hmcsim).connect(*login).command == "CONNECTED"


def test_bad_refuse_mode_is_a_400(hmcsim):
    with pytest.raises(ControlError, match="refuse_with must be one of close, error, after-connected"):
        hmcsim.control.drop_connections(refuse_seconds=1, refuse_with="sometimes")
