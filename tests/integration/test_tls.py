"""TLS of both channels (WS API and STOMP) against hmcsim, for the client, the receiver, the source and a module.

hmcsim serves a certificate made here whose only name is DNS:localhost, so the same console is reached
correctly as "localhost" and by a name the certificate does not cover as "127.0.0.1". A second CA made here
signs nothing the console uses (the "wrong CA"). Verification must be on by default, refuse the wrong CA and
the wrong name with a message that says what to do, accept a c_rehash-style CA directory, and be off only
when `verify: false` is given, with a warning.
"""

import asyncio
import json
import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from module_play import play_tasks
from test_source_helpers import RunningSource, of_type, run, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver import Receiver, ReceiverError
from ansible_collections.zhmc.notifications.plugins.module_utils.receiver_process import ReceiverProcess
from hmcsim.certs import make_certificates

PASSWORD = "operator-password"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
VERIFY_WARNING = "TLS certificate verification of the console is disabled"


@pytest.fixture
def tls(hmcsim_factory, tmp_path, monkeypatch):
    """hmcsim with a localhost-only certificate; returns a namespace of sim, ports, CA file/dir and wrong CA."""
    # The environment must not decide what is trusted (requests would honour these over its verify argument).
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    ca_file, cert_file, key_file = make_certificates(tmp_path / "good", ["localhost"])
    wrong_ca = make_certificates(tmp_path / "wrong", ["localhost", "127.0.0.1"])[0]
    sim = hmcsim_factory("minimal", cert_file=cert_file, key_file=key_file, ca_file=ca_file)
    hashed = tmp_path / "ca-dir"
    hashed.mkdir()
    digest = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(ca_file)], capture_output=True,
                            text=True, check=True).stdout.strip()
    shutil.copy(ca_file, hashed / f"{digest}.0")  # only the hash name, as c_rehash / openssl rehash leave it

    class Tls:
        pass

    t = Tls()
    t.sim, t.ca_file, t.ca_dir, t.wrong_ca = sim, str(ca_file), str(hashed), str(wrong_ca)
    t.ws_port, t.stomp_port = sim.ws_port, sim.stomp_port
    t.good_host, t.bad_host = f"localhost:{sim.ws_port}", f"127.0.0.1:{sim.ws_port}"
    return t


def _logon(host, **kwargs):
    client = HmcClient([host], userid="operator", password=PASSWORD, retries=0, **kwargs)
    client.logon()
    client.logoff()
    return client


CHANNELS = ["ws", "stomp", "stomp-process"]
"""The STOMP receiver in the source's process (as wait_for_notification runs it) and in a process of its own
(as the source runs it): both must refuse and accept the same."""


def _receiver(host, port, channel="stomp", **kwargs):
    got = threading.Event()
    kind = ReceiverProcess if channel == "stomp-process" else Receiver
    receiver = kind(host, port, "operator", PASSWORD, on_frame=lambda h, b: got.set(), on_lost=lambda r: None,
                    heartbeat=0, connect_timeout=10, **kwargs)
    receiver.connect()
    receiver.close()
    return receiver


# -- the WS API client and the STOMP receiver ---------------------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_verification_is_on_by_default(tls, channel):
    """Without ca_certs the system trust store is used, which does not know the console's CA: refused."""
    if channel == "ws":
        with pytest.raises(HmcError, match=r"TLS certificate verification failed .*set hmc_auth.ca_certs"):
            _logon(tls.good_host)
    else:
        with pytest.raises(ReceiverError, match=r"TLS: .*certificate verify failed"):
            _receiver("localhost", tls.stomp_port, channel)
    assert tls.sim.control.logons()["ok"] == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_wrong_ca_is_refused(tls, channel):
    if channel == "ws":
        with pytest.raises(HmcError, match=r"TLS certificate verification failed .*unable to get local issuer"):
            _logon(tls.good_host, ca_certs=tls.wrong_ca)
    else:
        with pytest.raises(ReceiverError, match=r"cannot connect to the STOMP broker at localhost:\d+: TLS: .*"
                                                r"unable to get local issuer"):
            _receiver("localhost", tls.stomp_port, channel, ca_certs=tls.wrong_ca)


@pytest.mark.parametrize("channel", CHANNELS)
def test_wrong_hostname_is_refused_even_with_the_right_ca(tls, channel):
    """The certificate is the console's and signed by the given CA, but does not name 127.0.0.1."""
    if channel == "ws":
        with pytest.raises(HmcError, match=r"TLS certificate verification failed .*IP address mismatch"):
            _logon(tls.bad_host, ca_certs=tls.ca_file)
        _logon(tls.good_host, ca_certs=tls.ca_file)  # the same console by its certified name works
    else:
        with pytest.raises(ReceiverError, match=r"TLS: .*IP address mismatch"):
            _receiver("127.0.0.1", tls.stomp_port, channel, ca_certs=tls.ca_file)
        _receiver("localhost", tls.stomp_port, channel, ca_certs=tls.ca_file)


