# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checkpoint file: where the source stopped, so that a restart resumes there.

The file holds the recovery cursors (per partition/LPAR, the last OS message sequence number delivered) of one
source, together with what makes them meaningful: the consoles and the OS message subscriptions they were
written for. A checkpoint of another console or another subscription would make the source skip or repeat
messages, so it is refused with a clear error instead of being trusted; a file that does not parse, or whose
digest does not match its content, is refused the same way. A missing file is a fresh start.

Writes are atomic (temporary file in the same folder, fsync, rename, fsync of the folder), so a crash at any
moment leaves either the old or the new checkpoint, never a torn one.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import contextlib
import hashlib
import json
import os
import tempfile
import time

FORMAT = "zhmc.notifications.checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """The checkpoint cannot be used: unreadable, corrupt, foreign, or its folder is not writable."""


def identity(hosts, os_messages):
    """What a checkpoint belongs to: the configured consoles and the OS message subscriptions.

    hosts: the configured "host:port" list; os_messages: the validated subscriptions.os_messages entries.
    """
    return {"consoles": sorted(str(host) for host in hosts), "os_messages": _plain(os_messages)}


def _plain(value):
    """A JSON round trip: the form the identity has after it was read back from a file."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _digest(identity_, cursors):
    text = json.dumps({"identity": identity_, "cursors": cursors}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(identity_, cursors, now=None):
    """The file content (bytes) for a cursors snapshot."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now)),
        "identity": identity_,
        "cursors": cursors,
        "digest": _digest(identity_, cursors),
    }
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")


def decode(data, expected_identity, where="checkpoint"):
    """The cursors snapshot from file content; CheckpointError says what is wrong with it."""
    try:
        document = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError) as err:
        raise CheckpointError(f"{where} is corrupt (not JSON: {err}); remove it to start afresh") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(f"{where} is not a zhmc.notifications checkpoint")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{where} has version {document.get('version')!r}; this source reads version "
                              f"{VERSION}")
    cursors = document.get("cursors")
    if not isinstance(cursors, dict) or document.get("digest") != _digest(document.get("identity"), cursors):
        raise CheckpointError(f"{where} is corrupt (its digest does not match its content); remove it to start "
                              f"afresh")
    found = document.get("identity") or {}
    expected = _plain(expected_identity)
    if found.get("consoles") != expected["consoles"]:
        raise CheckpointError(f"{where} was written for console(s) {', '.join(found.get('consoles') or [])}, not "
                              f"{', '.join(expected['consoles'])}: another source's checkpoint? Give each source "
                              f"its own file, or remove it to start afresh")
    if found.get("os_messages") != expected["os_messages"]:
        raise CheckpointError(f"{where} was written for other OS message subscriptions "
                              f"({json.dumps(found.get('os_messages'))}): another source's checkpoint? Give each "
                              f"source its own file, or remove it to start afresh")
    return cursors


class CheckpointFile:
    """One checkpoint file of one source: load() once at start, write() whenever the cursors moved."""

    def __init__(self, path, identity_):
        self.path = os.path.abspath(os.path.expanduser(str(path)))
        self.identity = _plain(identity_)
        self.writes = 0

    def load(self):
        """The cursors snapshot, or None when there is no checkpoint yet (a fresh start).

        Also makes the folder (only the owner may read it) and checks that it is writable, so that a wrong path
        fails at start, not at the first write.
        """
        folder = os.path.dirname(self.path)
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError as err:
            raise CheckpointError(f"checkpoint {self.path}: cannot make folder {folder}: {err.strerror}") from None
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
            raise CheckpointError(f"checkpoint {self.path}: folder {folder} is not writable")
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise CheckpointError(f"checkpoint {self.path} cannot be read: {err.strerror}") from None
        return decode(data, self.identity, where=f"checkpoint {self.path}")

    def write(self, cursors):
        """Replace the checkpoint atomically with this cursors snapshot (blocking: fsync)."""
        data = encode(self.identity, cursors)
        folder = os.path.dirname(self.path)
        handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(self.path) + ".", suffix=".tmp",
                                             dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_folder(folder)
        self.writes += 1


def _fsync_folder(folder):
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class RateLimitedWriter:
    """Writes a changing snapshot at most once per interval, and once more at the end.

    snapshot: a callable returning the current cursors snapshot (a JSON-ready dict). During a message storm
    the cursors move thousands of times a second; writing each would cost an fsync each, so the file is
    brought up to date every ``interval`` seconds (when it changed) and at close.
    """

    def __init__(self, store, snapshot, interval=1.0, clock=time.monotonic):
        self.store = store
        self.snapshot = snapshot
        self.interval = interval
        self._clock = clock
        self._written = None
        self._last_time = None

    def take(self, force=False):
        """The snapshot to write now, or None: unchanged, or (unless force) the interval has not passed.

        Taken in the thread that changes the cursors; the write itself may then run elsewhere.
        """
        current = self.snapshot()
        if current == self._written:
            return None
        if not force and self._last_time is not None and self._clock() - self._last_time < self.interval:
            return None
        return current

    def write(self, snapshot):
        """Write a snapshot from take() (blocking)."""
        self.store.write(snapshot)
        self._written = snapshot
        self._last_time = self._clock()

    def flush(self, force=False):
        """take() and write(); True when written."""
        current = self.take(force)
        if current is None:
            return False
        self.write(current)
        return True

    def knows(self, uri):
        """True when the file on disk has a cursor for this resource."""
        return uri in ((self._written or {}).get("cursors") or {})

    def mark_written(self, snapshot):
        """The snapshot that is already on file (the one loaded at start)."""
        self._written = snapshot
