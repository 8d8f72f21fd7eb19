"""The decision environment definition: valid for ansible-builder, on the documented base image, with
JAVA_TOOL_OPTIONS=-Xrs and the ansible-core / ansible-rulebook range the version matrix tests.

`ansible-builder create` validates the definition and writes the build context without pulling the base
image; building needs a registry this machine cannot reach, so the written Containerfile is what is checked.
"""

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "extensions/eda/decision-environment.yml"
DE_MINIMAL = "registry.redhat.io/ansible-automation-platform-25/de-minimal-rhel9"


def matrix():
    rows = [line.split("#", 1)[0].split() for line in (ROOT / "tests/version-matrix.txt").read_text().splitlines()]
    return [row for row in rows if row]


def specifier(requirement):
    return Requirement(requirement).specifier


def test_ansible_builder_writes_the_build_context(tmp_path):
    builder = Path(sys.executable).parent / "ansible-builder"
    subprocess.run([str(builder), "create", "-f", str(DEFINITION), "-c", str(tmp_path), "--output-filename",
                    "Containerfile"], check=True, capture_output=True, text=True)
    containerfile = (tmp_path / "Containerfile").read_text()
    assert f'EE_BASE_IMAGE="{DE_MINIMAL}:latest"' in containerfile
    final_stage = containerfile.rsplit("\nFROM ", 1)[1]
    assert "ENV JAVA_TOOL_OPTIONS=-Xrs" in final_stage
    assert (tmp_path / "_build/requirements.yml").read_text().count("zhmc.notifications") == 1


def test_versions_are_the_tested_ones():
    dependencies = yaml.safe_load(DEFINITION.read_text())["dependencies"]
    core = specifier(dependencies["ansible_core"]["package_pip"])
    rulebook = specifier(next(req for req in dependencies["python"] if req.startswith("ansible-rulebook")))
    oldest_core, oldest_rulebook, _steps = matrix()[0]
    for minor, _rulebook, _steps in matrix():
        assert core.contains(f"{minor}.0")
    assert core.contains(version("ansible-core")) and rulebook.contains(version("ansible-rulebook"))
    assert rulebook.contains(oldest_rulebook)
    requires = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())["requires_ansible"]
    major, minor = oldest_core.split(".")
    assert requires == f">={oldest_core}.0" and not core.contains(f"{major}.{int(minor) - 1}.0")
