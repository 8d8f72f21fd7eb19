"""The shipped credential types: their YAML follows the controllers' credential type rules, and the values they
inject reach the source and the playbooks of the shipped rulebooks unchanged.

The EDA controller renders a credential type in two places. At activation time it renders the extra_vars
and file templates with the credential's inputs (a sandboxed native Jinja environment with StrictUndefined,
so booleans stay booleans) and leaves env templates that use eda.filename alone. In the activation's
container ansible-rulebook writes each file, exposes its path as eda.filename.<name>, renders the env
templates and the rulebook's source arguments with its own renderer (ansible_rulebook.util, used here as is).
The automation controller renders extra_vars with the inputs and tower.filename.<name> (always written) as
strings.
"""

import datetime
import json
import os
from pathlib import Path

import jinja2
import jsonschema
import pytest
import yaml
from ansible_rulebook.util import substitute_variables
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jinja2.nativetypes import NativeEnvironment
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.zhmc.notifications.plugins.module_utils import source_options

ROOT = Path(__file__).resolve().parents[2]
EDA_TYPE = ROOT / "extensions/eda/plugins/event_source/credential_types/hmc"
CONTROLLER_TYPE = ROOT / "extensions/controller/credential_types/hmc"
RULEBOOKS = sorted((ROOT / "extensions/eda/rulebooks").glob("*.yml"))
SCHEMA = json.loads((Path(__file__).parent / "data/credential_type.schema.json").read_text())
SOURCE = "zhmc.notifications.hmc"
ACTIVATION_VARS = {"hmc_host": "hmc1.example.com", "hmc_systems": [{"cpc": "CPC1", "lpars": ["ZOS1"]}],
                   "zhmc_state_dir": "/tmp/zhmc-state", "held_message_replies": [], "message_actions": [],
                   "restart_systems": [], "audit_event_names": []}


class _NativeSandbox(ImmutableSandboxedEnvironment, NativeEnvironment):
    """What the EDA controller renders injectors with."""


CONTROLLER_JINJA = _NativeSandbox(undefined=jinja2.StrictUndefined)
AWX_JINJA = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)


def load(path):
    return yaml.safe_load(path.read_text())


def inputs_with_defaults(fields, given):
    """Unset fields as the controllers fill them: the field's default, else '' (strings) or False (booleans)."""
    result = dict(given)
    for field in fields:
        if field["id"] not in result:
            empty = False if field.get("type") == "boolean" else ""
            result[field["id"]] = field.get("default") or empty
    return result


def render_all(env, templates, context):
    return {key: env.from_string(value).render(context) if "{{" in value else value
            for key, value in templates.items()}


