"""The structure parser on garbled, truncated and adversarial text (Hypothesis).

Two properties, for any text:

1. Parsing never raises (structure level and the whole ``parse_file``).
2. No body text is lost: every line with text (markdown markers stripped)
   ends in exactly one clause, whose text contains it and whose line range
   covers it, or it is a heading (kept in section paths), a header cell of a
   flattened table, or boilerplate the cleaner flagged (TOC entry, page
   number, attachment marker, cc-list) -- see
   :func:`ingest.structure.parse_with_accounting`.

Examples are bounded (``max_examples`` <= 150, no deadline) so the module runs
in well under a minute.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.clean import clean_lines, squash
from ingest.model import CLAUSE_KINDS
from ingest.parse import parse_file
from ingest.profiles import PROFILE_NAMES, get_profile
from ingest.readers import ReadError
from ingest.structure import parse_with_accounting

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CORPUS_LINES = {
    path.name: path.read_text(encoding="utf-8").split("\n")
    for folder in (CORPUS, ROOT / "tests" / "data" / "extra")
    for path in sorted(folder.iterdir())
    if path.suffix in (".txt", ".md")
}

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- the check


def check_accounting(text: str) -> None:
    """The accounting holds under every document profile (plan, law, notice, narrative)."""
    for name in PROFILE_NAMES:
        check_accounting_as(text, name)


def check_accounting_as(text: str, profile: str) -> None:
    lines = clean_lines(text)
    account = parse_with_accounting(lines, "doc", "doc.txt", get_profile(profile))
    clauses = account.clauses
    assert [c.order for c in clauses] == list(range(len(clauses)))
    assert len({c.clause_id for c in clauses}) == len(clauses)
    for clause in clauses:
        assert clause.kind in CLAUSE_KINDS
        assert clause.text.strip(), clause
        assert clause.line_start <= clause.line_end
    for line in lines:
        if not line.text or line.boilerplate:
            continue
        owners = account.owners.get(line.no, [])
        if line.no in account.headings or line.no in account.table_headers:
            assert not owners, (line, owners)
            continue
        assert len(owners) == 1, (line, owners)
        clause = clauses[owners[0]]
        assert clause.line_start <= line.no <= clause.line_end, (line, clause)
        piece = squash(line.raw if clause.kind == "indicator" else line.text)
        assert piece in squash(clause.text), (line, clause.text)
    assert not account.unaccounted(lines)
    # what was dropped was flagged boilerplate by the cleaner, nothing else
    assert account.dropped == {line.no for line in lines if line.boilerplate}


def check_pipeline(text: str, suffix: str = ".txt") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            docs = parse_file(path, None)
        except ReadError as exc:  # only for text that is no text (control characters)
            assert "binary" in str(exc) or "empty" in str(exc), exc
            return
        for doc in docs:
            assert doc.clauses
            assert doc.document.line_start <= doc.document.line_end or not doc.clauses
            for clause in doc.clauses:
                assert clause.text.strip()


# --------------------------------------------------------------------------- strategies

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ANY_CHAR = st.characters(exclude_categories=("Cs",))
PUNCT = st.sampled_from(list("。，、；：:！？…（）()“”《》‰％%＜≥≤<>—-．.\t 　#*"))
FRAGMENTS = [
    "一、",
    "二、总体目标",
    "第一章 总则",
    "第三章 发展领域、主要目标和策略措施",
    "（一）",
    "（一）儿童与健康",
    "(二) 儿童与安全。",
    "（三）主要目标。",
    "主要目标：",
    "策略措施:",
    "重点任务",
    "基本原则",
    "专栏一 主要指标",
    "专栏五  儿童福利提升重点工程",
    "前 言",
    "前言",
    "1.",
    "1.1.1.",
    "3.0‰以下。",
    "5.5岁以下儿童贫血率控制在8%以下。",
    "１．",
    "１２．全角数字",
    "- 6.",
    "## 9.妇女在实施乡村振兴战略中的作用充分发挥。",
    "#### **三、组织实施**",
    "**",
    "#",
    "- ",
    "目 录",
    "前 言.....\t5",
    "第一章 指导思想\t(4)",
    "- 12 -",
    "12",
    "第 3 页",
    "3/40",
    "附件 1",
    "附件",
    "抄送：区委各部委",
    "\t",
    "\t类别",
    "\t序号",
    "\t指标名称（单位）",
    "\t2030年",
    "\t12",
    "\t＜1.3",
    "\t区卫健委",
    "（责任单位：区教委）",
    "x" * 3000,
    "很长的一行" * 800,
    "\x00",
    "\r",
    "\ufeff",
    "１２３４５６７８９０",
    "〇",
    "，",
    "。",
    "：",
    "第一条 为了保护未成年人，制定本法。",
    "第十条之一",
    "第一千零四十条 本编调整因婚姻家庭产生的民事关系。",
    "第十条规定的",
    "第5条：",
    "## 第一编 总则",
    "### 第一分编 通则",
    "## 第二章  家庭保护",
    "### 第一节 夫妻关系",
    "2020年10月17日 第十三届全国人民代表大会常务委员会第二十二次会议第二次修订",
    "<!-- INFO END -->",
    "<!--",
    "法释〔2023〕3号",
    "| 刑法条文 | 罪名 |",
    "|-----|-----|",
    "| 第152条 | 走私废物罪 |",
    "## 案情回顾",
    "本市",
]


@st.composite
def fragment_lines(draw) -> str:
    """Lines built from heading/item/boilerplate fragments, CJK text and junk."""
    pieces = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(CJK, min_size=1, max_size=30),
        st.text(PUNCT, min_size=1, max_size=3),
        st.text(ANY_CHAR, max_size=10),
    )
    line = st.lists(pieces, min_size=0, max_size=4).map("".join)
    lines = draw(st.lists(line, min_size=1, max_size=60))
    sep = draw(st.sampled_from(["\n", "\n", "\r\n", "\n\n"]))
    return sep.join(lines)


@st.composite
def corpus_slices(draw) -> str:
    """A corpus plan cut, truncated and shuffled: slices of lines cut at random
    characters, some dropped, some swapped."""
    name = draw(st.sampled_from(sorted(CORPUS_LINES)))
    lines = CORPUS_LINES[name]
    start = draw(st.integers(0, len(lines) - 1))
    length = draw(st.integers(1, 150))
    chunk = list(lines[start : start + length])
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    for _ in range(draw(st.integers(0, 6))):
        op = rng.choice(["cut", "drop", "swap", "dup", "join"])
        k = rng.randrange(len(chunk)) if chunk else 0
        if not chunk:
            break
        if op == "cut":
            line = chunk[k]
            pos = rng.randrange(len(line) + 1)
            chunk[k : k + 1] = [line[:pos], line[pos:]]
        elif op == "drop":
            del chunk[k]
        elif op == "swap":
            j = rng.randrange(len(chunk))
            chunk[k], chunk[j] = chunk[j], chunk[k]
        elif op == "dup":
            chunk.insert(k, chunk[k])
        elif op == "join" and k + 1 < len(chunk):
            chunk[k : k + 2] = [chunk[k] + chunk[k + 1]]
    text = "\n".join(chunk)
    if draw(st.booleans()):  # truncate in the middle of a line
        text = text[: draw(st.integers(0, len(text)))]
    return text


@st.composite
def flattened_tables(draw) -> str:
    """A 专栏 box with a flattened table: random headers, cells and numbers."""
    headers = draw(
        st.lists(
            st.sampled_from(
                [
                    "类别",
                    "序号",
                    "指标名称（单位）",
                    "2030年规划",
                    "2020年基数",
                    "属性",
                    "责任单位",
                    "备注",
                    "指标",
                    "领域",
                    "目标值",
                ]  # fmt: skip
            ),
            min_size=2,
            max_size=7,
        )
    )
    cell = st.one_of(
        st.text(CJK, max_size=12),
        st.sampled_from(["＜1.3", "≥95", "提高", "巩固", "约束性", "预期性", "", "12"]),
    )
    out = ["（三）主要目标。", "专栏一 主要指标"] + [f"\t{h}" for h in headers]
    rows = draw(st.integers(0, 8))
    for r in range(rows):
        for c in range(len(headers)):
            if c == 1 or (c == 0 and len(headers) == 2):
                value = draw(st.sampled_from([str(r + 1), "", str(r + 1)]))
            else:
                value = draw(cell)
            out.append(f"\t{value}")
            if value and draw(st.integers(0, 5)) == 0:  # a cell broken over lines
                out.append(draw(st.text(CJK, min_size=1, max_size=4)))
        out.append("")
    out += draw(st.sampled_from([[], ["二、重点任务", "1．优化服务。"], ["\t孤立的格", "尾行。"]]))
    return "\n".join(out)


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(st.text(ANY_CHAR, max_size=400))
def test_random_unicode(text):
    check_accounting(text)


@SETTINGS
@given(fragment_lines())
def test_adversarial_lines(text):
    check_accounting(text)


@SETTINGS
@given(corpus_slices())
def test_corpus_slices_cut_and_shuffled(text):
    check_accounting(text)


@SETTINGS
@given(flattened_tables())
def test_flattened_tables(text):
    check_accounting(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(fragment_lines(), corpus_slices(), flattened_tables()))
def test_parse_file_never_raises(text):
    check_pipeline(text)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS[:14]), min_size=1, max_size=40).map("\n".join))
def test_headings_only(text):
    check_accounting(text)
    check_pipeline(text, ".md")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.from_regex(r"\A[0-9０-９]{1,4}([.．、][0-9０-９]{0,3}){0,3}\Z"), min_size=1, max_size=40
    ).map("\n".join)
)
def test_numbers_only(text):
    check_accounting(text)
    check_pipeline(text)


# --------------------------------------------------------------------------- examples


def test_whole_corpus_is_accounted_for():
    for lines in CORPUS_LINES.values():
        check_accounting("\n".join(lines))


def test_very_long_line_and_control_characters():
    text = "一、总体目标\n" + "儿童" * 50_000 + "。\n\x00\x00\n1.１２\r\n（一）\n"
    check_accounting(text)
    check_pipeline(text.replace("\x00", ""))


def test_crlf_and_full_width_items():
    text = "（一）儿童与健康\r\n主要目标：\r\n１．目标一。\r\n２．目标二。\r\n"
    lines = clean_lines(text)
    clauses = parse_with_accounting(lines, "d", "d.txt").clauses
    assert [(c.kind, c.number, c.text) for c in clauses] == [
        ("target", "1", "１．目标一。"),
        ("target", "2", "２．目标二。"),
    ]


def test_table_columns_of_no_known_role_keep_their_text():
    text = (
        "专栏一 主要指标\n\t序号\n\t指标名称\n\t2020年基数\n\t2030年目标\n\t备注\n"
        "\t1\n\t新生儿死亡率（‰）\n\t2.0\n\t＜1.3\n\t约束性指标\n"
    )
    check_accounting(text)
    row = parse_with_accounting(clean_lines(text), "d", "d.txt").clauses[0]
    assert row.kind == "indicator"
    assert row.fields["target_value"] == "2.0" and row.fields["col4"] == "＜1.3"
    assert "2030年目标：＜1.3" in row.text and "备注：约束性指标" in row.text


def test_dadukou_table_rows_unchanged_by_accounting():
    text = "\n".join(CORPUS_LINES["dadukou-children-2021-2030.txt"])
    account = parse_with_accounting(clean_lines(text), "d", "d.txt")
    rows = [c for c in account.clauses if c.kind == "indicator"]
    assert len(rows) == 39 and not any(k.startswith("col") for r in rows for k in r.fields)
    assert re.search(r"^儿童与健康 1 新生儿死亡率", rows[0].text)


# --------------------------------------------------------------------------- readers

HTML_TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<div>",
        "</div>",
        "<table>",
        "<tr>",
        "<td rowspan=3>",
        "<td>",
        "</td>",
        "</tr>",
        "</table>",
        "<script>",
        "</script>",
        "<nav>",
        "<!--",
        "-->",
        "<h2>",
        "<meta charset='gbk'>",
        "<pre>",
        "&nbsp;",
        "&#x4e00;",
        "<li>",
        "<td colspan=x>",
    ]  # fmt: skip
)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([".txt", ".md", ".html", ".htm", ".docx", ".pdf"]),
    st.one_of(
        st.binary(max_size=600),
        st.lists(st.one_of(HTML_TAGS, st.text(ANY_CHAR, max_size=8)), max_size=40).map(
            lambda parts: "".join(parts).encode("utf-8")
        ),
        st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04" + b"\0" * 30, b"\xef\xbb\xbf", b"\xff\xfe"]),
    ),
)
def test_readers_give_text_or_read_error(suffix, data):
    """Whatever the bytes, a reader returns text or raises ReadError, nothing else."""
    from ingest.readers import ReadResult, read_document

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"junk{suffix}"
        path.write_bytes(data)
        try:
            result = read_document(path)
        except ReadError as exc:
            assert path.name in str(exc) and exc.reason
            return
        assert isinstance(result, ReadResult) and isinstance(result.text, str)
        assert "\r" not in result.text and "\x00" not in result.text
        check_accounting(result.text)
