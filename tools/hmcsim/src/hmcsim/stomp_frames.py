"""STOMP 1.1/1.2 frame encoding and an incremental parser (heart-beat EOLs, escaping, content-length)."""

import re
from dataclasses import dataclass, field

MAX_FRAME_BYTES = 4 * 1024 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", ":": "\\c", "\r": "\\r"}
_UNESCAPES = {"\\\\": "\\", "\\n": "\n", "\\c": ":", "\\r": "\r"}
_UNESCAPE_RE = re.compile(r"\\.")
_RAW_COMMANDS = ("CONNECT", "CONNECTED")  # STOMP 1.2: headers of these frames are not escaped


class FrameError(Exception):
    """The peer sent something that is not a STOMP frame."""


@dataclass
class Frame:
    command: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def _unescape(value: str) -> str:
    def replace(match):
        if match.group(0) not in _UNESCAPES:
            raise FrameError(f"undefined escape sequence {match.group(0)!r} in a header")
        return _UNESCAPES[match.group(0)]
    return _UNESCAPE_RE.sub(replace, value)


def encode(command: str, headers: dict, body: bytes = b"") -> bytes:
    """One frame; content-length is added whenever there is a body."""
    raw = command in _RAW_COMMANDS
    lines = [command]
    for key, value in headers.items():
        key, value = str(key), str(value)
        lines.append(f"{key}:{value}" if raw else f"{_escape(key)}:{_escape(value)}")
    if body and "content-length" not in headers:
        lines.append(f"content-length:{len(body)}")
    return ("\n".join(lines) + "\n\n").encode() + body + b"\x00"


class FrameParser:
    """Feed bytes, get frames; a bare EOL between frames is a heart-beat and yields None."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list:
        self._buffer += data
        items = []
        while True:
            item = self._next()
            if item is False:
                return items
            items.append(item)

    def _next(self):
        buf = self._buffer
        if buf[:1] == b"\n":
            del buf[:1]
            return None
        if buf[:2] == b"\r\n":
            del buf[:2]
            return None
        match = _HEADER_END.search(buf)
        if match is None:
            if len(buf) > MAX_FRAME_BYTES:
                raise FrameError("frame header too large")
            return False
        head = bytes(buf[:match.start()]).decode("utf-8").split("\n")
        command = head[0].rstrip("\r")
        if not command.isalpha():
            raise FrameError(f"bad command {command[:40]!r}")
        headers = {}
        for line in head[1:]:
            line = line.rstrip("\r")
            key, sep, value = line.partition(":")
            if not sep:
                raise FrameError(f"bad header line {line[:40]!r}")
            if command not in _RAW_COMMANDS:
                key, value = _unescape(key), _unescape(value)
            headers.setdefault(key, value)  # a repeated header: the first one counts
        start = match.end()
        if "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise FrameError("bad content-length") from None
            if length > MAX_FRAME_BYTES:
                raise FrameError("frame body too large")
            if len(buf) < start + length + 1:
                return False
            if buf[start + length] != 0:
                raise FrameError("frame body not followed by NUL")
            end = start + length
        else:
            end = buf.find(b"\x00", start)
            if end < 0:
                if len(buf) > MAX_FRAME_BYTES:
                    raise FrameError("frame body too large")
                return False
        frame = Frame(command, headers, bytes(buf[start:end]))
        del buf[:end + 1]
        return frame
