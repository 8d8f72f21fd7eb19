"""Publish OS message notifications into a STOMP broker over TLS, as fast as possible or at a fixed rate.

A raw STOMP client (ssl socket, pre-encoded frames, many frames per write) rather than stomp.py: the
publisher shares the machine with the receiver under test, and the less CPU it needs the less it disturbs the
figures. In burst mode all frames are encoded before the first is sent.

Handshake with the orchestrator: with --probe, the publisher sends one probe message (text BENCH001I) every
50 ms until it reads "go" on stdin. The orchestrator says "go" once the receiver reported its first probe, so
the data messages start only when the subscription is known to be live, whatever the receiver under test is.

Reports (JSON lines on stdout): {"event": "connected"}, then {"event": "sent", ...} with the count, the
first data global-sequence-nr and the send duration. With --times FILE it writes the send time
(time.time(), float64) of every data message, in global-sequence-nr order, for latency joins.
"""

import argparse
import array
import select
import socket
import ssl
import sys
import time

from bench_lib import emit
from zos_load import os_message_body, texts

PREENCODE = 200_000
"""Larger bursts (the memory storm) are encoded batch by batch: a million pre-encoded frames need ~700 MB."""
PROBE_TEXT = "BENCH001I PROBE - THE BENCHMARK PUBLISHER IS WAITING FOR THE RECEIVER TO SUBSCRIBE"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(":", "\\c")


def frame(command: str, headers: dict, body: bytes = b"") -> bytes:
    head = "".join(f"{k}:{_escape(str(v))}\n" for k, v in headers.items())
    return f"{command}\n{head}\n".encode() + body + b"\0"


class Publisher:
    """One STOMP 1.2 connection that sends notifications to one topic with console-like headers."""

    def __init__(self, args):
        self.args = args
        self.gseq = 0
        self.os_seq = 1
        context = ssl.create_default_context(cafile=args.ca)
        raw = socket.create_connection((args.host, args.port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(raw, server_hostname=args.host)
        self.sock.sendall(frame("CONNECT", {"accept-version": "1.2", "host": args.host, "login": args.login,
                                            "passcode": args.passcode, "heart-beat": "0,0"}))
        reply = self._read_frame()
        if not reply.startswith(b"CONNECTED"):
            raise SystemExit(f"broker refused the connection: {reply[:300]!r}")

    def _read_frame(self) -> bytes:
        data = b""
        while b"\0" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("broker closed the connection")
            data += chunk
        return data.lstrip(b"\n")

    def encode(self, text: str, held: bool = False) -> bytes:
        """The next notification: sequence numbers advance exactly as on a console."""
        now_ms = int(time.time() * 1000)
        headers = {"destination": "/topic/" + self.args.topic, "notification-type": "os-message",
                   "session-sequence-nr": self.gseq, "global-sequence-nr": self.gseq,
                   "object-uri": self.args.object_uri, "object-id": self.args.object_uri.rsplit("/", 1)[-1],
                   "class": self.args.object_class, "name": self.args.name, "timestamp": now_ms}
        data = frame("SEND", headers, os_message_body(text, self.os_seq, timestamp=now_ms, held=held).encode())
        self.gseq += 1
        self.os_seq += 1
        return data

    def probe_until_go(self) -> None:
        while True:
            self.sock.sendall(self.encode(PROBE_TEXT, held=bool(self.args.held_every)))
            ready, _, _ = select.select([sys.stdin], [], [], 0.05)
            if ready and sys.stdin.readline().strip() == "go":
                return

    def burst(self, bodies: list[str], count: int, batch: int = 64) -> list[float]:
        """Send count messages (texts cycled); up to PREENCODE messages are encoded before the first send."""
        every = self.args.held_every

        def marked(index):
            return bool(every) and (index % every == 0 or index == count - 1)

        def chunk_at(start):
            return b"".join(self.encode(bodies[i % len(bodies)], held=marked(i))
                            for i in range(start, min(count, start + batch)))

        starts = range(0, count, batch)
        ready = [chunk_at(i) for i in starts] if count <= PREENCODE else None
        times = []
        for index, start in enumerate(starts):
            chunk = ready[index] if ready is not None else chunk_at(start)
            times.append(time.time())
            self.sock.sendall(chunk)
        return times

    def paced(self, bodies: list[str], count: int, rate: float, times: array.array) -> None:
        """One message every 1/rate seconds on a fixed schedule (late sends catch up, no drift)."""
        start = time.monotonic() + 0.01
        for index in range(count):
            wait_until(start + index / rate)
            data = self.encode(bodies[index % len(bodies)])
            times.append(time.time())
            self.sock.sendall(data)

    def close(self) -> None:
        self.sock.sendall(frame("DISCONNECT", {"receipt": "bye"}))
        try:
            self._read_frame()
        finally:
            self.sock.close()


def wait_until(due: float) -> None:
    """Sleep until the monotonic time due (a schedule that is behind catches up: no sleep at all)."""
    delay = due - time.monotonic()
    if delay > 0.0002:
        time.sleep(delay)


def publisher_parser(description: str, object_uri: str | None = "/api/partitions/bench-part-1"):
    """The options every publisher takes: the broker, its login, the topic and the resource the messages are of
    (``object_uri`` None: required)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--login", default="bench")
    parser.add_argument("--passcode", default="bench")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--object-uri", default=object_uri, required=object_uri is None)
    parser.add_argument("--object-class", default="partition")
    parser.add_argument("--name", default="PART1")
    return parser


def main() -> None:
    parser = publisher_parser(__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0, help="messages/s; 0 = as fast as possible")
    parser.add_argument("--times", help="write the send time of every data message here (float64)")
    parser.add_argument("--probe", action="store_true", help="send probes until 'go' on stdin")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--held-every", type=int, default=0,
                        help="burst: mark every Nth message (and the last) held, and the probes too, for filters "
                             "that keep only held messages")
    args = parser.parse_args()

    bodies = texts(min(args.count, 20_000), args.seed)
    pub = Publisher(args)
    emit(event="connected")
    if args.probe:
        pub.probe_until_go()
    first = pub.gseq
    started = time.time()
    times = array.array("d")
    if args.rate > 0:
        pub.paced(bodies, args.count, args.rate, times)
    else:
        batch_times = pub.burst(bodies, args.count)
        if args.times:
            times = array.array("d", (batch_times[i // 64] for i in range(args.count)))
    sent_seconds = time.time() - started
    pub.close()
    if args.times:
        with open(args.times, "wb") as handle:
            times.tofile(handle)
    emit(event="sent", count=args.count, first_gseq=first, seconds=sent_seconds, started=started)


if __name__ == "__main__":
    main()
