"""Fault matrix of the EDA source against hmcsim: what the rulebook receives, and what the console saw.

Each test injects one fault and checks both sides: the events (or the error main() raises) and hmcsim's own
record (logon attempts, sessions, STOMP connections). Faults already covered by the source's own tests
(dropped connection, stalled heart-beats, console restart with new topic names) are not repeated here.
Times are only generous bounds ("fails within 60 s, not never"), never performance claims.
"""

import asyncio
import gc
import time
from pathlib import Path

import pytest
import yaml
from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import ReceiverError

MINIMAL = Path(__file__).resolve().parents[2] / "tools/hmcsim/src/hmcsim/scenarios/minimal.yaml"
OS_PART1 = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}
FAST_RECONNECT = {"initial_delay": 0.3, "max_delay": 1.0}


def scenario_file(tmp_path, **console):
    """The minimal scenario plus a user without task permissions and the given console settings."""
    data = yaml.safe_load(MINIMAL.read_text())
    data["console"].update(console)
    data["users"].append({"userid": "nobody", "password": "nobody-password", "permissions": []})
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def os_codes(events):
    return [e["hmc"]["os_message"]["code"] for e in events if e["hmc"]["type"] == "os-message"]


async def fails_at_start(args, error, match, bound=60.0):
    """main() raises `error` matching `match` within `bound` seconds (a clear error, never a silent hang)."""
    started = time.monotonic()
    async with RunningSource(args) as source:
        with pytest.raises(error, match=match):
            await source.next(timeout=bound)
    return time.monotonic() - started


# -- start-up faults ----------------------------------------------------------------------------------------------

def test_console_unreachable_at_start_fails_with_a_clear_error(hmcsim):
    args = source_args(hmcsim, OS_PART1)
    args["hmc_host"] = "127.0.0.1:1"
    run(fails_at_start(args, HmcError, r"Logon of user 'operator' on hmc 127.0.0.1:1 failed: cannot connect"))


def test_stomp_disabled_at_start_fails_naming_it_and_logs_off(hmcsim):
    """WS API fine, nothing listening on the STOMP port: the hint points at Customize API Settings."""
    args = source_args(hmcsim, OS_PART1, stomp_port=1)
    run(fails_at_start(args, ReceiverError, r"connection refused \(is STOMP enabled"))
    assert hmcsim.control.sessions() == [], "the session made for the source was logged off"
    assert hmcsim.control.logons() == {"ok": 1, "failed": 0}


def test_wrong_password_is_one_logon_attempt(hmcsim):
    args = source_args(hmcsim, OS_PART1)
    args["hmc_auth"]["password"] = "wrong-password"
    run(fails_at_start(args, HmcError, r"HTTP 403 reason 0: Logon failed: the userid or password is not valid"))
    time.sleep(1)  # a retry storm would show up as more attempts by now
    assert hmcsim.control.logons() == {"ok": 0, "failed": 1}


def test_expired_given_session_fails_naming_the_session_without_logging_on(hmcsim):
    """A session id that is no longer valid, and no userid/password to renew it: clear error, no logon at all."""
    from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

    client = HmcClient([hmcsim.hmc_host], userid="operator", password="operator-password", ca_certs=hmcsim.ca_file)
    client.logon()
    stale = (client.session_id, client.session_credential)
    client.logoff()
    args = source_args(hmcsim, OS_PART1)
    args["hmc_auth"] = {"session_id": stale[0], "session_credential": stale[1], "ca_certs": hmcsim.ca_file}
    run(fails_at_start(args, HmcError, r"HTTP 403 reason 5"))
    assert hmcsim.control.logons() == {"ok": 1, "failed": 0}, "only the test's own logon"
    assert hmcsim.control.stomp_connections() == []


def test_session_limit_reached_fails_once(hmcsim_factory, tmp_path):
    sim = hmcsim_factory(scenario_file(tmp_path, session_limit=1))
    from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

    holder = HmcClient([sim.hmc_host], userid="operator", password="operator-password", ca_certs=sim.ca_file)
    holder.logon()
    run(fails_at_start(source_args(sim, OS_PART1), HmcError, r"HTTP 403 reason 15: .*maximum number of API sessions"))
    time.sleep(1)
    assert sim.control.logons() == {"ok": 1, "failed": 1}
    assert [s["id"] for s in sim.control.sessions()] == [holder.session_id], "the holder's session is untouched"
    holder.logoff()


def test_missing_task_permission_names_the_operation_and_logs_off(hmcsim_factory, tmp_path):
    sim = hmcsim_factory(scenario_file(tmp_path))
    args = source_args(sim, OS_PART1)
    args["hmc_auth"].update(userid="nobody", password="nobody-password")
    run(fails_at_start(args, HmcError, r"Open OS Message Channel .*PART1.* HTTP 403 reason 1: .*not authorized"))
    assert sim.control.logons() == {"ok": 1, "failed": 0}
    assert sim.control.sessions() == [] and sim.control.stomp_connections() == []


