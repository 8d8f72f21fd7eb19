"""The STOMP endpoint of the simulated console: login, subscribe checks, MESSAGE frames, heart-beats.

Each connection has a bounded outgoing queue drained by one writer task that awaits ``drain()``, so a slow
reader slows the simulator down (backpressure) instead of losing notifications; a reader that stays blocked
longer than ``slow_consumer_seconds`` is disconnected, as a broker would do.
"""

import asyncio
import contextlib
import itertools
import logging
import time

from hmcsim.model import Console
from hmcsim.stomp_frames import Frame, FrameError, FrameParser, encode

LOG = logging.getLogger("hmcsim.stomp")

DELIVERY_OVERRIDES = ("session-sequence-nr", "message-id", "expires", "priority", "content-type")
"""Per-delivery headers that an injected notification may set itself (sequence jumps, garbage values)."""


class StompConnection:
    """One client connection: its grant, subscriptions, queue and heart-beat state."""

    def __init__(self, server: "StompServer", reader, writer, number: int):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.number = number
        self.peer = writer.get_extra_info("peername")
        self.grant: dict | None = None
        self.login = None
        self.version = "1.2"
        self.subscriptions: dict[str, str] = {}  # subscription id -> topic
        self.confirmed = 0  # subscriptions in effect when the last SUBSCRIBE receipt was sent (for test harnesses)
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=server.queue_size)
        self.session_seq = itertools.count(0)
        self.message_seq = itertools.count(1)
        self.numbering = asyncio.Lock()
        """Held from numbering a MESSAGE to its enqueue: a delivery waiting on a full queue must not be overtaken
        by a later one (asyncio.Lock is fair), or the client sees session-sequence-nr out of order."""
        self.send_every = 0.0
        self.expect_every = 0.0
        self.last_read = time.monotonic()
        self.stalled_until = 0.0
        self.received = 0
        self.sent_messages = 0
        self.closed = False

    def describe(self) -> dict:
        return {"id": self.number, "peer": str(self.peer), "login": self.login, "version": self.version,
                "heart-beat": [int(self.send_every * 1000), int(self.expect_every * 1000)],
                "subscriptions": [{"id": k, "destination": f"/topic/{v}"} for k, v in self.subscriptions.items()],
                "confirmed-subscriptions": self.confirmed,
                "queued": self.queue.qsize(), "sent-messages": self.sent_messages,
                "stalled": self.stalled_until > time.monotonic()}

    async def enqueue(self, data: bytes) -> None:
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            try:
                await asyncio.wait_for(self.queue.put(data), self.server.slow_consumer_seconds)
            except TimeoutError:
                LOG.warning("connection %s: slow consumer, disconnecting", self.number)
                self.abort()

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.transport.abort()

    async def _wait_if_stalled(self) -> None:
        while (remaining := self.stalled_until - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

    async def writer_loop(self) -> None:
        """Send queued frames; send a heart-beat EOL when nothing else went out for send_every seconds."""
        while not self.closed:
            timeout = self.send_every or None
            try:
                data = await asyncio.wait_for(self.queue.get(), timeout)
            except TimeoutError:
                data = b"\n"
            await self._wait_if_stalled()
            self.writer.write(data)
            await self.writer.drain()
            if data.startswith(b"MESSAGE"):
                self.sent_messages += 1

    async def watchdog_loop(self) -> None:
        """Drop the client when its heart-beats stop (twice the negotiated interval without any byte)."""
        while not self.closed:
            await asyncio.sleep(self.expect_every / 2)
            if self.stalled_until > time.monotonic():
                self.last_read = time.monotonic()
                continue
            if time.monotonic() - self.last_read > 2 * self.expect_every:
                LOG.warning("connection %s: no heart-beat from client for %.1fs, disconnecting", self.number,
                            time.monotonic() - self.last_read)
                self.abort()

    async def send_now(self, command: str, headers: dict, body: bytes = b"") -> None:
        await self.enqueue(encode(command, headers, body))


REFUSE_WITH = ("close", "error", "after-connected")
"""How new connections are refused: hang up before any frame; ERROR to the CONNECT; hang up right after
CONNECTED (a broker that accepts the login and then goes away, before any SUBSCRIBE is handled)."""


class StompServer:
    """Accepts STOMP connections and delivers notifications to matching subscriptions (a notifier Sink)."""

    def __init__(self, console: Console, heartbeat_ms: int = 10000, queue_size: int = 10000,
                 slow_consumer_seconds: float = 30.0, subscribe_delay_ms: int = 0):
        self.console = console
        self.heartbeat_ms = heartbeat_ms
        self.subscribe_delay_ms = subscribe_delay_ms
        self.queue_size = queue_size
        self.slow_consumer_seconds = slow_consumer_seconds
        self.connections: dict[int, StompConnection] = {}
        self.refused_until = 0.0
        self.refuse_with = "error"  # while refusing: "error" answers CONNECT with ERROR, "close" hangs up at once
        self.logins = {"ok": 0, "failed": 0, "refused": 0}
        self.on_subscribe = None  # callable(topic) -> [(headers, body)] sent to a new subscription only
        self._numbers = itertools.count(1)

    def refuse(self, seconds: float, refuse_with: str = "close") -> None:
        """Refuse new connections for seconds: "close" closes each at once (broker not accepting, no frame),
        "error" answers its CONNECT with ERROR "Authentication failed" (sessions stay valid on the WS API)."""
        if refuse_with not in REFUSE_WITH:
            raise ValueError(f"refuse_with must be one of {', '.join(REFUSE_WITH)}")
        self.refuse_with = refuse_with
        self.refused_until = time.monotonic() + seconds

    async def handle(self, reader, writer) -> None:
        if self.refuse_with == "close" and time.monotonic() < self.refused_until:
            self.logins["refused"] += 1
            writer.transport.abort()
            return
        conn = StompConnection(self, reader, writer, next(self._numbers))
        self.connections[conn.number] = conn
        tasks = []
        try:
            await self._serve(conn, tasks)
        except (ConnectionError, FrameError, OSError, asyncio.IncompleteReadError) as exc:
            LOG.info("connection %s closed: %s", conn.number, exc)
        finally:
            conn.closed = True
            for task in tasks:
                task.cancel()
            self.connections.pop(conn.number, None)
            writer.transport.abort()

    async def _serve(self, conn: StompConnection, tasks: list) -> None:
        parser = FrameParser()
        pending: list = []
        while not conn.closed:
            while not pending:
                await conn._wait_if_stalled()
                data = await conn.reader.read(65536)
                if not data:
                    return
                conn.last_read = time.monotonic()
                pending.extend(parser.feed(data))
            frame = pending.pop(0)
            if frame is None:
                continue  # heart-beat
            if conn.grant is None:
                if not await self._connect(conn, frame, tasks):
                    return
                continue
            if not await self._dispatch(conn, frame):
                return

    async def _error(self, conn: StompConnection, message: str, detail: str = "", receipt: str | None = None):
        headers = {"message": message, "content-type": "text/plain"}
        if receipt:
            headers["receipt-id"] = receipt
        conn.writer.write(encode("ERROR", headers, detail.encode()))
        await conn.writer.drain()
        conn.closed = True

    async def _connect(self, conn: StompConnection, frame: Frame, tasks: list) -> bool:
        if frame.command not in ("CONNECT", "STOMP"):
            await self._error(conn, "Expected a CONNECT frame", f"got {frame.command}")
            return False
        versions = frame.headers.get("accept-version", "1.0").split(",")
        conn.version = "1.2" if "1.2" in versions else "1.1" if "1.1" in versions else "1.0"
        conn.login = frame.headers.get("login", "")
        grant = None
        hang_up = self.refuse_with == "after-connected" and time.monotonic() < self.refused_until
        if hang_up or time.monotonic() >= self.refused_until:
            grant = self.console.authenticate_stomp(conn.login, frame.headers.get("passcode", ""))
        self.logins["failed" if grant is None else "ok"] += 1
        if grant is None:
            await self._error(conn, "Authentication failed",
                              f"User name [{conn.login}] or password is invalid.")
            return False
        conn.grant = grant
        client_send, client_expect = _heartbeat(frame.headers.get("heart-beat", "0,0"))
        if client_expect and self.heartbeat_ms:
            conn.send_every = max(client_expect, self.heartbeat_ms) / 1000
        if client_send and self.heartbeat_ms:
            conn.expect_every = max(client_send, self.heartbeat_ms) / 1000
        hb = f"{self.heartbeat_ms if client_expect else 0},{self.heartbeat_ms if client_send else 0}"
        connected = {"version": conn.version, "heart-beat": hb, "server": "hmcsim/0.1",
                     "session": f"ID:hmcsim-{conn.number}"}
        conn.writer.write(encode("CONNECTED", connected))
        await conn.writer.drain()
        if hang_up:
            self.logins["refused"] += 1
            return False
        loop = asyncio.get_running_loop()
        tasks.append(loop.create_task(self._writer(conn)))
        if conn.expect_every:
            tasks.append(loop.create_task(conn.watchdog_loop()))
        return True

    @staticmethod
    async def _writer(conn: StompConnection) -> None:
        try:
            await conn.writer_loop()
        except (ConnectionError, OSError):
            conn.abort()

    async def _dispatch(self, conn: StompConnection, frame: Frame) -> bool:
        headers = frame.headers
        receipt = headers.get("receipt")
        if frame.command == "SUBSCRIBE":
            destination = headers.get("destination", "")
            topic = destination.removeprefix("/topic/")
            if not destination.startswith("/topic/") or topic not in self.console.permitted_topics(conn.grant):
                await self._error(conn, f"The destination {destination} is not a known or approved topic",
                                  receipt=receipt)
                return False
            if self.subscribe_delay_ms:
                # A busy broker: the subscription (and its receipt) takes effect only after a while.
                await asyncio.sleep(self.subscribe_delay_ms / 1000)
            sub_id = headers.get("id", destination)
            conn.subscriptions[sub_id] = topic
            if receipt:
                conn.confirmed = len(conn.subscriptions)
                await conn.send_now("RECEIPT", {"receipt-id": receipt})
            if self.on_subscribe is not None:
                for item_headers, body in self.on_subscribe(topic):
                    await conn.enqueue(self._message(conn, sub_id, topic, item_headers, body))
            return True
        elif frame.command == "UNSUBSCRIBE":
            conn.subscriptions.pop(headers.get("id", ""), None)
        elif frame.command == "DISCONNECT":
            if receipt:
                await conn.send_now("RECEIPT", {"receipt-id": receipt})
            await self._flush(conn)
            return False
        elif frame.command in ("ACK", "NACK", "BEGIN", "COMMIT", "ABORT"):
            pass  # auto-ack topics: nothing to do
        else:
            await self._error(conn, f"Command {frame.command} is not supported by this endpoint", receipt=receipt)
            return False
        if receipt:
            await conn.send_now("RECEIPT", {"receipt-id": receipt})
        return True

    @staticmethod
    async def _flush(conn: StompConnection) -> None:
        deadline = time.monotonic() + 5
        while not conn.queue.empty() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def deliver(self, topic: str, headers: dict, body: str | bytes) -> None:
        """Sink interface: a MESSAGE frame to every subscription of topic, with per-connection sequence numbers."""
        for conn in list(self.connections.values()):
            for sub_id, sub_topic in list(conn.subscriptions.items()):
                if sub_topic == topic and not conn.closed:
                    async with conn.numbering:
                        await conn.enqueue(self._message(conn, sub_id, topic, headers, body))

    @staticmethod
    def _message(conn: StompConnection, sub_id: str, topic: str, headers: dict, body: str | bytes) -> bytes:
        payload = body if isinstance(body, bytes) else body.encode()
        frame_headers = {
            **headers,
            "session-sequence-nr": str(next(conn.session_seq)),
            "destination": f"/topic/{topic}", "subscription": sub_id,
            "message-id": f"ID:hmcsim-{conn.number}-{next(conn.message_seq)}",
            "expires": "0", "priority": "4",
            "content-type": "application/json;charset=utf-8" if payload else "text/plain",
            "content-length": str(len(payload)),
        }
        frame_headers.update({k: v for k, v in headers.items() if k in DELIVERY_OVERRIDES})
        frame_headers.setdefault("timestamp", str(int(time.time() * 1000)))
        return encode("MESSAGE", frame_headers, payload)

    async def error_all(self, message: str, detail: str = "") -> int:
        """ERROR frame, then a graceful close, on every connection (a broker revoking access)."""
        connections = [conn for conn in self.connections.values() if not conn.closed]
        for conn in connections:
            with contextlib.suppress(ConnectionError, OSError):
                await self._error(conn, message, detail)
                conn.writer.close()
        return len(connections)

    async def send_raw_all(self, data: bytes) -> int:
        """Queue raw bytes to every established connection, in order with its other frames."""
        connections = [conn for conn in self.connections.values() if conn.grant is not None and not conn.closed]
        for conn in connections:
            await conn.enqueue(data)
        return len(connections)

    def drop_all(self) -> int:
        connections = list(self.connections.values())
        for conn in connections:
            conn.abort()
        return len(connections)

    def stall(self, seconds: float) -> int:
        until = time.monotonic() + seconds
        for conn in self.connections.values():
            conn.stalled_until = until
        return len(self.connections)

    def describe(self) -> list[dict]:
        return [conn.describe() for conn in self.connections.values()]


def _heartbeat(value: str) -> tuple[int, int]:
    try:
        send, expect = (int(part) for part in value.split(","))
    except ValueError:
        return 0, 0
    return max(send, 0), max(expect, 0)
