"""Property tests of the OS command text checks: what reaches the console is one line, a reply id only digits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.os_command_text import (
    command_text,
    first_control_character,
)

ASCII_DIGITS = "0123456789"
REFUSED = ("Cc", "Zl", "Zp")
printable = st.text(st.characters(blacklist_categories=(*REFUSED, "Cs")), min_size=1)


def is_reply_id(value):
    return 1 <= len(value) <= 4 and all(ch in ASCII_DIGITS for ch in value)


@given(st.text(max_size=8))
def test_a_reply_id_is_one_to_four_ascii_digits_and_nothing_else(reply_id):
    if is_reply_id(reply_id):
        assert command_text(reply_id=reply_id, reply="U") == f"R {reply_id},U"
    else:
        with pytest.raises(ValueError, match="reply_id: must be the one to four digit reply id"):
            command_text(reply_id=reply_id, reply="U")


@given(st.text(ASCII_DIGITS, min_size=1, max_size=4),
       st.sampled_from(["\n", "\r\n", "\r", " ", "\t", "\x00", "\u2028", ",U", "\u0665"]))
def test_a_valid_reply_id_with_anything_appended_is_refused(reply_id, tail):
    """The defect: re.match(r'^\\d{1,4}$') accepted '05\\n', and the console got 'R 05\\n,U'."""
    with pytest.raises(ValueError, match="reply_id"):
        command_text(reply_id=reply_id + tail, reply="U")


other_digits = st.text(st.characters(whitelist_categories=("Nd",), blacklist_characters=ASCII_DIGITS),
                       min_size=1, max_size=2)


@given(st.text(ASCII_DIGITS, max_size=2), other_digits)
def test_digits_of_other_scripts_are_not_reply_ids(ascii_part, other_part):
    """Python's \\d matches them; z/OS reply ids are ASCII digits."""
    with pytest.raises(ValueError, match="reply_id"):
        command_text(reply_id=ascii_part + other_part, reply="U")


@given(printable, st.characters(whitelist_categories=REFUSED), printable)
def test_a_control_character_anywhere_refuses_the_command_and_the_reply(before, control, after):
    text = before + control + after
    with pytest.raises(ValueError, match=rf"command: contains the control character U\+{ord(control):04X} "
                                         rf"at position {len(before)}"):
        command_text(command=text)
    with pytest.raises(ValueError, match=rf"reply: contains the control character U\+{ord(control):04X}"):
        command_text(reply_id="05", reply=text)


@given(printable.filter(str.strip))
def test_printable_text_is_sent_unchanged(text):
    assert command_text(command=text) == text
    assert command_text(reply_id="5", reply=text) == f"R 5,{text}"
    assert first_control_character(text) is None


@pytest.mark.parametrize("blank", ["", " ", "   "])
def test_a_blank_command_is_refused(blank):
    with pytest.raises(ValueError, match="command: empty"):
        command_text(command=blank)


def test_the_error_does_not_repeat_the_text():
    """The text may be a secret (the task has no_log): the message names the character and its position only."""
    with pytest.raises(ValueError) as caught:
        command_text(command="LOGON PW=s3cret\n")
    assert "s3cret" not in str(caught.value)
