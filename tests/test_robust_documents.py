"""Nothing a document contains can hang or crash search (Hypothesis).

Random and stub documents — no title, no jurisdiction, headings only, empty,
one-character or made-up place names, junk — are ingested beside the six plans,
and then every search, ask, compare and similar call must answer: a result,
or a 4xx domain error with a message; never another exception, never a hang
(each call runs in a thread that must finish; the request deadline of the API
is on too).

The query analyser is also checked on its own, over many more examples, with
documents of any jurisdiction, including none, "" and one character.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.model import Document, Jurisdiction
from search.deadline import deadline
from search.errors import PolicySearchError
from search.query import QueryAnalyzer
from tests.conftest import CACHE, CORPUS

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ANY = st.characters(exclude_categories=("Cs",))
PLACES = ["北京市", "山东", "西区", "区", "市", "", "东", "大渡口", "深圳经济特区", "朝阳区", "莱芜市", "火星市", "全国"]
MARKERS = ["第一章 总则", "第一条", "第十条之一", "一、", "（一）", "1.", "专栏一", "主要目标：", "## 案情回顾", "# ", "第一节", "第一编"]
HANG_SECONDS = 120  # a call that has not returned by then is hung, whatever the machine


@st.composite
def stub_document(draw: Any) -> tuple[str, str]:
    """(file name, text) of a small document of one of the awkward kinds."""
    kind = draw(st.sampled_from(["junk", "headings", "empty", "untitled", "placed", "law", "plan"]))
    words = st.text(CJK, min_size=1, max_size=20)
    if kind == "junk":
        text = draw(st.text(ANY, max_size=300))
    elif kind == "headings":
        text = "\n".join(draw(st.lists(st.sampled_from(MARKERS), min_size=1, max_size=15)))
    elif kind == "empty":
        text = draw(st.sampled_from(["", " ", "\n\n", "# ", "<!-- -->", "# 标题\n\n<!-- INFO END -->\n"]))
    elif kind == "untitled":
        text = "\n\n".join(draw(st.lists(words.map(lambda w: w + "。"), min_size=1, max_size=6)))
    elif kind == "placed":
        place = draw(st.sampled_from(PLACES))
        body = draw(st.lists(words, min_size=1, max_size=5))
        text = f"# {place}{draw(words)}条例\n\n" + "\n\n".join(f"第{k}条 {w}" for k, w in enumerate(body, 1))
    elif kind == "law":
        chapters = draw(st.lists(words, min_size=1, max_size=3))
        parts = [f"# {draw(words)}法", "2020年1月1日 第十三届全国人民代表大会常务委员会第一次会议通过"]
        for c, name in enumerate(chapters, 1):
            parts.append(f"## 第{c}章 {name}")
            parts += [f"第{c * 10 + k}条 {w}：\n（一）{w}；" for k, w in enumerate(draw(st.lists(words, max_size=4)))]
        text = "\n\n".join(parts)
    else:
        text = "\n".join(
            [f"{draw(st.sampled_from(PLACES))}儿童发展规划（2021—2030年）", "（一）儿童与健康", "主要目标："]
            + [f"{k}.{w}降至{k}‰以下。" for k, w in enumerate(draw(st.lists(words, min_size=1, max_size=4)), 1)]
        )
    name = draw(st.sampled_from(["a", "甲", "规定(2024-01-01)", "x y", "（1）", "doc"]))
    suffix = draw(st.sampled_from([".md", ".txt"]))
    return name + suffix, text


QUERY = st.one_of(
    st.text(ANY, min_size=1, max_size=40),
    st.sampled_from(PLACES).flatmap(lambda p: st.text(CJK, max_size=10).map(lambda w: p + w)),
    st.sampled_from(["婴儿死亡率", "学校欺凌", "北京 学前教育", "山东 幼儿园", "西区", "区", "本市", "第一条", "1"]),
)


def call(fn: Any, *args: Any, **kwargs: Any) -> None:
    """Run one service call in a thread: it must return or raise a domain
    error; anything else, or no return in HANG_SECONDS, fails."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with deadline(30):
                outcome["value"] = fn(*args, **kwargs)
        except PolicySearchError as exc:
            outcome["error"] = exc
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["crash"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    assert not thread.is_alive(), f"{fn.__name__}{args} did not return"
    assert "crash" not in outcome, repr(outcome.get("crash"))
    if "error" in outcome:
        assert 400 <= outcome["error"].status < 500, outcome["error"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("robust")
    cache = folder / "cache.sqlite"
    if CACHE.exists():
        shutil.copy(CACHE, cache)
    return folder


@pytest.mark.integration
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(docs=st.lists(stub_document(), min_size=1, max_size=4), queries=st.lists(QUERY, min_size=1, max_size=3))
def test_stub_documents_beside_the_corpus_never_hang_search(base: Path, docs: list[tuple[str, str]], queries: list[str]) -> None:
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    folder = base / "run"
    if folder.exists():
        shutil.rmtree(folder)
    corpus = folder / "corpus"
    shutil.copytree(CORPUS, corpus)
    stubs = corpus / "stubs"
    stubs.mkdir()
    for k, (name, text) in enumerate(docs):
        (stubs / f"{k}-{name}").write_text(text, encoding="utf-8")
    report = ingest_paths([corpus], folder / "idx", cache_path=base / "cache.sqlite", progress=False)
    assert {f["file"] for f in report.failed} <= {str(p) for p in stubs.iterdir()}  # a bad stub is reported by name
    service = SearchService.open(folder / "idx")
    stub_clauses = [c.clause_id for c in service.clauses if "/stubs/" in "/" + c.source_file or c.source_file.startswith("stubs/")]
    for query in queries:
        call(service.search, query, 10)
        call(service.ask, query)
        call(service.compare, query[:50])
        call(service.similar, text=query)
    for clause_id in stub_clauses[:3]:
        call(service.similar, clause_id=clause_id)
    call(service.search, "婴儿死亡率", 10)
    call(service.compare, "婴儿死亡率")


def _document(k: int, jurisdiction: Jurisdiction | None) -> Document:
    return Document(f"d{k}", f"文件{k}", None, jurisdiction, None, None, None, None, f"d{k}.txt", "h")


JURISDICTIONS = st.one_of(
    st.none(),
    st.builds(
        Jurisdiction,
        name=st.one_of(st.sampled_from(PLACES), st.text(ANY, max_size=6)),
        level=st.one_of(st.none(), st.sampled_from(["省", "市辖区", "国家", "县"])),
        province=st.one_of(st.none(), st.sampled_from(["", "山东省", "重庆市", "市"])),
        parent=st.one_of(st.none(), st.sampled_from(["", "青岛市", "市", "攀枝花市"])),
        code=st.one_of(st.none(), st.sampled_from(["", "370200", "000000", "abc"])),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(JURISDICTIONS, max_size=6), st.lists(QUERY, min_size=1, max_size=4))
def test_query_analysis_terminates_whatever_the_jurisdictions(jurisdictions, queries):
    analyzer = QueryAnalyzer([_document(k, j) for k, j in enumerate(jurisdictions)], ["婴儿死亡率"])
    # no alias is empty or one character: nothing can make the scan loop
    assert all(len(alias) >= 2 for alias in analyzer.places._aliases)
    for query in queries:
        analysis = analyzer.analyze(query)
        assert analysis.doc_ids is None or analysis.doc_ids <= {f"d{k}" for k in range(len(jurisdictions))}
        analyzer.resolve_jurisdiction(query)
