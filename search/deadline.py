"""Request deadlines: every request the API serves has one.

The API sets a deadline around each call into the service
(:func:`deadline`); the service's loops over candidates, clauses and
sentences call :func:`check`, which raises :class:`DeadlineExceeded` once the
deadline has passed, so no request can run on without bound.  Work that
builds shared state (the similarity engine, a cached report) is not
interrupted: it is bounded by the corpus, and interrupting it would only make
the next request start over.  Without a deadline (the CLI, tests) ``check``
does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import DeadlineExceeded

_deadline: ContextVar[float | None] = ContextVar("policy_search_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Run the block with a deadline ``seconds`` from now (None or <= 0: none)."""
    if seconds is None or seconds <= 0:
        yield
        return
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the deadline (None: no deadline)."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()


def check() -> None:
    """Raise :class:`DeadlineExceeded` when the current deadline has passed."""
    at = _deadline.get()
    if at is not None and time.monotonic() > at:
        raise DeadlineExceeded(
            "the request took too long and was stopped; try a shorter question or narrower filters"
        )
