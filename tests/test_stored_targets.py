"""Targets are extracted at build time and stored in the index; opening an
index reads them instead of re-extracting (which took minutes at 100× the corpus)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.builder import extract_all_targets
from index.layout import resolve_index_dir
from index.store import STORE_FILE, ClauseStore
from ingest.targets import extract_targets
from search.targets_table import TargetTable


def _extracted(store: ClauseStore) -> dict[int, list]:
    docs = {d.doc_id: d for d in store.documents()}
    out = {}
    for row, clause in enumerate(store.clauses()):
        doc = docs[clause.doc_id]
        found = extract_targets(clause, default_year=doc.period[1] if doc.period else None)
        if found:
            out[row] = found
    return out


def test_index_stores_the_targets_of_every_clause(index_dir: Path):
    store = ClauseStore.open(resolve_index_dir(index_dir) / STORE_FILE)
    assert store.targets is not None
    assert store.targets == _extracted(store)
    assert sum(len(t) for t in store.targets.values()) > 100


def test_service_table_comes_from_the_stored_targets(service):
    stored = service.reader.store.targets
    assert stored is not None
    assert len(service.targets.targets) == sum(len(t) for t in stored.values())


def test_parallel_extraction_matches_serial(index_dir: Path, monkeypatch):
    import index.builder as builder

    store = ClauseStore.open(resolve_index_dir(index_dir) / STORE_FILE)
    docs = {d.doc_id: d for d in store.documents()}
    monkeypatch.setattr(builder, "PARALLEL_MIN_CLAUSES", 10)
    assert extract_all_targets(store.clauses(), docs) == store.targets


def test_store_without_targets_or_of_another_version_extracts_on_open(index_dir: Path, tmp_path: Path):
    source = ClauseStore.open(resolve_index_dir(index_dir) / STORE_FILE)
    documents, clauses = source.documents(), source.clauses()

    bare = tmp_path / "bare.sqlite"
    ClauseStore.write(bare, documents, clauses)  # no targets given
    assert ClauseStore.open(bare).targets is None

    old = tmp_path / "old.sqlite"
    ClauseStore.write(old, documents, clauses, source.targets)
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'targets_version'")
    assert ClauseStore.open(old).targets is None

    legacy = tmp_path / "legacy.sqlite"  # a store from before the targets table existed
    ClauseStore.write(legacy, documents, clauses)
    with sqlite3.connect(legacy) as conn:
        conn.execute("DROP TABLE targets")
        conn.execute("DROP TABLE meta")
    assert ClauseStore.open(legacy).targets is None

    docs = {d.doc_id: d for d in documents}
    from_open = TargetTable(docs, clauses)
    from_store = TargetTable(docs, clauses, source.targets)
    assert from_open.targets == from_store.targets
    assert from_open.by_clause == from_store.by_clause
