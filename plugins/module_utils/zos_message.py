# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Message id and WTOR reply id of a z/OS console message, read from its text.

Rulebooks want to match on ``IEF238D`` rather than on free text, and a playbook that answers a WTOR needs its
reply id. The console only sends the text, so both are parsed here.

What a z/OS console line looks like (after optional blanks, a time stamp and a job id, as in SYSLOG or JES
job logs):

- an optional indicator: ``*`` (action message, system), ``@`` (action message, problem program),
  ``+`` (informational message from a problem program);
- after ``*`` or ``@`` an optional reply id of 1 to 4 digits (WTOR; up to 4 digits with a large RMAX);
- the message id: a component prefix of 3 or more characters (letters and the national characters
  ``$ # @``: IEF, IXC, $HASP, CSQX, DFHSI, DSNL, BPXI ...), 3 to 5 digits, and an optional type letter
  (I information, A immediate action, D decision, E eventual action or error, W wait or warning, S severe,
  T terminate, C critical). JES2 ($HASP373) and CICS (DFHSI1517) ids have no type letter.

Anything else (Linux console output, free text) has no code; the parse never fails.
"""

import re

_LEAD = r"""
    \s*
    (?:\d{4}-\d{2}-\d{2}[T\s])?                       # ISO date before a time stamp
    (?:\d{2}[:.]\d{2}[:.]\d{2}(?:[.,]\d{1,6})?Z?\s+)?  # 13:40:00.12 or JES 13.40.00
    (?:(?:JOB|STC|TSU|J|S|T)\d{5,7}\s+)?               # job id of a job log line
"""

_CODE = r"(?P<code>[A-Z$#][A-Z$#@]{2,6}\d{3,5}[A-Z]?)(?=[\s.,:;]|$)"

_MESSAGE = re.compile(
    _LEAD
    + r"""
    (?P<indicator>[*@+])?
    (?:(?<=[*@])\s?(?P<reply>\d{1,4})(?=\s))?
    \s*
    (?:"""
    + _CODE
    + ")?",
    re.VERBOSE,
)

# Without an indicator a leading number is taken as reply id only for a held message followed by a message
# id ("05 IEF238D ..."): in other messages a leading number is just text.
_HELD_BARE_REPLY = re.compile(_LEAD + r"(?P<reply>\d{1,4})\s+" + _CODE, re.VERBOSE)

_SCAN_LIMIT = 256
"""The code and reply id sit at the start of a message; scanning a bounded prefix keeps huge texts cheap."""

TYPE_SEVERITY = {
    "A": "warning",
    "D": "warning",
    "E": "warning",
    "W": "warning",
    "S": "error",
    "T": "error",
    "C": "error",
}
"""Severity suggested by the type letter of a message id; letters not listed (I, none) are info.

E and W mean "eventual action" and "wait state" for the base control program but "error" and "warning" for
products like Language Environment and MQ; warning is right for both readings of E and the common reading of W.
"""


def parse_zos_message(text, held=False):
    """Return ``{"code", "reply_id", "indicator", "action"}`` for one message text; never raises.

    ``code`` is the message id or None, ``reply_id`` the WTOR reply id as a string ("05", keeping leading zeros
    because the reply command must repeat them) or None, ``indicator`` the leading ``*``, ``@`` or ``+`` or None,
    and ``action`` True when the indicator marks an action message (``*`` or ``@``). ``held`` (the console's
    is-held flag) allows a reply id without indicator.
    """
    result = {"code": None, "reply_id": None, "indicator": None, "action": False}
    if not isinstance(text, str):
        return result
    text = text[:_SCAN_LIMIT]
    match = _MESSAGE.match(text)
    if match and (match.group("indicator") or match.group("code")):
        result["code"] = match.group("code")
        result["reply_id"] = match.group("reply")
        result["indicator"] = match.group("indicator")
        result["action"] = match.group("indicator") in ("*", "@")
        return result
    if held:
        bare = _HELD_BARE_REPLY.match(text)
        if bare:
            result["code"] = bare.group("code")
            result["reply_id"] = bare.group("reply")
    return result


def code_severity(code):
    """Severity suggested by a message id's type letter (see TYPE_SEVERITY); info for None or no letter."""
    if not code or not code[-1].isalpha():
        return "info"
    return TYPE_SEVERITY.get(code[-1], "info")
