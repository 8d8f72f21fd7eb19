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

from ansible_collections.zhmc.notifications.plugins.module_utils.connection import to_bool

SYNTHETIC_TYPES = ("connection-lost", "connection-restored", "notifications-missed", "parse-error",
                   "heartbeat-missed")
REGEX_PREFIX = "re:"


def _strings(value, key):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")] if "," in value else [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: expected a string or a list of strings")
    return list(value)


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


class EventMatcher:
    """All conditions of one filter; accept(event) is True when the event satisfies every given one.

    types / classes: exact values; names: regular expressions on the resource name (full match);
    message_codes: code patterns (see code_matcher); exclude_refresh: drop OS refresh messages;
    statuses: new status values of status-change events; text: regular expression searched in the OS
    message text or log entry message; job_uri: the job of a job-completion.
    """

    def __init__(self, types=None, classes=None, names=None, message_codes=None, exclude_refresh=False,
                 statuses=None, text=None, job_uri=None, option="filters"):
        self.types = frozenset(_strings(types, f"{option}.types"))
        self.classes = frozenset(_strings(classes, f"{option}.classes"))
        self.names = [_compile(p, f"{option}.names").fullmatch for p in _strings(names, f"{option}.names")]
        self.codes = [code_matcher(p, f"{option}.message_codes")
                      for p in _strings(message_codes, f"{option}.message_codes")]
        self.exclude_refresh = bool(exclude_refresh)
        self.statuses = frozenset(_strings(statuses, f"{option}.status"))
        if text is not None and not isinstance(text, str):
            raise ValueError(f"{option}.text: expected a regular expression string")
        self.text = _compile(text, f"{option}.text").search if text else None
        self.job_uri = job_uri or None

    @property
    def empty(self):
        return not (self.types or self.classes or self.names or self.codes or self.exclude_refresh
                    or self.statuses or self.text or self.job_uri)

    def accept(self, event):
        hmc = event.get("hmc") or {}
        if self.types and hmc.get("type") not in self.types:
            return False
        resource = hmc.get("resource") or {}
        if self.classes and resource.get("class") not in self.classes:
            return False
        if self.names and not any(match(resource.get("name") or "") for match in self.names):
            return False
        message = hmc.get("os_message") or {}
        if self.exclude_refresh and message.get("refresh"):
            return False
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


def source_filter(spec, option="filters"):
    """The source's filter from its 'filters' option; synthetic events always pass."""
    if spec is None or spec == "":
        spec = {}
    if not isinstance(spec, dict):
        raise ValueError(f"{option}: expected a dictionary")
    allowed = ("types", "classes", "names", "message_codes", "exclude_refresh")
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ValueError(f"{option}: unknown key(s) {', '.join(unknown)}; expected {', '.join(allowed)}")
    exclude = to_bool(spec.get("exclude_refresh"), f"{option}.exclude_refresh", False)
    matcher = EventMatcher(spec.get("types"), spec.get("classes"), spec.get("names"), spec.get("message_codes"),
                           exclude, option=option)
    if matcher.empty:
        return None
    return lambda event: (event.get("hmc") or {}).get("type") in SYNTHETIC_TYPES or matcher.accept(event)
