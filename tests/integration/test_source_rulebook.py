"""ansible-rulebook end to end with the INSTALLED collection tarball: hmcsim over TLS, and a real ActiveMQ
broker fed by ``hmcsim --broker``. Rules write one line per event to a file; the tests assert on that file.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.rulebook

RULEBOOK = Path(__file__).parent / "rulebooks" / "notifications.yml"
ANSIBLE_RULEBOOK = Path(sys.executable).parent / "ansible-rulebook"
SPLIT_TEXT = "IEA995I " + "Y" * 2400


class Rulebook:
    """ansible-rulebook running RULEBOOK with the installed collection; lines() reads the rules' output file."""

    def __init__(self, sim, collections, tmp_path, stomp_port=None, ca_file=None):
        self.out = tmp_path / "out.txt"
        self.out.touch()
        variables = {"hmc_host": sim.hmc_host, "ca_file": str(ca_file or sim.ca_file),
                     "stomp_port": stomp_port or sim.stomp_port, "out": str(self.out)}
        (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        # -Xrs: without it the rules engine's JVM exits on SIGINT/SIGTERM before the source can log off.
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", JAVA_TOOL_OPTIONS="-Xrs",
                   PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        env.pop("PYTHONPATH", None)  # the source must find module_utils in the installed collection
        self.log = tmp_path / "rulebook.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(ANSIBLE_RULEBOOK), "-r", str(RULEBOOK), "-i", str(tmp_path / "inventory.yml"),
                 "--vars", str(tmp_path / "vars.yml"), "-v"],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)

    def lines(self):
        return self.out.read_text().splitlines()

    def wait_lines(self, predicate, timeout=90, what="lines"):
        deadline = time.monotonic() + timeout
        while not predicate(self.lines()):
            if self.process.poll() is not None:
                raise AssertionError(f"ansible-rulebook exited {self.process.returncode}:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                log = self.log.read_text()[-4000:]
                raise AssertionError(f"timed out waiting for {what}; got {self.lines()}\n{log}")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_subscribed(sim, count, timeout=90):
    """Wait until the source holds `count` subscriptions (on hmcsim's own STOMP endpoint)."""
    deadline = time.monotonic() + timeout
    while sum(len(c.get("subscriptions") or []) for c in sim.control.stomp_connections()) < count:
        assert time.monotonic() < deadline, "the source did not subscribe in time"
        time.sleep(0.2)


def wait_channel(sim, name, timeout=90):
    """Wait until the source's session has the OS message channel of `name` open (works with --broker too)."""
    deadline = time.monotonic() + timeout
    while not any(c["name"] == name for c in sim.control.channels()):
        assert time.monotonic() < deadline, f"no OS message channel for {name}"
        time.sleep(0.2)


def trigger_every_kind(sim):
    control = sim.control
    control.os_message("PART1", "IEA000I PLAIN MESSAGE")
    control.os_message("PART1", "IEF238D JOB1 - REPLY DEVICE NAME", held=True, reply_id="07")
    control.step("job_completion", resource="PART1", session=control.only_session())
    control.set_status("PART3", "starting")
    control.step("log_entry", log="audit", event_name="Logon", message="operator logged on")
    control.step("split_os_message", resource="PART2", text=SPLIT_TEXT)


EXPECTED = ["os IEA000I", "held IEF238D 07", "job complete", "status PART3 starting", "audit Logon",
            f"bcpii IEA995I {len(SPLIT_TEXT)}"]


def test_rules_fire_for_every_kind_and_survive_a_dropped_connection(hmcsim, collections, tmp_path):
    rulebook = Rulebook(hmcsim, collections, tmp_path)
    try:
        wait_subscribed(hmcsim, 5)  # PART1, object, job, audit and BCPii topics
        trigger_every_kind(hmcsim)
        rulebook.wait_lines(lambda lines: set(EXPECTED) <= set(lines), what="one line per kind")
        assert sorted(rulebook.lines()) == sorted(EXPECTED), "each rule fired exactly once"

        # Fault: messages published while the connection is down arrive exactly once, in order.
        hmcsim.control.os_message("PART1", "MSG0001I before")
        rulebook.wait_lines(lambda lines: "os MSG0001I" in lines, what="MSG0001I")
        hmcsim.control.drop_connections()
        for n in (2, 3, 4):
            hmcsim.control.os_message("PART1", f"MSG000{n}I during")
        rulebook.wait_lines(lambda lines: "connection-restored" in lines, what="connection-restored")
        wait_subscribed(hmcsim, 5)
        hmcsim.control.os_message("PART1", "MSG0005I after")
        rulebook.wait_lines(lambda lines: "os MSG0005I" in lines, what="MSG0005I")
        messages = [line for line in rulebook.lines() if line.startswith("os MSG")]
        assert messages == [f"os MSG000{n}I" for n in range(1, 6)]
        assert rulebook.lines().count("connection-lost") == 1
    finally:
        rulebook.stop()
    assert hmcsim.control.sessions() == [], "the source logs off when ansible-rulebook stops"


@pytest.mark.activemq
def test_rules_fire_through_a_real_activemq_broker(hmcsim_factory, activemq_broker, collections, tmp_path):
    sim = hmcsim_factory(broker=activemq_broker.url(ssl=True), broker_ca=activemq_broker.ca_file, no_stomp=True)
    bundle = tmp_path / "ca-bundle.pem"  # the console's and the broker's CA: the source verifies both
    bundle.write_text(Path(sim.ca_file).read_text() + Path(activemq_broker.ca_file).read_text())
    rulebook = Rulebook(sim, collections, tmp_path, stomp_port=activemq_broker.stomp_ssl_port,
                        ca_file=bundle)
    try:
        wait_channel(sim, "PART1")
        time.sleep(3)  # subscriptions on the broker are not visible through hmcsim's control API
        trigger_every_kind(sim)
        rulebook.wait_lines(lambda lines: set(EXPECTED) <= set(lines), what="one line per kind")
        assert sorted(rulebook.lines()) == sorted(EXPECTED)
    finally:
        rulebook.stop()
