"""The source's broker connection in a process of its own (receiver_process, receiver_child), against hmcsim.

What the rest of the source relies on: the frames the triage keeps and the notes of those it drops come in
the broker's order; the process's log records reach the source's loggers without a secret; a process that
dies is a lost connection the source recovers from; and no process outlives the source, however it ends
(an orphan would keep a console subscription alive)."""

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from processes import receiver_children, running, scheduling
from test_source_helpers import _ROOT, RunningSource, of_type, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.cpu_priority import AUTOGROUP
from ansible_collections.zhmc.notifications.plugins.module_utils.early_filter import EarlyFilter, Triage
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import source_filter
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver_process import ReceiverProcess

HELD_ONLY = {"types": ["os-message"], "held": True}
STORM = 1500


def wait_for(what, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.1)


def os_topic(client):
    cpc = client.find_cpc("CPC1")
    [part] = client.list_partitions(cpc["object-uri"], "PART1")
    return client.open_os_message_channel(part["object-uri"])["topic"]


def test_kept_frames_and_drop_notes_come_in_the_brokers_order(hmcsim):
    """A storm with held messages in it: every notification is seen once, as a frame (held) or a note."""
    client = HmcClient([hmcsim.hmc_host], userid="operator", password="operator-password", ca_certs=hmcsim.ca_file)
    client.logon()
    seen, lock = [], threading.Lock()

    def frame(headers, body):
        with lock:
            seen.append(("frame", int(headers["session-sequence-nr"]), json.loads(body)["os-messages"][0]))

    def dropped(runs):
        """Each run back into its notifications (a storm notification holds one OS message)."""
        with lock:
            for _topic, first, last, ranges in runs:
                messages = [[(uri, seq)] for uri, low, high in ranges for seq in range(low, high + 1)]
                seen.extend(("note", ssn, message)
                            for ssn, message in zip(range(first, last + 1), messages, strict=True))

    triage = Triage(EarlyFilter(source_filter(HELD_ONLY).matcher))
    receiver = ReceiverProcess("127.0.0.1", hmcsim.stomp_port, client.session_id, client.session_credential,
                               on_frame=frame, on_lost=lambda reason: None, on_dropped=dropped,
                               ca_certs=hmcsim.ca_file, heartbeat=0, connect_timeout=10, triage=triage)
    try:
        receiver.connect()
        receiver.subscribe([os_topic(client)], confirm=True)
        hmcsim.control.storm("PART1", rate=1000, duration=STORM / 1000)
        for number in range(6):  # the last one after the storm: once it is in, everything before it is
            time.sleep(0.2 if number < 5 else STORM / 1000)
            hmcsim.control.os_message("PART1", f"*{number:02} IEF238D REPLY DEVICE", held=True,
                                      reply_id=f"{number:02}")
        wait_for("the last held message", lambda: sum(item[0] == "frame" for item in seen) == 6)
        time.sleep(0.3)  # anything late or doubled would come now
    finally:
        receiver.close()
        client.logoff()
    assert len(seen) > STORM * 0.9 and seen[-1][0] == "frame", "the storm, then the last held message"
    assert [item[1] for item in seen] == list(range(seen[0][1], seen[0][1] + len(seen))), "in order, none twice"
    held = [item[2] for item in seen if item[0] == "frame"]
    assert [m["message-text"][:3] for m in held] == [f"*{n:02}" for n in range(6)] and all(m["is-held"]
                                                                                           for m in held)
    numbers = [m["sequence-number"] if kind == "frame" else m[0][1] for kind, _ssn, m in seen]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "OS sequence numbers follow too"
    uri = next(m for kind, _ssn, m in seen if kind == "note")[0][0]
    assert uri.startswith("/api/partitions/")


