"""The console's name filters are Java regular expressions (java.util.regex.Pattern, full match); hmcsim runs
Python. This translates the Java syntax a name filter plausibly uses into Python's re, so that hmcsim selects
what a console selects, and refuses with JavaRegexError both what Java refuses and what it cannot translate
(saying so: that is hmcsim's limit, not the console's).

Translated: \\Q...\\E quoting; \\p{..} / \\P{..} POSIX classes (Lower, Upper, ASCII, Alpha, Digit, Alnum, Punct,
Graph, Print, Blank, Cntrl, XDigit, Space); ASCII \\d \\w \\s (and \\D \\W \\S) as Java has them by default;
character classes with nested classes (union) and && (intersection), computed over the Basic Multilingual
Plane; named groups (?<name>..) and \\k<name>; \\z and \\Z. Possessive quantifiers and atomic groups are the same
in Python 3.11. Refused as Java refuses them: Python-only (?P<..>, (?P=..), (?#..), {,n}.
"""

import re
import string
from functools import lru_cache

ASCII_CLASSES = {
    "Lower": string.ascii_lowercase, "Upper": string.ascii_uppercase, "ASCII": "".join(map(chr, range(128))),
    "Alpha": string.ascii_letters, "Digit": string.digits, "Alnum": string.ascii_letters + string.digits,
    "Punct": string.punctuation, "Graph": string.ascii_letters + string.digits + string.punctuation,
    "Print": string.ascii_letters + string.digits + string.punctuation + " ", "Blank": " \t",
    "Cntrl": "".join(map(chr, range(32))) + "\x7f", "XDigit": string.hexdigits, "Space": " \t\n\x0b\f\r",
}
SHORTHANDS = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " \t\n\x0b\f\r"}
SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\x07", "e": "\x1b"}
UNIVERSE = range(0x10000)


class JavaRegexError(ValueError):
    """A pattern Java refuses, or one this translation does not cover."""


def java_fullmatch(pattern, value):
    """Whether value matches the Java pattern as a whole (Pattern.matches)."""
    return _compiled(pattern).fullmatch(value) is not None


@lru_cache(maxsize=256)
def _compiled(pattern):
    text = to_python(pattern)
    try:
        return re.compile(text)
    except re.error as exc:
        raise JavaRegexError(f"{exc}") from None


def to_python(pattern):
    """The Python re pattern that matches what the Java pattern matches."""
    return _Translator(pattern).run()