# -- faults while running -----------------------------------------------------------------------------------------

def test_broker_error_frame_is_surfaced_and_recovered(hmcsim):
    """The broker revokes the topic with an ERROR frame and closes: the reason reaches the rulebook, the source
    reconnects by itself and OS messages published meanwhile arrive once, in order."""
    revoked = "The destination /topic/x is not a known or approved topic"

    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 2)
            control = hmcsim.control
            await asyncio.to_thread(control.os_message, "PART1", "ERR0001I before")
            await source.wait_for(of_type("os-message"))
            assert (await asyncio.to_thread(control.stomp_error, revoked))["errors"] == 1
            await asyncio.to_thread(control.os_message, "PART1", "ERR0002I during")
            lost = await source.wait_for(of_type("connection-lost"), timeout=30)
            assert revoked in lost["hmc"]["reason"]
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(control.os_message, "PART1", "ERR0003I after")
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "ERR0003I")
            assert os_codes(source.seen) == ["ERR0001I", "ERR0002I", "ERR0003I"]
            assert len(await asyncio.to_thread(control.stomp_connections)) == 1

    run(scenario())


def test_console_shutting_down_then_starting(hmcsim):
    """console-shutting-down reaches the rulebook even when only OS messages are subscribed (it is the warning
    an operator needs); after the restart the source recovers by itself, OS messages exactly once, in order."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 2)
            control = hmcsim.control
            await asyncio.to_thread(control.os_message, "PART1", "SHD0001I before")
            await asyncio.to_thread(control.shutting_down, reason="firmware update")
            await asyncio.to_thread(control.os_message, "PART1", "SHD0002I while shutting down")
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "SHD0002I")
            await asyncio.to_thread(control.restart_console, 2)
            await source.wait_for(of_type("connection-lost"), timeout=30)
            await asyncio.to_thread(control.os_message, "PART1", "SHD0003I while down")
            await source.wait_for(of_type("connection-restored"), timeout=60)
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(control.os_message, "PART1", "SHD0004I after")
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "SHD0004I")
            assert os_codes(source.seen) == ["SHD0001I", "SHD0002I", "SHD0003I", "SHD0004I"]
            kinds = [e["hmc"]["type"] for e in source.seen]
            assert "console-shutting-down" in kinds, kinds
            assert kinds.index("console-shutting-down") < kinds.index("connection-lost")
            assert len(await asyncio.to_thread(control.sessions)) == 1, "one new session, the old one is gone"

    run(scenario())


def test_os_messages_beyond_the_console_history_are_reported_missed_with_their_extent(hmcsim_factory, tmp_path):
    """More OS messages during an outage than the console keeps: the recovered ones arrive, and the ones the
    console no longer has are reported as notifications-missed with the sequence range, not silently lost."""
    sim = hmcsim_factory(scenario_file(tmp_path, os_history=5))

    async def scenario():
        async with RunningSource(source_args(sim, OS_PART1, reconnect={"initial_delay": 2, "max_delay": 2})) as source:
            await until_subscribed(sim, 2)
            control = sim.control
            first = await asyncio.to_thread(control.os_message, "PART1", "GAP0000I before")
            await source.wait_for(of_type("os-message"))
            await asyncio.to_thread(control.drop_connections)
            for n in range(1, 11):
                await asyncio.to_thread(control.os_message, "PART1", f"GAP{n:04d}I during")
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "GAP0010I")
            assert os_codes(source.seen) == ["GAP0000I"] + [f"GAP{n:04d}I" for n in range(6, 11)]
            missed = [e for e in source.seen if e["hmc"]["type"] == "notifications-missed"]
            assert len(missed) == 1, [e["hmc"]["type"] for e in source.seen]
            assert missed[0]["hmc"]["count"] == 5
            assert missed[0]["hmc"]["resource"]["name"] == "PART1"
            base = first["sequence-number"]
            assert (missed[0]["hmc"].get("first_sequence"), missed[0]["hmc"].get("last_sequence")) == (base + 1,
                                                                                                       base + 5)

    run(scenario())


def test_a_held_message_the_console_kept_through_a_storm_is_recovered_and_the_hole_after_it_reported(
        hmcsim_factory, tmp_path):
    """A WTOR written during an outage, then more routine messages than the console keeps: the console keeps the
    held message and drops the routine ones after it (oldest non-held, non-priority first), so the recovery emits
    the WTOR and reports the hole between it and the routine messages still kept."""
    sim = hmcsim_factory(scenario_file(tmp_path, os_history=5))

    async def scenario():
        async with RunningSource(source_args(sim, OS_PART1, reconnect={"initial_delay": 2, "max_delay": 2})) as source:
            await until_subscribed(sim, 2)
            control = sim.control
            await asyncio.to_thread(control.os_message, "PART1", "GAP0000I before")
            await source.wait_for(of_type("os-message"))
            await asyncio.to_thread(control.drop_connections)
            held = await asyncio.to_thread(control.os_message, "PART1", "GAP0001A REPLY U OR CANCEL", held=True,
                                           reply_id="11")
            for n in range(2, 12):
                await asyncio.to_thread(control.os_message, "PART1", f"GAP{n:04d}I during")
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "GAP0011I")
            assert os_codes(source.seen) == ["GAP0000I", "GAP0001A"] + [f"GAP{n:04d}I" for n in range(8, 12)]
            recovered = next(e for e in source.seen if (e["hmc"].get("os_message") or {}).get("code") == "GAP0001A")
            assert recovered["hmc"]["os_message"]["held"] is True
            missed = [e["hmc"] for e in source.seen if e["hmc"]["type"] == "notifications-missed"]
            base = held["sequence-number"]
            assert [(m["count"], m["first_sequence"], m["last_sequence"]) for m in missed] == [(6, base + 1, base + 6)]

    run(scenario())


def test_reconnect_with_nothing_missed_emits_only_the_connection_events(hmcsim):
    """After an outage in which the console produced no OS message, recovery finds nothing: no parse-error or
    other made-up event may appear, only connection-lost and connection-restored."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "NOP0001I before")
            await source.wait_for(of_type("os-message"))
            await asyncio.to_thread(hmcsim.control.drop_connections)
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await until_subscribed(hmcsim, 2)
            await asyncio.to_thread(hmcsim.control.os_message, "PART1", "NOP0002I after")
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "NOP0002I")
            assert [e["hmc"]["type"] for e in source.seen] == ["os-message", "connection-lost",
                                                               "connection-restored", "os-message"]

    run(scenario())


