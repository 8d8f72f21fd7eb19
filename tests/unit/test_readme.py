"""README.md as Galaxy and Automation Hub render it: the certified layout, the two commands first, and only
absolute links (Automation Hub breaks relative ones) into this collection's repository."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SECTIONS = ["Description", "Requirements", "Installation", "Use cases", "Testing", "Contributing", "Support",
            "Release notes", "Related information", "License"]


def test_the_two_commands_come_first():
    before_any_section = README.split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", before_any_section, re.DOTALL).group(1).splitlines()
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]


def test_certified_sections_in_order():
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert [heading for heading in headings if heading in SECTIONS] == SECTIONS


def test_links_are_absolute_and_point_into_the_repository():
    repository = yaml.safe_load((ROOT / "galaxy.yml").read_text())["repository"]
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    assert targets
    assert [target for target in targets if not target.startswith(("https://", "#"))] == []
    own = [target for target in targets if target.startswith(repository)]
    for target in own:
        path = target[len(repository):]
        match = re.match(r"^/(?:blob|tree)/main/([^#]+)", path)
        if match:
            assert (ROOT / match.group(1)).exists() or match.group(1) == "CHANGELOG.rst", target
    assert len(own) >= 10
