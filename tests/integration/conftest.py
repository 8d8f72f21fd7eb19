"""Integration fixtures: ``hmcsim`` (minimal scenario), ``hmcsim_factory(scenario=..., **opts)`` and
``collections``, the collection as a user installs it."""

import sys
from pathlib import Path

import pytest

from hmcsim.pytest_fixtures import hmcsim, hmcsim_factory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import demo_support

__all__ = ["collections", "hmcsim", "hmcsim_factory", "rabbitmq"]


@pytest.fixture(scope="session")
def collections(tmp_path_factory):
    """A collections folder holding zhmc.notifications, built from this checkout into a tarball and installed
    with ansible-galaxy (once per test run): what rulebook and playbook tests run is what users get."""
    return demo_support.build_and_install(tmp_path_factory.mktemp("collection"))


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory):
    """A private RabbitMQ (Debian rabbitmq-server, not the system service) with plain and TLS listeners on free
    loopback ports, for the whole test run: ``.url()``, ``.url(tls=True)``, ``.ca_file``, ``.ctl(...)``."""
    from rabbitmq_broker import RabbitMQBroker, available

    if not available():
        pytest.fail("OpenStack source tests need Debian's rabbitmq-server package (/usr/lib/rabbitmq/bin)")
    broker = RabbitMQBroker(tmp_path_factory.mktemp("rabbitmq")).start()
    yield broker
    broker.stop()
