"""The console client's pure parts and its request policy (failover, re-logon, retries) over a fake transport.

The fake replaces only the requests.Session of the client; everything above it is the real code.
"""

import json
import re
import threading
import time

import pytest
import requests
import urllib3

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import (
    HmcClient,
    RetryPolicy,
    classify_failure,
    describe,
    exact_name_regex,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError

LOGON_BODY = {"api-session": "SESSION-1", "session-credential": "CRED-1", "notification-topic": "t.ob",
              "job-notification-topic": "t.jb", "api-major-version": 4, "api-minor-version": 10}


def response(status, body=None, reason=""):
    resp = requests.Response()
    resp.status_code = status
    resp.reason = reason
    resp._content = b"" if body is None else json.dumps(body).encode()
    return resp


def error(status, reason, message):
    return response(status, {"http-status": status, "reason": reason, "message": message})


def refused():
    inner = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/api", inner))


class FakeHttp:
    """Answers requests from a script of (host substring, method, path) -> list of results, recording calls."""

    def __init__(self, script):
        self.script = {key: list(results) for key, results in script.items()}
        self.calls = []

    def request(self, method, url, json=None, params=None, headers=None, timeout=None, verify=None):
        self.calls.append({"method": method, "url": url, "json": json, "params": params, "headers": headers,
                           "verify": verify})
        for (host, want_method, path), results in self.script.items():
            if host in url and method == want_method and url.endswith(path) and results:
                result = results.pop(0) if len(results) > 1 else results[0]
                if isinstance(result, Exception):
                    raise result
                return result
        raise AssertionError(f"unexpected request {method} {url}")


def client(script, hosts=("h1:6794",), **kwargs):
    kwargs.setdefault("userid", "op")
    kwargs.setdefault("password", "secret-pw")
    kwargs.setdefault("backoff", 0)
    hmc = HmcClient(list(hosts), **kwargs)
    hmc._http = FakeHttp(script)
    return hmc


# -- pure parts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PART1", "my.part", "a+b", "x(1)", "LP$1", "with space", "a\\b", "[x]", "ä-ö"])
def test_exact_name_regex_matches_only_the_name(name):
    pattern = exact_name_regex(name)
    assert re.fullmatch(pattern, name)
    assert not re.fullmatch(pattern, name + "x")
    escaped = re.findall(r"\\(.)", pattern)
    assert not [ch for ch in escaped if ch.isalnum()], "Java rejects a backslash before a letter or digit"


def test_exact_name_regex_keeps_plain_names():
    assert exact_name_regex("LP_41") == "LP_41"
    assert exact_name_regex("my.part*") == "my\\.part\\*"


def test_error_text_says_what_where_and_why():
    err = HmcError("Open OS Message Channel for partition 'PART1'", "The OS is not running.", status=409,
                   reason=332, host="127.0.0.1:6794")
    assert str(err) == ("Open OS Message Channel for partition 'PART1' on hmc 127.0.0.1:6794 failed: "
                        "HTTP 409 reason 332: The OS is not running.")
    text = str(HmcError("Logon", "cannot connect (refused)", host="h:1"))
    assert text == "Logon on hmc h:1 failed: cannot connect (refused)"
    assert str(HmcError("Find cpc 'X'", "no cpc", status=404)) == "Find cpc 'X' failed: HTTP 404: no cpc"
    assert HmcError("x", "y", status=403, reason=5).is_session_expired
    assert not HmcError("x", "y", status=403, reason=1).is_session_expired
    assert HmcError("x", "y").is_connection_error


def test_describe_names_resources_by_kind():
    assert describe("/api/partitions/abc", "PART1") == "partition 'PART1'"
    assert describe("/api/logical-partitions/abc", "LP1") == "LPAR 'LP1'"
    assert describe("/api/logical-partitions/abc") == "LPAR /api/logical-partitions/abc"
    assert describe("/api/cpcs/1", "CPC1") == "cpc 'CPC1'"


@pytest.mark.parametrize(("kwargs", "idempotent", "expected"), [
    ({"failure": "connect"}, False, True),
    ({"failure": "tls"}, True, False),
    ({"failure": "timeout"}, True, True),
    ({"failure": "timeout"}, False, False),
    ({"failure": "broken"}, True, True),
    ({"failure": "broken"}, False, False),
    ({"status": 503}, False, True),
    ({"status": 502}, True, True),
    ({"status": 502}, False, False),
    ({"status": 500}, True, False),
    ({"status": 400}, True, False),
    ({"status": 403}, True, False),
    ({"status": 404}, True, False),
    ({"status": 409}, True, False),
    ({"status": 200}, True, False),
])
def test_retry_policy_retries_only_what_is_safe(kwargs, idempotent, expected):
    assert RetryPolicy(retries=2).should_retry(0, idempotent, **kwargs) is expected


def test_retry_policy_is_bounded_and_backs_off():
    policy = RetryPolicy(retries=3, backoff=0.5, max_delay=1.5)
    assert policy.should_retry(2, True, failure="connect")
    assert not policy.should_retry(3, True, failure="connect")
    assert [policy.delay(n) for n in range(4)] == [0.5, 1.0, 1.5, 1.5]


def test_classify_failure():
    assert classify_failure(requests.exceptions.SSLError("bad cert")) == "tls"
    assert classify_failure(requests.exceptions.ConnectTimeout("slow")) == "connect"
    assert classify_failure(requests.exceptions.ReadTimeout("slow")) == "timeout"
    assert classify_failure(refused()) == "connect"
    assert classify_failure(requests.exceptions.ConnectionError("reset by peer")) == "broken"


# -- request policy over a fake transport ----------------------------------------------------------------------


def test_logon_skips_unreachable_consoles_and_sticks_to_the_first_that_answers():
    hmc = client({("h1", "POST", "/api/sessions"): [refused()],
                  ("h2", "POST", "/api/sessions"): [response(200, LOGON_BODY)],
                  ("h2", "GET", "get-notification-topics"): [response(200, {"topics": []})]},
                 hosts=["h1:6794", "h2:6794"], retries=1)
    assert hmc.get_notification_topics() == []
    assert hmc.host == "h2:6794"
    assert hmc.session_owned
    assert [call["url"].split("/")[2] for call in hmc._http.calls] == ["h1:6794", "h1:6794", "h2:6794", "h2:6794"]
    assert hmc._http.calls[-1]["headers"] == {"X-API-Session": "SESSION-1"}


def test_an_http_error_does_not_move_on_to_the_next_console():
    hmc = client({("h1", "POST", "/api/sessions"): [error(403, 0, "Logon failed.")],
                  ("h2", "POST", "/api/sessions"): [response(200, LOGON_BODY)]}, hosts=["h1:6794", "h2:6794"])
    with pytest.raises(HmcError) as info:
        hmc.logon()
    assert str(info.value) == "Logon of user 'op' on hmc h1:6794 failed: HTTP 403 reason 0: Logon failed."
    assert len(hmc._http.calls) == 1


def test_all_consoles_unreachable_lists_each():
    hmc = client({("h", "POST", "/api/sessions"): [refused()]}, hosts=["h1:6794", "h2:6794"], retries=0)
    with pytest.raises(HmcError) as info:
        hmc.logon()
    text = str(info.value)
    assert text.startswith("Logon of user 'op' on hmc h1:6794, h2:6794 failed: h1:6794: cannot connect")
    assert "h2:6794: cannot connect" in text
    assert info.value.status is None


def test_expired_session_logs_on_again_once_per_call():
    expired = error(403, 5, "The session is not valid.")
    hmc = client({("h1", "POST", "/api/sessions"): [response(200, LOGON_BODY)],
                  ("h1", "GET", "get-notification-topics"): [expired, response(200, {"topics": [1]})]})
    assert hmc.get_notification_topics() == [1]
    assert [c["method"] for c in hmc._http.calls] == ["POST", "GET", "POST", "GET"]


def test_still_expired_after_relogon_is_an_error_not_a_loop():
    expired = error(403, 5, "The session is not valid.")
    hmc = client({("h1", "POST", "/api/sessions"): [response(200, LOGON_BODY)],
                  ("h1", "GET", "get-notification-topics"): [expired]})
    with pytest.raises(HmcError) as info:
        hmc.get_notification_topics()
    assert info.value.is_session_expired
    assert len(hmc._http.calls) == 4


def test_a_given_session_without_password_is_not_renewed():
    hmc = client({("h1", "GET", "get-notification-topics"): [error(403, 5, "The session is not valid.")]},
                 userid=None, password=None, session_id="GIVEN")
    with pytest.raises(HmcError, match="reason 5"):
        hmc.get_notification_topics()
    assert len(hmc._http.calls) == 1
    assert not hmc.session_owned


def test_503_is_retried_and_4xx_is_not():
    hmc = client({("h1", "GET", "/api/cpcs"): [response(503), response(200, {"cpcs": []})]}, session_id="S")
    assert hmc.list_cpcs() == []
    assert len(hmc._http.calls) == 2
    hmc = client({("h1", "GET", "/api/cpcs"): [error(400, 14, "bad regex")]}, session_id="S")
    with pytest.raises(HmcError, match="HTTP 400 reason 14: bad regex"):
        hmc.list_cpcs("(")
    assert len(hmc._http.calls) == 1


def test_lost_connection_is_not_retried_for_a_command():
    hmc = client({("h1", "POST", "send-os-cmd"): [requests.exceptions.ConnectionError("reset by peer")]},
                 session_id="S", retries=3)
    with pytest.raises(HmcError, match="Send OS Command to LPAR 'LP1' on hmc h1:6794 failed: the connection ended "
                                       r"without an answer \(reset by peer\)"):
        hmc.send_os_command("/api/logical-partitions/1", "D T", name="LP1")
    assert len(hmc._http.calls) == 1


def test_tls_failure_is_explained_and_not_retried():
    hmc = client({("h1", "POST", "/api/sessions"): [requests.exceptions.SSLError("certificate verify failed")]},
                 retries=3)
    with pytest.raises(HmcError, match=r"TLS certificate verification failed .*hmc_auth\.ca_certs"):
        hmc.logon()
    assert len(hmc._http.calls) == 1


def test_secrets_never_reach_error_text():
    echo = error(400, 7, "Bad body: {'userid': 'op', 'password': 'secret-pw'} in session SESSION-1")
    hmc = client({("h1", "POST", "/api/sessions"): [echo]})
    with pytest.raises(HmcError) as info:
        hmc.logon()
    assert "secret-pw" not in str(info.value)
    hmc = client({("h1", "GET", "/api/cpcs"): [requests.exceptions.ConnectionError("x GIVEN-ID y")]},
                 userid=None, password=None, session_id="GIVEN-ID", retries=0)
    with pytest.raises(HmcError) as info:
        hmc.list_cpcs()
    assert "GIVEN-ID" not in str(info.value)


def test_open_os_message_channel_outcomes():
    uri = "/api/partitions/p-1"
    topics = {"topics": [{"topic-name": "t.os1", "topic-type": "os-message-notification",
                          "object-uri": "/api/partitions/p-1"}]}
    hmc = client({("h1", "POST", "open-os-message-channel"): [error(409, 331, "already open")],
                  ("h1", "GET", "get-notification-topics"): [response(200, topics)]}, session_id="S")
    assert hmc.open_os_message_channel(uri) == {"topic": "t.os1", "opened": False, "already_open": True,
                                                "os_not_running": False, "message": "already open"}
    hmc = client({("h1", "POST", "open-os-message-channel"): [error(409, 332, "not running")]}, session_id="S")
    assert hmc.open_os_message_channel(uri)["os_not_running"] is True
    hmc = client({("h1", "POST", "open-os-message-channel"): [response(200, {"topic-name": "t.new"})]},
                 session_id="S")
    assert hmc.open_os_message_channel(uri, include_refresh=False)["topic"] == "t.new"
    assert hmc._http.calls[0]["json"] == {"include-refresh-messages": False}
    hmc = client({("h1", "POST", "open-os-message-channel"): [error(403, 1, "not authorized")]}, session_id="S")
    with pytest.raises(HmcError, match=r"Open OS Message Channel for partition 'P1' .* reason 1: not authorized"):
        hmc.open_os_message_channel(uri, name="P1")


def test_find_by_exact_name_escapes_and_checks_the_name():
    cpcs = {"cpcs": [{"name": "CPC.1", "object-uri": "/api/cpcs/1"}, {"name": "CPCX1", "object-uri": "/api/cpcs/2"}]}
    hmc = client({("h1", "GET", "/api/cpcs"): [response(200, cpcs)]}, session_id="S")
    assert hmc.find_cpc("CPC.1")["object-uri"] == "/api/cpcs/1"
    assert hmc._http.calls[0]["params"] == {"name": "CPC\\.1"}
    with pytest.raises(HmcError, match="no cpc named 'CPC2'") as info:
        hmc.find_cpc("CPC2")
    assert info.value.status == 404


def test_list_features_is_none_on_old_consoles():
    hmc = client({("h1", "GET", "list-features"): [error(404, 1, "Unknown URI")]}, session_id="S")
    assert hmc.list_features("/api/cpcs/1") is None
    hmc = client({("h1", "GET", "list-features"): [response(200, ["bcpii-notifications"])]}, session_id="S")
    assert hmc.list_features("/api/cpcs/1") == ["bcpii-notifications"]


def test_list_features_takes_the_console_array_and_names_any_other_shape():
    """A console answers List CPC API Features with a JSON array of names (WS API book); anything else fails
    with a message that says what came back, instead of a BCPii check that misreads it."""
    hmc = client({("h1", "GET", "list-features"): [response(200, [])]}, session_id="S")
    assert "lacks the API feature" in hmc.bcpii_unsupported_reason("/api/cpcs/1", "CPC1")
    assert hmc._http.calls[0]["params"] == {"name": "bcpii-notifications"}
    hmc = client({("h1", "GET", "list-features"): [response(200, {"features": ["bcpii-notifications"]})]},
                 session_id="S")
    with pytest.raises(HmcError, match="expected a JSON array of feature names, got dict"):
        hmc.list_features("/api/cpcs/1")


def test_logoff_tolerates_an_invalid_session():
    hmc = client({("h1", "DELETE", "this-session"): [error(403, 5, "invalid")]}, session_id="S")
    assert hmc.logoff() is False
    assert hmc.session_id is None
    assert len(hmc._http.calls) == 1
    hmc = client({("h1", "DELETE", "this-session"): [response(204)]}, session_id="S")
    assert hmc.logoff() is True


def test_verify_false_warns_through_the_callback():
    seen = []
    hmc = client({("h1", "GET", "/api/cpcs"): [response(200, {"cpcs": []})]}, session_id="S", verify=False,
                 warn=seen.append)
    hmc.list_cpcs()
    assert len(seen) == 1
    assert "verification" in seen[0]
    assert hmc._http.calls[0]["verify"] is False


def test_ca_certs_is_passed_with_every_request_so_the_environment_cannot_override_it(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    hmc = client({("h1", "GET", "/api/cpcs"): [response(200, {"cpcs": []})]}, session_id="S", ca_certs="/ca.pem")
    hmc.list_cpcs()
    assert hmc._http.calls[0]["verify"] == "/ca.pem"


# -- failover, parallel re-logon, retry period -----------------------------------------------------------------

LOGON_2 = dict(LOGON_BODY, **{"api-session": "SESSION-2", "session-credential": "CRED-2"})


def test_a_lost_console_moves_the_session_to_the_next_one():
    hmc = client({("h1", "POST", "/api/sessions"): [response(200, LOGON_BODY), refused()],
                  ("h1", "GET", "/api/cpcs"): [response(200, {"cpcs": [1]}), refused()],
                  ("h2", "POST", "/api/sessions"): [response(200, LOGON_2)],
                  ("h2", "GET", "/api/cpcs"): [response(200, {"cpcs": [2]})]},
                 hosts=["h1:6794", "h2:6794"], retries=1, warn=lambda text: None)
    assert hmc.list_cpcs() == [1]
    assert hmc.list_cpcs() == [2]
    assert (hmc.host, hmc.session_id) == ("h2:6794", "SESSION-2")
    # the next logon starts at the console after the lost one
    assert [c["url"].split("/")[2] for c in hmc._http.calls][-2:] == ["h2:6794", "h2:6794"]


def test_no_failover_for_a_command_that_may_have_reached_the_lost_console():
    broken = requests.exceptions.ConnectionError("reset by peer")
    hmc = client({("h1", "POST", "/api/sessions"): [response(200, LOGON_BODY)],
                  ("h1", "POST", "send-os-cmd"): [broken],
                  ("h2", "POST", "/api/sessions"): [response(200, LOGON_2)]},
                 hosts=["h1:6794", "h2:6794"], retries=1)
    with pytest.raises(HmcError, match="the connection ended without an answer"):
        hmc.send_os_command("/api/logical-partitions/1", "R 05,YES")
    assert hmc.host == "h1:6794"
    assert [c["url"] for c in hmc._http.calls if "send-os-cmd" in c["url"]] == [
        "https://h1:6794/api/logical-partitions/1/operations/send-os-cmd"]


class SlowExpiringHttp(FakeHttp):
    """Every request with the stale session waits until all workers sent theirs, then gets 403.5: the race of
    sessions expiring while channels are opened in parallel."""

    def __init__(self, workers):
        super().__init__({})
        self.barrier = threading.Barrier(workers, timeout=30)
        self.logons = 0
        self.lock = threading.Lock()

    def request(self, method, url, json=None, params=None, headers=None, timeout=None, verify=None):
        self.calls.append({"method": method, "url": url, "headers": headers})
        if url.endswith("/api/sessions"):
            time.sleep(0.05)
            with self.lock:
                self.logons += 1
                return response(200, dict(LOGON_BODY, **{"api-session": f"NEW-{self.logons}"}))
        if headers.get("X-API-Session") == "STALE":
            self.barrier.wait()
            return error(403, 5, "The session is not valid.")
        return response(200, {"topic-name": f"t-{headers['X-API-Session']}"})


def test_parallel_requests_with_an_expired_session_log_on_once():
    hmc = client({}, session_id="STALE")
    hmc.host = "h1:6794"
    hmc._http = SlowExpiringHttp(5)
    results = [None] * 5

    def open_channel(index):
        results[index] = hmc.post(f"/api/partitions/{index}/operations/open-os-message-channel", {}, "Open",
                                  idempotent=True)

    threads = [threading.Thread(target=open_channel, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert hmc._http.logons == 1
    assert {r["topic-name"] for r in results} == {"t-NEW-1"}


def test_503_is_ridden_out_for_reads_within_the_retry_period_and_bounded_for_commands():
    down = [response(503)] * 6 + [response(200, {"cpcs": []})]
    hmc = client({("h1", "GET", "/api/cpcs"): down}, session_id="S", retries=1, retry_period=60, backoff=0.001)
    assert hmc.list_cpcs() == []
    assert len(hmc._http.calls) == 7
    hmc = client({("h1", "POST", "send-os-cmd"): [response(503)] * 6 + [response(204)]}, session_id="S",
                 retries=1, retry_period=60, backoff=0.001)
    with pytest.raises(HmcError, match="HTTP 503"):
        hmc.send_os_command("/api/logical-partitions/1", "D T")
    assert len(hmc._http.calls) == 2


def test_a_console_that_never_answered_is_not_waited_for():
    hmc = client({("h1", "POST", "/api/sessions"): [refused()]}, retries=1, retry_period=60, backoff=0.001)
    with pytest.raises(HmcError, match="cannot connect"):
        hmc.logon()
    assert len(hmc._http.calls) == 2


def test_stop_retrying_ends_a_wait_at_once():
    hmc = client({("h1", "GET", "/api/cpcs"): [response(503)]}, session_id="S", retry_period=600, backoff=30)
    threading.Timer(0.3, hmc.stop_retrying).start()
    started = time.monotonic()
    with pytest.raises(HmcError, match="HTTP 503"):
        hmc.list_cpcs()
    assert len(hmc._http.calls) == 2
    assert time.monotonic() - started < 25


def test_timeouts_are_passed_as_connect_and_read():
    seen = []

    class Recording(FakeHttp):
        def request(self, method, url, timeout=None, **kwargs):
            seen.append(timeout)
            return response(200, {"cpcs": []})

    hmc = client({}, session_id="S", connect_timeout=3, timeout=7)
    hmc._http = Recording({})
    hmc.list_cpcs()
    assert seen == [(3, 7)]
