"""durable_queues across a RabbitMQ restart: notifications sent while the source was down and the broker then
restarted are delivered when the source comes back, each once. The test runs a RabbitMQ node of its own, since
it restarts it."""

import collections as counting

import pytest
from openstack_publish import numbers_of, publish_numbered
from openstack_rulebook import OpenStackRulebook
from rabbitmq_broker import RabbitMQBroker

pytestmark = pytest.mark.rulebook
POOL = "eda-durable"


@pytest.fixture
def broker(tmp_path_factory):
    node = RabbitMQBroker(tmp_path_factory.mktemp("rabbitmq-durable")).start()
    yield node
    node.stop()


def publish(broker, numbers):
    publish_numbered(broker.url(), numbers, durable=True)


def test_durable_queues_keep_notifications_across_a_broker_restart(broker, collections, tmp_path):
    rulebook = OpenStackRulebook(collections, tmp_path, broker.url(), {"pool": POOL, "durable_queues": True})
    try:
        rulebook.wait_listening()
        publish(broker, range(1, 6))
        rulebook.wait_for(lambda e: set(numbers_of(e)) == set(range(1, 6)), "the first five")
        rulebook.kill()
        publish(broker, range(6, 26))
        assert broker.queue_depth(POOL) == 20
        broker.restart()
        assert broker.queue_depth(POOL) == 20, "the durable queue and its persistent messages survive the restart"
        rulebook.start()
        rulebook.wait_listening()
        publish(broker, range(26, 31))
        events = rulebook.wait_for(lambda e: set(numbers_of(e)) == set(range(1, 31)), "all thirty")
    finally:
        rulebook.stop()
    counts = counting.Counter(numbers_of(events))
    assert all(count == 1 for n, count in counts.items() if n > 5), counts
