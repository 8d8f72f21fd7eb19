# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refusing a dependency release the collection cannot work correctly with, with the reason and the fix.

The sources check stomp.py and oslo.messaging when they load them, so that a release with a known fault is
named at start instead of showing up later as lost connections or unchecked certificates.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001


def too_old(package, version, minimum, why, pip_name):
    """Why ``version`` (the installed version text) of ``package`` is below ``minimum`` (major, minor), with
    ``why`` that matters and the pip command that fixes it; None when it will do, or when the text cannot be
    read (a development build: let it run)."""
    try:
        found = tuple(int(part) for part in str(version).split(".")[:2])
    except ValueError:
        return None
    if found >= tuple(minimum):
        return None
    wanted = ".".join(map(str, minimum))
    return (f"{package} {version} is installed, {wanted} or later is required ({why}): "
            f"pip install '{pip_name}>={wanted}'")
