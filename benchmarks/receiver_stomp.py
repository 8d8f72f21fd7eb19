"""Receiver (a), the transport limit: a bare stomp.py listener over TLS that only parses the JSON body.

This is the least any Python STOMP receiver must do, so it is the ceiling for the others.
"""

import json

import stomp
from bench_lib import Tally, emit, receiver_parser


class Listener(stomp.ConnectionListener):
    def __init__(self, tally: Tally):
        self.tally = tally

    def on_message(self, frame):
        body = json.loads(frame.body)
        self.tally.message(body["os-messages"][0]["message-text"], frame.headers["global-sequence-nr"])


def blocking_tls(conn) -> None:
    """Undo stomp.py 9's switch of TLS sockets to non-blocking mode (a select() and an SSLWantReadError per
    TLS record, i.e. per frame): with the flag back, its I/O loop reads like stomp.py 8 does. Only an
    experiment to measure that cost; heart-beats are off here, so no frame is sent from another thread."""
    transport = conn.transport
    transport.blocking = True
    transport.socket.setblocking(True)


def main() -> None:
    parser = receiver_parser(__doc__.splitlines()[0])
    parser.add_argument("--blocking-tls", action="store_true",
                        help="stomp.py 9: put the TLS socket back into blocking mode after the handshake (experiment)")
    args = parser.parse_args()
    tally = Tally(args.count, keep_times=bool(args.times))
    conn = stomp.Connection12([(args.host, args.port)], heartbeats=(0, 0))
    conn.set_ssl(for_hosts=[(args.host, args.port)], ca_certs=args.ca)
    conn.set_listener("bench", Listener(tally))
    conn.connect("bench", "bench", wait=True)
    if args.blocking_tls:
        blocking_tls(conn)
    conn.subscribe(destination="/topic/" + args.topic, id="1", ack="auto")
    emit(event="ready")
    tally.wait_and_report(args.idle_timeout, args.times, stomp=str(stomp.__version__))
    conn.disconnect()


if __name__ == "__main__":
    main()
