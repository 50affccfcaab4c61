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
