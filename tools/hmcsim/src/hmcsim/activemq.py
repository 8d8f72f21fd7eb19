"""Runs a private Apache ActiveMQ (Debian's /usr/share/activemq) for wire-interop tests and benchmarks.

The broker gets its own configuration in a temporary directory, listens on free loopback ports for STOMP
(plain) and STOMP+SSL (keystore made with keytool, its certificate written as a PEM CA file, unless a PKCS#12
keystore and its CA are given), and keeps nothing on disk between runs (no persistence, no JMX, no web
console). TCP_NODELAY is on: with Nagle's algorithm the broker holds small frames back until the client's
delayed ACK (about 40 ms), which would dominate every latency. A small memory limit (benchmarks) makes
producer flow control hold a fast publisher back early instead of letting a backlog drive the JVM into
garbage collection.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

ACTIVEMQ_HOME = Path("/usr/share/activemq")
PASSWORD = "hmcsim-broker"

_CONFIG = """<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans
    http://www.springframework.org/schema/beans/spring-beans.xsd
    http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="hmcsim-test" persistent="false"
          useJmx="false" advisorySupport="false" schedulerSupport="false" dataDirectory="{data}">
{usage}    <sslContext>
      <sslContext keyStore="file:{keystore}" keyStorePassword="{password}" keyStoreType="PKCS12"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="stomp"
          uri="stomp://127.0.0.1:{stomp}?transport.hbGracePeriodMultiplier=2&amp;transport.tcpNoDelay=true"/>
      <transportConnector name="stomp+ssl"
          uri="stomp+ssl://127.0.0.1:{stomp_ssl}?transport.closeAsync=false&amp;transport.tcpNoDelay=true"/>
    </transportConnectors>
  </broker>
</beans>
"""

_USAGE = """    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage limit="{memory_mb} mb"/></memoryUsage>
      <tempUsage><tempUsage limit="2 gb"/></tempUsage>
    </systemUsage></systemUsage>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    """True when java, keytool and the ActiveMQ jars are installed."""
    return bool(shutil.which("java") and shutil.which("keytool") and (ACTIVEMQ_HOME / "bin/activemq.jar").exists())


class ActiveMQBroker:
    """start() / stop() a private broker; attributes: stomp_port, stomp_ssl_port, ca_file, log_file, url(ssl).

    keystore (PKCS#12), keystore_password and ca_file: the broker's certificate, e.g. one signed by the CA that
    also signs hmcsim's, so that clients verify both with one CA file; by default keytool makes one.
    quick_start: the JVM's C1 compiler only and the serial collector, which start the broker in seconds (tests);
    benchmarks turn it off so that the broker runs at full speed.
    """

    def __init__(self, work_dir, startup_timeout: float = 60, keystore=None, keystore_password=PASSWORD,
                 ca_file=None, heap_mb: int = 256, memory_mb: int | None = None, quick_start: bool = True):
        self.dir = Path(work_dir)
        self.startup_timeout = startup_timeout
        self.stomp_port = free_port()
        self.stomp_ssl_port = free_port()
        self.keystore = Path(keystore) if keystore else None
        self.keystore_password = keystore_password
        self.ca_file = Path(ca_file) if ca_file else self.dir / "broker-ca.pem"
        self.heap_mb = heap_mb
        self.memory_mb = memory_mb
        self.quick_start = quick_start
        self.log_file = self.dir / "activemq.log"
        self.process: subprocess.Popen | None = None

    def url(self, ssl: bool = False) -> str:
        return f"stomp+ssl://127.0.0.1:{self.stomp_ssl_port}" if ssl else f"stomp://127.0.0.1:{self.stomp_port}"

    def _keystore(self) -> Path:
        keystore = self.dir / "broker.p12"
        subprocess.run(["keytool", "-genkeypair", "-keystore", str(keystore), "-storetype", "PKCS12",
                        "-storepass", PASSWORD, "-keypass", PASSWORD, "-alias", "broker", "-keyalg", "EC",
                        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "7"],
                       check=True, capture_output=True)
        subprocess.run(["keytool", "-exportcert", "-rfc", "-alias", "broker", "-keystore", str(keystore),
                        "-storepass", PASSWORD, "-file", str(self.ca_file)], check=True, capture_output=True)
        return keystore

    def start(self) -> "ActiveMQBroker":
        conf = self.dir / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (self.dir / "data").mkdir(exist_ok=True)
        keystore = self.keystore or self._keystore()
        usage = _USAGE.format(memory_mb=self.memory_mb) if self.memory_mb else ""
        (conf / "activemq.xml").write_text(_CONFIG.format(data=self.dir / "data", keystore=keystore, usage=usage,
                                                          password=self.keystore_password, stomp=self.stomp_port,
                                                          stomp_ssl=self.stomp_ssl_port))
        quick = ["-Xms64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
        jvm = quick if self.quick_start else [f"-Xms{self.heap_mb}m"]
        command = ["java", *jvm, f"-Xmx{self.heap_mb}m",
                   f"-Dactivemq.home={ACTIVEMQ_HOME}", f"-Dactivemq.base={self.dir}", f"-Dactivemq.conf={conf}",
                   f"-Dactivemq.data={self.dir / 'data'}", "-jar", str(ACTIVEMQ_HOME / "bin/activemq.jar"),
                   "start", f"xbean:file:{conf / 'activemq.xml'}"]
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + self.startup_timeout
        while not all(self._listening(p) for p in (self.stomp_port, self.stomp_ssl_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ActiveMQ did not start; log {self.log_file}:\n{self.log_file.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "ActiveMQBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
