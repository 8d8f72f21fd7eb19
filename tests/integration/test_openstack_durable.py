"""durable_queues across a RabbitMQ restart: notifications sent while the source was down and the broker then
restarted are delivered when the source comes back, each once. The test runs a RabbitMQ node of its own, since
it restarts it."""

import pytest
from openstack_rulebook import OpenStackRulebook, check_nothing_lost_while_down
from rabbitmq_broker import RabbitMQBroker

pytestmark = pytest.mark.rulebook
POOL = "eda-durable"


@pytest.fixture
def broker(tmp_path_factory):
    node = RabbitMQBroker(tmp_path_factory.mktemp("rabbitmq-durable")).start()
    yield node
    node.stop()


def test_durable_queues_keep_notifications_across_a_broker_restart(broker, collections, tmp_path):
    rulebook = OpenStackRulebook(collections, tmp_path, broker.url(), {"pool": POOL, "durable_queues": True})
    check_nothing_lost_while_down(broker, rulebook, POOL, durable=True, restart_broker=True)
