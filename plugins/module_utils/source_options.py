# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate and coerce the EDA source's arguments.

ansible-rulebook passes source arguments rendered but unchecked: values from
environment variables are strings and unset ones are ''. Everything is checked
here, before any connection, so a bad rulebook fails at start with the option
named instead of at the first notification.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import math

from ansible_collections.zhmc.notifications.plugins.module_utils import cpu_priority, subscriptions
from ansible_collections.zhmc.notifications.plugins.module_utils.connection import (
    apply_env_fallbacks,
    check_broker_login,
    client_options,
    option_dict,
    receiver_timeouts,
    reject_unknown,
    to_bool,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import source_filter

PREFIX = "zhmc.notifications.hmc: "
DEFAULTS = {
    "stomp_port": 61612,
    "heartbeat": 30.0,
    "reconnect": {"max_attempts": 0, "initial_delay": 1.0, "max_delay": 60.0},
    "include_raw": False,
    "job_status": True,
    "max_body": None,
    "bcpii_heartbeat": 120.0,
    "checkpoint": None,
    "feedback": False,
    "feedback_timeout": 30.0,
    "session_check": 60.0,
    "held_lookahead": None,
    "receiver_nice": 0,
}
KNOWN = ("hmc_host", "hmc_auth", "hmc_timeouts", "stomp_port", "subscriptions", "filters", "heartbeat", "reconnect",
         "include_raw", "job_status", "max_body", "bcpii_heartbeat", "checkpoint", "feedback", "feedback_timeout",
         "session_check", "held_lookahead", "receiver_nice")
IGNORED = ("eda_feedback_queue",)
"""Arguments ansible-rulebook itself may add."""


def _unset(value):
    return value is None or value == ""


def number(value, option, default, minimum=0.0, integer=False, positive=False):
    """A finite number >= minimum (> 0 when positive) from a number or its string form."""
    if _unset(value):
        return default
    what = "integer" if integer else "number"
    kind = "a positive" if positive or minimum > 0 else "a non-negative"
    try:
        if isinstance(value, bool):
            raise ValueError()
        result = int(str(value).strip()) if integer else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"option '{option}' must be {kind} {what}, got {value!r}") from None
    if not math.isfinite(result) or result < minimum or (positive and result <= 0):
        raise ValueError(f"option '{option}' must be {kind} {what}, got {value!r}")
    return result


def reconnect_policy(value, defaults, min_delay=0.0):
    """The reconnect option of both sources: max_attempts (0 = forever), initial_delay and max_delay (seconds,
    more than 0 and at least min_delay, max_delay not below initial_delay), defaults for what is unset."""
    value = option_dict(value, "option 'reconnect'", tuple(defaults))

    def delay(name):
        return number(value.get(name), f"reconnect.{name}", defaults[name], minimum=min_delay, positive=True)

    result = {
        "max_attempts": number(value.get("max_attempts"), "reconnect.max_attempts", defaults["max_attempts"],
                               integer=True),
        "initial_delay": delay("initial_delay"),
        "max_delay": delay("max_delay"),
    }
    if result["max_delay"] < result["initial_delay"]:
        raise ValueError("option 'reconnect.max_delay' must not be smaller than reconnect.initial_delay")
    return result


def _checkpoint(value):
    """A file path, or None; the file itself is checked when the source starts (it may not exist yet)."""
    if _unset(value):
        return None
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ValueError(f"option 'checkpoint' must be the path of a file, got {value!r}")
    if value.endswith(("/", "\\")):
        raise ValueError(f"option 'checkpoint' must name a file, not a folder, got {value!r}")
    return value.strip()


def _nice(value):
    """receiver_nice: a nice value 0..19 (0 keeps the source's priority)."""
    nice = number(value, "receiver_nice", DEFAULTS["receiver_nice"], integer=True)
    if nice > cpu_priority.MAX_NICE:
        raise ValueError(f"option 'receiver_nice' must be a nice value 0..{cpu_priority.MAX_NICE}, got {value!r}")
    return nice


def _options(args):
    reject_unknown(set(args) - set(IGNORED), KNOWN, "arguments", noun="option")
    hmc_host, hmc_auth = apply_env_fallbacks(args.get("hmc_host"), args.get("hmc_auth"))
    connection = client_options(hmc_host, hmc_auth, args.get("hmc_timeouts"))
    check_broker_login(connection)
    port = number(args.get("stomp_port"), "stomp_port", DEFAULTS["stomp_port"], minimum=1, integer=True)
    if port > 65535:
        raise ValueError(f"option 'stomp_port' must be a port number 1..65535, got {args.get('stomp_port')!r}")
    if _unset(args.get("subscriptions")):
        raise ValueError("option 'subscriptions' is required")
    max_body = number(args.get("max_body"), "max_body", None, integer=True, positive=True)
    return {
        "connection": connection,
        "receiver_timeouts": receiver_timeouts(args.get("hmc_timeouts")),
        "stomp_port": port,
        "ca_certs": connection["ca_certs"],
        "verify": connection["verify"],
        "subscriptions": subscriptions.validate(args["subscriptions"]),
        "accept": source_filter(args.get("filters")),
        "heartbeat": number(args.get("heartbeat"), "heartbeat", DEFAULTS["heartbeat"]),
        "reconnect": reconnect_policy(args.get("reconnect"), DEFAULTS["reconnect"]),
        "include_raw": to_bool(args.get("include_raw"), "include_raw", DEFAULTS["include_raw"]),
        "job_status": to_bool(args.get("job_status"), "job_status", DEFAULTS["job_status"]),
        "max_body": max_body,
        "bcpii_heartbeat": number(args.get("bcpii_heartbeat"), "bcpii_heartbeat", DEFAULTS["bcpii_heartbeat"]),
        "checkpoint": _checkpoint(args.get("checkpoint")),
        "feedback": to_bool(args.get("feedback"), "feedback", DEFAULTS["feedback"]),
        "feedback_timeout": number(args.get("feedback_timeout"), "feedback_timeout", DEFAULTS["feedback_timeout"],
                                   positive=True),
        "session_check": number(args.get("session_check"), "session_check", DEFAULTS["session_check"]),
        "held_lookahead": number(args.get("held_lookahead"), "held_lookahead", DEFAULTS["held_lookahead"]) or None,
        "receiver_nice": _nice(args.get("receiver_nice")),
    }


def parse(args):
    """The source's options from its raw args; ValueError names the option (prefixed with the source name)."""
    if not isinstance(args, dict):
        raise ValueError(f"{PREFIX}arguments must be a dictionary")
    try:
        return _options(args)
    except ValueError as err:
        raise ValueError(f"{PREFIX}{err}") from None
