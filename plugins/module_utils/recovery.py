# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bookkeeping that makes a connection fault lose and double nothing.

Pure state, no I/O. Notification sequence gaps are counted per console
session, so a gap inside a session that survived an outage is reported as
notifications-missed; status snapshots are compared to report changes that
happened unseen. OS message de-duplication lives in cursors.py.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta


class SessionSequence:
    """Gap detection on session-sequence-nr.

    The number counts the notifications of one receiving session. A console
    that restarts numbering for a new connection (as hmcsim does) shows a
    step back, which resets the count instead of reporting a gap.
    """

    def __init__(self):
        self._last = {}

    def missed(self, session, seq, through=None):
        """How many notifications were skipped before seq in this session (0 for none); with through, the
        notifications seq..through (consecutive, as a drop_notes run) were all seen."""
        if seq is None:
            return 0
        last = self._last.get(session)
        self._last[session] = seq if through is None else through
        if last is None:
            return 0
        step = seq_delta(seq, last)
        return step - 1 if step > 1 else 0


def status_changes(before, after):
    """[(uri, old, new)] for resources whose status differs between two {uri: status} snapshots."""
    return [(uri, before[uri], status) for uri, status in after.items()
            if uri in before and status is not None and before[uri] != status]
