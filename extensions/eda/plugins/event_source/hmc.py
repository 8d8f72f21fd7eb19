# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zhmc.notifications.hmc: IBM Z HMC/SE notifications as Event-Driven Ansible events.

A thin asyncio adapter: it validates the arguments, owns the console session
and runs the shared NotificationStream (plugins/module_utils/event_pipeline.py)
with the rulebook's queue as its output.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import functools
import json
import logging
import os
import signal
import sys

DOCUMENTATION = r"""
---
short_description: Receive IBM Z HMC/SE notifications as events
version_added: 1.0.0
author:
  - zhmc.notifications developers (@zhmc-notifications)
description:
  - Subscribes to notifications of an IBM Z Hardware Management Console or Support Element (OS messages of
    partitions and LPARs, job completions, object changes, audit and security log entries, BCPii events) over
    STOMP with TLS and puts one normalized event per notification on the rulebook's queue.
  - Detects dead connections with STOMP heart-beats, reconnects with backoff, logs on again after a console
    restart, re-subscribes and recovers missed OS messages, so that no OS message is lost or doubled.
  - Emits connection-lost, connection-restored, notifications-missed and heartbeat-missed events.
  - The event layout is described in docs/events.md, every option in docs/source.md.
options:
  hmc_host:
    description:
      - Console address C(host) or C(host:port) (WS API port, default 6794), or a list of redundant consoles tried
        in order. The notification broker is reached on the same host.
      - Falls back to the environment variable E(ZHMC_HOST) (several consoles separated by commas).
    type: raw
    required: true
  hmc_auth:
    description:
      - Credentials and TLS settings, as for the modules. Unset fields fall back to the environment variables
        E(ZHMC_USERID), E(ZHMC_PASSWORD), E(ZHMC_CA_CERTS) and E(ZHMC_VERIFY); the EDA controller credential
        type of this collection sets them (see docs/operations.md).
      - With O(hmc_auth.userid) and O(hmc_auth.password) the source logs on at start, again after a console
        restart, and logs off when it stops. With O(hmc_auth.session_id) it uses that session and never logs it
        off.
    type: dict
    required: true
    suboptions:
      userid:
        description: The console user.
        type: str
      password:
        description: The password of O(hmc_auth.userid). Never logged, never in events.
        type: str
      session_id:
        description:
          - An existing session, for example from M(zhmc.notifications.session). Give O(hmc_auth.userid) and
            O(hmc_auth.password) as well if the source should survive a console restart.
        type: str
      session_credential:
        description:
          - The session credential of O(hmc_auth.session_id), the broker login (works for users with MFA).
            Without it (a session from ibm.ibm_zhmc.zhmc_session) the broker login needs O(hmc_auth.userid) and
            O(hmc_auth.password).
        type: str
      ca_certs:
        description:
          - CA certificate file, or directory of PEM files, to verify the console's certificate for the WS API and
            the broker. Unset, the system trust store is used.
        type: path
      verify:
        description: Verify the console's certificate and host name. Turn it off only for a test console.
        type: bool
        default: true
  hmc_timeouts:
    description:
      - How long to wait for the console and how to retry WS API requests, as for the modules (see docs/source.md).
    type: dict
    suboptions:
      connect:
        description: Seconds to set up a connection (TCP and TLS) to the WS API or the broker.
        type: float
        default: 10
      read:
        description: Seconds to wait for a WS API answer, and for the broker to confirm subscriptions.
        type: float
        default: 60
      retry_period:
        description:
          - Seconds during which a request that is safe to repeat is retried while the console restarts (HTTP 503)
            or cannot be reached. 0 retries it only O(hmc_timeouts.retries) times.
        type: float
        default: 600
      retries:
        description: How often any other request is retried (HTTP 503, or no connection could be made).
        type: int
        default: 2
      retry_delay:
        description: Seconds before the first retry; each further pause doubles, up to 30 seconds.
        type: float
        default: 1
  stomp_port:
    description: Port of the console's STOMP over TLS endpoint.
    type: int
    default: 61612
  subscriptions:
    description:
      - What to receive. Resolved into the console's topics at every (re)connect, because topics belong to a
        session. A mistake names its key, for example C(subscriptions.os_messages[0].partition_regex).
    type: dict
    required: true
    suboptions:
      os_messages:
        description:
          - OS messages of partitions (DPM) or LPARs (classic). Each entry names a CPC and exactly one of
            C(partitions), C(partition_regex), C(lpars) and C(lpar_regex). Partitions or LPARs added later that
            match an entry are subscribed without a restart.
        type: list
        elements: dict
        suboptions:
          cpc:
            description: The CPC name (exact).
            type: str
            required: true
          partitions:
            description: Partition names (DPM).
            type: list
            elements: str
          partition_regex:
            description: Regular expression matching partition names in full.
            type: str
          lpars:
            description: LPAR names (classic mode).
            type: list
            elements: str
          lpar_regex:
            description: Regular expression matching LPAR names in full.
            type: str
          include_refresh:
            description: Also the held messages the console sends again (refresh notifications).
            type: bool
            default: false
      jobs:
        description: Job completions of the source's session.
        type: bool
        default: false
      object_changes:
        description:
          - Object notifications. V(true) for all types and classes, or a dictionary with C(types) (of
            V(status-change), V(property-change), V(inventory-change), V(capacity-record-change)) and C(classes)
            (resource classes such as V(partition) or V(logical-partition)).
        type: raw
      audit:
        description: Audit log entries.
        type: bool
        default: false
      security:
        description: Security log entries.
        type: bool
        default: false
      bcpii:
        description: BCPii notifications through a Support Element (SE 2.16 or later).
        type: list
        elements: dict
        suboptions:
          cpc:
            description: The CPC whose SE sends them.
            type: str
            required: true
          targets:
            description: CPC or partition/LPAR names, V(*) for all.
            type: list
            elements: str
            default: ["*"]
          events:
            description: Event names such as V(os-message) or V(status-change), V(*) for all.
            type: list
            elements: str
            default: ["*"]
          owner_id:
            description: Owner of the registrations, which are made again at every (re)connect.
            type: str
            default: zhmc.notifications
          permanent:
            description: Make the registrations permanent.
            type: bool
            default: false
  filters:
    description:
      - Drop events at the source, before the rules engine sees them. All given conditions must hold; a list
        means any of its values. OS messages that are dropped are decided from their raw fields, before an event
        is built.
      - Events the source makes up itself (connection-lost, connection-restored, notifications-missed,
        parse-error, heartbeat-missed) are never dropped.
      - List values may also be given as one string, values separated by commas outside brackets (see
        docs/source.md).
    type: dict
    suboptions:
      types:
        description: Notification types (C(hmc.type)), for example V(os-message), V(status-change).
        type: list
        elements: str
      classes:
        description: Resource classes, for example V(logical-partition).
        type: list
        elements: str
      names:
        description: Regular expressions matching the resource name in full.
        type: list
        elements: str
      message_codes:
        description: OS message codes as shell patterns (V(IEF*)), or regular expressions after V(re:).
        type: list
        elements: str
      exclude_refresh:
        description: Drop the held messages the console sends again (refresh).
        type: bool
        default: false
      held:
        description: Only OS messages waiting for a reply (V(false) those that are not).
        type: bool
      priority:
        description: Only the console's priority messages (V(false) the others).
        type: bool
      indicators:
        description: z/OS message indicators V(*) (system), V(@) (problem program), V(+), V(none).
        type: list
        elements: str
      severities:
        description: The event's C(hmc.severity), of V(info), V(warning), V(error), V(critical).
        type: list
        elements: str
  heartbeat:
    description: STOMP heart-beat interval in seconds; a connection silent for two intervals is declared lost.
      0 disables heart-beats.
    type: float
    default: 30
  reconnect:
    description:
      - Reconnect policy per outage; every outage gets a fresh budget. A rejected login is never retried.
    type: dict
    suboptions:
      max_attempts:
        description: Attempts per outage before the source fails; 0 is unlimited.
        type: int
        default: 0
      initial_delay:
        description: Seconds before the first attempt; the delay doubles with jitter after each failure.
        type: float
        default: 1
      max_delay:
        description: Largest delay between attempts, in seconds.
        type: float
        default: 60
  include_raw:
    description: Add the raw headers and body to each event (hmc.raw).
    type: bool
    default: false
  job_status:
    description: On job-completion, query the job and fill hmc.job with its status and results.
    type: bool
    default: true
  max_body:
    description: Largest notification body read, in bytes; larger bodies become parse-error events.
    type: int
  session_check:
    description: Seconds between checks that the console session still lives (one Get Notification Topics
      request); a session that ended (logged off elsewhere, timed out) is treated like a lost connection.
      0 disables the check.
    type: float
    default: 60
  held_lookahead:
    description:
      - Storm rate, in OS messages per second of one partition/LPAR, from which the source also asks the
        console once a second for that system's held messages (List OS Messages, is-held) and emits at once the
        ones its stream has not brought yet, so that a WTOR is not read only after the storm before it.
      - Each held message still comes once (its later stream copy is dropped), but it may come before routine
        messages with lower sequence numbers. Unset or 0 (the default) turns this off.
    type: float
  receiver_nice:
    description:
      - CPU priority (a nice value, 0 to 19) of the process that reads the broker connection, so that reading
        a storm of notifications the filters drop yields the CPU to the playbooks the kept events start.
      - The process raises its nice value and, on Linux with autogroups, its session's (it runs in a session of
        its own); both need no privilege. What cannot be changed stays as it is (logged at debug level).
      - Nothing is lost while it waits, the broker keeps what it has not read, but everything it reads comes
        later while the machine is full, a held message too. Use it together with O(held_lookahead), which
        brings held messages past a lagging stream. 0 (the default) keeps the source's priority.
    type: int
    default: 0
  bcpii_heartbeat:
    description: Expected interval of BCPii console-heartbeat notifications in seconds; heartbeat-missed is
      emitted after 1.5 intervals without one. 0 disables the check.
    type: float
    default: 120
  checkpoint:
    description:
      - Path of a file that keeps, per partition/LPAR, the last OS message the rules engine surely has, so that
        a restarted source first delivers, in order and with their original meta.uuid, the OS messages the
        console wrote since then (notifications-missed for what the console no longer keeps).
      - Written atomically at most once a second while messages flow, and when the source stops. One file per
        source; a file of another console or other OS message subscriptions, or a damaged one, is an error.
      - Its folder must exist and be writable, and survive restarts (a volume in a container or an EDA
        controller activation); see docs/operations.md.
    type: path
  feedback:
    description:
      - Advance the checkpoint only for events the rules engine acknowledged (ansible-rulebook 1.3 or later,
        run with C(--persistence-id)). Without it, an event counts once the engine took it from its queue.
    type: bool
    default: false
  feedback_timeout:
    description:
      - Seconds an event may stay unacknowledged after the engine acknowledged later events of this source
        (a rulebook filter dropped it, or the engine failed on it) before it counts as delivered, with a warning.
        An event the engine has not reached yet is never counted.
    type: float
    default: 30
"""

