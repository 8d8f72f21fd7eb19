# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that speaks STOMP: one TLS connection to a console's broker.

A Receiver is one connection attempt and its life: connect (TLS with CA file or
directory and hostname check), log in, negotiate heart-beats, subscribe topics,
hand every MESSAGE frame to a callback in the stomp.py receiver thread, and
report exactly once when the connection is gone. Reconnecting is the caller's
job (it needs the WS API to re-logon and re-resolve topics), so a lost Receiver
is thrown away and a new one is made.

The frame callback runs in stomp.py's I/O thread and may block: while it
blocks nothing is read from the socket, so TCP backpressure reaches the broker
instead of frames piling up in memory.

stomp.py's own heart-beat receive check is not used: on a half-open TLS
connection it tries a TLS close handshake that blocks forever. A watchdog
thread here enforces the negotiated interval and, on expiry, shuts the raw
socket down, which makes stomp.py's I/O thread end and report the loss.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import errno
import glob
import inspect
import logging
import os
import socket
import ssl
import tempfile
import threading
import time

from ansible_collections.zhmc.notifications.plugins.module_utils import tls_trust
from ansible_collections.zhmc.notifications.plugins.module_utils.dependency_versions import too_old

MIN_STOMP_VERSION = (9, 0)
"""stomp.py 8.x sends CONNECT from the caller's thread while its reader thread already reads the same TLS socket;
when the read meets a TLS 1.3 session ticket the two race inside OpenSSL and about 1 connect in 100 fails
(measured with 8.2 on a loaded machine; none with 9.0). The receiver does not work around it: it requires 9.0."""


def stomp_version_problem(version):
    """Why this stomp.py version (its __version__ text) cannot be used, or None."""
    return too_old("stomp.py", version, MIN_STOMP_VERSION, "8.x fails about 1 TLS connect in 100", "stomp-py")


try:
    import stomp

    STOMP_IMPORT_ERROR = stomp_version_problem(getattr(stomp, "__version__", ""))
    HAS_STOMP = STOMP_IMPORT_ERROR is None
except ImportError as exc:  # pragma: no cover - reported by callers
    HAS_STOMP = False
    STOMP_IMPORT_ERROR = exc

LOG = logging.getLogger(__name__)


class _HideLogin(logging.Filter):
    """stomp.py logs every frame it sends at DEBUG, CONNECT with login and passcode in clear (-vv of
    ansible-rulebook shows DEBUG): those are the session id and credential, or the password. Such a record is
    replaced as a whole, so that no quoting or escaping of an odd password can let a part of it through."""

    def filter(self, record):
        text = record.getMessage()
        if "passcode" in text or "login:" in text:
            record.msg, record.args = "(a frame with login and passcode, not shown)", ()
        return True


logging.getLogger("stomp.py").addFilter(_HideLogin())

# stomp.py multiplies the negotiated receive interval by this scale; a huge
# value switches its receive check off (see the module docstring).
_NO_STOMP_RECEIVE_CHECK = 1e9


class ReceiverError(Exception):
    """The broker could not be reached or refused the connection."""

    def __init__(self, message, auth=False):
        super().__init__(message)
        self.message = message
        # True when the broker answered the CONNECT with an ERROR frame, which
        # is how it rejects a login: retrying with the same credentials is useless.
        self.auth = auth


def topic_destination(topic):
    """STOMP destination of a console topic name."""
    return "/topic/" + topic


def require_stomp():
    """ReceiverError naming what is missing when stomp.py cannot be used."""
    if not HAS_STOMP:
        raise ReceiverError(f"the Python package stomp.py (stomp-py >= 9.0) is required: {STOMP_IMPORT_ERROR}")


def _pem_files(directory):
    return sorted(p for p in glob.glob(os.path.join(directory, "*")) if os.path.isfile(p))


