"""The held message responder (installed tarball, ansible-rulebook as a user runs it) with its checkpoint,
killed with SIGKILL at random points of an OS message storm with held messages and started again.

What the console wrote is read back from hmcsim, what the rules engine received from ansible-rulebook's own
--print-events output (printed as the engine takes each event from its queue), and the replies from the
commands hmcsim received. Every OS message must reach the engine (0 lost); one that reaches it twice must be
one the checkpoint did not cover at the kill (in flight) and carry the same meta.uuid; no held message may be
answered twice. Once without feedback, once with --persistence-id and feedback: true.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import demo_support as ds

pytestmark = pytest.mark.rulebook

SCENARIO = {
    "console": {"name": "HMC1", "type": "hmc", "api_version": "4.10", "os_history": 100000},
    "users": [{"userid": "operator", "password": "operator-password", "permissions": ["*"]}],
    "cpcs": [{"name": "CPC2", "dpm": False,
              "lpars": [{"name": "LP01", "status": "operating", "os_name": "ZOS1", "os_type": "MVS"}]}],
}
REPLIES = [{"code": "IEF238D", "text": "PAYROLL ", "reply": "CANCEL"}]
RATE, STORM = 120, 6.0
"""OS messages per second and for how long: short, so that the test stays well under a minute and a half."""
KILLS = 2
HELD = 4
LAST_REPLY_ID = "20"
TIMEOUT = 90


_SEQUENCE = re.compile(r"'sequence_number': (\d+)")
_UUID = re.compile(r"'uuid': '([0-9a-f-]{36})'")


class Run:
    """One ansible-rulebook process and the events its engine printed."""

    def __init__(self, cmd, env, cwd, log):
        self.events = []
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                        env=env, cwd=cwd, start_new_session=True)
        self._log = log
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        block = None
        for line in self.process.stdout:
            self._log.write(line)
            if line.startswith("Event:"):
                block = []
            elif block is not None:
                if line.startswith("**"):
                    self._record("".join(block))
                    block = None
                else:
                    block.append(line)
        self._log.flush()

    def _record(self, text):
        """The sequence number and meta.uuid of a printed OS message event (Python repr, from pprint).

        Read with patterns rather than as a literal: a playbook's output (JSON, double quotes) may interleave.
        """
        if "'type': 'os-message'" not in text:
            return
        seq, uuid = _SEQUENCE.search(text), _UUID.search(text)
        assert seq and uuid, f"unreadable event print: {text[:500]}"
        self.events.append((int(seq.group(1)), uuid.group(1)))

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(10)


def eventually(predicate, what, run=None, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if run is not None and run.process.poll() is not None:
            raise AssertionError(f"ansible-rulebook exited with {run.process.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
    return value


def written(sim):
    """How many OS messages LP01's OS wrote (sequence numbers 0 .. n-1)."""
    return next(r for r in sim.control.resources() if r["name"] == "LP01")["os-messages"]


def cursor_in(path):
    """The checkpoint's cursor of LP01; -1 when it holds nothing delivered yet (the console had no message)."""
    last = next(iter(json.loads(path.read_text())["cursors"]["cursors"].values()))["last"]
    return -1 if last is None else last


