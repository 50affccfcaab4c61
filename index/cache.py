"""A persistent cache of passage/query embeddings, keyed by model, role and text.

Rebuilding an index after editing one document then embeds only the changed
clauses. The cache is an optimisation, never a reason for a build to fail, and
never deleted:

- a missing file is created;
- a locked database ("database is locked": another build writing) is waited
  for (``busy_timeout`` seconds, then a few retries); if it stays locked, this
  run works without the cache (every text is embedded) and the file is left
  alone;
- a full disk or an I/O error on a write is logged and that write skipped;
- only a file SQLite says is not a database or is malformed is set aside —
  renamed to ``<name>.corrupt-<time>`` with its journal, kept for inspection —
  and a new, empty cache is started in its place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_ENV = "POLICY_SEARCH_CACHE"
_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)"
_SQL_BATCH = 500  # stay well under SQLite's bound-parameter limit
BUSY_TIMEOUT = 10.0  # seconds SQLite waits for another writer's lock
OPEN_RETRIES = 1  # one more attempt after a locked open (each waits busy_timeout)
_SIDE_FILES = ("-journal", "-wal", "-shm")


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True for errors that mean the file itself is damaged (not a lock, a full
    disk, a permission or an I/O problem, which are OperationalError)."""
    if isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text or type(exc) is sqlite3.DatabaseError


def default_cache_path() -> Path:
    """``$POLICY_SEARCH_CACHE`` or ``~/.cache/policy-search/embeddings.sqlite``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "policy-search" / "embeddings.sqlite"


def cache_key(model_name: str, role: str, text: str) -> bytes:
    """sha256 over model name, role ("query"/"passage") and text, NUL-separated."""
    return hashlib.sha256(f"{model_name}\x00{role}\x00{text}".encode()).digest()


class EmbeddingCache:
    """SQLite store of float32 vectors for one model. Thread-safe."""

    def __init__(
        self,
        path: Path | str | None = None,
        model_name: str = "",
        busy_timeout: float = BUSY_TIMEOUT,
        retries: int = OPEN_RETRIES,
    ) -> None:
        if not model_name:
            raise ValueError("EmbeddingCache needs the embedder's model name")
        self.path = Path(path) if path is not None else default_cache_path()
        self.model_name = model_name
        self.busy_timeout = busy_timeout
        self.retries = retries
        self.set_aside: Path | None = None  # where a corrupt file was moved to
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = self._open()

    @classmethod
    def default(cls, model_name: str) -> EmbeddingCache:
        """The cache at ``default_cache_path()``."""
        return cls(default_cache_path(), model_name)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=self.busy_timeout)
        try:
            conn.execute(_SCHEMA)
            conn.execute("SELECT COUNT(*) FROM embeddings LIMIT 1").fetchone()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> sqlite3.Connection | None:
        for attempt in range(self.retries + 1):
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                # locked by another writer, a full disk, no permission …: the
                # file may be fine, so it is never touched; wait and retry a
                # lock, otherwise (or at last) run without the cache
                locked = "locked" in str(exc).lower() or "busy" in str(exc).lower()
                if locked and attempt < self.retries:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                log.warning("embedding cache %s not used for this run (%s)", self.path, exc)
                return None
            except sqlite3.DatabaseError as exc:
                if not _is_corrupt(exc):
                    log.warning("embedding cache %s not used for this run (%s)", self.path, exc)
                    return None
                return self._replace_corrupt(exc)
            except OSError as exc:
                log.warning("embedding cache disabled (%s): %s", self.path, exc)
                return None
        return None  # pragma: no cover - the loop always returns

    def _replace_corrupt(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection | None:
        """Move a damaged cache file (and its journal) aside and start afresh."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            os.replace(self.path, aside)
            for suffix in _SIDE_FILES:
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, aside.with_name(aside.name + suffix))
        except OSError as exc2:
            log.warning("embedding cache %s is unreadable (%s) and could not be set aside (%s); "
                        "not used for this run", self.path, exc, exc2)
            return None
        self.set_aside = aside
        log.warning("embedding cache %s is unreadable (%s); moved it to %s and started a new one",
                    self.path, exc, aside)
        try:
            return self._connect()
        except (OSError, sqlite3.Error) as exc3:
            log.warning("embedding cache disabled: %s", exc3)
            return None

    @property
    def enabled(self) -> bool:
        """False when the file could not be opened; gets miss and puts do nothing."""
        return self._conn is not None

    def get_many(self, texts: Sequence[str], role: str) -> dict[int, np.ndarray]:
        """Look ``texts`` up; returns {position in texts: vector} for the hits."""
        if self._conn is None or not texts:
            return {}
        keys = [cache_key(self.model_name, role, text) for text in texts]
        positions: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            positions.setdefault(key, []).append(i)
        unique = list(positions)
        found: dict[int, np.ndarray] = {}
        try:
            with self._lock:
                for start in range(0, len(unique), _SQL_BATCH):
                    part = unique[start : start + _SQL_BATCH]
                    marks = ",".join("?" * len(part))
                    rows = self._conn.execute(
                        f"SELECT key, dim, vector FROM embeddings WHERE key IN ({marks})", part
                    ).fetchall()
                    for key, dim, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if vector.shape[0] != dim:
                            continue
                        for i in positions[bytes(key)]:
                            found[i] = vector.copy()
        except sqlite3.Error as exc:
            log.warning("embedding cache read failed (%s); treating as misses", exc)
            return {}
        return found

    def put_many(self, texts: Sequence[str], role: str, vectors: np.ndarray) -> None:
        """Store one vector per text (rows of ``vectors`` in the order of ``texts``)."""
        if self._conn is None or not len(texts):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[0] != len(texts):
            raise ValueError(f"{len(texts)} texts but {vectors.shape[0]} vectors")
        rows = [
            (cache_key(self.model_name, role, text), int(vector.shape[0]), vector.tobytes())
            for text, vector in zip(texts, vectors, strict=True)
        ]
        try:
            with self._lock:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (key, dim, vector) VALUES (?, ?, ?)", rows
                )
                self._conn.commit()
        except sqlite3.Error as exc:
            log.warning("embedding cache write failed: %s", exc)

    def __len__(self) -> int:
        if self._conn is None:
            return 0
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def close(self) -> None:
        """Close the connection; further calls behave as a disabled cache."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
