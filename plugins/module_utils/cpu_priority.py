# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lower CPU priority for the receiver process, so that reading a storm yields to the playbooks it starts.

During an IPL storm the receiver process reads and parses thousands of routine frames a second that the filters
then drop, while a held message's reply playbook waits for the same cores. The receiver can afford to wait (the
broker keeps what it has not read yet, nothing is lost, and held_lookahead brings a held message past the
stream), a reply cannot. Linux first shares the CPU between the autogroups of sessions
(kernel.sched_autogroup_enabled), and the receiver runs in a session of its own, so a nice value alone would
change nothing there: its autogroup's nice value is raised as well. Neither needs a privilege. Where one cannot
be changed (no autogroups, a read-only /proc, another OS) the other still applies, and what was done is logged.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import os

AUTOGROUP = "/proc/self/autogroup"
MAX_NICE = 19


def lower(nice, autogroup=AUTOGROUP):
    """Raise this process's nice value, and its autogroup's, to nice (1..19); one it already has above that stays.

    Call it before any thread starts: a thread takes the nice value of the thread that starts it. Returns what
    was set, for the log ("nice 10", "autogroup nice 10"), a part that could not be set with the reason.
    """
    current = os.nice(0)
    target = max(nice, current)
    done = []
    try:
        done.append(f"nice {os.nice(target - current)}")
    except OSError as err:
        done.append(f"nice not changed: {err.strerror or err}")
    try:
        with open(autogroup, "w") as handle:
            handle.write(str(target))
        done.append(f"autogroup nice {target}")
    except OSError as err:
        done.append(f"autogroup nice not changed: {err.strerror or err}")
    return done
