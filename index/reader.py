"""Open a built index: manifest, clause store, vectors and lexical index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ingest.model import Clause, Document

from .embedders.base import Embedder
from .embedders.factory import get_embedder
from .errors import IndexMismatchError, IndexNotFoundError
from .layout import resolve_index_dir
from .lexical import LexicalIndex
from .manifest import Manifest
from .store import STORE_FILE, ClauseStore
from .stores import VectorStore, load_store

LEXICAL_DIR = "lexical"
QUERY_CACHE_SIZE = 1024


class IndexReader:
    """Everything search needs from one index, loaded into memory; thread-safe.

    Row numbers (positions in ``clauses``) are shared by ``vectors`` and
    ``lexical``.
    """

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        store: ClauseStore,
        vectors: VectorStore,
        lexical: LexicalIndex,
        embedder: Embedder,
    ) -> None:
        self.path = path  # the version directory actually read
        self.manifest = manifest
        self.store = store
        self.documents: dict[str, Document] = {d.doc_id: d for d in store.documents()}
        self.clauses: list[Clause] = store.clauses()
        self.row_of: dict[str, int] = {c.clause_id: i for i, c in enumerate(self.clauses)}
        doc_rows: dict[str, list[int]] = {}
        for row, clause in enumerate(self.clauses):
            doc_rows.setdefault(clause.doc_id, []).append(row)
        # rows of each document, for filters (allowed_rows)
        self.doc_rows: dict[str, np.ndarray] = {
            doc_id: np.asarray(rows, dtype=np.int64) for doc_id, rows in doc_rows.items()
        }
        self.vectors = vectors  # the vector store (faiss | milvus), see index.stores
        self.lexical = lexical
        self.embedder = embedder
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder | None = None) -> IndexReader:
        """Open the index at ``index_dir``.

        Without ``embedder`` the one named in the manifest is created. A given
        embedder must match the manifest's model and dimension, else
        IndexMismatchError. A missing or partial index raises IndexNotFoundError.
        """
        index_dir = Path(index_dir)
        try:
            return cls._open_once(index_dir, embedder)
        except IndexNotFoundError:
            # a concurrent build may have switched `current` and removed the
            # version being read; the new one is complete, so try once more
            if resolve_index_dir(index_dir) is None:
                raise
            return cls._open_once(index_dir, embedder)

    @classmethod
    def _open_once(cls, index_dir: Path, embedder: Embedder | None) -> IndexReader:
        root = resolve_index_dir(index_dir)
        if root is None:
            what = "does not exist" if not index_dir.exists() else "holds no complete index"
            raise IndexNotFoundError(
                f"index directory {index_dir} {what}; build it with "
                f"`policy-search ingest --index {index_dir} corpus/`"
            )
        manifest = Manifest.load(root)
        if embedder is not None:
            if embedder.name != manifest.embedder or int(embedder.dim) != manifest.dim:
                raise IndexMismatchError(
                    f"index {index_dir} was built with {manifest.embedder} (dim {manifest.dim}) "
                    f"but the embedder given is {embedder.name} (dim {embedder.dim}); use the "
                    "same model or rebuild with `policy-search ingest`"
                )
        store = ClauseStore.open(root / STORE_FILE)
        counts = manifest.counts
        if len(store) != counts.get("clauses") or len(store.documents()) != counts.get("documents"):
            raise IndexNotFoundError(
                f"index {root} is inconsistent: the store has {len(store)} clauses and "
                f"{len(store.documents())} documents, the manifest says {counts}; "
                "rebuild with `policy-search ingest`"
            )
        vectors = load_store(
            manifest.store, root, n_clauses=len(store), expected_vectors=counts.get("vectors")
        )
        if vectors.dim != manifest.dim:
            raise IndexNotFoundError(
                f"vector index in {root} has dimension {vectors.dim}, manifest says "
                f"{manifest.dim}; rebuild with `policy-search ingest`"
            )
        lexical = LexicalIndex.load(root / LEXICAL_DIR, expected_rows=len(store))
        if embedder is None:
            embedder = get_embedder(manifest.embedder)
            if int(embedder.dim) != manifest.dim:
                raise IndexMismatchError(
                    f"embedder {embedder.name} has dimension {embedder.dim} but index "
                    f"{index_dir} was built with dimension {manifest.dim}"
                )
        return cls(root, manifest, store, vectors, lexical, embedder)

    def clause(self, clause_id: str) -> Clause | None:
        """The clause ``clause_id``, or None."""
        return self.store.clause(clause_id)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """The clauses of ``doc_id`` in reading order (empty if unknown)."""
        return self.store.clauses_of(doc_id)

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        return self.documents.get(doc_id)

    def embed_query(self, text: str) -> np.ndarray:
        """The query vector for ``text`` (dim,), float32, normalised; LRU-cached
        and read-only."""
        with self._query_lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached
        vector = np.asarray(self.embedder.embed_queries([text])[0], dtype=np.float32).copy()
        vector.setflags(write=False)
        with self._query_lock:
            self._query_cache[text] = vector
            self._query_cache.move_to_end(text)
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self.clauses)

    def __repr__(self) -> str:
        return (
            f"IndexReader({str(self.path)!r}, documents={len(self.documents)}, "
            f"clauses={len(self.clauses)}, embedder={self.embedder.name!r})"
        )
