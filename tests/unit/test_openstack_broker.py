"""The openstack source's reconnect policy and error classification, without a broker: a TLS failure or three
refused logins end it, a used-up budget ends it, stopping ends it quietly, a transient failure is retried."""

import socket
import ssl
import threading

import amqp.exceptions
import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.openstack_broker import (
    BrokerError,
    BrokerWatch,
    classify,
    ssl_options,
)

POLICY = {"initial_delay": 0.001, "max_delay": 0.002, "max_attempts": 0}


class Scripted(BrokerWatch):
    """connect() fails with the scripted errors in turn, then succeeds."""

    def __init__(self, failures):
        super().__init__({"hosts": [], "virtual_host": None}, None)
        self.failures = list(failures)
        self.calls = 0

    def connect(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.where = "h:5672"
        return self.where


def test_transient_failures_are_retried_and_counted():
    seen = []
    watch = Scripted([BrokerError("down"), BrokerError("still down"), BrokerError("refused", "auth")])
    assert watch.reconnect(POLICY, threading.Event(), lambda n, err: seen.append((n, err.kind))) == 4
    assert seen == [(1, "connection"), (2, "connection"), (3, "auth")]


def test_tls_failure_ends_reconnecting_at_once():
    watch = Scripted([BrokerError("bad cert", "tls"), BrokerError("never reached")])
    with pytest.raises(BrokerError, match="bad cert"):
        watch.reconnect(POLICY, threading.Event())
    assert watch.calls == 1


def test_three_refused_logins_in_a_row_end_it():
    watch = Scripted([BrokerError("no", "auth")] * 5)
    with pytest.raises(BrokerError, match="no"):
        watch.reconnect(POLICY, threading.Event())
    assert watch.calls == 3


def test_budget_and_stopping():
    with pytest.raises(BrokerError, match="gave up after 2 reconnect attempts"):
        Scripted([BrokerError("down")] * 5).reconnect(dict(POLICY, max_attempts=2), threading.Event())
    stopping = threading.Event()
    stopping.set()
    assert Scripted([]).reconnect(POLICY, stopping) is None


def test_classification_names_the_cause():
    assert classify(amqp.exceptions.AccessRefused("ACCESS_REFUSED"), "h:1").kind == "auth"
    assert classify(amqp.exceptions.NotAllowed("vhost"), "h:1").kind == "auth"
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verify.verify_message = "self-signed certificate"
    error = classify(verify, "h:1")
    assert error.kind == "tls" and "not trusted" in error.message and "self-signed" in error.message
    assert classify(ssl.SSLError(1, "wrong version number"), "h:1").kind == "tls"
    assert classify(socket.timeout(), "h:1").kind == "connection"
    assert classify(ConnectionRefusedError(111, "refused"), "h:1").fatal is False


def test_ssl_options_follow_oslo_messaging():
    assert ssl_options(None, "h") is False
    full = ssl_options({"ca_file": "/ca.pem", "cert_file": "/c", "key_file": "/k"}, "h")
    assert full == {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": "/ca.pem", "server_hostname": "h",
                    "certfile": "/c", "keyfile": "/k"}
    assert "server_hostname" not in ssl_options({"ca_file": "/ca.pem"}, "h", one_broker=False)
