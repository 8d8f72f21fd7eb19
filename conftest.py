"""Make the checkout importable as ``ansible_collections.zhmc.notifications`` for every test.

Ansible loads collection code by its fully qualified package name, so tests import it the same way. A
symlink tree under ``.tmp/collections`` points at this checkout; it is also exported as
``ANSIBLE_COLLECTIONS_PATH`` so that ansible-playbook and ansible-doc run by tests find the same code.
"""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
COLLECTIONS_ROOT = REPO_ROOT / ".tmp" / "collections"


def _link_collection():
    link = COLLECTIONS_ROOT / "ansible_collections" / "zhmc" / "notifications"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS_ROOT))
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS_ROOT))


_link_collection()