@pytest.mark.parametrize("feedback", [False, True], ids=["queue", "feedback"])
def test_sigkill_during_a_storm_loses_nothing_and_answers_once(hmcsim_factory, collections, tmp_path, feedback):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    sim = hmcsim_factory(scenario=str(scenario))
    state = tmp_path / "state"
    checkpoint = state / "responder.checkpoint.json"
    # The shipped responder, with every OS message let through to the engine (it filters the held ones at the
    # source) so that the test sees each one arrive; with feedback: true for the second run.
    document = yaml.safe_load(ds.installed_rulebook(collections, "held_message_responder.yml").read_text())
    source = document[0]["sources"][0]["zhmc.notifications.hmc"]
    source["filters"].pop("held")
    # The look-ahead (on in the responder) would bring held messages ahead of the routine ones of this 120/s
    # storm, out of the stream's order, which the checks below compare with the checkpoint's cursor.
    source["held_lookahead"] = 0
    if feedback:
        source["feedback"] = True
    rulebook = tmp_path / "responder.yml"
    rulebook.write_text(yaml.safe_dump(document, sort_keys=False))
    variables = {**ds.sim_connection(sim, state), "hmc_systems": [{"cpc": "CPC2", "lpars": ["LP01"]}],
                 "held_message_replies": REPLIES, "hmc_checkpoint": str(checkpoint)}
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    cmd = [ds.tool("ansible-rulebook"), "-r", str(rulebook), "-i", str(ds.write_inventory(tmp_path)),
           "--vars", str(vars_file), "--print-events"]
    if feedback:
        cmd += ["--persistence-id", "zhmc-checkpoint-test"]
    env = ds.child_env(collections)
    chance = random.Random()
    log = open(tmp_path / "ansible-rulebook.log", "w")  # noqa: SIM115 (closed at the end)
    runs, cursors_at_kill = [], []

    def start():
        run = Run(cmd, env, tmp_path, log)
        runs.append(run)
        return run

    try:
        run = start()
        ds.wait_until_subscribed(sim.control, run.process)
        sim.control.storm("LP01", RATE, STORM)
        storm_end = time.monotonic() + STORM

        def held_messages():
            for number in range(HELD):
                time.sleep(STORM / (HELD + 1))
                sim.control.os_message("LP01", "IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                                       reply_id=str(10 + number))
        writer = threading.Thread(target=held_messages, daemon=True)
        writer.start()
        for _kill in range(KILLS):
            # A random point once the engine receives events again (at a restart: recovered ones first).
            eventually(lambda run=run: run.events, "the first event of this run", run)
            time.sleep(chance.uniform(0.3, 2.0))
            run.kill()
            cursors_at_kill.append(cursor_in(checkpoint))
            run = start()
        writer.join(STORM + 10)
        eventually(lambda: time.monotonic() > storm_end, "the end of the storm")
        # One more held message: the last run gets it live or recovers it, after everything written before, and
        # answers it (no kill ends its playbook).
        marker = sim.control.os_message("LP01", "IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                                        reply_id=LAST_REPLY_ID)["sequence-number"]
        eventually(lambda: marker in _numbers([run]), "the last message", run)
        eventually(lambda: _replies(sim).get(LAST_REPLY_ID), "the answer to the last held message", run)
        # Everything written, also the console's IEE600I after each reply, reaches the last run.
        eventually(lambda: _idle(sim, run) and _numbers(runs) >= set(range(written(sim))), "every OS message", run)
        rc = ds.stop_rulebook(run.process)
        run._reader.join(10)
    finally:
        for each in runs:
            if each.process.poll() is None:
                each.kill()
        log.close()
    assert rc == 0, (tmp_path / "ansible-rulebook.log").read_text()[-3000:]

    total = written(sim)
    delivered = _numbers(runs)
    assert delivered == set(range(total)), f"lost: {sorted(set(range(total)) - set(delivered))[:20]}"
    uuids = {}
    for r in runs:
        for seq, uuid in r.events:
            assert uuids.setdefault(seq, uuid) == uuid, f"OS message {seq} came again with another meta.uuid"
    duplicates = 0
    for index, cursor in enumerate(cursors_at_kill):
        before = _numbers(runs[:index + 1])
        again = [seq for seq, _uuid in runs[index + 1].events if seq in before]
        # A restart resumes right after the checkpoint: only what it did not cover comes again.
        assert all(seq > cursor for seq in again), (cursor, again[:10])
        assert runs[index + 1].events[0][0] == cursor + 1, (cursor, runs[index + 1].events[:3])
        duplicates += len(again)
    print(f"\n{'feedback' if feedback else 'queue'}: {total} OS messages, {len(runs) - 1} SIGKILLs, 0 lost, "
          f"{duplicates} delivered again (in flight at a kill), checkpoints at the kills: {cursors_at_kill}")

    # A held message whose playbook a kill ended (or whose action the engine had not started yet) stays
    # unanswered; one that was claimed is never answered again, whatever was delivered twice.
    replies = _replies(sim)
    assert all(count == 1 for count in replies.values()), f"a held message was answered twice: {replies}"
    assert replies[LAST_REPLY_ID] == 1
    print(f"held messages answered: {sorted(replies)} of {[str(10 + n) for n in range(HELD)] + [LAST_REPLY_ID]}")


def _replies(sim):
    """{reply id: how many replies the console received to it}."""
    counts = {}
    for command in sim.control.os_commands():
        if command["replied-to"] or command["text"].startswith("R "):
            key = command["replied-to"] or command["text"].split()[1].split(",")[0]
            counts[key] = counts.get(key, 0) + 1
    return counts


def _numbers(runs):
    """The OS message sequence numbers the engine received in these runs."""
    return {seq for run in runs for seq, _uuid in run.events}


def _idle(sim, run):
    """No playbook of the run is answering (a reply makes the console write IEE600I) and the console wrote
    nothing for a second."""
    count = written(sim)
    if any("ansible-playbook" in _command_line(child) for child in _children(run.process.pid)):
        return False
    time.sleep(1)
    return written(sim) == count


def _command_line(process):
    """The process's command line; empty once it has ended (a child listed a moment ago can be gone now)."""
    try:
        return " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return ""


def _children(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