@pytest.mark.parametrize("channel", CHANNELS)
def test_hashed_ca_directory_is_accepted(tls, channel):
    if channel == "ws":
        _logon(tls.good_host, ca_certs=tls.ca_dir)
        with pytest.raises(HmcError, match="IP address mismatch"):  # a directory does not switch checks off
            _logon(tls.bad_host, ca_certs=tls.ca_dir)
    else:
        _receiver("localhost", tls.stomp_port, channel, ca_certs=tls.ca_dir)
        with pytest.raises(ReceiverError, match="IP address mismatch"):
            _receiver("127.0.0.1", tls.stomp_port, channel, ca_certs=tls.ca_dir)


def test_verify_false_works_only_when_set_and_warns(tls):
    warnings = []
    client = HmcClient([tls.bad_host], userid="operator", password=PASSWORD, verify=False, warn=warnings.append)
    client.logon()
    client.logoff()
    assert len(warnings) == 1 and VERIFY_WARNING in warnings[0]
    for channel in CHANNELS[1:]:
        _receiver("127.0.0.1", tls.stomp_port, channel, verify=False)
    quiet = []
    with pytest.raises(HmcError):
        HmcClient([tls.bad_host], userid="operator", password=PASSWORD, warn=quiet.append, retries=0).logon()
    assert quiet == [], "no warning when verification is on"


# -- the EDA source end to end -----------------------------------------------------------------------------------

def _source_args(tls, host, **auth):
    return {"hmc_host": host, "hmc_auth": {"userid": "operator", "password": PASSWORD, **auth},
            "stomp_port": tls.stomp_port, "subscriptions": {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1"]}]}}


@pytest.mark.parametrize(("host", "auth", "message"), [
    ("good", {}, r"TLS certificate verification failed .*set hmc_auth.ca_certs"),
    ("good", {"ca_certs": "wrong"}, r"TLS certificate verification failed .*unable to get local issuer"),
    ("bad", {"ca_certs": "file"}, r"TLS certificate verification failed .*IP address mismatch"),
], ids=["default", "wrong-ca", "wrong-hostname"])
def test_source_fails_at_start_with_a_clear_tls_message(tls, host, auth, message):
    paths = {"wrong": tls.wrong_ca, "file": tls.ca_file}
    args = _source_args(tls, tls.good_host if host == "good" else tls.bad_host,
                        **{k: paths[v] for k, v in auth.items()})

    async def scenario():
        async with RunningSource(args) as source:
            with pytest.raises(HmcError, match=message):
                await source.next(timeout=30)

    run(scenario())
    assert tls.sim.control.sessions() == [] and tls.sim.control.stomp_connections() == []


def test_source_with_a_ca_directory_receives(tls):
    async def scenario():
        async with RunningSource(_source_args(tls, tls.good_host, ca_certs=tls.ca_dir)) as source:
            await until_subscribed(tls.sim, 2)
            await asyncio.to_thread(tls.sim.control.os_message, "PART1", "IEA000I over verified TLS")
            await source.wait_for(of_type("os-message"))

    run(scenario())


def test_source_without_verification_receives_and_logs_a_warning(tls, caplog):
    caplog.set_level(logging.WARNING)

    async def scenario():
        async with RunningSource(_source_args(tls, tls.bad_host, verify="false")) as source:
            await until_subscribed(tls.sim, 2)
            await asyncio.to_thread(tls.sim.control.os_message, "PART1", "IEA000I unverified")
            await source.wait_for(of_type("os-message"))

    run(scenario())
    warned = [r for r in caplog.records if VERIFY_WARNING in r.getMessage()]
    assert len(warned) == 1 and warned[0].name.startswith("zhmc.notifications")


# -- a module through ansible-playbook ------------------------------------------------------------------------------

def test_module_wrong_hostname_fails_and_ca_directory_works(tls, tmp_path):
    """The modules engineer's playbooks cover the default trust store and verify: false; this adds the two
    checks they cannot make against hmcsim's own certificate: a name outside the certificate and a CA dir."""
    task = "zhmc.notifications.notification_topics_info"

    def auth(ca_certs):
        return {"userid": "operator", "password": PASSWORD, "ca_certs": ca_certs}

    tasks = [
        {"name": "wrong_name", task: {"hmc_host": tls.bad_host, "hmc_auth": auth(tls.ca_file)},
         "register": "wrong_name", "ignore_errors": True},
        {"name": "ca_dir", task: {"hmc_host": tls.good_host, "hmc_auth": auth(tls.ca_dir)},
         "register": "ca_dir"},
        {"name": "save", "ansible.builtin.copy": {
            "dest": str(tmp_path / "out.json"),
            "content": "{{ {'wrong_name': wrong_name, 'ca_dir': ca_dir} | to_json }}"}},
    ]
    rc, output = play_tasks(tmp_path / "tls.yml", tasks, leave_out=("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
                            timeout=240)
    assert rc == 0, output
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["wrong_name"]["failed"] is True
    assert "TLS certificate verification failed" in out["wrong_name"]["msg"]
    assert "IP address mismatch" in out["wrong_name"]["msg"]
    assert out["ca_dir"].get("failed") is not True and out["ca_dir"]["topics"]
    assert not out["ca_dir"].get("warnings")
    assert tls.sim.control.sessions() == []
