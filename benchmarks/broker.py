"""A private Apache ActiveMQ (the Debian package's jars) with STOMP over TLS on a free loopback port.

Never the system service: each run gets its own base directory, configuration and port, so benchmarks do not
disturb (or get disturbed by) anything else on the machine. The broker is non-persistent, like a console's
notification topics, with producer flow control on so that a slow subscriber slows the publisher down
instead of making the broker drop messages. The memory limit is small (64 MB) on purpose: flow control then
holds the publisher back early, while a large backlog in the heap sends the JVM into garbage collection that
slows the broker to a crawl (seen with 384 MB: a 1,000,000 message storm stalled). TCP_NODELAY is on: with
Nagle's algorithm the broker holds small frames back until the client's delayed ACK (~40 ms), which would
dominate every latency figure.

The certificate is made once per run (hmcsim's CA helper) and shared with hmcsim (--cert-file), so the
source verifies both the WS API and the broker with one CA file, as it does against a real console.

If tests/ grows a shared ActiveMQ helper, Broker.start() should delegate to it; at the time of writing
there was none to reuse.
"""

import socket
import ssl
import subprocess
import time
from pathlib import Path

ACTIVEMQ_HOME = Path("/usr/share/activemq")
KEYSTORE_PASSWORD = "bench-only"


def make_certificates(directory: Path) -> dict:
    """CA and server certificate for 127.0.0.1/localhost (PEM) plus a PKCS#12 keystore for the broker."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, load_pem_private_key, pkcs12

    from hmcsim.certs import make_certificates as hmcsim_certificates

    ca, cert, key = hmcsim_certificates(directory, ["127.0.0.1", "localhost"])
    keystore = directory / "broker.p12"
    keystore.write_bytes(pkcs12.serialize_key_and_certificates(
        b"broker", load_pem_private_key(key.read_bytes(), None), x509.load_pem_x509_certificate(cert.read_bytes()),
        None, BestAvailableEncryption(KEYSTORE_PASSWORD.encode())))
    return {"ca": str(ca), "cert": str(cert), "key": str(key), "keystore": str(keystore)}


_CONFIG = """<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans
    http://www.springframework.org/schema/beans/spring-beans.xsd
    http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
 <broker xmlns="http://activemq.apache.org/schema/core" brokerName="bench" persistent="false" useJmx="false"
         dataDirectory="{base}/data" advisorySupport="false">
  <systemUsage><systemUsage>
   <memoryUsage><memoryUsage limit="{memory_mb} mb"/></memoryUsage>
   <tempUsage><tempUsage limit="2 gb"/></tempUsage>
  </systemUsage></systemUsage>
  <sslContext><sslContext keyStore="file:{keystore}" keyStorePassword="{password}" keyStoreType="PKCS12"/></sslContext>
  <transportConnectors>
   <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:{port}?transport.closeAsync=false&amp;transport.tcpNoDelay=true"/>
  </transportConnectors>
 </broker>
</beans>
"""


class Broker:
    """start() / stop(); host, port and ca describe where clients connect."""

    def __init__(self, base: Path, certs: dict, port: int, heap_mb: int = 512, memory_mb: int = 64):
        self.base = base
        self.certs = certs
        self.host = "127.0.0.1"
        self.port = port
        self.ca = certs["ca"]
        self.heap_mb = heap_mb
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Broker":
        self.base.mkdir(parents=True, exist_ok=True)
        config = self.base / "activemq.xml"
        config.write_text(_CONFIG.format(base=self.base, keystore=self.certs["keystore"], password=KEYSTORE_PASSWORD,
                                         port=self.port, memory_mb=self.memory_mb))
        argv = ["java", f"-Xms{self.heap_mb}m", f"-Xmx{self.heap_mb}m", f"-Dactivemq.home={ACTIVEMQ_HOME}",
                f"-Dactivemq.base={self.base}", f"-Dactivemq.conf={self.base}", f"-Dactivemq.data={self.base}/data",
                "-jar", str(ACTIVEMQ_HOME / "bin" / "activemq.jar"), "start", f"xbean:file:{config}"]
        self.log = open(self.base / "activemq.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.base)
        deadline = time.monotonic() + timeout
        context = ssl.create_default_context(cafile=self.ca)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ActiveMQ exited: {(self.base / 'activemq.log').read_text()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as raw, \
                        context.wrap_socket(raw, server_hostname=self.host):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"ActiveMQ not listening after {timeout}s") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.proc = None
