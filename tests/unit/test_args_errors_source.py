"""Bad arguments of the EDA source: every one fails in main() with a ValueError naming the option, before any
connection is attempted.

ansible-rulebook renders source arguments with Jinja but does not check them: values from environment variables
arrive as strings, unset credentials as ''. These tests feed main() what a rulebook would, so that a mistake is
reported at activation start with the option named, not at the first notification or as a stack trace.
"""

import asyncio
import re
import runpy
import socket
from pathlib import Path

import pytest

SOURCE = (Path(__file__).resolve().parents[2] / ".tmp/collections/ansible_collections/zhmc/notifications"
          / "extensions/eda/plugins/event_source/hmc.py")
PREFIX = "zhmc.notifications.hmc: "


def good_args():
    return {"hmc_host": "127.0.0.1:1", "hmc_auth": {"userid": "operator", "password": "operator-password"},
            "subscriptions": {"jobs": True}}


@pytest.fixture(scope="module")
def source_main():
    return runpy.run_path(str(SOURCE))["main"]


@pytest.fixture(autouse=True)
def no_network_and_no_env(monkeypatch):
    """No ZHMC_* variable fills a gap, and any connection attempt fails the test (validation comes first)."""
    for name in ("ZHMC_HOST", "ZHMC_USERID", "ZHMC_PASSWORD", "ZHMC_CA_CERTS", "ZHMC_VERIFY"):
        monkeypatch.delenv(name, raising=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the source tried to connect before validating its arguments")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


class NoQueue:
    async def put(self, event):
        raise AssertionError(f"no event expected before validation: {event}")


def fails(source_main, args):
    with pytest.raises(ValueError) as info:
        asyncio.run(source_main(NoQueue(), args))
    text = str(info.value)
    assert text.startswith(PREFIX), text
    return text


BAD = [
    # (path of the option, value, what the message must say)
    (("hmc_hots",), "x", "arguments: unknown option(s) hmc_hots"),
    (("hmc_host",), "", "hmc_host: required (set the option or ZHMC_HOST)"),
    (("hmc_host",), 6794, "hmc_host: expected a string or a list of strings, got int"),
    (("hmc_host",), "https://hmc1", "hmc_host: expected 'host' or 'host:port'"),
    (("hmc_host",), "hmc1:99999", "hmc_host: invalid port in 'hmc1:99999'"),
    (("hmc_host",), ["hmc1", None], "hmc_host: expected a string, got NoneType"),
    (("hmc_auth",), "operator", "hmc_auth: expected a dictionary, got str"),
    (("hmc_auth", "pasword"), "x", "hmc_auth: unknown key(s) pasword; expected "),
    (("hmc_auth", "userid"), 5, "hmc_auth.userid: expected a string, got int"),
    (("hmc_auth", "verify"), "maybe", "hmc_auth.verify: expected a boolean, got 'maybe'"),
    (("hmc_auth", "ca_certs"), "/no/such/ca.pem", "hmc_auth.ca_certs: no such file or directory"),
    (("stomp_port",), "sixty", "option 'stomp_port' must be"),
    (("stomp_port",), True, "option 'stomp_port' must be"),
    (("stomp_port",), 70000, "option 'stomp_port' must be a port number 1..65535"),
    (("heartbeat",), -1, "option 'heartbeat' must be a non-negative number, got -1"),
    (("heartbeat",), "nan", "option 'heartbeat' must be a non-negative number, got 'nan'"),
    (("heartbeat",), [30], "option 'heartbeat' must be a non-negative number"),
    (("reconnect",), "fast", "option 'reconnect': expected a dictionary, got str"),
    (("reconnect",), {"max_tries": 3}, "option 'reconnect': unknown key(s) max_tries; expected max_attempts"),
    (("reconnect",), {"initial_delay": 0}, "option 'reconnect.initial_delay' must be a positive number"),
    (("reconnect",), {"initial_delay": 10, "max_delay": 1}, "option 'reconnect.max_delay' must not be smaller"),
    (("reconnect",), {"max_attempts": "-1"}, "option 'reconnect.max_attempts' must be a non-negative integer"),
    (("include_raw",), "perhaps", "include_raw: expected a boolean, got 'perhaps'"),
    (("job_status",), 2, "job_status: expected a boolean, got 2"),
    (("max_body",), 0, "option 'max_body' must be a positive integer, got 0"),
    (("max_body",), "1.5", "option 'max_body' must be a positive integer, got '1.5'"),
    (("bcpii_heartbeat",), "often", "option 'bcpii_heartbeat' must be a non-negative number"),
    (("subscriptions",), "", "option 'subscriptions' is required"),
    (("subscriptions",), "all", "subscriptions: expected a dictionary"),
    (("subscriptions",), {"os_msgs": []}, "subscriptions: unknown key(s) os_msgs"),
    (("subscriptions",), {"os_messages": "PART1"}, "subscriptions.os_messages: expected a list of entries"),
    (("subscriptions",), {"os_messages": [{"partitions": ["P1"]}]}, "subscriptions.os_messages[0].cpc: required"),
    (("subscriptions",), {"object_changes": {"types": ["status-chnage"]}},
     "subscriptions.object_changes.types: unknown type(s) status-chnage"),
    (("subscriptions",), {"jobs": "perhaps"}, "subscriptions.jobs: expected a boolean, got 'perhaps'"),
    (("filters",), "os-message", "filters: expected a dictionary"),
    (("filters",), {"nmes": ["P1"]}, "filters: unknown key(s) nmes"),
    (("filters",), {"names": ["PROD("]}, "filters.names: invalid regular expression 'PROD('"),
    (("filters",), {"message_codes": ["re:IEF("]}, "filters.message_codes: invalid regular expression 'IEF('"),
    (("filters",), {"exclude_refresh": "perhaps"}, "filters.exclude_refresh: expected a boolean, got 'perhaps'"),
]


def _set(args, path, value):
    target = args
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[".".join(bad[0]) + f"={bad[1]!r}" for bad in BAD])
def test_bad_value_names_the_option(source_main, path, value, message):
    args = good_args()
    _set(args, path, value)
    assert message in fails(source_main, args)


