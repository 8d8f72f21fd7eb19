# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conditions on normalized events, shared by the source's filters and wait_for_notification.

Filtering at the source matters during message storms: the rules engine handles
a few thousand events per second, a console IPL can produce more. Every
condition is optional; given conditions must all hold (a list means any of its
values). Events the collection makes up itself (connection-lost, ...) are never
filtered out by the source, so a rulebook always learns about an outage.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import fnmatch
import re

from ansible_collections.zhmc.notifications.plugins.module_utils.connection import option_dict, reject_unknown, to_bool
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import SEVERITIES

SYNTHETIC_TYPES = ("connection-lost", "connection-restored", "notifications-missed", "parse-error",
                   "heartbeat-missed")
REGEX_PREFIX = "re:"


def _strings(value, key):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = split_patterns(value, key)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: expected a string or a list of strings")
    return list(value)


_OPEN = {"(": ")", "[": "]", "{": "}"}


def split_patterns(text, key):
    """The patterns of a comma-separated string (what an environment variable can carry).

    A comma separates patterns only outside (), [] and {} and when not escaped as ``\\,``, so a regular
    expression such as ``re:IEA\\d{3,4}[AD]`` stays one pattern. Brackets that do not balance are an error
    naming the string, because guessing would drop events without a trace.
    """
    parts, current, closers, escaped = [], [], [], False
    for char in text:
        if escaped:
            current.append(char if char == "," and not closers else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _OPEN and not (closers and closers[-1] == "]" and char != "["):
            closers.append(_OPEN[char])
            current.append(char)
        elif closers and char == closers[-1]:
            closers.pop()
            current.append(char)
        elif char == "," and not closers:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    if closers:
        raise ValueError(f"{key}: unbalanced brackets in {text!r}; give the patterns as a list")
    parts.append("".join(current).strip())
    if not all(parts):
        raise ValueError(f"{key}: empty pattern in {text!r}")
    return parts


def _compile(pattern, key):
    try:
        return re.compile(pattern)
    except re.error as err:
        raise ValueError(f"{key}: invalid regular expression {pattern!r}: {err}") from None


def code_matcher(pattern, key):
    """A message-code pattern: shell-style (IEF*, IEA?40I) or, with the prefix 're:', a regular expression.

    Both match the whole code, case-sensitively, as z/OS message ids are upper case.
    """
    if pattern.startswith(REGEX_PREFIX):
        return _compile(pattern[len(REGEX_PREFIX):], key).fullmatch
    return re.compile(fnmatch.translate(pattern)).match


INDICATORS = {"*": "*", "@": "@", "+": "+", "none": None}
"""Filter values of the z/OS message indicator (os_message.indicator): system action or WTOR, problem-program
action or WTOR, problem-program information, and no indicator."""


def _flag(value, key):
    """None (no condition) or the bool an OS message flag must have."""
    if value is None or value == "":
        return None
    return to_bool(value, key, None)


def _choices(value, key, allowed):
    values = _strings(value, key)
    reject_unknown(values, allowed, key, noun="value")
    return values


class EventMatcher:
    """All conditions of one filter; accept(event) is True when the event satisfies every given one.

    types / classes: exact values; names: regular expressions on the resource name (full match);
    message_codes: code patterns (see code_matcher); exclude_refresh: drop OS refresh messages;
    held / priority: OS messages whose held / priority flag has this value; indicators: OS messages whose z/OS
    indicator is one of these (INDICATORS); severities: events of these severities; statuses: new status
    values of status-change events; text: regular expression searched in the OS message text or log entry
    message; job_uri: the job of a job-completion. held, priority and indicators are about OS messages: an
    event without one does not satisfy them.
    """

    def __init__(self, types=None, classes=None, names=None, message_codes=None, exclude_refresh=False,
                 statuses=None, text=None, job_uri=None, option="filters", held=None, priority=None,
                 indicators=None, severities=None):
        self.types = frozenset(_strings(types, f"{option}.types"))
        self.classes = frozenset(_strings(classes, f"{option}.classes"))
        self.names = [_compile(p, f"{option}.names").fullmatch for p in _strings(names, f"{option}.names")]
        self.codes = [code_matcher(p, f"{option}.message_codes")
                      for p in _strings(message_codes, f"{option}.message_codes")]
        self.exclude_refresh = bool(exclude_refresh)
        self.held = _flag(held, f"{option}.held")
        self.priority = _flag(priority, f"{option}.priority")
        self.indicators = frozenset(INDICATORS[v] for v in _choices(indicators, f"{option}.indicators", INDICATORS))
        self.severities = frozenset(_choices(severities, f"{option}.severities", SEVERITIES))
        self.statuses = frozenset(_strings(statuses, f"{option}.status"))
        if text is not None and not isinstance(text, str):
            raise ValueError(f"{option}.text: expected a regular expression string")
        self.text = _compile(text, f"{option}.text").search if text else None
        self.job_uri = job_uri or None

    @property
    def empty(self):
        return not (self.types or self.classes or self.names or self.codes or self.exclude_refresh
                    or self.held is not None or self.priority is not None or self.indicators or self.severities
                    or self.statuses or self.text or self.job_uri)

    @property
    def needs_message_id(self):
        """Whether a decision needs what is parsed from the message text (code, indicator, severity)."""
        return bool(self.codes or self.indicators or self.severities)

    def accept(self, event):
        hmc = event.get("hmc") or {}
        if self.types and hmc.get("type") not in self.types:
            return False
        if self.severities and hmc.get("severity") not in self.severities:
            return False
        resource = hmc.get("resource") or {}
        if self.classes and resource.get("class") not in self.classes:
            return False
        if self.names and not any(match(resource.get("name") or "") for match in self.names):
            return False
        message = hmc.get("os_message")
        if not self._message_ok(message):
            return False
        message = message or {}
        if self.codes and not any(match(message.get("code") or "") for match in self.codes):
            return False
        if self.statuses and (hmc.get("status") or {}).get("new") not in self.statuses:
            return False
        if self.job_uri and (hmc.get("job") or {}).get("uri") != self.job_uri:
            return False
        if self.text:
            text = message.get("text") or (hmc.get("log_entry") or {}).get("message") or ""
            if not self.text(text):
                return False
        return True

    def _message_ok(self, message):
        """The OS message conditions (refresh, held, priority, indicator) on an os_message section or None."""
        if message is None:
            return self.held is None and self.priority is None and not self.indicators
        if self.exclude_refresh and message.get("refresh"):
            return False
        if self.held is not None and bool(message.get("held")) is not self.held:
            return False
        if self.priority is not None and bool(message.get("priority")) is not self.priority:
            return False
        return not self.indicators or message.get("indicator") in self.indicators


SOURCE_KEYS = ("types", "classes", "names", "message_codes", "exclude_refresh", "held", "priority", "indicators",
               "severities")


class SourceFilter:
    """The source's filter: a callable that keeps an event when the matcher accepts it or the source made it up
    (synthetic events always pass, so a rulebook always learns about an outage)."""

    def __init__(self, matcher):
        self.matcher = matcher

    def __call__(self, event):
        return (event.get("hmc") or {}).get("type") in SYNTHETIC_TYPES or self.matcher.accept(event)


def source_filter(spec, option="filters"):
    """The source's SourceFilter from its 'filters' option, or None when it keeps everything."""
    spec = option_dict(spec, option, SOURCE_KEYS)
    exclude = to_bool(spec.get("exclude_refresh"), f"{option}.exclude_refresh", False)
    matcher = EventMatcher(spec.get("types"), spec.get("classes"), spec.get("names"), spec.get("message_codes"),
                           exclude, option=option, held=spec.get("held"), priority=spec.get("priority"),
                           indicators=spec.get("indicators"), severities=spec.get("severities"))
    if matcher.empty:
        return None
    return SourceFilter(matcher)
