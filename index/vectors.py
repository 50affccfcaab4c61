"""Dense retrieval: FAISS inner product over L2-normalised chunk vectors.

A clause may have several chunks; ``chunk_rows.npy`` maps each vector row to
its clause row, and a clause scores the best of its chunks.
"""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexCorruptError, IndexNotFoundError

log = logging.getLogger(__name__)

VECTORS_FILE = "vectors.faiss"
CHUNK_ROWS_FILE = "chunk_rows.npy"
MISSING_SCORE = -1.0  # lowest cosine similarity: a clause without vectors


class VectorIndex:
    """An ``IndexFlatIP`` plus the vector-row → clause-row map."""

    def __init__(self, index: faiss.Index, chunk_rows: np.ndarray, n_clauses: int) -> None:
        chunk_rows = np.ascontiguousarray(chunk_rows, dtype=np.int64)
        if chunk_rows.ndim != 1 or chunk_rows.shape[0] != index.ntotal:
            raise IndexCorruptError(
                f"vector index holds {index.ntotal} vectors but chunk_rows maps "
                f"{chunk_rows.shape[0]}; rebuild the index (`policy-search ingest`)"
            )
        if chunk_rows.size and (chunk_rows.min() < 0 or chunk_rows.max() >= n_clauses):
            raise IndexCorruptError(f"chunk_rows refers to clause rows outside 0..{n_clauses - 1}")
        self.index = index
        self.chunk_rows = chunk_rows
        self.n_clauses = int(n_clauses)
        self.dim = int(index.d)
        self._matrix: np.ndarray | None = None

    @classmethod
    def build(cls, vectors: np.ndarray, chunk_rows: np.ndarray, n_clauses: int) -> VectorIndex:
        """Index ``vectors`` (n, dim), already L2-normalised; row i belongs to
        clause row ``chunk_rows[i]``."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        index = faiss.IndexFlatIP(vectors.shape[1])
        if vectors.shape[0]:
            index.add(vectors)
        return cls(index, chunk_rows, n_clauses)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def matrix(self) -> np.ndarray:
        """All stored vectors, (ntotal, dim) float32 (a view, read it only)."""
        if self._matrix is None:
            if self.ntotal == 0:
                self._matrix = np.empty((0, self.dim), dtype=np.float32)
            else:
                self._matrix = self.index.reconstruct_n(0, self.ntotal)
        return self._matrix

    def _query(self, qvec: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(qvec, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise ValueError(f"query vector has dimension {q.shape[1]}, index has {self.dim}")
        return q

    def scores_all(self, qvec: np.ndarray) -> np.ndarray:
        """Per-clause best chunk similarity for every clause row (float32,
        length n_clauses; -1.0 for a clause without vectors)."""
        q = self._query(qvec)
        out = np.full(self.n_clauses, MISSING_SCORE, dtype=np.float32)
        if self.ntotal:
            # einsum, not BLAS: a multi-threaded OpenBLAS matrix-vector product
            # takes ~20 ms instead of ~0.3 ms when the cores are busy (a loaded
            # server), and this product is far too small to gain from threads
            sims = np.einsum("ij,j->i", self.matrix(), q[0]).astype(np.float32, copy=False)
            rows, starts = self._segments()
            if rows is not None:
                # chunks of one clause are contiguous: one vectorised max per clause
                out[rows] = np.maximum.reduceat(sims, starts)
            else:
                np.maximum.at(out, self.chunk_rows, sims)
        return out

    def _segments(self) -> tuple[np.ndarray | None, np.ndarray]:
        """(clause rows, first chunk of each) when chunk_rows is sorted, else (None, [])."""
        if not hasattr(self, "_segment_cache"):
            cr = self.chunk_rows
            if cr.size and bool(np.all(cr[1:] >= cr[:-1])):
                starts = np.flatnonzero(np.r_[True, cr[1:] != cr[:-1]])
                self._segment_cache: tuple[np.ndarray | None, np.ndarray] = (cr[starts], starts)
            else:
                self._segment_cache = (None, np.empty(0, dtype=np.int64))
        return self._segment_cache

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` clause rows most similar to ``qvec`` as (row, best chunk
        score), ordered by (-score, row). Chunks are fetched until ``k``
        distinct clauses are seen, so each score is that clause's true maximum."""
        if k <= 0 or self.ntotal == 0:
            return []
        q = self._query(qvec)
        fetch = min(self.ntotal, max(k * 2, 16))
        while True:
            sims, ids = self.index.search(q, fetch)
            best: dict[int, float] = {}
            for vec_id, sim in zip(ids[0], sims[0], strict=True):
                if vec_id < 0:  # FAISS pads with -1 when fewer results exist
                    continue
                row = int(self.chunk_rows[vec_id])
                if row not in best:
                    best[row] = float(sim)
            if len(best) >= k or fetch >= self.ntotal:
                break
            fetch = min(self.ntotal, fetch * 4)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:k]

    def save(self, directory: Path) -> None:
        """Write ``vectors.faiss`` and ``chunk_rows.npy`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(directory / VECTORS_FILE))
        np.save(directory / CHUNK_ROWS_FILE, self.chunk_rows, allow_pickle=False)

    @classmethod
    def load(
        cls,
        directory: Path,
        n_clauses: int,
        expected_vectors: int | None = None,
        mmap: bool = False,
    ) -> VectorIndex:
        """Read what ``save`` wrote; the vector and mapping counts must agree
        (with each other and with ``expected_vectors`` from the manifest)."""
        directory = Path(directory)
        index_path, rows_path = directory / VECTORS_FILE, directory / CHUNK_ROWS_FILE
        for path in (index_path, rows_path):
            if not path.exists():
                raise IndexNotFoundError(
                    f"vector index file missing: {path}; rebuild with `policy-search ingest`"
                )
        index = None
        if mmap:
            try:
                index = faiss.read_index(str(index_path), faiss.IO_FLAG_MMAP)
            except RuntimeError as exc:  # not every index type / build supports it
                log.debug("faiss mmap load failed (%s); reading into memory", exc)
        if index is None:
            index = faiss.read_index(str(index_path))
        chunk_rows = np.load(rows_path, allow_pickle=False)
        if expected_vectors is not None and index.ntotal != expected_vectors:
            raise IndexCorruptError(
                f"{index_path} holds {index.ntotal} vectors but the manifest says "
                f"{expected_vectors}; rebuild the index (`policy-search ingest`)"
            )
        return cls(index, chunk_rows, n_clauses)
