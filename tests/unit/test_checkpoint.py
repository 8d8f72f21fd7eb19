"""The checkpoint file: round trip, atomic replacement, corrupt and foreign files refused, bounded write rate."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils import checkpoint as cp

OS_MESSAGES = [{"cpc": "CPC1", "kind": "logical-partition", "names": ["LP1"], "include_refresh": False}]
IDENTITY = cp.identity(["hmc1:6794"], OS_MESSAGES)
SNAPSHOT = {"version": 1, "cursors": {"/api/logical-partitions/a": {"last": 17, "console": "hmc1"},
                                      "/api/logical-partitions/b": {"last": None, "console": None}}}


def test_missing_file_is_a_fresh_start_and_round_trip(tmp_path):
    store = cp.CheckpointFile(tmp_path / "hmc1.json", IDENTITY)
    assert store.load() is None
    store.write(SNAPSHOT)
    assert cp.CheckpointFile(tmp_path / "hmc1.json", IDENTITY).load() == SNAPSHOT
    assert oct(os.stat(tmp_path / "hmc1.json").st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["hmc1.json"], "no temporary file left behind"


def test_write_replaces_atomically_and_a_failed_write_keeps_the_old(tmp_path, monkeypatch):
    store = cp.CheckpointFile(tmp_path / "c.json", IDENTITY)
    store.write(SNAPSHOT)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cp.os, "replace", failing_replace)
    with pytest.raises(OSError):
        store.write({"version": 1, "cursors": {}})
    monkeypatch.undo()
    assert store.load() == SNAPSHOT
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


@pytest.mark.parametrize(("content", "message"), [
    (b"{\"format\": \"zhmc.notifications.checkpoint\", \"vers", "is corrupt (not JSON"),
    (b"\xff\xfe", "is corrupt (not JSON"),
    (b"[1, 2]", "is not a zhmc.notifications checkpoint"),
    (b"{\"format\": \"something.else\"}", "is not a zhmc.notifications checkpoint"),
    (b"{\"format\": \"zhmc.notifications.checkpoint\", \"version\": 9}", "has version 9; this source reads version 1"),
])
def test_unreadable_files_are_refused(tmp_path, content, message):
    path = tmp_path / "c.json"
    path.write_bytes(content)
    with pytest.raises(cp.CheckpointError, match="checkpoint .*c.json " + message.replace("(", r"\(")):
        cp.CheckpointFile(path, IDENTITY).load()


def test_a_changed_number_is_corruption(tmp_path):
    path = tmp_path / "c.json"
    cp.CheckpointFile(path, IDENTITY).write(SNAPSHOT)
    document = json.loads(path.read_text())
    document["cursors"]["cursors"]["/api/logical-partitions/a"]["last"] = 18
    path.write_text(json.dumps(document))
    with pytest.raises(cp.CheckpointError, match="digest does not match"):
        cp.CheckpointFile(path, IDENTITY).load()


def test_foreign_checkpoints_are_refused(tmp_path):
    path = tmp_path / "c.json"
    cp.CheckpointFile(path, IDENTITY).write(SNAPSHOT)
    with pytest.raises(cp.CheckpointError, match=r"written for console.s. hmc1:6794, not hmc2:6794"):
        cp.CheckpointFile(path, cp.identity(["hmc2:6794"], OS_MESSAGES)).load()
    other = [dict(OS_MESSAGES[0], names=["LP2"])]
    with pytest.raises(cp.CheckpointError, match=r"written for other OS message subscriptions .*LP1"):
        cp.CheckpointFile(path, cp.identity(["hmc1:6794"], other)).load()
    # The order in which redundant consoles are listed does not matter.
    two = cp.identity(["b:1", "a:1"], OS_MESSAGES)
    cp.CheckpointFile(tmp_path / "d.json", two).write(SNAPSHOT)
    assert cp.CheckpointFile(tmp_path / "d.json", cp.identity(["a:1", "b:1"], OS_MESSAGES)).load() == SNAPSHOT


def test_folder_problems_fail_at_load(tmp_path):
    assert cp.CheckpointFile(tmp_path / "new" / "c.json", IDENTITY).load() is None
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"
    (tmp_path / "file").write_text("")
    with pytest.raises(cp.CheckpointError, match=r"cannot make folder .*file/sub"):
        cp.CheckpointFile(tmp_path / "file" / "sub" / "c.json", IDENTITY).load()
    assert_unwritable_folder_fails_at_load()


UNWRITABLE_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.zhmc.notifications.plugins.module_utils import checkpoint as cp
try:
    cp.CheckpointFile(sys.argv[2], cp.identity(["hmc1:6794"], [])).load()
except cp.CheckpointError as err:
    print(err)
"""


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _python_for_nobody():
    """An interpreter user nobody can run: the checkout's own may sit below a folder only root may enter (a
    clone in a mktemp folder, a pyenv under /root), Debian's /usr/bin/python3 does not."""
    for candidate in (sys.executable, os.path.realpath(sys.executable), "/usr/bin/python3"):
        if subprocess.run([*AS_NOBODY, candidate, "-c", "pass"], capture_output=True, timeout=60,
                          check=False).returncode == 0:
            return candidate
    raise AssertionError("no Python that user nobody can run (install Debian's python3): the unwritable-folder "
                         "check cannot run under root")