def test_the_process_logs_through_the_source_without_secrets(hmcsim, caplog):
    caplog.set_level(logging.DEBUG)
    client = HmcClient([hmcsim.hmc_host], userid="operator", password="operator-password", ca_certs=hmcsim.ca_file)
    client.logon()
    secrets = (client.session_id, client.session_credential)
    receiver = ReceiverProcess("127.0.0.1", hmcsim.stomp_port, *secrets, on_frame=lambda h, b: None,
                               on_lost=lambda reason: None, ca_certs=hmcsim.ca_file, heartbeat=0, connect_timeout=10)
    try:
        receiver.connect()
        receiver.subscribe([client.job_topic], confirm=True)
    finally:
        receiver.close()
        client.logoff()
    stomp_records = [r for r in caplog.records if r.name.startswith("stomp.py")]
    assert stomp_records and min(r.levelno for r in stomp_records) == logging.DEBUG, "stomp.py's DEBUG lines came"
    assert any("login and passcode, not shown" in r.getMessage() for r in stomp_records), "CONNECT was logged"
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage(), f"{record.name}: {record.getMessage()}"


def test_a_dead_receiver_process_is_a_lost_connection_and_nothing_is_lost(hmcsim):
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    args = source_args(hmcsim, subscriptions, reconnect={"initial_delay": 0.2, "max_delay": 1.0})

    async def scenario():
        async with RunningSource(args, queue_size=100) as source:
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA000I STREAM RUNS")
            await source.wait_for(of_type("os-message", os_message__code="IEA000I"))  # past the start
            [child] = receiver_children(os.getpid())
            os.kill(child, signal.SIGKILL)
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA001I WRITTEN WHILE DOWN")
            lost = await source.wait_for(of_type("connection-lost"))
            assert "receiver process ended unexpectedly" in lost["hmc"]["reason"]
            await source.wait_for(of_type("connection-restored"))
            await source.wait_for(of_type("os-message", os_message__code="IEA001I"))
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "IEA002I LIVE AGAIN")
            await source.wait_for(of_type("os-message", os_message__code="IEA002I"))
            codes = [e["hmc"]["os_message"]["code"] for e in source.seen if e["hmc"]["type"] == "os-message"]
            assert codes.count("IEA001I") == 1 and codes.count("IEA002I") == 1, codes
            assert not running(child)
            assert len(receiver_children(os.getpid())) == 1, "the new connection's process, and only it"
        assert receiver_children(os.getpid()) == [], "stopping the source ends its receiver process"

    run(scenario())


def test_no_receiver_process_outlives_a_killed_source(hmcsim):
    """SIGKILL gives the source no chance to close anything: its process notices its end of the pair closing."""
    args = source_args(hmcsim, {"jobs": True})
    program = (f"import asyncio, json, runpy, sys; sys.path.insert(0, {str(_ROOT)!r}); "
               f"source = runpy.run_path({str(_ROOT / 'ansible_collections/zhmc/notifications/extensions/eda/plugins/event_source/hmc.py')!r}); "  # noqa: E501
               "queue = asyncio.Queue(); asyncio.run(source['main'](queue, json.loads(sys.argv[1])))")
    source = subprocess.Popen([sys.executable, "-c", program, json.dumps(args)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        wait_for("the source's subscription", lambda: len(hmcsim.control.stomp_connections()) == 1)
        [child] = receiver_children(source.pid)
        source.kill()
        source.wait(10)
        wait_for("the receiver process's end", lambda: not running(child), timeout=10)
        wait_for("the broker connection's end", lambda: hmcsim.control.stomp_connections() == [], timeout=10)
    finally:
        source.kill()
        source.wait(10)


def test_receiver_nice_lowers_only_the_receiver_process(hmcsim):
    """receiver_nice 9: the receiver process and its autogroup run at nice 9, the source keeps its own; the
    stream still flows. Without the option the process keeps the source's priority."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
    own = scheduling(os.getpid())

    async def scenario(args, code):
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 2)
            [child] = receiver_children(os.getpid())
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", f"{code} READ")
            await source.wait_for(of_type("os-message", os_message__code=code))
            return scheduling(child)

    lowered = run(scenario(source_args(hmcsim, subscriptions, receiver_nice=9), "IEA000I"))
    # the receiver runs in a session, so in an autogroup, of its own wherever the kernel has them
    assert lowered == (9, 9 if os.path.exists(AUTOGROUP) else None)
    assert scheduling(os.getpid()) == own, "the source's own priority is unchanged"
    default = run(scenario(source_args(hmcsim, subscriptions), "IEA001I"))
    assert default[0] == own[0]
