"""Pick, build and open a vector store from its spec / manifest entry."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..vectors import INDEX_TYPES
from .base import StoreSpec, VectorStore


def collection_name(version_id: str) -> str:
    """A Milvus collection name for one build (letters, digits, underscores)."""
    return "policy_search_" + re.sub(r"[^0-9A-Za-z_]", "_", version_id)


def build_store(
    spec: str | StoreSpec,
    vectors: np.ndarray,
    chunk_rows: np.ndarray,
    n_clauses: int,
    directory: Path,
    *,
    clause_texts: Sequence[Mapping[str, str]] = (),
    faiss_index: str = "auto",
    mmap: bool = False,
    version_id: str = "",
) -> tuple[VectorStore, dict[str, Any]]:
    """Build the store ``spec`` names into ``directory`` (the version being
    built) and return it with the manifest's ``store`` entry.

    ``faiss_index`` (one of INDEX_TYPES) picks the ANN index type (Milvus maps
    it to FLAT / HNSW / IVF_*); ``mmap`` asks FAISS readers to map the file;
    ``clause_texts`` are the lexical fields per clause row (Milvus BM25)."""
    if not isinstance(spec, StoreSpec):
        spec = StoreSpec.parse(spec)
    if faiss_index not in INDEX_TYPES:
        raise ValueError(f"unknown FAISS index type {faiss_index!r}; use one of {', '.join(INDEX_TYPES)}")
    if spec.backend == "faiss":
        from .faiss import build_faiss

        return build_faiss(vectors, chunk_rows, n_clauses, directory, index_type=faiss_index, mmap=mmap)
    from .milvus import MilvusStore, resolve_uri

    # a Lite file outside the index is recorded absolute, so any working directory opens it
    config_uri = spec.uri if not spec.uri or "://" in spec.uri else resolve_uri(spec.uri, directory)
    store = MilvusStore.build(
        vectors,
        chunk_rows,
        n_clauses,
        clause_texts,
        uri=resolve_uri(spec.uri, directory),
        collection=collection_name(version_id or "index"),
        index_type=faiss_index,
        config_uri=config_uri,
    )
    store.save(directory)
    return store, store.describe()


def load_store(
    config: Mapping[str, Any], directory: Path, n_clauses: int, expected_vectors: int | None = None
) -> VectorStore:
    """Open the store the manifest's ``store`` entry describes."""
    backend = str(config.get("backend", "faiss"))
    if backend == "faiss":
        from .faiss import load_faiss

        return load_faiss(dict(config), directory, n_clauses, expected_vectors)
    if backend == "milvus":
        from .milvus import MilvusStore

        return MilvusStore.load(config, directory, n_clauses, expected_vectors)
    from ..errors import IndexNotFoundError

    raise IndexNotFoundError(f"index uses an unknown vector store {backend!r}; rebuild with `policy-search ingest`")


def release_store(config: Mapping[str, Any], directory: Path) -> None:
    """Let go of what a store holds open on ``directory`` (Milvus Lite keeps
    its database open; it must be closed before the directory is renamed)."""
    if config.get("backend") == "milvus":
        from .milvus import close_client, resolve_uri

        close_client(resolve_uri(str(config.get("uri", "")), directory))
