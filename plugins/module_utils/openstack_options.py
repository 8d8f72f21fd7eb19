# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate and coerce the arguments of the zhmc.notifications.openstack source.

Everything is checked before any connection, without importing oslo.messaging, so that a bad rulebook fails
at start with the option named. The transport URL is parsed here (not only by oslo.messaging) because the
source must know its hosts for the connection check and its passwords to keep them out of logs and events.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import os
import ssl
from urllib.parse import unquote, urlsplit

from ansible_collections.zhmc.notifications.plugins.module_utils.connection import option_dict, reject_unknown, to_bool
from ansible_collections.zhmc.notifications.plugins.module_utils.source_options import number, reconnect_policy

PREFIX = "zhmc.notifications.openstack: "
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")
"""The priorities oslo.messaging knows; each becomes one routing key <topic>.<priority> per target."""
PRIORITY_ALIASES = {"warning": "warn"}
DEFAULT_PORT = 5672
DEFAULTS = {
    "targets": [{"topic": "notifications", "exchange": None}],
    "priorities": list(PRIORITIES),
    "pool": None,
    "durable_queues": False,
    "include_raw": False,
    "heartbeat": 60,
    "prefetch": 512,
    "reconnect": {"max_attempts": 0, "initial_delay": 1.0, "max_delay": 30.0},
    "feedback": False,
    "feedback_timeout": 120.0,
}
KNOWN = ("transport_url", "tls", "targets", "priorities", "pool", "durable_queues", "filters", "include_raw",
         "heartbeat", "prefetch", "reconnect", "feedback", "feedback_timeout")
IGNORED = ("eda_feedback_queue",)
"""Arguments ansible-rulebook itself adds."""
TLS_KEYS = ("ca_file", "check_hostname", "cert_file", "key_file")
FILTER_KEYS = ("event_types", "publisher_ids", "priorities")
ENV_URL = "ZHMC_OPENSTACK_TRANSPORT_URL"
NO_HOSTNAME_OPT_OUT = (
    "option 'tls.check_hostname': false cannot be honoured: oslo.messaging's rabbit driver (18.x) checks the "
    "broker's host name against its certificate whenever transport_url names one broker, and ignores its own "
    "ssl_enforce_hostname_verification; connect by a name the certificate carries")
"""Found with a broker reached by an address its certificate lacks: oslo.messaging retried forever, silently."""


def _unset(value):
    return value is None or value == ""


def _strings(value, option):
    """A list of non-empty strings from a string or a list of them."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"option '{option}' must be a non-empty string or list of non-empty strings, got {value!r}")
    return [v.strip() for v in value]


def parse_transport_url(url):
    """{"scheme", "hosts": [{"host", "port", "username", "password"}], "virtual_host"} of a rabbit:// URL.

    Several hosts are comma-separated, each with its own optional user:password@, as oslo.messaging reads
    them. Errors name the problem but never repeat the URL (it holds passwords).
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"option 'transport_url' is required (or the environment variable {ENV_URL})")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme != "rabbit":
        raise ValueError("option 'transport_url' must start with rabbit:// (the RabbitMQ driver of oslo.messaging)")
    netloc, _slash, path = rest.partition("/")
    if "?" in path or "?" in netloc or "#" in rest:
        raise ValueError("option 'transport_url' must not have a query or fragment: give TLS settings in the "
                         "option 'tls'")
    hosts = []
    for number_, entry in enumerate(netloc.split(","), start=1):
        auth, _at, hostport = entry.rpartition("@")
        username, _colon, password = auth.partition(":")
        try:
            parts = urlsplit(f"//{hostport}")
            port = parts.port
        except ValueError:
            raise ValueError(f"option 'transport_url': host {number_} has an invalid port") from None
        if not parts.hostname:
            raise ValueError(f"option 'transport_url': host {number_} has no host name")
        hosts.append({"host": parts.hostname, "port": port or DEFAULT_PORT,
                      "username": unquote(username) or None, "password": unquote(password) or None})
    return {"scheme": scheme, "hosts": hosts, "virtual_host": unquote(path) or None, "url": url}


def secrets_of(transport):
    """Every text that must never be shown: the passwords, raw and percent-encoded forms alike."""
    found = set()
    for host in transport["hosts"]:
        if host["password"]:
            found.add(host["password"])
    url = transport["url"]
    for entry in url.partition("://")[2].partition("/")[0].split(","):
        auth = entry.rpartition("@")[0]
        password = auth.partition(":")[2]
        if password:
            found.add(password)
    return sorted(found, key=len, reverse=True)