def _handoffs():
    """The source's thread-to-asyncio handoffs alive in this process (the source runs in-process here)."""
    return [o for o in gc.get_objects() if type(o).__name__ == "Handoff" and not o._closed]


def _rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_slow_rules_engine_loses_nothing_and_buffers_boundedly(hmcsim):
    """The consumer blocks for a while during a storm: nothing is dropped or doubled, and the source buffers at
    most its handoff's capacity (the receiver thread then stops reading, so the rest waits in TCP buffers and
    at the console) instead of growing with the storm."""
    rate, duration = 500, 4

    async def scenario():
        async with RunningSource(source_args(hmcsim, OS_PART1)) as source:
            await until_subscribed(hmcsim, 2)
            rss_before = _rss_kb()
            await asyncio.to_thread(hmcsim.control.storm, "PART1", rate, duration)
            await asyncio.sleep(duration + 2)  # the rules engine is busy: nothing is taken from the queue
            [handoff] = _handoffs()
            buffered = len(handoff)
            marker = await asyncio.to_thread(hmcsim.control.os_message, "PART1", "END0001I storm over")
            seqs = []
            while not seqs or seqs[-1] != marker["sequence-number"]:
                event = await source.next(timeout=30)
                assert event["hmc"]["type"] == "os-message", event["hmc"]["type"]
                seqs.append(event["hmc"]["os_message"]["sequence_number"])
            rss_growth_mb = (_rss_kb() - rss_before) / 1024
            assert len(seqs) > rate * duration // 2, "a real storm"
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "all, once, in order"
            assert buffered == handoff._capacity, "full: the receiver thread waits instead of buffering more"
            assert rss_growth_mb < 100, f"RSS grew by {rss_growth_mb:.0f} MB"

    run(scenario())


def test_two_sources_against_one_console_do_not_interfere(hmcsim):
    async def scenario():
        first = RunningSource(source_args(hmcsim, OS_PART1), queue_size=100)
        second = RunningSource(source_args(hmcsim, {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}],
                                                    "jobs": True}), queue_size=100)
        async with first, second:
            await until_subscribed(hmcsim, 5)
            sessions = await asyncio.to_thread(hmcsim.control.sessions)
            assert len({s["id"] for s in sessions}) == 2
            channels = await asyncio.to_thread(hmcsim.control.channels)
            assert len({c["topic-name"] for c in channels}) == 2, "each session has its own OS message topic"
            for n in range(20):
                await asyncio.to_thread(hmcsim.control.os_message, "PART1", f"TWO{n:04d}I")
            for source in (first, second):
                await source.collect(20, of_type("os-message"))
                assert os_codes(source.seen) == [f"TWO{n:04d}I" for n in range(20)]
        assert await asyncio.to_thread(hmcsim.control.sessions) == []
        deadline = time.monotonic() + 10  # the console notices a DISCONNECT asynchronously
        while await asyncio.to_thread(hmcsim.control.stomp_connections):
            assert time.monotonic() < deadline, "a STOMP connection was left open"
            await asyncio.sleep(0.1)

    run(scenario())
