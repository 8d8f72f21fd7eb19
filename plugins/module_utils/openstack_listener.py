# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oslo.messaging notification listener of the openstack source (the only code that imports it).

oslo.messaging knows the message envelopes (messagingv2 and the older messaging driver), the exchanges,
routing keys and queue names of targets and pools, and the rabbit driver's options; the source uses its
public API for all of that: ``get_notification_transport``, ``Target(topic, exchange)``,
``get_notification_listener`` with one endpoint method per priority, ``pool=...``, ``allow_requeue=True``.

Acknowledgement: the listener's threading executor calls the endpoint in a worker thread and acknowledges
the message only when the endpoint returns HANDLED (or requeues it on REQUEUE), so an endpoint that waits
until the event is delivered holds the acknowledgement until then. One worker keeps the notifications in
order; the broker's prefetch limit (``rabbit_qos_prefetch_count``) bounds what waits unacknowledged in the
source, which is the backpressure: a slow rules engine leaves the notifications in RabbitMQ.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import logging
import threading

from ansible_collections.zhmc.notifications.plugins.module_utils.dependency_versions import too_old

MISSING = ("the zhmc.notifications.openstack source needs the Python package oslo.messaging ({error}); install "
           "it where ansible-rulebook runs: pip install -r requirements-openstack.txt (in the collection's "
           "folder), or build the decision environment extensions/eda/decision-environment-openstack.yml")


DROP_RECORDS = (
    ("oslo.messaging._drivers.impl_rabbit", "Failed to process message"),
    ("oslo_messaging.notify.dispatcher", "Unknown priority"),
)
"""Where oslo.messaging says it dropped a message without calling an endpoint: a body it cannot decode (not
JSON, not an envelope, an unsupported envelope version, not a mapping) is rejected by its rabbit driver, a
notification without a known priority is acknowledged by its dispatcher. Only the log line tells."""

_START_LOCK = threading.Lock()
_ACTIVE = []


MIN_OSLO_MESSAGING = (18, 2)
"""Before 18.1 the rabbit driver never checks the broker's host name against its certificate (chain only); 18.1
checks it only when ssl_enforce_hostname_verification is set; from 18.2 on it always checks it when
transport_url names one broker. The source and its own connection check follow 18.2's rule, so it requires it."""


class MissingDependency(Exception):
    """oslo.messaging (or one of its dependencies) cannot be imported, or is too old."""


def version_problem(version):
    """Why this oslo.messaging version (its distribution version text) cannot be used, or None."""
    return too_old("oslo.messaging", version, MIN_OSLO_MESSAGING,
                   "earlier versions do not check the broker's host name against its certificate", "oslo.messaging")


def load():
    """(oslo_messaging, oslo_config.cfg); MissingDependency with install instructions when absent or too old."""
    try:
        import oslo_messaging
        from oslo_config import cfg
    except ImportError as exc:
        raise MissingDependency(MISSING.format(error=exc)) from None
    from importlib import metadata

    try:
        problem = version_problem(metadata.version("oslo.messaging"))
    except metadata.PackageNotFoundError:  # imported from a source tree: nothing to check against
        problem = None
    if problem:
        raise MissingDependency(problem)
    return oslo_messaging, cfg


def make_conf(cfg, oslo_messaging, options):
    """A private oslo.config object (never the process-wide CONF) holding the source's settings."""
    from oslo_messaging import opts as oslo_opts

    conf = cfg.ConfigOpts()
    for group, group_opts in oslo_opts.list_opts():
        conf.register_opts(group_opts, group=group)
    conf(args=[], project="zhmc-notifications-openstack", default_config_files=[], default_config_dirs=[])
    rabbit = "oslo_messaging_rabbit"
    reconnect = options["reconnect"]
    # kombu's retry steps are linear: start at initial_delay, add it each time, never above max_delay.
    overrides = {
        "rabbit_retry_interval": max(1, int(reconnect["initial_delay"])),
        "rabbit_retry_backoff": max(1, int(reconnect["initial_delay"])),
        "rabbit_interval_max": max(1, int(reconnect["max_delay"])),
        "rabbit_qos_prefetch_count": options["prefetch"],
        "heartbeat_timeout_threshold": options["heartbeat"],
        "amqp_durable_queues": options["durable_queues"],
    }
    tls = options["tls"]
    if tls is not None:
        overrides["ssl"] = True
        for key, opt in (("ca_file", "ssl_ca_file"), ("cert_file", "ssl_cert_file"), ("key_file", "ssl_key_file")):
            if tls[key]:
                overrides[opt] = tls[key]
    for name, value in overrides.items():
        conf.set_override(name, value, group=rabbit)
    conf.set_override("executor_thread_pool_size", 1)
    return conf


