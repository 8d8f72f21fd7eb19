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
import json
import logging
import os
import signal
import sys

DOCUMENTATION = r"""
---
short_description: Receive IBM Z HMC/SE notifications as events
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
    description: Console address C(host) or C(host:port) (WS API port, default 6794), or a list tried in order.
      Falls back to the environment variable ZHMC_HOST.
    type: raw
    required: true
  hmc_auth:
    description: Credentials and TLS settings (userid, password, session_id, session_credential, ca_certs,
      verify), as for the modules. ZHMC_USERID, ZHMC_PASSWORD, ZHMC_CA_CERTS and ZHMC_VERIFY fill unset fields.
      With session_id the given session is used and never logged off; without its session_credential (a
      session from ibm.ibm_zhmc.zhmc_session) the broker login needs userid and password.
    type: dict
    required: true
  hmc_timeouts:
    description: Timeouts and retries (connect, read, retry_period, retries, retry_delay), as for the modules;
      see docs/source.md.
    type: dict
  stomp_port:
    description: Port of the console's STOMP over TLS endpoint.
    type: int
    default: 61612
  subscriptions:
    description: What to receive (os_messages, jobs, object_changes, audit, security, bcpii); see docs/source.md.
    type: dict
    required: true
  filters:
    description: Drop events at the source; keys types, classes, names (regular expressions), message_codes
      (shell patterns, or regular expressions with prefix C(re:)), exclude_refresh, held, priority, indicators
      (z/OS message indicators C(*), C(@), C(+), C(none)) and severities. Lists, or one string with values
      separated by commas outside brackets (see docs/source.md). OS messages that are dropped are decided from
      their raw fields, before an event is built. Events the source makes up itself are never dropped.
    type: dict
  heartbeat:
    description: STOMP heart-beat interval in seconds; a connection silent for two intervals is declared lost.
      0 disables heart-beats.
    type: float
    default: 30
  reconnect:
    description: Reconnect policy per outage; max_attempts (0 = unlimited), initial_delay and max_delay in seconds.
    type: dict
    default: {max_attempts: 0, initial_delay: 1, max_delay: 60}
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
      jobs: true
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
    """Put console notifications on queue until cancelled; raises on bad args or an unrecoverable failure."""
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
    loop = asyncio.get_running_loop()
    stream = NotificationStream(client, dict(options, cursors=cursors), output.put, userid=connection["userid"],
                                password=connection["password"])
    side = asyncio.ensure_future(output.run())
    try:
        if not client.session_id:
            await loop.run_in_executor(None, client.logon)
        await stream.run()
    finally:
        side.cancel()
        output.close()
        # Also on cancellation: a session left behind counts against the console's session limit. Tried
        # once: a console that is restarting must not hold the shutdown up for minutes.
        client.stop_retrying()
        if client.session_owned:
            try:
                client.logoff()
            except HmcError as err:
                LOG.warning("could not log off: %s", err)


if __name__ == "__main__":

    class _PrintQueue:
        async def put(self, event):
            print(event, flush=True)

    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}))
