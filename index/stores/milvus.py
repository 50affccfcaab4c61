"""The Milvus store: chunk vectors and BM25 full-text search in Milvus.

``uri`` is a path (``./milvus.db``: Milvus Lite, in-process) or a server URI
(``http://host:19530``: Milvus standalone or cluster). Without a URI the Lite
database lives inside the index version directory (``milvus.db``), so it is
built, switched and removed with the rest of the index.

Two collections per build: ``<name>_chunks`` (one entity per chunk: its
vector and clause row) and ``<name>_clauses`` (one entity per clause row:
the lexical fields — clause text, section path, indicator, plan title — each
with Milvus's built-in BM25 function over the jieba analyzer, search mode,
with the policy user dictionary). Filters become a boolean expression on
``row``; the retriever fuses and reranks the rows exactly as for FAISS.

pymilvus (and milvus-lite for a path) are optional:
``pip install 'policy-search[milvus]'``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexBuildError, IndexCorruptError, IndexNotFoundError, PolicyIndexError
from ..lexical import FIELDS, STOPWORDS, USERDICT_PATH
from ..textnorm import fold
from ..vectors import CHUNK_ROWS_FILE, MISSING_SCORE, resolve_index_type
from .base import rows_filter

log = logging.getLogger(__name__)

LITE_DB = "milvus.db"  # the Lite database inside a version directory
MAX_TEXT = 65_535  # Milvus VARCHAR limit (bytes)
INSERT_BATCH = 512
FETCH_LIMIT = 16_384  # Milvus's largest search limit (topk)
ANN_CANDIDATES = 200
# Milvus index per requested FAISS-style type; flat stays exact
_MILVUS_INDEX = {
    "flat": ("FLAT", {}),
    "hnsw": ("HNSW", {"M": 32, "efConstruction": 200}),
    "ivf": ("IVF_FLAT", {"nlist": 1024}),
    "ivf-sq8": ("IVF_SQ8", {"nlist": 1024}),
    "ivf-pq": ("IVF_PQ", {"nlist": 1024, "m": 48, "nbits": 8}),
}
_SEARCH_PARAMS = {"HNSW": {"ef": 128}, "IVF_FLAT": {"nprobe": 64}, "IVF_SQ8": {"nprobe": 64}, "IVF_PQ": {"nprobe": 64}}
_NOT_TEXT = re.compile(r"[^\w%‰]+")

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


class MilvusUnavailableError(PolicyIndexError, ImportError):
    """pymilvus (or milvus-lite) is not installed; the message names the extra."""


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as exc:
        raise MilvusUnavailableError(
            "the milvus vector store needs pymilvus (and milvus-lite for a local .db path): "
            "pip install 'policy-search[milvus]'"
        ) from exc
    return pymilvus


def resolve_uri(uri: str, directory: Path) -> str:
    """A server URI as given; a Lite path relative to ``directory`` when it is
    the default in-index database, else relative to the working directory."""
    if not uri:
        return str(Path(directory) / LITE_DB)
    if "://" in uri:
        return uri
    return str(Path(uri).expanduser().resolve())


def _is_lite(uri: str) -> bool:
    return "://" not in uri


def _client(uri: str) -> Any:
    """One MilvusClient per URI per process (a Lite database is opened once)."""
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            import jieba

            # Milvus Lite's jieba analyzer shares the global jieba; keep it quiet
            jieba.setLogLevel(logging.WARNING)
            pymilvus = _pymilvus()
            try:
                client = pymilvus.MilvusClient(uri)
            except pymilvus.exceptions.MilvusException as exc:
                hint = (
                    "a Milvus Lite database is opened by one process at a time: stop the other "
                    "one (a running `serve`?) or use a Milvus server (--store milvus:http://host:19530)"
                    if _is_lite(uri)
                    else "is the server running and reachable?"
                )
                raise MilvusUnavailableError(f"could not open Milvus at {uri} ({exc.message}); {hint}") from exc
            _clients[uri] = client
        return client


def close_client(uri: str) -> None:
    """Close the client of ``uri`` (before a Lite database directory is moved)."""
    with _clients_lock:
        client = _clients.pop(uri, None)
    if client is not None:
        client.close()
    if _is_lite(uri):
        # Milvus Lite serves a database from this process and holds a lock on
        # it until released; release it so the directory can move or reopen
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:
            return
        server_manager_instance.release_server(uri)


def analyzable(text: str) -> str:
    """What Milvus analyses for a text or a query: folded (width, 繁/简) like
    the FAISS-side lexical index, punctuation replaced by spaces."""
    return _NOT_TEXT.sub(" ", fold(text)).strip()


def _analyzer_params() -> dict[str, Any]:
    words = ["_default_"]
    if USERDICT_PATH.exists():
        for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines():
            word = line.split()[0] if line.split() else ""
            if word:
                words.append(word)
    return {
        "tokenizer": {"type": "jieba", "mode": "search", "dict": words},
        "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOPWORDS)}],
    }


def _max_per_row(pairs: Sequence[tuple[int, float]]) -> dict[int, float]:
    best: dict[int, float] = {}
    for row, score in pairs:
        if score > best.get(row, -np.inf):
            best[row] = score
    return best


def _ranked(best: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]


class MilvusStore:
    """Chunk vectors and clause BM25 fields in two Milvus collections."""

    backend = "milvus"

    def __init__(
        self,
        uri: str,
        collection: str,
        chunk_rows: np.ndarray,
        n_clauses: int,
        dim: int,
        index_type: str = "flat",
        config_uri: str = "",
    ) -> None:
        chunk_rows = np.ascontiguousarray(chunk_rows, dtype=np.int64)
        if chunk_rows.size and (chunk_rows.min() < 0 or chunk_rows.max() >= n_clauses):
            raise IndexCorruptError(f"chunk_rows refers to clause rows outside 0..{n_clauses - 1}")
        self.uri = uri
        self.config_uri = config_uri  # as given in the setting ("" = in-index Lite)
        self.collection = collection
        self.chunk_rows = chunk_rows
        self.n_clauses = int(n_clauses)
        self.dim = int(dim)
        self.index_type = index_type
        self.client = _client(uri)
        order = np.argsort(chunk_rows, kind="stable")
        bounds = np.searchsorted(chunk_rows[order], np.arange(self.n_clauses + 1))
        self._chunks_of = [order[bounds[r] : bounds[r + 1]] for r in range(self.n_clauses)]
        self._vectors: dict[int, np.ndarray] = {}  # chunk id → vector, fetched on demand
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    # ---- naming -----------------------------------------------------------------------

    @property
    def chunks_collection(self) -> str:
        return f"{self.collection}_chunks"

    @property
    def clauses_collection(self) -> str:
        return f"{self.collection}_clauses"

    @property
    def ntotal(self) -> int:
        return int(self.chunk_rows.shape[0])

    @property
    def exact(self) -> bool:
        return False  # scores_all scores ANN candidates only (see there)

    # ---- build ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        chunk_rows: np.ndarray,
        n_clauses: int,
        clause_texts: Sequence[Mapping[str, str]],
        *,
        uri: str,
        collection: str,
        index_type: str = "auto",
        config_uri: str = "",
    ) -> MilvusStore:
        """Create both collections (replacing any of the same name), insert
        ``vectors`` and the lexical fields of each clause row, and flush."""
        pymilvus = _pymilvus()
        DataType, Function, FunctionType = pymilvus.DataType, pymilvus.Function, pymilvus.FunctionType
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(clause_texts) != n_clauses:
            raise IndexBuildError(f"{len(clause_texts)} clause texts for {n_clauses} clauses")
        concrete = resolve_index_type(index_type, vectors.shape[0])
        client = _client(uri)
        store = cls(uri, collection, chunk_rows, n_clauses, vectors.shape[1], concrete, config_uri)
        for name in (store.chunks_collection, store.clauses_collection):
            if client.has_collection(name):
                client.drop_collection(name)

        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("row", DataType.INT64)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        index_params = client.prepare_index_params()
        milvus_type, build_params = _MILVUS_INDEX[concrete]
        index_params.add_index("vec", index_type=milvus_type, metric_type="IP", params=build_params)
        client.create_collection(store.chunks_collection, schema=schema, index_params=index_params)

        analyzer = _analyzer_params()
        schema = client.create_schema(auto_id=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        index_params = client.prepare_index_params()
        for field in FIELDS:
            schema.add_field(
                field, DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True, analyzer_params=analyzer
            )
            schema.add_field(f"{field}_bm25", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name=f"{field}_bm25_fn",
                    function_type=FunctionType.BM25,
                    input_field_names=[field],
                    output_field_names=[f"{field}_bm25"],
                )
            )
            index_params.add_index(f"{field}_bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        client.create_collection(store.clauses_collection, schema=schema, index_params=index_params)

        for start in range(0, vectors.shape[0], INSERT_BATCH):
            stop = min(start + INSERT_BATCH, vectors.shape[0])
            client.insert(
                store.chunks_collection,
                [
                    {"id": i, "row": int(store.chunk_rows[i]), "vec": vectors[i].tolist()}
                    for i in range(start, stop)
                ],
            )
        for start in range(0, n_clauses, INSERT_BATCH):
            stop = min(start + INSERT_BATCH, n_clauses)
            client.insert(
                store.clauses_collection,
                [
                    {
                        "row": row,
                        **{f: analyzable(clause_texts[row].get(f, ""))[: MAX_TEXT // 4] for f in FIELDS},
                    }
                    for row in range(start, stop)
                ],
            )
        for name in (store.chunks_collection, store.clauses_collection):
            client.flush(name)
            client.load_collection(name)
        store._matrix = vectors
        return store

    def save(self, directory: Path) -> None:
        """Write ``chunk_rows.npy`` (the entities are in Milvus already)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / CHUNK_ROWS_FILE, self.chunk_rows, allow_pickle=False)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "uri": self.config_uri,
            "collection": self.collection,
            "dim": self.dim,
            "index_type": self.index_type,
            "params": {"milvus_index": _MILVUS_INDEX[self.index_type][0]},
        }

    @classmethod
    def load(
        cls, config: Mapping[str, Any], directory: Path, n_clauses: int, expected_vectors: int | None
    ) -> MilvusStore:
        """Open the collections the manifest's ``store`` entry names."""
        directory = Path(directory)
        rows_path = directory / CHUNK_ROWS_FILE
        if not rows_path.exists():
            raise IndexNotFoundError(f"vector index file missing: {rows_path}; rebuild with `policy-search ingest`")
        chunk_rows = np.load(rows_path, allow_pickle=False)
        if expected_vectors is not None and chunk_rows.shape[0] != expected_vectors:
            raise IndexCorruptError(
                f"{rows_path} maps {chunk_rows.shape[0]} vectors but the manifest says "
                f"{expected_vectors}; rebuild the index (`policy-search ingest`)"
            )
        config_uri = str(config.get("uri", ""))
        uri = resolve_uri(config_uri, directory)
        dim = int(config.get("dim", 0))
        store = cls(uri, str(config["collection"]), chunk_rows, n_clauses, dim, str(config.get("index_type", "flat")), config_uri)
        for name in (store.chunks_collection, store.clauses_collection):
            if not store.client.has_collection(name):
                raise IndexNotFoundError(
                    f"Milvus at {uri} has no collection {name!r}; rebuild with `policy-search ingest --store milvus`"
                )
            store.client.load_collection(name)
        return store

    # ---- dense ------------------------------------------------------------------------

    def _query(self, qvec: np.ndarray) -> list[float]:
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        if self.dim and q.shape[0] != self.dim:
            raise ValueError(f"query vector has dimension {q.shape[0]}, index has {self.dim}")
        return q.tolist()

    def _search_chunks(self, qvec: np.ndarray, limit: int, expr: str) -> list[tuple[int, float]]:
        milvus_type = _MILVUS_INDEX[self.index_type][0]
        result = self.client.search(
            self.chunks_collection,
            data=[self._query(qvec)],
            anns_field="vec",
            limit=min(limit, FETCH_LIMIT),
            filter=expr,
            output_fields=["row"],
            search_params={"metric_type": "IP", "params": _SEARCH_PARAMS.get(milvus_type, {})},
        )
        return [(int(hit["entity"]["row"]), float(hit["distance"])) for hit in result[0]]

    def candidates(
        self, qvec: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows among ``allowed_rows``: chunks are fetched
        until ``k`` distinct clauses are seen, each scored by its best chunk."""
        if k <= 0 or self.ntotal == 0:
            return []
        expr = rows_filter(allowed_rows, self.n_clauses)
        limit_rows = self.n_clauses if allowed_rows is None else int(np.unique(allowed_rows).size)
        fetch = min(self.ntotal, max(k * 2, 16))
        while True:
            best = _max_per_row(self._search_chunks(qvec, fetch, expr))
            if len(best) >= min(k, limit_rows) or fetch >= min(self.ntotal, FETCH_LIMIT):
                break
            fetch = min(self.ntotal, FETCH_LIMIT, fetch * 4)
        return _ranked(best, k)

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        return self.candidates(qvec, k, None)

    def _fetch_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Vectors of chunk ``ids`` (fetched from Milvus once, then cached)."""
        if self._matrix is not None:
            return self._matrix[ids]
        with self._lock:
            missing = [int(i) for i in ids if int(i) not in self._vectors]
        for start in range(0, len(missing), 1000):
            batch = missing[start : start + 1000]
            for entity in self.client.get(self.chunks_collection, ids=batch, output_fields=["vec"]):
                with self._lock:
                    self._vectors[int(entity["id"])] = np.asarray(entity["vec"], dtype=np.float32)
        with self._lock:
            if len(self._vectors) == self.ntotal and self._matrix is None:
                # everything fetched: keep one matrix instead of the per-chunk cache
                self._matrix = np.vstack([self._vectors[i] for i in range(self.ntotal)])
                self._vectors = {}
                return self._matrix[ids]
            return np.vstack([self._vectors[int(i)] for i in ids])

    def scores(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact best chunk similarity of each clause in ``rows`` from the
        stored vectors (fetched from Milvus on first use, then cached)."""
        q = np.asarray(self._query(qvec), dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(rows.shape[0], MISSING_SCORE, dtype=np.float32)
        if rows.size == 0 or self.ntotal == 0:
            return out
        ids = np.concatenate([self._chunks_of[int(r)] for r in rows])
        if ids.size == 0:
            return out
        owner = np.repeat(np.arange(rows.shape[0]), [self._chunks_of[int(r)].size for r in rows])
        sims = np.einsum("ij,j->i", self._fetch_vectors(ids), q)  # einsum, not threaded BLAS
        np.maximum.at(out, owner, sims.astype(np.float32, copy=False))
        return out

    def scores_all(self, qvec: np.ndarray) -> np.ndarray:
        """Like the approximate FAISS types: the clauses of the top
        ``ANN_CANDIDATES`` chunks get their score, every other clause the
        lowest candidate score (an upper bound of its true score)."""
        out = np.full(self.n_clauses, MISSING_SCORE, dtype=np.float32)
        hits = self._search_chunks(qvec, min(self.ntotal, ANN_CANDIDATES), "")
        if not hits:
            return out
        best = _max_per_row(hits)
        out[:] = min(best.values())
        for row, score in best.items():
            out[row] = score
        return out

    def matrix(self) -> np.ndarray:
        """Every vector, fetched from Milvus once (for similar-clause search)."""
        if self._matrix is None:
            self._matrix = self._fetch_vectors(np.arange(self.ntotal)) if self.ntotal else np.empty((0, self.dim), dtype=np.float32)
        return self._matrix

    # ---- full text --------------------------------------------------------------------

    def text_candidates(
        self,
        text: str,
        k: int,
        allowed_rows: np.ndarray | None,
        field_weights: Mapping[str, float],
    ) -> list[tuple[int, float]]:
        """Weighted sum of per-field BM25 scores (each field's top ``k``)."""
        query = analyzable(text)
        if k <= 0 or not query:
            return []
        expr = rows_filter(allowed_rows, self.n_clauses)
        combined: dict[int, float] = {}
        for field in FIELDS:
            weight = float(field_weights.get(field, 0.0))
            if weight <= 0:
                continue
            result = self.client.search(
                self.clauses_collection,
                data=[query],
                anns_field=f"{field}_bm25",
                limit=min(k, FETCH_LIMIT),
                filter=expr,
                output_fields=["row"],
                search_params={"metric_type": "BM25"},
            )
            for hit in result[0]:
                # Milvus returns the BM25 score; Milvus Lite its negation (a distance)
                score = abs(float(hit["distance"]))
                if score > 0:
                    row = int(hit["entity"]["row"])
                    combined[row] = combined.get(row, 0.0) + weight * score
        return _ranked(combined, k)

    def drop(self) -> None:
        """Drop both collections (a build that failed or was replaced)."""
        for name in (self.chunks_collection, self.clauses_collection):
            if self.client.has_collection(name):
                self.client.drop_collection(name)


def drop_collections(config: Mapping[str, Any], directory: Path) -> None:
    """Drop the collections a manifest's ``store`` entry names (if they exist)."""
    client = _client(resolve_uri(str(config.get("uri", "")), directory))
    for suffix in ("_chunks", "_clauses"):
        name = f"{config['collection']}{suffix}"
        if client.has_collection(name):
            client.drop_collection(name)
