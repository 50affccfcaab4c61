"""Tests of the document parser: the real corpus, then one test per artefact."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ingest.clean import clean_lines, is_toc_line
from ingest.model import ParsedDocument
from ingest.parse import discover_files, load_catalog, parse_file
from ingest.readers import ReadError, decode_bytes, read_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DEV = ROOT / "tests" / "data" / "dev.jsonl"  # a copy of ../shared/eval/dev.jsonl


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def catalog() -> dict:
    return load_catalog(CORPUS / "catalog.json")


@pytest.fixture(scope="module")
def parsed(catalog) -> dict[str, ParsedDocument]:
    out: dict[str, ParsedDocument] = {}
    for path in discover_files([CORPUS]):
        for doc in parse_file(path, catalog, base_dir=CORPUS):
            out[doc.document.doc_id] = doc
    return out


def parse_text(
    tmp_path: Path, text: str, name: str = "plan.txt", encoding: str = "utf-8"
) -> list[ParsedDocument]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return parse_file(path, None)


# --------------------------------------------------------------------------- corpus

DOMAIN_COUNTS = {
    "zigong-children": {
        "与健康": (12, 16),
        "与安全": (13, 15),
        "与教育": (10, 15),
        "与福利": (12, 15),
        "与家庭": (8, 9),
        "与环境": (10, 12),
        "与法律保护": (10, 14),
    },
    "xiangning-children": {
        "与健康": (12, 14),
        "与安全": (11, 12),
        "与教育": (9, 13),
        "与福利": (10, 15),
        "与家庭": (6, 8),
        "与环境": (10, 12),
        "与法律保护": (11, 13),
    },
    "xiqu-women": {
        "与健康": (10, 12),
        "与教育": (9, 11),
        "与经济": (9, 13),
        "参与决策和管理": (9, 10),
        "与社会保障": (10, 12),
        "与家庭建设": (9, 10),
        "与环境": (8, 11),
        "与法律": (8, 11),
    },
    "xiqu-children": {
        "与健康": (12, 15),
        "与安全": (13, 15),
        "与教育": (10, 15),
        "与福利": (12, 15),
        "与家庭": (8, 9),
        "与环境": (9, 11),
        "与法律保护": (10, 14),
    },
    "shiguai-children": {
        "与健康": (13, 15),
        "与安全": (10, 12),
        "与教育": (10, 15),
        "与福利": (11, 14),
        "与家庭": (8, 9),
        "与环境": (10, 12),
        "与法律保护": (10, 15),
    },
}


def domain_of(path: list[str], domains) -> str | None:
    for element in path:
        for domain in domains:
            if re.match(r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]", element) and re.search(
                rf"{domain}[。.:：]?$", flat(element)
            ):
                return domain
    return None


@pytest.mark.parametrize(
    ("doc_id", "domain", "targets", "measures"),
    [(d, k, t, m) for d, counts in DOMAIN_COUNTS.items() for k, (t, m) in counts.items()],
)
def test_domain_counts(parsed, doc_id, domain, targets, measures):
    clauses = parsed[doc_id].clauses
    domains = DOMAIN_COUNTS[doc_id]
    got = Counter(c.kind for c in clauses if domain_of(c.section_path, domains) == domain)
    assert (got["target"], got["measure"]) == (targets, measures)


def test_domain_items_numbered_in_sequence(parsed):
    for doc_id, domains in DOMAIN_COUNTS.items():
        for domain in domains:
            for kind in ("target", "measure"):
                numbers = [
                    c.number
                    for c in parsed[doc_id].clauses
                    if c.kind == kind and domain_of(c.section_path, domains) == domain
                ]
                assert numbers == [str(i) for i in range(1, len(numbers) + 1)], (
                    doc_id,
                    domain,
                    kind,
                )


def test_section_path_as_printed(parsed):
    clause = next(c for c in parsed["zigong-children"].clauses if c.text.startswith("3.新生儿"))
    assert clause.section_path == [
        "二、发展领域、主要目标和策略措施",
        "（一）儿童与健康。",
        "主要目标:",
    ]
    assert clause.kind == "target" and clause.number == "3"
    assert clause.text.startswith("3.新生儿、婴儿和５岁以下儿童死亡率分别降至")
    shiguai = next(c for c in parsed["shiguai-children"].clauses if c.kind == "measure")
    assert shiguai.section_path == [
        "第三章 发展领域、主要目标和策略措施",
        "(一) 儿童与健康",
        "策略措施:",
    ]


def test_kinds_principles_and_narrative(parsed):
    for doc_id, doc in parsed.items():
        kinds = Counter(c.kind for c in doc.clauses)
        assert kinds["principle"] == 5, doc_id
        assert kinds["narrative"] > 10, doc_id
        org = [c for c in doc.clauses if any("组织实施" in p for p in c.section_path)]
        assert org and all(c.kind == "narrative" for c in org), doc_id


def test_dadukou_indicator_table(parsed):
    doc = parsed["dadukou-children"]
    rows = [c for c in doc.clauses if c.kind == "indicator"]
    assert [r.number for r in rows] == [str(i) for i in range(1, 40)]
    assert all(
        r.section_path
        == ["一、总体思路", "（三）主要目标。", "专栏一 2021—2030年大渡口区儿童发展主要指标"]
        for r in rows
    )
    first = rows[0]
    assert first.fields == {
        "category": "儿童与健康",
        "row": "1",
        "indicator": "新生儿死亡率（‰）",
        "target_value": "＜1.3",
        "attribute": "约束性",
        "responsible_unit": "区卫健委",
    }
    assert "新生儿死亡率（‰）" in first.text and "＜1.3" in first.text
    assert (
        first.text
        == "儿童与健康 1 新生儿死亡率（‰） 2030年规划指标：＜1.3 属性：约束性 责任单位：区卫健委"
    )
    row27 = rows[26]
    assert row27.fields["indicator"] == "儿童参加城乡居民基本医疗保险覆盖率（%）"
    assert row27.fields["target_value"] == "巩固提高"
    assert row27.fields["category"] == "儿童与福利"
    assert row27.fields["responsible_unit"] == "区医保局"
    row18 = rows[17]
    assert row18.fields["target_value"] == "下降"
    assert row18.fields["responsible_unit"] == "区公安分局、区教委、区卫健委"
    row19 = rows[18]
    assert row19.fields["category"] == "儿童与安全" and row19.fields["target_value"] == "＜0.1"
    row22 = rows[21]
    assert (
        row22.fields["indicator"] == "学前教育普惠率（%）" and row22.fields["target_value"] == "≥85"
    )
    assert row22.fields["attribute"] == "预期性"
    # sub-rows without a number of their own are kept inside the numbered row
    row17 = rows[16]
    assert row17.fields["indicator_2"] == "初中生每天睡眠时间（小时）"
    assert row17.fields["target_value_3"] == "≥8"
    assert "高中生每天睡眠时间（小时）" in row17.text
    assert rows[38].fields["target_value"] == "100"


def test_dadukou_goals_and_measures(parsed):
    doc = parsed["dadukou-children"]
    targets = [c for c in doc.clauses if c.kind == "target"]
    assert [c.number for c in targets] == [str(i) for i in range(1, 8)]
    assert all(c.section_path == ["一、总体思路", "（三）主要目标。"] for c in targets)
    assert 44 <= targets[0].line_start and targets[-1].line_end <= 59
    measures = [c for c in doc.clauses if c.kind == "measure"]
    assert measures and all(c.section_path[0] == "二、重点任务" for c in measures)
    assert measures[0].section_path == ["二、重点任务", "（一）健全儿童医疗卫生服务体系。"]
    lost = next(c for c in measures if c.text.startswith("加强儿童校外活动场所建设和管理"))
    assert lost.number == "4" and lost.fields.get("number_inferred") == "true"


def test_dadukou_box_paragraph_printed_before_its_heading(parsed):
    doc = parsed["dadukou-children"]
    hits = [c for c in doc.clauses if "建成2个市级托育服务示范机构" in flat(c.text)]
    assert len(hits) == 1
    assert hits[0].kind in ("narrative", "measure")
    assert hits[0].section_path[-1].startswith("专栏五")
    boxes = [c for c in doc.clauses if c.section_path and c.section_path[-1].startswith("专栏")]
    assert len({c.section_path[-1] for c in boxes}) == 8


def test_line_ranges_contain_text(parsed):
    for doc in parsed.values():
        lines = read_text(CORPUS / doc.document.source_file).split("\n")
        for clause in doc.clauses:
            assert 1 <= clause.line_start <= clause.line_end <= len(lines)
            source = flat("".join(lines[clause.line_start - 1 : clause.line_end])).replace("*", "")
            if clause.kind == "indicator":
                for key in ("indicator", "target_value", "responsible_unit"):
                    assert flat(clause.fields[key]) in source, (clause.clause_id, key)
            else:
                assert flat(clause.text) in source, clause.clause_id


def test_no_body_text_lost(parsed):
    """Every non-empty line of a plan is in a clause, a heading, or boilerplate."""
    for doc in parsed.values():
        raw = read_text(CORPUS / doc.document.source_file)
        lines = clean_lines(raw)
        covered = {n for c in doc.clauses for n in range(c.line_start, c.line_end + 1)}
        headings = {flat(p) for c in doc.clauses for p in c.section_path}
        table_header = {
            "类别",
            "序号",
            "指标名称（单位）",
            "2030年",
            "规划",
            "指标",
            "属性",
            "责任",
            "单位",
        }
        first = min(c.line_start for c in doc.clauses)  # title and cover lines come before
        for line in lines[first - 1 : doc.document.line_end]:
            if not line.text or line.boilerplate or line.no in covered:
                continue
            text = flat(line.text)
            assert text in headings or text in table_header, (
                doc.document.doc_id,
                line.no,
                line.text,
            )


def test_orders_and_ids(parsed, catalog):
    for doc in parsed.values():
        assert [c.order for c in doc.clauses] == list(range(len(doc.clauses)))
        ids = [c.clause_id for c in doc.clauses]
        assert len(set(ids)) == len(ids)
        assert all(
            re.fullmatch(r"[a-z0-9-]+", i) and i.startswith(doc.document.doc_id + "-") for i in ids
        )
    again = parse_file(CORPUS / "dadukou-children-2021-2030.txt", catalog, base_dir=CORPUS)[0]
    assert [c.clause_id for c in again.clauses] == [
        c.clause_id for c in parsed["dadukou-children"].clauses
    ]


def test_ids_stable_when_file_moves(tmp_path, catalog, parsed):
    (tmp_path / "sub").mkdir()
    copy = tmp_path / "sub" / "zigong-children-2021-2030.txt"
    shutil.copy(CORPUS / copy.name, copy)
    doc = parse_file(copy, catalog, base_dir=tmp_path)[0]
    assert doc.document.source_file == "sub/zigong-children-2021-2030.txt"
    assert doc.document.doc_id == "zigong-children"
    assert [c.clause_id for c in doc.clauses] == [
        c.clause_id for c in parsed["zigong-children"].clauses
    ]


def test_multi_plan_split(parsed):
    women, children = parsed["xiqu-women"], parsed["xiqu-children"]
    assert women.document.source_file == children.document.source_file
    assert women.document.line_start == 22 and children.document.line_start == 613
    assert women.document.line_end < children.document.line_start
    assert all(c.line_end < children.document.line_start for c in women.clauses)
    assert all(c.line_start > women.document.line_end for c in children.clauses)
    # the issuing notice takes part in no clause
    assert not any("格里坪镇人民政府" in c.text for c in women.clauses)
    assert women.document.source_hash == children.document.source_hash


def test_catalog_metadata(parsed):
    doc = parsed["dadukou-children"].document
    assert doc.title == "重庆市大渡口区儿童发展规划（2021—2030年）"
    assert doc.jurisdiction.name == "大渡口区" and doc.jurisdiction.level == "市辖区"
    assert doc.doc_number == "大渡口府发〔2023〕7号" and doc.issued == "2023-02-27"
    assert doc.period == (2021, 2030)
    assert doc.source_file == "dadukou-children-2021-2030.txt"
    assert re.fullmatch(r"[0-9a-f]{64}", doc.source_hash)
    assert parsed["zigong-children"].document.title_printed is False
    assert parsed["xiangning-children"].document.status == "征求意见稿"
    assert set(parsed) == {
        "zigong-children",
        "xiangning-children",
        "xiqu-women",
        "xiqu-children",
        "shiguai-children",
        "dadukou-children",
    }


def test_load_catalog_groups_by_source(catalog):
    assert [e["id"] for e in catalog["panzhihua-xiqu-women-and-children-2021-2030.md"]] == [
        "xiqu-women",
        "xiqu-children",
    ]


def test_metadata_detected_without_catalog(tmp_path, parsed):
    copy = tmp_path / "石拐规划.txt"
    shutil.copy(CORPUS / "shiguai-children-2021-2030.txt", copy)
    docs = parse_file(copy, None)
    assert len(docs) == 1
    doc = docs[0].document
    assert doc.doc_id == "石拐规划"  # from the file name: letters, digits, Chinese characters, "-"
    assert doc.title == "石拐区儿童发展规划(2021—2030年)"
    assert doc.subject == "儿童" and doc.period == (2021, 2030)
    assert doc.jurisdiction.name == "石拐区" and doc.jurisdiction.level == "市辖区"
    assert doc.jurisdiction.province == "内蒙古自治区" and doc.jurisdiction.parent == "包头市"
    assert doc.status == "印发稿" and doc.issued == "2022-12"
    assert len(docs[0].clauses) == len(parsed["shiguai-children"].clauses)


def test_metadata_detected_multi_plan_and_untitled(tmp_path):
    copy = tmp_path / "xiqu.md"
    shutil.copy(CORPUS / "panzhihua-xiqu-women-and-children-2021-2030.md", copy)
    docs = parse_file(copy, {})
    assert [d.document.doc_id for d in docs] == ["xiqu-women", "xiqu-children"]
    assert docs[0].document.jurisdiction.name == "攀枝花市西区"
    assert docs[0].document.issued == "2022-11-24"
    draft = tmp_path / "draft.txt"
    shutil.copy(CORPUS / "xiangning-children-2021-2025-draft.txt", draft)
    meta = parse_file(draft, None)[0].document
    assert (
        meta.period == (2021, 2025)
        and meta.status == "征求意见稿"
        and meta.jurisdiction.level == "县"
    )
    # a plan that prints no title: its file name stands in (never a title
    # composed from a body sentence), and nothing before the body names a place
    untitled = tmp_path / "zg(2022-01-05).txt"
    shutil.copy(CORPUS / "zigong-children-2021-2030.txt", untitled)
    zg = parse_file(untitled, None)[0].document
    assert zg.title == "zg" and zg.title_printed is False and zg.version == "2022-01-05"
    assert zg.jurisdiction is None


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-16"])
def test_encodings_give_identical_clauses(tmp_path, catalog, parsed, encoding):
    name = "xiangning-children-2021-2025-draft.txt"
    (tmp_path / name).write_bytes(read_text(CORPUS / name).encode(encoding))
    doc = parse_file(tmp_path / name, catalog)[0]
    expected = parsed["xiangning-children"].clauses
    assert [(c.clause_id, c.text, c.line_start) for c in doc.clauses] == [
        (c.clause_id, c.text, c.line_start) for c in expected
    ]


def test_gb18030_preferred_over_other_guesses():
    text = "乡宁县儿童发展规划。儿童是祖国的未来，是中华民族的希望。" * 3
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")


def test_read_errors(tmp_path):
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ReadError, match="unsupported"):
        read_text(bad)
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ReadError):
        read_text(binary)


def test_empty_file_gives_no_document(tmp_path):
    assert parse_text(tmp_path, "\n\n   \n") == []


def test_discover_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.md").write_text("x")
    (tmp_path / "c.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.txt").write_text("x")
    (tmp_path / "catalog.json").write_text("{}")
    (tmp_path / "e.pdf").write_bytes(b"%PDF")
    (tmp_path / "f.png").write_bytes(b"\x89PNG")
    assert discover_files([tmp_path]) == [tmp_path / "a" / "b.md", tmp_path / "c.txt", tmp_path / "e.pdf"]
    assert discover_files([tmp_path / "c.txt"]) == [tmp_path / "c.txt"]


def test_dev_gold_each_in_exactly_one_clause(parsed):
    if not DEV.exists():
        pytest.skip("dev set not present")
    missing = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        query = json.loads(line)
        for gold in query["gold"]:
            needle = flat(gold["must_contain"])
            hits = [c for c in parsed[gold["doc"]].clauses if needle in flat(c.text)]
            if len(hits) != 1:
                missing.append((query["id"], gold["doc"], gold["must_contain"], len(hits)))
    assert not missing


# --------------------------------------------------------------------------- artefacts

HEAD = "某某县儿童发展规划（2021—2030年）\n\n"


def test_artefact_broken_lines_across_blank_lines(tmp_path):
    text = HEAD + (
        "二、发展领域、主要目标和策略措施\n（一）儿童与健康\n主要目标：\n"
        "1.提高宫颈癌、乳腺癌综\n\n\n\n合防治能力。儿童伤害死亡率以2020\n年为基数下降20%。\n"
        "2.新生儿死亡率降至\n3.0‰以下。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    assert [c.text for c in clauses] == [
        "1.提高宫颈癌、乳腺癌综合防治能力。儿童伤害死亡率以2020年为基数下降20%。",
        "2.新生儿死亡率降至3.0‰以下。",
    ]
    assert (clauses[0].line_start, clauses[0].line_end) == (6, 11)


def test_artefact_toc_dropped():
    for line in ("前 言.....\t5", "第一章 指导思想和基本原则\t(4)", "（一）儿童与健康.....\t73"):
        assert is_toc_line(line)
    lines = clean_lines("目 录\n\n前 言\t(1)\n第二章 总体目标\t(6)\n\n前 言\n正文。")
    assert [ln.no for ln in lines if ln.boilerplate] == [1, 3, 4]


def test_artefact_toc_and_cover(tmp_path):
    text = (
        "\n某某区儿童发展规划(2021—2030年)\n\n(印发稿)\n\n某某区人民政府妇女儿童工作委员会办公室\n\n"
        "2022年12月\n\n目 录\n\n前 言\t(1)\n第一章 总体目标\t(4)\n\n前 言\n\n儿童是祖国的希望。\n\n"
        "第一章 总体目标\n\n到2030年，儿童发展更好。\n- 12 -\n"
    )
    doc = parse_text(tmp_path, text)[0]
    assert [(c.section_path, c.text) for c in doc.clauses] == [
        (["前 言"], "儿童是祖国的希望。"),
        (["第一章 总体目标"], "到2030年，儿童发展更好。"),
    ]
    assert doc.document.issued == "2022-12" and doc.document.status == "印发稿"


def test_artefact_issuing_notice_and_two_plans(tmp_path):
    text = (
        "**某某区人民政府**\n\n**关于印发《某某区妇女发展纲要**  \n**(2021—2030年)》的通知**\n\n"
        "各街道办事处：\n\n现印发给你们，请认真贯彻执行。\n\n某某区人民政府\n\n2022年11月24日\n\n附件 1\n\n"
        "# 某某区妇女发展纲要（2021—2030年）\n\n## 一、总体目标\n\n妇女发展更好。\n\n附件 2\n\n"
        "# 某某区儿童发展纲要（2021—2030年）\n\n## 一、总体目标\n\n儿童发展更好。\n"
    )
    docs = parse_text(tmp_path, text, name="notice.md")
    assert [d.document.subject for d in docs] == ["妇女", "儿童"]
    assert [d.document.doc_id for d in docs] == ["notice-women", "notice-children"]
    assert [[c.text for c in d.clauses] for d in docs] == [["妇女发展更好。"], ["儿童发展更好。"]]
    assert all(d.document.issued == "2022-11-24" for d in docs)


def test_artefact_markdown_headings_at_random_depths(tmp_path):
    text = HEAD + (
        "## 二、发展领域、主要目标和策略措施\n\n#### (四) 妇女参与决策和管理。\n\n##### 主要目标:\n\n"
        "1.目标一。\n\n#### **三、组织实施**\n\n（一）坚持党的全面领导。坚持领导。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    assert clauses[0].section_path == [
        "二、发展领域、主要目标和策略措施",
        "(四) 妇女参与决策和管理。",
        "主要目标:",
    ]
    assert clauses[0].kind == "target"
    assert clauses[1].section_path == ["三、组织实施"]
    assert clauses[1].kind == "narrative" and clauses[1].number == "一"


def test_artefact_numbered_item_made_heading_and_dash_items(tmp_path):
    text = HEAD + (
        "（三）妇女与经济。\n主要目标：\n1.目标一。\n\n2.巩固拓展脱贫攻坚成果，提升\n\n可持续发展能力。\n\n"
        "## 3.妇女在实施乡村振兴战略中的作用充分发挥。\n\n策略措施：\n\n1.措施一。\n\n- 2.提升儿童用品质量安全水平。\n"
        "- 3.预防和制止针对儿童一切形式的暴力。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    goals = [c for c in clauses if c.kind == "target"]
    assert [c.number for c in goals] == ["1", "2", "3"]
    assert goals[1].text == "2.巩固拓展脱贫攻坚成果，提升可持续发展能力。"
    assert goals[2].text == "3.妇女在实施乡村振兴战略中的作用充分发挥。"
    assert goals[2].section_path == ["（三）妇女与经济。", "主要目标："]
    measures = [c for c in clauses if c.kind == "measure"]
    assert [c.text for c in measures] == [
        "1.措施一。",
        "2.提升儿童用品质量安全水平。",
        "3.预防和制止针对儿童一切形式的暴力。",
    ]


def test_artefact_lost_item_number(tmp_path):
    text = HEAD + (
        "（三）儿童与教育\n策略措施：\n全面贯彻党的教育方针。健全立德树人落实机制。\n"
        "2.全面落实教育优先发展战略。优先安排教育。\n3.培养儿童良好思想道德素质。加强理想教育。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    assert [(c.kind, c.number) for c in clauses] == [
        ("measure", "1"),
        ("measure", "2"),
        ("measure", "3"),
    ]
    assert clauses[0].text == "全面贯彻党的教育方针。健全立德树人落实机制。"
    assert clauses[0].fields == {"number_inferred": "true"}


def test_artefact_item_number_follows_sequence(tmp_path):
    text = (
        HEAD
        + "（一）儿童与健康\n主要目标：\n4.常见疾病得到控制。\n5.5岁以下儿童贫血率控制在8%以下。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    assert [(c.number, c.text) for c in clauses] == [
        ("4", "4.常见疾病得到控制。"),
        ("5", "5.5岁以下儿童贫血率控制在8%以下。"),
    ]


def test_artefact_flattened_indicator_table(tmp_path):
    text = HEAD + (
        "（三）主要目标。\n专栏一 主要指标\n\t类别\n\t序号\n\t指标名称（单位）\n\t2030年\n\n规划\n\t指标\n\n属性\n"
        "\t责任\n单位\n\n\t儿\n\n童\n\n与\n\n福\n\n利\n\t27\n\t儿童参加城乡居民基本医疗保险覆盖率（%）\n"
        "\t巩固\n\n提高\n\t预期性\n\t区医保局\n\n\t\n\t28\n\t残疾儿童康复服务覆盖率（%）\n\t提高\n\t预期性\n\t区残联\n\n"
        "二、重点任务\n（一）健全服务体系。\n1．优化服务。落实平台建设。\n"
    )
    clauses = parse_text(tmp_path, text)[0].clauses
    rows = [c for c in clauses if c.kind == "indicator"]
    assert [r.fields for r in rows] == [
        {
            "category": "儿童与福利",
            "row": "27",
            "indicator": "儿童参加城乡居民基本医疗保险覆盖率（%）",
            "target_value": "巩固提高",
            "attribute": "预期性",
            "responsible_unit": "区医保局",
        },
        {
            "category": "儿童与福利",
            "row": "28",
            "indicator": "残疾儿童康复服务覆盖率（%）",
            "target_value": "提高",
            "attribute": "预期性",
            "responsible_unit": "区残联",
        },
    ]
    assert (
        rows[0].text
        == "儿童与福利 27 儿童参加城乡居民基本医疗保险覆盖率（%） 2030年规划指标：巩固提高 属性：预期性 责任单位：区医保局"
    )
    assert clauses[-1].kind == "measure" and clauses[-1].section_path == [
        "二、重点任务",
        "（一）健全服务体系。",
    ]


def test_artefact_full_width_characters_kept(tmp_path):
    text = (
        HEAD
        + "（一）儿童与健康。\n主要目标:\n1.５岁以下儿童死亡率＜3.5‰，（含电子烟）与(含电子烟)，达到９５％。\n"
    )
    clause = parse_text(tmp_path, text)[0].clauses[0]
    assert clause.text == "1.５岁以下儿童死亡率＜3.5‰，（含电子烟）与(含电子烟)，达到９５％。"


def test_artefact_traditional_characters_kept(parsed):
    clause = next(
        c for c in parsed["xiqu-children"].clauses if c.text.startswith("10.促進城鄉兒童")
    )
    assert clause.kind == "target"
