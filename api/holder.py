"""Hot reload: the SearchService requests use, swapped for a new index version
without a restart.

Each request asks the holder for the current service once and keeps that object
to the end, so a swap never disturbs a request in flight. At most every
``interval`` seconds a request checks ``DIR/current`` (one ``readlink``); when it
names another version, a background thread opens it and, once it is fully
loaded, replaces the reference (one assignment). A version that fails to open
(damaged, or caught half-switched) is logged and retried with exponential
backoff (1 s, 2 s, 4 s … up to a minute); the old service keeps answering and
``/healthz`` shows the failure. A server started over an index it cannot open
answers 503 with the reason (and how to recover) until a version opens — after
``policy-search rollback``, say — instead of refusing to start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index import IndexReader
from index.errors import IndexMismatchError, PolicyIndexError
from index.layout import CURRENT_LINK
from search.errors import IndexUnavailable
from search.service import SearchService

log = logging.getLogger("policy_search.api")


RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0


class LoadFailure:
    """Why a version could not be opened, and when to try it again."""

    def __init__(self, error: str, attempts: int, retry_at: float) -> None:
        self.error = error
        self.attempts = attempts
        self.retry_at = retry_at  # time.monotonic()

    def __str__(self) -> str:
        return self.error

    def to_dict(self, version: str) -> dict[str, Any]:
        return {
            "version": version,
            "error": self.error,
            "attempts": self.attempts,
            "retry_in_s": round(max(0.0, self.retry_at - time.monotonic()), 1),
        }


class ServiceHolder:
    def __init__(
        self,
        index_dir: Path | None,
        factory: Callable[[], SearchService] | None = None,
        interval: float = 1.0,
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self._factory = factory
        self.interval = interval
        self._service: SearchService | None = None
        self._version: str | None = None
        self._lock = threading.Lock()  # loading state, not the reference
        self._load_lock = threading.Lock()  # one load at a time
        self._loader: threading.Thread | None = None
        self._next_check = 0.0
        self.failed: dict[str, LoadFailure] = {}  # version -> why it could not be opened
        self.reloads = 0
        self.retry_first = RETRY_FIRST_SECONDS
        self.retry_max = RETRY_MAX_SECONDS
        self._failed_lock = threading.Lock()

    @property
    def reloadable(self) -> bool:
        """A service from a factory is fixed; an index directory is watched."""
        return self._factory is None and self.index_dir is not None

    @property
    def version(self) -> str | None:
        return self._version

    def start(self) -> None:
        """Open the service (at app start-up). An index directory that cannot
        be opened is not fatal: requests get 503 with the reason until a
        version opens (retried in the background with backoff)."""
        if self._factory is not None:
            self._service = self._factory()
            self._version = self._service.reader.path.name
            return
        assert self.index_dir is not None
        version = self.current_version() or ""
        try:
            self._service = SearchService.open(self.index_dir)
        except PolicyIndexError as exc:
            self._record_failure(version, exc)
            return
        self._version = self._service.reader.path.name

    def get(self) -> SearchService:
        """The service to use for one whole request."""
        if (
            self.reloadable
            and (self.interval > 0 or self._service is None)
            and time.monotonic() >= self._next_check
        ):
            self._check()
        service = self._service
        if service is None:
            failure = self.last_failure()
            reason = f": {failure[1]}" if failure else ""
            raise IndexUnavailable(f"no index is being served{reason}")
        return service

    def last_failure(self) -> tuple[str, LoadFailure] | None:
        """(version, failure) of the most recent version that could not be opened."""
        with self._failed_lock:
            if not self.failed:
                return None
            version = next(reversed(self.failed))
            return version, self.failed[version]

    def status(self) -> dict[str, Any]:
        """What /healthz reports about loading: the version served and the
        last failure to open one (None when the newest opened)."""
        failure = self.last_failure()
        current = self.current_version()
        pending = failure is not None and (failure[0] == current or current is None) and current != self._version
        return {
            "version": self._version,
            "reload_error": failure[1].to_dict(failure[0]) if failure and pending else None,
        }

    def _record_failure(self, version: str, exc: BaseException) -> None:
        with self._failed_lock:
            previous = self.failed.pop(version, None)
            attempts = previous.attempts + 1 if previous else 1
            delay = min(self.retry_max, self.retry_first * 2 ** (attempts - 1))
            self.failed[version] = LoadFailure(str(exc), attempts, time.monotonic() + delay)
        log.error(
            "could not open index version %s (attempt %d; retrying in %.0fs): %s",
            version or "(none)", attempts, delay, exc,
        )

    def current_version(self) -> str | None:
        """The version ``DIR/current`` names now (None without the link)."""
        if self.index_dir is None:
            return None
        try:
            return Path(os.readlink(self.index_dir / CURRENT_LINK)).name
        except OSError:
            return None

    def _check(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next_check:
                return
            self._next_check = now + (self.interval if self.interval > 0 else self.retry_first)
            version = self.current_version()
            if version is None and self._service is not None:
                return
            key = version or ""
            if key == self._version:
                return
            failure = self.failed.get(key)
            if failure is not None and now < failure.retry_at:
                return
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=self._load, args=(key,), name="index-reload", daemon=True)
            self._loader.start()

    def _open(self) -> SearchService:
        assert self.index_dir is not None
        old = self._service
        if old is not None:
            try:  # the same model: do not load it a second time
                return SearchService(IndexReader.open(self.index_dir, embedder=old.reader.embedder))
            except IndexMismatchError:
                pass
        return SearchService.open(self.index_dir)

    def _load(self, version: str) -> bool:
        with self._load_lock:
            if version == self._version:
                return False
            began = time.perf_counter()
            try:
                service = self._open()
            except Exception as exc:  # keep serving the old version; retry later
                self._record_failure(version, exc)
                return False
            self._service = service  # the swap: one reference assignment
            self._version = service.reader.path.name
            with self._failed_lock:
                self.failed.pop(version, None)
            self.reloads += 1
            log.info(
                "now serving index version %s (%d documents, %d clauses; loaded in %.1fs)",
                self._version, len(service.documents), len(service.clauses), time.perf_counter() - began,
            )
            return True

    def reload_now(self) -> dict[str, Any]:
        """Load the current version now if it is not the one served (waits)."""
        reloaded = False
        if self.reloadable:
            version = self.current_version()
            if version is None and self._service is None:
                version = ""  # a plain index directory, or none yet
            if version is not None and version != self._version:
                reloaded = self._load(version)
                if not reloaded and version in self.failed:
                    raise IndexUnavailable(
                        f"index version {version or '(none)'} could not be opened: {self.failed[version]}"
                    )
        service = self.get()
        return {
            "reloaded": reloaded,
            "version": self._version,
            "documents": len(service.documents),
            "clauses": len(service.clauses),
            "hot_reload": self.reloadable and self.interval > 0,
        }
