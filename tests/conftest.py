"""Shared fixtures: a private ActiveMQ broker (session scope) for tests marked ``activemq``."""

import pytest


@pytest.fixture(scope="session")
def activemq_broker(tmp_path_factory):
    """A running ActiveMQ with STOMP on free loopback ports: ``.url()``, ``.url(ssl=True)``, ``.ca_file``."""
    from hmcsim.activemq import ActiveMQBroker, available

    if not available():
        pytest.fail("ActiveMQ tests need java, keytool and Debian's activemq package (/usr/share/activemq)")
    broker = ActiveMQBroker(tmp_path_factory.mktemp("activemq")).start()
    yield broker
    broker.stop()
