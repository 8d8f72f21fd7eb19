# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base every module of the collection runs on.

A module declares its own options and a ``perform(task)`` function; this base adds the shared connection
options, builds the console client, turns ``HmcError`` into ``fail_json`` with the console's message, logs
off a session it created itself (never one passed in as ``hmc_auth.session_id``), drops the diff when it was
not asked for and makes sure no password or session secret ends up in the result.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.zhmc.notifications.plugins.module_utils import log_secrets
from ansible_collections.zhmc.notifications.plugins.module_utils.connection import (
    ENV_AUTH,
    ENV_HOST,
    client_options,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import (
    MASK,
    REQUESTS_IMPORT_ERROR,
    RESOURCE_KINDS,
    HmcClient,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError


def connection_argument_spec():
    """hmc_host, hmc_auth and hmc_timeouts as documented in the connection doc fragment, with ZHMC_* fallbacks.

    hmc_timeouts has no defaults here: connection.parse_hmc_timeouts applies them, the same for the source."""
    return {
        "hmc_host": {"type": "raw", "required": True, "fallback": (env_fallback, [ENV_HOST])},
        "hmc_auth": {
            "type": "dict",
            "apply_defaults": True,
            "options": {
                "userid": {"type": "str", "fallback": (env_fallback, [ENV_AUTH["userid"]])},
                "password": {"type": "str", "no_log": True, "fallback": (env_fallback, [ENV_AUTH["password"]])},
                "session_id": {"type": "str", "no_log": True},
                "session_credential": {"type": "str", "no_log": True},
                "ca_certs": {"type": "path", "fallback": (env_fallback, [ENV_AUTH["ca_certs"]])},
                "verify": {"type": "bool", "default": True, "fallback": (env_fallback, [ENV_AUTH["verify"]])},
            },
        },
        "hmc_timeouts": {
            "type": "dict",
            "options": {
                "connect": {"type": "float"},
                "read": {"type": "float"},
                "retry_period": {"type": "float"},
                "retries": {"type": "int"},
                "retry_delay": {"type": "float"},
            },
        },
    }


RESOURCE_TYPE_OPTION = {"type": "str", "choices": ["auto", "partition", "lpar"], "default": "auto"}
"""The resource_type option of modules that select partitions or LPARs."""

GUEST_OPTIONS = {"cpc_name": {"type": "str"}, "name": {"type": "str"}, "resource_type": RESOURCE_TYPE_OPTION,
                 "uri": {"type": "str"}}
"""The options of modules that act on one partition or LPAR (doc fragment zhmc.notifications.guest); see
locate_guest()."""

GUEST_RULES = {"mutually_exclusive": [("uri", "cpc_name"), ("uri", "name")], "required_one_of": [("uri", "name")],
               "required_together": [("cpc_name", "name")]}
"""Either cpc_name and name, or uri."""

_KINDS = {"partition": "partition", "lpar": "logical-partition"}


def guest_kind(resource_type):
    """The client's kind for a resource_type option value (None for auto: the CPC's mode decides)."""
    return _KINDS.get(resource_type)


def resource_type_of(kind):
    """The resource_type option value for a client kind, as modules return it."""
    return "lpar" if kind == "logical-partition" else "partition"


def uri_kind(uri):
    """partition or logical-partition, from a URI's collection segment; None for anything else."""
    for kind, (segment, _key, _word) in RESOURCE_KINDS.items():
        if uri.startswith(f"/api/{segment}/"):
            return kind
    return None


def checked_uri_kind(task):
    """The kind of the uri option's resource; fails the task, before any request, on a foreign URI."""
    kind = uri_kind(task.params["uri"])
    if kind is None:
        task.fail(f"uri: {task.params['uri']!r} is not the URI of a partition or an LPAR")
    return kind


def locate_guest(task):
    """(uri, kind, properties) of the partition or LPAR that the options cpc_name + name + resource_type, or
    uri, name (modules that act on one partition or LPAR declare these options); fails on a foreign URI."""
    params = task.params
    if params.get("uri"):
        return params["uri"], checked_uri_kind(task), task.client.get_properties(params["uri"])
    guest = task.client.select_guests(params["cpc_name"], guest_kind(params["resource_type"]), [params["name"]])[0]
    return guest["object-uri"], guest["kind"], task.client.get_properties(guest["object-uri"])


def scrub(value, secrets):
    """A copy of a result with every occurrence of a secret in its strings masked."""
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
    return value


class HmcTask:
    """One module run: the AnsibleModule, its parameters, the client and the run's modes.

    ``perform(task)`` returns the result dict (with ``changed``; ``diff`` as {"before", "after"} when it
    can say what changes). A module whose purpose is to hand a session to later tasks calls
    :meth:`keep_session`.
    """

    def __init__(self, argument_spec, **module_kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self.client = None
        self._keep_session = False

    def keep_session(self):
        """Leave the session logged on and allow its id and credential in the result (session module)."""
        self._keep_session = True

    def warn(self, text):
        self.module.warn(text)

    def fail(self, msg, **result):
        """Fail the task with a message a person can act on (after logging off an own session)."""
        secrets = self._secrets()
        self._close()
        self.module.fail_json(**scrub(dict(result, msg=msg), secrets))

    def run(self, perform):
        """Build the client, call perform(self), clean up and exit with its result or the console's error."""
        if REQUESTS_IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        try:
            options = client_options(self.params["hmc_host"], self.params["hmc_auth"], self.params["hmc_timeouts"])
            log_secrets.install()
            self.client = HmcClient(warn=self.module.warn, **options)
        except ValueError as err:
            self.module.fail_json(msg=str(err))
        except HmcError as err:
            self.module.fail_json(msg=str(err))
        try:
            result = perform(self)
        except HmcError as err:
            self.fail(self.explain(err))
        except BaseException:
            self._close()
            raise
        secrets = self._secrets()
        self._close()
        if not self.diff_mode:
            result.pop("diff", None)
        self.module.exit_json(**scrub(result, secrets))

    def explain(self, err):
        """The error text, with a hint when a given session ended and could not be renewed."""
        if err.is_session_expired and not self.client.can_relogon:
            return (f"{err} (the session in hmc_auth.session_id has ended, for example because the console "
                    "restarted: create a new one with zhmc.notifications.session, or also give hmc_auth.userid and "
                    "password so that the module can log on again)")
        return str(err)

    def _secrets(self):
        if self.client is None:
            return []
        kept = (self.client.session_id, self.client.session_credential) if self._keep_session else ()
        return [secret for secret in self.client.secrets() if secret not in kept]

    def _close(self):
        """Log off the session this run created, unless it is handed over; a failure here is only a warning."""
        if self.client is None or not self.client.session_owned or self._keep_session:
            return
        try:
            self.client.logoff()
        except HmcError as err:
            self.module.warn(f"The session created for this task could not be logged off: {err}")
