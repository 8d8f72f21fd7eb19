"""What the tests read about the source's receiver processes from /proc."""

import os


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (the state first); OSError when it is gone."""
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def receiver_children(parent):
    """PIDs of parent's receiver processes (from /proc: their parent and command line)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(stat_fields(entry)[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"receiver_child" in command:
            found.append(int(entry))
    return found


def running(pid):
    """Whether the process exists and is not a zombie."""
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def scheduling(pid):
    """(nice value, autogroup nice value or None) of a process, from /proc."""
    nice = int(stat_fields(pid)[16])
    try:
        with open(f"/proc/{pid}/autogroup") as handle:
            return nice, int(handle.read().split()[-1])
    except FileNotFoundError:
        return nice, None
