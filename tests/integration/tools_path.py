"""Paths inside the installed collection, for tests that run its files directly."""

from pathlib import Path


def installed_source(collections: Path, name: str) -> Path:
    return collections / "ansible_collections" / "zhmc" / "notifications" / "extensions" / "eda" / "plugins" / \
        "event_source" / f"{name}.py"
