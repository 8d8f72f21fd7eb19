"""Faithfulness: the reference client (zhmcclient, in its own venv) works against hmcsim over TLS.

zhmcclient pins stomp.py < 8.3, so it lives in .venv-zhmcclient (override with ZHMCCLIENT_PYTHON).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("zhmcclient_probe.py")
CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # would override the CA file given to requests


def zhmcclient_python() -> str:
    python = os.environ.get("ZHMCCLIENT_PYTHON") or str(REPO / ".venv-zhmcclient/bin/python")
    if not Path(python).exists():
        pytest.fail(f"zhmcclient venv missing: {python} does not exist. Create it with "
                    "`python3 -m venv .venv-zhmcclient && .venv-zhmcclient/bin/pip install zhmcclient` "
                    "or set ZHMCCLIENT_PYTHON.")
    return python


def test_zhmcclient_against_hmcsim(hmcsim):
    python = zhmcclient_python()
    sim = {"host": "127.0.0.1", "ws_port": hmcsim.ws_port, "stomp_port": hmcsim.stomp_port,
           "ca_file": hmcsim.ca_file, "control": hmcsim.endpoints["control"]}
    env = {k: v for k, v in os.environ.items() if k not in CA_ENV}
    run = subprocess.run([python, str(PROBE), json.dumps(sim)], capture_output=True, text=True, timeout=90, env=env)
    assert run.returncode == 0, run.stderr + "\n--- hmcsim log ---\n" + hmcsim.log_file.read_text()
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["api_version"] == 4
    assert result["cpcs"] == ["CPC1", "CPC2"]
    assert result["partitions"] == ["PART1", "PART2", "PART3"]
    os_topics = [t for t in result["topics"] if t["topic-type"] == "os-message-notification"]
    assert [t["topic-name"] for t in os_topics] == [result["os_topic"]]
    os_message, job = result["received"]
    assert os_message["headers"]["notification-type"] == "os-message"
    assert os_message["message"]["os-messages"][0]["message-text"] == "Hello from hmcsim"
    assert job["headers"]["notification-type"] == "job-completion"
    assert job["headers"]["job-uri"].startswith("/api/jobs/")
