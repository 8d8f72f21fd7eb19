"""The test rig the benchmarks share: certificates, an ActiveMQ broker, hmcsim, and the actors as processes.

One CA signs the certificate of both the broker and hmcsim, so every receiver verifies TLS for real (no
verification switched off anywhere), as against a console whose CA file the user configured.
"""

import json
import time
from pathlib import Path

from bench_lib import BENCH_DIR, PYTHON, ZHMCCLIENT_PYTHON, Child, fresh_dir
from broker import make_certificates, start_broker

from hmcsim.activemq import ActiveMQBroker
from hmcsim.testing import SimProcess

USER = {"userid": "operator", "password": "operator-password"}


class Rig:
    """Owns what a benchmark starts; stop() ends all of it (also after a failure)."""

    def __init__(self, name: str):
        self.dir = fresh_dir(name)
        self.certs = make_certificates(self.dir / "certs")
        self.broker: ActiveMQBroker | None = None
        self.sims: list[SimProcess] = []
        self.children: list[Child] = []
        self._topics_seen: set[str] = set()

    # -- infrastructure -----------------------------------------------------------------------------

    def start_broker(self) -> ActiveMQBroker:
        self.broker = start_broker(self.dir / "activemq", self.certs)
        return self.broker

    def start_sim(self, scenario: str = "minimal", name: str = "hmcsim", **opts) -> SimProcess:
        """hmcsim with the rig's certificate; opts become command line options (see SimProcess)."""
        sim = SimProcess(scenario, self.dir / name, cert_file=self.certs["cert"], key_file=self.certs["key"],
                         ca_file=self.certs["ca"], **opts)
        self.sims.append(sim)
        return sim.start()

    def stop_sim(self, sim: SimProcess) -> None:
        sim.stop()
        if sim in self.sims:
            self.sims.remove(sim)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        for sim in self.sims:
            sim.stop()
        self.sims.clear()
        if self.broker:
            self.broker.stop()

    # -- actors --------------------------------------------------------------------------------------

    def child(self, name: str, argv: list[str], **kwargs) -> Child:
        child = Child(name, argv, self.dir / "logs", **kwargs)
        self.children.append(child)
        return child

    def end(self, child: Child) -> None:
        child.stop()
        if child in self.children:
            self.children.remove(child)

    def publisher(self, name: str, topic: str, count: int, *, rate: float = 0, times: Path | None = None,
                  object_uri: str | None = None, object_class: str = "partition", resource_name: str = "PART1",
                  port: int | None = None, held_every: int = 0) -> Child:
        argv = [PYTHON, str(BENCH_DIR / "publisher.py"), "--port", str(port or self.broker.stomp_ssl_port), "--ca",
                self.certs["ca"], "--topic", topic, "--count", str(count), "--probe", "--rate", str(rate),
                "--object-class", object_class, "--name", resource_name]
        if object_uri:
            argv += ["--object-uri", object_uri]
        if times:
            argv += ["--times", str(times)]
        if held_every:
            argv += ["--held-every", str(held_every)]
        return self.child(name, argv, stdin=True)

    def bare_receiver(self, name: str, topic: str, count: int, times: Path | None = None,
                      python: str = PYTHON, extra: list[str] | None = None,
                      script: str = "receiver_stomp.py") -> Child:
        """Receiver (a); python=ZHMCCLIENT_PYTHON runs it on zhmcclient's older stomp.py; script=
        "receiver_asyncio.py" is the asyncio reader experiment (aa)."""
        argv = [python, str(BENCH_DIR / script), "--port", str(self.broker.stomp_ssl_port), "--ca",
                self.certs["ca"], "--topic", topic, "--count", str(count), *(extra or [])]
        return self.child(name, argv + (["--times", str(times)] if times else []))

    def zhmcclient_receiver(self, name: str, topic: str, count: int, times: Path | None = None) -> Child:
        argv = [ZHMCCLIENT_PYTHON, str(BENCH_DIR / "receiver_zhmcclient.py"), "--port", str(self.broker.stomp_ssl_port),
                "--ca", self.certs["ca"], "--topic", topic, "--count", str(count)]
        return self.child(name, argv + (["--times", str(times)] if times else []))

    def source_args(self, sim: SimProcess, subscriptions: dict, stomp_port: int | None = None, **extra) -> dict:
        return {"hmc_host": sim.hmc_host, "hmc_auth": {**USER, "ca_certs": self.certs["ca"]},
                "stomp_port": stomp_port or sim.stomp_port, "subscriptions": subscriptions, **extra}

    def broker_source_args(self, sim: SimProcess, subscriptions: dict, **extra) -> dict:
        """Source arguments for the WS API of hmcsim and the notifications of the rig's broker."""
        return self.source_args(sim, subscriptions, stomp_port=self.broker.stomp_ssl_port, **extra)

    def source(self, name: str, args: dict, *, mode: str = "count", count: int = 0, times: Path | None = None,
               extra: list[str] | None = None) -> Child:
        args_file = self.dir / f"{name}.args.json"
        args_file.write_text(json.dumps(args))
        argv = [PYTHON, str(BENCH_DIR / "source_driver.py"), "--args-json", str(args_file), "--mode", mode,
                "--count", str(count)]
        if times:
            argv += ["--times", str(times)]
        return self.child(name, argv + (extra or []))

    def new_channel(self, sim: SimProcess, resource: str = "PART1", timeout: float = 30) -> dict:
        """The OS message channel a just-started source opened (a topic not seen before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for channel in sim.control.channels():
                if channel["name"] == resource and channel["topic-name"] not in self._topics_seen:
                    self._topics_seen.add(channel["topic-name"])
                    return channel
            time.sleep(0.05)
        raise TimeoutError(f"no new OS message channel for {resource} within {timeout}s")
