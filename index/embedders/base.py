"""The embedder protocol every backend implements, and its errors."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

ST_EXTRA_HINT = "pip install 'policy-search[st]'"


class EmbedderError(RuntimeError):
    """An embedder could not be created or failed to embed."""


class MissingDependencyError(EmbedderError, ImportError):
    """An optional dependency of a backend is not installed.

    The message names the extra that installs it.
    """


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors.

    ``name`` identifies the model and is also a spec that ``get_embedder``
    accepts, so an index's manifest can recreate the embedder it was built with.
    An embedder may also have an int ``build_batch``: how many passages the
    index builder should send per ``embed_passages`` call (default 64).
    """

    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries; returns float32 of shape (len(texts), dim), rows of norm 1."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages to be searched; same contract as ``embed_queries``."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` as C-contiguous float32 with every non-zero row of norm 1."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        out = out.reshape(1, -1)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)
