# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep passwords, session ids and session credentials out of every log line, whoever writes it.

Our own code never logs a secret, but libraries do: stomp.py logs each frame it receives at DEBUG, and
ActiveMQ's answer to a rejected login is ERROR "User name [<login>] or password is invalid", where the login
is the session id. The console client registers every secret it holds or obtains (the password, each new
session's id and credential) with :func:`remember`; :func:`install` puts one filter on the loggers that may
see them and on the handlers of the root logger, which masks each remembered secret in the formatted
message, in its arguments and in an attached traceback. A secret stays remembered after its session ended:
a broker may still echo it.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

import logging
import threading

MASK = "********"
LOGGERS = ("stomp.py", "zhmc.notifications", "urllib3", "requests", "asyncio")
"""Loggers that may write a secret: their own records are filtered even where a handler of theirs is not the
root's (a logger's filter sees only records logged to that logger, so each one is named)."""

_secrets = set()
_lock = threading.Lock()


def remember(*values):
    """Mask these values (None and '' are ignored) in every filtered log record from now on."""
    with _lock:
        _secrets.update(value for value in values if value)


def scrub(text):
    """text with every remembered secret replaced by the mask (longest first, so none is left half shown)."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record so that no remembered secret is in its message or traceback; never drops one."""

    def filter(self, record):
        if not _secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: show the format only
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
            record.exc_info = None  # formatted once here, so that the handler does not format it again unmasked
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FILTER = SecretFilter()


def install():
    """Filter the loggers that may see a secret and every handler of the root logger (idempotent)."""
    targets = [logging.getLogger(name) for name in LOGGERS] + list(logging.getLogger().handlers)
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
