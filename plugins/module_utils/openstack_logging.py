# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep the transport URL's passwords out of every log line of the process, also oslo.messaging's, kombu's
and amqp's own.

A filter on a logger sees only records logged on that very logger, and the handlers belong to
ansible-rulebook, so the masking happens where every record is made: a log record factory that wraps the
previous one and replaces each known secret in the message, its arguments and the exception text.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import logging
import threading
import traceback
from urllib.parse import quote

MASK = "********"

_lock = threading.Lock()
_secrets = set()
_installed = []


def variants(secret):
    """The secret as given and percent-encoded (as it stands in a URL)."""
    return {secret, quote(secret, safe=""), quote(secret)}


def scrub(text, secrets=None):
    """``text`` with every secret (longest first) replaced by the mask."""
    for secret in sorted(_secrets if secrets is None else secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


def protect(secrets):
    """Mask ``secrets`` in every log record made from now on (process-wide, idempotent)."""
    with _lock:
        for secret in secrets:
            if secret:
                _secrets.update(variants(secret))
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args, **kwargs):
                record = previous(*args, **kwargs)
                _mask(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed.append(factory)


def _mask(record):
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is the logging module's to report; leave the record as it is
        return
    masked = scrub(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info:
        text = "".join(traceback.format_exception(*record.exc_info))
        record.exc_text = scrub(text).rstrip("\n")
        record.exc_info = None
