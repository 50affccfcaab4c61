"""Embedders: a backend protocol (``base``), one module per backend, a factory."""

from .base import Embedder, EmbedderError, MissingDependencyError
from .factory import DEFAULT_EMBEDDER, get_embedder, shared_embedder

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "EmbedderError",
    "MissingDependencyError",
    "get_embedder",
    "shared_embedder",
]
