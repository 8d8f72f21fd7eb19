# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery cursors: per covered partition/LPAR, the last OS message sequence number delivered.

A cursor exists from the moment a resource is covered (its OS message channel is subscribed and the broker
confirmed it), seeded with the console's newest sequence number at that moment, so that an outage of a quiet
system is recovered like that of a busy one. It advances only after an event was handed to the consumer, so a
snapshot never claims more than was delivered. OS message sequence numbers belong to the partition/LPAR (its
operating system numbers them), not to the console session or the console, so cursors are keyed by the
resource URI alone and stay valid across re-logon, console restart and failover; the console that delivered
last is kept for diagnosis only.

Pure state, no I/O; snapshot() and restore() use plain dicts (JSON-ready) so a checkpoint can persist them.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import collections
import zlib

from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta

SNAPSHOT_VERSION = 1
RECENT = 4096
"""Delivered messages whose text is remembered per resource, to tell a repeat from a new numbering."""

NEW = "new"
DUPLICATE = "duplicate"
RENUMBERED = "renumbered"


class RecoveryCursors:
    """Cursor per resource URI: {"last": int or None, "since": int or None, "console": str or None}.

    last None means: covered while the console kept no message of it, so every message it keeps later is new;
    with since (console milliseconds), only kept messages stamped at or after that time are new (a system
    noticed coming up, or added, while no sequence number of it was known; see docs/source.md).
    """

    def __init__(self):
        self._cursors = {}
        self._recent = {}

    # -- coverage -------------------------------------------------------------------------------------

    def cover(self, uri, latest, console=None):
        """Start tracking uri at the console's newest sequence number ``latest`` (None: it keeps none).

        A resource already covered (earlier connection, restored checkpoint) keeps its cursor: recovery must
        start where delivery stopped, not where the console is now. Returns True when the cursor is new.
        """
        if uri in self._cursors:
            return False
        self._cursors[uri] = {"last": latest, "since": None, "console": console}
        self._recent[uri] = _Run(latest)
        return True

    def cover_since(self, uri, since_ms, console=None):
        """Start tracking uri with no known sequence number: messages stamped at or after since_ms are new.
        A covered uri keeps its cursor (returns False)."""
        if not self.cover(uri, None, console):
            return False
        self._cursors[uri]["since"] = since_ms
        return True

    def since(self, uri):
        """Console time (ms) from which kept messages are new while no sequence number is known, else None."""
        cursor = self._cursors.get(uri)
        return None if cursor is None or cursor["last"] is not None else cursor["since"]

    def covered(self, uri):
        return uri in self._cursors

    def forget(self, uri):
        """Stop tracking a resource that went away (inventory remove)."""
        self._cursors.pop(uri, None)
        self._recent.pop(uri, None)

    def uris(self):
        return list(self._cursors)

    # -- delivery -------------------------------------------------------------------------------------

    def last(self, uri):
        """The last delivered (or seeded) sequence number, None when none."""
        cursor = self._cursors.get(uri)
        return None if cursor is None else cursor["last"]

    def resume_from(self, uri):
        """First sequence number List OS Messages should return for uri; None means every message it keeps."""
        last = self.last(uri)
        return None if last is None else last + 1

    def classify(self, uri, seq, text=None):
        """NEW, DUPLICATE or RENUMBERED for a message of uri with sequence number seq and text.

        Newer than the cursor (wrap-aware): NEW. A step back within the numbers delivered since the current
        numbering began (a message delivered live and recovered, however long the overlap): DUPLICATE,
        unless it is one of the last RECENT messages delivered and its text differs. A step back before the
        start of the current numbering, or onto a remembered number with another text: the operating system
        numbers anew (RENUMBERED), and the message is delivered. Messages without a number, and of resources
        not covered, are NEW.
        """
        if seq is None or uri not in self._cursors:
            return NEW
        last = self._cursors[uri]["last"]
        if last is None or seq_delta(seq, last) > 0:
            return NEW
        run = self._recent[uri]
        remembered = run.texts.get(seq)
        if remembered is not None:
            return DUPLICATE if text is None or remembered == _digest(text) else RENUMBERED
        if run.first is None or seq_delta(seq, run.first) >= 0:
            return DUPLICATE
        return RENUMBERED

    def advance(self, uri, seq, console=None, text=None):
        """Record that the message seq of uri was handed to the consumer (covers uri if needed); a number
        not after the cursor starts a new numbering there."""
        if seq is None or uri is None:
            return
        if uri not in self._cursors:
            self.cover(uri, None, console)
        cursor = self._cursors[uri]
        run = self._recent[uri]
        if cursor["last"] is not None and seq_delta(seq, cursor["last"]) <= 0:
            run.restart(seq)
        elif run.first is None:
            run.first = seq
        cursor["last"] = seq
        cursor["since"] = None
        if console is not None:
            cursor["console"] = console
        run.remember(seq, text)

    def pass_over(self, uri, first, last, console=None):
        """The OS messages first..last of uri (consecutive numbers, or one None) were read and not delivered:
        each moves the cursor as a delivered one does, unless it is a duplicate.

        Once one of them is not a duplicate, every later one is newer than the cursor, so the cursor goes
        straight to last, leaving it as advancing one by one would.
        """
        for seq in (first,) if first is None or last is None else range(first, last + 1):
            if self.classify(uri, seq) != DUPLICATE:
                self.advance(uri, seq, console)
                if seq != last:
                    self.advance(uri, last, console)
                return

    # -- persistence ----------------------------------------------------------------------------------

    def snapshot(self):
        """{"version": 1, "cursors": {uri: {"last": int|None, "since": int|None, "console": str|None}}}: a
        JSON-ready copy."""
        return {"version": SNAPSHOT_VERSION,
                "cursors": {uri: dict(cursor) for uri, cursor in self._cursors.items()}}

    def restore(self, snapshot):
        """Take cursors from a snapshot(); ValueError names what is wrong, and nothing is changed then.

        Restored cursors replace current ones of the same URI (a checkpoint is read before anything is
        covered); the current numbering starts at the restored number, with no text remembered.
        """
        cursors = _checked(snapshot)
        for uri, cursor in cursors.items():
            self._cursors[uri] = cursor
            self._recent[uri] = _Run(cursor["last"])


