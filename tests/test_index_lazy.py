"""The clause store read on demand (what a serving reader uses): the same
documents, clauses, rows and targets as the store read whole, a store of the
first format still opens, and opening decodes no clause."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index import IndexReader
from index.layout import resolve_index_dir
from index.store import STORE_FILE, ClauseStore, LazyClauseStore, indicator_names
from ingest.model import CLAUSE_KINDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_path(index_dir: Path) -> Path:
    return resolve_index_dir(index_dir) / STORE_FILE


def _same(whole: ClauseStore, lazy: LazyClauseStore) -> None:
    clauses = whole.clauses()
    assert len(lazy) == len(clauses)
    assert [d.doc_id for d in lazy.documents()] == [d.doc_id for d in whole.documents()]
    assert list(lazy.clauses()) == clauses  # iteration in row order
    rows = [0, len(clauses) - 1, 5, 5, 17]
    assert lazy.clauses_at(rows) == [clauses[r] for r in rows]
    assert lazy.clauses()[3] == clauses[3] and lazy.clauses()[-1] == clauses[-1]
    for row in (0, 100, len(clauses) - 1):
        clause = clauses[row]
        assert lazy.row_of(clause.clause_id) == row
        assert lazy.clause(clause.clause_id) == clause
        assert lazy.kind_of(row) == clause.kind
        assert lazy.doc_ids[int(lazy.doc_index[row])] == clause.doc_id
    assert lazy.row_of("no-such-clause") is None and lazy.clause("no-such-clause") is None
    for document in whole.documents():
        assert lazy.clauses_of(document.doc_id) == whole.clauses_of(document.doc_id)
        expected = [r for r, c in enumerate(clauses) if c.doc_id == document.doc_id]
        assert lazy.rows_of_doc(document.doc_id).tolist() == expected
    assert lazy.rows_of_doc("no-such-doc").size == 0
    assert lazy.doc_ids_of_rows(np.array([0, len(clauses) - 1])) == {clauses[0].doc_id, clauses[-1].doc_id}
    assert lazy.targets == whole.targets
    with pytest.raises(IndexError):
        lazy.clause_at(len(clauses))


def test_lazy_store_reads_what_the_whole_store_holds(store_path: Path) -> None:
    whole = ClauseStore.open(store_path)
    lazy = LazyClauseStore.open(store_path)
    _same(whole, lazy)
    assert lazy.kind_names[: len(CLAUSE_KINDS)] == list(CLAUSE_KINDS)
    targets = [t for found in (whole.targets or {}).values() for t in found]
    assert lazy.indicator_names == indicator_names(whole.clauses(), targets)


def test_a_store_of_the_first_format_opens_lazily(store_path: Path, tmp_path: Path) -> None:
    """Built before the row columns and indicator names were stored: they are
    computed from the rows when it opens."""
    old = tmp_path / "old.sqlite"
    old.write_bytes(store_path.read_bytes())
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE columns")
        conn.execute("DELETE FROM meta WHERE key IN ('store_format', 'kinds', 'indicator_names')")
    lazy = LazyClauseStore.open(old)
    assert lazy.indicator_names is None
    _same(ClauseStore.open(store_path), lazy)


def test_opening_an_index_decodes_no_clause(index_dir: Path) -> None:
    reader = IndexReader.open(index_dir)
    assert len(reader.store._cache) == 0  # nothing per clause was read
    clause = reader.clauses[10]
    assert reader.row_of[clause.clause_id] == 10 and clause.clause_id in reader.row_of
    assert reader.doc_rows[clause.doc_id][0] <= 10 <= reader.doc_rows[clause.doc_id][-1]


def test_damaged_row_is_reported_when_read(store_path: Path, tmp_path: Path) -> None:
    from index.errors import IndexCorruptError

    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(store_path.read_bytes())
    with sqlite3.connect(broken) as conn:
        conn.execute("UPDATE clauses SET json = '{not json' WHERE row = 3")
    lazy = LazyClauseStore.open(broken)
    assert lazy.clause_at(2).clause_id
    with pytest.raises(IndexCorruptError, match="damaged row 3"):
        lazy.clause_at(3)


def test_an_index_of_an_older_layout_opens_and_the_next_ingest_rebuilds_it(tmp_path: Path) -> None:
    """A version written before the layout was recorded (its store without row
    columns, its BM25 fields as .npz) still serves; an ingest with nothing
    changed rebuilds it in the current layout instead of skipping it."""
    from dataclasses import replace

    from index.builder import index_layout
    from index.lexical import FIELDS
    from index.manifest import Manifest, checksum_files
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService
    from tests.small_corpus import DADUKOU, make_corpus, warm_cache

    corpus = make_corpus(tmp_path / "corpus", (DADUKOU,))
    cache = warm_cache(tmp_path / "cache.sqlite")
    idx = tmp_path / "idx"
    first = ingest_paths([corpus], idx, cache_path=cache, progress=False)
    version = resolve_index_dir(idx)
    before = SearchService.open(idx).search("儿童溺水", 5).hits
    # write the version back in the first layout
    with sqlite3.connect(version / STORE_FILE) as conn:
        conn.execute("DROP TABLE columns")
        conn.execute("DELETE FROM meta WHERE key IN ('store_format', 'kinds', 'indicator_names')")
    lexical = version / "lexical"
    for name in FIELDS:
        arrays = {a: np.load(lexical / f"{name}.{a}.npy") for a in ("indptr", "rows", "weights")}
        np.savez(lexical / f"{name}.npz", n_rows=np.array([first.clauses]), **arrays)
        for a in ("indptr", "rows", "weights", "max_weight"):
            (lexical / f"{name}.{a}.npy").unlink()
    manifest = Manifest.load(version)
    replace(manifest, layout={}, files=checksum_files(version)).save(version)
    old = SearchService.open(idx)
    assert [h.clause_id for h in old.search("儿童溺水", 5).hits] == [h.clause_id for h in before]
    again = ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert again.changed and again.version != first.version
    assert Manifest.load(resolve_index_dir(idx)).layout == index_layout()
    assert ingest_paths([corpus], idx, cache_path=cache, progress=False).changed is False


def test_two_query_readings_are_embedded_in_one_call(index_dir: Path) -> None:
    reader = IndexReader.open(index_dir)
    calls: list[list[str]] = []
    embed = reader.embedder.embed_queries

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return embed(texts)

    reader.embedder.embed_queries = counting  # type: ignore[method-assign]
    try:
        texts = ["学前教育三年毛入园率 目标", "学前教育三年毛入园率要达到多少？"]
        together = reader.embed_queries(texts)
        assert calls == [texts]
        # the same vectors as one at a time (now cached: no further call)
        assert all(np.array_equal(a, reader.embed_query(t)) for a, t in zip(together, texts, strict=True))
        assert len(calls) == 1
        reader.embedder.embed_queries = embed  # type: ignore[method-assign]
        fresh = IndexReader.open(index_dir)
        for vector, text in zip(together, texts, strict=True):
            assert float(vector @ fresh.embed_query(text)) > 0.999
    finally:
        reader.embedder.embed_queries = embed  # type: ignore[method-assign]


def test_a_search_reads_the_question_once_an_answer_twice(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One query embedding per search by default (setting search_readings);
    two, batched, with ``readings=2`` and for every answer."""
    from search.service import Filters, SearchService

    service = SearchService.open(index_dir)
    calls: list[list[str]] = []
    embed = service.reader.embedder.embed_queries

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return embed(texts)

    service.reader.embedder.embed_queries = counting  # type: ignore[method-assign]
    question = "孩子上幼儿园的比例要达到多少？"
    assert service.search_readings == 1
    one = service.search(question, 10)
    assert calls == [[question]]  # the question as typed, nothing else
    analysed = one.analysis.rewritten
    assert analysed != question  # the analysis rewrites it, so two readings would differ
    service.reader.forget_queries()
    calls.clear()
    two = service.search(question, 10, readings=2)
    assert calls == [[analysed, question]]  # both readings, one engine call
    assert {h.doc_id for h in one.hits[:3]} & {h.doc_id for h in two.hits[:3]}
    service.reader.forget_queries()
    calls.clear()
    service.ask(question, Filters())
    assert sorted(len(c) for c in calls) == [2]
    with pytest.raises(ValueError, match="readings"):
        service.search(question, 10, readings=3)
    monkeypatch.setenv("POLICY_SEARCH_SEARCH_READINGS", "2")
    assert SearchService.open(index_dir).search_readings == 2
    monkeypatch.setenv("POLICY_SEARCH_SEARCH_READINGS", "many")
    with pytest.raises(ValueError, match="POLICY_SEARCH_SEARCH_READINGS"):
        SearchService.open(index_dir)
