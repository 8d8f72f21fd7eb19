"""The standard property sets of simulated resources, and the `?properties=` selection of Get Properties.

Real clients read more than hmcsim needs for itself (the zhmc command line's `partition show` walks
`nic-uris`, `cpc list` shows `machine-type`, zhmcclient's Lpar.activate reads the image activation profile), so
every resource carries the properties those clients read, with plausible values. Values that no public document
fixes (serial numbers, processor counts, memory sizes) are hmcsim's choice; tools/hmcsim/README.md lists them.
"""

import zlib

from hmcsim.errors import ApiError

MACHINE = {"machine-type": "3931", "machine-model": "A01"}
"""An IBM z16 (the generation of SE/HMC 2.16)."""


def _serial(name: str) -> str:
    """A stable, made-up 12-character machine serial number per name."""
    return f"02000{zlib.crc32(name.encode()) % 10_000_000:07d}"


def cpc_properties(name: str, dpm: bool, se_version: str) -> dict:
    return {"status": "active" if dpm else "operating", "has-unacceptable-status": False,
            "acceptable-status": ["active"] if dpm else ["operating"], "dpm-enabled": dpm,
            "iml-mode": "dpm" if dpm else "lpar", "se-version": se_version, **MACHINE,
            "machine-serial-number": _serial(name), "is-ensemble-member": False, "is-locked": False,
            "cpc-serial-number": _serial(name), "parent": "/api/console"}


def partition_properties(number: int, guest) -> dict:
    """A DPM partition: the properties zhmcclient's Partition methods and `zhmc partition show` read."""
    return {"type": "ssc" if guest.os_type == "SSC" else "linux", "short-name": guest.name[:8].upper(),
            "partition-id": f"{number:02X}", "os-version": "", "processor-mode": "shared",
            "cp-processors": 0, "ifl-processors": 2, "initial-memory": 8192, "maximum-memory": 8192,
            "reserve-resources": False, "auto-start": False, "boot-device": "none", "nic-uris": [],
            "hba-uris": [], "virtual-function-uris": [], "storage-group-uris": [], "tape-link-uris": [],
            "partition-link-uris": [], "crypto-configuration": None, "degraded-adapters": [],
            "available-features-list": []}


def lpar_properties(number: int, guest, activated: bool) -> dict:
    """A classic-mode LPAR: the properties `zhmc lpar show` and zhmcclient's Lpar methods read."""
    return {"activation-mode": "general" if activated else "not-set", "os-level": "",
            "partition-number": number, "partition-identifier": f"{number:02X}",
            "next-activation-profile-name": guest.name, "last-used-activation-profile": guest.name,
            "workload-manager-enabled": False, "program-status-word-information": [],
            "defined-capacity": 0, "storage-central-allocation": []}


def image_profile_properties(cpc_uri: str, lpar_name: str, os_type: str) -> dict:
    """The image activation profile named like its LPAR (zhmcclient's Lpar.activate reads it after the job)."""
    return {"element-uri": f"{cpc_uri}/image-activation-profiles/{lpar_name}", "parent": cpc_uri,
            "class": "image-activation-profile", "name": lpar_name, "description": f"image profile {lpar_name}",
            "load-at-activation": True, "operating-mode": "general" if os_type != "Linux" else "linux-only"}


def console_properties(console) -> dict:
    return {"object-uri": "/api/console", "object-id": console.object_id, "class": "console", "parent": None,
            "name": console.name, "description": f"simulated {console.type.upper()} {console.name}",
            "version": console.hmc_version, "machine-type": "7D15", "machine-model": "T01",
            "machine-serial-number": _serial(console.name), "is-primary": True}


def select(props: dict, query) -> dict:
    """Get Properties with `?properties=a,b`: only the named properties (names the resource lacks are left out)."""
    wanted = query.get("properties")
    if wanted is None:
        return props
    names = [name for name in wanted.split(",") if name]
    if not names:
        raise ApiError(400, 14, "The properties query parameter names no property.")
    return {name: props[name] for name in names if name in props}
