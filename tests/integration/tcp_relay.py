"""A TCP relay on another loopback address, for tests that must reach a server by a name its certificate does
not carry (the servers listen on 127.0.0.1, their certificates name localhost and 127.0.0.1 only)."""

import contextlib
import socket
import threading


class TcpRelay:
    """Accept on ``listen_host`` (a free port) and pump bytes both ways to ``target``; ``close()`` stops it."""

    def __init__(self, target, listen_host="127.0.0.2"):
        self.target = target
        self.server = socket.create_server((listen_host, 0))
        self.address = self.server.getsockname()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="tcp-relay", daemon=True).start()

    def _accept(self):
        while not self._closed.is_set():
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self):
        self._closed.set()
        self.server.close()
