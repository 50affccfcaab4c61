"""Hot reload: the SearchService requests use, swapped for a new index version
without a restart.

Each request asks the holder for the current service once and keeps that object
to the end, so a swap never disturbs a request in flight. At most every
``interval`` seconds a request checks ``DIR/current`` (one ``readlink``); when it
names another version, a background thread opens it and, once it is fully
loaded, replaces the reference (one assignment). A version that fails to open is
logged and not retried; the old service keeps answering.
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
from index.errors import IndexMismatchError
from index.layout import CURRENT_LINK
from search.errors import IndexUnavailable
from search.service import SearchService

log = logging.getLogger("policy_search.api")


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
        self.failed: dict[str, str] = {}  # version -> why it could not be opened
        self.reloads = 0

    @property
    def reloadable(self) -> bool:
        """A service from a factory is fixed; an index directory is watched."""
        return self._factory is None and self.index_dir is not None

    @property
    def version(self) -> str | None:
        return self._version

    def start(self) -> None:
        """Open the service (at app start-up)."""
        if self._factory is not None:
            self._service = self._factory()
        else:
            assert self.index_dir is not None
            self._service = SearchService.open(self.index_dir)
        self._version = self._service.reader.path.name

    def get(self) -> SearchService:
        """The service to use for one whole request."""
        if self.reloadable and self.interval > 0 and time.monotonic() >= self._next_check:
            self._check()
        service = self._service
        if service is None:
            raise IndexUnavailable("the search service is not started")
        return service

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
            self._next_check = now + self.interval
            version = self.current_version()
            if version is None or version == self._version or version in self.failed:
                return
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=self._load, args=(version,), name="index-reload", daemon=True)
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
            except Exception as exc:  # keep serving the old version
                log.error("could not open index version %s: %s", version, exc)
                self.failed[version] = str(exc)
                return False
            self._service = service  # the swap: one reference assignment
            self._version = service.reader.path.name
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
            if version is not None and version != self._version:
                self.failed.pop(version, None)
                reloaded = self._load(version)
                if not reloaded and version in self.failed:
                    raise IndexUnavailable(f"index version {version} could not be opened: {self.failed[version]}")
        service = self.get()
        return {
            "reloaded": reloaded,
            "version": self._version,
            "documents": len(service.documents),
            "clauses": len(service.clauses),
            "hot_reload": self.reloadable and self.interval > 0,
        }