def ca_bundle(ca_certs, verify):
    """Return (ca_file, temp_file_to_remove) for stomp.py's set_ssl.

    stomp.py (8.x and 9.x) only accepts a CA *file* and, in 8.x, skips
    verification entirely when none is given. To honour a CA directory and
    the system trust store on both versions, certificates of a directory are
    concatenated into a private temporary bundle. Without ca_certs the store
    is the one tls_trust names for the WS API as well.
    """
    if not verify:
        return None, None
    try:
        ca_certs = tls_trust.ca_store(ca_certs, verify)  # the same store as the WS API's
    except ValueError as err:
        raise ReceiverError(str(err)) from None
    if os.path.isfile(ca_certs):
        return ca_certs, None
    if not os.path.isdir(ca_certs):
        raise ReceiverError(f"hmc_auth.ca_certs: no such file or directory: {ca_certs}")
    pems = []
    for path in _pem_files(ca_certs):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if b"-----BEGIN CERTIFICATE-----" in data:
            pems.append(data.rstrip() + b"\n")
    if not pems:
        raise ReceiverError(f"hmc_auth.ca_certs: directory holds no PEM certificates: {ca_certs}")
    fd, bundle = tempfile.mkstemp(prefix="zhmc-ca-", suffix=".pem")
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"".join(pems))
    return bundle, bundle


def _server_send_interval(connected_headers, client_receive_ms):
    """Seconds between heart-beats the broker promised (0 = none), per STOMP 1.2."""
    value = connected_headers.get("heart-beat", "0,0")
    try:
        server_send = int(value.replace(" ", "").split(",")[0])
    except (ValueError, IndexError):
        return 0
    if server_send <= 0 or client_receive_ms <= 0:
        return 0
    return max(server_send, client_receive_ms) / 1000.0


class BrokerEndpoint:
    """The broker a receiver connects to, as both receivers (this one and receiver_process's) name it."""

    def __init__(self, host, port):
        self.host = host
        self.port = int(port)

    @property
    def where(self):
        return f"{self.host}:{self.port}"


