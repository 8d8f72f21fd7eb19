"""The Galaxy artifact: what a user installs with ansible-galaxy is complete and documents itself.

ansible-doc has no plugin type for EDA event sources, so the source's DOCUMENTATION is checked here instead:
it must parse, and its options must be exactly the arguments the source accepts.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
INSTALLED = "ansible_collections/zhmc/notifications"
CHECKOUT = Path(__file__).resolve().parents[2]


def modules_of(root):
    return sorted(p.stem for p in (root / "plugins/modules").glob("*.py") if p.stem != "__init__")


def ansible_doc(collections, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(BIN / "ansible-doc"), *args], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_artifact_holds_the_collection_and_no_dev_files(collections):
    root = collections / INSTALLED
    assert modules_of(root) == modules_of(CHECKOUT)
    for shipped in ("extensions/eda/plugins/event_source/hmc.py", "meta/runtime.yml", "meta/extensions.yml",
                    "requirements.txt", "playbooks/held_message_reply.yml", "extensions/eda/rulebooks/demo.yml",
                    "roles/held_message_responder/tasks/main.yml", "docs/events.md", "LICENSE",
                    "extensions/eda/plugins/event_source/openstack.py", "requirements-openstack.txt",
                    "extensions/eda/decision-environment-openstack.yml", "docs/openstack.md"):
        assert (root / shipped).is_file(), shipped
    for dev_only in ("tools", "benchmarks", "tests/integration", "tests/unit", ".ci", "Makefile", "conftest.py"):
        assert not (root / dev_only).exists(), dev_only
    manifest = json.loads((root / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["namespace"] == "zhmc"
    assert manifest["collection_info"]["name"] == "notifications"


def test_ansible_doc_renders_every_module_of_the_collections(collections):
    modules = modules_of(collections / INSTALLED)
    listed = json.loads(ansible_doc(collections, "--list", "--json", "zhmc.notifications"))
    assert sorted(listed) == [f"zhmc.notifications.{name}" for name in modules]
    docs = json.loads(ansible_doc(collections, "--json", *listed))
    for name in listed:
        doc = docs[name]["doc"]
        assert doc["short_description"], name
        assert {"hmc_host", "hmc_auth"} <= set(doc["options"]), f"{name} lacks the connection options"
        assert docs[name]["examples"].strip(), name
        assert docs[name]["return"], name
    text = ansible_doc(collections, "zhmc.notifications.os_command")
    assert "session_credential" in text and "ca_certs" in text, "the connection doc fragment is rendered"


def test_source_documentation_matches_the_arguments_it_accepts(collections, tmp_path):
    source = collections / INSTALLED / "extensions/eda/plugins/event_source/hmc.py"
    strings = {node.targets[0].id: node.value.value for node in ast.parse(source.read_text()).body
               if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
               and isinstance(node.targets[0], ast.Name)}
    doc = yaml.safe_load(strings["DOCUMENTATION"])
    examples = yaml.safe_load(strings["EXAMPLES"])
    assert doc["short_description"] and doc["description"]

    sys.path.insert(0, str(collections))
    try:
        from ansible_collections.zhmc.notifications.plugins.module_utils import source_options
    finally:
        sys.path.remove(str(collections))
    assert sorted(doc["options"]) == sorted(source_options.KNOWN)
    for name, option in doc["options"].items():
        assert option.get("description"), f"option {name} has no description"
        assert option.get("type"), f"option {name} has no type"
    for name, default in source_options.DEFAULTS.items():
        if default is not None and not isinstance(default, dict):
            assert doc["options"][name]["default"] == default, f"documented default of {name}"
    assert examples, "EXAMPLES holds at least one source entry"
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("placeholder: only its existence is checked at start\n")
    for example in examples:
        [(fqcn, args)] = example.items()
        assert fqcn == "zhmc.notifications.hmc"
        auth = dict(args["hmc_auth"], password="x", userid="u", ca_certs=str(ca_file))
        options = source_options.parse(dict(args, hmc_auth=auth))
        assert options["connection"]["hosts"] == [f"{args['hmc_host']}:6794"]
