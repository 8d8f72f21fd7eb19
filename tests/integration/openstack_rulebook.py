"""ansible-rulebook running the openstack source from the INSTALLED collection tarball, for the tests.

The rulebook is written per test (its source options are the test's); one rule prints one line per event
(``OSEVENT|type|...``) with the debug action, which costs no playbook run, so hundreds of events stay cheap.
The transport URL (it holds the password) comes from ZHMC_OPENSTACK_TRANSPORT_URL, never from the rulebook.
"""

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from openstack_publish import numbers_of, publish_numbered

ANSIBLE_RULEBOOK = Path(sys.executable).parent / "ansible-rulebook"
FIELDS = ("type", "severity", "resource.class", "resource.id", "resource.name", "state", "old_state", "request_id",
          "message_id", "payload.n", "priority", "publisher_id", "payload_type", "error", "meta.uuid")


def _template(field):
    """Jinja for one field, '-' when absent (the rules engine's templates are strict about undefined)."""
    if field == "meta.uuid":
        return "{{ event.meta.uuid }}"
    if "." in field:
        outer, inner = field.split(".")
        return f"{{{{ (event.openstack.{outer} | default({{}}, true)).{inner} | default('-') }}}}"
    return f"{{{{ event.openstack.{field} | default('-') }}}}"


LINE = "OSEVENT|" + "|".join(_template(field) for field in FIELDS)


def rulebook_yaml(source_args, rules=None):
    return [{
        "name": "OpenStack notifications",
        "hosts": "all",
        "sources": [{"zhmc.notifications.openstack": source_args}],
        "rules": rules or [{"name": "Every event", "condition": "event.openstack.type is defined",
                            "action": {"debug": {"msg": LINE}}}],
    }]


class OpenStackRulebook:
    """One ansible-rulebook process; ``events()`` parses its OSEVENT lines into dicts."""

    def __init__(self, collections, work, url, source_args, extra_args=(), rulebook=None):
        work.mkdir(parents=True, exist_ok=True)
        self.work = work
        path = rulebook or work / "rulebook.yml"
        if rulebook is None:  # otherwise a rulebook file (a shipped one) with its own source options
            path.write_text(yaml.safe_dump(rulebook_yaml(source_args), sort_keys=False))
        (work / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
                   JAVA_TOOL_OPTIONS="-Xrs", PYTHONUNBUFFERED="1", ZHMC_OPENSTACK_TRANSPORT_URL=url,
                   PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        env.pop("PYTHONPATH", None)  # the source must find module_utils in the installed collection
        self.log = work / "rulebook.log"
        self.command = [str(ANSIBLE_RULEBOOK), "-r", str(path), "-i", str(work / "inventory.yml"), "-v", *extra_args]
        self.env = env
        self.process = None
        self.start()

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            cwd=self.work, start_new_session=True)

    def output(self):
        return self.log.read_text(errors="replace")

    def events(self):
        found = []
        for line in self.output().splitlines():
            start = line.find("OSEVENT|")
            if start >= 0:
                values = line[start:].split("|")[1:]
                if len(values) == len(FIELDS):
                    found.append(dict(zip(FIELDS, values)))
        return found

    def wait_for(self, predicate, what, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if predicate(events):
                return events
            if self.process.poll() is not None:
                raise AssertionError(f"ansible-rulebook exited {self.process.returncode} waiting for {what}:\n"
                                     f"{self.output()[-6000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; events {events}\n{self.output()[-6000:]}")
            time.sleep(0.2)

    def wait_listening(self, timeout=120):
        """Until the source says it listens (its queues exist and are bound from then on)."""
        deadline = time.monotonic() + timeout
        while "listening for OpenStack notifications" not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"ansible-rulebook exited {self.process.returncode}:\n{self.output()[-6000:]}")
            assert time.monotonic() < deadline, f"the source did not start listening:\n{self.output()[-6000:]}"
            time.sleep(0.2)

    def wait_exit(self, timeout=120):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"ansible-rulebook still runs:\n{self.output()[-6000:]}") from None

    def kill(self):
        """SIGKILL the whole process group (ansible-rulebook and its JVM): no clean-up at all."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def check_nothing_lost_while_down(broker, rulebook, pool, durable=False, restart_broker=False):
    """The source (rulebook, reading ``pool``) is SIGKILLed after 5 notifications, 20 are published while it is
    down (and RabbitMQ restarted, with restart_broker), it starts again and 5 more follow: all 30 arrive, only an
    event in flight at the kill may come twice and then with the same meta.uuid, and the queue ends empty."""
    try:
        rulebook.wait_listening()
        publish_numbered(broker.url(), range(1, 6), durable=durable)
        rulebook.wait_for(lambda e: set(numbers_of(e)) == set(range(1, 6)), "the first five")
        broker.wait_queue_depth(pool, 0)  # all five acknowledged: the queue then holds exactly what follows
        rulebook.kill()
        publish_numbered(broker.url(), range(6, 26), durable=durable)
        broker.wait_queue_depth(pool, 20)  # the pool's queue keeps them while the source is down
        if restart_broker:
            broker.restart()
            broker.wait_queue_depth(pool, 20)  # the durable queue and its persistent messages survive
        rulebook.start()
        publish_numbered(broker.url(), range(26, 31), durable=durable)
        events = rulebook.wait_for(lambda e: set(numbers_of(e)) == set(range(1, 31)), "all thirty")
    finally:
        rulebook.stop()
    counts = collections.Counter(numbers_of(events))
    assert {n for n, c in counts.items() if c > 1} <= set(range(1, 6)), counts
    uuids = collections.defaultdict(set)
    for event in events:
        if event["type"] == "compute.instance.update":
            uuids[event["payload.n"]].add(event["meta.uuid"])
    assert all(len(ids) == 1 for ids in uuids.values())
    broker.wait_queue_depth(pool, 0)