def _tls(value):
    """None (plain AMQP) or the TLS settings; the certificate chain is always verified (oslo.messaging)."""
    if _unset(value) or value is False:
        return None
    if value is True:
        value = {}
    if not isinstance(value, dict):
        raise ValueError(f"option 'tls' must be true, false or a dictionary, got {value!r}")
    option_dict(value, "option 'tls'", TLS_KEYS)
    if not to_bool(value.get("check_hostname"), "tls.check_hostname", True):
        raise ValueError(NO_HOSTNAME_OPT_OUT)
    result = {}
    for key in ("ca_file", "cert_file", "key_file"):
        path = value.get(key)
        if _unset(path):
            result[key] = None
            continue
        if not isinstance(path, str) or not os.path.isfile(path):
            raise ValueError(f"option 'tls.{key}': no such file {path!r}")
        result[key] = path
    if result["ca_file"] is None:
        # oslo.messaging checks the host name only with a CA file: the system bundle keeps that check on.
        default = ssl.get_default_verify_paths().cafile
        if default and os.path.isfile(default):
            result["ca_file"] = default
    if bool(result["cert_file"]) != bool(result["key_file"]):
        raise ValueError("options 'tls.cert_file' and 'tls.key_file' go together (client certificate and its key)")
    return result


def _targets(value):
    if _unset(value):
        return [dict(t) for t in DEFAULTS["targets"]]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"option 'targets' must be a non-empty list of {{topic, exchange}}, got {value!r}")
    result = []
    for index, target in enumerate(value):
        if isinstance(target, str):
            target = {"topic": target}
        if not isinstance(target, dict):
            raise ValueError(f"option 'targets[{index}]' must be a dictionary with topic and exchange")
        option_dict(target, f"option 'targets[{index}]'", ("topic", "exchange"))
        topic = target.get("topic", "notifications")
        exchange = target.get("exchange")
        if not isinstance(topic, str) or not topic.strip():
            raise ValueError(f"option 'targets[{index}].topic' must be a non-empty string")
        if not _unset(exchange) and not isinstance(exchange, str):
            raise ValueError(f"option 'targets[{index}].exchange' must be a string")
        result.append({"topic": topic.strip(), "exchange": None if _unset(exchange) else exchange.strip()})
    return result


def priorities(value, option):
    """Known priorities, lower case, without duplicates, in oslo.messaging's order."""
    names = [PRIORITY_ALIASES.get(p.lower(), p.lower()) for p in _strings(value, option)]
    reject_unknown(names, PRIORITIES, f"option '{option}'", noun="value")
    return [p for p in PRIORITIES if p in names]


def _filters(value):
    if _unset(value):
        return {"event_types": None, "publisher_ids": None, "priorities": None}
    option_dict(value, "option 'filters'", FILTER_KEYS)
    return {
        "event_types": _optional(value.get("event_types"), _strings, "filters.event_types"),
        "publisher_ids": _optional(value.get("publisher_ids"), _strings, "filters.publisher_ids"),
        "priorities": _optional(value.get("priorities"), priorities, "filters.priorities"),
    }


def _optional(value, parse_, option):
    return None if _unset(value) else parse_(value, option)


def _pool(value):
    if _unset(value):
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"option 'pool' must be a non-empty string, got {value!r}")
    return value.strip()


def _options(args, environ):
    reject_unknown(set(args) - set(IGNORED), KNOWN, "arguments", noun="option")
    url = args.get("transport_url")
    if _unset(url):
        url = environ.get(ENV_URL)
    transport = parse_transport_url(url)
    feedback = to_bool(args.get("feedback"), "feedback", DEFAULTS["feedback"])
    feedback_queue = args.get("eda_feedback_queue")
    if feedback and feedback_queue is None:
        raise ValueError("option 'feedback' is true but ansible-rulebook passed no feedback queue: run "
                         "ansible-rulebook 1.3 or later with --persistence-id")
    heartbeat = number(args.get("heartbeat"), "heartbeat", DEFAULTS["heartbeat"], integer=True)
    prefetch = number(args.get("prefetch"), "prefetch", DEFAULTS["prefetch"], integer=True, positive=True)
    return {
        "transport": transport,
        "secrets": secrets_of(transport),
        "tls": _tls(args.get("tls")),
        "targets": _targets(args.get("targets")),
        "priorities": priorities(args["priorities"], "priorities") if not _unset(args.get("priorities"))
        else list(DEFAULTS["priorities"]),
        "pool": _pool(args.get("pool")),
        "durable_queues": to_bool(args.get("durable_queues"), "durable_queues", DEFAULTS["durable_queues"]),
        "filters": _filters(args.get("filters")),
        "include_raw": to_bool(args.get("include_raw"), "include_raw", DEFAULTS["include_raw"]),
        "heartbeat": heartbeat,
        "prefetch": prefetch,
        # oslo.messaging takes whole seconds for its own retries: at least 1.
        "reconnect": reconnect_policy(args.get("reconnect"), DEFAULTS["reconnect"], min_delay=1.0),
        "feedback_queue": feedback_queue if feedback else None,
        "feedback_timeout": number(args.get("feedback_timeout"), "feedback_timeout", DEFAULTS["feedback_timeout"],
                                   positive=True),
    }


def parse(args, environ=None):
    """The source's options from its raw args; ValueError names the option (prefixed with the source name)."""
    if not isinstance(args, dict):
        raise ValueError(f"{PREFIX}arguments must be a dictionary")
    try:
        return _options(args, os.environ if environ is None else environ)
    except ValueError as err:
        raise ValueError(f"{PREFIX}{err}") from None
