"""A private RabbitMQ for the OpenStack source's tests: Debian's rabbitmq-server started directly (not the system
service) on free loopback ports, with its own node name, configuration, data directory, Erlang cookie and epmd
port under a temporary directory, so that it neither needs nor disturbs a system broker.

The node has a plain AMQP listener and a TLS listener whose certificate is signed by a CA made for the test
(hmcsim.certs), and the users the tests need. ``stop()`` ends the node and its epmd.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from hmcsim.activemq import free_port
from hmcsim.certs import make_certificates

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
USER = "eda"
PASSWORD = "s3cr3t-Pa55word"  # distinctive, so that tests can search output for it
VHOST = "openstack"


def available() -> bool:
    return (RABBIT_BIN / "rabbitmq-server").exists() and shutil.which("erl") is not None


class RabbitMQBroker:
    """One RabbitMQ node; ``url()`` is a transport URL for oslo.messaging and the source."""

    def __init__(self, work_dir, startup_timeout: float = 120):
        self.work_dir = Path(work_dir)
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.tls_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = f"zhmc-test-{self.port}@localhost"
        self.ca_file = None
        self._process = None
        self._log = None

    # -- addresses ------------------------------------------------------------------------------------

    def url(self, user=USER, password=PASSWORD, tls=False, vhost=VHOST, hosts=None) -> str:
        """``rabbit://user:pass@127.0.0.1:port/vhost``; hosts: extra "host:port" entries listed first."""
        port = self.tls_port if tls else self.port
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}@"
        entries = [f"{auth}{h}" for h in (hosts or [])] + [f"{auth}127.0.0.1:{port}"]
        return f"rabbit://{','.join(entries)}/{vhost}"

    # -- lifecycle ------------------------------------------------------------------------------------

    def _env(self) -> dict:
        base = self.work_dir
        env = dict(os.environ)
        env.update({
            "HOME": str(base),  # the Erlang cookie of this node and of rabbitmqctl
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_LOGS": str(base / "log" / "rabbit.log"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        })
        return env

    def _write_config(self) -> None:
        base = self.work_dir
        (base / "log").mkdir(parents=True, exist_ok=True)
        ca, cert, key = make_certificates(base / "tls", ["localhost", "127.0.0.1"])
        self.ca_file = ca
        (base / "rabbitmq.conf").write_text("\n".join([
            f"listeners.tcp.default = 127.0.0.1:{self.port}",
            f"listeners.ssl.default = 127.0.0.1:{self.tls_port}",
            f"ssl_options.cacertfile = {ca}",
            f"ssl_options.certfile = {cert}",
            f"ssl_options.keyfile = {key}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            "loopback_users = none",
            "log.console = false",
            "log.file.level = info",
            "vm_memory_high_watermark.relative = 0.2",
            "disk_free_limit.absolute = 50MB",
            "",
        ]))
        (base / "advanced.config").write_text("[].\n")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        cookie = base / ".erlang.cookie"
        cookie.write_text(f"zhmc-notifications-test-{self.port}")
        cookie.chmod(0o400)

    def ctl(self, *args, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        """rabbitmqctl against this node (same environment, so the same cookie and epmd)."""
        return subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self._env(),
                              capture_output=True, text=True, timeout=timeout, check=check)

    def start(self) -> "RabbitMQBroker":
        self._write_config()
        self._launch()
        self.ctl("add_vhost", VHOST)
        self.ctl("add_user", USER, PASSWORD)
        self.ctl("set_permissions", "-p", VHOST, USER, ".*", ".*", ".*")
        return self

    def restart(self) -> None:
        """Stop the node and start it again on the same ports and data: durable queues and their persistent
        messages survive, everything else is gone, and every client connection is cut."""
        self.stop()
        self._launch()

    def _launch(self) -> None:
        self._log = open(self.work_dir / "server.out", "ab")  # noqa: SIM115 (kept open while the node runs)
        self._process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=self._env(),
                                         stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                self.stop()
                raise RuntimeError(f"rabbitmq-server exited with {self._process.returncode}: {self.output()}")
            ready = subprocess.run([str(RABBIT_BIN / "rabbitmq-diagnostics"), "-n", self.node, "-q",
                                    "check_port_connectivity"], env=self._env(), capture_output=True, timeout=60,
                                   check=False)
            if ready.returncode == 0 and self._listening(self.port) and self._listening(self.tls_port):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rabbitmq-server not ready after {self.startup_timeout} s: {self.output()}")
            time.sleep(0.5)

    def output(self) -> str:
        path = self.work_dir / "server.out"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def queue_depth(self, name: str) -> int | None:
        """Messages in a queue of the test vhost (ready + unacknowledged), None when it does not exist."""
        out = self.ctl("list_queues", "-p", VHOST, "-q", "--no-table-headers", "name", "messages").stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == name:
                return int(parts[1])
        return None

    def wait_queue_depth(self, name: str, expected: int, timeout: float = 30) -> None:
        """Until the queue holds ``expected`` messages. The broker routes a publish and counts an acknowledgement
        asynchronously, so a count read the moment a publisher closed or an event fired may still be behind."""
        deadline = time.monotonic() + timeout
        while (depth := self.queue_depth(name)) != expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"queue {name} holds {depth} messages after {timeout} s, not {expected}")
            time.sleep(0.2)

    def close_connections(self, reason: str = "test fault") -> None:
        self.ctl("close_all_connections", "-p", VHOST, reason)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self.ctl("stop", timeout=60, check=False)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        self._process = None
        # epmd outlives the node that started it; this one listens on the test's own port only.
        subprocess.run(["epmd", "-kill"], env=self._env(), capture_output=True, timeout=30, check=False)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "RabbitMQBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
