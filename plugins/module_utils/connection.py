# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate the connection options ``hmc_host``, ``hmc_auth`` and ``hmc_timeouts``.

Modules and the event source accept the same options. Modules get values already typed by Ansible; the
event source gets raw rendered values (strings from environment variables, '' for unset fields). Both go
through :func:`client_options`, so a bad value gets the same message naming the option in either place.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

import math
import os

DEFAULT_WS_PORT = 6794

ENV_HOST = "ZHMC_HOST"
ENV_AUTH = {
    "userid": "ZHMC_USERID",
    "password": "ZHMC_PASSWORD",
    "ca_certs": "ZHMC_CA_CERTS",
    "verify": "ZHMC_VERIFY",
}
"""Environment variables that supply unset connection options (for CI and the event source)."""

AUTH_FIELDS = ("userid", "password", "session_id", "session_credential", "ca_certs", "verify")
SECRET_AUTH_FIELDS = ("password", "session_id", "session_credential")

TIMEOUT_DEFAULTS = {"connect": 10.0, "read": 60.0, "retry_period": 600.0, "retries": 2, "retry_delay": 1.0}
"""hmc_timeouts: seconds to connect (WS API and broker), seconds to wait for an answer (a WS API request, the
broker's confirmation of subscriptions), how long requests that are safe to repeat (reads, logon) are retried
while the console is unavailable (a restart answers 503 for minutes), how often other requests are retried
(only when the console cannot have acted on them), and the first pause between retries (doubling, 30 s at most)."""

_TRUE = ("true", "yes", "on", "1", "y", "t")
_FALSE = ("false", "no", "off", "0", "n", "f")


def to_bool(value, option, default):
    """Coerce a boolean given as bool or string ('' and None mean ``default``); ValueError names the option."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"{option}: expected a boolean, got {value!r}")


def reject_unknown(names, allowed, option, noun="key"):
    """Refuse names outside ``allowed`` with one message everywhere: the option, what is wrong, what is known."""
    unknown = sorted({str(name) for name in names} - {str(name) for name in allowed})
    if unknown:
        raise ValueError(f"{option}: unknown {noun}(s) {', '.join(unknown)}; expected {', '.join(map(str, allowed))}")


def option_dict(value, option, allowed, ignored=()):
    """A dictionary option ('' and None mean empty) whose keys are all known; ValueError names the option.

    ``ignored`` are keys that are accepted but not listed as expected (what ansible-rulebook itself adds).
    """
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{option}: expected a dictionary, got {type(value).__name__}")
    reject_unknown(set(value) - set(ignored), allowed, option)
    return value


def _optional_str(value, option):
    """'' and None mean unset; anything else must be a string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{option}: expected a string, got {type(value).__name__}")
    return value


def _parse_port(text, entry):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"hmc_host: invalid port in {entry!r}: expected 1..65535")
    return int(text)


def parse_host_entry(entry):
    """Normalize one console address ``host``, ``host:port``, ``[v6addr]:port`` or a bare IPv6 address to
    ``host:port`` (IPv6 in brackets), with the WS API port 6794 as default."""
    if not isinstance(entry, str):
        raise ValueError(f"hmc_host: expected a string, got {type(entry).__name__}")
    text = entry.strip()
    if not text:
        raise ValueError("hmc_host: empty host name")
    if "/" in text or any(ch.isspace() for ch in text):
        raise ValueError(f"hmc_host: expected 'host' or 'host:port', got {entry!r}")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not host or (rest and not rest.startswith(":")):
            raise ValueError(f"hmc_host: malformed IPv6 address in {entry!r}")
        port = _parse_port(rest[1:], entry) if rest else DEFAULT_WS_PORT
        return f"[{host}]:{port}"
    if text.count(":") > 1:
        return f"[{text}]:{DEFAULT_WS_PORT}"
    host, sep, port_text = text.partition(":")
    if not host:
        raise ValueError(f"hmc_host: missing host name in {entry!r}")
    port = _parse_port(port_text, entry) if sep else DEFAULT_WS_PORT
    return f"{host}:{port}"


def parse_hmc_host(value):
    """The list of consoles to try in order, each as ``host:port``.

    Accepts one string (several consoles may be separated by commas, as in ZHMC_HOST) or a list of strings.
    """
    if isinstance(value, str):
        entries = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, (list, tuple)):
        entries = list(value)
    elif value is None:
        entries = []
    else:
        raise ValueError(f"hmc_host: expected a string or a list of strings, got {type(value).__name__}")
    if not entries:
        raise ValueError(f"hmc_host: required (set the option or {ENV_HOST})")
    return [parse_host_entry(entry) for entry in entries]


