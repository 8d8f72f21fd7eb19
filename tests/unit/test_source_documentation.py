"""The event source's DOCUMENTATION, which Galaxy, Automation Hub and the controllers show: every option and
suboption is described and typed, and the suboptions are exactly the keys the source accepts, with the
defaults it applies (ansible-doc has no plugin type for event sources, so nothing else checks this)."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.zhmc.notifications.plugins.module_utils import connection, event_filters, source_options
from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subscriptions_spec

SOURCE = Path(__file__).resolve().parents[2] / "extensions/eda/plugins/event_source/hmc.py"
TYPES = {"str", "int", "float", "bool", "dict", "list", "raw", "path"}


def documentation():
    strings = {node.targets[0].id: node.value.value for node in ast.parse(SOURCE.read_text()).body
               if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
               and isinstance(node.targets[0], ast.Name)}
    return yaml.safe_load(strings["DOCUMENTATION"])


OPTIONS = documentation()["options"]


def walk(options, prefix=""):
    for name, option in options.items():
        yield f"{prefix}{name}", option
        yield from walk(option.get("suboptions", {}), f"{prefix}{name}.")


def accepted_keys(spec):
    """The keys subscriptions.validate accepts where spec has an unknown one, from its error message."""
    with pytest.raises(ValueError, match="unknown key") as caught:
        subscriptions_spec.validate(spec)
    return set(re.search(r"expected (.*)$", str(caught.value)).group(1).split(", "))


def suboptions(path):
    option = {"suboptions": OPTIONS}
    for name in path.split("."):
        option = option["suboptions"][name]
    return option["suboptions"]


def test_version_added_and_author():
    doc = documentation()
    assert doc["version_added"] == "1.0.0" and doc["author"]


@pytest.mark.parametrize(("path", "option"), list(walk(OPTIONS)), ids=lambda value: value if isinstance(value, str)
                         else "")
def test_every_option_is_described_and_typed(path, option):
    assert option.get("description"), path
    assert option.get("type") in TYPES, path
    if option["type"] == "list":
        assert option.get("elements") in TYPES, f"{path}: a list says what its elements are"
    if "suboptions" in option:
        assert option["type"] in ("dict", "list"), path


def test_suboptions_are_the_accepted_keys():
    assert set(suboptions("hmc_auth")) == set(connection.AUTH_FIELDS)
    assert set(suboptions("hmc_timeouts")) == set(connection.TIMEOUT_DEFAULTS)
    assert set(suboptions("reconnect")) == set(source_options.DEFAULTS["reconnect"])
    assert set(suboptions("filters")) == set(event_filters.SOURCE_KEYS)
    assert set(suboptions("subscriptions")) == accepted_keys({"bogus": 1})
    assert set(suboptions("subscriptions.os_messages")) == accepted_keys({"os_messages": [{"cpc": "C", "x": 1}]})
    assert set(suboptions("subscriptions.bcpii")) == accepted_keys({"bcpii": [{"cpc": "C", "x": 1}]})
    assert {"types", "classes"} == accepted_keys({"object_changes": {"x": 1}})


def test_documented_defaults_are_the_applied_ones():
    for name, default in connection.TIMEOUT_DEFAULTS.items():
        assert suboptions("hmc_timeouts")[name]["default"] == default, name
    for name, default in source_options.DEFAULTS["reconnect"].items():
        assert suboptions("reconnect")[name]["default"] == default, name
    assert suboptions("hmc_auth")["verify"]["default"] is True
    assert subscriptions_spec.validate({"bcpii": [{"cpc": "C"}]})["bcpii"][0]["owner_id"] == \
        suboptions("subscriptions.bcpii")["owner_id"]["default"]
