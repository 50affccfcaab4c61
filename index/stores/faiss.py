"""The embedded FAISS store (the default): ``index.vectors.VectorIndex``,
whose index type follows corpus size (flat, HNSW, IVF, IVF-SQ8, IVF-PQ)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..vectors import INDEX_TYPES, VectorIndex

__all__ = ["INDEX_TYPES", "FaissStore", "build_faiss", "load_faiss"]

FaissStore = VectorIndex  # the FAISS implementation of base.VectorStore


def build_faiss(
    vectors: np.ndarray,
    chunk_rows: np.ndarray,
    n_clauses: int,
    directory: Path,
    *,
    index_type: str = "auto",
    mmap: bool = False,
) -> tuple[VectorIndex, dict[str, Any]]:
    """Build the FAISS store, save it into ``directory`` and return it with
    its manifest entry (``mmap``: readers map the file instead of reading it)."""
    store = VectorIndex.build(vectors, chunk_rows, n_clauses, index_type=index_type)
    store.save(directory)
    return store, {**store.describe(), "mmap": bool(mmap)}


def load_faiss(
    config: dict[str, Any], directory: Path, n_clauses: int, expected_vectors: int | None
) -> VectorIndex:
    """Open the FAISS store the manifest's ``store`` entry describes."""
    return VectorIndex.load(
        directory,
        n_clauses=n_clauses,
        expected_vectors=expected_vectors,
        mmap=bool(config.get("mmap", False)),
        index_type=str(config.get("index_type", "flat")),
        params=dict(config.get("params", {})),
    )
