"""Domain errors. Each carries the HTTP status the API maps it to; the CLI
prints the message without a traceback."""

from __future__ import annotations


class PolicySearchError(Exception):
    """Base class: a problem the user can act on."""

    status: int = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(PolicySearchError):
    status = 400


class Unauthorized(PolicySearchError):
    status = 401


class Forbidden(PolicySearchError):
    status = 403


class NotFound(PolicySearchError):
    status = 404


class Conflict(PolicySearchError):
    status = 409


class IndexUnavailable(PolicySearchError):
    status = 503


class DeadlineExceeded(PolicySearchError):
    """A request ran past its deadline (the ``request_timeout`` setting)."""

    status = 503


class TooManyRequests(PolicySearchError):
    """A client asked for more than its share (a rate limit); try again after
    ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class ServiceBusy(PolicySearchError):
    """Every place for this kind of request is taken; try again after
    ``retry_after`` seconds."""

    status = 503

    def __init__(self, message: str, retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after
