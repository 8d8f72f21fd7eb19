# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How modules that act on one partition or LPAR select it, documented once."""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cpc_name:
    description: The name of the CPC the partition or LPAR belongs to.
    type: str
  name:
    description:
      - The exact name of the partition or LPAR.
      - Give either O(cpc_name) and O(name), or O(uri).
    type: str
  resource_type:
    description:
      - V(partition) for a partition of a CPC in DPM mode, V(lpar) for an LPAR of a CPC in classic mode.
      - V(auto) takes the type from the mode of the CPC.
    type: str
    choices: [auto, partition, lpar]
    default: auto
  uri:
    description:
      - The object URI of the partition or LPAR instead of O(cpc_name) and O(name), for example
        C(event.hmc.resource.uri) of an event.
    type: str
"""
