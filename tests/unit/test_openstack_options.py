"""Argument validation of the openstack source: URL parsing, TLS, targets, priorities, filters; bad values named
at start, passwords never repeated in an error."""

import asyncio

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_options as options

URL = "rabbit://eda:s%40cret@rabbit1:5671,eda:other@rabbit2/nova"


def parse(environ=None, **args):
    args.setdefault("transport_url", URL)
    return options.parse(args, environ=environ or {})


def test_transport_url_with_several_hosts_and_encoded_password():
    transport = parse()["transport"]
    assert transport["hosts"] == [
        {"host": "rabbit1", "port": 5671, "username": "eda", "password": "s@cret"},
        {"host": "rabbit2", "port": 5672, "username": "eda", "password": "other"},
    ]
    assert transport["virtual_host"] == "nova"
    assert set(parse()["secrets"]) == {"s@cret", "s%40cret", "other"}


def test_defaults():
    result = parse()
    assert result["targets"] == [{"topic": "notifications", "exchange": None}]
    assert result["priorities"] == list(options.PRIORITIES)
    assert result["pool"] is None and result["tls"] is None and result["feedback_queue"] is None
    assert result["prefetch"] == 512 and result["heartbeat"] == 60
    assert result["reconnect"] == {"max_attempts": 0, "initial_delay": 1.0, "max_delay": 30.0}


def test_environment_fallback_for_the_url():
    result = options.parse({}, environ={options.ENV_URL: "rabbit://u:p@h:5672/"})
    assert result["transport"]["hosts"][0]["host"] == "h"


def test_targets_priorities_and_filters_are_normalized():
    result = parse(targets=[{"topic": "notifications", "exchange": "nova"}, "versioned_notifications"],
                   priorities=["ERROR", "warning", "info"], pool=" eda ",
                   filters={"event_types": "compute.*", "priorities": ["warn"], "publisher_ids": ["nova-*"]})
    assert result["targets"] == [{"topic": "notifications", "exchange": "nova"},
                                 {"topic": "versioned_notifications", "exchange": None}]
    assert result["priorities"] == ["info", "warn", "error"] and result["pool"] == "eda"
    assert result["filters"] == {"event_types": ["compute.*"], "publisher_ids": ["nova-*"], "priorities": ["warn"]}


def test_tls_takes_a_ca_file_and_refuses_to_skip_the_host_name_check(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert parse(tls={"ca_file": str(ca)})["tls"] == {"ca_file": str(ca), "cert_file": None, "key_file": None}
    assert parse(tls={"ca_file": str(ca), "check_hostname": True})["tls"]["ca_file"] == str(ca)
    with pytest.raises(ValueError, match=r"option 'tls.check_hostname': false cannot be honoured"):
        parse(tls={"ca_file": str(ca), "check_hostname": "no"})


def test_feedback_needs_the_queue_of_ansible_rulebook():
    with pytest.raises(ValueError, match="--persistence-id"):
        parse(feedback=True)
    queue = asyncio.Queue()
    assert parse(feedback="true", eda_feedback_queue=queue)["feedback_queue"] is queue
    assert parse(feedback=False, eda_feedback_queue=queue)["feedback_queue"] is None


@pytest.mark.parametrize(("args", "message"), [
    ({"transport_url": ""}, "option 'transport_url' is required"),
    ({"transport_url": "amqp://u:p@h/"}, "must start with rabbit://"),
    ({"transport_url": "rabbit://u:s3cr3t@h:99999/"}, "host 1 has an invalid port"),
    ({"transport_url": "rabbit://u:s3cr3t@/"}, "host 1 has no host name"),
    ({"transport_url": "rabbit://u:s3cr3t@h/?ssl=1"}, "must not have a query"),
    ({"targets": []}, "option 'targets' must be a non-empty list"),
    ({"targets": [{"topic": "t", "queue": "q"}]}, r"option 'targets\[0\]': unknown key\(s\) queue; expected topic"),
    ({"priorities": ["info", "loud"]}, "option 'priorities': unknown value\\(s\\) loud; expected audit"),
    ({"filters": {"event_type": "x"}}, r"option 'filters': unknown key\(s\) event_type; expected event_types"),
    ({"filters": {"event_types": [""]}}, "option 'filters.event_types' must be a non-empty string"),
    ({"tls": {"ca_file": "/no/such.pem"}}, "option 'tls.ca_file': no such file"),
    ({"tls": {"verify": False}}, r"option 'tls': unknown key\(s\) verify; expected ca_file"),
    ({"tls": "yes please"}, "option 'tls' must be true, false or a dictionary"),
    ({"prefetch": 0}, "option 'prefetch' must be a positive integer"),
    ({"reconnect": {"initial_delay": 0.5}}, "reconnect.initial_delay"),
    ({"reconnect": {"initial_delay": 9, "max_delay": 2}}, "must not be smaller"),
    ({"pool": 7}, "option 'pool' must be a non-empty string"),
    ({"hosts": "x"}, r"arguments: unknown option\(s\) hosts"),
])
def test_bad_arguments_name_the_option(args, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse(**args)
    assert str(raised.value).startswith(options.PREFIX)
    assert "s3cr3t" not in str(raised.value)