def parse_hmc_auth(value):
    """Validate ``hmc_auth`` and return it with every field present: strings or None, ``verify`` a bool."""
    value = option_dict(value, "hmc_auth", AUTH_FIELDS)
    auth = {name: _optional_str(value.get(name), f"hmc_auth.{name}") for name in AUTH_FIELDS if name != "verify"}
    auth["verify"] = to_bool(value.get("verify"), "hmc_auth.verify", default=True)
    if auth["userid"] and not auth["password"]:
        raise ValueError("hmc_auth.password: required together with hmc_auth.userid")
    if auth["password"] and not auth["userid"]:
        raise ValueError("hmc_auth.userid: required together with hmc_auth.password")
    if not auth["userid"] and not auth["session_id"]:
        raise ValueError(
            f"hmc_auth: give userid and password (or {ENV_AUTH['userid']} and {ENV_AUTH['password']}), "
            "or the session_id of an existing session")
    if auth["session_credential"] and not auth["session_id"]:
        raise ValueError("hmc_auth.session_id: required together with hmc_auth.session_credential")
    if auth["ca_certs"] and auth["verify"] and not os.path.exists(auth["ca_certs"]):
        raise ValueError(f"hmc_auth.ca_certs: no such file or directory: {auth['ca_certs']!r}")
    return auth


def _timeout_value(value, name, default):
    """A number >= 0 (an integer for retries) from a number or its string form; '' and None give the default."""
    if value is None or value == "":
        return default
    option = f"hmc_timeouts.{name}"
    integer = name == "retries"
    try:
        if isinstance(value, bool):
            raise ValueError()
        number = int(str(value).strip()) if integer else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{option}: expected a non-negative {'integer' if integer else 'number'}, got {value!r}") \
            from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{option}: expected a non-negative number, got {value!r}")
    if name in ("connect", "read") and number == 0:
        raise ValueError(f"{option}: must be more than 0 seconds, got {value!r}")
    return number


def parse_hmc_timeouts(value):
    """Validate ``hmc_timeouts`` and return it with every field (defaults for unset ones)."""
    value = option_dict(value, "hmc_timeouts", tuple(TIMEOUT_DEFAULTS))
    return {name: _timeout_value(value.get(name), name, default) for name, default in TIMEOUT_DEFAULTS.items()}


BROKER_LOGIN_NEEDED = (
    "hmc_auth: a session_id without session_credential (such as the hmc_auth that ibm.ibm_zhmc.zhmc_session "
    "returns) cannot log on to the notification broker: also give hmc_auth.userid and hmc_auth.password (or "
    f"{ENV_AUTH['userid']} and {ENV_AUTH['password']}) for the broker login; the session is still the one used "
    "for the WS API")


def check_broker_login(auth):
    """ValueError when a parsed hmc_auth gives the broker nothing to log on with (receivers call this at start:
    the broker takes the session id with its credential, or userid and password)."""
    if auth["session_id"] and not auth["session_credential"] and not (auth["userid"] and auth["password"]):
        raise ValueError(BROKER_LOGIN_NEEDED)


def apply_env_fallbacks(hmc_host, hmc_auth, environ=None):
    """Fill unset (None or '') ``hmc_host`` and ``hmc_auth`` fields from the ZHMC_* environment variables.

    Modules get the same fallbacks from their argument spec; the event source calls this itself.
    """
    environ = os.environ if environ is None else environ
    if hmc_host in (None, ""):
        hmc_host = environ.get(ENV_HOST) or None
    auth = dict(hmc_auth) if isinstance(hmc_auth, dict) else hmc_auth
    if auth in (None, ""):
        auth = {}
    if isinstance(auth, dict):
        for name, env_name in ENV_AUTH.items():
            if auth.get(name) in (None, "") and environ.get(env_name):
                auth[name] = environ[env_name]
    return hmc_host, auth


def client_options(hmc_host, hmc_auth, hmc_timeouts=None):
    """Keyword arguments for ``HmcClient`` from the connection options; ValueError names a bad option."""
    options = {"hosts": parse_hmc_host(hmc_host)}
    options.update(parse_hmc_auth(hmc_auth))
    timeouts = parse_hmc_timeouts(hmc_timeouts)
    options.update(connect_timeout=timeouts["connect"], timeout=timeouts["read"],
                   retry_period=timeouts["retry_period"], retries=timeouts["retries"], backoff=timeouts["retry_delay"])
    return options


def receiver_timeouts(hmc_timeouts):
    """Keyword arguments for the broker Receiver from ``hmc_timeouts`` (validated or raw)."""
    timeouts = parse_hmc_timeouts(hmc_timeouts)
    return {"connect_timeout": timeouts["connect"], "receipt_timeout": timeouts["read"]}
