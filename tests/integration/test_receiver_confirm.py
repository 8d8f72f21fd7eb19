"""Receiver.subscribe(confirm=True) against hmcsim: it returns once the broker's receipt came, so the
subscription is in effect; a subscription the broker refuses (ERROR and close) raises instead of hanging."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import Receiver, ReceiverError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver_process import ReceiverProcess


@pytest.fixture(params=[Receiver, ReceiverProcess], ids=["in-process", "own-process"])
def kind(request):
    return request.param


def connected(kind, sim, frames):
    client = HmcClient([sim.hmc_host], userid="operator", password="operator-password", ca_certs=sim.ca_file)
    client.logon()
    receiver = kind("127.0.0.1", sim.stomp_port, client.session_id, client.session_credential,
                    on_frame=lambda headers, body: frames.append(headers), on_lost=lambda reason: None,
                    ca_certs=sim.ca_file, heartbeat=0, connect_timeout=10)
    receiver.connect()
    return client, receiver


def test_confirmed_subscription_is_in_effect_at_once(kind, hmcsim):
    frames = []
    client, receiver = connected(kind, hmcsim, frames)
    try:
        receiver.subscribe([client.object_topic, client.job_topic], confirm=True)
        subscribed = [c["subscriptions"] for c in hmcsim.control.stomp_connections()]
        assert len(subscribed) == 1 and len(subscribed[0]) == 2, "both subscriptions exist when the call returns"
        receiver.subscribe([client.object_topic], confirm=True)  # nothing new: returns without a receipt
    finally:
        receiver.close()
        client.logoff()


def test_a_refused_subscription_raises(kind, hmcsim):
    client, receiver = connected(kind, hmcsim, [])
    try:
        with pytest.raises(ReceiverError, match="did not confirm the subscriptions: the connection ended"):
            receiver.subscribe(["no.such.topic"], confirm=True)
    finally:
        receiver.close()
        client.logoff()
