"""`make demo`: hmcsim's demo scenario and the demo rulebook reacting to it, on one terminal.

Builds the collection tarball from this checkout, installs it into a temporary collections folder, starts
hmcsim (the `demo` scenario) on free loopback ports and runs ansible-rulebook with
extensions/eda/rulebooks/demo.yml of the installed collection against it. The terminal shows OS messages,
the held message answered (and what the simulated z/OS answers back), the partition that stops being
restarted (the restart playbook starts the job and follows it to its completion in a session of its own, the
only session a console tells of that job), and at the end a summary of what fired.

  make demo                                   # about a minute, stops by itself
  make demo DEMO_ARGS="--duration 20"         # stop after 20 seconds
  make demo-real VARS=my-console.yml          # the same rulebook against a real console (until Ctrl-C)

Ctrl-C stops everything in order: ansible-rulebook gets SIGINT (its source logs off), then hmcsim stops.
With --vars the rulebook watches the console described in that file (see extensions/eda/rulebooks/vars/
example.yml); nothing is simulated and no reply table of the demo is used.
"""

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_support as ds

QUIET_SECONDS = 3
"""The story is over when the last scenario step is this old and no playbook runs or prints any more."""
SETTLE_SECONDS = 90
"""After the last scenario step, the longest the demo waits for that (slow machines, busy CI)."""

DEFAULT_STATE = "~/.local/state/zhmc.notifications"
"""The roles' default zhmc_state_dir."""

STYLE = {"os": ("  OS     ", "0"), "held": ("  HELD   ", "1;33"), "status": ("  STATUS ", "1;35"),
         "log": ("  LOG    ", "34"), "rule": ("  RULE   ", "1;32"), "action": ("  ACTION ", "1;32"),
         "error": ("  ERROR  ", "1;31"), "other": ("         ", "2"), "demo": ("demo: ", "1")}


class Terminal:
    """Prints the demo's lines, coloured when the output is a terminal, from several threads."""

    def __init__(self, stream=sys.stdout):
        self.stream = stream
        self.color = stream.isatty()
        self.start = time.monotonic()
        self._lock = threading.Lock()

    def emit(self, kind: str, text: str) -> None:
        label, color = STYLE.get(kind, STYLE["other"])
        stamp = f"{time.monotonic() - self.start:5.1f}s"
        line = f"{stamp} {label}{text}"
        if self.color:
            line = f"\033[{color}m{line}\033[0m"
        with self._lock:
            print(line, file=self.stream, flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: when the story "
                        "is told; with --vars: at Ctrl-C)")
    parser.add_argument("--vars", type=Path, help="rulebook variables of a real console (instead of hmcsim)")
    parser.add_argument("--work-dir", type=Path, help="keep the build, logs and state here (default: a temporary "
                        "folder, removed at the end)")
    parser.add_argument("--verbose", action="store_true", help="show ansible-rulebook's full output")
    return parser.parse_args(argv)


def demo_variables(work: Path, sim) -> dict:
    """vars/demo.yml of this checkout plus the connection of the running hmcsim and a fresh state folder."""
    variables = yaml.safe_load((ds.REPO / ds.RULEBOOKS / "vars" / "demo.yml").read_text())
    variables.update(ds.sim_connection(sim, work / "state"))
    return variables


def real_variables(path: Path, work: Path) -> dict:
    """The user's vars file, with harmless defaults for what the demo rulebook needs and the file leaves out.

    zhmc_state_dir is left to the file (or the roles' default ~/.local/state/zhmc.notifications): against a real
    console the record of answered messages and the escalation log must outlive the demo."""
    variables = yaml.safe_load(path.read_text()) or {}
    actions = variables.get("message_actions") or []
    defaults = {"held_message_replies": [], "message_actions": [], "restart_systems": [], "audit_event_names": [],
                "message_action_codes": [a["code"] for a in actions if not any(c in a["code"] for c in "*?:")],
                "watch_audit": False}
    return {**defaults, **variables}


def summary(term: Terminal, tally: ds.Tally, sim, rulebook_rc, elapsed: float) -> None:
    """What fired, and what the console saw of it (read back from hmcsim where there is one)."""
    emit = lambda text: term.emit("demo", text)  # noqa: E731
    emit(f"summary after {elapsed:.0f}s (ansible-rulebook exit code {rulebook_rc})")
    emit(f"  seen: {tally.os_messages} OS messages, {tally.status_changes} status changes, "
         f"{tally.log_entries} log entries")
    emit("  rules fired:" + ("" if tally.rules else " none"))
    for rule, count in sorted(tally.rules.items()):
        emit(f"    {count:3d}  {rule}")
    emit(f"  replies sent: {len(tally.replies)}   restarts: {len(tally.restarts)}   escalations: "
         f"{len(tally.escalations)}   failed tasks: {tally.task_failures}")
    if sim is None:
        return
    state = sim.control.state()
    replies = [c["text"] for c in state["os-commands"] if c.get("replied-to")]
    started = [f"{j['operation']} {j['name']} ({j['status']}, {j['job-status-code']})" for j in state["jobs"]
               if j.get("session")]
    emit(f"  hmcsim received: replies {replies or 'none'}; jobs {started or 'none'}; "
         f"{len(state['os-commands']) - len(replies)} other OS commands")
    emit(f"  console sessions still open: {len(state['sessions'])}")


