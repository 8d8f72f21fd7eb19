"""Benchmark: what one held message reply costs, the playbook alone (no rules engine, no storm).

The storm benchmark's baseline is ten reply playbooks in 30 s; how much of the machine they take decides how
much is left for a storm. This runs the shipped reply playbook (held_message_reply.yml from the installed
tarball, the demo's reply table) with ansible-playbook as ansible-rulebook would, for held messages hmcsim
holds, and, as the baseline in the same run, ansible-playbook with a one-task playbook (a debug message): the
price of any playbook on this machine. Per run: wall time, CPU seconds of ansible-playbook and everything it
started, and for the reply the time from the start to the reply arriving at the console (hmcsim's clock).
"""

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import yaml
from bench_lib import REPO_ROOT, table
from rig import USER, Rig

sys.path.insert(0, str(REPO_ROOT / "tools"))

import demo_support as ds
from storm import HELD_TEXT, SPACING, demo_replies

STORM_REPLIES_PER_SECOND = 1 / SPACING
"""The storm benchmark's load: its held messages come SPACING seconds apart."""
TRIVIAL_PLAYBOOK = [{"name": "One task", "hosts": "localhost", "gather_facts": False,
                     "tasks": [{"name": "Say something", "ansible.builtin.debug": {"msg": "nothing to do"}}]}]


def _held_event(sim, resource_record: dict, reply_id: str) -> dict:
    """The normalized event of a new held message, as the source would emit it (the fields the role reads)."""
    number = sim.control.os_message("PART1", HELD_TEXT, held=True, reply_id=reply_id)["sequence-number"]
    return {"hmc": {"type": "os-message", "console": {"host": sim.endpoints["host"]},
                    "resource": {"uri": resource_record["object-uri"], "name": "PART1", "cpc": "CPC1",
                                 "class": resource_record["class"]},
                    "os_message": {"held": True, "reply_id": reply_id, "code": "IEF238D", "indicator": "*",
                                   "sequence_number": number, "text": HELD_TEXT}},
            "meta": {"uuid": f"reply-cost-{reply_id}"}}


def _play(playbook: Path, inventory: Path, variables: Path, collections: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of ansible-playbook and its children, start time) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    done = subprocess.run([ds.tool("ansible-playbook"), str(playbook), "-i", str(inventory), "-e", f"@{variables}"],
                          capture_output=True, text=True, env=ds.child_env(collections))
    wall = time.time() - started
    if done.returncode:
        raise RuntimeError(f"{playbook.name} failed (rc {done.returncode}): {done.stdout[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, started


def _sent_at(sim, reply_id: str) -> float | None:
    return next((c["time"] for c in sim.control.os_commands() if c["text"].startswith(f"R {reply_id},")), None)


def run(runs: int = 5) -> str:
    rig = Rig("reply_cost")
    try:
        collections = ds.build_and_install(rig.dir / "collection")
        sim = rig.start_sim()
        record = next(r for r in sim.control.resources() if r["name"] == "PART1")
        inventory = ds.write_inventory(rig.dir)
        trivial = rig.dir / "trivial.yml"
        trivial.write_text(yaml.safe_dump(TRIVIAL_PLAYBOOK, sort_keys=False))
        reply = ds.installed_collection(collections) / "playbooks" / "held_message_reply.yml"
        # A fresh state file: the responder rightly refuses what an earlier run's claims name (same console,
        # partition, sequence number and reply id in a new hmcsim).
        state = rig.dir / "state"
        shutil.rmtree(state, ignore_errors=True)
        connection = {"hmc_host": sim.hmc_host, "hmc_userid": USER["userid"], "hmc_password": USER["password"],
                      "hmc_ca_certs": sim.ca_file, "hmc_verify": True, "zhmc_state_dir": str(state),
                      "held_message_replies": demo_replies()}
        none = rig.dir / "none.json"
        none.write_text("{}")

        def reply_once(reply_id: str) -> tuple[float, float, float]:
            variables = rig.dir / f"event-{reply_id}.json"
            event = _held_event(sim, record, reply_id)
            variables.write_text(json.dumps({**connection, "ansible_eda": {"event": event}}))
            wall, cpu, started = _play(reply, inventory, variables, collections)
            sent = _sent_at(sim, reply_id)
            if sent is None:
                raise RuntimeError(f"the reply playbook sent no reply for {reply_id}")
            return wall, cpu, sent - started

        _play(trivial, inventory, none, collections)  # warm-ups: the page cache and hmcsim have seen both
        reply_once("39")
        rows = {"trivial": [], "reply": []}
        for number in range(runs):  # alternated, so that drift in the machine's load hits both alike
            rows["trivial"].append(_play(trivial, inventory, none, collections)[:2])
            rows["reply"].append(reply_once(f"{40 + number}"))
    finally:
        rig.stop()
    return _report(rows, runs)


def _report(rows: dict, runs: int) -> str:
    trivial_cpu = median([cpu for _, cpu in rows["trivial"]])
    reply_cpu = median([cpu for _, cpu, _ in rows["reply"]])
    table_rows = [
        ["trivial playbook (1 debug task)", f"{median([w for w, _ in rows['trivial']]):.2f}", f"{trivial_cpu:.2f}",
         "", "1.00"],
        ["held_message_reply.yml", f"{median([w for w, _, _ in rows['reply']]):.2f}", f"{reply_cpu:.2f}",
         f"{median([s for _, _, s in rows['reply']]):.2f}", f"{reply_cpu / trivial_cpu:.2f}"],
    ]
    return "\n".join([
        f"ansible-playbook run {runs} times each, alternated, on an idle machine; medians. CPU: ansible-playbook "
        "and every process it started (module runs, the state guard).", "",
        table(["playbook", "wall s", "CPU s", "start to reply at the console s", "CPU vs trivial"], table_rows), "",
        f"The storm benchmark's replies, one every {SPACING:.0f} s, take {reply_cpu * STORM_REPLIES_PER_SECOND:.2f} "
        "cores of this machine by themselves (CPU per reply / spacing), before the rules engine, the source and "
        "the storm."])
