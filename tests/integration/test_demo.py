"""`make demo` end to end: tools/demo.py stops by itself (--duration) or on Ctrl-C, prints the summary, and
leaves neither a process nor a console session behind."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.rulebook

DEMO = Path(__file__).resolve().parents[2] / "tools" / "demo.py"


def demo(work: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen([sys.executable, str(DEMO), "--work-dir", str(work), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def processes_mentioning(text: str) -> list:
    """Command lines of live processes that mention text (the demo's work folder is in all of its children's)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(cmdline)
    return found


def summary_value(output: str, pattern: str) -> str:
    match = re.search(pattern, output)
    assert match, f"{pattern!r} not in the demo's output:\n{output}"
    return match.group(1)


def test_demo_tells_the_story_and_stops_by_itself(tmp_path):
    process = demo(tmp_path, "--duration", "90")
    output = (process.communicate(timeout=300))[0]
    assert process.returncode == 0, output
    # The story: messages flow, the held message is answered and z/OS confirms, the partition comes back.
    assert "HELD   ZOSPROD   *05 IEF238D" in output
    assert "ANSWERED IEF238D on ZOSPROD (reply id 05) with 'CANCEL'" in output
    assert "IEE600I REPLY TO 05 IS;CANCEL" in output
    assert "LNXPROD1  active -> stopped  (unacceptable)" in output
    # The job is followed in the restart playbook's own session; the outcome names the CPC of the system.
    assert re.search(r"RESTARTED LNXPROD1 on \S+: job completed, status active", output), output
    # The summary, checked against what hmcsim saw.
    assert summary_value(output, r"replies sent: (\d+)") == "1"
    assert summary_value(output, r"restarts: (\d+)") == "1"
    assert summary_value(output, r"failed tasks: (\d+)") == "0"
    assert "hmcsim received: replies ['R 05,CANCEL']; jobs ['start LNXPROD1 (complete, 200)']" in output
    assert summary_value(output, r"ansible-rulebook exit code (\S+)\)") == "0"
    assert summary_value(output, r"console sessions still open: (\d+)") == "0"
    fired = {"Answer or escalate a held message": 1, "Restart a chosen system in an unacceptable status": 1,
             "Act on a watched message": 1, "Forward a chosen log entry": 2}
    for rule, count in fired.items():
        assert re.search(rf"\s{count}\s+{rule}$", output, re.MULTILINE), rule
    assert processes_mentioning(str(tmp_path)) == []


def test_demo_stops_cleanly_on_ctrl_c(tmp_path):
    process = demo(tmp_path)
    lines = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        lines.append(line)
        if "the rulebook listens" in line or time.monotonic() > deadline:
            break
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    rest = (process.communicate(timeout=120))[0]
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert "Ctrl-C: stopping" in output
    assert summary_value(output, r"ansible-rulebook exit code (\S+)\)") == "0"
    assert summary_value(output, r"console sessions still open: (\d+)") == "0"
    assert "hmcsim stopped" in output
    assert processes_mentioning(str(tmp_path)) == []