@pytest.fixture(scope="module")
def ca_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test console CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("ZHMC_HOST", "ZHMC_USERID", "ZHMC_PASSWORD", "ZHMC_CA_CERTS", "ZHMC_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def eda_activation(inputs, tmp_path, monkeypatch, activation_vars=None):
    """The variables a rulebook sees in an EDA controller activation holding an "IBM Z HMC" credential."""
    schema, injectors = load(EDA_TYPE / "input.yml"), load(EDA_TYPE / "injectors.yml")
    inputs = inputs_with_defaults(schema["fields"], inputs)
    # The controller, at activation time: credential extra vars over the activation's own, file contents.
    variables = dict(ACTIVATION_VARS if activation_vars is None else activation_vars)
    variables.update(render_all(CONTROLLER_JINJA, injectors.get("extra_vars", {}), inputs))
    contents = render_all(CONTROLLER_JINJA, injectors.get("file", {}), inputs)
    # ansible-rulebook in the container: files written (empty ones are not sent), eda.filename, env vars.
    filenames = {}
    for key, content in contents.items():
        if content:
            path = tmp_path / key.split(".")[1]
            path.write_text(content)
            path.chmod(0o400)
            filenames[key.split(".")[1]] = str(path)
    variables["eda"] = {"filename": filenames}
    for name, value in substitute_variables(injectors.get("env", {}), variables).items():
        monkeypatch.setenv(name, str(value))
    return variables


def hmc_sources(rulebook):
    for ruleset in load(rulebook):
        for source in ruleset["sources"]:
            if SOURCE in source:
                yield source[SOURCE]


def playbook_vars(rulebook):
    for ruleset in load(rulebook):
        for rule in ruleset["rules"]:
            actions = rule.get("actions") or [rule["action"]]
            for action in actions:
                if "run_playbook" in action:
                    yield action["run_playbook"].get("extra_vars", {})


HMC_RULEBOOKS = [path for path in RULEBOOKS if list(hmc_sources(path))]


@pytest.mark.parametrize("path", [EDA_TYPE / "input.yml", EDA_TYPE / "injectors.yml", CONTROLLER_TYPE / "input.yml",
                                  CONTROLLER_TYPE / "injectors.yml"], ids=lambda path: str(path.relative_to(ROOT)))
def test_credential_type_files_follow_the_schema(path):
    jsonschema.validate(load(path), SCHEMA)


@pytest.mark.parametrize("bad", [
    {"fields": [{"id": "EDA_userid", "label": "x"}]},
    {"fields": [{"id": "user-id", "label": "x"}]},
    {"fields": [{"id": "port", "label": "x", "type": "integer"}]},
    {"extra_vars": {"eda": "{{ userid }}"}},
    {"file": {"ca_certs": "{{ ca_certs }}"}},
    {"environment": {"X": "y"}},
])
def test_the_schema_rejects_what_the_controller_rejects(bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


@pytest.mark.parametrize(("folder", "namespace"), [(EDA_TYPE, "eda"), (CONTROLLER_TYPE, "tower")])
def test_injectors_use_only_defined_fields(folder, namespace):
    """As the controllers check a new credential type: every template renders from the input fields alone."""
    schema, injectors = load(folder / "input.yml"), load(folder / "injectors.yml")
    ids = [field["id"] for field in schema["fields"]]
    assert set(schema["required"]) <= set(ids) and len(ids) == len(set(ids))
    context = inputs_with_defaults(schema["fields"], {})
    context[namespace] = {"filename": {key.split(".")[1]: "" for key in injectors.get("file", {})}}
    for section in ("extra_vars", "file", "env"):
        render_all(AWX_JINJA, injectors.get(section, {}), context)  # raises on an undefined name


def test_the_rulebooks_read_every_injected_variable():
    injected = set(load(EDA_TYPE / "injectors.yml")["extra_vars"])
    for path in HMC_RULEBOOKS:
        text = path.read_text()
        assert {name for name in injected if name not in text} == set(), path.name


@pytest.mark.parametrize("rulebook", HMC_RULEBOOKS, ids=lambda path: path.name)
def test_eda_credential_with_ca_reaches_the_source(rulebook, ca_pem, tmp_path, clean_env):
    stale = dict(ACTIVATION_VARS, hmc_ca_certs="/nonexistent/left-in-the-variables.pem")
    variables = eda_activation({"userid": "eda-user", "password": "s3cret!", "ca_certs": ca_pem}, tmp_path,
                               clean_env, stale)
    for args in hmc_sources(rulebook):
        options = source_options.parse(substitute_variables(args, variables))
        connection = options["connection"]
        assert (connection["userid"], connection["password"], connection["verify"]) == ("eda-user", "s3cret!", True)
        assert connection["ca_certs"] == os.environ["ZHMC_CA_CERTS"] == variables["eda"]["filename"]["hmc_ca_certs"]
        assert Path(connection["ca_certs"]).read_text() == ca_pem
        assert connection["hosts"] == ["hmc1.example.com:6794"]
    for extra_vars in playbook_vars(rulebook):
        rendered = substitute_variables({key: value for key, value in extra_vars.items() if key.startswith("hmc_")},
                                        variables)
        if "hmc_password" in rendered:
            assert (rendered["hmc_userid"], rendered["hmc_password"]) == ("eda-user", "s3cret!")
            # the playbooks drop an empty hmc_ca_certs; the modules then read ZHMC_CA_CERTS, inherited
            assert rendered["hmc_ca_certs"] == "" and rendered["hmc_verify"] is True


@pytest.mark.parametrize("rulebook", HMC_RULEBOOKS, ids=lambda path: path.name)
def test_eda_credential_without_ca(rulebook, tmp_path, clean_env):
    variables = eda_activation({"userid": "eda-user", "password": "pw", "verify": False}, tmp_path, clean_env)
    assert variables["eda"]["filename"] == {} and os.environ["ZHMC_CA_CERTS"] == ""
    for args in hmc_sources(rulebook):
        connection = source_options.parse(substitute_variables(args, variables))["connection"]
        assert connection["ca_certs"] is None and connection["verify"] is False


def test_controller_credential_names_the_ca_file_only_when_given(ca_pem):
    schema, injectors = load(CONTROLLER_TYPE / "input.yml"), load(CONTROLLER_TYPE / "injectors.yml")
    tower = {"filename": {"hmc_ca_certs": "/runner/env/tmpXYZ"}}
    with_ca = inputs_with_defaults(schema["fields"], {"userid": "u", "password": "p", "ca_certs": ca_pem})
    rendered = render_all(AWX_JINJA, injectors["extra_vars"], dict(with_ca, tower=tower))
    assert rendered == {"hmc_userid": "u", "hmc_password": "p", "hmc_verify": "True",
                        "hmc_ca_certs": "/runner/env/tmpXYZ"}
    assert render_all(AWX_JINJA, injectors["file"], with_ca) == {"template.hmc_ca_certs": ca_pem}
    without = inputs_with_defaults(schema["fields"], {"userid": "u", "password": "p", "verify": False})
    rendered = render_all(AWX_JINJA, injectors["extra_vars"], dict(without, tower=tower))
    assert (rendered["hmc_ca_certs"], rendered["hmc_verify"]) == ("", "False")


def test_the_playbooks_read_the_controller_variables():
    names = set(load(CONTROLLER_TYPE / "injectors.yml")["extra_vars"])
    for name in ("held_message_reply.yml", "message_action.yml", "restart_resource.yml"):
        text = (ROOT / "playbooks" / name).read_text()
        assert {var for var in names if var not in text} == set(), name