def assert_unwritable_folder_fails_at_load():
    """A folder the source's user cannot write to is refused at load. Root writes anywhere, so under root
    (as in CI) the check runs as user nobody in a child process instead of being skipped, with a copy of
    module_utils in a folder nobody can read (the checkout may be in one it cannot enter)."""
    base = tempfile.mkdtemp(prefix="zhmc-checkpoint-")
    try:
        os.chmod(base, 0o755)
        locked = os.path.join(base, "locked")
        os.mkdir(locked, 0o500)
        if os.access(locked, os.W_OK):
            # .../<root>/ansible_collections/zhmc/notifications/plugins/module_utils/checkpoint.py
            module_utils = os.path.dirname(cp.__file__)
            copy_root = os.path.join(base, "collections")
            shutil.copytree(module_utils, os.path.join(copy_root, "ansible_collections", "zhmc", "notifications",
                                                       "plugins", "module_utils"),
                            ignore=shutil.ignore_patterns("__pycache__"))
            for folder, _dirs, _files in os.walk(copy_root):
                os.chmod(folder, 0o755)
            answer = subprocess.run(
                [*AS_NOBODY, _python_for_nobody(), "-c", UNWRITABLE_PROBE, copy_root, os.path.join(locked, "c.json")],
                capture_output=True, text=True, check=True, timeout=60).stdout
        else:
            with pytest.raises(cp.CheckpointError) as raised:
                cp.CheckpointFile(os.path.join(locked, "c.json"), IDENTITY).load()
            answer = str(raised.value)
        assert "is not writable" in answer
    finally:
        os.chmod(os.path.join(base, "locked"), 0o700)
        shutil.rmtree(base)


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Store:
    def __init__(self):
        self.written = []

    def write(self, snapshot):
        self.written.append(json.loads(json.dumps(snapshot)))


def test_rate_limited_writer_writes_changes_at_most_once_per_interval_and_at_the_end():
    clock, store = _Clock(), _Store()
    state = {"n": 0}
    writer = cp.RateLimitedWriter(store, lambda: {"n": state["n"]}, interval=1.0, clock=clock)
    writer.mark_written({"n": 0})
    assert writer.flush() is False, "nothing changed"
    for step in range(1, 101):          # 100 changes within 0.99 s: one write
        state["n"] = step
        clock.now = step / 101
        writer.flush()
    assert store.written == [{"n": 1}]
    clock.now = 1.5
    assert writer.flush() is True and store.written[-1] == {"n": 100}
    state["n"] = 101
    clock.now = 1.6
    assert writer.flush() is False
    assert writer.flush(force=True) is True and store.written[-1] == {"n": 101}


cursor = st.fixed_dictionaries({"last": st.none() | st.integers(-2**31, 2**32),
                                "console": st.none() | st.text(max_size=20)})
snapshots = st.fixed_dictionaries({"version": st.just(1),
                                   "cursors": st.dictionaries(st.text(min_size=1, max_size=40), cursor, max_size=8)})


@settings(max_examples=60, deadline=None)
@given(snapshots, st.integers(0, 400), st.binary(min_size=1, max_size=3))
def test_any_snapshot_round_trips_and_any_damage_is_detected(tmp_path_factory, snapshot, position, garbage):
    data = cp.encode(IDENTITY, snapshot)
    assert cp.decode(data, IDENTITY) == snapshot
    position = position % len(data)
    damaged = data[:position] + garbage + data[position + len(garbage):]
    if damaged == data:
        return
    try:
        decoded = cp.decode(damaged, IDENTITY)
    except cp.CheckpointError:
        return
    # Only damage to what the digest does not cover (the time written, whitespace) may go through.
    assert decoded == snapshot
