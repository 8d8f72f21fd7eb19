"""Helpers for tests and benchmarks: run hmcsim as a subprocess and talk to its control API.

Only the standard library is used here, so any test environment that can import hmcsim can use it.
"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


class ControlError(Exception):
    """The control API refused a request; the message carries its answer."""


class ControlClient:
    """A small client of the control API (see tools/hmcsim/README.md for every endpoint)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise ControlError(f"{method} {path}: {err.code} {err.read().decode(errors='replace')}") from None

    def _post(self, path: str, **fields):
        return self.request("POST", path, {k: v for k, v in fields.items() if v is not None})

    # actions
    def inject(self, notification_type: str, *, resource=None, topic=None, topic_type=None, headers=None,
               body=None, form="stomp", body_bytes: bytes | None = None, drop_headers=None) -> dict:
        raw = None if body_bytes is None else base64.b64encode(body_bytes).decode()
        return self._post("/inject", notification_type=notification_type, resource=resource, topic=topic,
                          topic_type=topic_type, headers=headers, body=body, form=form, body_base64=raw,
                          drop_headers=drop_headers)

    def stomp_error(self, message: str, detail: str = "") -> dict:
        """ERROR frame with this message header, then close, on every STOMP connection."""
        return self._post("/stomp-error", message=message, detail=detail)

    def raw_frame(self, data: bytes) -> dict:
        """Raw bytes to every established STOMP connection (malformed frames)."""
        return self._post("/raw-frame", data_base64=base64.b64encode(data).decode())

    def os_message(self, resource: str, text: str, *, held=False, priority=False, reply_id=None, prompt=None):
        return self._post("/os-message", resource=resource, text=text, held=held, priority=priority,
                          reply_id=reply_id, prompt=prompt)

    def storm(self, resource: str, rate: int, duration: float) -> dict:
        return self._post("/storm", resource=resource, rate=rate, duration=duration)

    def drop_connections(self, refuse_seconds: float | None = None, refuse_with: str | None = None) -> dict:
        """Abort every STOMP connection; with refuse_seconds also refuse new ones for that long ("close": hang
        up at once, the default; "error": answer CONNECT with ERROR "Authentication failed"; "after-connected":
        answer CONNECTED, then hang up)."""
        return self._post("/drop", refuse_seconds=refuse_seconds, refuse_with=refuse_with)

    def end_sessions(self, userid: str | None = None) -> dict:
        """End every session (or a user's) as another client's logoff or a timeout would: {ended}."""
        return self._post("/end-sessions", userid=userid)

    def hide_topics(self, topic_type: str, seconds: float) -> dict:
        """Leave topic_type out of Get Notification Topics for seconds."""
        return self._post("/hide-topics", topic_type=topic_type, seconds=seconds)

    def freeze(self, seconds: float) -> dict:
        """WS API requests hang for seconds (a frozen console), then are answered."""
        return self._post("/freeze", seconds=seconds)

    def os_renumber(self, resource: str, next_number: int) -> dict:
        """The resource's next OS message gets sequence number next_number."""
        return self._post("/os-renumber", resource=resource, next=next_number)

    def stall_heartbeats(self, seconds: float) -> dict:
        return self._post("/stall", seconds=seconds)

    def restart_console(self, down_seconds: float = 0) -> dict:
        return self._post("/restart", down_seconds=down_seconds)

    def shutting_down(self, **fields) -> dict:
        return self._post("/shutting-down", **fields)

    def set_status(self, resource: str, status: str) -> dict:
        return self._post("/status", resource=resource, status=status)

    def fail_next_job(self, resource: str, message: str | None = None) -> dict:
        return self._post("/fail-next-job", resource=resource, message=message)

    def step(self, kind: str, **fields) -> dict:
        """Any scenario step kind, e.g. step("job_completion", resource="PART1", session=control.only_session())."""
        return self._post("/step", kind=kind, **fields)

    def start_timeline(self) -> dict:
        """Start the scenario's timeline held by --hold-timeline (hold_timeline=True); a second call does nothing.
        Returns {started, state, steps, done, last_at, elapsed}."""
        return self.request("POST", "/timeline/start", {})

    def stop_timeline(self) -> dict:
        """Run no further timeline step (held or running). Returns {stopped, state, ...}."""
        return self.request("POST", "/timeline/stop", {})

    # read back
    def timeline(self) -> dict:
        """{state: held|running|done|stopped, steps, done (steps run), last_at (time of the last step), elapsed}."""
        return self.request("GET", "/timeline")

    def state(self) -> dict:
        return self.request("GET", "/state")

    def sessions(self) -> list:
        return self.request("GET", "/sessions")

    def issued_sessions(self) -> list:
        """Every session created since start (also ended ones): [{id, credential, userid}]."""
        return self.request("GET", "/issued-sessions")

    def channels(self) -> list:
        return self.request("GET", "/channels")

    def stomp_connections(self) -> list:
        return self.request("GET", "/stomp")

    def logons(self) -> dict:
        return self.request("GET", "/logons")

    def stomp_logins(self) -> dict:
        """STOMP CONNECTs answered CONNECTED (ok) or ERROR (failed), connections closed while refusing (refused)."""
        return self.request("GET", "/stomp-logins")

    def os_commands(self) -> list:
        return self.request("GET", "/os-commands")

    def jobs(self) -> list:
        return self.request("GET", "/jobs")

    def only_session(self) -> str:
        """The id of the one live WS API session (a test whose client is alone on the console), e.g. for the
        job_completion step: a console sends a job's completion only to the session that started the job."""
        sessions = self.sessions()
        if len(sessions) != 1:
            raise ControlError(f"expected exactly one live session, found {len(sessions)}")
        return sessions[0]["id"]

    def resources(self) -> list:
        return self.request("GET", "/resources")

    def bcpii_registrations(self) -> list:
        return self.request("GET", "/bcpii")

    def wait_for(self, predicate, timeout: float = 10, interval: float = 0.05, what: str = "condition"):
        """Poll state() until predicate(state) is truthy; returns that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self.state())
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"hmcsim: timed out after {timeout}s waiting for {what}")
            time.sleep(interval)


class SimProcess:
    """hmcsim running as a subprocess (sys.executable -m hmcsim) on free loopback ports.

    Usable as a context manager. Attributes once started: endpoints (the ready-file JSON), ws_url,
    hmc_host ("127.0.0.1:port"), ws_port, stomp_port, ca_file, control (a ControlClient), log_file.
    Extra keyword options become command line options: latency_ms=5 -> --latency-ms 5, no_tls_stomp=True ->
    --no-tls-stomp.
    """

    def __init__(self, scenario: str = "minimal", tmp_path=None, *, startup_timeout: float = 30, **opts):
        self.scenario = str(scenario)
        self.dir = Path(tmp_path) if tmp_path else Path.cwd() / ".hmcsim"
        self.startup_timeout = startup_timeout
        self.opts = opts
        self.process: subprocess.Popen | None = None
        self.endpoints: dict = {}

    def command(self) -> list[str]:
        ready = self.dir / "ready.json"
        cmd = [sys.executable, "-m", "hmcsim", "--scenario", self.scenario, "--state-dir", str(self.dir / "state"),
               "--ready-file", str(ready)]
        for key, value in self.opts.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                cmd.append(flag)
            elif value not in (False, None):
                cmd += [flag, str(value)]
        return cmd

    def start(self) -> "SimProcess":
        self.dir.mkdir(parents=True, exist_ok=True)
        ready = self.dir / "ready.json"
        ready.unlink(missing_ok=True)
        self.log_file = self.dir / "hmcsim.log"
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + self.startup_timeout
        while not ready.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"hmcsim exited with {self.process.returncode}: {self.log_file.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"hmcsim not ready after {self.startup_timeout}s: {self.log_file.read_text()}")
            time.sleep(0.05)
        self.endpoints = json.loads(ready.read_text())
        self.ws_url = self.endpoints["ws_api"]
        self.ws_port = self.endpoints["ws_port"]
        self.hmc_host = f"{self.endpoints['host']}:{self.ws_port}"
        self.stomp_port = self.endpoints["stomp_port"]
        self.ca_file = self.endpoints["ca_file"]
        self.control = ControlClient(self.endpoints["control"])
        return self

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL after timeout; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> "SimProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
