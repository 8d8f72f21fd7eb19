"""Build the collection tarball and install it the way a user does (ansible-galaxy), once per test session."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory):
    """The collections path holding the freshly built and installed zhmc.notifications."""
    work = tmp_path_factory.mktemp("galaxy")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(CHECKOUT), "--output-path", str(work)],
                   check=True, capture_output=True, text=True)
    [tarball] = work.glob("zhmc-notifications-*.tar.gz")
    path = work / "collections"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(path),
                    "--offline", "--force"],
                   check=True, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert (path / "ansible_collections/zhmc/notifications/extensions/eda/plugins/event_source/hmc.py").is_file()
    return path
