"""Run the benchmarks of zhmc.notifications and print each table with the command that produced it.

    make bench                                   # everything, full size
    make bench BENCH_ARGS="--quick"              # smaller N, for a smoke run
    make bench BENCH_ARGS="--only throughput"    # one benchmark (repeat --only for several)
    make bench BENCH_ARGS="--only soak --minutes 30"
    make bench BENCH_ARGS="--only restarts --minutes 5"   # the soak with SIGKILL restarts and a checkpoint

Every figure is compared with a baseline measured in the same run (the machines are noisy); see README.md
for the latest results and what each benchmark does. --out FILE also appends the tables to FILE (markdown).
"""

import argparse
import shlex
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lib import machine_line

NAMES = ("throughput", "latency", "memory", "startup", "recovery", "filtering", "storm", "reply", "filtered",
         "headroom", "openstack", "soak", "restarts")
DEFAULT = ("throughput", "latency", "memory", "startup", "recovery", "filtering", "storm", "reply", "filtered",
           "headroom", "openstack")
"""The soak takes at least half an hour, the soak with restarts (issue 11) some minutes: only with --only."""


def _bench(name: str, args) -> str:
    quick = args.quick
    if name == "throughput":
        import throughput

        return throughput.run(count=args.count or (20_000 if quick else 100_000), rounds=args.rounds or (1 if quick
                                                                                                        else 2))
    if name == "latency":
        import latency

        return latency.run(quick=quick, rates=args.rates)
    if name == "memory":
        import memory

        return memory.run(count=args.count or (100_000 if quick else 1_000_000), stall_seconds=20 if quick else 60)
    if name == "startup":
        import startup

        return startup.run(quick=quick)
    if name == "recovery":
        import recovery

        return recovery.run(quick=quick)
    if name == "filtering":
        import filtering

        return filtering.run(quick=quick)
    if name == "storm":
        import storm

        return storm.run(quick=quick, rates=args.rates, responder_vars=dict(args.responder_var or []))
    if name == "reply":
        import reply_cost

        return reply_cost.run(runs=3 if quick else 5)
    if name in ("filtered", "headroom"):
        import headroom

        count = args.count or (20_000 if quick else 100_000)
        return headroom.run_filtered(count, args.rounds or 4) if name == "filtered" else headroom.run_headroom(
            count, args.rounds or 2)
    if name == "openstack":
        import openstack_rate

        return openstack_rate.run(count=args.count or (5_000 if quick else 20_000), rounds=args.rounds or 2)
    if name == "soak":
        import soak

        return soak.run(minutes=args.minutes)
    if name == "restarts":
        import restarts

        return restarts.run(minutes=args.minutes)
    raise ValueError(name)


def _name_value(text: str) -> tuple[str, object]:
    """NAME=VALUE, VALUE read as YAML (a number stays a number)."""
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, yaml.safe_load(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=NAMES, help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="smaller N and fewer points: a smoke run")
    parser.add_argument("--count", type=int, help="override N (throughput, memory)")
    parser.add_argument("--rounds", type=int, help="throughput rounds (default 2, quick 1)")
    parser.add_argument("--rates", help="latency, storm: comma-separated publish rates per second")
    parser.add_argument("--minutes", type=float, default=30, help="soak duration")
    parser.add_argument("--responder-var", action="append", type=_name_value, metavar="NAME=VALUE",
                        help="storm: a variable of the held message responder other than the shipped default, "
                             "for an A/B (e.g. hmc_receiver_nice=0; repeatable)")
    parser.add_argument("--out", type=Path, help="append the tables to this markdown file")
    args = parser.parse_args()
    # SIGTERM must unwind like Ctrl-C, so that every benchmark's finally stops its broker, hmcsim and children.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    command = "make bench" + (f' BENCH_ARGS="{shlex.join(sys.argv[1:])}"' if sys.argv[1:] else "")
    failed = 0
    for name in args.only or DEFAULT:
        started = time.monotonic()
        header = f"## {name}\n\ncommand: `{command}`  \n{machine_line()}"
        print(header, flush=True)
        try:
            body = _bench(name, args)
        except Exception as exc:  # one broken benchmark must not hide the others' tables
            failed += 1
            body = f"FAILED: {type(exc).__name__}: {exc}"
        text = f"{header}\n\n{body}\n\n(took {time.monotonic() - started:.0f} s)\n"
        print(text[len(header):], flush=True)
        if args.out:
            with open(args.out, "a") as handle:
                handle.write(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
