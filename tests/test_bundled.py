"""The bundled corpus and its shipped embeddings (policy_search.bundled): a
first start builds the index without running the model, only ever with
vectors of the same model over the same text."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index.builder import PASSAGE_ROLE
from index.cache import EmbeddingCache
from policy_search import bundled
from tests.conftest import CORPUS

REGENERATE = "the shipped embeddings are out of date: run `make bundled-embeddings` and commit policy_search/data/"


def test_the_shipped_set_matches_the_corpus_parser_and_model():
    """Fails when the corpus, the parser, the chunking or the model moved on
    from the shipped set (a first start would then run the model again)."""
    from index.chunking import passage_text
    from ingest.parse import CATALOG_NAME, discover_files, load_catalog, parse_file

    bundle = bundled.load_bundled_embeddings()
    assert bundle is not None, "policy_search/data/bundled-embeddings.{json,npy} are missing"
    assert bundle.model_version == bundled.model_version(), REGENERATE
    assert bundle.vectors.shape == (len(bundle.passages), bundle.dim)
    norms = np.linalg.norm(bundle.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3), "vectors are L2-normalised, as the embedder returns them"

    files = {f.name: f for f in bundle.files}
    catalog = load_catalog(CORPUS / CATALOG_NAME)
    on_disk = discover_files([CORPUS])
    assert sorted(files) == sorted(p.relative_to(CORPUS).as_posix() for p in on_disk), REGENERATE
    for path in on_disk:
        entry = files[path.relative_to(CORPUS).as_posix()]
        assert entry.sha256 == bundled.file_sha256(path), f"{path.name} changed; {REGENERATE}"
        shipped = set(bundle.passages_of(entry.sha256)[0])
        needed = {
            text
            for item in parse_file(path, catalog, base_dir=CORPUS)
            for clause in item.clauses
            for text in passage_text(clause, item.document)
        }
        missing = needed - shipped
        assert not missing, f"{len(missing)} passages of {path.name} are not shipped; {REGENERATE}"


@pytest.mark.integration
def test_the_index_of_a_fresh_machine_is_built_from_the_shipped_vectors(tmp_path, index_dir):
    """An empty cache, seeded: the build embeds nothing, and its vectors are
    the ones the model gave the session's index."""
    from index import IndexReader
    from policy_search.pipeline import ingest_paths

    cache = tmp_path / "cache.sqlite"
    seeded = bundled.seed_cache([CORPUS], cache)
    assert seeded.skipped is None and len(seeded.files) == 5
    assert seeded.seeded > 1000
    again = bundled.seed_cache([CORPUS], cache)
    assert again.seeded == 0 and again.passages == seeded.passages  # already there: nothing written

    report = ingest_paths([CORPUS], tmp_path / "idx", cache_path=cache, progress=False)
    assert report.build["cache_misses"] == 0
    fresh = IndexReader.open(tmp_path / "idx")
    session = IndexReader.open(index_dir, embedder=fresh.embedder)
    assert [c.clause_id for c in fresh.clauses] == [c.clause_id for c in session.clauses]
    a, b = fresh.vectors.matrix(), session.vectors.matrix()
    assert a.shape == b.shape
    cosine = np.sum(a * b, axis=1)
    assert float(cosine.min()) > 0.999


def test_another_model_version_is_not_used(tmp_path):
    cache = tmp_path / "cache.sqlite"
    report = bundled.seed_cache([CORPUS], cache, installed_model_version="0.0.1")
    assert report.seeded == 0 and "0.0.1" in (report.skipped or "")
    bundle = bundled.load_bundled_embeddings()
    assert bundle is not None
    with EmbeddingCache(cache, bundle.embedder) as opened:
        assert len(opened) == 0


def test_only_files_with_the_same_bytes_are_seeded(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    edited = corpus / "zigong-children-2021-2030.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n附：本纲要由市妇儿工委办公室负责解释。\n", encoding="utf-8")
    cache = tmp_path / "cache.sqlite"
    report = bundled.seed_cache([corpus], cache)
    assert sorted(Path(f).name for f in report.files) == sorted(
        p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".md") and p.name != edited.name
    )
    bundle = bundled.load_bundled_embeddings()
    assert bundle is not None
    zigong = next(f for f in bundle.files if f.name == edited.name)
    only_zigong = set(bundle.passages_of(zigong.sha256)[0]) - {
        t for f in bundle.files if f.name != edited.name for t in bundle.passages_of(f.sha256)[0]
    }
    with EmbeddingCache(cache, bundle.embedder) as opened:
        assert opened.get_many(sorted(only_zigong), PASSAGE_ROLE) == {}


def test_unrelated_paths_are_not_hashed_or_seeded(tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "other.txt").write_text("某县儿童发展规划\n一、总体要求\n1. 保障儿童权利。\n", encoding="utf-8")
    report = bundled.seed_cache([tmp_path / "plans"], tmp_path / "cache.sqlite")
    assert report.files == [] and report.seeded == 0 and report.skipped


def test_the_corpus_is_found_without_the_source_tree(tmp_path, monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_CORPUS", raising=False)
    monkeypatch.chdir(tmp_path)  # no corpus/ here
    found = bundled.corpus_dir()
    assert found == bundled.bundled_corpus_dir()
    assert (found / "catalog.json").is_file()
    (tmp_path / "corpus").mkdir()
    assert bundled.corpus_dir() == Path("corpus")  # a corpus/ in the working directory comes first
    monkeypatch.setenv("POLICY_SEARCH_CORPUS", str(tmp_path / "mine"))
    assert bundled.corpus_dir() == tmp_path / "mine"  # the setting, always
