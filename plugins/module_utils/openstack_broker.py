# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source's own view of the RabbitMQ broker: a connection check at start and a watch for outages.

oslo.messaging's listener retries a failing connection forever inside ``start()`` (also when the login is
refused or the broker's certificate does not verify) and tells the application neither that nor when it is
connected again. So the source connects once itself before starting the listener, to fail at once with a
clear reason, and keeps that connection (AMQP heart-beats, no channel, no queue) to notice an outage and its
end, which become the connection-lost and connection-restored events. It uses kombu, the library
oslo.messaging's rabbit driver is built on, with the same TLS settings, so both see the broker alike.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import socket
import ssl

from ansible_collections.zhmc.notifications.plugins.module_utils.backoff import Backoff, BudgetExhausted

AUTH_FAILURES_ALLOWED = 3
"""Refused logins in a row during one outage before the source gives up (no retry storm)."""


class BrokerError(Exception):
    """A failed connection attempt; ``fatal`` when retrying cannot help (login refused, TLS not verified)."""

    def __init__(self, message, kind="connection"):
        super().__init__(message)
        self.message = message
        self.kind = kind  # connection | auth | tls

    @property
    def fatal(self):
        return self.kind in ("auth", "tls")


def ssl_options(tls, host, one_broker=True):
    """The TLS settings as oslo.messaging's rabbit driver gives them to kombu (False without TLS): with a CA file
    the chain is verified, and the host name too when transport_url names one broker (with several, the driver
    sets no server name, so no host name is checked)."""
    if tls is None:
        return False
    options = {"cert_reqs": ssl.CERT_REQUIRED}
    if tls.get("ca_file"):
        options["ca_certs"] = tls["ca_file"]
        if one_broker:
            options["server_hostname"] = host
    if tls.get("cert_file"):
        options["certfile"] = tls["cert_file"]
        options["keyfile"] = tls["key_file"]
    return options


def classify(exc, where):
    """A BrokerError naming what went wrong with ``where`` ("host:port") from a kombu/amqp/socket error."""
    import amqp.exceptions

    if isinstance(exc, amqp.exceptions.AccessRefused):
        return BrokerError(f"RabbitMQ at {where} refused the login (check the user and password of "
                           f"transport_url): {exc}", "auth")
    if isinstance(exc, amqp.exceptions.NotAllowed):
        return BrokerError(f"RabbitMQ at {where} does not allow this virtual host for the user (check the "
                           f"virtual host of transport_url and the user's permissions): {exc}", "auth")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return BrokerError(f"TLS with RabbitMQ at {where} failed: the broker's certificate is not trusted or "
                           f"does not name the host transport_url reaches it by (tls.ca_file; connect by a name the "
                           f"certificate carries): "
                           f"{exc.verify_message or exc}", "tls")
    if isinstance(exc, ssl.SSLError):
        return BrokerError(f"TLS with RabbitMQ at {where} failed (is it a TLS port? tls.ca_file, "
                           f"tls.cert_file): {exc}", "tls")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return BrokerError(f"RabbitMQ at {where} did not answer in time", "connection")
    if isinstance(exc, OSError) and "Socket closed" in str(exc):
        return BrokerError(f"RabbitMQ at {where} closed the connection during the login (a TLS port "
                           f"reached without TLS, or the login refused): {exc}", "connection")
    return BrokerError(f"cannot connect to RabbitMQ at {where}: {type(exc).__name__}: {exc}", "connection")


class BrokerWatch:
    """One kombu connection to the first broker host that answers; ``connect()``, ``watch()``, ``close()``."""

    def __init__(self, transport, tls, heartbeat=60, connect_timeout=10):
        self.transport = transport
        self.tls = tls
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self.connection = None
        self.where = None

    def connect(self):
        """Connect to the hosts in order; BrokerError (the worst failure) when none works."""
        import kombu

        failures = []
        vhost = self.transport["virtual_host"] or "/"
        one_broker = len(self.transport["hosts"]) == 1
        for host in self.transport["hosts"]:
            where = f"{host['host']}:{host['port']}"
            connection = kombu.Connection(
                hostname=host["host"], port=host["port"], userid=host["username"] or "guest",
                password=host["password"] or "guest", virtual_host=vhost,
                ssl=ssl_options(self.tls, host["host"], one_broker), heartbeat=self.heartbeat,
                connect_timeout=self.connect_timeout, transport="pyamqp")
            try:
                connection.connect()
            except Exception as exc:  # kombu/amqp/ssl/socket errors alike: each becomes a BrokerError
                failures.append(classify(exc, where))
                _release(connection)
                continue
            self.connection, self.where = connection, where
            return where
        fatal = [f for f in failures if f.fatal]
        raise (fatal or failures)[0] if len(failures) == 1 else BrokerError(
            "; ".join(f.message for f in failures), (fatal[0].kind if fatal else "connection"))

    def watch(self, stopping, interval=1.0):
        """Block until the connection is lost (returns the reason) or ``stopping`` (an Event) is set (None)."""
        connection = self.connection
        while not stopping.is_set():
            try:
                connection.drain_events(timeout=interval)
            except socket.timeout:
                pass
            except Exception as exc:  # anything the connection raises means it is gone
                return _reason(exc)
            try:
                if self.heartbeat:
                    connection.heartbeat_check()
            except Exception as exc:  # a missed heart-beat or a dead socket
                return _reason(exc)
        return None

    def reconnect(self, policy, stopping, on_attempt=None):
        """Reconnect with backoff; returns attempts, None when stopping; raises BrokerError when hopeless."""
        self.close()
        backoff = Backoff(policy["initial_delay"], policy["max_delay"], policy["max_attempts"])
        refused = 0
        while True:
            try:
                delay = backoff.next_delay()
            except BudgetExhausted as err:
                raise BrokerError(f"cannot reconnect to RabbitMQ: {err}") from None
            if stopping.wait(delay):
                return None
            try:
                self.connect()
                return backoff.attempts
            except BrokerError as err:
                if on_attempt is not None:
                    on_attempt(backoff.attempts, err)
                refused = refused + 1 if err.kind == "auth" else 0
                if err.kind == "tls" or refused >= AUTH_FAILURES_ALLOWED:
                    raise

    def close(self):
        if self.connection is not None:
            _release(self.connection)
            self.connection = None


def _release(connection):
    # Closing a dead connection may fail in many ways; it is gone either way.
    with contextlib.suppress(Exception):
        connection.release()


def _reason(exc):
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
