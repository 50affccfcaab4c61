"""The query adapter: a linear map that moves a question's embedding towards
the clauses that answer such questions.

e5 embeds a citizen's question (我老公喝了酒就打我，能报警吗) and the article
that answers it (家庭暴力受害人…可以向公安机关报案) far apart: the two share
few words and are written in different registers. ``scripts/fit_query_adapter.py``
fits a matrix ``M`` (dim × dim, kept close to the identity) on question →
gold clause pairs of the development sets, with every other clause of the
index as a negative. A question's vector ``q`` is searched as
``normalise((1 − alpha) · q + alpha · normalise(q · M))``.

The map is fitted for one embedding model and applies only to indexes built
with it (``models`` in the data file); for any other embedder search reads
the question's vector as it is. It moves the rankings only: the answer's
evidence (how close the best clause is, which the found / not-found
calibration reads) keeps the model's own similarity.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

DATA_FILE = "query_adapter.npz"


@dataclass(frozen=True)
class QueryAdapter:
    """``matrix`` (dim × dim, float32), ``alpha`` the share of the mapped vector,
    ``models`` the embedder names it was fitted for."""

    matrix: np.ndarray
    alpha: float
    models: tuple[str, ...]

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[0])

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The search vector of a question's (normalised) vector; float32, normalised."""
        q = np.asarray(vector, dtype=np.float32)
        mapped = q @ self.matrix
        norm = float(np.linalg.norm(mapped))
        if norm > 0:
            mapped = mapped / norm
        out = (1.0 - self.alpha) * q + self.alpha * mapped
        norm = float(np.linalg.norm(out))
        return (out / norm if norm > 0 else q).astype(np.float32)

    def fits(self, embedder: str, dim: int) -> bool:
        return embedder in self.models and dim == self.dim


def read_adapter(raw: bytes) -> QueryAdapter:
    """A QueryAdapter from the bytes of an ``.npz`` written by ``save_adapter``."""
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        matrix = np.asarray(data["matrix"], dtype=np.float32)
        meta = json.loads(str(data["meta"]))
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"query adapter matrix must be square, not {matrix.shape}")
    alpha = float(meta["alpha"])
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"query adapter alpha must be in [0, 1], not {alpha}")
    return QueryAdapter(matrix=matrix, alpha=alpha, models=tuple(meta["models"]))


def save_adapter(path: str, matrix: np.ndarray, alpha: float, models: list[str], **about: object) -> None:
    """Write an adapter (the matrix as float16: 384² × 2 bytes) with its metadata."""
    meta = {"alpha": float(alpha), "models": list(models), **about}
    np.savez_compressed(path, matrix=np.asarray(matrix, dtype=np.float16), meta=np.array(json.dumps(meta, ensure_ascii=False)))


@lru_cache(maxsize=1)
def _bundled() -> QueryAdapter | None:
    try:
        raw = resources.files("search").joinpath("data", DATA_FILE).read_bytes()
    except (FileNotFoundError, OSError):
        return None
    return read_adapter(raw)


def adapter_for(embedder: str, dim: int) -> QueryAdapter | None:
    """The bundled adapter when it was fitted for ``embedder`` (and ``dim``), else None."""
    adapter = _bundled()
    return adapter if adapter is not None and adapter.fits(embedder, dim) else None
