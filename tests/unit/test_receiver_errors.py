"""How the receiver names a broker that hangs up on the login: whichever way stomp.py's connect fails, the
error says the broker closed the connection without answering CONNECT (the race between stomp.py's reader
thread seeing the close and its send of CONNECT decides which exception comes)."""

import errno

import pytest
import stomp

from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import closed_under_connect


@pytest.mark.parametrize("exc", [
    stomp.exception.NotConnectedException(),
    stomp.exception.ConnectionClosedException(),
    OSError(errno.EBADF, "Bad file descriptor"),  # the reader thread closed the socket first
    BrokenPipeError(errno.EPIPE, "Broken pipe"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
])
def test_a_connection_gone_under_connect_is_a_hang_up(exc):
    assert closed_under_connect(exc)


@pytest.mark.parametrize("exc", [
    OSError(errno.ECONNREFUSED, "Connection refused"),
    TimeoutError("timed out"),
    ValueError("something else"),
])
def test_other_failures_keep_their_own_message(exc):
    assert not closed_under_connect(exc)
