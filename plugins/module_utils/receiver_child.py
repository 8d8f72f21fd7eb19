# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The receiver process that receiver_process.ReceiverProcess starts: one Receiver, relayed to the source.

Run as ``python -m ...receiver_child FD LEVEL NICE``: FD is its end of the socket pair, LEVEL the lowest log
level the source shows, NICE the CPU priority to lower itself to first (0: the source's; see cpu_priority). It
answers the source's calls (connect, subscribe), each in a thread of its own so that a close is never stuck
behind a connect that waits for the broker. The frames the triage keeps are sent at
once; the notes of the ones it drops (drop_notes runs) are sent in batches, always before the next kept
frame and the loss report, and at least every FLUSH_SECONDS, so that the source sees every notification in
the order the broker sent it. Log records go to the source (which masks secrets again); the login and
passcode are masked here as well.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import logging
import os
import signal
import socket
import sys
import threading

from ansible_collections.zhmc.notifications.plugins.module_utils import cpu_priority, log_secrets
from ansible_collections.zhmc.notifications.plugins.module_utils.drop_notes import add_run
from ansible_collections.zhmc.notifications.plugins.module_utils.process_channel import Channel, ChannelClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import LOG, Receiver, ReceiverError

BATCH = 500
"""Dropped notifications told in one message at most (as drop_notes runs: a storm's are a few runs)."""
FLUSH_SECONDS = 0.05
"""Longest time a dropped notification's note waits for its batch (the cursors' and checkpoint's lag)."""


class _ForwardLogs(logging.Handler):
    def __init__(self, channel):
        super().__init__()
        self._channel = channel

    def emit(self, record):
        with contextlib.suppress(ChannelClosed):
            self._channel.send(("log", record.levelno, record.name, self.format(record)))


class Relay:
    """One Receiver whose calls, frames, drop notes and loss go over the channel (see the module docstring)."""

    def __init__(self, channel):
        self._channel = channel
        self._receiver = None
        self._pending = []
        self._noted = 0
        self._lock = threading.Lock()
        self._done = threading.Event()

    def serve(self):
        """Until the source closes the connection or goes away."""
        try:
            while True:
                message = self._channel.recv()
                if message[0] == "call":
                    self._start_call(*message[1:])
                elif message[0] == "close":
                    self._close(message[1])
                    return
        except ChannelClosed:
            self._close(0.5)

    def _start_call(self, call_id, name, args):
        if name == "connect":
            target = self._connect
            args = (args,)
        else:
            target = self._subscribe
        threading.Thread(target=self._answer, args=(call_id, target, args), daemon=True).start()

    def _answer(self, call_id, target, args):
        try:
            value = target(*args)
        except ReceiverError as err:
            reply = ("reply", call_id, False, (err.message, err.auth))
        except Exception as err:  # told to the source, which decides what it means
            reply = ("reply", call_id, False, (f"{type(err).__name__}: {err}", False))
        else:
            reply = ("reply", call_id, True, value)
        self._send(reply)

    def _connect(self, settings):
        log_secrets.remember(settings["login"], settings["passcode"])
        log_secrets.install()
        self._receiver = Receiver(on_frame=self._frame, on_lost=self._lost, on_dropped=self._dropped, **settings)
        self._receiver.connect()
        self._send(("connected",))  # before the reply, so that the source counts a later end as a loss
        threading.Thread(target=self._flush_often, name="zhmc-drop-notes", daemon=True).start()
        return self._receiver.heartbeat_interval

    def _subscribe(self, topics, confirm):
        if self._receiver is None:
            raise ReceiverError("not connected")
        self._receiver.subscribe(topics, confirm)

    def _close(self, timeout):
        self._done.set()
        if self._receiver is not None:
            self._receiver.close(timeout)

    # -- in stomp.py's and the watchdog's threads ---------------------------------------------------

    def _frame(self, headers, body):
        with self._lock:
            self._flush()
            self._send(("frame", headers, body))

    def _dropped(self, runs):
        with self._lock:
            for run in runs:
                add_run(self._pending, run)
            self._noted += len(runs)
            if self._noted >= BATCH:
                self._flush()

    def _lost(self, reason):
        with self._lock:
            self._flush()
            self._send(("lost", reason))

    def _flush_often(self):
        while not self._done.wait(FLUSH_SECONDS):
            with self._lock:
                self._flush()

    def _flush(self):
        """Under the lock."""
        if self._pending:
            batch, self._pending, self._noted = self._pending, [], 0
            self._send(("dropped", batch))

    def _send(self, message):
        with contextlib.suppress(ChannelClosed):  # the source is gone: serve() ends this process
            self._channel.send(message)


def main(argv):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    nice = int(argv[3])
    lowered = cpu_priority.lower(nice) if nice else []  # before any thread: they inherit it
    channel = Channel(socket.socket(fileno=int(argv[1])))
    root = logging.getLogger()
    root.setLevel(int(argv[2]))
    root.addHandler(_ForwardLogs(channel))
    if lowered:
        LOG.debug("receiver process %s: %s", os.getpid(), ", ".join(lowered))
    Relay(channel).serve()
    channel.close()
    os._exit(0)  # stomp.py's threads are not waited for: the connection is closed


if __name__ == "__main__":
    main(sys.argv)
