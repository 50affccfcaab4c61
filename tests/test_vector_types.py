"""FAISS index types on synthetic vectors: each type builds, saves and loads
(memory-mapped too), scores_all / scores / candidates keep their contracts, and
the approximate types find what exact search finds (recall@10)."""

from __future__ import annotations

import numpy as np
import pytest

from index.errors import IndexNotFoundError
from index.recall import recall_at_k, sample_queries
from index.stores import StoreSpec, build_store, load_store, rows_filter
from index.vectors import (
    AUTO_FLAT_BELOW,
    INDEX_TYPES,
    MISSING_SCORE,
    VectorIndex,
    ivf_nlist,
    resolve_index_type,
)

DIM = 384


@pytest.fixture(autouse=True, scope="module")
def one_faiss_thread():
    """One OpenMP thread: on a busy machine FAISS's spinning threads make small
    builds (PQ training above all) ten times slower than one thread."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def embedding_like(n: int, dim: int = DIM, latent: int = 32, noise: float = 0.1, seed: int = 0) -> np.ndarray:
    """Random unit vectors shaped like text embeddings: a random low-dimensional
    latent projected into ``dim`` dimensions plus isotropic noise. (Isotropic
    Gaussian vectors are the worst case for every ANN index; see the README.)"""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent)).astype(np.float32)
    projection = rng.standard_normal((latent, dim)).astype(np.float32)
    x = z @ projection + noise * np.sqrt(latent) * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, np.ndarray, int]:
    vectors = embedding_like(2_000, dim=64, seed=1)
    chunk_rows = np.arange(2_000) // 2  # two chunks per clause
    return vectors, chunk_rows, 1_000


def test_auto_type_follows_corpus_size() -> None:
    assert resolve_index_type("auto", 1_000) == "flat"
    assert resolve_index_type("auto", AUTO_FLAT_BELOW - 1) == "flat"
    assert resolve_index_type("auto", AUTO_FLAT_BELOW) == "ivf"
    assert resolve_index_type("auto", 10_000_000) == "ivf-sq8"
    assert resolve_index_type("ivf", 10) == "ivf"
    with pytest.raises(ValueError, match="unknown FAISS index type"):
        resolve_index_type("lsh", 10)
    assert ivf_nlist(20_000) == 512  # 4·√n capped by 39 training points per list
    assert ivf_nlist(1_000_000) == 4_000


@pytest.mark.parametrize("index_type", [t for t in INDEX_TYPES if t != "auto"])
def test_each_type_builds_saves_and_loads(tmp_path, small, index_type: str) -> None:
    vectors, chunk_rows, n_clauses = small
    index = VectorIndex.build(vectors, chunk_rows, n_clauses, index_type=index_type)
    assert index.index_type == index_type and index.exact == (index_type == "flat")
    q = vectors[10]
    expected = index.search(q, 5)
    assert expected[0][0] == 5  # chunk 10 belongs to clause 5
    index.save(tmp_path)
    for mmap in (False, True):
        loaded = VectorIndex.load(
            tmp_path, n_clauses, expected_vectors=2_000, mmap=mmap, index_type=index_type, params=index.params
        )
        assert loaded.mmapped == mmap
        assert loaded.search(q, 5) == expected
        dense = loaded.scores_all(q)
        assert dense.shape == (n_clauses,) and np.isfinite(dense).all()
        assert int(np.argmax(dense)) == 5
        # clauses outside the ANN candidates get the lowest candidate score, never more
        assert dense.min() >= MISSING_SCORE
        rows = np.array([5, 17, 900])
        assert loaded.scores(q, rows)[0] == pytest.approx(dense[5], abs=0.05)
        restricted = loaded.candidates(q, 3, np.arange(100, 200))
        assert [r for r, _ in restricted] and all(100 <= r < 200 for r, _ in restricted)
        assert loaded.matrix().shape == (2_000, 64)


def test_flat_scores_all_is_exact(small) -> None:
    vectors, chunk_rows, n_clauses = small
    index = VectorIndex.build(vectors, chunk_rows, n_clauses, index_type="flat")
    q = vectors[0]
    sims = vectors @ q
    expected = np.maximum(sims[0::2], sims[1::2])
    assert np.allclose(index.scores_all(q), expected, atol=1e-5)
    assert np.allclose(index.scores(q, np.arange(n_clauses)), expected, atol=1e-5)


def test_store_factory_records_type_and_mmap(tmp_path, small) -> None:
    vectors, chunk_rows, n_clauses = small
    store, config = build_store("faiss", vectors, chunk_rows, n_clauses, tmp_path, faiss_index="hnsw", mmap=True)
    assert config["backend"] == "faiss" and config["index_type"] == "hnsw" and config["mmap"] is True
    assert config["params"]["ef_search"] > 0
    loaded = load_store(config, tmp_path, n_clauses, expected_vectors=2_000)
    assert loaded.mmapped and loaded.index_type == "hnsw"
    assert loaded.search(vectors[0], 3) == store.search(vectors[0], 3)
    with pytest.raises(IndexNotFoundError, match="manifest says"):
        load_store(config, tmp_path, n_clauses, expected_vectors=1_999)
    with pytest.raises(ValueError, match="unknown FAISS index type"):
        build_store("faiss", vectors, chunk_rows, n_clauses, tmp_path, faiss_index="lsh")


def test_store_spec_parsing() -> None:
    assert StoreSpec.parse("faiss") == StoreSpec("faiss")
    assert StoreSpec.parse("milvus") == StoreSpec("milvus")
    assert StoreSpec.parse("milvus:./milvus.db") == StoreSpec("milvus", "./milvus.db")
    assert StoreSpec.parse("milvus:http://host:19530") == StoreSpec("milvus", "http://host:19530")
    assert str(StoreSpec.parse("milvus:http://host:19530")) == "milvus:http://host:19530"
    with pytest.raises(ValueError, match="unknown vector store"):
        StoreSpec.parse("qdrant")


def test_rows_filter_uses_ranges() -> None:
    assert rows_filter(None, 10) == ""
    assert rows_filter(np.arange(10), 10) == ""
    assert rows_filter(np.array([2, 3, 4, 7]), 10) == "(row >= 2 and row <= 4) or row == 7"
    assert rows_filter(np.array([], dtype=np.int64), 10) == "row < 0"
    scattered = np.arange(0, 400, 2)
    assert rows_filter(scattered, 1_000).startswith("row in [0, 2, 4")


@pytest.fixture(scope="module")
def big() -> tuple[np.ndarray, np.ndarray]:
    vectors = embedding_like(20_000)
    return vectors, sample_queries(vectors, 100, noise=0.05, seed=2)


@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_approximate_recall_at_10(big, index_type: str) -> None:
    vectors, queries = big
    index = VectorIndex.build(vectors, np.arange(vectors.shape[0]), vectors.shape[0], index_type=index_type)
    report = recall_at_k(index, queries, k=10, exact_vectors=vectors)
    print(f"recall@10 {index_type} on 20k x {DIM}: {report.recall:.3f} (worst query {report.min_recall:.1f})")
    assert report.recall >= 0.9


def test_ivf_probes_are_calibrated_at_build_and_recorded(big) -> None:
    vectors, queries = big
    index = VectorIndex.build(vectors, np.arange(vectors.shape[0]), vectors.shape[0], index_type="ivf")
    params = index.params
    assert params["recall_target"] == 0.99 and params["recall_at_build"] >= 0.99
    assert 1 <= params["nprobe"] < params["nlist"]  # embedding-like vectors need a fraction of the lists
    report = recall_at_k(index, queries, k=10, exact_vectors=vectors)
    assert report.recall >= 0.95


@pytest.mark.parametrize("index_type", ["flat", "ivf", "hnsw"])
def test_candidates_among_many_allowed_rows_stay_among_them(small, monkeypatch, index_type: str) -> None:
    """A restriction above EXACT_ROWS_LIMIT rows is searched by FAISS with a
    selector over the allowed chunks: only allowed rows come back, and on the
    exact index they are the exact best of the allowed rows."""
    import index.vectors as vectors_module

    vectors, chunk_rows, n_clauses = small
    index = VectorIndex.build(vectors, chunk_rows, n_clauses, index_type=index_type)
    allowed = np.arange(0, n_clauses, 3)
    q = vectors[10]
    exact = index.candidates(q, 20, allowed)  # at most EXACT_ROWS_LIMIT rows: scored exactly
    monkeypatch.setattr(vectors_module, "EXACT_ROWS_LIMIT", 10)
    found = index.candidates(q, 20, allowed)
    assert found and all(row % 3 == 0 for row, _ in found)
    if index_type == "flat":
        assert [r for r, _ in found] == [r for r, _ in exact]
        assert np.allclose([s for _, s in found], [s for _, s in exact], atol=1e-5)
    else:
        assert len({r for r, _ in found} & {r for r, _ in exact}) >= 15


def test_chunk_ids_of_rows(small) -> None:
    vectors, chunk_rows, n_clauses = small
    index = VectorIndex.build(vectors, chunk_rows, n_clauses)
    ids, owner = index.chunk_ids(np.array([3, 0, 999]))
    assert ids.tolist() == [6, 7, 0, 1, 1998, 1999] and owner.tolist() == [0, 0, 1, 1, 2, 2]
    shuffled = np.random.default_rng(0).permutation(2_000)
    unsorted = VectorIndex.build(vectors[shuffled], chunk_rows[shuffled], n_clauses)
    ids, owner = unsorted.chunk_ids(np.array([5]))
    assert sorted(chunk_rows[shuffled][ids].tolist()) == [5, 5]
