# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module of the collection shares, documented once."""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  hmc_host:
    description:
      - The console (HMC, or SE for BCPii) to talk to, as C(host) or C(host:port) (WS API port, default 6794).
      - A list names redundant consoles; they are tried in order when logging on. A console that cannot be
        reached is skipped, one that answers with an error is not.
      - Defaults to the environment variable E(ZHMC_HOST) (several consoles separated by commas).
    type: raw
    required: true
  hmc_auth:
    description:
      - How to authenticate with the console and verify its certificate.
      - Give O(hmc_auth.userid) and O(hmc_auth.password) to log on for this task (the session is logged off
        at the end), or O(hmc_auth.session_id) and O(hmc_auth.session_credential) of a session created by
        M(zhmc.notifications.session) to reuse it.
    type: dict
    suboptions:
      userid:
        description:
          - The console user. Defaults to the environment variable E(ZHMC_USERID).
        type: str
      password:
        description:
          - The password of O(hmc_auth.userid). Defaults to the environment variable E(ZHMC_PASSWORD).
          - When given together with a session id, the module logs on again if the console invalidated the
            session (for example after a restart).
        type: str
      session_id:
        description:
          - The id of an existing session to use, as returned by M(zhmc.notifications.session). Such a
            session is never logged off by the module.
        type: str
      session_credential:
        description:
          - The credential of that session (used by the event source to log on to the notification broker).
        type: str
      ca_certs:
        description:
          - A CA certificate file or directory used to verify the console's certificate. Without it, the
            system's or Python's default CA bundle is used. Defaults to the environment variable
            E(ZHMC_CA_CERTS).
        type: path
      verify:
        description:
          - Whether to verify the console's certificate. V(false) is insecure and emits a warning.
          - Defaults to the environment variable E(ZHMC_VERIFY), or V(true).
        type: bool
        default: true
notes:
  - Passwords, session ids and session credentials are never returned or logged, except the new session
    returned by M(zhmc.notifications.session) (set C(no_log) on that task).
requirements:
  - requests >= 2.28
"""
