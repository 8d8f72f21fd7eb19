"""Receiver (aa), an experiment: STOMP over TLS read by asyncio in one thread, frames split by hand, JSON parsed.

It answers one question for the throughput analysis: how much of the bare stomp.py listener's cost (a) is
stomp.py itself (its I/O thread, per-frame parsing and listener dispatch) rather than TLS and JSON. A source
that read the broker this way would have no thread handoff and no GIL contention between two busy threads.
It is deliberately minimal (no heart-beats, no receipts, no reconnect) and not a design for the collection.
"""

import asyncio
import json
import ssl
import threading

from bench_lib import Tally, emit, receiver_parser


def parse_frames(buffer: bytearray) -> list[tuple[bytes, dict, bytes]]:
    """Complete frames at the start of buffer (removed from it): (command, headers, body); EOLs skipped."""
    frames = []
    start = 0
    size = len(buffer)
    while start < size:
        if buffer[start] in (10, 13):  # heart-beat EOL between frames
            start += 1
            continue
        head_end = buffer.find(b"\n\n", start)
        if head_end < 0:
            break
        lines = bytes(buffer[start:head_end]).decode("utf-8").split("\n")
        headers = {}
        for line in lines[1:]:
            key, _sep, value = line.partition(":")
            headers.setdefault(key, value)
        body_start = head_end + 2
        length = headers.get("content-length")
        body_end = body_start + int(length) if length else buffer.find(b"\x00", body_start)
        if body_end < 0 or body_end >= size:
            break
        frames.append((lines[0], headers, bytes(buffer[body_start:body_end])))
        start = body_end + 1
    del buffer[:start]
    return frames


def frame(command: str, headers: dict) -> bytes:
    return (command + "\n" + "".join(f"{k}:{v}\n" for k, v in headers.items()) + "\n\x00").encode()


async def receive(args, tally: Tally) -> None:
    context = ssl.create_default_context(cafile=args.ca)
    reader, writer = await asyncio.open_connection(args.host, args.port, ssl=context, limit=1 << 20)
    writer.write(frame("CONNECT", {"accept-version": "1.2", "host": args.host, "login": "bench",
                                   "passcode": "bench", "heart-beat": "0,0"}))
    writer.write(frame("SUBSCRIBE", {"destination": "/topic/" + args.topic, "id": "1", "ack": "auto"}))
    await writer.drain()
    emit(event="ready")
    buffer = bytearray()
    while not tally.done.is_set():
        data = await reader.read(65536)
        if not data:
            return
        buffer += data
        for command, headers, body in parse_frames(buffer):
            if command == "MESSAGE":
                message = json.loads(body)
                tally.message(message["os-messages"][0]["message-text"], headers["global-sequence-nr"])


def main() -> None:
    parser = receiver_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    tally = Tally(args.count, keep_times=bool(args.times))
    threading.Thread(target=asyncio.run, args=(receive(args, tally),), daemon=True).start()
    tally.wait_and_report(args.idle_timeout, args.times, reader="asyncio")


if __name__ == "__main__":
    main()
