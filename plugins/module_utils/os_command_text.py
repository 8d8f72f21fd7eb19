# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text of an operating system command, checked before it reaches the console.

The console hands the text to the operating system's console as one line. A line break or another control
character inside it would end the command early or start a second one (``R 05\\n,U`` is not the reply the
operator meant), so such text is refused with the position of the character, never cleaned up silently.
A reply id is one to four ASCII digits, matched against the whole value.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

import re
import unicodedata

REPLY_ID = re.compile(r"[0-9]{1,4}")
"""A z/OS reply id; used with fullmatch (re.match with '$' would accept a trailing newline)."""

REFUSED_CATEGORIES = ("Cc", "Zl", "Zp")
"""Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: each can break a line."""


def first_control_character(text):
    """(position, character) of the first refused character in text, or None."""
    for position, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return position, char
    return None


def check_line(text, option):
    """ValueError naming the option and the character when text is not a single line of printable text."""
    found = first_control_character(text)
    if found is not None:
        position, char = found
        raise ValueError(f"{option}: contains the control character U+{ord(char):04X} at position {position}; "
                         "an OS command is one line of text without control characters")


def command_text(command=None, reply_id=None, reply=None):
    """The command to send: command as given, or the z/OS reply command 'R <reply_id>,<reply>'."""
    if command is not None:
        if not command.strip():
            raise ValueError("command: empty; give the command text")
        check_line(command, "command")
        return command
    if not isinstance(reply_id, str) or not REPLY_ID.fullmatch(reply_id):
        raise ValueError(f"reply_id: must be the one to four digit reply id of a held message, got {reply_id!r}")
    reply = "" if reply is None else reply
    check_line(reply, "reply")
    return f"R {reply_id},{reply}"
