# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zhmc.notifications.openstack: OpenStack notifications (IBM Cloud Infrastructure Center) as events.

A thin asyncio adapter: it validates the arguments and runs the shared OpenStackStream
(plugins/module_utils/openstack_stream.py) with the rulebook's queue as its output. oslo.messaging is needed by
this source only and imported only when it starts.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import json
import os
import sys

DOCUMENTATION = r"""
---
short_description: Receive OpenStack notifications from RabbitMQ as events
description:
  - Listens for OpenStack notifications (nova, cinder, neutron, glance ... as IBM Cloud Infrastructure Center
    sends them) with oslo.messaging's notification listener on RabbitMQ and puts one event per notification on
    the rulebook's queue, under the key C(openstack) in the envelope of the zhmc.notifications.hmc events.
  - A notification is acknowledged to RabbitMQ only after the rules engine took its event (with C(feedback),
    after the engine's feedback), so with a C(pool) nothing is lost while the source is down or restarting.
  - Emits connection-lost, connection-restored and parse-error events.
  - Needs the Python package oslo.messaging (requirements-openstack.txt). Events are described in
    docs/events.md, every option in docs/openstack.md.
options:
  transport_url:
    description: oslo.messaging transport URL C(rabbit://user:password@host:5672/vhost); several brokers
      comma-separated (C(rabbit://u:p@h1:5672,u:p@h2:5672/vhost)). Falls back to the environment variable
      ZHMC_OPENSTACK_TRANSPORT_URL. Its passwords never appear in events or logs.
    type: str
    required: true
  tls:
    description: TLS to the broker, C(true) or a dict with ca_file (default the system CA bundle), cert_file
      and key_file (a client certificate). The certificate chain is always verified, and with one broker in
      transport_url its host name too (oslo.messaging cannot turn that off, so check_hostname false is
      refused).
    type: raw
  targets:
    description: List of C({topic, exchange}) to listen on; the exchange defaults to C(openstack), nova
      uses C(nova), cinder C(cinder), neutron C(neutron).
    type: list
    elements: dict
    default: [{topic: notifications}]
  priorities:
    description: Priorities to receive (audit, debug, info, warn, error, critical, sample); one queue binding each.
    type: list
    elements: str
  pool:
    description: Listener pool name. The pool has its own queue, which keeps notifications while the source
      is down; sources with the same pool share the notifications. Without a pool the source competes with
      every other pool-less listener (such as ceilometer).
    type: str
  durable_queues:
    description: Declare the exchange and queues durable (oslo.messaging amqp_durable_queues); must match the
      deployment's setting.
    type: bool
    default: false
  filters:
    description: Drop notifications at the source (they are acknowledged); keys event_types and
      publisher_ids (lists of shell patterns) and priorities.
    type: dict
  include_raw:
    description: Add the notification as received (bounded, the request context reduced to safe fields) as
      openstack.raw.
    type: bool
    default: false
  heartbeat:
    description: AMQP heart-beat timeout in seconds (0 disables heart-beats).
    type: int
    default: 60
  prefetch:
    description: Largest number of notifications RabbitMQ sends before the source acknowledged them.
    type: int
    default: 512
  reconnect:
    description: Reconnect policy per outage; max_attempts (0 = unlimited), initial_delay and max_delay in seconds.
    type: dict
    default: {max_attempts: 0, initial_delay: 1, max_delay: 30}
  feedback:
    description: Acknowledge a notification only after the rules engine's feedback on its event (ansible-rulebook
      1.3 or later with --persistence-id).
    type: bool
    default: false
  feedback_timeout:
    description: Seconds to wait for the engine's feedback before the source fails (the notification stays
      in RabbitMQ).
    type: float
    default: 120
"""

EXAMPLES = r"""
- zhmc.notifications.openstack:
    transport_url: "rabbit://eda:{{ rabbit_password }}@icic.example.com:5671/"
    tls:
      ca_file: /etc/pki/icic-ca.pem
    targets:
      - {topic: notifications, exchange: nova}
      - {topic: versioned_notifications, exchange: nova}
      - {topic: notifications, exchange: cinder}
    pool: zhmc-eda
    priorities: [info, warn, error]
    filters:
      event_types: ["compute.instance.*", "instance.*", "volume.*"]
"""


def _add_collection_root():
    """ansible-rulebook runs this file with runpy: put the folder holding ansible_collections on sys.path."""
    # .../<root>/ansible_collections/zhmc/notifications/extensions/eda/plugins/event_source/openstack.py
    path = os.path.abspath(__file__)
    for _level in range(7):
        path = os.path.dirname(path)
    if os.path.basename(path) == "ansible_collections":
        root = os.path.dirname(path)
        if root not in sys.path:
            sys.path.insert(0, root)


_add_collection_root()

from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_options  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.openstack_listener import Listener, load  # noqa: E402
from ansible_collections.zhmc.notifications.plugins.module_utils.openstack_stream import OpenStackStream  # noqa: E402


async def main(queue, args):
    """Put OpenStack notifications on queue until cancelled; raises on bad args or an unrecoverable failure."""
    options = openstack_options.parse(args)
    load()  # fail now, with install instructions, when oslo.messaging is missing
    await OpenStackStream(options, queue.put, listener_factory=Listener).run()


if __name__ == "__main__":

    class _PrintQueue:
        async def put(self, event):
            print(event, flush=True)

    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}))
