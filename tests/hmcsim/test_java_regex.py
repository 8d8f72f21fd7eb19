"""hmcsim's name filters read Java regular expressions, as the console does (what Java means, not Python)."""

import pytest

from hmcsim.java_regex import JavaRegexError, java_fullmatch

NAMES = ["PART1", "PART2", "PART3", "PARTX", "PART12", "part1", "LP.1", "LPX1", "A_B", "٣"]


@pytest.mark.parametrize(("pattern", "selected"), [
    (r"PART\p{Digit}", ["PART1", "PART2", "PART3"]),
    (r"PART\P{Digit}", ["PARTX"]),
    (r"\p{Upper}+\p{Alnum}*", ["PART1", "PART2", "PART3", "PARTX", "PART12", "LPX1"]),
    (r"\p{IsLower}+\d", ["part1"]),
    (r"\QLP.1\E", ["LP.1"]),
    (r"\QLP.\E\d", ["LP.1"]),
    (r"\QPART", []),
    ("PART[0-9&&[^3]]", ["PART1", "PART2"]),
    ("PART[A-Z0-9&&[^X]&&[^1]]", ["PART2", "PART3"]),
    ("PART[1[3]]", ["PART1", "PART3"]),
    (r"PART\d", ["PART1", "PART2", "PART3"]),
    (r"\d", []),  # Java's \d is ASCII: the Arabic-Indic digit three is not one (Python's \d says it is)
    (r"\w+", ["PART1", "PART2", "PART3", "PARTX", "PART12", "part1", "LPX1", "A_B"]),
    ("(?<p>PART)\\k<p>?1", ["PART1"]),
    ("PART1+", ["PART1"]),
    ("PART\\d++", ["PART1", "PART2", "PART3", "PART12"]),
    ("(?>PART)\\d", ["PART1", "PART2", "PART3"]),
    ("(?i)part1", ["PART1", "part1"]),
    ("PART.{2}", ["PART12"]),
    ("LP\\.1|A_B", ["LP.1", "A_B"]),
])
def test_java_patterns_select_what_java_selects(pattern, selected):
    assert [name for name in NAMES if java_fullmatch(pattern, name)] == selected


@pytest.mark.parametrize("pattern", [
    "(?P<p>PART)1",      # Python-only named group
    "(?P=p)", "(?#comment)PART1",
    "PART{,2}",          # Python reads {,2} as {0,2}; Java refuses it
    "PART1{", "PART(", "PART[1", "[b-a]", r"PART\y",
])
def test_patterns_java_refuses_are_refused(pattern):
    with pytest.raises(JavaRegexError):
        java_fullmatch(pattern, "PART1")


def test_java_it_does_not_translate_is_refused_saying_so():
    """\\p{L} is valid Java; hmcsim translates the POSIX classes only and says that the limit is its own."""
    with pytest.raises(JavaRegexError, match="hmcsim translates the POSIX classes only"):
        java_fullmatch(r"\p{L}+", "PART")
