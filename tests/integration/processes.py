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
    """(nice value, autogroup nice value or None) of a process, from /proc.

    None without autogroups (no such file) and for a process in the kernel's default group, which has no
    autogroup of its own: the file is empty then (PID 1, and what it starts without a new session, as a CI
    runner may start the tests)."""
    nice = int(stat_fields(pid)[16])
    try:
        with open(f"/proc/{pid}/autogroup") as handle:
            shown = handle.read().split()
    except FileNotFoundError:
        return nice, None
    return nice, int(shown[-1]) if shown else None