class _Run:
    """The current numbering of one resource: where it began, and the texts of the last RECENT messages."""

    __slots__ = ("first", "texts")

    def __init__(self, first):
        self.first = first
        self.texts = collections.OrderedDict()

    def restart(self, first):
        self.first = first
        self.texts.clear()

    def remember(self, seq, text):
        if text is None:
            return
        self.texts[seq] = _digest(text)
        if len(self.texts) > RECENT:
            self.texts.popitem(last=False)


def _digest(text):
    return zlib.crc32(text.encode("utf-8", "replace"))


def _checked(snapshot):
    if not isinstance(snapshot, dict):
        raise ValueError(f"cursor snapshot: expected a dictionary, got {type(snapshot).__name__}")
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"cursor snapshot: unsupported version {snapshot.get('version')!r}, "
                         f"expected {SNAPSHOT_VERSION}")
    cursors = snapshot.get("cursors")
    if not isinstance(cursors, dict):
        raise ValueError("cursor snapshot: 'cursors' must be a dictionary of resource URI to cursor")
    result = {}
    for uri, cursor in cursors.items():
        if not isinstance(uri, str) or not uri:
            raise ValueError(f"cursor snapshot: resource URI must be a non-empty string, got {uri!r}")
        if not isinstance(cursor, dict):
            raise ValueError(f"cursor snapshot: cursor of {uri} must be a dictionary")
        last = cursor.get("last")
        if last is not None and (isinstance(last, bool) or not isinstance(last, int)):
            raise ValueError(f"cursor snapshot: 'last' of {uri} must be an integer or null, got {last!r}")
        since = cursor.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise ValueError(f"cursor snapshot: 'since' of {uri} must be an integer or null, got {since!r}")
        console = cursor.get("console")
        if console is not None and not isinstance(console, str):
            raise ValueError(f"cursor snapshot: 'console' of {uri} must be a string or null, got {console!r}")
        result[uri] = {"last": last, "since": since, "console": console}
    return result
