"""Any sentence-transformers model, by hub name or local path (extra ``[st]``).

``sentence_transformers`` and ``torch`` are imported only when an embedder is
created; without them a ``MissingDependencyError`` names the extra to install.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from .base import ST_EXTRA_HINT, EmbedderError, MissingDependencyError, l2_normalise

ST_PREFIX = "sentence-transformers"


def _import_sentence_transformer() -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError(
            "the sentence-transformers embedder needs the optional dependencies "
            f"sentence-transformers and torch: {ST_EXTRA_HINT}"
        ) from exc
    return SentenceTransformer


def uses_e5_prefixes(model: str) -> bool:
    """e5 models expect "query: "/"passage: " prefixes; others get none."""
    return "e5" in Path(model).name.lower() or "e5" in model.lower()


class SentenceTransformerEmbedder:
    """A sentence-transformers model; vectors are normalised by the model."""

    def __init__(self, model: str, device: str | None = None, batch_size: int = 32) -> None:
        if not model:
            raise ValueError("sentence-transformers embedder needs a model name or path")
        sentence_transformer = _import_sentence_transformer()
        try:
            # device=None lets sentence-transformers pick cuda / mps / cpu
            self._model = sentence_transformer(model, device=device)
        except Exception as exc:  # hub errors, bad paths, offline mode …
            raise EmbedderError(
                f"could not load sentence-transformers model {model!r}: {exc}"
            ) from exc
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if not dim:
            raise EmbedderError(f"model {model!r} does not report an embedding dimension")
        self.name: str = f"{ST_PREFIX}:{model}"
        self.dim: int = int(dim)
        self.batch_size = max(1, int(batch_size))
        # prompts the model declares (config_sentence_transformers.json, as
        # `policy-search model export` writes) win over the name-based guess
        prompts = getattr(self._model, "prompts", None) or {}
        prefixed = uses_e5_prefixes(model)
        self.query_prefix = prompts.get("query", "query: " if prefixed else "")
        self.passage_prefix = prompts.get("passage", "passage: " if prefixed else "")
        self._lock = threading.Lock()

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                [prefix + text for text in texts],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return l2_normalise(np.asarray(vectors, dtype=np.float32))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries (with "query: " for e5 models); (n, dim) float32, normalised."""
        return self._embed(texts, self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (with "passage: " for e5 models); (n, dim) float32, normalised."""
        return self._embed(texts, self.passage_prefix)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self.name!r}, dim={self.dim})"