@pytest.mark.parametrize("auth", [
    {"userid": "", "password": ""},                                  # both from unset variables
    {"userid": "", "password": "", "session_id": ""},
    {"session_id": "", "session_credential": ""},
    {},
], ids=["userid+password", "with-session_id", "session-pair", "nothing"])
def test_unset_credentials_as_rulebooks_render_them(source_main, auth):
    """'' is what ansible-rulebook renders for an unset extra var: it is 'not given', with the fallbacks named."""
    args = good_args()
    args["hmc_auth"] = auth
    assert "hmc_auth: give userid and password (or ZHMC_USERID and ZHMC_PASSWORD)" in fails(source_main, args)


@pytest.mark.parametrize(("auth", "message"), [
    ({"userid": "operator", "password": ""}, "hmc_auth.password: required together with hmc_auth.userid"),
    ({"userid": "", "password": "secret-pw"}, "hmc_auth.userid: required together with hmc_auth.password"),
    ({"session_id": "", "session_credential": "cred"},
     "hmc_auth: give userid and password"),
])
def test_half_given_credentials(source_main, auth, message):
    args = good_args()
    args["hmc_auth"] = auth
    text = fails(source_main, args)
    assert message in text
    assert "secret-pw" not in text and "cred" not in text.replace("credential", "")


def test_arguments_that_are_not_a_mapping(source_main):
    assert "arguments must be a dictionary" in fails(source_main, ["hmc_host", "hmc1"])


def test_string_values_from_environment_variables_are_coerced():
    """What a rulebook gives from env vars ('61612', 'true', '') is accepted and typed, not rejected."""
    from ansible_collections.zhmc.notifications.plugins.module_utils import source_options

    args = good_args()
    args.update(stomp_port="61612", heartbeat="10", include_raw="true", job_status="no", max_body="",
                reconnect={"max_attempts": "3", "initial_delay": "0.5", "max_delay": ""},
                filters={"exclude_refresh": "yes"}, eda_feedback_queue=object())
    args["hmc_auth"]["verify"] = "false"
    options = source_options.parse(args)
    assert (options["stomp_port"], options["heartbeat"], options["include_raw"]) == (61612, 10.0, True)
    assert options["job_status"] is False and options["max_body"] is None and options["verify"] is False
    assert options["reconnect"] == {"max_attempts": 3, "initial_delay": 0.5, "max_delay": 60.0}
    refresh = {"hmc": {"type": "os-message", "os_message": {"refresh": True}, "resource": {}}}
    assert options["accept"](refresh) is False


def test_stomp_port_zero_is_not_called_non_negative(source_main):
    """The message must state the actual rule: 0 is non-negative, so saying 'non-negative' would be wrong."""
    args = good_args()
    args["stomp_port"] = 0
    text = fails(source_main, args)
    assert "stomp_port" in text
    assert not re.search(r"non-negative integer, got 0$", text), text
