# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that speaks the console's WS API (HTTPS, JSON).

Modules and the event source share this client so that session handling (logon, re-logon after a console
restart, logoff), redundant consoles, TLS verification, retries and error reporting behave the same
everywhere. Every failure is raised as :class:`HmcError`; credentials never appear in its text or in logs.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

import logging
import threading
import time
import traceback
import warnings

from ansible_collections.zhmc.notifications.plugins.module_utils import bcpii_api, log_secrets, tls_trust
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_errors import HmcError

try:
    import requests
    import urllib3
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

LOG = logging.getLogger("zhmc.notifications.hmc_client")

RESOURCE_KINDS = {
    "partition": ("partitions", "partitions", "partition"),
    "logical-partition": ("logical-partitions", "logical-partitions", "LPAR"),
}
"""kind -> (URI segment under a CPC, result key of the list operation, word for messages)."""

OS_MESSAGE_TOPIC = "os-message-notification"
ALREADY_OPEN_REASON = 331
OS_NOT_RUNNING_REASON = 332
MASK = "********"


def exact_name_regex(name):
    """Escape a literal name for the console's full-match (Java) regular expression name filters.

    Every ASCII character other than letters, digits and '_' gets a backslash, which both Java and Python
    regular expressions read as the literal character; other characters are left alone because Java rejects
    a backslash before a letter.
    """
    return "".join("\\" + ch if ch.isascii() and not (ch.isalnum() or ch == "_") else ch for ch in name)


def object_id(uri):
    """The object id, i.e. the last segment of an object URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def describe(uri, name=None):
    """How messages name a resource: "partition 'PART1'", or its URI when the name is unknown."""
    for segment, _key, word in RESOURCE_KINDS.values():
        if f"/api/{segment}/" in uri:
            return f"{word} {name!r}" if name else f"{word} {uri}"
    if "/api/cpcs/" in uri:
        return f"cpc {name!r}" if name else f"cpc {uri}"
    return repr(name) if name else uri


class RetryPolicy:
    """Which failed requests are sent again, how often, and after what pause.

    Only failures that cannot have been acted on, or requests that are safe to repeat, are retried:
    connection set-up failures always; lost connections, read timeouts and 502/504 only for idempotent
    requests; 503 (console busy or starting) always. 4xx and other 5xx never: they are answers.
    Requests that are safe to repeat (idempotent ones, logon) are retried for up to period seconds, so that they
    ride out a console restart (503 for minutes); the others at most retries times.
    """

    def __init__(self, retries=2, backoff=1.0, max_delay=30.0, period=0.0):
        self.retries = retries
        self.backoff = backoff
        self.max_delay = max_delay
        self.period = period

    @staticmethod
    def retryable(idempotent, failure=None, status=None):
        """Whether the request may be sent again at all; failure is a kind from :func:`classify_failure`."""
        if failure is not None:
            return failure == "connect" or (failure in ("broken", "timeout") and idempotent)
        return status == 503 or (status in (502, 504) and idempotent)

    def should_retry(self, attempt, idempotent, failure=None, status=None, elapsed=0.0, ride_out=True):
        """attempt counts from 0, elapsed is the time spent on the request so far. ride_out False limits a
        request safe to repeat to the retries count too (a connection failure with another console to try)."""
        if not self.retryable(idempotent, failure, status):
            return False
        if idempotent and ride_out and elapsed + self.delay(attempt) <= self.period:
            return True
        return attempt < self.retries

    def delay(self, attempt):
        """Exponential backoff: backoff, 2*backoff, 4*backoff ... capped at max_delay seconds."""
        return min(self.max_delay, self.backoff * (2 ** attempt))


def classify_failure(exc):
    """Sort a requests exception into tls | connect (nothing was sent) | timeout | broken (sent, maybe seen)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connect"
    return "broken"


def _root_cause(exc):
    """The innermost message of a requests/urllib3 exception chain (the useful part)."""
    cause = exc
    for _depth in range(8):
        inner = getattr(cause, "reason", None)
        if inner is None and cause.args and isinstance(cause.args[0], BaseException):
            inner = cause.args[0]
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    return str(cause)


