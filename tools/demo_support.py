"""Building blocks of `make demo` (tools/demo.py), shared with the rulebook integration tests.

Everything here runs the collection the way a user does: built into a Galaxy tarball, installed into a
collections folder, and driven by ansible-rulebook against hmcsim over TLS.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
RULEBOOKS = Path("extensions/eda/rulebooks")
"""Where the rulebooks are, inside the repository and inside the installed collection alike."""


def tool(name: str) -> str:
    """An executable of the virtualenv running this script (ansible-galaxy, ansible-rulebook), else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: run `make venv` (or activate the virtualenv) first")
    return found


def child_env(collections: Path) -> dict:
    """The environment of ansible-rulebook and the playbooks it runs: the installed collection, this venv first."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env["ANSIBLE_NOCOLOR"] = "1"
    # The JVM inside ansible-rulebook (the rules engine) otherwise takes SIGINT and SIGTERM for itself and
    # ends the process at once (exit 130/143): the source would never log off. With -Xrs, ansible-rulebook's
    # own handlers run, cancel the source, and its session is logged off.
    env["JAVA_TOOL_OPTIONS"] = f"{env.get('JAVA_TOOL_OPTIONS', '')} -Xrs".strip()
    # requests lets these override hmc_auth.ca_certs; the demo's CA must win.
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    return env


def build_and_install(work: Path) -> Path:
    """Build the collection tarball from this checkout and install it; returns the collections folder."""
    dist, collections = work / "dist", work / "collections"
    dist.mkdir(parents=True, exist_ok=True)
    galaxy = tool("ansible-galaxy")
    run = {"check": True, "capture_output": True, "text": True, "cwd": REPO}
    try:
        subprocess.run([galaxy, "collection", "build", "--force", "--output-path", str(dist), str(REPO)], **run)
        tarball = next(dist.glob("zhmc-notifications-*.tar.gz"))
        subprocess.run([galaxy, "collection", "install", "--force", "--offline", "-p", str(collections),
                        str(tarball)], **run)
    except subprocess.CalledProcessError as err:
        raise SystemExit(f"building or installing the collection failed:\n{err.stdout}{err.stderr}") from None
    return collections


def installed_collection(collections: Path) -> Path:
    return collections / "ansible_collections" / "zhmc" / "notifications"


def installed_rulebook(collections: Path, name: str) -> Path:
    return installed_collection(collections) / RULEBOOKS / name


def write_inventory(work: Path) -> Path:
    """localhost only, run with this Python (it has requests, which the modules need)."""
    path = work / "inventory.yml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    path.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": host}}}))
    return path


def sim_connection(sim, state_dir: Path) -> dict:
    """Rulebook variables that point the rulebooks at a running hmcsim (SimProcess)."""
    return {"hmc_host": sim.hmc_host, "hmc_userid": "operator", "hmc_password": "operator-password",
            "hmc_ca_certs": sim.ca_file, "hmc_verify": True, "stomp_port": sim.stomp_port,
            "zhmc_state_dir": str(state_dir)}


def subscribed(state: dict, connections: int = 1) -> bool:
    """True once `connections` STOMP connections subscribed and had the last subscription confirmed (the source
    asks a receipt for its last SUBSCRIBE: before it, a later topic of the same connection may not be subscribed
    yet), and every open OS message channel is subscribed."""
    active = [conn for conn in state["stomp"]
              if conn["subscriptions"] and conn.get("confirmed-subscriptions", 0) >= len(conn["subscriptions"])]
    topics = {sub["destination"].removeprefix("/topic/") for conn in active for sub in conn["subscriptions"]}
    channels = {channel["topic-name"] for channel in state["channels"]}
    return len(active) >= connections and channels <= topics


def wait_until_subscribed(control, process=None, timeout: float = 90, connections: int = 1) -> None:
    """Wait for the source(s) to listen; fail early when the rulebook process died meanwhile."""
    deadline = time.monotonic() + timeout
    while not subscribed(control.state(), connections):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"ansible-rulebook exited with {process.returncode} before subscribing")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the event source did not subscribe within {timeout:.0f}s")
        time.sleep(0.2)


def start_rulebook(rulebook: Path, inventory: Path, variables: Path, collections: Path, cwd: Path,
                   verbosity: str = "") -> subprocess.Popen:
    """ansible-rulebook in its own session: Ctrl-C on the terminal reaches only the demo, which then stops it
    in order (SIGINT to the rulebook so that the source logs off, then the console)."""
    cmd = [tool("ansible-rulebook"), "-r", str(rulebook), "-i", str(inventory), "--vars", str(variables)]
    if verbosity:
        cmd.append(verbosity)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                            env=child_env(collections), start_new_session=True, cwd=cwd)


def stop_rulebook(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGINT (ansible-rulebook cancels its sources, which log off), then SIGTERM, then SIGKILL to its group."""
    import signal

    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig) if sig == signal.SIGKILL else process.send_signal(sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    # Playbooks started by the rulebook live in its process group; none may outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


# -- the rulebook's output ------------------------------------------------------------------------------------

_BANNER = re.compile(r"^\*\* \S+ \S+ \[debug\] \*+$")
_RULE_END = re.compile(r"^\*{20,}$")
_PLAYBOOK_MSG = re.compile(r'^\s*"msg": "(?P<text>(?:ANSWERED|ESCALATED|RESTARTING|RESTARTED|DIAGNOSTICS|'
                           r'ACTION|Not answering)[^"]*(?:\\.[^"]*)*)"')
_FAILED = re.compile(r"^(fatal|failed): \[")


@dataclass
class Tally:
    """What happened, counted from the rulebook's output."""

    rules: dict = field(default_factory=dict)
    os_messages: int = 0
    status_changes: int = 0
    log_entries: int = 0
    replies: list = field(default_factory=list)
    escalations: list = field(default_factory=list)
    restarts: list = field(default_factory=list)
    task_failures: int = 0
    playbooks_started: int = 0
    playbooks_done: int = 0
    last_output: float = field(default_factory=time.monotonic)

    @property
    def playbooks_running(self) -> int:
        return max(0, self.playbooks_started - self.playbooks_done)


class OutputReader:
    """Turns ansible-rulebook's output into short lines (what a newcomer should see) and a Tally.

    The demo rulebook prints "KIND|field|..." lines with its debug actions; the playbooks print messages that
    start with ANSWERED, ESCALATED, RESTARTING ... Everything else (banners, task headers) is only kept in the
    raw log.
    """

    def __init__(self, emit, raw=None):
        self.emit = emit
        self.raw = raw
        self.tally = Tally()
        self._in_debug = False

    def feed(self, line: str) -> None:
        if self.raw is not None:
            self.raw.write(line)
            self.raw.flush()
        line = line.rstrip("\n")
        self.tally.last_output = time.monotonic()
        if line.startswith("PLAY RECAP"):
            self.tally.playbooks_done += 1
        if _BANNER.match(line):
            self._in_debug = True
            return
        if self._in_debug:
            if _RULE_END.match(line):
                self._in_debug = False
            else:
                self._debug(line)
            return
        match = _PLAYBOOK_MSG.match(line)
        if match:
            self._playbook(json.loads(f'"{match.group("text")}"'))
        elif _FAILED.match(line):
            self.tally.task_failures += 1
            self.emit("error", line[:200])

    def _debug(self, line: str) -> None:
        kind, _, rest = line.partition("|")
        parts = rest.split("|")
        t = self.tally
        if kind == "OS" and len(parts) >= 3:
            t.os_messages += 1
            held = parts[1] == "True"
            self.emit("held" if held else "os", f"{parts[0]:<9} {'|'.join(parts[2:])}")
        elif kind == "STATUS" and len(parts) >= 4:
            t.status_changes += 1
            flag = "  (unacceptable)" if parts[3] == "True" else ""
            self.emit("status", f"{parts[0]:<9} {parts[1]} -> {parts[2]}{flag}")
        elif kind == "LOG" and len(parts) >= 3:
            t.log_entries += 1
            self.emit("log", f"{parts[0].split('-')[0]:<9} {parts[1]} (user {parts[2]})")
        elif kind == "RULE" and parts:
            # In the demo rulebook every rule that prints RULE runs a playbook next.
            t.rules[parts[0]] = t.rules.get(parts[0], 0) + 1
            t.playbooks_started += 1
            self.emit("rule", f"rule fired: {parts[0]}" + (f" [{parts[1]}]" if len(parts) > 1 else ""))
        elif line.strip():
            self.emit("other", line)

    def _playbook(self, text: str) -> None:
        text = " ".join(text.split())
        t = self.tally
        if text.startswith("ANSWERED"):
            t.replies.append(text)
        elif text.startswith("ESCALATED"):
            t.escalations.append(text)
        elif text.startswith("RESTARTED"):
            t.restarts.append(text)
        self.emit("action", text)

    def pump(self, stream) -> threading.Thread:
        """Read a stream in a thread until it ends."""
        def run():
            for line in stream:
                self.feed(line)
        thread = threading.Thread(target=run, name="rulebook-output", daemon=True)
        thread.start()
        return thread
