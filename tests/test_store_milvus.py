"""The Milvus store (Milvus Lite in-process, and a Milvus server reached by
URI) against the FAISS store: the same dev-set quality within a small
tolerance, the same Hit contract and filters, and the store recorded in the
manifest.

Needs the ``milvus`` extra (pymilvus, milvus-lite); skipped without it."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from search.evaluate import run_eval

from .conftest import CACHE, CORPUS, DEV_SET

HAVE_MILVUS = all(importlib.util.find_spec(name) is not None for name in ("pymilvus", "milvus_lite"))
needs_milvus = pytest.mark.skipif(
    not HAVE_MILVUS, reason="pymilvus and milvus-lite are not installed: pip install 'policy-search[milvus]'"
)
TOLERANCE = 0.03
METRICS = ("mrr@10", "recall@5", "recall@10", "ndcg@10")


def test_missing_pymilvus_names_the_extra(tmp_path, monkeypatch) -> None:
    from index.stores import build_store
    from index.stores.milvus import MilvusUnavailableError

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus -> ImportError
    vectors = np.eye(4, dtype=np.float32)
    with pytest.raises(MilvusUnavailableError, match=r"policy-search\[milvus\]"):
        build_store("milvus", vectors, np.arange(4), 4, tmp_path, clause_texts=[{}] * 4, version_id="x")


@pytest.fixture(scope="module")
def milvus_service(tmp_path_factory):
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    out = tmp_path_factory.mktemp("milvus") / "idx"
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ingest_paths([CORPUS], out, cache_path=CACHE, progress=False, store_spec="milvus")
    return SearchService.open(out)


@pytest.fixture(scope="module")
def faiss_eval(service):
    return run_eval(service, DEV_SET, top_k=10)


@pytest.mark.integration
@needs_milvus
def test_manifest_records_the_store(milvus_service, service) -> None:
    store = milvus_service.reader.manifest.store
    assert store["backend"] == "milvus" and store["uri"] == "" and store["index_type"] == "flat"
    assert (milvus_service.reader.path / "milvus.db").is_dir()  # Lite lives inside the version
    assert milvus_service.reader.vectors.ntotal == service.reader.vectors.ntotal
    assert service.reader.manifest.store["backend"] == "faiss"


@pytest.mark.integration
@needs_milvus
def test_dev_set_quality_matches_faiss(milvus_service, faiss_eval) -> None:
    milvus_eval = run_eval(milvus_service, DEV_SET, top_k=10)
    for metric in METRICS:
        ours, theirs = milvus_eval["overall"][metric], faiss_eval["overall"][metric]
        print(f"{metric}: milvus {ours:.3f} faiss {theirs:.3f}")
        assert abs(ours - theirs) <= TOLERANCE, (metric, ours, theirs)
    for key in ("target_exact", "answerable_found", "unanswerable_not_found"):
        assert abs(milvus_eval["answers"][key] - faiss_eval["answers"][key]) <= TOLERANCE, key


@pytest.mark.integration
@needs_milvus
def test_hits_and_filters_keep_the_contract(milvus_service, service) -> None:
    from search.service import Filters

    ours = milvus_service.search("防止儿童溺水", 10)
    theirs = service.search("防止儿童溺水", 10)
    assert ours.hits[0].clause_id == theirs.hits[0].clause_id
    assert set(ours.hits[0].to_dict()) == set(theirs.hits[0].to_dict())
    ids = [h.clause_id for h in ours.hits]
    assert len(ids) == len(set(ids)) == 10

    filtered = milvus_service.search("婴儿死亡率", 5, Filters(jurisdiction="自贡"))
    assert filtered.hits and all(h.jurisdiction == "自贡市" for h in filtered.hits)
    assert filtered.hits[0].clause_id == service.search("婴儿死亡率", 5, Filters(jurisdiction="自贡")).hits[0].clause_id
    kinds = milvus_service.search("婴儿死亡率", 5, Filters(kind="measure"))
    assert kinds.hits and all(h.kind == "measure" for h in kinds.hits)


@pytest.mark.integration
@needs_milvus
def test_candidates_and_bm25_respect_allowed_rows(milvus_service) -> None:
    from search.retrieval import FIELD_WEIGHTS

    reader = milvus_service.reader
    store = reader.vectors
    rows = reader.doc_rows["zigong-children"]
    qvec = reader.embed_query("防止儿童溺水")
    dense = store.candidates(qvec, 5, rows)
    assert dense and all(int(r) in set(rows.tolist()) for r, _ in dense)
    exact = store.scores(qvec, np.array([r for r, _ in dense]))
    assert np.allclose(exact, [s for _, s in dense], atol=1e-4)
    text = store.text_candidates("儿童溺水", 5, rows, FIELD_WEIGHTS)
    assert text and all(int(r) in set(rows.tolist()) for r, _ in text)
    assert [s for _, s in text] == sorted((s for _, s in text), reverse=True)


# ---------------------------------------------------------------- a server by URI


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """A Milvus server in another process, reached over gRPC at an http:// URI
    — the path a Milvus standalone or cluster takes. Milvus Lite's engine
    behind its gRPC server (``python -m milvus_lite server``) stands in for
    one: this machine cannot download or run Milvus standalone."""
    import socket
    import subprocess
    import time

    data = tmp_path_factory.mktemp("milvus-server")
    port = _free_port()
    log = open(data / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data / "db"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"milvus_lite server exited: {(data / 'server.log').read_text()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("milvus_lite server did not listen within 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.mark.integration
@needs_milvus
def test_a_milvus_server_by_uri(milvus_server, faiss_eval, tmp_path, monkeypatch) -> None:
    from pymilvus import MilvusClient

    from index.stores.milvus import close_client
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    out = tmp_path / "idx"
    spec = f"milvus:{milvus_server}"
    ingest_paths([CORPUS], out, cache_path=CACHE, progress=False, store_spec=spec)
    service = SearchService.open(out)
    store = service.reader.manifest.store
    assert store["backend"] == "milvus" and store["uri"] == milvus_server
    assert not (service.reader.path / "milvus.db").exists()  # the vectors live on the server
    first = store["collection"]

    report = run_eval(service, DEV_SET, top_k=10)
    for metric in METRICS:
        ours, theirs = report["overall"][metric], faiss_eval["overall"][metric]
        assert abs(ours - theirs) <= TOLERANCE, (metric, ours, theirs)
    hits = service.search("婴儿死亡率", 5).hits
    assert hits and hits[0].citation and hits[0].clause_id

    def collections() -> set[str]:
        client = MilvusClient(milvus_server)
        try:
            return set(client.list_collections())
        finally:
            client.close()
            close_client(milvus_server)

    # a rebuild switches to new collections; the old version's stay while the
    # version is kept (for rollback) and are dropped on the server with it
    ingest_paths([CORPUS], out, cache_path=CACHE, progress=False, force=True)
    second = SearchService.open(out).reader.manifest.store["collection"]
    assert second != first
    names = collections()
    assert {f"{second}_chunks", f"{second}_clauses", f"{first}_chunks", f"{first}_clauses"} <= names
    monkeypatch.setenv("POLICY_SEARCH_KEEP_VERSIONS", "2")
    ingest_paths([CORPUS], out, cache_path=CACHE, progress=False, force=True)
    names = collections()
    assert {f"{second}_chunks", f"{second}_clauses"} <= names
    assert not {f"{first}_chunks", f"{first}_clauses"} & names
