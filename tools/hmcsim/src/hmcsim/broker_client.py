"""Publishes notifications into an external STOMP broker (e.g. ActiveMQ) with SEND frames (a notifier Sink).

This reproduces what a console does internally: the same destination (/topic/<name>), headers and body land
on a real broker, so clients can be tested against a real broker's wire behaviour.
"""

import asyncio
import itertools
import ssl
import urllib.parse

from hmcsim.stomp_frames import FrameParser, encode

BROKER_OWNED = ("message-id", "subscription", "destination", "content-length")


class BrokerError(Exception):
    """The external broker refused the connection or a frame."""


class BrokerPublisher:
    """An asyncio STOMP 1.2 producer: CONNECT once, then SEND each notification, awaiting drain()."""

    def __init__(self, url: str, login: str = "", passcode: str = "", ca_file: str | None = None):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("stomp", "stomp+ssl", "stomp+tls") or not parsed.hostname or not parsed.port:
            raise ValueError(f"--broker must look like stomp://HOST:PORT or stomp+ssl://HOST:PORT, got {url!r}")
        self.host, self.port = parsed.hostname, parsed.port
        self.tls = parsed.scheme != "stomp"
        self.login, self.passcode, self.ca_file = login, passcode, ca_file
        self.reader = self.writer = None
        self._topic_seq: dict[str, itertools.count] = {}
        self._lock = asyncio.Lock()
        self.sent = 0

    def _ssl(self):
        if not self.tls:
            return None
        if self.ca_file:
            return ssl.create_default_context(cafile=self.ca_file)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=self._ssl())
        self.writer.write(encode("CONNECT", {"accept-version": "1.2", "host": self.host, "login": self.login,
                                             "passcode": self.passcode, "heart-beat": "0,0"}))
        await self.writer.drain()
        parser = FrameParser()
        while True:
            data = await asyncio.wait_for(self.reader.read(65536), 30)
            if not data:
                raise BrokerError(f"broker {self.host}:{self.port} closed the connection during CONNECT")
            frames = [f for f in parser.feed(data) if f is not None]
            if frames:
                break
        if frames[0].command != "CONNECTED":
            raise BrokerError(f"broker refused CONNECT: {frames[0].headers.get('message')} {frames[0].body!r}")

    async def deliver(self, topic: str, headers: dict, body: str) -> None:
        seq = self._topic_seq.setdefault(topic, itertools.count(0))
        send_headers = {k: v for k, v in headers.items() if k not in BROKER_OWNED}
        send_headers.update({"destination": f"/topic/{topic}", "session-sequence-nr": str(next(seq)),
                             "content-type": "application/json;charset=utf-8" if body else "text/plain",
                             "priority": "4", "expires": "0"})
        async with self._lock:
            self.writer.write(encode("SEND", send_headers, body if isinstance(body, bytes) else body.encode()))
            await self.writer.drain()
        self.sent += 1

    async def close(self) -> None:
        if self.writer is None:
            return
        try:
            self.writer.write(encode("DISCONNECT", {}))
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        self.writer.close()
