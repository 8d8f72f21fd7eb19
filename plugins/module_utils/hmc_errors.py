# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type of the collection's console client.

Every failure of a console operation (HTTP error, connection or TLS problem, missing resource) becomes an
``HmcError`` so that modules and the event source handle errors in one way and show a person one line that
says what was attempted, where, and what the console answered.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

SESSION_EXPIRED_REASONS = (4, 5)
"""403 reason codes meaning the session id is missing (4) or no longer valid (5), e.g. after a restart."""


class HmcError(Exception):
    """A console operation failed.

    status is the HTTP status (None for connection and TLS errors), reason the console's reason code,
    message the console's message (never credentials), operation what was attempted ("Open OS Message
    Channel for partition 'PART1'") and host the console ("host:port", or several separated by commas).
    failure says, for a request that got no answer, why: connect (nothing was sent), timeout or broken (sent,
    perhaps acted on), tls (the console's certificate was not trusted); None otherwise.
    """

    def __init__(self, operation, message, status=None, reason=None, host=None, failure=None):
        super().__init__(operation, message, status, reason, host)
        self.failure = failure
        self.operation = operation
        self.message = message
        self.status = status
        self.reason = reason
        self.host = host

    @property
    def is_connection_error(self):
        """True when the console could not be reached (no HTTP status)."""
        return self.status is None

    @property
    def is_session_expired(self):
        """True for 403 reason 4/5: logging on again may help."""
        return self.status == 403 and self.reason in SESSION_EXPIRED_REASONS

    def __str__(self):
        where = f" on hmc {self.host}" if self.host else ""
        if self.status is None:
            return f"{self.operation}{where} failed: {self.message}"
        code = f"HTTP {self.status}" if self.reason is None else f"HTTP {self.status} reason {self.reason}"
        return f"{self.operation}{where} failed: {code}: {self.message}"
