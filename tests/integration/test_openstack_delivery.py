"""Delivery guarantees of the openstack source under ansible-rulebook against a real RabbitMQ: a source killed
with SIGKILL and started again loses none of the notifications sent while it was down (its pool's queue keeps
them), and two sources in one pool each get a share and together all, each notification once."""

import pytest
from openstack_publish import numbers_of, publish_numbered
from openstack_rulebook import OpenStackRulebook, check_nothing_lost_while_down

pytestmark = pytest.mark.rulebook


def test_a_killed_source_loses_nothing_sent_while_it_was_down(rabbitmq, collections, tmp_path):
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(), {"pool": "eda-restart"})
    check_nothing_lost_while_down(rabbitmq, rulebook, "eda-restart")


def test_two_sources_in_one_pool_share_the_notifications(rabbitmq, collections, tmp_path):
    first = OpenStackRulebook(collections, tmp_path / "one", rabbitmq.url(), {"pool": "eda-shared"})
    second = OpenStackRulebook(collections, tmp_path / "two", rabbitmq.url(), {"pool": "eda-shared"})
    try:
        first.wait_listening()
        second.wait_listening()
        publish_numbered(rabbitmq.url(), range(1, 41))
        first.wait_for(lambda _: len(numbers_of(first.events())) + len(numbers_of(second.events())) >= 40,
                       "forty notifications between the two")
        one, two = numbers_of(first.events()), numbers_of(second.events())
    finally:
        first.stop()
        second.stop()
    assert one and two, f"each source gets a share: {len(one)} and {len(two)}"
    assert sorted(one + two) == list(range(1, 41)), "together all, each once"


def test_feedback_mode_acknowledges_after_the_engines_feedback(rabbitmq, collections, tmp_path):
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(),
                                 {"pool": "eda-feedback", "feedback": True, "feedback_timeout": 60},
                                 extra_args=["--persistence-id", "zhmc-openstack-test"])
    try:
        rulebook.wait_listening()
        publish_numbered(rabbitmq.url(), range(1, 11))
        events = rulebook.wait_for(lambda e: set(numbers_of(e)) == set(range(1, 11)), "ten with feedback")
        assert sorted(numbers_of(events)) == list(range(1, 11))
        rabbitmq.wait_queue_depth("eda-feedback", 0, timeout=120)  # every notification acknowledged
    finally:
        rulebook.stop()
    assert "no feedback" not in rulebook.output()
