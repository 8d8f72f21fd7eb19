# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the source is told of the notifications a receiver's triage dropped: runs of consecutive numbers.

The source must see every notification it drops: its session sequence number (gap detection) and the
sequence numbers of its OS messages (duplicate detection and the recovery cursors). During a storm these
come one after the other: session numbers 41, 42, 43 ... and, per partition, OS numbers 7, 8, 9 ... So a
dropped notification is told as a run ``[topic, first, last, ranges]``: the session sequence numbers first to
last (ints, or both None when the header was missing or unreadable), the topic of the first one (where a gap
before it is reported), and ``ranges``, its OS messages in order as ``[uri, first, last]`` runs of consecutive
numbers (a number may be None: an OS message without one). A run that continues the one before is merged into
it, so a storm's ten thousand routine messages cost the source a few runs, not ten thousand notes.

Numbers are merged only when the next is exactly the last plus one: a wrap of the numbering (which the source
compares wrap-aware) starts a new run, so every run's numbers are the plain integer range first..last.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import to_int


def run_of(topic, session_sequence, messages):
    """The run of one dropped notification: its session-sequence-nr header and its [(uri, OS number)]."""
    number = to_int(session_sequence)
    ranges = []
    for uri, seq in messages:
        _add_range(ranges, [uri, seq, seq])
    return [topic, number, number, ranges]


def add_run(runs, run):
    """Append ``run`` to the list ``runs``, merged into the last run when its session numbers continue it."""
    if runs and _follows(runs[-1][2], run[1]):
        runs[-1][2] = run[2]
        for span in run[3]:
            _add_range(runs[-1][3], span)
    else:
        runs.append(run)


def _add_range(ranges, span):
    """Append the OS message range ``span`` ([uri, first, last]), merged into the last one when it continues it."""
    if ranges and ranges[-1][0] == span[0] and _follows(ranges[-1][2], span[1]):
        ranges[-1][2] = span[2]
    else:
        ranges.append(span)


def _follows(last, number):
    """Whether number is exactly last + 1 (neither missing)."""
    return last is not None and number is not None and number == last + 1
