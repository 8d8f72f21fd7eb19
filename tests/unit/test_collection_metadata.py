"""Collection metadata that Galaxy, Automation Hub and the controllers read: it names only what exists."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_extensions_list_exactly_the_eda_plugin_folders():
    listed = {entry["args"]["ext_dir"] for entry in yaml.safe_load((ROOT / "meta/extensions.yml").read_text())
              ["extensions"]}
    present = {str(path.relative_to(ROOT / "extensions")) for path in (ROOT / "extensions/eda/plugins").iterdir()
               if path.is_dir() and any(path.glob("*.py"))}
    assert listed == present
