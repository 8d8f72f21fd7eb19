# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coercion of untrusted notification values into the types the normalized event promises.

Frame headers are strings, BCPii headers are JSON values, and bodies have been seen with numbers as strings,
empty strings for null and arbitrarily nested data. Every function here accepts anything and returns a
well-typed value or None, so the normalizer can be written without defensive checks at each use and can
never raise on garbage.
"""

import datetime
import json
import math
import re

MAX_BODY = 1024 * 1024
"""Default limit of a body (bytes for bytes, characters for text); larger bodies become parse-errors unread,
so one huge frame cannot stall the source or exhaust memory."""

MAX_RAW = 4096
"""Default limit of the characters of raw data kept in an event (headers and body each)."""

MAX_DEPTH = 32
"""Nesting kept by ``sanitize``; deeper data is replaced by a marker, so events stay serializable (a deep
structure would make json.dumps or the rules engine hit the recursion limit)."""

TOO_DEEP = "<nested too deep>"

_INT = re.compile(r"[+-]?\d{1,20}")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_LAST_MS = 253402300799999
"""9999-12-31T23:59:59.999Z, the last time an ISO 8601 four-digit year can hold."""
_SECONDS = {}
_SECONDS_KEPT = 64
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0", "")


def to_int(value):
    """An int from an int, an integral float or a decimal string ("17", " 17 "); otherwise None."""
    if isinstance(value, str):
        if value.isdigit() and value.isascii() and len(value) <= 20:  # a header value: no regex needed
            return int(value)
        value = value.strip()
        return int(value) if _INT.fullmatch(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    return None


def to_bool(value, default=False):
    """A bool from a bool, 0/1 or "true"/"false" (any case); ``default`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return default


def to_str(value):
    """A str from a str or a number; None for None, bools, containers and other objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def iso_ms(value):
    """ISO 8601 UTC with milliseconds ("2026-11-21T13:40:00.123Z") from ms since the epoch; None when unknown.

    The console uses -1 for "unknown"; negative, non-numeric and out-of-range values all give None.
    """
    millis = to_int(value)
    if millis is None or millis < 0 or millis > _LAST_MS:
        return None
    seconds, fraction = divmod(millis, 1000)
    second = _SECONDS.get(seconds)
    if second is None:
        # Formatting a time is the dearest step of a notification; a storm has many per second, so the
        # formatted second is kept (a few, bounded).
        if len(_SECONDS) >= _SECONDS_KEPT:
            _SECONDS.clear()
        second = _SECONDS[seconds] = (_EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{second}.{fraction:03d}Z"


def sanitize(value, depth=MAX_DEPTH):
    """A JSON-safe copy: str keys, lists for tuples, finite floats, bounded nesting, cycles cut.

    Values of unknown types become their text, non-finite floats their text ("nan"), so nothing is silently
    lost and the event always serializes.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {_key(key): sanitize(item, depth - 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(item, depth - 1) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return _text_of_object(value)


def _key(key):
    return key if isinstance(key, str) else to_str(key) or _text_of_object(key)


def _text_of_object(value):
    try:
        return repr(value)
    except Exception:  # a foreign object's __repr__ may raise anything; its type name still says something
        return f"<{type(value).__name__}>"


def bound(text, limit):
    """``(text cut to limit characters, whether it was cut)``."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def dumps(value):
    """Compact, key-sorted JSON of a sanitized value (used for raw data and digests)."""
    return json.dumps(sanitize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode_json(body, max_body):
    """``(decoded JSON or None for an empty body, error text or None)`` of a str, bytes or decoded body.

    The size limit (``max_body``; bytes for bytes, characters otherwise) is checked before anything is parsed.
    Deep nesting makes json raise RecursionError, which is an error text here like any other bad JSON.
    """
    limit = to_int(max_body)
    limit = MAX_BODY if limit is None or limit < 0 else limit
    if body is None:
        return None, None
    if isinstance(body, (dict, list)):
        size = len(dumps(body))
        if size > limit:
            return None, f"body of {size} characters exceeds max_body ({limit})"
        return body, None
    if isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
        if len(data) > limit:
            return None, f"body of {len(data)} bytes exceeds max_body ({limit})"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"body is not valid UTF-8: {exc}"
    elif isinstance(body, str):
        if len(body) > limit:
            return None, f"body of {len(body)} characters exceeds max_body ({limit})"
        text = body
    else:
        return None, f"unsupported body type {type(body).__name__}"
    text = text.strip()
    if not text:
        return None, None
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "body JSON is nested too deeply"
    except ValueError as exc:
        return None, f"body is not valid JSON: {exc}"
