"""What the tests read about the source's receiver processes from /proc."""

import os


def receiver_children(parent):
    """PIDs of parent's receiver processes (from /proc: their parent and command line)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"receiver_child" in command:
            found.append(int(entry))
    return found


def scheduling(pid):
    """(nice value, autogroup nice value or None) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        nice = int(handle.read().rsplit(")", 1)[1].split()[16])
    try:
        with open(f"/proc/{pid}/autogroup") as handle:
            return nice, int(handle.read().split()[-1])
    except FileNotFoundError:
        return nice, None
