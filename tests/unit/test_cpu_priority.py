"""cpu_priority.lower, each case in a process of its own (a nice value cannot be taken back)."""

import json
import os
import subprocess
import sys

from ansible_collections.zhmc.notifications.plugins.module_utils import cpu_priority

PROGRAM = """
import json, os, sys
from ansible_collections.zhmc.notifications.plugins.module_utils import cpu_priority
args = json.loads(sys.argv[1])
done = cpu_priority.lower(*args)
kernel = open(cpu_priority.AUTOGROUP).read() if os.path.exists(cpu_priority.AUTOGROUP) else None
print(json.dumps({"done": done, "nice": os.nice(0), "kernel": kernel}))
"""


def lowered(*args, start_nice=0):
    """What lower(*args) did in a new session (an autogroup of its own, as the receiver process has)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))  # the collection as imported here
    result = subprocess.run([sys.executable, "-c", PROGRAM, json.dumps(args)], capture_output=True, text=True,
                            check=True, start_new_session=True, env=env, preexec_fn=lambda: os.nice(start_nice))
    return json.loads(result.stdout)


def test_the_nice_value_and_the_autogroups_are_raised(tmp_path):
    autogroup = tmp_path / "autogroup"
    result = lowered(7, str(autogroup))
    assert (result["done"], result["nice"]) == (["nice 7", "autogroup nice 7"], 7)
    assert autogroup.read_text() == "7"


def test_never_above_the_priority_it_has(tmp_path):
    autogroup = tmp_path / "autogroup"
    result = lowered(5, str(autogroup), start_nice=12)
    assert result["nice"] == 12 and autogroup.read_text() == "12"


def test_an_autogroup_that_cannot_be_written_leaves_the_nice_value_set(tmp_path):
    result = lowered(9, str(tmp_path))  # a folder: open() for writing fails
    assert result["nice"] == 9
    assert result["done"][0] == "nice 9" and result["done"][1].startswith("autogroup nice not changed: ")


def test_the_kernels_autogroup():
    """On this machine's Linux: /proc/self/autogroup takes the value; without autogroups the reason is told."""
    result = lowered(6)
    if os.path.exists(cpu_priority.AUTOGROUP):
        assert result["done"] == ["nice 6", "autogroup nice 6"]
        assert result["kernel"].split()[-2:] == ["nice", "6"], result["kernel"]
    else:
        assert result["done"][1].startswith("autogroup nice not changed: ")
