"""Small synchronous WS API and STOMP clients for hmcsim's tests (independent of the collection's code)."""

import socket
import ssl
import time

import requests

from hmcsim.stomp_frames import FrameParser, encode


class Api:
    """WS API calls with the CA file passed on every request (env CA bundles would override Session.verify)."""

    def __init__(self, sim, userid="operator", password="operator-password", logon=True):
        self.base = sim.ws_url
        self.ca_file = sim.ca_file
        self.http = requests.Session()
        self.logon_result = None
        if logon:
            self.logon_result = self.ok("POST", "/api/sessions", {"userid": userid, "password": password})
            self.http.headers["X-API-Session"] = self.logon_result["api-session"]

    def call(self, method, uri, body=None):
        return self.http.request(method, self.base + uri, json=body, verify=self.ca_file, timeout=10)

    def ok(self, method, uri, body=None):
        response = self.call(method, uri, body)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def error(self, method, uri, body=None):
        response = self.call(method, uri, body)
        assert response.status_code >= 400, response.text
        return response.status_code, response.json()["reason"]

    def find(self, kind, name):
        """object-uri of a partition or logical-partition by name."""
        key = "partitions" if kind == "partition" else "logical-partitions"
        items = self.ok("GET", f"/api/console/operations/list-permitted-{key}")[key]
        return next(i["object-uri"] for i in items if i["name"] == name)


class Stomp:
    """A raw STOMP client over TLS that returns parsed frames, for exact wire-level assertions."""

    def __init__(self, sim, tls=True):
        raw = socket.create_connection(("127.0.0.1", sim.stomp_port), timeout=10)
        if tls:
            context = ssl.create_default_context(cafile=sim.ca_file)
            raw = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.sock = raw
        self.parser = FrameParser()
        self.pending = []
        self.heartbeats = 0

    def send(self, command, headers, body=b""):
        self.sock.sendall(encode(command, headers, body))

    def connect(self, login, passcode, heart_beat="0,0"):
        self.send("CONNECT", {"accept-version": "1.1,1.2", "host": "hmc", "login": login, "passcode": passcode,
                              "heart-beat": heart_beat})
        return self.frame()

    def subscribe(self, topic, sub_id="1"):
        self.send("SUBSCRIBE", {"id": sub_id, "destination": f"/topic/{topic}", "ack": "auto", "receipt": "r" + sub_id})
        return self.frame()

    def frame(self, timeout=10):
        """Next frame (heart-beats are counted, not returned); None when the server closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                item = self.pending.pop(0)
                if item is None:
                    self.heartbeats += 1
                else:
                    return item
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            data = self.sock.recv(65536)
            if not data:
                return None
            self.pending.extend(self.parser.feed(data))

    def idle(self, seconds):
        """Read for seconds, counting heart-beats; returns the frames that arrived meanwhile."""
        frames = []
        deadline = time.monotonic() + seconds
        try:
            while (left := deadline - time.monotonic()) > 0:
                frame = self.frame(left)
                if frame is None:
                    break
                frames.append(frame)
        except (TimeoutError, socket.timeout):
            pass
        return frames

    def closed_within(self, timeout):
        """True when the server closes the connection within timeout seconds (frames are skipped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.frame(deadline - time.monotonic()) is None:
                    return True
        except (TimeoutError, socket.timeout):
            return False
        except OSError:
            return True
        return False

    def close(self):
        self.sock.close()
