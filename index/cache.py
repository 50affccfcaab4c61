"""A persistent cache of passage/query embeddings, keyed by model, role and text.

Rebuilding an index after editing one document then embeds only the changed
clauses. The cache is an optimisation: a missing, locked or corrupt file is
recreated (or bypassed) rather than failing a build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_ENV = "POLICY_SEARCH_CACHE"
_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)"
_SQL_BATCH = 500  # stay well under SQLite's bound-parameter limit


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

    def __init__(self, path: Path | str | None = None, model_name: str = "") -> None:
        if not model_name:
            raise ValueError("EmbeddingCache needs the embedder's model name")
        self.path = Path(path) if path is not None else default_cache_path()
        self.model_name = model_name
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = self._open()

    @classmethod
    def default(cls, model_name: str) -> EmbeddingCache:
        """The cache at ``default_cache_path()``."""
        return cls(default_cache_path(), model_name)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        conn.execute(_SCHEMA)
        conn.execute("SELECT COUNT(*) FROM embeddings LIMIT 1").fetchone()
        conn.commit()
        return conn

    def _open(self) -> sqlite3.Connection | None:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            # "file is not a database", a truncated file …: start afresh
            log.warning("embedding cache %s is unreadable (%s); recreating it", self.path, exc)
            try:
                self.path.unlink(missing_ok=True)
                return self._connect()
            except (OSError, sqlite3.Error) as exc2:
                log.warning("embedding cache disabled: %s", exc2)
                return None
        except OSError as exc:
            log.warning("embedding cache disabled (%s): %s", self.path, exc)
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