class Receiver(BrokerEndpoint):
    """One STOMP/TLS connection to a console broker.

    on_frame(headers, body) is called in the stomp.py thread for each MESSAGE.
    on_lost(reason) is called once, from a stomp.py or watchdog thread, when an
    established connection ends for any reason other than close().
    With a triage (early_filter.Triage), a frame it drops goes to on_dropped([its drop_notes run]) instead of on_frame.
    """

    def __init__(self, host, port, login, passcode, on_frame, on_lost, ca_certs=None, verify=True,
                 heartbeat=30.0, connect_timeout=30.0, receipt_timeout=None, triage=None, on_dropped=None):
        require_stomp()
        super().__init__(host, port)
        self._login = login
        self._passcode = passcode
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._triage = triage
        self._on_dropped = on_dropped
        self._ca_certs = ca_certs
        self._verify = verify
        self._heartbeat_ms = round(float(heartbeat) * 1000)
        self._connect_timeout = connect_timeout
        self._receipt_timeout = connect_timeout if receipt_timeout is None else receipt_timeout
        self._conn = None
        self._bundle_file = None
        self._bundle = None
        self._topics = set()
        self._receipts = set()
        self._receipt_count = 0
        self._receipt_seen = threading.Condition()
        self._state_lock = threading.Lock()
        self._connected = threading.Event()
        self._ended = threading.Event()
        self._closing = False
        self._lost_reported = False
        self._error = None
        self._last_rx = time.monotonic()
        self._busy = False
        self._watchdog = None
        self.heartbeat_interval = 0.0

    # -- stomp.py listener interface (called in stomp.py threads) -------------

    def on_connected(self, frame):
        self._last_rx = time.monotonic()
        self.heartbeat_interval = _server_send_interval(frame.headers, self._heartbeat_ms)
        self._connected.set()

    def on_message(self, frame):
        self._busy = True
        try:
            dropped = None if self._triage is None else self._triage.dropped(frame.headers, frame.body)
            if dropped is None:
                self._on_frame(frame.headers, frame.body)
            else:
                self._on_dropped([dropped])
        finally:
            self._last_rx = time.monotonic()
            self._busy = False

    def on_heartbeat(self):
        self._last_rx = time.monotonic()

    def on_receipt(self, frame):
        self._last_rx = time.monotonic()
        with self._receipt_seen:
            self._receipts.add(frame.headers.get("receipt-id"))
            self._receipt_seen.notify_all()

    def on_error(self, frame):
        self._last_rx = time.monotonic()
        message = frame.headers.get("message") or (frame.body or "").strip() or "ERROR frame without message"
        for secret in (self._login, self._passcode):  # ActiveMQ echoes the login, which may be the session id
            if secret:
                message = message.replace(secret, "********")
        self._error = message
        LOG.warning("broker %s:%s sent ERROR: %s", self.host, self.port, message)

    def on_disconnected(self):
        self._ended.set()
        self._report_lost("connection closed" + (f": {self._error}" if self._error else ""))

    # -- public API -------------------------------------------------------------

    def connect(self):
        """Open the connection and log in; raises ReceiverError (auth=True on a rejected login)."""
        self._bundle_file, self._bundle = ca_bundle(self._ca_certs, self._verify)
        heartbeats = (self._heartbeat_ms, self._heartbeat_ms)
        conn = stomp.Connection12(
            [(self.host, self.port)], heartbeats=heartbeats, heart_beat_receive_scale=_NO_STOMP_RECEIVE_CHECK,
            reconnect_attempts_max=1, reconnect_sleep_initial=0.01, timeout=self._connect_timeout,
            keepalive=True)
        ssl_args = {"for_hosts": [(self.host, self.port)], "ca_certs": self._bundle_file}
        # Connection.set_ssl is a (*args, **kwargs) wrapper: the transport's signature tells whether verify exists.
        if "verify" in inspect.signature(conn.transport.set_ssl).parameters:
            ssl_args["verify"] = self._verify
        conn.set_ssl(**ssl_args)
        conn.set_listener("zhmc-receiver", self)
        _notice_eof(conn.transport)
        with self._state_lock:
            if self._closing:
                self._discard()
                raise ReceiverError(f"the connection to {self.where} was closed before it was made")
            self._conn = conn
        try:
            conn.connect(self._login, self._passcode, wait=False)
        except Exception as exc:  # stomp.py raises several unrelated types here
            reason = self._diagnose(exc)  # before _discard, which removes a CA bundle made from a directory
            self._discard()
            raise ReceiverError(f"cannot connect to the STOMP broker at {self.where}: {reason}") from exc
        deadline = time.monotonic() + self._connect_timeout
        while not self._connected.is_set():
            if self._ended.is_set() or self._error or time.monotonic() > deadline:
                break
            self._connected.wait(0.05)
        if self._closing or not self._connected.is_set():
            # A failed or abandoned attempt closes what it opened: no connection stays subscribed behind us.
            error, closing, closed = self._error, self._closing, self._ended.is_set()
            self._abort()
            self._discard()
            if closing:
                raise ReceiverError(f"the connection to {self.where} was closed while it was being made")
            if error:
                raise ReceiverError(f"the STOMP broker at {self.where} refused the login: {error}", auth=True)
            if closed:
                raise ReceiverError(f"the STOMP broker at {self.where} closed the connection without answering the "
                                    "login (CONNECT)")
            raise ReceiverError(f"no answer from the STOMP broker at {self.where} within {self._connect_timeout}s")
        if self.heartbeat_interval:
            self._watchdog = threading.Thread(target=self._watch, name="zhmc-stomp-watchdog", daemon=True)
            self._watchdog.start()
        elif self._heartbeat_ms:
            LOG.warning("broker %s:%s does not send heart-beats: a silently dead connection will not be noticed",
                        self.host, self.port)

    def subscribe(self, topics, confirm=False):
        """Subscribe every topic not yet subscribed (id = topic name, auto ack).

        With confirm, the last SUBSCRIBE asks for a receipt and the call returns once the broker sent it: a
        broker handles the frames of a connection in order, so every subscription is then in effect (what a
        caller needs before it reads a state that later notifications would change). ReceiverError when no
        receipt comes within the connect timeout or the connection ends meanwhile.
        """
        new = [topic for topic in dict.fromkeys(topics) if topic not in self._topics]
        for index, topic in enumerate(new):
            receipt = {}
            if confirm and index == len(new) - 1:
                self._receipt_count += 1
                receipt = {"receipt": f"zhmc-subscribed-{self._receipt_count}"}
            self._conn.subscribe(destination=topic_destination(topic), id=topic, ack="auto", **receipt)
            self._topics.add(topic)
            if receipt:
                self._await_receipt(receipt["receipt"])

    def _await_receipt(self, receipt_id):
        """The timeout counts only while the I/O thread reads: while it waits for the consumer to take a frame
        (backpressure) the receipt cannot be read, which says nothing about the broker."""
        deadline = time.monotonic() + self._receipt_timeout
        with self._receipt_seen:
            while receipt_id not in self._receipts:
                if self._busy:
                    deadline = max(deadline, time.monotonic() + self._receipt_timeout)
                left = deadline - time.monotonic()
                if self._ended.is_set() or left <= 0:
                    reason = "the connection ended" if self._ended.is_set() else f"none within {self._receipt_timeout}s"
                    raise ReceiverError(f"the STOMP broker at {self.where} did not confirm the subscriptions: {reason}")
                self._receipt_seen.wait(min(left, 0.2))
            self._receipts.discard(receipt_id)

    def close(self, timeout=2.0):
        """Disconnect cleanly, or hard when the broker does not answer within timeout. Safe from any thread,
        also while connect() runs (which then closes the connection it made and raises)."""
        with self._state_lock:
            self._closing = True
        conn = self._conn
        if conn is not None and not self._ended.is_set():
            try:
                conn.disconnect()
            except Exception:  # the connection may already be gone: closing anyway
                LOG.debug("DISCONNECT failed", exc_info=True)
            if not self._ended.wait(timeout):
                self._shutdown_socket()
                self._ended.wait(timeout)
        self._discard()

    # -- internals ----------------------------------------------------------------

    def _report_lost(self, reason):
        with self._state_lock:
            if self._lost_reported or self._closing or not self._connected.is_set():
                return
            self._lost_reported = True
        self._on_lost(reason)

    def _watch(self):
        """Declare the connection dead after two missed server heart-beat intervals."""
        limit = 2 * self.heartbeat_interval
        step = min(1.0, self.heartbeat_interval / 4)
        while not self._ended.wait(step):
            if self._busy or self._closing:
                continue
            silent = time.monotonic() - self._last_rx
            if silent > limit:
                LOG.warning("no heart-beat from %s:%s for %.1fs: closing the connection", self.host, self.port, silent)
                self._error = self._error or f"no heart-beat for {silent:.1f}s"
                self._shutdown_socket()
                return

    def _diagnose(self, exc):
        """Why the connection failed: stomp.py only logs the cause, so repeat the handshake once."""
        try:
            raw = socket.create_connection((self.host, self.port), timeout=min(self._connect_timeout, 10))
        except OSError as err:
            if isinstance(err, ConnectionRefusedError):
                return "connection refused (is STOMP enabled in the console's Customize API Settings?)"
            return str(err)
        context = ssl.create_default_context(cafile=self._bundle_file) if self._verify else _unverified_context()
        try:
            with context.wrap_socket(raw, server_hostname=self.host):
                pass
        except (OSError, ssl.SSLError) as err:
            return f"TLS: {err}"
        finally:
            raw.close()
        if closed_under_connect(exc):
            # TLS works, so the broker hung up on the login itself (stomp.py could not even send CONNECT).
            return "the broker closed the connection without answering the login (CONNECT)"
        return str(exc) or type(exc).__name__

    def _abort(self):
        """Close a connection that never became usable (no answer, refused, or closed meanwhile)."""
        conn = self._conn
        if conn is None:
            return
        with contextlib.suppress(Exception):  # not connected: nothing to say goodbye to
            conn.disconnect()
        self._shutdown_socket()  # ends stomp.py's I/O thread

    def _shutdown_socket(self):
        sock = getattr(getattr(self._conn, "transport", None), "socket", None)
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _discard(self):
        self._ended.set()
        if self._bundle:
            with contextlib.suppress(OSError):
                os.unlink(self._bundle)
            self._bundle = None


def closed_under_connect(exc):
    """Whether stomp.py's connect failed because the connection was gone when it sent CONNECT.

    Which error that is depends on a race: stomp.py's reader thread may see the broker's close first and close
    the socket (then the send fails with EBADF), or the send meets the closed connection itself (EPIPE,
    ECONNRESET), or stomp.py notices before it sends (its own exceptions).
    """
    if isinstance(exc, (stomp.exception.NotConnectedException, stomp.exception.ConnectionClosedException)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.EBADF, errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN)


def _notice_eof(transport):
    """Make stomp.py end its I/O loop when the peer closes the connection.

    stomp.py 9.x reads TLS sockets in non-blocking mode and treats an empty
    read as "no data yet", so a connection the broker closed is never noticed
    (its loop spins until the next send fails). An end of stream seen here
    switches the transport to its blocking rules, under which stomp.py raises
    ConnectionClosedException, ends the loop and reports on_disconnected.
    """
    original = transport.receive

    def receive():
        try:
            data = original()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except OSError:
            transport.blocking = True
            raise
        if data is not None and len(data) == 0:
            transport.blocking = True
        return data

    transport.receive = receive


def _unverified_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
