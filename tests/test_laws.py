"""Laws, regulations, a judicial interpretation and a court case: real files
of ../shared/corpus-extra (a copy in tests/data/extra), pinned against their
manifest, then the grammar one rule at a time on small documents.

What each corpus-extra document must show: the printed title and the
jurisdiction (name and level) of the manifest; exactly as many article clauses
as printed articles; every article whole in one clause (its number as
printed, its text from 第X条 up to the next article or heading, nothing of it
elsewhere); its chapters and sections in ``section_path``; a citation that
names the article.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.model import ParsedDocument
from ingest.parse import load_catalog, parse_file
from ingest.text import article_start
from search.hits import citation

ROOT = Path(__file__).resolve().parents[1]
EXTRA = ROOT / "tests" / "data" / "extra"
MANIFEST = json.loads((EXTRA / "manifest.json").read_text(encoding="utf-8"))["documents"]
_ARTICLE_LINE = re.compile(r"^第[一二三四五六七八九十百千零〇两0-9]+条(?:之[一二三四五六七八九十]+)?")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[ParsedDocument]]:
    return {entry["file"]: parse_file(EXTRA / entry["file"], None) for entry in MANIFEST}


def printed_articles(path: Path) -> list[tuple[int, str]]:
    """(line number, printed marker) of every line that starts an article."""
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        m = _ARTICLE_LINE.match(line.strip())
        if m and article_start(line.strip()) is not None:
            out.append((no, m.group(0)))
    return out


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["file"][:24])
def test_title_jurisdiction_and_level_as_in_the_manifest(parsed, entry):
    docs = parsed[entry["file"]]
    if entry["articles"] == 0 and entry["jurisdiction"] is not None:
        # a file with only its title and amendment history: reported as empty
        assert docs == []
        return
    assert len(docs) == 1
    doc = docs[0].document
    assert doc.title == entry["title"]
    if entry["jurisdiction"] is None:
        assert doc.jurisdiction is None  # unknown: never "", never guessed from a body sentence
    else:
        assert doc.jurisdiction is not None
        assert (doc.jurisdiction.name, doc.jurisdiction.level) == (entry["jurisdiction"], entry["level"])


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["articles"]], ids=lambda e: e["file"][:24])
def test_every_article_is_one_whole_clause(parsed, entry):
    path = EXTRA / entry["file"]
    (doc,) = parsed[entry["file"]]
    articles = [c for c in doc.clauses if c.kind == "article"]
    printed = printed_articles(path)
    assert len(articles) == entry["articles"] == len(printed)
    # each article starts on its printed line, carries its number as printed …
    assert [(c.line_start, c.number) for c in articles] == printed
    lines = path.read_text(encoding="utf-8").split("\n")
    starts = [no for no, _ in printed]
    for k, clause in enumerate(articles):
        assert clause.text.startswith(clause.number)
        # … and holds every line up to the next article or heading
        end = starts[k + 1] if k + 1 < len(starts) else len(lines) + 1
        body = [ln for ln in lines[clause.line_start - 1 : end - 1] if ln.strip() and not ln.lstrip().startswith("#")]
        assert flat(clause.text) == flat("".join(body))
        assert clause.fields["article"].isdigit()
        assert citation(doc.document, clause).endswith(" " + clause.number)
    # no other clause holds an article's text
    others = [c for c in doc.clauses if c.kind != "article"]
    assert not any(_ARTICLE_LINE.match(line) for c in others for line in c.text.split("\n"))


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["articles"]], ids=lambda e: e["file"][:24])
def test_chapters_and_sections_are_in_the_section_path(parsed, entry):
    (doc,) = parsed[entry["file"]]
    chapters = {p for c in doc.clauses for p in c.section_path if re.match(r"^第[一二三四五六七八九十]+章", p)}
    sections = {
        (tuple(c.section_path[:-1]), c.section_path[-1])
        for c in doc.clauses
        if c.section_path and re.match(r"^第[一二三四五六七八九十]+节", c.section_path[-1])
    }
    assert len(chapters) == entry["chapters"]
    assert len(sections) == entry["sections"]
    for _, section in sections:  # a 节 keeps its 章 in front of it
        holders = [c for c in doc.clauses if c.section_path and c.section_path[-1] == section]
        assert all(re.match(r"^第[一二三四五六七八九十]+章", c.section_path[0]) for c in holders)


def test_a_citation_names_chapter_section_and_article(parsed):
    (doc,) = parsed["婚姻家庭编.md"]
    clause = next(c for c in doc.clauses if c.number == "第一千零五十五条")
    assert [flat(p) for p in clause.section_path] == ["第三章家庭关系", "第一节夫妻关系"]  # as printed
    assert citation(doc.document, clause) == "《中华人民共和国民法典 婚姻家庭编》第三章 家庭关系 第一节 夫妻关系 第一千零五十五条"
    assert clause.fields["article"] == "1055"
    first = next(c for c in doc.clauses if c.kind == "article")
    assert first.number == "第一千零四十条" and first.fields["article"] == "1040"


def test_metadata_of_laws(parsed):
    law = parsed["未成年人保护法(2024-04-26).md"][0].document
    assert (law.doc_type, law.profile, law.version, law.issued) == ("law", "law", "2024-04-26", "1991-09-04")
    assert law.issuer == "全国人民代表大会常务委员会"
    assert law.jurisdiction is not None and law.jurisdiction.code is None
    local = parsed["青岛市学前教育条例(2018-11-30).md"][0].document
    assert local.doc_type == "regulation" and local.jurisdiction is not None
    assert (local.jurisdiction.province, local.jurisdiction.code) == ("山东省", "370200")
    interpretation = parsed[
        "最高人民法院、最高人民检察院关于办理强奸、猥亵未成年人刑事案件适用法律若干问题的解释(2023-05-24).md"
    ][0]
    assert interpretation.document.doc_type == "judicial_interpretation"
    assert interpretation.document.doc_number == "法释〔2023〕3号"
    # the title printed again over several lines and the 文号 are front matter, not clauses
    assert not any("适用法律若干问题的解释" == flat(c.text) for c in interpretation.clauses)
    assert interpretation.clauses[0].kind == "narrative" and interpretation.clauses[0].text.startswith("为依法惩处")


def test_a_court_case_is_headed_narrative(parsed):
    (case,) = parsed["婚前隐瞒重大疾病 配偶可申请撤销婚姻.md"]
    assert case.document.doc_type == "case" and case.document.profile == "narrative"
    assert {c.kind for c in case.clauses} == {"narrative"}
    assert [p for p in dict.fromkeys(c.section_path[0] for c in case.clauses)] == ["案情回顾", "法官解读"]


def test_self_references_resolve_to_the_jurisdiction(parsed):
    (doc,) = parsed["上海市公共图书馆条例(2024-11-28).md"]
    refs = [c for c in doc.clauses if "本市" in c.text]
    assert refs and all(c.fields["self_reference"] == "上海市" for c in refs)


def test_no_targets_are_made_up_from_articles(parsed):
    from ingest.targets import document_targets

    for docs in parsed.values():
        for doc in docs:
            assert not any(document_targets(c, doc.document) for c in doc.clauses)


# --------------------------------------------------------------------------- the grammar, rule by rule


def parse(tmp_path: Path, text: str, name: str = "doc.md", catalog: dict | None = None) -> list[ParsedDocument]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path, catalog)


def test_parts_subparts_chapters_sections_nest(tmp_path):
    text = "\n\n".join(
        [
            "# 某某法",
            "## 第一编 总则",
            "### 第一分编 通则",
            "#### 第一章 一般规定",
            "第一条 本法调整的事项。",
            "##### 第一节 原则",
            "第二条 原则如下：",
            "（一）合法；",
            "（二）公平。",
            "第二条之一 新增的一条。",
            "#### 第二章 其他",
            "第三条 其他事项。",
            "## 第二编 分则",
            "第四条 分则事项。",
        ]
    )
    (doc,) = parse(tmp_path, text)
    by_number = {c.number: c for c in doc.clauses}
    assert by_number["第一条"].section_path == ["第一编 总则", "第一分编 通则", "第一章 一般规定"]
    assert by_number["第二条"].section_path == ["第一编 总则", "第一分编 通则", "第一章 一般规定", "第一节 原则"]
    assert by_number["第二条"].text == "第二条 原则如下：\n（一）合法；\n（二）公平。"
    assert by_number["第二条之一"].fields == {"article": "2", "article_sub": "1"}
    assert by_number["第三条"].section_path == ["第一编 总则", "第一分编 通则", "第二章 其他"]
    assert by_number["第四条"].section_path == ["第二编 分则"]
    assert doc.document.doc_type == "law" and doc.document.jurisdiction is not None  # a national law by convention


def test_a_reference_at_a_line_start_is_no_article(tmp_path):
    text = "# 某省某某条例\n\n第一条 为了规范管理，制定本条例。\n\n第二条 适用范围如下：\n第一条规定的事项，\n依照本条例执行。\n\n第三条 附则。\n"
    (doc,) = parse(tmp_path, text)
    assert [c.number for c in doc.clauses] == ["第一条", "第二条", "第三条"]
    assert "第一条规定的事项" in doc.clauses[1].text


def test_tables_parse_wherever_they_stand(tmp_path):
    text = "\n".join(
        [
            "# 某县儿童工作方案",
            "",
            "一、工作安排",
            "",
            "| 任务 | 责任单位 | 完成时限 |",
            "| --- | --- | --- |",
            "| 建设儿童之家 | 县妇联 | 2025年 |",
            "| 开展安全教育 | 县教育局 | 每年 |",
            "",
            "二、保障措施",
            "",
            "加强组织领导。",
        ]
    )
    (doc,) = parse(tmp_path, text)
    rows = [c for c in doc.clauses if c.kind == "row"]
    assert [c.text for c in rows] == [
        "任务：建设儿童之家；责任单位：县妇联；完成时限：2025年",
        "任务：开展安全教育；责任单位：县教育局；完成时限：每年",
    ]
    assert rows[0].section_path == ["一、工作安排"] and rows[0].number == "1"
    assert citation(doc.document, rows[1]).endswith("一、工作安排 第2行")


def test_a_document_without_numbering_is_headed_narrative(tmp_path):
    text = "# 一则通讯\n\n## 背景\n\n这是第一段。\n\n这是第二段。\n\n## 结果\n\n这是第三段。\n"
    (doc,) = parse(tmp_path, text)
    assert doc.document.profile == "narrative"
    assert [(c.section_path, c.kind, c.number) for c in doc.clauses] == [
        (["背景"], "narrative", None),
        (["背景"], "narrative", None),
        (["结果"], "narrative", None),
    ]
    assert doc.document.jurisdiction is None and doc.document.title == "一则通讯"


def test_a_catalog_can_name_the_profile(tmp_path):
    text = "# 某某实施意见\n\n第一条 总的要求。\n\n第二条 具体措施。\n"
    catalog = {"doc.md": [{"id": "x", "source": "doc.md", "profile": "narrative"}]}
    (doc,) = parse(tmp_path, text, catalog=catalog)
    assert doc.document.profile == "narrative" and not any(c.kind == "article" for c in doc.clauses)
    bad = {"doc.md": [{"id": "x", "source": "doc.md", "profile": "poem"}]}
    with pytest.raises(ValueError, match="unknown profile"):
        parse(tmp_path, text, catalog=bad)


def test_title_is_never_composed(tmp_path):
    # no heading, no title line: the file name without its date stands in
    (doc,) = parse(tmp_path, "场所及周边范围由省人民政府规定。\n\n学校周边不得设置营业性娱乐场所。\n", name="某规定(2020-01-02).txt")
    assert doc.document.title == "某规定" and doc.document.title_printed is False
    assert doc.document.version == "2020-01-02"
    assert doc.document.jurisdiction is None  # a body sentence names 省: no guess


def test_the_profile_kinds_count_in_the_bulk_sample():
    """The six plans keep the plan profile; nothing of corpus/ reads as a law."""
    corpus = ROOT / "corpus"
    catalog = load_catalog(corpus / "catalog.json")
    kinds: Counter[str] = Counter()
    for path in sorted(corpus.glob("*.*")):
        if path.name == "catalog.json":
            continue
        for doc in parse_file(path, catalog, base_dir=corpus):
            assert doc.document.profile == "plan" and doc.document.doc_type == "plan"
            kinds.update(c.kind for c in doc.clauses)
    assert kinds["article"] == 0 and kinds["target"] > 0 and kinds["indicator"] > 0
