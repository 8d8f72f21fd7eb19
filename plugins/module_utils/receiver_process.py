# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Receiver in a process of its own, so that a storm's frames are parsed beside the rules engine, not in it.

Inside ansible-rulebook the source shares one GIL with the rules engine's event loop and with ansible-runner,
which reads each playbook's output in a thread of the same process. During a storm stomp.py's frame parsing
(about 90 µs of the GIL per frame) made each short step of those threads wait, and a held message's reply
playbook took twice its time. ReceiverProcess has the interface of receiver.Receiver; its process
(receiver_child) runs the real Receiver with the source's triage and sends on, in order, the frames it keeps
and, in batches, the notes of those it drops (process_channel). The receiver process knows nothing of
sessions, cursors or events: all of that stays in the source.

The child's log records are logged again here under their own logger names, so the source's secret filter
and verbosity apply to them. A child that ends unexpectedly is a lost connection. The child ends when it is
closed, or when its end of the socket pair closes because the source ended in whatever way.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
import time

from ansible_collections.zhmc.notifications.plugins.module_utils.process_channel import Channel, ChannelClosed
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import (
    LOG,
    BrokerEndpoint,
    ReceiverError,
    require_stomp,
)

CHILD_MODULE = __name__.rsplit(".", 1)[0] + ".receiver_child"
START_SECONDS = 20.0
"""Time allowed for the receiver process to start (an interpreter and stomp.py's import) before its connect."""
END_SECONDS = 3.0
"""Time allowed for the receiver process to end after its connection closed, before it is killed."""
CHILD_LOGGERS = ("stomp.py", LOG.name)


def collection_root():
    """The folder that holds ansible_collections/ for this module, for the receiver process's import path."""
    path = os.path.abspath(__file__)
    for _level in range(__name__.count(".") + 1):
        path = os.path.dirname(path)
    return path


