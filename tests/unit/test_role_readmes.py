"""Every role has a README (Galaxy and Automation Hub refuse a role without one) that names each variable of
its argument specs, so the two cannot drift apart."""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(path for path in (Path(__file__).resolve().parents[2] / "roles").iterdir() if path.is_dir())


@pytest.mark.parametrize("role", ROLES, ids=lambda path: path.name)
def test_readme_names_every_variable(role):
    readme = (role / "README.md").read_text()
    assert readme.startswith(f"# zhmc.notifications.{role.name}\n")
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    variables = {name for spec in specs.values() for name in spec.get("options", {})}
    assert {name for name in variables if f"`{name}`" not in readme} == set()
