"""Two files whose names make the same document id (as in the bulk archive:
最高人民法院、最高人民检察院… and 最高人民法院  最高人民检察院…) are both indexed,
the later one under an id made distinct by its path, and a catalog id two
files claim fails the later file by name while the rest of the batch lands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.model import Clause, Document, ParsedDocument
from ingest.parse import disambiguated_id, with_doc_id
from tests.small_corpus import DADUKOU, make_corpus, warm_cache

LAW = """{title}

第一条　为了保障学生在校期间的人身安全，{marker}，制定本规定。
第二条　学校应当建立安全管理制度，明确安全责任人。
第三条　本规定自公布之日起施行。
"""

A = "山东省、青岛市关于校园安全的规定.txt"
B = "山东省  青岛市关于校园安全的规定.txt"


def _write(folder: Path, name: str, marker: str) -> None:
    (folder / name).write_text(LAW.format(title=Path(name).stem, marker=marker), encoding="utf-8")


def test_renaming_a_document_moves_its_clause_ids() -> None:
    doc = Document(
        doc_id="x", title="t", subject=None, jurisdiction=None, period=None, status=None, issued=None,
        doc_number=None, source_file="a/x.txt", source_hash="0",
    )
    clauses = [
        Clause(
            clause_id="x-1", doc_id="x", section_path=[], number="第一条", kind="article", text="第一条 甲。",
            line_start=1, line_end=1, order=0, source_file="a/x.txt",
        )
    ]
    renamed = with_doc_id(ParsedDocument(doc, clauses), "x-abc")
    assert renamed.document.doc_id == "x-abc" and renamed.document.title == "t"
    assert renamed.clauses[0].doc_id == "x-abc" and renamed.clauses[0].clause_id.startswith("x-abc-")
    assert clauses[0].doc_id == "x"  # the original is left as it was
    assert disambiguated_id("x", "a/x.txt") == disambiguated_id("x", "a/x.txt") != disambiguated_id("x", "b/x.txt")


@pytest.mark.integration
def test_two_files_with_one_derived_id_are_both_indexed_and_stay_so(tmp_path: Path, index_dir: Path) -> None:
    from index import IndexReader
    from policy_search.pipeline import ingest_paths

    corpus = make_corpus(tmp_path / "corpus", (DADUKOU,))
    _write(corpus, A, "甲方标记")
    _write(corpus, B, "乙方标记")
    cache = warm_cache(tmp_path / "cache.sqlite")
    idx = tmp_path / "idx"
    report = ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert not report.failed
    ids = [d for d in report.documents if "校园安全" in d]
    assert len(ids) == 2 and len(set(ids)) == 2
    later = sorted([A, B])[1]  # files are read in sorted order: the later one yields
    assert [w for w in report.warnings if "indexed as" in w and w.startswith(later)]
    reader = IndexReader.open(idx)
    texts = {d: " ".join(c.text for c in reader.clauses if c.doc_id == d) for d in ids}
    assert sorted("甲方标记" in t for t in texts.values()) == [False, True]
    assert sorted("乙方标记" in t for t in texts.values()) == [False, True]
    before = set(ids)

    # one of them changes: it keeps its id, the other is untouched
    _write(corpus, B, "乙方新标记")
    report = ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert not report.failed
    assert {d for d in report.documents if "校园安全" in d} == before
    assert len(report.replaced) == 1 and not report.added and not report.removed


@pytest.mark.integration
def test_a_catalog_id_two_files_claim_fails_the_later_file_only(tmp_path: Path, index_dir: Path) -> None:
    from policy_search.pipeline import ingest_paths

    corpus = make_corpus(tmp_path / "corpus", (DADUKOU,))
    _write(corpus, A, "甲方标记")
    _write(corpus, B, "乙方标记")
    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8")) if (corpus / "catalog.json").exists() else []
    entries = catalog if isinstance(catalog, list) else catalog.get("documents", catalog)
    for name in (A, B):
        entries.append({"id": "campus-safety", "source": name})
    (corpus / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    report = ingest_paths([corpus], tmp_path / "idx", cache_path=warm_cache(tmp_path / "cache.sqlite"), progress=False)
    assert "campus-safety" in report.documents
    assert [f["file"] for f in report.failed] == [sorted([A, B])[1]]
    assert "campus-safety" in report.failed[0]["reason"]
