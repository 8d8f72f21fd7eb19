"""Failover to a redundant console: two hmcsim instances on 127.0.0.1 and 127.0.0.2, the first one killed.

How the two consoles share OS message state: on a real installation both HMCs manage the same CPC and report
the same partition's messages, with sequence numbers that belong to the partition (see docs/source.md). The
test models this by writing every OS message to each console that is up, in the same order, so both number
them alike; once the first console is gone only the second gets them. Resource URIs are equal on both because
hmcsim derives object ids from the CPC and partition names.
"""

import asyncio
import socket
from pathlib import Path

from module_play import play_tasks
from test_source_helpers import RunningSource, of_type, run, until_subscribed

from hmcsim.testing import SimProcess


def shared_stomp_port():
    """A port free on both loopback addresses: the source has one stomp_port for all its consoles."""
    for _attempt in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.2", port))
                except OSError:
                    continue
        return port
    raise AssertionError("no port free on both 127.0.0.1 and 127.0.0.2")


def two_consoles(tmp_path):
    port = shared_stomp_port()
    first = SimProcess("minimal", tmp_path / "hmc1", host="127.0.0.1", stomp_port=port).start()
    try:
        second = SimProcess("minimal", tmp_path / "hmc2", host="127.0.0.2", stomp_port=port).start()
    except BaseException:
        first.stop()
        raise
    bundle = tmp_path / "both-cas.pem"  # each instance has its own generated CA
    bundle.write_text(Path(first.ca_file).read_text() + Path(second.ca_file).read_text())
    return first, second, port, str(bundle)


def texts(events):
    return [e["hmc"]["os_message"]["text"] for e in events]


def test_source_fails_over_and_recovers_from_the_same_cursors(tmp_path):
    hmc1, hmc2, port, cas = two_consoles(tmp_path)
    up = [hmc1, hmc2]

    def os_message(text):
        """The SE reports each message to every console that manages the CPC."""
        numbers = {sim.control.os_message("PART1", text)["sequence-number"] for sim in up}
        assert len(numbers) == 1, "both consoles number the partition's messages alike"

    args = {"hmc_host": [hmc1.hmc_host, hmc2.hmc_host],
            "hmc_auth": {"userid": "operator", "password": "operator-password", "ca_certs": cas},
            "stomp_port": port, "subscriptions": {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]},
            "reconnect": {"initial_delay": 0.3, "max_delay": 1.0}}
    is_os = of_type("os-message")

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmc1, 1, timeout=30)
            await asyncio.to_thread(os_message, "FIRST001I before")
            await asyncio.to_thread(os_message, "FIRST002I before")
            before = await source.collect(2, is_os, timeout=30)
            hmc1.process.kill()  # gone for good, no goodbye
            hmc1.process.wait()
            up.remove(hmc1)
            await asyncio.to_thread(os_message, "GONE0001I while the source moves")
            await until_subscribed(hmc2, 1, timeout=60)
            await asyncio.to_thread(os_message, "AFTER001I after")
            after = await source.collect(2, is_os, timeout=60)
            return before, after, source.seen

    try:
        before, after, seen = run(scenario())
        assert texts(before) == ["FIRST001I before", "FIRST002I before"]
        assert texts(after) == ["GONE0001I while the source moves", "AFTER001I after"], "once each, in order"
        assert {e["hmc"]["console"]["host"] for e in before} == {"127.0.0.1"}
        assert {e["hmc"]["console"]["host"] for e in after} == {"127.0.0.2"}, "events name the console"
        assert not [e for e in seen if e["hmc"]["type"] == "notifications-missed"]
        assert [e["hmc"]["type"] for e in seen].count("connection-restored") == 1
        assert hmc2.control.logons() == {"ok": 1, "failed": 0}
        assert hmc2.control.sessions() == [], "the source logged off on the console it used last"
    finally:
        hmc1.stop()
        hmc2.stop()


def test_a_module_moves_on_from_a_console_that_is_gone(tmp_path):
    hmc1, hmc2, _port, cas = two_consoles(tmp_path)
    try:
        hmc1.process.kill()
        hmc1.process.wait()
        task = {"zhmc.notifications.resource_info": {
            "hmc_host": [hmc1.hmc_host, hmc2.hmc_host], "cpc_name": "CPC1", "name": "PART1",
            "hmc_auth": {"userid": "operator", "password": "operator-password", "ca_certs": cas}},
            "register": "info"}
        check = {"ansible.builtin.assert": {"that": ["info.resource.name == 'PART1'"]}}
        rc, output = play_tasks(tmp_path / "failover.yml", [task, check], timeout=240)
        assert rc == 0, output
        assert hmc2.control.logons()["ok"] == 1
        assert hmc2.control.sessions() == []
    finally:
        hmc1.stop()
        hmc2.stop()
