"""--broker: hmcsim publishes the same MESSAGE content into a real ActiveMQ (plain STOMP and STOMP+SSL)."""

import json
import socket
import ssl

import pytest
from hmcsim_wire import Api

from hmcsim.stomp_frames import FrameParser, encode

pytestmark = pytest.mark.activemq


class BrokerConsumer:
    """A raw STOMP consumer on the broker, so the test sees exactly what the broker delivers."""

    def __init__(self, port, ca_file=None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        if ca_file:
            sock = ssl.create_default_context(cafile=str(ca_file)).wrap_socket(sock, server_hostname="localhost")
        self.sock, self.parser, self.pending = sock, FrameParser(), []
        self.sock.sendall(encode("CONNECT", {"accept-version": "1.2", "host": "localhost", "login": "test",
                                             "passcode": "test"}))
        assert self.next().command == "CONNECTED"

    def next(self):
        while not any(self.pending):
            self.pending = [f for f in self.pending if f is not None]
            data = self.sock.recv(65536)
            assert data, "broker closed the connection"
            self.pending.extend(self.parser.feed(data))
        self.pending = [f for f in self.pending if f is not None]
        return self.pending.pop(0)

    def subscribe(self, topic):
        self.sock.sendall(encode("SUBSCRIBE", {"id": "1", "destination": f"/topic/{topic}", "receipt": "s1"}))
        assert self.next().command == "RECEIPT"


@pytest.mark.parametrize("tls", [False, True], ids=["stomp", "stomp+ssl"])
def test_broker_receives_the_same_notifications(hmcsim_factory, activemq_broker, tls):
    sim = hmcsim_factory(broker=activemq_broker.url(ssl=tls), broker_ca=activemq_broker.ca_file if tls else None)
    api = Api(sim)
    lp01 = api.find("logical-partition", "LP01")
    topic = api.ok("POST", f"{lp01}/operations/open-os-message-channel", {})["topic-name"]
    consumer = BrokerConsumer(activemq_broker.stomp_ssl_port if tls else activemq_broker.stomp_port,
                              activemq_broker.ca_file if tls else None)
    consumer.subscribe(topic)
    sim.control.os_message("LP01", "IEF403I PAYROLL - STARTED - TIME=10.00.00", held=True, reply_id="12")
    frame = consumer.next()
    assert frame.command == "MESSAGE"
    assert frame.headers["destination"] == f"/topic/{topic}"
    assert {"notification-type": "os-message", "class": "logical-partition", "name": "LP01", "object-uri": lp01,
            "session-sequence-nr": "0"}.items() <= frame.headers.items()
    assert "global-sequence-nr" in frame.headers
    [message] = json.loads(frame.body)["os-messages"]
    assert (message["message-text"], message["is-held"], message["message-id"]) == \
        ("*12 IEF403I PAYROLL - STARTED - TIME=10.00.00", True, "12")
