# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small locked state files that keep remediation playbooks from acting twice.

Playbooks started by rules can run concurrently (parallel execution strategy, several activations on one
host, a re-delivered event after a reconnect), so "have we already answered this message?" and "how often
did we restart this partition lately?" must be answered and recorded in one step under a lock. Ansible's
file modules cannot do that, and roles inside a collection cannot ship modules, so the roles run this
script with the controller's Python. It prints one JSON object and never writes in --dry-run (check mode).

Commands:
  claim  --state F --key K [--retention S]        claimed=true once per key; later calls see the record
  mark   --state F --key K --status TEXT          update the record of a claimed key (sent, failed ...)
  limit  --state F --key K --limit N --window S   allowed=true while fewer than N records in the window
  append --file F --record JSON                   append one JSON line (escalation log)
"""

import argparse
import contextlib
import fcntl
import json
import os
import sys
import tempfile
import time


@contextlib.contextmanager
def locked(path):
    """An exclusive lock on path + '.lock' (a separate file, so the data file can be replaced atomically)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path + ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load(path):
    """The state dict, {} for a missing or empty file; a corrupt file is an error, not a silent reset."""
    try:
        with open(path) as handle:
            text = handle.read()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def save(path, data):
    """Write through a temporary file and rename, so a crash never leaves half a state file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".state-")
    with os.fdopen(handle, "w") as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.replace(temp, path)


def claim(args, data, now):
    """First caller for a key wins; records older than the retention are forgotten (sequence numbers wrap)."""
    cutoff = now - args.retention
    for key in [k for k, rec in data.items() if rec.get("time", 0) < cutoff]:
        del data[key]
    record = data.get(args.key)
    if record is not None:
        return {"claimed": False, "changed": False, "record": record}
    record = {"time": now, "status": "claimed", "info": args.info}
    data[args.key] = record
    return {"claimed": True, "changed": True, "record": record}


def mark(args, data, now):
    record = data.setdefault(args.key, {"time": now, "info": args.info})
    changed = record.get("status") != args.status
    record["status"] = args.status
    record["updated"] = now
    return {"changed": changed, "record": record}


def limit(args, data, now):
    """At most N actions per key within the window: count recent ones, record this one if allowed."""
    recent = [t for t in data.get(args.key, []) if t > now - args.window]
    allowed = len(recent) < args.limit
    if allowed:
        recent.append(now)
    data[args.key] = recent
    return {"allowed": allowed, "changed": allowed, "count": len(recent), "limit": args.limit,
            "window": args.window}


COMMANDS = {"claim": claim, "mark": mark, "limit": limit}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=[*COMMANDS, "append"])
    parser.add_argument("--state", help="state file (claim, mark, limit)")
    parser.add_argument("--file", help="log file (append)")
    parser.add_argument("--key", default="")
    parser.add_argument("--info", default="", help="free text stored with a new record")
    parser.add_argument("--status", default="")
    parser.add_argument("--record", default="{}")
    parser.add_argument("--retention", type=float, default=7 * 86400)
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--window", type=float, default=3600)
    parser.add_argument("--dry-run", action="store_true", help="decide, but write nothing (check mode)")
    return parser.parse_args(argv)


def run(args):
    now = time.time()
    if args.command == "append":
        record = json.loads(args.record)
        if not args.dry_run:
            with locked(args.file), open(args.file, "a") as out:
                out.write(json.dumps(record, sort_keys=True) + "\n")
        return {"changed": True, "file": args.file}
    if not args.state or not args.key:
        raise ValueError(f"--state and --key are required for {args.command}")
    if args.dry_run:
        data = load(args.state) if os.path.exists(args.state) else {}
        return COMMANDS[args.command](args, data, now)
    with locked(args.state):
        data = load(args.state)
        result = COMMANDS[args.command](args, data, now)
        save(args.state, data)
    return result


def main(argv=None):
    try:
        result = run(parse(sys.argv[1:] if argv is None else argv))
    except (OSError, ValueError) as err:
        print(json.dumps({"failed": True, "msg": str(err)}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