class ReceiverProcess(BrokerEndpoint):
    """receiver.Receiver's interface, with the connection in a child process (see the module docstring).

    nice (0..19): the CPU priority the process lowers itself to before it reads anything (cpu_priority); 0
    keeps the source's.
    """

    def __init__(self, host, port, login, passcode, on_frame, on_lost, ca_certs=None, verify=True,
                 heartbeat=30.0, connect_timeout=30.0, receipt_timeout=None, triage=None, on_dropped=None, nice=0):
        require_stomp()
        super().__init__(host, port)
        self._settings = {"host": host, "port": self.port, "login": login, "passcode": passcode,
                          "ca_certs": ca_certs, "verify": verify, "heartbeat": heartbeat,
                          "connect_timeout": connect_timeout, "receipt_timeout": receipt_timeout, "triage": triage}
        self._connect_timeout = connect_timeout
        self._nice = nice
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._on_dropped = on_dropped
        self._process = None
        self._channel = None
        self._call_ids = itertools.count(1)
        self._replies = {}
        self._replied = threading.Condition()
        self._state_lock = threading.Lock()
        self._closing = False
        self._connected = False
        self._lost_reported = False
        self._ended = threading.Event()
        self.heartbeat_interval = 0.0

    def connect(self):
        """Start the receiver process and have it connect; raises ReceiverError as Receiver.connect does."""
        with self._state_lock:
            if self._closing:
                raise ReceiverError(f"the connection to {self.where} was closed before it was made")
            self._start()
        try:
            self.heartbeat_interval = self._call("connect", self._settings,
                                                 deadline=time.monotonic() + self._connect_timeout + START_SECONDS)
        except ReceiverError:
            self.close(0.5)  # a failed attempt leaves no process behind, as Receiver leaves no connection
            raise

    def subscribe(self, topics, confirm=False):
        """As Receiver.subscribe (which the receiver process runs, and which skips topics it has); the receiver
        process enforces the receipt timeout."""
        self._call("subscribe", (list(topics), confirm))

    def close(self, timeout=2.0):
        """Close the connection and end the process (killed when it does not end in time); safe from any
        thread, also while connect() runs (which then raises)."""
        with self._state_lock:
            self._closing = True
            process = self._process
        if process is None:
            self._ended.set()
            return
        if process.poll() is None:
            self._send(("close", timeout))
            try:
                process.wait(2 * timeout + END_SECONDS)
            except subprocess.TimeoutExpired:
                LOG.info("the receiver process for %s does not end: killing it", self.where)
                process.kill()
                process.wait()
        self._channel.close()
        self._ended.wait(END_SECONDS)

    # -- internals ----------------------------------------------------------------------------------

    def _start(self):
        parent_end, child_end = socket.socketpair()
        env = dict(os.environ)
        # What the source imports, the child imports: ansible-rulebook or a decision environment may have
        # put folders on sys.path that no environment variable names.
        env["PYTHONPATH"] = os.pathsep.join([collection_root()] + [p for p in sys.path if p and os.path.isdir(p)])
        env["PYTHONSAFEPATH"] = "1"  # not the working folder first on sys.path (python -m would put it there)
        level = min(logging.getLogger(name).getEffectiveLevel() for name in CHILD_LOGGERS)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE, str(child_end.fileno()), str(level), str(self._nice)],
                pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env,
                start_new_session=True)  # a terminal's Ctrl-C goes to the source, which closes the process
        except OSError as err:
            parent_end.close()
            raise ReceiverError(f"cannot start the receiver process ({sys.executable}): {err}") from None
        finally:
            child_end.close()
        self._channel = Channel(parent_end)
        threading.Thread(target=self._read, name="zhmc-receiver-process", daemon=True).start()

    def _send(self, message):
        with contextlib.suppress(ChannelClosed):  # the process ended: its reader reports that
            self._channel.send(message)

    def _call(self, name, args, deadline=None):
        """Run Receiver.<name> in the process and return its value; its ReceiverError is raised here."""
        call_id = next(self._call_ids)
        self._send(("call", call_id, name, args))
        with self._replied:
            while call_id not in self._replies:
                if self._ended.is_set():
                    raise ReceiverError(f"the receiver process for {self.where} ended (exit code "
                                        f"{self._process.poll()})")
                if deadline is not None and time.monotonic() > deadline:
                    raise ReceiverError(f"no answer from the receiver process for {self.where}")
                self._replied.wait(0.2)
            ok, value = self._replies.pop(call_id)
        if not ok:
            message, auth = value
            raise ReceiverError(message, auth=auth)
        return value

    def _read(self):
        """Dispatch what the process sends, in order; its end is a lost connection unless closed."""
        try:
            while True:
                message = self._channel.recv()
                kind = message[0]
                if kind == "frame":
                    self._on_frame(message[1], message[2])
                elif kind == "dropped":
                    self._on_dropped(message[1])
                elif kind == "connected":  # from now on an end of the process is a lost connection
                    self._connected = True
                elif kind == "reply":
                    with self._replied:
                        self._replies[message[1]] = (message[2], message[3])
                        self._replied.notify_all()
                elif kind == "log":
                    logging.getLogger(message[2]).log(message[1], "%s", message[3])
                elif kind == "lost":
                    self._report_lost(message[1])
        except ChannelClosed:
            pass
        except Exception:  # a consumer callback failed: the connection cannot go on without it
            LOG.exception("the frames of %s cannot be handed on", self.where)
            self._process.kill()
        finally:
            self._end()

    def _end(self):
        try:
            code = self._process.wait(END_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        with self._replied:
            self._ended.set()
            self._replied.notify_all()
        if self._connected:
            self._report_lost(f"the receiver process ended unexpectedly (exit code {code})")

    def _report_lost(self, reason):
        with self._state_lock:
            if self._lost_reported or self._closing:
                return
            self._lost_reported = True
        self._on_lost(reason)
