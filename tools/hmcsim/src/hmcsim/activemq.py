"""Runs a private Apache ActiveMQ (Debian's /usr/share/activemq) for wire-interop tests and benchmarks.

The broker gets its own configuration in a temporary directory, listens on free loopback ports for STOMP
(plain) and STOMP+SSL (keystore made with keytool; its certificate is written as a PEM CA file), and keeps
nothing on disk between runs (no persistence, no JMX, no web console).
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
    <sslContext>
      <sslContext keyStore="file:{keystore}" keyStorePassword="{password}"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:{stomp}?transport.hbGracePeriodMultiplier=2"/>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:{stomp_ssl}"/>
    </transportConnectors>
  </broker>
</beans>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    """True when java, keytool and the ActiveMQ jars are installed."""
    return bool(shutil.which("java") and shutil.which("keytool") and (ACTIVEMQ_HOME / "bin/activemq.jar").exists())


class ActiveMQBroker:
    """start() / stop() a private broker; attributes: stomp_port, stomp_ssl_port, ca_file, log_file, url(ssl)."""

    def __init__(self, work_dir, startup_timeout: float = 60):
        self.dir = Path(work_dir)
        self.startup_timeout = startup_timeout
        self.stomp_port = free_port()
        self.stomp_ssl_port = free_port()
        self.ca_file = self.dir / "broker-ca.pem"
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
        keystore = self._keystore()
        (conf / "activemq.xml").write_text(_CONFIG.format(data=self.dir / "data", keystore=keystore,
                                                          password=PASSWORD, stomp=self.stomp_port,
                                                          stomp_ssl=self.stomp_ssl_port))
        command = ["java", "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
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
