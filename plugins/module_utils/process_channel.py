# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages between the source and its receiver process, over one end of a socket pair.

Each message is a tuple, pickled and sent with a 4-byte length in front. Both ends are processes of the same
installation started by the source itself, so pickle carries nothing from outside: the broker's frames are
already parsed into plain dicts and strings when they are sent. A send blocks while the peer does not read,
which is how backpressure from the rules engine reaches the broker's socket in the receiver process.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import pickle
import socket
import struct
import threading

_LENGTH = struct.Struct("!I")


class ChannelClosed(Exception):
    """The other process closed its end (it ended) or this end was closed."""


class Channel:
    """send() from any thread (whole messages, never interleaved); recv() from one thread."""

    def __init__(self, sock):
        self._sock = sock
        self._send_lock = threading.Lock()
        self._reader = sock.makefile("rb")

    def send(self, message):
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with self._send_lock:
                self._sock.sendall(_LENGTH.pack(len(data)) + data)
        except OSError as err:
            raise ChannelClosed(str(err)) from None

    def recv(self):
        try:
            head = self._reader.read(_LENGTH.size)
            if len(head) < _LENGTH.size:
                raise ChannelClosed("the other end closed the channel")
            (length,) = _LENGTH.unpack(head)
            data = self._reader.read(length)
        except (OSError, ValueError) as err:  # ValueError: read on a reader closed meanwhile
            raise ChannelClosed(str(err)) from None
        if len(data) < length:
            raise ChannelClosed("the other end closed the channel in the middle of a message")
        return pickle.loads(data)

    def close(self):
        """Also wakes a recv() blocked in another thread (which then raises ChannelClosed)."""
        for step in (lambda: self._sock.shutdown(socket.SHUT_RDWR), self._reader.close, self._sock.close):
            with contextlib.suppress(OSError):
                step()