def endpoint_class(priorities, handle):
    """An endpoint with one method per wanted priority, each ``handle(priority, ctxt, publisher_id,
    event_type, payload, metadata)``; oslo.messaging binds a queue per priority it finds a method for."""

    def method(priority):
        def receive(self, ctxt, publisher_id, event_type, payload, metadata):
            return handle(priority, ctxt, publisher_id, event_type, payload, metadata)

        receive.__name__ = priority
        return receive

    return type("NotificationEndpoint", (), {priority: method(priority) for priority in priorities})


class DroppedMessages(logging.Handler):
    """Turns oslo.messaging's log lines about messages it dropped into reports to the listener that had them.

    A record belongs to the listener whose thread logged it (its consumer thread, made during its start, or
    its worker thread, seen at its first notification); with one listener in the process, to that one.
    """

    def emit(self, record):
        if not any(record.name == name and isinstance(record.msg, str) and record.msg.startswith(text)
                   for name, text in DROP_RECORDS):
            return
        detail = record.exc_text or (logging.Formatter().formatException(record.exc_info) if record.exc_info
                                     else "")
        lines = [line.strip() for line in detail.splitlines() if line.strip()]
        error = f"oslo.messaging dropped a message it could not read: {lines[-1] if lines else record.getMessage()}"
        with _START_LOCK:
            owners = [listener for listener in _ACTIVE if record.thread in listener.threads]
            if not owners and len(_ACTIVE) == 1:
                owners = list(_ACTIVE)
        for listener in owners:
            listener.on_dropped(error)


_HANDLER = DroppedMessages()


def _watch_drops():
    for name, _text in DROP_RECORDS:
        logger = logging.getLogger(name)
        if _HANDLER not in logger.handlers:
            logger.addHandler(_HANDLER)
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)


class Listener:
    """An oslo.messaging notification listener; ``handle`` returns True to acknowledge, False to requeue;
    ``dropped(error)`` hears of messages oslo.messaging dropped before any endpoint saw them."""

    def __init__(self, options, handle, dropped=None):
        self._oslo, cfg = load()
        self._options = options
        self._handle = handle
        self._dropped = dropped
        self._conf = make_conf(cfg, self._oslo, options)
        self._transport = None
        self._server = None
        self.threads = set()

    def on_dropped(self, error):
        if self._dropped is not None:
            self._dropped(error)

    def _dispatch(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        result = self._oslo.NotificationResult
        self.threads.add(threading.get_ident())
        ok = self._handle(priority, ctxt, publisher_id, event_type, payload, metadata)
        return result.HANDLED if ok else result.REQUEUE

    def start(self):
        """Connect, declare the queues and start consuming (blocking; call it from a worker thread)."""
        oslo = self._oslo
        self._transport = oslo.get_notification_transport(self._conf, url=self._options["transport"]["url"])
        targets = [oslo.Target(topic=t["topic"], exchange=t["exchange"]) for t in self._options["targets"]]
        endpoint = endpoint_class(self._options["priorities"], self._dispatch)()
        self._server = oslo.get_notification_listener(self._transport, targets, [endpoint], executor="threading",
                                                      allow_requeue=True, pool=self._options["pool"])
        _watch_drops()
        with _START_LOCK:
            before = {thread.ident for thread in threading.enumerate()}
            self._server.start()
            self.threads.update({thread.ident for thread in threading.enumerate()} - before)
            _ACTIVE.append(self)

    def stop(self):
        """Stop consuming, let the worker finish (it requeues what is not delivered) and close (blocking)."""
        with _START_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None
