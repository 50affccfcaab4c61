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
# IVF: nprobe is the fewest lists (1, 2, 4, … nlist) whose recall@10 against
# exact search reaches IVF_RECALL_TARGET on IVF_CALIBRATION_QUERIES queries
# near stored vectors, measured when the index is built and recorded in the
# manifest: the probes follow how the vectors cluster, not a share of the
# lists (a quarter of 4,428 lists scanned a quarter of a million vectors).
IVF_RECALL_TARGET = 0.99
IVF_CALIBRATION_QUERIES = 200
TIE_TOLERANCE = 1e-5  # similarities this close to the exact k-th count as ties
IVF_CALIBRATION_NOISE = 0.05  # as index.recall.sample_queries: cosine ≈ 0.7 to the stored vector
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
    return index, params


def calibrate_nprobe(
    index: faiss.Index,
    vectors: np.ndarray,
    target: float = IVF_RECALL_TARGET,
    n_queries: int = IVF_CALIBRATION_QUERIES,
    k: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """The fewest probed lists (1, 2, 4, … nlist) at which the IVF ``index``
    (filled with ``vectors``) finds ``target`` of the exact top ``k`` for
    queries near stored vectors (tie-aware: a vector as similar as the exact
    k-th counts); sets it on the index and returns what the manifest records
    (nprobe, the target, the recall measured, the queries)."""
    ivf = faiss.extract_index_ivf(index)
    nlist = int(ivf.nlist)
    n = vectors.shape[0]
    k = min(k, n)
    if n == 0 or k == 0:
        ivf.nprobe = nlist
        return {"nprobe": nlist, "recall_target": target}
    rng = np.random.default_rng(seed)
    picks = rng.choice(n, size=min(n_queries, n), replace=False)
    queries = vectors[picks] + IVF_CALIBRATION_NOISE * rng.standard_normal((picks.size, vectors.shape[1])).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(vectors, dtype=np.float32))
    truth, _ = exact.search(queries, k)
    del exact
    # tie-aware: a vector as similar as the exact k-th counts (copies of one
    # passage share a vector, and which of them comes first is arbitrary)
    kth = truth[:, k - 1 : k] - TIE_TOLERANCE
    # each found vector judged by its exact similarity, not the score the
    # index reports: a compressed index (SQ8, PQ) reports approximate scores,
    # which fell below the exact k-th for the right vectors (recall 0.38 at
    # every probe count on five million SQ8 vectors, so all lists were probed)
    measured: list[tuple[int, float]] = []
    candidate = 1
    while True:
        probes = min(candidate, nlist)
        ivf.nprobe = probes
        _, ids = index.search(queries, k)
        rows = np.where(ids >= 0, ids, 0)
        sims = np.einsum("qd,qkd->qk", queries, np.asarray(vectors[rows.ravel()], dtype=np.float32).reshape(*rows.shape, -1))
        recall = float(np.mean(((sims >= kth) & (ids >= 0)).sum(axis=1) / k))
        measured.append((probes, recall))
        if recall >= target or probes >= nlist:
            break
        candidate *= 2
    reached = [(p, r) for p, r in measured if r >= target]
    if reached:
        nprobe, recall = reached[0]
    else:
        # the target is out of reach (compression): the fewest probes within
        # 0.005 of the best recall measured, not every list
        best = max(r for _, r in measured)
        nprobe, recall = next((p, r) for p, r in measured if r >= best - 0.005)
    ivf.nprobe = nprobe
    return {
        "nprobe": int(nprobe),
        "recall_target": target,
        "recall_at_build": round(recall, 4),
        "calibration_queries": int(picks.size),
    }


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
        # chunks of each clause row: chunk ids chunk_order[bounds[r]:bounds[r + 1]]
        # (chunk_order None: chunk_rows ascending, the chunk ids are the positions)
        if chunk_rows.size and bool(np.all(chunk_rows[1:] >= chunk_rows[:-1])):
            self._chunk_order: np.ndarray | None = None
            ordered = chunk_rows
        else:
            self._chunk_order = np.argsort(chunk_rows, kind="stable")
            ordered = chunk_rows[self._chunk_order]
        self._chunk_bounds = np.searchsorted(ordered, np.arange(self.n_clauses + 1))

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
            params.update(calibrate_nprobe(index, vectors))
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

    def chunk_ids(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, position in ``rows`` of the clause each belongs to) of
        the clauses ``rows``, without a pass over every chunk."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self._chunk_bounds[rows], self._chunk_bounds[rows + 1]
        counts = ends - starts
        owner = np.repeat(np.arange(rows.shape[0]), counts)
        # positions starts[i], starts[i]+1, … ends[i]-1 for every i, flattened
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        positions = np.repeat(starts, counts) + offsets
        ids = positions if self._chunk_order is None else self._chunk_order[positions]
        return ids.astype(np.int64), owner

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
            ids, owner = self.chunk_ids(rows)
        if ids.size == 0:
            return out
        if self._matrix is not None or self._flat_view() is not None:
            vecs = self.matrix()[ids]
        else:
            vecs = self.index.reconstruct_batch(ids.astype(np.int64))
        # einsum, not BLAS (see scores_all)
        np.maximum.at(out, owner, np.einsum("ij,j->i", vecs, q).astype(np.float32, copy=False))
        return out

    def _selector_params(self, allowed_rows: np.ndarray) -> Any:
        """Search parameters that keep FAISS to the chunks of ``allowed_rows``
        (a bitmap over chunk ids); an IVF index probes more lists the fewer
        chunks are allowed, so about as many allowed chunks are seen as
        without a filter."""
        ids, _ = self.chunk_ids(allowed_rows)
        allowed = np.zeros(self.ntotal, dtype=bool)
        allowed[ids] = True
        bitmap = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(bitmap))
        if _is_ivf(self.index_type):
            ivf = faiss.extract_index_ivf(self.index)
            share = max(ids.size, 1) / max(self.ntotal, 1)
            nprobe = min(int(ivf.nlist), int(math.ceil(int(ivf.nprobe) / share)))
            params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)  # type: ignore[call-arg]
        elif self.index_type == "hnsw":
            params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                sel=selector, efSearch=int(self.params.get("ef_search", HNSW_EF_SEARCH)))
        else:
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        params._keep = (selector, bitmap)  # FAISS holds raw pointers to both
        return params

    def candidates(
        self, qvec: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows among ``allowed_rows`` (None: all) as
        (row, score), ordered by (-score, row). A restricted set of at most
        EXACT_ROWS_LIMIT rows is scored exactly; a larger one is searched with
        FAISS kept to its chunks."""
        if k <= 0:
            return []
        if allowed_rows is None or allowed_rows.size >= self.n_clauses:
            return self.search(qvec, k)
        if allowed_rows.size <= EXACT_ROWS_LIMIT:
            rows = np.asarray(allowed_rows, dtype=np.int64)
            sims = self.scores(qvec, rows)
            order = np.lexsort((rows, -sims))[:k]
            return [(int(rows[i]), float(sims[i])) for i in order if sims[i] > MISSING_SCORE]
        return self.search(qvec, k, self._selector_params(np.asarray(allowed_rows, dtype=np.int64)))

    def search(self, qvec: np.ndarray, k: int, params: Any = None) -> list[tuple[int, float]]:
        """The ``k`` clause rows most similar to ``qvec`` as (row, best chunk
        score), ordered by (-score, row). Chunks are fetched until ``k``
        distinct clauses are seen, so each score is that clause's true maximum
        (for the chunks the index returns). ``params``: FAISS search parameters."""
        if k <= 0 or self.ntotal == 0:
            return []
        q = self._query(qvec)
        fetch = min(self.ntotal, max(k * 2, 16))
        while True:
            if params is None:
                sims, ids = self.index.search(q, fetch)
            else:
                sims, ids = self.index.search(q, fetch, params=params)
            valid = ids[0] >= 0  # FAISS pads with -1 when fewer results exist
            found_ids, found_sims = ids[0][valid], sims[0][valid]
            rows = self.chunk_rows[found_ids]
            # results come best first: a clause's first chunk is its best
            unique_rows, first = np.unique(rows, return_index=True)
            if unique_rows.size >= k or fetch >= self.ntotal or found_ids.size < fetch:
                break
            fetch = min(self.ntotal, fetch * 4)
        best = found_sims[first].astype(np.float64)
        order = np.lexsort((unique_rows, -best))[:k]
        return [(int(unique_rows[i]), float(best[i])) for i in order]

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
