"""Open a built index: manifest, clause store, vectors and lexical index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from ingest.model import Clause, Document

from .embedders.base import Embedder
from .embedders.factory import get_embedder
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, corrupt
from .layout import current_target, resolve_index_dir
from .lexical import LexicalIndex
from .manifest import MANIFEST_FILE, Manifest
from .store import STORE_FILE, ClauseRows, LazyClauseStore, RowOfClause, RowsOfDocument
from .stores import VectorStore, load_store

LEXICAL_DIR = "lexical"
QUERY_CACHE_SIZE = 1024
VERIFY_THREADS = 2  # files hashed at once while an index opens

_T = TypeVar("_T")


def _component(root: Path, what: str, load: Callable[[], _T]) -> _T:
    """Run one component's loader; whatever it raises on a damaged file
    (a FAISS RuntimeError, a numpy or zip error, a JSON error …) becomes one
    IndexCorruptError naming ``what``."""
    try:
        return load()
    except (IndexMismatchError, ImportError):
        raise
    except IndexCorruptError as exc:
        if str(exc).startswith("index corrupt:"):
            raise
        raise corrupt(root, str(exc)) from exc
    except IndexNotFoundError as exc:
        raise corrupt(root, str(exc)) from exc
    except Exception as exc:  # any parser's error on a damaged file
        raise corrupt(root, f"{what} is unreadable ({type(exc).__name__}: {str(exc)[:200]})") from exc


class IndexReader:
    """Everything search needs from one index; thread-safe.

    Row numbers (positions in ``clauses``) are shared by ``vectors`` and
    ``lexical``. Clauses are read from the store on demand (``clauses`` is a
    sequence by row, ``row_of`` and ``doc_rows`` mappings answered by the
    store), so opening costs the same at any corpus size.
    """

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        store: LazyClauseStore,
        vectors: VectorStore,
        lexical: LexicalIndex,
        embedder: Embedder,
    ) -> None:
        self.path = path  # the version directory actually read
        self.manifest = manifest
        self.store = store
        self.documents: dict[str, Document] = {d.doc_id: d for d in store.documents()}
        self.clauses: ClauseRows = store.clauses()
        self.row_of: RowOfClause = RowOfClause(store)
        # rows of each document, for filters (allowed_rows)
        self.doc_rows: RowsOfDocument = RowsOfDocument(store)
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
        IndexMismatchError. No index raises IndexNotFoundError; a version
        that cannot be read as built (a file missing, truncated or altered:
        every file is checked against the manifest's size and sha256 just
        before it is loaded) raises IndexCorruptError, one line that says
        which file and how to recover.
        """
        index_dir = Path(index_dir)
        tried = resolve_index_dir(index_dir)
        try:
            return cls._open_once(index_dir, embedder)
        except IndexNotFoundError:
            # a concurrent build may have switched `current` while this one
            # was read; the new version is complete, so try it once
            now = resolve_index_dir(index_dir)
            if now is None or now == tried:
                raise
            return cls._open_once(index_dir, embedder)

    @classmethod
    def _open_once(cls, index_dir: Path, embedder: Embedder | None) -> IndexReader:
        root = resolve_index_dir(index_dir)
        if root is None:
            target = current_target(index_dir)
            if target is not None:  # `current` names a version that is gone or has no manifest
                problem = f"{MANIFEST_FILE} is missing" if target.is_dir() else "the version folder is missing"
                raise corrupt(target, problem)
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
        lexical_files = manifest.files_under(LEXICAL_DIR)
        vector_files = [f for f in manifest.files if f != STORE_FILE and f not in lexical_files]
        # every file is hashed in background threads (hashlib lets go of the
        # GIL) while the components load; each component waits for its own
        # files' verdict before it reads them
        with ThreadPoolExecutor(max_workers=VERIFY_THREADS, thread_name_prefix="verify") as pool:
            order = [f for f in (STORE_FILE, *vector_files, *lexical_files) if f in manifest.files]  # as needed
            verdicts = {rel: pool.submit(manifest.verify_file, root, rel) for rel in order}
            try:
                return cls._load_verified(index_dir, root, manifest, embedder, verdicts, vector_files, lexical_files)
            finally:
                for verdict in verdicts.values():
                    verdict.cancel()

    @classmethod
    def _load_verified(
        cls,
        index_dir: Path,
        root: Path,
        manifest: Manifest,
        embedder: Embedder | None,
        verdicts: dict[str, Future[None]],
        vector_files: list[str],
        lexical_files: list[str],
    ) -> IndexReader:
        def verified(relatives: list[str]) -> None:
            for relative in relatives:
                verdicts[relative].result()  # raises the file's IndexCorruptError

        verified([STORE_FILE] if STORE_FILE in verdicts else [])
        store = _component(root, STORE_FILE, lambda: LazyClauseStore.open(root / STORE_FILE))
        counts = manifest.counts
        if len(store) != counts.get("clauses") or len(store.documents()) != counts.get("documents"):
            raise corrupt(
                root,
                f"{STORE_FILE} has {len(store)} clauses and {len(store.documents())} documents, "
                f"the manifest says {counts.get('clauses')} and {counts.get('documents')}",
            )
        verified(vector_files)
        vectors = _component(
            root,
            "the vector store",
            lambda: load_store(manifest.store, root, n_clauses=len(store), expected_vectors=counts.get("vectors")),
        )
        if vectors.dim != manifest.dim:
            raise corrupt(root, f"the vector index has dimension {vectors.dim}, the manifest says {manifest.dim}")
        verified(lexical_files)
        lexical = _component(
            root, f"{LEXICAL_DIR}/", lambda: LexicalIndex.load(root / LEXICAL_DIR, expected_rows=len(store))
        )
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

    def forget_queries(self) -> None:
        """Empty the query-vector cache (benchmarks time fresh embeddings)."""
        with self._query_lock:
            self._query_cache.clear()

    def embed_queries(self, texts: list[str]) -> list[np.ndarray]:
        """Query vectors for ``texts``, as ``embed_query`` gives them, with the
        ones not cached embedded together in one call (a search needs the
        analysed query and the question as typed: one engine pass, not two)."""
        found: dict[str, np.ndarray] = {}
        with self._query_lock:
            for text in texts:
                cached = self._query_cache.get(text)
                if cached is not None:
                    self._query_cache.move_to_end(text)
                    found[text] = cached
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = np.asarray(self.embedder.embed_queries(missing), dtype=np.float32)
            with self._query_lock:
                for text, row in zip(missing, vectors, strict=True):
                    vector = row.copy()
                    vector.setflags(write=False)
                    found[text] = vector
                    self._query_cache[text] = vector
                    self._query_cache.move_to_end(text)
                while len(self._query_cache) > QUERY_CACHE_SIZE:
                    self._query_cache.popitem(last=False)
        return [found[t] for t in texts]

    def __len__(self) -> int:
        return len(self.clauses)

    def __repr__(self) -> str:
        return (
            f"IndexReader({str(self.path)!r}, documents={len(self.documents)}, "
            f"clauses={len(self.clauses)}, embedder={self.embedder.name!r})"
        )
