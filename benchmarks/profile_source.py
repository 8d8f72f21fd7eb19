"""Profile the source under a throughput run with py-spy (only samples of the thread holding the GIL).

    .venv/bin/python benchmarks/profile_source.py --py-spy /path/to/py-spy --count 40000
    .venv/bin/python benchmarks/profile_source.py --py-spy /path/to/py-spy --filtered   # as the filtered benchmark

py-spy is not a dependency of the collection: install it anywhere (e.g. pip install --target DIR py-spy) and
pass its path. The source's receiver process is sampled too (py-spy --subprocesses): each stack starts with
its process, so the first table is the share of GIL time per process; then per function (self) and per
function with callees, which is how the throughput analysis in README.md was made.
"""

import argparse
import collections
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from headroom import HELD_EVERY, RESPONDER_FILTERS
from rig import Rig
from throughput import SUBSCRIPTIONS


def summarize(raw: Path, top: int = 25) -> str:
    self_time: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    processes: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = line.rsplit(" ", 1)
        samples = int(count)
        total += samples
        frames = stack.split(";")
        processes[frames[0]] += samples
        self_time[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    out = [f"{total} samples"]
    out += [f"{n / total:6.1%} {name}" for name, n in processes.most_common(5)]
    out += ["--- self"] + [f"{n / total:6.1%} {name}" for name, n in self_time.most_common(top)]
    out += ["--- inclusive"] + [f"{n / total:6.1%} {name}" for name, n in inclusive.most_common(top * 2)
                                if "threading.py" not in name and "asyncio" not in name]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True)
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--seconds", type=int, default=25, help="how long py-spy samples")
    parser.add_argument("--filtered", action="store_true",
                        help="the responder's filters, every 100th message held (the filtered benchmark's (f))")
    args = parser.parse_args()
    rig = Rig("profile")
    raw = rig.dir / "py-spy.txt"
    try:
        rig.start_broker()
        sim = rig.start_sim(no_stomp=True)
        filters = RESPONDER_FILTERS if args.filtered else None
        held_every = HELD_EVERY if args.filtered else 0
        expected = len(range(0, args.count, held_every)) + 1 if held_every else args.count
        source = rig.source("profile-source", rig.broker_source_args(sim, SUBSCRIPTIONS, filters=filters),
                            count=expected)
        channel = rig.new_channel(sim)
        publisher = rig.publisher("profile-pub", channel["topic-name"], args.count, object_uri=channel["object-uri"],
                                  held_every=held_every)
        publisher.expect("connected", 60)
        source.expect("probe", 60)
        env = {**os.environ, "PYTHONPATH": str(Path(args.py_spy).resolve().parent.parent)}
        spy = subprocess.Popen([args.py_spy, "record", "-p", str(source.proc.pid), "-o", str(raw), "-f", "raw",
                                "-r", "200", "--threads", "--gil", "--subprocesses", "-d", str(args.seconds)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        publisher.send("go")
        print(source.expect("done", args.count / 100 + 120))
        spy.wait()
    finally:
        rig.stop()
    print(summarize(raw))


if __name__ == "__main__":
    main()
