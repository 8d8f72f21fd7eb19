"""Receiver (a), the transport limit: a bare stomp.py listener over TLS that only parses the JSON body.

This is the least any Python STOMP receiver must do, so it is the ceiling for the others.
"""

import argparse
import json

import stomp
from bench_lib import Tally, emit


class Listener(stomp.ConnectionListener):
    def __init__(self, tally: Tally):
        self.tally = tally

    def on_message(self, frame):
        body = json.loads(frame.body)
        self.tally.message(body["os-messages"][0]["message-text"], frame.headers["global-sequence-nr"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--times")
    parser.add_argument("--idle-timeout", type=float, default=15)
    args = parser.parse_args()
    tally = Tally(args.count, keep_times=bool(args.times))
    conn = stomp.Connection12([(args.host, args.port)], heartbeats=(0, 0))
    conn.set_ssl(for_hosts=[(args.host, args.port)], ca_certs=args.ca)
    conn.set_listener("bench", Listener(tally))
    conn.connect("bench", "bench", wait=True)
    conn.subscribe(destination="/topic/" + args.topic, id="1", ack="auto")
    emit(event="ready")
    tally.wait_and_report(args.idle_timeout, args.times, stomp=str(stomp.__version__))
    conn.disconnect()


if __name__ == "__main__":
    main()
