"""The openstack source fails at start with a clear reason, and without showing the password, when RabbitMQ
refuses the login or TLS cannot be set up; under ansible-rulebook and run directly (its __main__ block) from the
installed collection."""

import json
import os
import subprocess
import sys

import pytest
from openstack_rulebook import OpenStackRulebook
from rabbitmq_broker import PASSWORD, USER, VHOST
from tcp_relay import TcpRelay
from tools_path import installed_source

WRONG = "Wr0ng-pa55word-xyz"


@pytest.mark.rulebook
def test_refused_login_fails_clearly_under_ansible_rulebook(rabbitmq, collections, tmp_path):
    rulebook = OpenStackRulebook(collections, tmp_path, rabbitmq.url(password=WRONG), {"pool": "eda-refused"},
                                 extra_args=["-vv"])
    code = rulebook.wait_exit()
    output = rulebook.output()
    assert code != 0
    assert "refused the login" in output and "ACCESS_REFUSED" in output
    assert WRONG not in output and PASSWORD not in output


def run_source(collections, args, timeout=120):
    """The installed source file run by Python, as its __main__ block does."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(installed_source(collections, "openstack")), json.dumps(args)],
                          capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.mark.parametrize(("case", "expected"), [
    ("untrusted", "not trusted"),
    ("tls-to-plain-port", "TLS with RabbitMQ at"),
    ("plain-to-tls-port", "RabbitMQ at"),
    ("missing-ca-file", "tls.ca_file"),
])
def test_tls_failures_fail_clearly(rabbitmq, collections, tmp_path, case, expected):
    args = {
        "untrusted": {"transport_url": rabbitmq.url(tls=True), "tls": True},
        "tls-to-plain-port": {"transport_url": rabbitmq.url(), "tls": {"ca_file": str(rabbitmq.ca_file)}},
        "plain-to-tls-port": {"transport_url": rabbitmq.url(tls=True)},
        "missing-ca-file": {"transport_url": rabbitmq.url(tls=True), "tls": {"ca_file": str(tmp_path / "no.pem")}},
    }[case]
    result = run_source(collections, args)
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert expected in last, result.stderr[-3000:]
    assert PASSWORD not in result.stdout + result.stderr


def test_a_host_name_the_certificate_does_not_carry(rabbitmq, collections):
    """Reached as 127.0.0.2 (a relay; the certificate names localhost and 127.0.0.1): the source fails at start
    with the reason instead of listening while oslo.messaging retries in silence (it did with check_hostname:
    false, which oslo.messaging 18.2 ignores), and check_hostname: false is refused as what it cannot do."""
    relay = TcpRelay(("127.0.0.1", rabbitmq.tls_port))
    host, port = relay.address
    url = f"rabbit://{USER}:{PASSWORD}@{host}:{port}/{VHOST}"
    try:
        cases = (({"ca_file": str(rabbitmq.ca_file)}, (f"TLS with RabbitMQ at {host}:{port} failed", "mismatch")),
                 ({"ca_file": str(rabbitmq.ca_file), "check_hostname": False},
                  ("option 'tls.check_hostname': false cannot be honoured",)))
        for tls, expected in cases:
            result = run_source(collections, {"transport_url": url, "tls": tls})
            assert result.returncode != 0, result.stdout
            last = result.stderr.strip().splitlines()[-1]
            assert all(part in last for part in expected), result.stderr[-3000:]
            assert PASSWORD not in result.stdout + result.stderr
    finally:
        relay.close()
