"""Wires the simulator together and runs its servers: WS API (HTTPS), STOMP (TLS), control API, timeline."""

import asyncio
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from hmcsim import bcpii_model, wsapi, wsapi_console
from hmcsim.actions import Actions
from hmcsim.bcpii_model import BcpiiRegistrations
from hmcsim.certs import make_certificates, server_ssl_context
from hmcsim.control import make_control_app
from hmcsim.errors import ApiError
from hmcsim.jobs import Jobs
from hmcsim.model import Console
from hmcsim.notifier import Notifier
from hmcsim.os_messages import OsMessages
from hmcsim.scenario import Scenario
from hmcsim.stomp_server import StompServer
from hmcsim.timeline import StepRunner

LOG = logging.getLogger("hmcsim")


@dataclass
class Options:
    """Command line options (see hmcsim.cli)."""

    host: str = "127.0.0.1"
    port: int = 0
    stomp_port: int = 0
    control_port: int = 0
    state_dir: Path = Path(".hmcsim")
    tls_stomp: bool = True
    serve_stomp: bool = True
    broker: str | None = None
    broker_login: str = ""
    broker_passcode: str = ""
    broker_ca: str | None = None
    latency_ms: int = 0
    subscribe_delay_ms: int = 0
    heartbeat_ms: int = 10000
    cert_file: str | None = None
    key_file: str | None = None
    ca_file: str | None = None
    hold_timeline: bool = False


async def _not_found(request: web.Request):
    raise ApiError(404, 1, f"Unknown URI {request.path}")


class Simulator:
    """All parts of one simulated console and the servers exposing them."""

    def __init__(self, scenario: Scenario, options: Options):
        self.scenario = scenario
        self.options = options
        self.console = Console(scenario)
        self.notifier = Notifier(self.console)
        self.actions = Actions(self.console, self.notifier)
        self.jobs = Jobs(self.console, self.notifier, self.actions)
        self.bcpii = BcpiiRegistrations(self.console, self.notifier)
        self.notifier.bcpii = self.bcpii
        self.steps = StepRunner(self)
        self.os_messages = OsMessages(self.notifier, self.steps.follow_up)
        self.stomp = StompServer(self.console, heartbeat_ms=options.heartbeat_ms,
                                 subscribe_delay_ms=options.subscribe_delay_ms)
        self.stomp.on_subscribe = self.os_messages.refresh_messages
        self.broker = None
        self.endpoints: dict = {}
        self._runners: list = []
        self._servers: list = []

    def restart(self, down_seconds: float = 0.0) -> None:
        """Console restart: sessions and their topics end, STOMP connections drop, BCPii keeps permanent ones."""
        self.actions.restart(down_seconds)
        self.bcpii.console_restarted()
        self.stomp.drop_all()
        self.stomp.refuse(down_seconds, "error")

    def _tls(self) -> tuple[ssl.SSLContext, str]:
        opts = self.options
        if opts.cert_file and opts.key_file:
            return server_ssl_context(Path(opts.cert_file), Path(opts.key_file)), opts.ca_file or opts.cert_file
        hosts = ["localhost", "127.0.0.1", "::1"]
        if opts.host not in hosts:
            hosts.insert(0, opts.host)
        ca_file, cert_file, key_file = make_certificates(opts.state_dir, hosts)
        return server_ssl_context(cert_file, key_file), str(ca_file)

    async def start(self) -> dict:
        opts = self.options
        context, ca_file = self._tls()
        api = web.Application(middlewares=[wsapi.error_middleware])
        api.update(console=self.console, latency_ms=opts.latency_ms, os_messages=self.os_messages, jobs=self.jobs,
                   bcpii=self.bcpii)
        wsapi.add_routes(api)
        wsapi_console.add_routes(api)
        bcpii_model.add_routes(api)
        api.router.add_route("*", "/{tail:.*}", _not_found)
        api_port = await self._serve_app(api, opts.port, context)
        control_port = await self._serve_app(make_control_app(self), opts.control_port, None)
        self.endpoints = {"ws_api": f"https://{opts.host}:{api_port}", "ws_port": api_port, "host": opts.host,
                          "ca_file": ca_file, "control": f"http://127.0.0.1:{control_port}",
                          "control_port": control_port, "stomp_port": None, "stomp_tls": opts.tls_stomp}
        if opts.serve_stomp:
            server = await asyncio.start_server(self.stomp.handle, opts.host, opts.stomp_port,
                                                ssl=context if opts.tls_stomp else None)
            self._servers.append(server)
            self.endpoints["stomp_port"] = server.sockets[0].getsockname()[1]
            self.endpoints["stomp"] = f"{'stomp+ssl' if opts.tls_stomp else 'stomp'}://{opts.host}:" \
                                      f"{self.endpoints['stomp_port']}"
            self.notifier.sinks.append(self.stomp)
        if opts.broker:
            from hmcsim.broker_client import BrokerPublisher

            self.broker = BrokerPublisher(opts.broker, opts.broker_login, opts.broker_passcode, opts.broker_ca)
            await self.broker.connect()
            self.notifier.sinks.append(self.broker)
            self.endpoints["broker"] = opts.broker
        self.steps.timeline = self.scenario.timeline
        self.endpoints["timeline"] = "held" if opts.hold_timeline else "started"
        if not opts.hold_timeline:
            self.steps.start_timeline()
        self.steps.spawn(self.steps.bcpii_heartbeats())
        return self.endpoints

    async def _serve_app(self, app: web.Application, port: int, context) -> int:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host = self.options.host if context is not None else "127.0.0.1"
        site = web.TCPSite(runner, host, port, ssl_context=context)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    async def stop(self) -> None:
        self.stomp.drop_all()
        for server in self._servers:
            server.close()
        if self.broker:
            await self.broker.close()
        for runner in self._runners:
            await runner.cleanup()

    def describe(self) -> dict:
        """Everything the control API reads back."""
        console = self.console
        sessions = [{"id": s.id, "userid": s.user.userid, "created": s.created, "topics": s.topics()}
                    for s in console.sessions.values()]
        channels = [{"session": s.id, "userid": s.user.userid, "object-uri": uri,
                     "name": console.resources[uri].name if uri in console.resources else None,
                     "topic-name": topic, "include-refresh-messages": refresh}
                    for s in console.sessions.values() for uri, (topic, refresh) in s.os_channels.items()]
        resources = [{"name": r.name, "class": r.kind, "object-uri": r.uri, "status": r.props.get("status"),
                      "cpc": r.cpc.name if r.cpc else None, "held": sorted(r.held), "os-messages": r.next_os_seq}
                     for r in console.resources.values()]
        return {"console": {"name": console.name, "type": console.type, "generation": console.generation,
                            "api-version": f"{console.api_version[0]}.{console.api_version[1]}"},
                "endpoints": self.endpoints, "sessions": sessions, "channels": channels,
                "stomp": self.stomp.describe(), "logons": dict(console.logons),
                "stomp-logins": dict(self.stomp.logins),
                "os-commands": self.os_messages.commands, "jobs": list(self.jobs.jobs.values()),
                "resources": resources, "published": self.notifier.published,
                "bcpii": list(self.bcpii.registrations.values()), "timeline": self.steps.timeline_state()}
