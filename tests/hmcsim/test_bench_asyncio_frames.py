"""The frame splitter of the benchmarks' asyncio reader experiment (benchmarks/receiver_asyncio.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from receiver_asyncio import parse_frames


def test_frames_are_split_across_reads_with_eols_and_content_length():
    first = b"MESSAGE\ndestination:/topic/t\ncontent-length:5\n\na\x00b c\x00"
    second = b"\n\nMESSAGE\nglobal-sequence-nr:7\n\n{}\x00"
    buffer = bytearray(first + second[:12])
    frames = parse_frames(buffer)
    assert frames == [("MESSAGE", {"destination": "/topic/t", "content-length": "5"}, b"a\x00b c")]
    assert buffer == bytearray(second[2:12]), "EOLs are consumed, an incomplete frame stays for the next read"
    buffer += second[12:]
    assert parse_frames(buffer) == [("MESSAGE", {"global-sequence-nr": "7"}, b"{}")]
    assert buffer == bytearray()


def test_repeated_header_keeps_the_first_value_as_stomp_says():
    assert parse_frames(bytearray(b"MESSAGE\nk:1\nk:2\n\n\x00"))[0][1] == {"k": "1"}
