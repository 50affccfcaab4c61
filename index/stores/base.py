"""The vector store protocol: one interface over FAISS (embedded) and Milvus.

A store holds the chunk vectors of one index (row i of the vectors belongs to
clause row ``chunk_rows[i]``) and answers dense queries per clause: a clause
scores the best of its chunks. A store that can also rank clauses by full-text
BM25 (Milvus) implements ``TextSearchStore`` as well.

Which store an index uses is a spec string (setting ``store``): ``faiss`` or
``milvus`` / ``milvus:<uri>``; the built store's ``describe()`` goes into the
manifest, and ``factory.load_store`` opens it from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

BACKENDS: tuple[str, ...] = ("faiss", "milvus")


@runtime_checkable
class VectorStore(Protocol):
    """Dense retrieval over chunk vectors, answered per clause row."""

    backend: str  # "faiss" | "milvus"
    dim: int
    n_clauses: int
    chunk_rows: np.ndarray  # int64, the clause row of each vector

    @property
    def ntotal(self) -> int:
        """How many vectors the store holds."""
        ...

    @property
    def exact(self) -> bool:
        """True when ``scores_all`` gives every clause its exact score."""
        ...

    def scores_all(self, qvec: np.ndarray) -> np.ndarray:
        """Best chunk similarity of every clause row (float32, n_clauses)."""
        ...

    def scores(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact best chunk similarity of each clause in ``rows`` (same order)."""
        ...

    def candidates(
        self, qvec: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows among ``allowed_rows`` (None: every row)
        as (row, score), ordered by (-score, row)."""
        ...

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """``candidates`` over every row."""
        ...

    def matrix(self) -> np.ndarray:
        """Every stored vector, (ntotal, dim) float32, read-only."""
        ...

    def save(self, directory: Path) -> None:
        """Write what the store keeps inside the index directory."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records to open the store again."""
        ...


@runtime_checkable
class TextSearchStore(Protocol):
    """A store that also ranks clauses by BM25 full-text search."""

    def text_candidates(
        self,
        text: str,
        k: int,
        allowed_rows: np.ndarray | None,
        field_weights: Mapping[str, float],
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows among ``allowed_rows`` by the weighted
        sum of per-field BM25 scores of ``text``, as (row, score) with
        score > 0, ordered by (-score, row)."""
        ...


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``store`` setting: the backend and, for Milvus, where it runs
    (empty: a Milvus Lite database inside the index version directory)."""

    backend: str
    uri: str = ""

    @classmethod
    def parse(cls, spec: str) -> StoreSpec:
        """``faiss`` | ``milvus`` | ``milvus:./milvus.db`` | ``milvus:http://host:19530``."""
        spec = (spec or "faiss").strip()
        backend, _, uri = spec.partition(":")
        backend = backend.strip().lower()
        if backend not in BACKENDS:
            raise ValueError(
                f"unknown vector store {spec!r}; use `faiss`, `milvus` or `milvus:<uri>` "
                "(a path such as ./milvus.db for Milvus Lite, or http://host:19530)"
            )
        if backend == "faiss" and uri:
            raise ValueError(f"the faiss store takes no URI (got {spec!r})")
        return cls(backend=backend, uri=uri.strip())

    def __str__(self) -> str:
        return f"{self.backend}:{self.uri}" if self.uri else self.backend


def rows_filter(allowed_rows: np.ndarray | None, n_clauses: int, field: str = "row") -> str:
    """A Milvus boolean expression selecting ``allowed_rows`` ("" for every
    row). Runs of consecutive rows (a document's clauses are contiguous)
    become ranges, so a filter to a few plans stays short."""
    if allowed_rows is None:
        return ""
    rows = np.unique(np.asarray(allowed_rows, dtype=np.int64))
    if rows.size >= n_clauses:
        return ""
    if rows.size == 0:
        return f"{field} < 0"
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]]))
    if starts.size > 64:
        return f"{field} in [{', '.join(str(int(r)) for r in rows)}]"
    parts = [
        f"({field} >= {int(a)} and {field} <= {int(b)})" if a != b else f"{field} == {int(a)}"
        for a, b in zip(starts, ends, strict=True)
    ]
    return " or ".join(parts)
