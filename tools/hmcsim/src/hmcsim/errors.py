"""The console's error answer: HTTP status plus reason code, raised anywhere and rendered by the WS API."""


class ApiError(Exception):
    """A WS API error as a real console reports it (``http-status``, ``reason``, ``message``)."""

    def __init__(self, status: int, reason: int, message: str):
        super().__init__(f"{status}.{reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class ScenarioError(Exception):
    """An invalid scenario file; the message names the file, line and field so it can be fixed directly."""
