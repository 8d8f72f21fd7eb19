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
      - When the console in use can no longer be reached, the task logs on to the next console of the list and
        goes on there (this needs O(hmc_auth.userid) and O(hmc_auth.password)). A request that may have reached
        the lost console and is not safe to repeat (for example an OS command) fails instead of being sent again.
      - Defaults to the environment variable E(ZHMC_HOST) (several consoles separated by commas).
    type: raw
    required: true
  hmc_auth:
    description:
      - How to authenticate with the console and verify its certificate.
      - Give O(hmc_auth.userid) and O(hmc_auth.password) to log on for this task (the session is logged off
        at the end), or O(hmc_auth.session_id) and O(hmc_auth.session_credential) of a session created by
        M(zhmc.notifications.session) to reuse it.
      - The C(hmc_auth) returned by C(ibm.ibm_zhmc.zhmc_session) (O(hmc_auth.session_id), O(hmc_auth.ca_certs),
        O(hmc_auth.verify)) works as it is. It has no session credential, so a task that receives notifications
        (M(zhmc.notifications.wait_for_notification)) also needs O(hmc_auth.userid) and O(hmc_auth.password) for
        the broker login, for example from E(ZHMC_USERID) and E(ZHMC_PASSWORD).
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
          - Without it (as with a session from C(ibm.ibm_zhmc.zhmc_session)) the broker login uses
            O(hmc_auth.userid) and O(hmc_auth.password).
        type: str
      ca_certs:
        description:
          - A CA certificate file or directory used to verify the console's certificate, for the WS API and the
            notification broker alike. Defaults to the environment variable E(ZHMC_CA_CERTS).
          - When unset, both trust the system's default CA store as OpenSSL names it (E(SSL_CERT_FILE) and
            E(SSL_CERT_DIR) override it); the certifi bundle and E(REQUESTS_CA_BUNDLE) are not used.
        type: path
      verify:
        description:
          - Whether to verify the console's certificate. V(false) is insecure and emits a warning.
          - Defaults to the environment variable E(ZHMC_VERIFY), or V(true).
        type: bool
        default: true
  hmc_timeouts:
    description:
      - How long to wait for the console and how to retry. Requests that are safe to repeat (reads, logon,
        opening an OS message channel) ride out a console restart; others are retried only a few times and
        only when the console cannot have acted on them (nothing was sent, or it answered HTTP 503).
    type: dict
    suboptions:
      connect:
        description:
          - Seconds to set up a connection (TCP and TLS) to the WS API or the notification broker. Default 10.
        type: float
      read:
        description:
          - Seconds to wait for the answer to a WS API request, and for the broker to confirm subscriptions.
            Default 60.
        type: float
      retry_period:
        description:
          - Seconds during which a request that is safe to repeat is retried while the console answers HTTP 503
            (it is restarting) or, once it answered in this task, cannot be reached. 0 retries it only
            O(hmc_timeouts.retries) times. Default 600.
        type: float
      retries:
        description:
          - How often any other request is retried (HTTP 503, or no connection could be made). Default 2.
        type: int
      retry_delay:
        description:
          - Seconds before the first retry; each further pause doubles, up to 30 seconds. Default 1.
        type: float
notes:
  - Passwords, session ids and session credentials are never returned or logged, except the new session
    returned by M(zhmc.notifications.session), whose result its action plugin hides from the output.
requirements:
  - requests >= 2.28
"""
