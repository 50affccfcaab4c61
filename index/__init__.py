"""The index layer: embedders, the clause store, the FAISS vector index, the
jieba/BM25 lexical index, and the persistence of one index directory."""

from .builder import BuildReport, build_index
from .cache import EmbeddingCache, default_cache_path
from .embedders import Embedder, EmbedderError, MissingDependencyError, get_embedder
from .errors import (
    IndexBuildError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    PolicyIndexError,
)
from .lexical import DEFAULT_FIELD_WEIGHTS, LexicalIndex, tokenize
from .reader import IndexReader
from .textnorm import fold
from .vectors import VectorIndex

__all__ = [
    "DEFAULT_FIELD_WEIGHTS",
    "BuildReport",
    "Embedder",
    "EmbedderError",
    "EmbeddingCache",
    "IndexBuildError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReader",
    "LexicalIndex",
    "MissingDependencyError",
    "PolicyIndexError",
    "VectorIndex",
    "build_index",
    "default_cache_path",
    "fold",
    "get_embedder",
    "tokenize",
]
