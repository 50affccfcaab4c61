"""Dense retrieval: FAISS inner product over L2-normalised chunk vectors.

A clause may have several chunks; ``chunk_rows.npy`` maps each vector row to
its clause row, and a clause scores the best of its chunks.

The FAISS index type follows the corpus size (``index_type="auto"``): exact
``IndexFlatIP`` below ``AUTO_FLAT_BELOW`` vectors, IVF above, IVF with 8-bit
scalar quantisation above ``AUTO_IVF_BELOW``. ``flat``, ``hnsw``, ``ivf``,
``ivf-sq8`` and ``ivf-pq`` can be asked for explicitly. Only ``flat`` is exact;
on the approximate types ``scores_all`` scores the ANN candidates (see there)
and ``index.recall`` measures recall@10 against exact search.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import IndexCorruptError, IndexNotFoundError

log = logging.getLogger(__name__)

VECTORS_FILE = "vectors.faiss"
CHUNK_ROWS_FILE = "chunk_rows.npy"
MISSING_SCORE = -1.0  # lowest cosine similarity: a clause without vectors

INDEX_TYPES: tuple[str, ...] = ("auto", "flat", "hnsw", "ivf", "ivf-sq8", "ivf-pq")
AUTO_FLAT_BELOW = 50_000  # exact search is fast enough (a few ms per query) below this
AUTO_IVF_BELOW = 5_000_000  # above, full float vectors get too big: compress (SQ8)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40  # FAISS's default; builds stay quick, search effort comes from ef_search
HNSW_EF_SEARCH = 256
IVF_MIN_NPROBE = 16
IVF_NPROBE_DIVISOR = 4
PQ_BITS = 8  # 4 when there are too few vectors to train 256 centroids per sub-quantizer
TRAIN_SAMPLE = 200_000  # the most vectors k-means trains on
# approximate types: how many chunk candidates scores_all takes from the ANN search
ANN_CANDIDATES = 200
# the most rows ``scores``/``candidates`` score exactly by reconstruction
EXACT_ROWS_LIMIT = 20_000


def resolve_index_type(index_type: str, n_vectors: int) -> str:
    """The concrete FAISS index type for ``index_type`` (``auto`` picks by size)."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown FAISS index type {index_type!r}; use one of {', '.join(INDEX_TYPES)}")
    if index_type != "auto":
        return index_type
    if n_vectors < AUTO_FLAT_BELOW:
        return "flat"
    if n_vectors < AUTO_IVF_BELOW:
        # IVF, not HNSW: on the 100x synthetic corpus (bench/bench_scale.py) IVF kept
        # recall@10 at 0.99 (6 ms), HNSW only 0.86 among many near-identical clauses
        return "ivf"
    return "ivf-sq8"


def ivf_nlist(n_vectors: int) -> int:
    """Inverted lists for ``n_vectors``: about 4·√n, with at least 39 training
    points per centroid (FAISS's own minimum)."""
    return max(1, min(int(4 * math.sqrt(max(n_vectors, 1))), n_vectors // 39))


def _pq_subquantizers(dim: int) -> int:
    """Sub-quantizers for PQ: the largest of 64, 48, 32, … that divides ``dim``
    with at least 4 dimensions each."""
    for m in (64, 48, 32, 24, 16, 12, 8, 4, 2, 1):
        if dim % m == 0 and dim // m >= 4:
            return m
    return 1


def _new_index(index_type: str, vectors: np.ndarray) -> tuple[faiss.Index, dict[str, Any]]:
    """An empty-or-trained FAISS index of ``index_type`` for ``vectors`` and its
    search parameters (recorded in the manifest)."""
    n, dim = vectors.shape
    metric = faiss.METRIC_INNER_PRODUCT
    if index_type == "flat":
        return faiss.IndexFlatIP(dim), {}
    if index_type == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, metric)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        return hnsw, {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
    nlist = ivf_nlist(n)
    quantizer = faiss.IndexFlatIP(dim)
    params: dict[str, Any] = {"nlist": nlist}
    index: faiss.Index
    # the faiss constructors keep a Python reference to the quantizer
    if index_type == "ivf":
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, metric)
    elif index_type == "ivf-sq8":
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, metric)
    elif index_type == "ivf-pq":
        m = _pq_subquantizers(dim)
        bits = PQ_BITS if n >= 39 * 2**PQ_BITS else 4
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, bits, metric)
        params.update({"pq_m": m, "pq_bits": bits})
    else:  # pragma: no cover - resolve_index_type rejects it first
        raise ValueError(index_type)
    if n:
        sample = vectors
        if n > TRAIN_SAMPLE:
            pick = np.random.default_rng(0).choice(n, TRAIN_SAMPLE, replace=False)
            sample = vectors[np.sort(pick)]
        index.train(sample)
    # a quarter of the lists: recall@10 ≈ 0.97 on embedding-like vectors (an
    # eighth gave 0.87); ``python -m index.recall`` measures it on an index
    nprobe = min(max(IVF_MIN_NPROBE, nlist // IVF_NPROBE_DIVISOR), nlist)
    faiss.extract_index_ivf(index).nprobe = nprobe
    params["nprobe"] = int(nprobe)
    return index, params


def _apply_search_params(index: faiss.Index, params: dict[str, Any]) -> None:
    """Set query-time parameters that the saved file may not carry."""
    if "ef_search" in params and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(params["ef_search"])
    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])