class HmcClient:
    """A session with one of a list of redundant consoles.

    hosts are ``host:port`` strings tried in order at logon (connection failures move on to the next one,
    HTTP errors do not). With userid and password the client logs on when needed and once more when the
    console reports the session invalid (403 reason 4/5); with only session_id it uses that session as is.
    When the console in use cannot be reached any more and there is another one, the client logs on there (a
    failover: the session of the lost console cannot be logged off) and sends the request again if nothing
    reached the lost console or the request is safe to repeat.
    TLS verification is on unless verify is False; ca_certs is a CA file or directory (the system's default
    store when unset, see tls_trust). timeout is the seconds to wait for an answer, connect_timeout for a
    connection; retries, backoff and retry_period are the :class:`RetryPolicy`. warn receives warnings meant
    for the user (default: the warnings module).

    The client may be used from several threads at once (the event source opens channels in parallel): the
    session is renewed by one thread at a time, and a thread whose request failed with a session that another
    thread has renewed meanwhile uses the new one instead of logging on again.
    """

    def __init__(self, hosts, userid=None, password=None, session_id=None, session_credential=None,
                 ca_certs=None, verify=True, timeout=60, retries=2, warn=None, backoff=1.0, connect_timeout=10,
                 retry_period=0.0):
        if requests is None:
            raise ImportError("the Python library 'requests' is required")
        self.hosts = [hosts] if isinstance(hosts, str) else list(hosts)
        self.userid = userid
        self._password = password
        self.session_id = session_id
        self.session_credential = session_credential
        self.session_owned = False
        self.host = None
        self.object_topic = None
        self.job_topic = None
        self.api_version = None
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = RetryPolicy(retries=retries, backoff=backoff, period=retry_period)
        self._warn = warn or (lambda text: warnings.warn(text, stacklevel=3))
        self._session_lock = threading.RLock()
        self._stopped = threading.Event()
        self._first_host = 0
        self._answered = set()
        log_secrets.remember(password, session_id, session_credential)
        self._http = requests.Session()
        self._http.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        # Passed with every request: a Session-level setting would lose against REQUESTS_CA_BUNDLE.
        try:
            self._verify = tls_trust.ca_store(ca_certs, verify)
        except ValueError as err:
            raise HmcError("Verify the console's certificate", str(err), host=self._hosts_text()) from None
        if not verify:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            self._warn("TLS certificate verification of the console is disabled (hmc_auth.verify is false): "
                       "anyone between this host and the console can read the credentials")

    # -- secrets ------------------------------------------------------------------------------------------

    def secrets(self):
        """The values that must never be shown: password, session id and session credential."""
        return [value for value in (self._password, self.session_id, self.session_credential) if value]

    def scrub(self, text):
        """text with every secret replaced by a mask."""
        for secret in self.secrets():
            text = text.replace(secret, MASK)
        return text

    # -- session ------------------------------------------------------------------------------------------

    @property
    def can_relogon(self):
        return bool(self.userid and self._password)

    def logon(self):
        """Create a new session, trying the consoles in order; replaces any session held before."""
        operation = f"Logon of user {self.userid!r}" if self.userid else "Logon"
        if not self.can_relogon:
            raise HmcError(operation, "no userid and password to log on with (hmc_auth)", host=self._hosts_text())
        with self._session_lock:
            self._forget_session()
            body = {"userid": self.userid, "password": self._password}
            result = self._request("POST", "/api/sessions", operation, body=body, auth=False, idempotent=True)
            log_secrets.remember(result.get("api-session"), result.get("session-credential"))
            self.session_id = result["api-session"]
            self.session_credential = result.get("session-credential")
            self.object_topic = result.get("notification-topic")
            self.job_topic = result.get("job-notification-topic")
            self.api_version = (result.get("api-major-version"), result.get("api-minor-version"))
            self.session_owned = True
            LOG.debug("logged on to %s as %s", self.host, self.userid)

    def logoff(self):
        """End the session; True if a live session was ended, False if there was none or it was invalid."""
        with self._session_lock:
            if not self.session_id:
                return False
            try:
                self._request("DELETE", "/api/sessions/this-session", "Logoff", relogon=False, failover=False)
                return True
            except HmcError as err:
                if err.status == 403:
                    return False
                raise
            finally:
                self._forget_session()

    def stop_retrying(self):
        """From now on every request is sent once, without waiting to retry: a caller that is shutting down
        (the event source when cancelled) is then not held up for minutes by a console that is restarting.
        Pauses that are under way end at once."""
        self._stopped.set()

    def _forget_session(self):
        self.session_id = None
        self.session_credential = None
        self.object_topic = None
        self.job_topic = None
        self.session_owned = False
        self.host = None

    def _current_session(self):
        """(console, session id) to send a request with, logging on first when there is no session."""
        with self._session_lock:
            if not self.session_id:
                self.logon()
            return self.host, self.session_id

    def _renewed_session(self, stale):
        """A session to replace the one the console called invalid; only one thread logs on for it."""
        with self._session_lock:
            if self.session_id in (stale, None):
                LOG.debug("session no longer valid on %s, logging on again", self.host)
                self.logon()
            return self.host, self.session_id

    def _failed_over_session(self, lost_host, stale, err):
        """A session on another console after lost_host could not be reached (logs on once for all threads)."""
        with self._session_lock:
            if self.session_id == stale:
                others = ", ".join(host for host in self.hosts if host != lost_host)
                self._warn(f"console {lost_host} cannot be reached ({err.message}): moving to {others}")
                self._first_host = (self.hosts.index(lost_host) + 1) % len(self.hosts)
                self.logon()
            return self.host, self.session_id

    def _may_fail_over(self, err, idempotent, host):
        """A console that cannot be reached, another one to try, credentials to log on there, and a request
        that did not reach the lost console or may be repeated."""
        if len(self.hosts) < 2 or not self.can_relogon or host not in self.hosts or not err.is_connection_error:
            return False
        return err.failure == "connect" or (err.failure in ("broken", "timeout") and idempotent)

    # -- transport ----------------------------------------------------------------------------------------

    def get(self, uri, operation, params=None):
        return self._request("GET", uri, operation, params=params)

    def post(self, uri, body, operation, idempotent=False):
        return self._request("POST", uri, operation, body=body, idempotent=idempotent)

    def delete(self, uri, operation):
        return self._request("DELETE", uri, operation)

    def _request(self, method, uri, operation, body=None, params=None, auth=True, relogon=True, idempotent=None,
                 failover=True):
        return self._call(method, uri, operation, body, params, auth, relogon, idempotent, failover)[1]

    def _call(self, method, uri, operation, body=None, params=None, auth=True, relogon=True, idempotent=None,
              failover=True):
        """Send one request and return (status, decoded JSON or None); re-logon or fail over at most once."""
        if idempotent is None:
            idempotent = method in ("GET", "DELETE")
        request = (method, uri, operation, body, params, idempotent)
        if not auth:
            response = self._send_to_console(self.host, None, *request)
        else:
            host, session = self._current_session()
            try:
                response = self._send_to_console(host, session, *request)
            except HmcError as err:
                if not (failover and self._may_fail_over(err, idempotent, host)):
                    raise
                host, session = self._failed_over_session(host, session, err)
                response = self._send_to_console(host, session, *request)
            if relogon and self.can_relogon and self._session_expired(response):
                host, session = self._renewed_session(session)
                response = self._send_to_console(host, session, *request)
        if not 200 <= response.status_code < 300:
            raise self._http_error(response, operation)
        if not response.content:
            return response.status_code, None
        return response.status_code, response.json()

    @staticmethod
    def _session_expired(response):
        if response.status_code != 403:
            return False
        return HmcClient._error_body(response).get("reason") in (4, 5)

    def _send_to_console(self, host, session, method, uri, operation, body, params, idempotent):
        """Send to the given console, or pick the first reachable one of the list (from the console after the
        last one lost) when none is given."""
        if host is not None:
            # With another console to move to, a console that cannot be reached is not waited for.
            return self._send(host, session, method, uri, operation, body, params, idempotent,
                              ride_out=len(self.hosts) == 1)
        failures = []
        order = self.hosts[self._first_host:] + self.hosts[:self._first_host]
        for candidate in order:
            try:
                response = self._send(candidate, session, method, uri, operation, body, params, idempotent,
                                      ride_out=len(order) == 1)
            except HmcError as err:
                failures.append(err)
                continue
            with self._session_lock:
                if self.session_id == session:
                    self.host = candidate
            return response
        if len(failures) == 1:
            raise failures[0]
        raise HmcError(operation, "; ".join(f"{err.host}: {err.message}" for err in failures),
                       host=", ".join(order), failure=failures[-1].failure)

    def _send(self, host, session, method, uri, operation, body, params, idempotent, ride_out=True):
        """One console, with the retries of the policy; connection problems become HmcError."""
        headers = {"X-API-Session": session} if session else {}
        url = f"https://{host}{uri}"
        started = time.monotonic()
        attempt = 0
        while True:
            elapsed = time.monotonic() - started
            retry = not self._stopped.is_set()
            try:
                response = self._http.request(method, url, json=body, params=params, headers=headers,
                                              timeout=(self.connect_timeout, self.timeout), verify=self._verify)
            except requests.exceptions.RequestException as exc:
                failure = classify_failure(exc)
                # A console that never answered is more likely misnamed than restarting: no long wait for it.
                ride = ride_out and host in self._answered
                if not (retry and self.retry.should_retry(attempt, idempotent, failure=failure, elapsed=elapsed,
                                                          ride_out=ride)):
                    raise HmcError(operation, self._failure_text(exc, failure), host=host, failure=failure) from None
                LOG.debug("%s %s%s: %s failure, retrying", method, host, uri, failure)
            else:
                self._answered.add(host)
                LOG.debug("%s %s%s -> %s", method, host, uri, response.status_code)
                if not (retry and self.retry.should_retry(attempt, idempotent, status=response.status_code,
                                                          elapsed=elapsed)):
                    return response
            self._stopped.wait(self.retry.delay(attempt))
            attempt += 1

    def _failure_text(self, exc, failure):
        detail = self.scrub(_root_cause(exc))
        if failure == "tls":
            return (f"TLS certificate verification failed ({detail}); set hmc_auth.ca_certs to the CA certificate "
                    "file or directory that signed the console's certificate")
        if failure == "timeout":
            return f"no response within {self.timeout} seconds ({detail})"
        if failure == "connect" and isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"cannot connect within {self.connect_timeout} seconds ({detail})"
        if failure == "broken":
            return f"the connection ended without an answer ({detail})"
        return f"cannot connect ({detail})"

    @staticmethod
    def _error_body(response):
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _http_error(self, response, operation):
        body = self._error_body(response)
        message = body.get("message") or response.reason or response.text[:200]
        host = response.url.split("/")[2] if response.url else self.host
        return HmcError(operation, self.scrub(str(message)), status=response.status_code,
                        reason=body.get("reason"), host=host)

    def _hosts_text(self):
        return self.host or ", ".join(self.hosts)

    def _not_found(self, operation, message):
        return HmcError(operation, message, status=404, host=self._hosts_text())

    # -- console and names --------------------------------------------------------------------------------

    def version(self):
        """Query API Version (no session needed)."""
        return self._request("GET", "/api/version", "Query API Version", auth=False)

    def get_notification_topics(self):
        """The topics of this session, as the console returns them."""
        return self.get("/api/sessions/operations/get-notification-topics", "Get Notification Topics")["topics"]

    def list_cpcs(self, name=None):
        """CPCs whose name fully matches the regular expression name (all when None)."""
        return self.get("/api/cpcs", "List CPCs", params=self._name_filter(name))["cpcs"]

    def find_cpc(self, name):
        """The CPC with exactly this name; HmcError (404) when the console does not show it."""
        for cpc in self.list_cpcs(exact_name_regex(name)):
            if cpc.get("name") == name:
                return cpc
        raise self._not_found(f"Find cpc {name!r}", f"no cpc named {name!r} on this console (or no permission)")

    def list_partitions(self, cpc_uri, name=None):
        return self.list_resources(cpc_uri, "partition", name)

    def list_lpars(self, cpc_uri, name=None):
        return self.list_resources(cpc_uri, "logical-partition", name)

    def list_resources(self, cpc_uri, kind, name=None):
        """Partitions (kind "partition") or LPARs (kind "logical-partition") of a CPC matching regex name."""
        segment, key, word = RESOURCE_KINDS[kind]
        return self.get(f"{cpc_uri}/{segment}", f"List {word}s", params=self._name_filter(name))[key]

    def find_resource(self, cpc_uri, kind, name, cpc_name=None):
        """The partition or LPAR with exactly this name; HmcError (404) naming it when missing."""
        for resource in self.list_resources(cpc_uri, kind, exact_name_regex(name)):
            if resource.get("name") == name:
                return resource
        word = RESOURCE_KINDS[kind][2]
        where = f" on cpc {cpc_name!r}" if cpc_name else ""
        raise self._not_found(f"Find {word} {name!r}", f"no {word} named {name!r}{where} (or no permission)")

    def cpc_guest_kind(self, cpc):
        """"partition" for a CPC in DPM mode, "logical-partition" for one in classic mode."""
        dpm = cpc.get("dpm-enabled")
        if dpm is None:
            dpm = self.get_properties(cpc["object-uri"]).get("dpm-enabled", False)
        return "partition" if dpm else "logical-partition"

    def select_guests(self, cpc_name, kind=None, names=None, name_regex=None):
        """Partitions or LPARs of the named CPC: every one of names (HmcError naming a missing one), or those
        fully matching name_regex. kind None takes the CPC's mode. Items get "kind" and "cpc-name" added."""
        cpc = self.find_cpc(cpc_name)
        kind = kind or self.cpc_guest_kind(cpc)
        if names is None:
            found = self.list_resources(cpc["object-uri"], kind, name_regex)
        else:
            found = [self.find_resource(cpc["object-uri"], kind, name, cpc_name=cpc_name) for name in names]
        return [dict(item, **{"kind": kind, "cpc-name": cpc_name}) for item in found]

    def list_permitted(self, kind):
        """Partitions or LPARs of all CPCs the user may access (HMC 2.14+); items carry cpc-name."""
        segment, key, word = RESOURCE_KINDS[kind]
        return self.get(f"/api/console/operations/list-permitted-{segment}", f"List permitted {word}s")[key]

    def get_properties(self, uri):
        return self.get(uri, f"Get properties of {describe(uri)}")

    @staticmethod
    def _name_filter(name):
        return None if name is None else {"name": name}

    # -- OS messages --------------------------------------------------------------------------------------

    def open_os_message_channel(self, uri, include_refresh=True, name=None):
        """Open the OS message channel of a partition or LPAR in this session.

        Returns {"topic", "opened", "already_open", "os_not_running", "message"}: an already open channel
        (409 reason 331) is looked up in the session's topics, an OS that does not run or support messages
        (409 reason 332) is reported rather than raised.
        """
        operation = f"Open OS Message Channel for {describe(uri, name)}"
        outcome = {"topic": None, "opened": False, "already_open": False, "os_not_running": False, "message": ""}
        try:
            result = self.post(f"{uri}/operations/open-os-message-channel",
                               {"include-refresh-messages": include_refresh}, operation, idempotent=True)
        except HmcError as err:
            if err.status == 409 and err.reason == ALREADY_OPEN_REASON:
                outcome.update(topic=self.find_os_message_topic(uri), already_open=True, message=err.message)
                return outcome
            if err.status == 409 and err.reason == OS_NOT_RUNNING_REASON:
                outcome.update(os_not_running=True, message=err.message)
                return outcome
            raise
        outcome.update(topic=result["topic-name"], opened=True)
        return outcome

    def find_os_message_topic(self, uri):
        """The name of this session's OS message topic for the resource, or None (compared by object id)."""
        wanted = object_id(uri)
        for topic in self.get_notification_topics():
            if topic.get("topic-type") == OS_MESSAGE_TOPIC and object_id(topic.get("object-uri") or "") == wanted:
                return topic["topic-name"]
        return None

    def list_os_messages(self, uri, begin=None, end=None, name=None, held=None):
        """Recent OS messages, optionally limited to a sequence number range and to held (True) or other (False)
        messages: {"os-messages": [...]}."""
        params = {}
        if begin is not None:
            params["begin-sequence-number"] = begin
        if end is not None:
            params["end-sequence-number"] = end
        if held is not None:
            params["is-held"] = "true" if held else "false"
        return self.get(f"{uri}/operations/list-os-messages", f"List OS Messages of {describe(uri, name)}",
                        params=params or None)

    def send_os_command(self, uri, text, priority=False, name=None):
        """Send an operating system command (replies to held messages are commands too); never logs text."""
        body = {"operating-system-command-text": text, "is-priority": priority}
        self.post(f"{uri}/operations/send-os-cmd", body, f"Send OS Command to {describe(uri, name)}")

    # -- jobs ---------------------------------------------------------------------------------------------

    def query_job(self, job_uri):
        """Query Job Status: status, job-status-code, job-reason-code, job-results."""
        return self.get(job_uri, "Query Job Status")

    def start_partition(self, uri, name=None):
        return self._start_job(uri, "start", "Start", name)

    def stop_partition(self, uri, name=None):
        return self._start_job(uri, "stop", "Stop", name)

    def activate_lpar(self, uri, name=None, force=False):
        """Activate Logical Partition. Without force the console refuses (job 500 reason 263) to activate an
        LPAR that is operating; with it, it activates the LPAR again, ending the operating system it runs."""
        return self._start_job(uri, "activate", "Activate", name, {"force": bool(force)})

    def deactivate_lpar(self, uri, name=None, force=False):
        """Deactivate Logical Partition. Without force the console refuses (job 500 reason 263) to deactivate an
        LPAR that is operating; with it, it deactivates the LPAR, ending the operating system it runs."""
        return self._start_job(uri, "deactivate", "Deactivate", name, {"force": bool(force)})

    def _start_job(self, uri, action, verb, name, body=None):
        """Run an asynchronous operation and return its job URI."""
        result = self.post(f"{uri}/operations/{action}", body or {}, f"{verb} {describe(uri, name)}")
        return result["job-uri"]

    # -- API features and BCPii ---------------------------------------------------------------------------

    def list_features(self, cpc_uri, name=None):
        """Names of the CPC's enabled API features, or None when the console has no API features (404).

        The console answers with a JSON array of feature names (WS API book, List CPC API Features); any other
        shape is an error that names what came back, rather than a feature check that silently fails.
        """
        operation = "List CPC API Features"
        try:
            result = self.get(f"{cpc_uri}/operations/list-features", operation, params=self._name_filter(name))
        except HmcError as err:
            if err.status == 404:
                return None
            raise
        if not isinstance(result, list) or not all(isinstance(item, str) for item in result):
            raise HmcError(operation, "the console answered with an unexpected response: expected a JSON array "
                                      f"of feature names, got {type(result).__name__} {str(result)[:200]}",
                           host=self.host)
        return result

    def bcpii_unsupported_reason(self, cpc_uri, cpc_name):
        """None when the CPC supports BCPii notifications, otherwise why not (for a message)."""
        features = self.list_features(cpc_uri, bcpii_api.FEATURE)
        if features is None:
            return (f"cpc {cpc_name!r} does not support BCPii notifications: its console has no API features "
                    f"(needs SE 2.16.0 with API version 4.10 and the API feature {bcpii_api.FEATURE!r})")
        if bcpii_api.FEATURE not in features:
            return (f"cpc {cpc_name!r} does not support BCPii notifications: "
                    f"it lacks the API feature {bcpii_api.FEATURE!r}")
        return None

    def list_bcpii_registrations(self, cpc_uri, owner_id=None):
        """(registrations, bcpii topic name) of a CPC's Support Element; owner_id filters exactly."""
        result = self.get(bcpii_api.registrations_uri(cpc_uri), "List BCPii notification registrations",
                          params=bcpii_api.list_params(owner_id))
        return [bcpii_api.to_registration(raw) for raw in result["registrations"]], result.get("topic-name")

    def create_bcpii_registration(self, cpc_uri, target_name, event_name, owner_id, permanent=False):
        """Register for BCPii notifications; returns {"registration_id", "topic", "created"}.

        created is False when the same registration (target, event, owner) existed already.
        """
        operation = f"Create BCPii notification registration for {target_name!r} event {event_name!r}"
        status, result = self._call("POST", bcpii_api.registrations_uri(cpc_uri), operation,
                                    body=bcpii_api.create_body(target_name, event_name, owner_id, permanent),
                                    idempotent=True)
        return {"registration_id": result["registration-id"], "topic": result.get("topic-name"),
                "created": status == 201}

    def delete_bcpii_registration(self, cpc_uri, registration_id):
        self.delete(bcpii_api.registration_uri(cpc_uri, registration_id),
                    f"Delete BCPii notification registration {registration_id!r}")