class _Translator:
    def __init__(self, pattern):
        self.src = pattern
        self.pos = 0

    def fail(self, why):
        raise JavaRegexError(f"{why} near index {self.pos}")

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.src[index] if index < len(self.src) else ""

    def run(self):
        out = []
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "\\":
                out.append(self.escape_outside())
            elif char == "[":
                self.pos += 1
                out.append(_class_text(frozenset(self.char_class())))
            elif char == "(" and self.src.startswith("(?", self.pos):
                out.append(self.group_opening())
            elif char == "{":
                out.append(self.repetition())
            else:
                out.append(char)
                self.pos += 1
        return "".join(out)

    def group_opening(self):
        rest = self.src[self.pos:]
        if rest.startswith(("(?P<", "(?P=", "(?P>", "(?#")):
            self.fail("Unknown inline modifier (Python-only syntax)")
        named = re.match(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", rest)
        if named:
            self.pos += named.end()
            return f"(?P<{named.group(1)}>"
        self.pos += 2
        return "(?"

    def repetition(self):
        found = re.match(r"\{(\d*)(,?)(\d*)\}", self.src[self.pos:])
        if not found or not found.group(1):
            self.fail("Illegal repetition")
        self.pos += found.end()
        return found.group(0)

    def escape_outside(self):
        code = self.peek(1)
        if code == "":
            self.fail("Unexpected internal error (trailing backslash)")
        if code == "Q":
            end = self.src.find("\\E", self.pos + 2)
            end = len(self.src) if end < 0 else end
            quoted = self.src[self.pos + 2:end]
            self.pos = min(len(self.src), end + 2)
            return re.escape(quoted)
        if code == "k":
            named = re.match(r"\\k<([A-Za-z][A-Za-z0-9]*)>", self.src[self.pos:])
            if not named:
                self.fail("\\k is not followed by '<' for named capturing group")
            self.pos += named.end()
            return f"(?P={named.group(1)})"
        if code == "z":
            self.pos += 2
            return r"\Z"
        if code == "Z":
            self.pos += 2
            return r"(?=\n?\Z)"
        if code in "pPdDwWsS":
            return _class_text(frozenset(self.escape_set()))
        if code.isdigit() or code in "bBAG" or not code.isalnum():
            self.pos += 2
            return "\\" + code
        return re.escape(self.escape_char())

    def escape_set(self):
        """The characters of \\p{..}, \\P{..}, \\d, \\w, \\s and their negations."""
        code = self.peek(1)
        if code in "pP":
            named = re.match(r"\\[pP]\{(?:Is)?([A-Za-z]+)\}", self.src[self.pos:])
            if not named or named.group(1) not in ASCII_CLASSES:
                self.fail("Unknown character property (hmcsim translates the POSIX classes only)")
            self.pos += named.end()
            chars = set(map(ord, ASCII_CLASSES[named.group(1)]))
            return chars if code == "p" else set(UNIVERSE) - chars
        self.pos += 2
        chars = set(map(ord, SHORTHANDS[code.lower()]))
        return chars if code.islower() else set(UNIVERSE) - chars

    def escape_char(self):
        """One literal character of an escape: \\t, \\x41, \\u0041, \\\\, \\. ..."""
        code = self.peek(1)
        if code in SIMPLE_ESCAPES:
            self.pos += 2
            return SIMPLE_ESCAPES[code]
        hexa = re.match(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})", self.src[self.pos:])
        if hexa:
            self.pos += hexa.end()
            return chr(int(hexa.group(1) or hexa.group(2), 16))
        if code.isalpha():
            self.fail(f"Illegal/unsupported escape sequence \\{code}")
        self.pos += 2
        return code

    def char_class(self):
        """The set of a class whose '[' was read: items, nested classes (union), && (intersection), '^'."""
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        result = set()
        first = True
        while True:
            char = self.peek()
            if char == "":
                self.fail("Unclosed character class")
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            if char == "[":
                self.pos += 1
                result |= self.char_class()
            elif self.src.startswith("&&", self.pos):
                self.pos += 2
                right = self.class_rest()
                result &= right
                break
            elif char == "\\" and self.peek(1) in "pPdDwWsS":
                result |= self.escape_set()
            else:
                low = self.class_char()
                if self.peek() == "-" and self.peek(1) not in ("]", "["):
                    self.pos += 1
                    high = self.class_char()
                    if ord(high) < ord(low):
                        self.fail("Illegal character range")
                    result |= set(range(ord(low), ord(high) + 1))
                else:
                    result.add(ord(low))
        return set(UNIVERSE) - result if negate else result

    def class_rest(self):
        """The right operand of &&: the rest of the class up to its ']' (consumed), as a union."""
        self.src = self.src[:self.pos] + "[" + self.src[self.pos:]  # read it as a class of its own
        self.pos += 1
        return self.char_class()

    def class_char(self):
        char = self.peek()
        if char == "\\":
            return self.escape_char()
        self.pos += 1
        return char


def _class_text(chars):
    """A Python character class of exactly these code points."""
    if not chars:
        return "(?!)"
    parts = []
    ordered = sorted(chars)
    start = prev = ordered[0]
    for point in [*ordered[1:], None]:
        if point is not None and point == prev + 1:
            prev = point
            continue
        parts.append(_class_char(start) if start == prev else f"{_class_char(start)}-{_class_char(prev)}")
        if point is not None:
            start = prev = point
    return "[" + "".join(parts) + "]"


def _class_char(point):
    return f"\\U{point:08x}" if point > 0xFFFF else f"\\u{point:04x}"
