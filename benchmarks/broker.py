"""The benchmarks' ActiveMQ: hmcsim's private broker helper, with the certificate the rig shares with hmcsim.

Never the system service: each run gets its own base directory, configuration and port. The broker is
non-persistent, like a console's notification topics, with producer flow control on so that a slow subscriber
slows the publisher down instead of making the broker drop messages. The memory limit is small (64 MB) on
purpose: flow control then holds the publisher back early, while a large backlog in the heap sends the JVM into
garbage collection that slows the broker to a crawl (seen with 384 MB: a 1,000,000 message storm stalled).

The certificate is made once per run (hmcsim's CA helper) and shared with hmcsim (--cert-file), so the
source verifies both the WS API and the broker with one CA file, as it does against a real console.
"""

from pathlib import Path

from hmcsim.activemq import ActiveMQBroker

KEYSTORE_PASSWORD = "bench-only"


def make_certificates(directory: Path) -> dict:
    """CA and server certificate for 127.0.0.1, 127.0.0.2 and localhost (PEM) plus a PKCS#12 keystore for the broker."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, load_pem_private_key, pkcs12

    from hmcsim.certs import make_certificates as hmcsim_certificates

    ca, cert, key = hmcsim_certificates(directory, ["127.0.0.1", "127.0.0.2", "localhost"])
    keystore = directory / "broker.p12"
    keystore.write_bytes(pkcs12.serialize_key_and_certificates(
        b"broker", load_pem_private_key(key.read_bytes(), None), x509.load_pem_x509_certificate(cert.read_bytes()),
        None, BestAvailableEncryption(KEYSTORE_PASSWORD.encode())))
    return {"ca": str(ca), "cert": str(cert), "key": str(key), "keystore": str(keystore)}


def start_broker(base: Path, certs: dict) -> ActiveMQBroker:
    """A broker with hmcsim's CA on a free loopback port, tuned for measuring rather than for a quick start."""
    base.mkdir(parents=True, exist_ok=True)
    broker = ActiveMQBroker(base, keystore=certs["keystore"], keystore_password=KEYSTORE_PASSWORD, ca_file=certs["ca"],
                            heap_mb=512, memory_mb=64, quick_start=False)
    return broker.start()
