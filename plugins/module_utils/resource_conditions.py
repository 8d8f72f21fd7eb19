# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which resource an event is about, by its object URI and its CPC (wait_for_notification's conditions).

A partition or LPAR name is unique only within its CPC: CPC1/PART3 and CPC3/PART3 are different systems, and
a wait for "PART3 is active" must be able to say which one. An object URI names one resource on the console.
The console's object notifications carry the resource's class, name and URI but not its CPC, so the CPC of
a partition or LPAR is read once per URI (its parent property) when a cpcs condition needs it.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError

CPC_URI_PREFIX = "/api/cpcs/"


def exact_values(value, key):
    """A list of exact values from a string or a list of non-empty strings (no splitting, no patterns)."""
    if value is None or value == []:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{key}: expected a string or a list of non-empty strings")
    return list(value)


class ResourcePlace:
    """The cpcs (exact CPC names) and uris (exact object URIs) conditions; either may be empty (no condition)."""

    def __init__(self, cpcs=None, uris=None, option="conditions"):
        self.cpcs = frozenset(exact_values(cpcs, f"{option}.cpcs"))
        self.uris = frozenset(exact_values(uris, f"{option}.uris"))
        self._cpc_of = {}      # resource uri -> cpc name (None when it cannot be read)
        self._cpc_names = {}   # cpc uri -> cpc name

    @property
    def empty(self):
        return not (self.cpcs or self.uris)

    def holds_for_item(self, uri, cpc_name):
        """Whether a listed partition or LPAR (its URI and CPC name, as List Permitted ... returns them) fits."""
        return (not self.uris or uri in self.uris) and (not self.cpcs or cpc_name in self.cpcs)

    def decide(self, resource):
        """True or False for an event's resource section, or None when its CPC must be read first (cpc_of)."""
        uri = resource.get("uri")
        if self.uris and uri not in self.uris:
            return False
        if not self.cpcs:
            return True
        cpc = resource.get("cpc")
        if cpc is None and uri and uri in self._cpc_of:
            cpc = self._cpc_of[uri]
        if cpc is not None:
            return cpc in self.cpcs
        if resource.get("class") == "cpc" or (uri or "").startswith(CPC_URI_PREFIX):
            return resource.get("name") in self.cpcs
        return None if uri else False

    def cpc_of(self, client, uri):
        """The name of the CPC a partition or LPAR belongs to, read once per URI; None when it cannot be read:
        such an event does not match. Only "gone" and "not permitted" are remembered; the next event of that
        resource tries again after any other failure."""
        if uri in self._cpc_of:
            return self._cpc_of[uri]
        try:
            parent = client.get_properties(uri).get("parent")
            if parent and parent not in self._cpc_names:
                self._cpc_names[parent] = client.get_properties(parent).get("name")
        except HmcError as err:
            if err.status in (403, 404):
                self._cpc_of[uri] = None
            return None
        self._cpc_of[uri] = self._cpc_names.get(parent)
        return self._cpc_of[uri]