EXAMPLES = r"""
- zhmc.notifications.hmc:
    hmc_host: hmc1.example.com
    hmc_auth:
      userid: "{{ hmc_userid }}"
      password: "{{ hmc_password }}"
      ca_certs: /etc/pki/hmc-ca.pem
    subscriptions:
      os_messages:
        - cpc: CPC1
          partition_regex: "ZOS.*"
      object_changes:
        types: [status-change]
    filters:
      exclude_refresh: true

- zhmc.notifications.hmc:
    hmc_host: hmc1.example.com
    hmc_auth:
      userid: "{{ hmc_userid }}"
      password: "{{ hmc_password }}"
    subscriptions:
      os_messages:
        - cpc: CPC1
          lpars: [ZOS1, ZOS2]
    checkpoint: /var/lib/zhmc/hmc1-zos.json
    feedback: true
"""


def _add_collection_root():
    """ansible-rulebook runs this file with runpy: put the folder holding ansible_collections on sys.path."""
    # .../<root>/ansible_collections/zhmc/notifications/extensions/eda/plugins/event_source/hmc.py
    path = os.path.abspath(__file__)
    for _level in range(7):
        path = os.path.dirname(path)
    if os.path.basename(path) == "ansible_collections":
        root = os.path.dirname(path)
        if root not in sys.path:
            sys.path.insert(0, root)


