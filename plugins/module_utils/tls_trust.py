# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which CA certificates verify the console, one rule for the WS API (requests) and the broker (stomp.py).

Left to themselves the two libraries disagree: requests trusts certifi's Mozilla bundle (or REQUESTS_CA_BUNDLE),
Python's ssl module the system store. A console whose CA is in one but not the other then half works. So when
hmc_auth.ca_certs is unset both are given the system's default store, as OpenSSL names it (the variables
SSL_CERT_FILE and SSL_CERT_DIR override it, as for every OpenSSL program).
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

import os
import ssl

NO_STORE = ("TLS verification is on but hmc_auth.ca_certs is unset and the system has no default CA store "
            "(set hmc_auth.ca_certs, or SSL_CERT_FILE)")


def default_ca_store():
    """The system's default CA file, or its CA directory when there is no file; None when it has neither."""
    paths = ssl.get_default_verify_paths()
    if paths.cafile and os.path.isfile(paths.cafile):
        return paths.cafile
    if paths.capath and os.path.isdir(paths.capath):
        return paths.capath
    return None


def ca_store(ca_certs, verify):
    """What verifies the console: False (no verification), hmc_auth.ca_certs, or the system's default store.

    ValueError when verification is on and there is nothing to verify with.
    """
    if not verify:
        return False
    if ca_certs:
        return ca_certs
    store = default_ca_store()
    if store is None:
        raise ValueError(NO_STORE)
    return store
