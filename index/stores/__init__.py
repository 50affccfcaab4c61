"""Vector stores behind one protocol: ``faiss`` (embedded, the default) and
``milvus`` (Milvus Lite in-process, or a Milvus server)."""

from .base import BACKENDS, StoreSpec, TextSearchStore, VectorStore, rows_filter
from .factory import build_store, collection_name, load_store, release_store

__all__ = [
    "BACKENDS",
    "StoreSpec",
    "TextSearchStore",
    "VectorStore",
    "build_store",
    "collection_name",
    "load_store",
    "release_store",
    "rows_filter",
]