def _is_ivf(index_type: str) -> bool:
    return index_type.startswith("ivf")


def _mmap_flag(index_type: str) -> int:
    """The read flag that maps an index type's vectors: IVF inverted lists map
    with IO_FLAG_MMAP; flat codes (flat, HNSW storage) only with
    IO_FLAG_MMAP_IFC (FAISS ≥ 1.8), which IO_FLAG_MMAP alone silently ignores."""
    if _is_ivf(index_type):
        return int(faiss.IO_FLAG_MMAP)
    return int(getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP))


class VectorIndex:
    """A FAISS index (flat, HNSW or IVF) plus the vector-row → clause-row map."""

    backend = "faiss"

    def __init__(
        self,
        index: faiss.Index,
        chunk_rows: np.ndarray,
        n_clauses: int,
        index_type: str = "flat",
        params: dict[str, Any] | None = None,
        mmapped: bool = False,
    ) -> None:
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
        self.index_type = index_type
        self.params = dict(params or {})
        self.mmapped = mmapped
        _apply_search_params(index, self.params)
        self._matrix: np.ndarray | None = None
        self._chunks_of: list[np.ndarray] | None = None

    @property
    def exact(self) -> bool:
        """True when ``scores_all`` is exact for every clause (flat index)."""
        return self.index_type == "flat"

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        chunk_rows: np.ndarray,
        n_clauses: int,
        index_type: str = "flat",
    ) -> VectorIndex:
        """Index ``vectors`` (n, dim), already L2-normalised; row i belongs to
        clause row ``chunk_rows[i]``. ``index_type`` is one of INDEX_TYPES."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        concrete = resolve_index_type(index_type, vectors.shape[0])
        if _is_ivf(concrete) and vectors.shape[0] < 39:
            concrete = "flat"  # too few vectors to train a quantizer
        index, params = _new_index(concrete, vectors)
        if vectors.shape[0]:
            index.add(vectors)
        if _is_ivf(concrete):
            # reconstruct() (scores of given rows, matrix()) needs the id → list map
            faiss.extract_index_ivf(index).make_direct_map()
        return cls(index, chunk_rows, n_clauses, index_type=concrete, params=params)

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this store."""
        return {"backend": self.backend, "index_type": self.index_type, "params": dict(self.params)}

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def matrix(self) -> np.ndarray:
        """All stored vectors, (ntotal, dim) float32 (a view, read it only;
        decoded, so approximate for the quantised types)."""
        if self._matrix is None:
            if self.ntotal == 0:
                self._matrix = np.empty((0, self.dim), dtype=np.float32)
            else:
                view = self._flat_view()
                self._matrix = view if view is not None else self.index.reconstruct_n(0, self.ntotal)
        return self._matrix

    def _flat_view(self) -> np.ndarray | None:
        """The full-precision vectors as a read-only view of the index's own
        storage (flat, or HNSW's flat storage), not a copy: no second copy in
        memory, and a memory-mapped file stays mapped. None for IVF types."""
        flat = self.index
        if isinstance(flat, faiss.IndexHNSW):
            flat = faiss.downcast_index(flat.storage)
        if not isinstance(flat, faiss.IndexFlat) or flat.ntotal != self.ntotal:
            return None
        view = faiss.rev_swig_ptr(flat.get_xb(), self.ntotal * self.dim).reshape(self.ntotal, self.dim)
        view.flags.writeable = False
        return view

    def _query(self, qvec: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(qvec, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise ValueError(f"query vector has dimension {q.shape[1]}, index has {self.dim}")
        return q

    def scores_all(self, qvec: np.ndarray) -> np.ndarray:
        """Per-clause best chunk similarity for every clause row (float32,
        length n_clauses; -1.0 for a clause without vectors).

        Exact on a flat index. On an approximate index only the clauses of the
        top ``ANN_CANDIDATES`` chunks of the ANN search get their score; every
        other clause gets the lowest candidate score (an upper bound of its
        true score), so rankings and score statistics stay finite and
        candidates always rank first.
        """
        q = self._query(qvec)
        out = np.full(self.n_clauses, MISSING_SCORE, dtype=np.float32)
        if not self.ntotal:
            return out
        if self.exact:
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
        sims, ids = self.index.search(q, min(self.ntotal, ANN_CANDIDATES))
        keep = ids[0] >= 0
        ids, sims = ids[0][keep], sims[0][keep].astype(np.float32)
        if ids.size == 0:
            return out
        out[:] = float(sims.min())
        cand = np.full(self.n_clauses, -np.inf, dtype=np.float32)
        np.maximum.at(cand, self.chunk_rows[ids], sims)
        hit = np.isfinite(cand)
        out[hit] = cand[hit]
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

    def _chunks_by_row(self) -> list[np.ndarray]:
        if self._chunks_of is None:
            order = np.argsort(self.chunk_rows, kind="stable")
            bounds = np.searchsorted(self.chunk_rows[order], np.arange(self.n_clauses + 1))
            self._chunks_of = [order[bounds[r] : bounds[r + 1]] for r in range(self.n_clauses)]
        return self._chunks_of

    def scores(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Best chunk similarity of each clause in ``rows`` (float32, same
        order; -1.0 without vectors), computed from the stored vectors."""
        q = self._query(qvec)[0]
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(rows.shape[0], MISSING_SCORE, dtype=np.float32)
        if not self.ntotal or rows.size == 0:
            return out
        if rows.size * 64 >= self.n_clauses:
            # many rows: one vectorised pass over chunk_rows
            position = np.full(self.n_clauses, -1, dtype=np.int64)
            position[rows] = np.arange(rows.shape[0])
            owner_of_chunk = position[self.chunk_rows]
            ids = np.flatnonzero(owner_of_chunk >= 0)
            owner = owner_of_chunk[ids]
        else:
            chunks_of = self._chunks_by_row()
            ids = np.concatenate([chunks_of[int(r)] for r in rows])
            owner = np.repeat(np.arange(rows.shape[0]), [chunks_of[int(r)].size for r in rows])
        if ids.size == 0:
            return out
        if self._matrix is not None or self._flat_view() is not None:
            vecs = self.matrix()[ids]
        else:
            vecs = self.index.reconstruct_batch(ids.astype(np.int64))
        # einsum, not BLAS (see scores_all)
        np.maximum.at(out, owner, np.einsum("ij,j->i", vecs, q).astype(np.float32, copy=False))
        return out

    def candidates(
        self, qvec: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows among ``allowed_rows`` (None: all) as
        (row, score), ordered by (-score, row). A restricted set of at most
        EXACT_ROWS_LIMIT rows is scored exactly; otherwise the ANN search."""
        if k <= 0:
            return []
        if allowed_rows is None or allowed_rows.size >= self.n_clauses:
            return self.search(qvec, k)
        if allowed_rows.size <= EXACT_ROWS_LIMIT:
            rows = np.asarray(allowed_rows, dtype=np.int64)
            sims = self.scores(qvec, rows)
            order = np.lexsort((rows, -sims))[:k]
            return [(int(rows[i]), float(sims[i])) for i in order if sims[i] > MISSING_SCORE]
        allowed = set(int(r) for r in allowed_rows)
        hits = self.search(qvec, self.n_clauses if self.exact else min(self.n_clauses, k * 20))
        return [(row, s) for row, s in hits if row in allowed][:k]

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
        index_type: str = "flat",
        params: dict[str, Any] | None = None,
    ) -> VectorIndex:
        """Read what ``save`` wrote; the vector and mapping counts must agree
        (with each other and with ``expected_vectors`` from the manifest).
        ``mmap`` maps the file instead of reading it (falls back to reading
        where this FAISS build or index type cannot); ``mmapped`` says which."""
        directory = Path(directory)
        index_path, rows_path = directory / VECTORS_FILE, directory / CHUNK_ROWS_FILE
        for path in (index_path, rows_path):
            if not path.exists():
                raise IndexNotFoundError(
                    f"vector index file missing: {path}; rebuild with `policy-search ingest`"
                )
        index = None
        mmapped = False
        if mmap:
            try:
                index = faiss.read_index(str(index_path), _mmap_flag(index_type))
                mmapped = True
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
        return cls(index, chunk_rows, n_clauses, index_type=index_type, params=params, mmapped=mmapped)
