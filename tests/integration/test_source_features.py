"""Features of the EDA source end to end: the real main() with a real asyncio queue against hmcsim over TLS.

Status recovery after an outage, BCPii heart-beat watching and re-registration, the security topic, the
object_changes selection, a broker that rejects the login during a run, session-sequence-nr gaps across topics
and reconnects, and that a reconnect never leaves a session behind on the console. Each test checks what the
rulebook receives and what hmcsim saw. Times are generous bounds for "eventually", never performance claims.
"""

import asyncio
import time

import pytest
from test_source_helpers import RunningSource, of_type, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.event_pipeline import (
    AUTH_FAILURES_ALLOWED,
    StreamFailed,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

FAST_RECONNECT = {"initial_delay": 0.3, "max_delay": 1.0}
OWNER = "zhmc.notifications"


def call(func, *args, **kwargs):
    return asyncio.to_thread(func, *args, **kwargs)


async def gather_for(source, seconds):
    """Take every event for `seconds` (the rules engine keeps up); returns them (they are in seen too)."""
    start = len(source.seen)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            await source.next(timeout=left)
        except AssertionError:
            if source.task.done():
                raise
            break
    return source.seen[start:]


def kinds(events):
    return [e["hmc"]["type"] for e in events]


def operator_sessions(sessions):
    return [s for s in sessions if s["userid"] == "operator"]


# -- 1. status recovery after a reconnect --------------------------------------------------------------------------

def test_status_changed_while_disconnected_is_emitted_after_the_reconnect(hmcsim):
    """PART2 stops while the broker refuses the source: its status-change notification is never delivered, so the
    source must find the change itself when it re-reads the statuses after reconnecting. PART1 did not change and
    gets no event."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1", "PART2"]}],
                     "object_changes": {"types": ["status-change"]}}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 3)
            control = hmcsim.control
            await call(control.drop_connections, refuse_seconds=3)
            await source.wait_for(of_type("connection-lost"))
            assert await call(control.stomp_connections) == [], "nobody receives the next change live"
            await call(control.set_status, "PART2", "stopped")
            restored = await source.wait_for(of_type("connection-restored"), timeout=30)
            assert restored["hmc"]["attempts"] > 1, "the broker refused at least one attempt"
            recovered = await source.wait_for(of_type("status-change"), timeout=10)
            hmc = recovered["hmc"]
            assert hmc["resource"]["name"] == "PART2" and hmc["resource"]["class"] == "partition"
            assert (hmc["status"]["old"], hmc["status"]["new"]) == ("active", "stopped")
            # The console's own verdict is read for the changed resource, so rules on unacceptable fire too.
            assert hmc["status"]["unacceptable"] is True and hmc["changes"] == []
            assert hmc["recovered"] is True and hmc["severity"] == "critical"

            await until_subscribed(hmcsim, 2)  # PART1's channel and the object topic (PART2's OS stopped)
            await call(control.os_message, "PART1", "STA0001I sentinel")
            await source.wait_for(of_type("os-message"))
            changes = [e for e in source.seen if e["hmc"]["type"] == "status-change"]
            assert changes == [recovered], "one event, for the resource that changed"
            # The same change, now seen live, must not be reported again as recovered on the next outage.
            await call(control.drop_connections)
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await until_subscribed(hmcsim, 2)
            await call(control.os_message, "PART1", "STA0002I sentinel")
            await source.wait_for(lambda e: (e["hmc"].get("os_message") or {}).get("code") == "STA0002I")
            assert [e for e in source.seen if e["hmc"]["type"] == "status-change"] == [recovered]

    run(scenario())


# -- review: no session leak after a network failure ---------------------------------------------------------------

def test_reconnect_after_a_network_failure_keeps_the_one_session(hmcsim):
    """The STOMP connections drop and the broker refuses for a while; the WS API session stays valid. After the
    recovery the console shows exactly one session of the source's user, the one it started with."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, {"jobs": True}, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 1)
            control = hmcsim.control
            before = operator_sessions(await call(control.sessions))
            assert len(before) == 1
            await call(control.drop_connections, refuse_seconds=2)
            await source.wait_for(of_type("connection-lost"))
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await until_subscribed(hmcsim, 1)
            after = operator_sessions(await call(control.sessions))
            assert [s["id"] for s in after] == [before[0]["id"]]
            assert (await call(control.logons))["ok"] == 1, "no new logon for a network failure"
            logins = await call(control.stomp_logins)
            assert logins["ok"] == 2 and logins["refused"] >= 1
            job = await call(control.step, "job_completion", resource="PART1", session=before[0]["id"])
            event = await source.wait_for(of_type("job-completion"))
            assert event["hmc"]["job"]["uri"] == job["job-uri"]
        assert await call(hmcsim.control.sessions) == []

    run(scenario())


# -- 5. a broker that rejects the login during a run ---------------------------------------------------------------

def test_rejected_broker_login_during_a_run_is_retried_boundedly_then_fails(hmcsim):
    """The broker answers every CONNECT with ERROR while the WS API session stays valid: the source tries
    AUTH_FAILURES_ALLOWED logins in this outage (a fresh session for each retry), then main() fails naming the
    broker's message. No session is left on the console."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, {"jobs": True}, reconnect=FAST_RECONNECT)) as source:
            await until_subscribed(hmcsim, 1)
            control = hmcsim.control
            await call(control.drop_connections, refuse_seconds=120, refuse_with="error")
            lost = await source.wait_for(of_type("connection-lost"))
            assert lost["hmc"]["severity"] == "error"
            with pytest.raises(StreamFailed, match=r"the broker keeps rejecting the login: .*Authentication failed"):
                await source.next(timeout=60)
            assert await call(control.stomp_logins) == {"ok": 1, "failed": AUTH_FAILURES_ALLOWED, "refused": 0}
            assert await call(control.sessions) == [], "every session the source made was logged off"
            issued = await call(control.issued_sessions)
            assert len(issued) == AUTH_FAILURES_ALLOWED, "the first session and one fresh one per retry"

    run(scenario())


# -- 2. BCPii ------------------------------------------------------------------------------------------------------

def test_bcpii_heartbeat_missed_once_per_silence(hmcsim):
    """With bcpii_heartbeat 1 s: console heart-beats every 0.4 s keep it quiet; when they stop, one
    heartbeat-missed after more than 1.5 intervals; heart-beats again re-arm it."""
    subscriptions = {"bcpii": [{"cpc": "CPC1", "targets": ["PART1"], "events": ["status-change"]}]}
    args = source_args(hmcsim, subscriptions, bcpii_heartbeat=1)

    async def scenario():
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 1)
            for _index in range(8):  # 3.2 s, more than twice the 1.5 s limit
                delivered = await call(hmcsim.control.step, "bcpii_heartbeat")
                assert delivered == {"delivered": 1}
                await gather_for(source, 0.4)
            assert kinds(source.seen).count("console-heartbeat") >= 7
            assert "heartbeat-missed" not in kinds(source.seen)

            missed = await source.wait_for(of_type("heartbeat-missed"), timeout=15)
            assert missed["hmc"]["severity"] == "error"
            assert missed["hmc"]["interval_seconds"] == 1.0 and missed["hmc"]["silent_seconds"] > 1.5
            assert "heartbeat-missed" not in kinds(await gather_for(source, 2.5)), "reported once per silence"

            await call(hmcsim.control.step, "bcpii_heartbeat")
            await source.wait_for(of_type("console-heartbeat"))
            await source.wait_for(of_type("heartbeat-missed"), timeout=15)

    run(scenario())


def _registrations(sim):
    return [(r["target-name"], r["event-name"], r["owner-id"]) for r in sim.control.bcpii_registrations()]


def _bcpii_topics(sessions):
    return {t["topic-name"] for s in sessions for t in s["topics"] if t["topic-type"] == "bcpii-notification"}


def test_bcpii_registrations_are_made_again_after_restart_and_console_starting(hmcsim):
    """A console restart removes non-permanent registrations and the session: the new session registers again.
    A Support Element that restarts behind a live session announces console-starting with its registrations gone:
    the source registers again in the same session. BCPii events flow after each."""
    subscriptions = {"bcpii": [{"cpc": "CPC1", "targets": ["PART1"], "events": ["status-change"]}]}
    wanted = [("PART1", "status-change", OWNER)]

    async def bcpii_status(source, status):
        await call(hmcsim.control.set_status, "PART1", status)
        event = await source.wait_for(of_type("status-change"), timeout=10)
        assert event["hmc"]["topic"]["type"] == "bcpii-notification"
        assert (event["hmc"]["bcpii"]["target_name"], event["hmc"]["status"]["new"]) == ("PART1", status)

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions, reconnect=FAST_RECONNECT)) as source:
            control = hmcsim.control
            await until_subscribed(hmcsim, 1)
            assert await call(_registrations, hmcsim) == wanted
            first = await call(control.sessions)

            await call(control.restart_console, 1)
            assert await call(_registrations, hmcsim) == [], "non-permanent registrations end with the console"
            await source.wait_for(of_type("connection-restored"), timeout=30)
            conns = await until_subscribed(hmcsim, 1)
            assert await call(_registrations, hmcsim) == wanted
            sessions = await call(control.sessions)
            assert len(sessions) == 1 and sessions[0]["id"] != first[0]["id"]
            topic = _bcpii_topics(sessions).pop()
            assert [s["destination"] for c in conns for s in c["subscriptions"]] == [f"/topic/{topic}"]
            await bcpii_status(source, "stopped")

            # The Support Element restarts; the HMC session lives on (delete from another session meanwhile).
            other = HmcClient([hmcsim.hmc_host], userid="operator", password="operator-password",
                              ca_certs=hmcsim.ca_file)
            for reg in await call(control.bcpii_registrations):
                await call(other.delete_bcpii_registration, reg["cpc-uri"], reg["registration-id"])
            await call(other.logoff)
            assert await call(_registrations, hmcsim) == []
            assert await call(control.step, "bcpii_console_starting") == {"delivered": 1}
            starting = await source.wait_for(of_type("console-starting"))
            assert starting["hmc"]["topic"]["type"] == "bcpii-notification"
            await asyncio.to_thread(control.wait_for, lambda state: state["bcpii"], timeout=10,
                                    what="the source's registration")
            assert await call(_registrations, hmcsim) == wanted
            assert [s["id"] for s in await call(control.sessions)] == [sessions[0]["id"]], "same session"
            await bcpii_status(source, "active")

    run(scenario())


# -- 3. security log -----------------------------------------------------------------------------------------------

def test_security_log_entries_become_log_entry_events(hmcsim):
    """Only the security topic is subscribed: a security log entry arrives as log-entry from that topic, an
    audit log entry does not arrive."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, {"security": True})) as source:
            conns = await until_subscribed(hmcsim, 1)
            sessions = await call(hmcsim.control.sessions)
            security = [t["topic-name"] for t in sessions[0]["topics"] if t["topic-type"] == "security-notification"]
            assert [s["destination"] for c in conns for s in c["subscriptions"]] == [f"/topic/{security[0]}"]
            await call(hmcsim.control.step, "log_entry", log="audit", event_name="Audit thing", message="audit")
            await call(hmcsim.control.step, "log_entry", log="security", event_name="Logon failed",
                       event_id="1941", message="User mallory failed to log on.", userid="mallory")
            event = await source.next()
            hmc = event["hmc"]
            assert hmc["type"] == "log-entry"
            assert hmc["topic"] == {"name": security[0], "type": "security-notification"}
            entry = hmc["log_entry"]
            assert (entry["name"], entry["id"], entry["user"], entry["message"]) == (
                "Logon failed", "1941", "mallory", "User mallory failed to log on.")
            assert "audit" not in kinds(await gather_for(source, 0.5))

    run(scenario())


# -- 4. object_changes by class and type ---------------------------------------------------------------------------

def test_object_changes_select_by_class_and_type(hmcsim):
    """object_changes {types: [status-change, inventory-change], classes: [logical-partition]}: a partition's
    status-change (wrong class), an LPAR's property-change (wrong type) and a CPC's capacity-record-change (both
    wrong) are dropped; an LPAR's status-change and inventory add arrive, in order, and nothing else."""
    subscriptions = {"object_changes": {"types": ["status-change", "inventory-change"],
                                        "classes": ["logical-partition"]}}

    async def scenario():
        async with RunningSource(source_args(hmcsim, subscriptions)) as source:
            await until_subscribed(hmcsim, 1)
            control = hmcsim.control
            await call(control.set_status, "PART1", "stopped")
            await call(control.step, "property_change", resource="LP01", properties={"description": "x"})
            await call(control.step, "capacity_record_change", cpc="CPC1")
            await call(control.set_status, "LP02", "operating")  # status-change (kept) and property-change
            await call(control.step, "inventory", action="add", cpc="CPC1", name="NEWP", status="stopped")
            await call(control.step, "inventory", action="add", cpc="CPC2", name="LP03", status="not-activated")
            last = await source.wait_for(of_type("inventory-change"))
            assert [(e["hmc"]["type"], e["hmc"]["resource"]["class"], e["hmc"]["resource"]["name"])
                    for e in source.seen] == [("status-change", "logical-partition", "LP02"),
                                              ("inventory-change", "logical-partition", "LP03")]
            assert source.seen[0]["hmc"]["status"]["new"] == "operating"
            assert last["hmc"]["inventory"]["action"] == "add"

    run(scenario())


def test_object_changes_types_only_keeps_every_class(hmcsim):
    """object_changes {types: [property-change]}: property changes of any class arrive, other types do not."""
    async def scenario():
        async with RunningSource(source_args(hmcsim, {"object_changes": {"types": ["property-change"]}})) as source:
            await until_subscribed(hmcsim, 1)
            control = hmcsim.control
            await call(control.step, "capacity_record_change", cpc="CPC1")
            await call(control.step, "property_change", resource="LP01", properties={"description": "lpar"})
            await call(control.step, "property_change", resource="PART1", properties={"description": "part"})
            await source.collect(2, of_type("property-change"))
            assert [(e["hmc"]["type"], e["hmc"]["resource"]["name"], e["hmc"]["changes"][0]["new"])
                    for e in source.seen] == [("property-change", "LP01", "lpar"), ("property-change", "PART1", "part")]

    run(scenario())


# -- 6. session-sequence-nr gaps (what test_hostile_source.py does not cover) --------------------------------------

def test_session_sequence_counts_across_topics_and_restarts_with_a_connection(hmcsim):
    """session-sequence-nr counts every notification of the connection, whatever its topic: interleaved OS,
    object (also the ones object_changes drops) and job notifications are no gap; a gap on the job topic is reported
    with that topic; the numbering that restarts after a reconnect is no gap, and a gap after it still is."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}], "jobs": True,
                     "object_changes": {"types": ["status-change"]}}

    async def jump_on_job_topic(source, skipped):
        await call(hmcsim.control.os_message, "PART1", f"SEQ{skipped:04d}I marker")
        marker = await source.wait_for(of_type("os-message", os_message__code=f"SEQ{skipped:04d}I"))
        current = marker["hmc"]["sequence"]["session"]  # the latest frame: nothing after it was sent
        await call(hmcsim.control.inject, "job-completion", resource="PART1", topic_type="job-notification",
                   headers={"session-sequence-nr": str(current + skipped + 1), "job-uri": "/api/jobs/x"})
        missed = await source.wait_for(of_type("notifications-missed"))
        assert missed["hmc"]["count"] == skipped
        assert missed["hmc"]["topic"]["type"] == "job-notification"
        await source.wait_for(of_type("job-completion"))

    async def scenario():
        args = source_args(hmcsim, subscriptions, reconnect=FAST_RECONNECT, job_status=False)
        async with RunningSource(args) as source:
            await until_subscribed(hmcsim, 3)
            control = hmcsim.control
            session = await call(control.only_session)
            for n in range(3):
                await call(control.os_message, "PART1", f"SEQ000{n}I interleaved")
                await call(control.step, "job_completion", resource="PART1", session=session)
                await call(control.set_status, "PART2", "stopped" if n % 2 == 0 else "active")
            await source.collect(3, of_type("status-change"))
            numbers = sorted(e["hmc"]["sequence"]["session"] for e in source.seen)
            assert numbers == [0, 1, 2, 4, 5, 6, 8, 9, 10], "each status-change's property-change is numbered too"
            assert "notifications-missed" not in kinds(source.seen)

            await jump_on_job_topic(source, 4)

            await call(control.drop_connections)
            await source.wait_for(of_type("connection-restored"), timeout=30)
            await until_subscribed(hmcsim, 3)
            await call(control.os_message, "PART1", "SEQ0100I after the reconnect")
            after = await source.wait_for(of_type("os-message", os_message__code="SEQ0100I"))
            assert after["hmc"]["sequence"]["session"] == 0, "hmcsim numbers each connection from 0"
            assert kinds(source.seen).count("notifications-missed") == 1

            await jump_on_job_topic(source, 7)
            assert kinds(source.seen).count("notifications-missed") == 2

    run(scenario())
