"""The ``hmcsim`` command: parse options, start the simulator, announce the endpoints, stop cleanly."""

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from hmcsim.app import Options, Simulator
from hmcsim.errors import ScenarioError
from hmcsim.scenario import load_scenario


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hmcsim", description="IBM Z HMC/SE console simulator")
    parser.add_argument("--scenario", default="minimal", help="shipped scenario name or path to a YAML file")
    parser.add_argument("--host", default="127.0.0.1", help="address of the WS API and STOMP endpoint")
    parser.add_argument("--port", type=int, default=0, help="WS API (HTTPS) port; 0 = ephemeral")
    parser.add_argument("--stomp-port", type=int, default=0, help="STOMP port; 0 = ephemeral")
    parser.add_argument("--control-port", type=int, default=0, help="control API port on 127.0.0.1; 0 = ephemeral")
    parser.add_argument("--state-dir", type=Path, default=Path(".hmcsim"), help="where ca.pem etc. are written")
    parser.add_argument("--no-tls-stomp", action="store_true", help="serve STOMP without TLS")
    parser.add_argument("--no-stomp", action="store_true", help="do not serve STOMP (use with --broker)")
    parser.add_argument("--broker", help="also publish into an external broker: stomp://HOST:PORT or stomp+ssl://")
    parser.add_argument("--broker-login", default="", help="login for --broker")
    parser.add_argument("--broker-passcode", default="", help="passcode for --broker")
    parser.add_argument("--broker-ca", help="CA file to verify a stomp+ssl broker (default: no verification)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per WS API request")
    parser.add_argument("--subscribe-delay-ms", type=int, default=0,
                        help="delay before a STOMP SUBSCRIBE takes effect (and is confirmed)")
    parser.add_argument("--heartbeat-ms", type=int, default=10000, help="STOMP heart-beat the server offers")
    parser.add_argument("--cert-file", help="server certificate (PEM) instead of a generated one")
    parser.add_argument("--key-file", help="server key (PEM) for --cert-file")
    parser.add_argument("--ca-file", help="CA file to announce with --cert-file")
    parser.add_argument("--hold-timeline", action="store_true",
                        help="hold the scenario's timeline until POST /timeline/start on the control API")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--ready-file", type=Path, help="write the endpoints as JSON here once ready")
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    options = Options(host=args.host, port=args.port, stomp_port=args.stomp_port, control_port=args.control_port,
                      state_dir=args.state_dir, tls_stomp=not args.no_tls_stomp, serve_stomp=not args.no_stomp,
                      broker=args.broker, broker_login=args.broker_login, broker_passcode=args.broker_passcode,
                      broker_ca=args.broker_ca, latency_ms=args.latency_ms, heartbeat_ms=args.heartbeat_ms,
                      subscribe_delay_ms=args.subscribe_delay_ms,
                      cert_file=args.cert_file, key_file=args.key_file, ca_file=args.ca_file,
                      hold_timeline=args.hold_timeline)
    sim = Simulator(scenario, options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    endpoints = await sim.start()
    print(f"hmcsim: console {sim.console.name} ({scenario.source})", flush=True)
    print(f"  WS API:      {endpoints['ws_api']}", flush=True)
    print(f"  STOMP:       {endpoints.get('stomp', 'not served')}", flush=True)
    print(f"  CA file:     {endpoints['ca_file']}", flush=True)
    print(f"  control API: {endpoints['control']}", flush=True)
    if args.hold_timeline:
        print(f"  timeline:    held until POST {endpoints['control']}/timeline/start", flush=True)
    if args.ready_file:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(endpoints))
        tmp.replace(args.ready_file)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), args.duration)
    await sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return asyncio.run(_run(args))
    except ScenarioError as exc:
        print(f"hmcsim: invalid scenario: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hmcsim: {exc}", file=sys.stderr)
        return 1
