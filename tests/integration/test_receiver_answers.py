"""What the receiver reports when a broker hangs up instead of answering: what happened, not a timeout."""

import socket
import threading
import time

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import Receiver, ReceiverError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver_process import ReceiverProcess


@pytest.fixture(params=[Receiver, ReceiverProcess], ids=["in-process", "own-process"])
def kind(request):
    """The receiver as wait_for_notification runs it and as the source runs it: both must answer the same."""
    return request.param


def receiver(kind, host, port, ca_file, login="operator", passcode="operator-password"):
    return kind(host, port, login, passcode, on_frame=lambda h, b: None, on_lost=lambda r: None,
                ca_certs=ca_file, heartbeat=0, connect_timeout=30)


def test_a_broker_that_closes_after_tls_is_reported_as_closed(kind, hmcsim):
    hmcsim.control.drop_connections(refuse_seconds=60, refuse_with="close")
    started = time.monotonic()
    with pytest.raises(ReceiverError) as info:
        receiver(kind, "127.0.0.1", hmcsim.stomp_port, hmcsim.ca_file).connect()
    assert "closed the connection without answering the login (CONNECT)" in info.value.message, info.value.message
    assert "within" not in info.value.message
    assert not info.value.auth
    assert time.monotonic() - started < 25, "reported when it happened, not at the connect timeout"
    assert hmcsim.control.stomp_logins()["refused"] >= 1


def test_a_port_that_closes_before_tls_is_reported_as_such(kind, hmcsim):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    stop = threading.Event()

    def hang_up():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _peer = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        with pytest.raises(ReceiverError) as info:
            receiver(kind, "127.0.0.1", server.getsockname()[1], hmcsim.ca_file).connect()
    finally:
        stop.set()
        thread.join(5)
        server.close()
    assert "no answer" not in info.value.message
    assert "TLS" in info.value.message or "closed" in info.value.message, info.value.message
