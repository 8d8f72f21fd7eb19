"""Argument validation of the EDA source: strings coerced, bad values named at start."""

import re

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import source_options

BASE = {"hmc_host": "hmc1", "hmc_auth": {"userid": "u", "password": "p"}, "subscriptions": {"jobs": True}}


def parse(**changes):
    args = dict(BASE)
    args.update(changes)
    return source_options.parse(args)


def test_defaults_and_string_coercion():
    options = parse(heartbeat="15", stomp_port="61613", include_raw="yes", job_status="false",
                    reconnect={"max_attempts": "5", "initial_delay": "0.5"})
    assert options["heartbeat"] == 15.0 and options["stomp_port"] == 61613
    assert options["include_raw"] is True and options["job_status"] is False
    assert options["reconnect"] == {"max_attempts": 5, "initial_delay": 0.5, "max_delay": 60.0}
    assert parse()["heartbeat"] == 30.0 and parse(heartbeat="")["heartbeat"] == 30.0
    assert parse(heartbeat=0)["heartbeat"] == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"heartbeat": "abc"}, "zhmc.notifications.hmc: option 'heartbeat' must be a non-negative number, got 'abc'"),
    ({"heartbeat": -1}, "option 'heartbeat' must be a non-negative number"),
    ({"stomp_port": "70000"}, "option 'stomp_port' must be a port number"),
    ({"reconnect": {"initial_delay": 0}}, "option 'reconnect.initial_delay' must be a positive number"),
    ({"reconnect": {"max_delay": 1, "initial_delay": 5}}, "reconnect.max_delay' must not be smaller"),
    ({"reconnect": {"tries": 1}}, "option 'reconnect': unknown key(s) tries"),
    ({"include_raw": "maybe"}, "include_raw: expected a boolean"),
    ({"subscriptions": ""}, "option 'subscriptions' is required"),
    ({"bogus": 1}, "arguments: unknown option(s) bogus"),
    ({"hmc_host": ""}, "hmc_host: required"),
    ({"filters": {"names": ["("]}}, "filters.names: invalid regular expression"),
    ({"filters": {"colour": "red"}}, "filters: unknown key(s) colour"),
])
def test_bad_values_name_the_option(changes, message, monkeypatch):
    monkeypatch.delenv("ZHMC_HOST", raising=False)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(**changes)


def test_rulebook_feedback_queue_is_ignored():
    assert parse(eda_feedback_queue=object())["subscriptions"]["jobs"] is True


def test_checkpoint_and_feedback_options():
    options = parse(checkpoint=" /var/lib/zhmc/hmc1.json ", feedback="yes", feedback_timeout="12.5")
    assert (options["checkpoint"], options["feedback"], options["feedback_timeout"]) == (
        "/var/lib/zhmc/hmc1.json", True, 12.5)
    defaults = parse(checkpoint="", feedback="")
    assert (defaults["checkpoint"], defaults["feedback"], defaults["feedback_timeout"]) == (None, False, 30.0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"checkpoint": "/var/lib/zhmc/"}, "option 'checkpoint' must name a file, not a folder"),
    ({"checkpoint": ["a"]}, "option 'checkpoint' must be the path of a file"),
    ({"feedback": "maybe"}, "feedback"),
    ({"feedback_timeout": 0}, "option 'feedback_timeout' must be a positive number"),
])
def test_checkpoint_and_feedback_errors(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(**changes)


def test_receiver_nice():
    assert parse()["receiver_nice"] == 0 and parse(receiver_nice="")["receiver_nice"] == 0
    assert parse(receiver_nice="10")["receiver_nice"] == 10 and parse(receiver_nice=19)["receiver_nice"] == 19


@pytest.mark.parametrize("value", [20, -1, "low", 2.5, True])
def test_receiver_nice_errors(value):
    with pytest.raises(ValueError, match=re.escape("option 'receiver_nice' must be")):
        parse(receiver_nice=value)
