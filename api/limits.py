"""Limits at the ASGI edge, each answering in the one error shape.

- Body size (413): a declared Content-Length over the limit is refused before
  anything is read; a body without one (chunked) is counted while it is read
  and refused once it passes the limit.
- Rate (429 with Retry-After): a token bucket per client IP address.
- Concurrency (503 with Retry-After): a number of places per class of work
  (search-like, similar, writes); a request waits a bounded time for one.
- Host names (400) and security headers (a Content-Security-Policy …).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit is {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _error(send, 400, "invalid Content-Length header")
                    return
                if declared > limit:
                    await _error(send, 413, BodyTooLarge(limit).detail)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _error(send, 413, exc.detail)


async def _error(send: Send, status: int, message: Any, retry_after: float | None = None) -> None:
    body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------
# per-client rate limits and per-class concurrency limits


class TokenBuckets:
    """One token bucket per key (a client's IP address): ``rate`` tokens a
    second up to ``burst``. Thread-safe; holds at most ``max_keys`` buckets
    (the least recently used are forgotten, which only ever makes a client's
    bucket full again)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token: 0.0 when there was one, else the seconds until
        there will be (nothing is taken then)."""
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def refund(self, key: str) -> None:
        """Give back the token of a request that turned out to cost nothing."""
        if not self.enabled:
            return
        with self._lock:
            if key in self._buckets:
                tokens, at = self._buckets[key]
                self._buckets[key] = (min(self.burst, tokens + 1.0), at)


class Slots:
    """At most ``limit`` holders at once; later ones wait in order (a bounded
    time). Used from one event loop; no thread is held while waiting."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self.busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, timeout: float) -> bool:
        """Take a place, waiting up to ``timeout`` seconds; False when none came free."""
        if self.busy < self.limit and not any(not w.done() for w in self._waiters):
            self.busy += 1
            return True
        if timeout <= 0:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
            return True  # the place was handed over by release()
        except TimeoutError:
            return waiter.done() and not waiter.cancelled()
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as the request went away
            raise

    def release(self) -> None:
        """Give the place to the longest waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy = max(0, self.busy - 1)


# path -> class of request work; paths not listed are cheap and never limited
SEARCH_CLASS = "search"
SIMILAR_CLASS = "similar"
WRITE_CLASS = "write"


def request_class(method: str, path: str) -> str | None:
    """Which concurrency class a request belongs to (None: not limited)."""
    if path in ("/v1/search", "/v1/ask", "/v1/compare", "/v1/compare/chart", "/v1/targets", "/v1/shared-wording"):
        return SEARCH_CLASS
    if path == "/v1/similar":
        return SIMILAR_CLASS
    if path in ("/v1/ingest", "/v1/reload", "/v1/rollback") or (
        method == "DELETE" and path.startswith("/v1/documents/")
    ):
        return WRITE_CLASS
    return None


def client_key(scope: Scope) -> str:
    """The client a request is counted against: its IP address (the socket's
    peer; behind a proxy every client shares the proxy's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RequestLimitMiddleware:
    """Limits on every /v1/ request:

    - per client (clients in ``exempt`` aside), 429 with Retry-After: a rate
      (token bucket), and no more requests of one class in progress at once
      than the class has places — so a single client, however many
      connections it opens, only ever waits for itself and hears 429;
    - per class of work (search-like, similar, writes), 503 with Retry-After:
      a request waits up to ``queue_seconds`` for a place — many clients
      together can still fill a class, and then the server says it is busy.

    A request refused with a 4xx of its own (invalid, unknown id) gets its
    token back: only work counts against a client."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float,
        burst: float,
        limits: dict[str, int],
        queue_seconds: float,
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.exempt = exempt
        self.buckets = TokenBuckets(rate, burst)
        self.slots = {name: Slots(limit) for name, limit in limits.items()}
        self.queue_seconds = queue_seconds
        self._in_progress: dict[tuple[str, str], int] = {}  # (client, class) -> requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/") or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        key = client_key(scope)
        wait = 0.0 if key in self.exempt else self.buckets.take(key)
        if wait > 0:
            await _error(
                send, 429,
                f"too many requests from {key}: the limit is {self.buckets.rate:g} a second "
                f"(bursts of {self.buckets.burst:g}); try again in {math.ceil(wait)} s",
                retry_after=wait,
            )
            return
        status = 0

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        kind = request_class(scope["method"], scope["path"])
        slots = self.slots.get(kind) if kind else None
        if slots is None or kind is None:
            await self._run(scope, receive, tracking_send, key, lambda: status)
            return
        mine = (key, kind)
        if key not in self.exempt and self._in_progress.get(mine, 0) >= slots.limit:
            self.buckets.refund(key)
            await _error(
                send, 429,
                f"you already have {slots.limit} {kind} request(s) in progress; "
                "send the next when one has finished",
                retry_after=1.0,
            )
            return
        self._in_progress[mine] = self._in_progress.get(mine, 0) + 1
        try:
            if not await slots.acquire(self.queue_seconds):
                await _error(
                    send, 503,
                    f"the server is busy with other {kind} requests; try again in a moment",
                    retry_after=max(1.0, self.queue_seconds),
                )
                return
            try:
                await self._run(scope, receive, tracking_send, key, lambda: status)
            finally:
                slots.release()
        finally:
            left = self._in_progress.pop(mine, 1) - 1
            if left > 0:
                self._in_progress[mine] = left

    async def _run(self, scope: Scope, receive: Receive, send: Send, key: str, status: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if 400 <= status() < 500 and status() != 429:
                self.buckets.refund(key)


# ---------------------------------------------------------------------------
# browser-facing safety: allowed Host names, security headers

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeadersMiddleware:
    """Adds a Content-Security-Policy (same-origin scripts, styles and
    connections only; no framing) and related headers to every response that
    does not set its own CSP."""

    def __init__(self, app: ASGIApp, csp: str = CSP) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self.csp))
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(value: str) -> str:
    """The host of a Host header, without its port, lower case
    (``[::1]:8000`` → ``::1``)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class TrustedHostMiddleware:
    """Answers only requests whose Host header names an allowed host (400 in
    the one error shape otherwise): a page on another site that rebinds its
    name to this server's address cannot talk to it."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed if h.strip()}
        self.any = "*" in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = host_name(value.decode("latin-1"))
                break
        if host not in self.allowed:
            await _error(
                send, 400,
                f"this server does not answer to the host name {host or '(none)'!r}; "
                "add it to POLICY_SEARCH_ALLOWED_HOSTS",
            )
            return
        await self.app(scope, receive, send)
