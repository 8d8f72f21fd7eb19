"""Receiver (b), the reference: zhmcclient.NotificationReceiver over TLS, iterating notifications().

Runs under ZHMCCLIENT_PYTHON (zhmcclient pins an older stomp.py). notifications() already parses the JSON
body, so the loop only hands the text to the tally, as receiver (a) does.
"""

import sys
import threading

import zhmcclient
from bench_lib import Tally, receiver_parser


def main() -> None:
    parser = receiver_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    tally = Tally(args.count, keep_times=bool(args.times))
    receiver = zhmcclient.NotificationReceiver([args.topic], args.host, "bench", "bench", port=args.port,
                                               verify_cert=args.ca,
                                               stomp_rt_config=zhmcclient.StompRetryTimeoutConfig(connect_timeout=10))
    stop = threading.Event()

    def loop():
        # stomp.py 8.x races its two threads on the TLS socket during CONNECT (see tests/hmcsim/zhmcclient_probe.py)
        # and the connect fails now and then; connect again, as an application using zhmcclient would.
        for attempt in range(1, 4):
            try:
                for headers, message in receiver.notifications(stop_event=stop):
                    tally.message(message["os-messages"][0]["message-text"], headers["global-sequence-nr"])
                    if tally.done.is_set():
                        break
                return
            except zhmcclient.NotificationConnectionError as exc:
                print(f"connect attempt {attempt} failed: {exc}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    tally.wait_and_report(args.idle_timeout, args.times, zhmcclient=zhmcclient.__version__)
    stop.set()
    receiver.close()


if __name__ == "__main__":
    main()