def run(args) -> int:
    term = Terminal()
    with contextlib.ExitStack() as stack:
        if args.work_dir:
            work = args.work_dir.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zhmc-demo-")))
        term.emit("demo", "building and installing the collection from this checkout ...")
        collections = ds.build_and_install(work)
        sim, story = None, None
        if args.vars:
            variables = real_variables(args.vars, work)
            term.emit("demo", f"watching the console {variables.get('hmc_host') or '(ZHMC_HOST)'} from {args.vars}; "
                              f"state and escalations in {variables.get('zhmc_state_dir') or DEFAULT_STATE}")
        else:
            from hmcsim.testing import SimProcess

            # The timeline waits until the rulebook listens (POST /timeline/start below).
            sim = SimProcess("demo", work / "hmcsim", hold_timeline=True)
            term.emit("demo", "starting hmcsim (demo scenario) ...")
            sim.start()
            stack.callback(sim.stop)
            variables = demo_variables(work, sim)
            term.emit("demo", f"hmcsim: WS API {sim.ws_url}, STOMP port {sim.stomp_port}, control "
                              f"{sim.endpoints['control']}")
        vars_file = work / "demo-vars.yml"
        vars_file.write_text(yaml.safe_dump(variables))
        vars_file.chmod(0o600)
        rulebook = ds.installed_rulebook(collections, "demo.yml")
        term.emit("demo", f"starting ansible-rulebook -r {rulebook.relative_to(collections)} (Ctrl-C stops) ...")
        raw_log = stack.enter_context(open(work / "ansible-rulebook.log", "w"))
        process = ds.start_rulebook(rulebook, ds.write_inventory(work), vars_file, collections, cwd=work)
        stack.callback(ds.stop_rulebook, process)
        if args.verbose:
            reader = ds.OutputReader(lambda kind, text: None, raw=_Tee(raw_log))
        else:
            reader = ds.OutputReader(_quiet(term), raw=raw_log)
        pump = reader.pump(process.stdout)
        started = time.monotonic()
        rc = None
        try:
            if sim is not None:
                ds.wait_until_subscribed(sim.control, process)
                story = sim.control.start_timeline()["last_at"]
                term.emit("demo", "the rulebook listens; the incident begins")
            wait_for_story(term, process, reader.tally, story, args.duration)
            settle_playbooks(term, process, reader.tally, timeout=60)
        except KeyboardInterrupt:
            term.emit("demo", "Ctrl-C: stopping (Ctrl-C again to stop at once)")
            if sim is not None:
                with contextlib.suppress(Exception):  # the story ends here; the console may be gone already
                    sim.control.stop_timeline()
            with contextlib.suppress(KeyboardInterrupt):
                settle_playbooks(term, process, reader.tally, timeout=30)
        finally:
            term.emit("demo", "stopping ansible-rulebook (SIGINT, the source logs off) ...")
            with _ignore_sigint():
                rc = ds.stop_rulebook(process)
                pump.join(5)
        summary(term, reader.tally, sim, rc, time.monotonic() - started)
        if args.work_dir:
            term.emit("demo", f"logs and state kept in {work}")
        with _ignore_sigint():
            stack.close()
        if sim is not None:
            term.emit("demo", "hmcsim stopped")
    return 0


def wait_for_story(term: Terminal, process, tally: ds.Tally, story: float | None, duration) -> None:
    """Until --duration has passed (counted from the demo's start), or, without it, until the scenario's
    timeline (story seconds from now) is played and its playbooks are done; with a real console and no
    --duration, until Ctrl-C."""
    begin = time.monotonic()
    while process.poll() is None:
        now = time.monotonic()
        if duration is not None:
            if now - term.start >= duration:
                return
        elif story is not None and now - begin >= story + QUIET_SECONDS:
            if tally.playbooks_running == 0 and now - tally.last_output >= QUIET_SECONDS:
                return
            if now - begin >= story + SETTLE_SECONDS:
                return
        time.sleep(0.2)
    term.emit("error", f"ansible-rulebook stopped by itself (exit code {process.returncode})")


def settle_playbooks(term: Terminal, process, tally: ds.Tally, timeout: float) -> None:
    """Let running playbooks finish: one killed half-way could leave its console session behind."""
    deadline = time.monotonic() + timeout
    if tally.playbooks_running and process.poll() is None:
        term.emit("demo", f"waiting for {tally.playbooks_running} running playbook(s) to finish ...")
    while tally.playbooks_running and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)


def _quiet(term: Terminal):
    """Without --verbose, show the story and hide ansible-rulebook's other output."""
    return lambda kind, text: term.emit(kind, text) if kind != "other" else None


class _Tee:
    """--verbose: every raw line to the log and the terminal."""

    def __init__(self, log):
        self.log = log

    def write(self, line: str) -> None:
        self.log.write(line)
        print(line, end="", flush=True)

    def flush(self) -> None:
        self.log.flush()


@contextlib.contextmanager
def _ignore_sigint():
    """A second Ctrl-C must not interrupt the clean-up that makes sure nothing is left behind."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM (a test's timeout, systemd) ends the demo the same way as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
