"""Parsing across processes gives exactly what parsing in this process gives."""

from __future__ import annotations

from pathlib import Path

from ingest.parse import discover_files, load_catalog
from policy_search.pipeline import parse_many
from scripts.synth_corpus import synthesize, write_txt

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _summary(results):
    return [
        (error, [(d.document.doc_id, [(c.clause_id, c.text, c.line_start) for c in d.clauses]) for d in docs or []])
        for docs, error in results
    ]


def test_parallel_parse_matches_sequential(tmp_path):
    folder = tmp_path / "plans"
    write_txt(synthesize(2, corpus_dir=CORPUS, seed=3), folder)
    (folder / "broken.txt").write_bytes(b"")  # a failure keeps its place and its reason
    files = [(p, folder) for p in discover_files([folder])]
    assert len(files) >= 8
    sequential = parse_many(files, None, workers=1)
    parallel = parse_many(files, None, workers=2)
    assert _summary(parallel) == _summary(sequential)
    assert any(error for _, error in parallel) and sum(1 for docs, _ in parallel if docs) >= 8


def test_parse_many_on_the_corpus_with_its_catalog():
    catalog = load_catalog(CORPUS / "catalog.json")
    files = [(p, CORPUS) for p in discover_files([CORPUS])]
    results = parse_many(files, catalog, workers=2)
    doc_ids = sorted(d.document.doc_id for docs, _ in results for d in docs or [])
    assert doc_ids == sorted(
        ["zigong-children", "xiangning-children", "xiqu-women", "xiqu-children", "shiguai-children", "dadukou-children"]
    )