_add_collection_root()

from ansible_collections.zhmc.notifications.plugins.module_utils import log_secrets, source_options  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import RecoveryCursors  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.event_pipeline import NotificationStream  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver_process import ReceiverProcess  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.source_output import SourceOutput  # noqa: E402

LOG = logging.getLogger("zhmc.notifications.source")


def _rearm_signal_handlers():
    """Give SIGTERM and SIGINT back to the Python handlers ansible-rulebook registered for them.

    ansible-rulebook turns both into KeyboardInterrupt, which cancels the sources so that they can clean up.
    The JVM of its rules engine, started after that, installs its own handlers for them at the OS level and
    exits the process at once, so the session would never be logged off (one leaked console session per
    stopped activation). Python still knows its handlers: installing them again undoes the JVM's.
    """
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if callable(handler):
            try:
                signal.signal(signum, handler)
            except ValueError:  # not the main thread: leave signal handling alone
                return


async def main(queue, args):
    """Put console notifications on queue until cancelled; raises on bad args or an unrecoverable failure.

    The stream logs on, and off when it stops (also when cancelled during start-up or a reconnect), within a
    bounded time and without blocking the event loop.
    """
    options = source_options.parse(args)
    cursors = RecoveryCursors()
    output = SourceOutput(queue, options, cursors, args.get("eda_feedback_queue"))
    output.load()  # before any connection: a bad checkpoint fails at start
    _rearm_signal_handlers()
    connection = options["connection"]
    log_secrets.install()
    try:
        client = HmcClient(warn=LOG.warning, **connection)
    except HmcError as err:
        raise ValueError(f"{source_options.PREFIX}{err}") from None
    stream_options = dict(options, cursors=cursors, on_subscribed=output.on_subscribed)
    # The broker connection runs in a process of its own: a storm's frames are parsed beside the rules engine
    # and ansible-runner, not in their process (see receiver_process.py).
    stream = NotificationStream(client, stream_options, output.put, userid=connection["userid"],
                                password=connection["password"], owns_session=True,
                                receiver_factory=functools.partial(ReceiverProcess, nice=options["receiver_nice"]))
    side = asyncio.ensure_future(output.run())
    try:
        await stream.run()
    finally:
        side.cancel()
        output.close()


if __name__ == "__main__":

    class _PrintQueue:
        async def put(self, event):
            print(event, flush=True)

    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}))
