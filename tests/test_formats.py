"""The same plan as .txt/.md, .docx, .pdf and .html yields the same clauses.

The converters below write the corpus plans in each format the way such
files come in practice: .docx with python-docx (markdown headings as Word
headings, ``**bold**`` as bold runs, ``- `` items as a bulleted list, the
flattened 专栏一 of 大渡口 as a real table with merged category cells); .html
with one ``<p>`` per source line (headings as ``<hN>``); .pdf with reportlab's
built-in CID font STSong-Light (no font file needed), each source line a
paragraph with a two-character first-line indent, wrapped by the typesetter,
and a page number in the footer.

What is compared: the number of documents and of clauses, and per clause
``(section_path, number, kind, text)`` with all whitespace removed; for .docx
the text must be equal exactly too.  Tolerance: whitespace only -- an HTML
page collapses runs of spaces ("专栏二  儿童…" becomes one space) and a PDF
text layer has no reliable spaces, so neither keeps the source's spacing.
Line numbers are not compared (a PDF's lines are its typeset lines).
"""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from pathlib import Path

import pytest

from ingest.clean import strip_markdown
from ingest.model import ParsedDocument
from ingest.parse import load_catalog, parse_file
from ingest.readers import ReadError, ReadResult, read_document, read_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
XIANGNING = "xiangning-children-2021-2025-draft.txt"
ZIGONG = "zigong-children-2021-2030.txt"
XIQU = "panzhihua-xiqu-women-and-children-2021-2030.md"
DADUKOU = "dadukou-children-2021-2030.txt"
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*)$")
_MD_LIST = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def catalog() -> dict:
    return load_catalog(CORPUS / "catalog.json")


def parse_as(path: Path, source_name: str, catalog: dict) -> list[ParsedDocument]:
    return parse_file(path, {path.name: catalog[source_name]})


def signature(docs: list[ParsedDocument]) -> list[list[tuple]]:
    return [
        [
            (tuple(flat(p) for p in c.section_path), c.number, c.kind, flat(c.text))
            for c in doc.clauses
        ]
        for doc in docs
    ]


def assert_same_plans(got: list[ParsedDocument], expected: list[ParsedDocument]) -> None:
    assert [d.document.doc_id for d in got] == [d.document.doc_id for d in expected]
    assert [d.document.title for d in got] == [d.document.title for d in expected]
    assert [len(d.clauses) for d in got] == [len(d.clauses) for d in expected]
    got_sig, expected_sig = signature(got), signature(expected)
    for g, e in zip(got_sig, expected_sig, strict=True):
        mismatches = [(k, a, b) for k, (a, b) in enumerate(zip(g, e, strict=True)) if a != b]
        assert not mismatches, mismatches[:3]


# --------------------------------------------------------------------------- converters


def _md_runs(text: str) -> list[tuple[str, bool]]:
    """``**bold**`` markup as (text, bold) runs."""
    parts = re.split(r"\*\*", text)
    return [(part, k % 2 == 1) for k, part in enumerate(parts) if part]


def write_docx(lines: list[str], path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        if not line.strip():
            continue
        heading = _MD_HEADING.match(line)
        item = _MD_LIST.match(line)
        if heading:
            document.add_heading(strip_markdown(line), level=min(len(heading.group(1)), 9))
            continue
        paragraph = document.add_paragraph(style="List Bullet" if item else None)
        for text, bold in _md_runs(item.group(1) if item else line.strip()):
            paragraph.add_run(text).bold = bold
    document.save(str(path))
    return path


def write_html(lines: list[str], path: Path, charset: str = "utf-8") -> Path:
    """One element per source line; the page declares ``charset`` and is
    written in it (a page declaring gb2312 is written as gb18030, as such
    pages are: gb2312 lacks characters such as "—")."""
    body = []
    for line in lines:
        if not line.strip():
            continue
        heading = _MD_HEADING.match(line)
        item = _MD_LIST.match(line)
        inner = "".join(
            f"<strong>{escape(t)}</strong>" if bold else escape(t)
            for t, bold in _md_runs(strip_markdown(line) if heading or item else line.strip())
        )
        if heading:
            level = min(len(heading.group(1)), 6)
            body.append(f"<h{level}>{inner}</h{level}>")
        elif item:
            body.append(f"<ul><li>{inner}</li></ul>")
        else:
            body.append(f"<p>{inner}</p>")
    page = (
        f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"><title>规划</title>'
        "<style>p { text-indent: 2em }</style><script>var x = '<p>不是正文</p>';</script>"
        "</head><body><nav><a href='/'>首页</a> &gt; 政务公开</nav>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    path.write_bytes(page.encode("gb18030" if charset == "gb2312" else charset))
    return path


_CJK_FONT = "STSong-Light"


def write_pdf(lines: list[str], path: Path, footer: bool = True) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    style = ParagraphStyle(
        "body", fontName=_CJK_FONT, fontSize=12, leading=18, firstLineIndent=24, wordWrap="CJK"
    )
    story = []
    for line in lines:
        text = strip_markdown(line)
        story.append(Paragraph(escape(text), style) if text else Spacer(1, 9))

    def number_page(canvas, doc) -> None:
        if footer:
            canvas.setFont(_CJK_FONT, 10)
            canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    SimpleDocTemplate(str(path), pagesize=A4).build(
        story, onFirstPage=number_page, onLaterPages=number_page
    )
    return path


def source_lines(name: str) -> list[str]:
    return read_text(CORPUS / name).split("\n")


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", [XIANGNING, ZIGONG, XIQU])
def test_docx_gives_same_clauses(tmp_path, catalog, name):
    expected = parse_file(CORPUS / name, catalog)
    path = write_docx(source_lines(name), tmp_path / (Path(name).stem + ".docx"))
    got = parse_as(path, name, catalog)
    assert_same_plans(got, expected)
    # Word keeps the characters and spaces of every paragraph: texts are exact.
    assert [[c.text for c in d.clauses] for d in got] == [
        [c.text for c in d.clauses] for d in expected
    ]


@pytest.mark.parametrize(
    ("name", "charset"), [(XIANGNING, "utf-8"), (ZIGONG, "gb2312"), (XIQU, "utf-16")]
)
def test_html_gives_same_clauses(tmp_path, catalog, name, charset):
    expected = parse_file(CORPUS / name, catalog)
    path = write_html(source_lines(name), tmp_path / (Path(name).stem + ".html"), charset)
    got = parse_as(path, name, catalog)
    assert_same_plans(got, expected)
    text = read_text(path)
    assert "不是正文" not in text and "首页" not in text and "规划</" not in text


@pytest.mark.parametrize("name", [XIANGNING, ZIGONG])
def test_pdf_gives_same_clauses(tmp_path, catalog, name):
    expected = parse_file(CORPUS / name, catalog)
    path = write_pdf(source_lines(name), tmp_path / (Path(name).stem + ".pdf"))
    if name == XIANGNING:  # (reading a PDF's text layer takes a few seconds: once is enough)
        result = read_document(path)
        assert result.warnings == []
        assert len(re.findall(r"^- \d+ -$", result.text, re.M)) >= 3  # footers, flagged later
    got = parse_as(path, name, catalog)
    assert_same_plans(got, expected)


def test_dadukou_docx_with_real_indicator_table(tmp_path, catalog):
    """专栏一 as a Word table (category cells merged down) reads back into the
    flattened form: the same 39 indicator rows with the same fields."""
    import docx

    lines = source_lines(DADUKOU)
    start = next(i for i, line in enumerate(lines) if line.startswith("专栏一"))
    end = next(i for i, line in enumerate(lines) if line.startswith("二、重点任务"))
    cells: list[str] = []
    for line in lines[start + 1 : end]:
        if line.startswith("\t"):
            cells.append(line.strip())
        elif line.strip():
            cells[-1] += line.strip()
    ncol = 6
    header, body = cells[:ncol], cells[ncol:]
    rows = [body[k : k + ncol] for k in range(0, len(body), ncol)]
    document = docx.Document()
    for line in lines[: start + 1]:
        if line.strip():
            document.add_paragraph(line.strip())
    table = document.add_table(rows=len(rows) + 1, cols=ncol)
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            if text:
                table.cell(r, c).text = text
    top = 1  # merge each category cell down over the empty ones below it
    for r in range(2, len(rows) + 2):
        if r == len(rows) + 1 or rows[r - 1][0]:
            if r - 1 > top:
                table.cell(top, 0).merge(table.cell(r - 1, 0))
            top = r
    for line in lines[end:]:
        if line.startswith("\t"):  # a box paragraph: a one-cell table
            document.add_table(rows=1, cols=1).cell(0, 0).text = line.strip()
        elif line.strip():
            document.add_paragraph(line.strip())
    path = tmp_path / "dadukou.docx"
    document.save(str(path))
    text = read_text(path)
    assert "\t儿童与健康\n\t1\n\t新生儿死亡率（‰）\n\t＜1.3\n\t约束性\n\t区卫健委\n" in text
    got = parse_as(path, DADUKOU, catalog)
    expected = parse_file(CORPUS / DADUKOU, catalog)
    got_rows = [c for c in got[0].clauses if c.kind == "indicator"]
    expected_rows = [c for c in expected[0].clauses if c.kind == "indicator"]
    assert len(got_rows) == 39
    assert [(c.fields, c.text, c.section_path) for c in got_rows] == [
        (c.fields, c.text, c.section_path) for c in expected_rows
    ]
    assert_same_plans(got, expected)


def test_docx_automatic_numbering_and_line_breaks(tmp_path):
    """Items numbered by Word (a numbered list style) keep their numbers; a
    soft line break starts a new line; indentation by tab is no table cell."""
    import docx

    document = docx.Document()
    document.add_paragraph("某某县儿童发展规划（2021—2030年）")
    document.add_heading("一、发展领域", level=1)
    document.add_paragraph("（一）儿童与健康")
    document.add_paragraph("主要目标：")
    document.add_paragraph("新生儿死亡率降至3‰以下。", style="List Number")
    document.add_paragraph("婴儿死亡率降至5‰以下。", style="List Number")
    paragraph = document.add_paragraph("\t策略措施：")
    paragraph.add_run().add_break()
    paragraph.add_run("1.加强保健。")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    assert read_text(path).split("\n")[-5:] == [
        "主要目标：",
        "1.新生儿死亡率降至3‰以下。",
        "2.婴儿死亡率降至5‰以下。",
        "策略措施：",
        "1.加强保健。",
    ]
    clauses = parse_file(path, None)[0].clauses
    assert [(c.kind, c.number) for c in clauses] == [
        ("target", "1"),
        ("target", "2"),
        ("measure", "1"),
    ]


def test_html_blocks_br_tables_and_charset(tmp_path):
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=GBK'>"
        "<style>.x{}</style></head><body><div class='nav'><nav>导航</nav></div>"
        "<h2>一、总体目标</h2><p>第一行被源文件\n换行，<br>第二行。</p>"
        "<div>块内文字<span>内联</span><p>段落</p>尾巴</div>"
        "<table><tr><th>类别</th><th>序号</th><th>指标</th></tr>"
        "<tr><td rowspan='2'>儿童与健康</td><td>1</td><td>新生儿死亡率（‰）</td></tr>"
        "<tr><td>2</td><td>婴儿死亡率（‰）</td></tr></table>"
        "<p style='display: none'>隐藏</p><!-- 注释 --><script>alert(1)</script></body></html>"
    )
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("gb18030"))
    result = read_document(path)
    assert (result.text, result.warnings) == (
        "一、总体目标\n第一行被源文件换行，\n第二行。\n块内文字内联\n段落\n尾巴\n"
        "\t类别\n\t序号\n\t指标\n\n\t儿童与健康\n\t1\n\t新生儿死亡率（‰）\n\n\t\n\t2\n\t婴儿死亡率（‰）\n",
        [],
    )


def test_html_layout_table_is_flow(tmp_path):
    paragraphs = "".join(f"<p>{k}.第{k}项。</p>" for k in range(1, 6))
    page = f"<html><body><table><tr><td><h3>主要目标：</h3>{paragraphs}</td></tr></table></body></html>"
    path = tmp_path / "layout.html"
    path.write_text(page, encoding="utf-8")
    assert read_text(path).split("\n") == ["主要目标："] + [f"{k}.第{k}项。" for k in range(1, 6)]


def test_pdf_with_scanned_pages_is_reported(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path))
    c.setFont(_CJK_FONT, 12)
    c.drawString(72, 750, "一、总体目标")
    c.drawString(72, 730, "儿童发展更好。")
    c.showPage()
    c.rect(72, 72, 400, 600, fill=1)  # a "scanned" page: drawing, no text
    c.showPage()
    c.setFont(_CJK_FONT, 12)
    c.drawString(72, 750, "二、组织实施")
    c.showPage()
    c.save()
    result = read_document(path)
    assert result.text.split("\n") == ["一、总体目标", "儿童发展更好。", "", "二、组织实施"]
    assert len(result.warnings) == 1
    assert "mixed.pdf" in result.warnings[0] and "page(s) 2 of 3" in result.warnings[0]
    assert "no text layer" in result.warnings[0]


def test_pdf_letter_spaced_text_has_no_spurious_spaces(tmp_path):
    """Justified Chinese spreads its glyphs: no space between them, but the
    PDF's own space characters stay."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    path = tmp_path / "spaced.pdf"
    c = canvas.Canvas(str(path))
    text = c.beginText(72, 750)
    text.setFont(_CJK_FONT, 12)
    text.setCharSpace(4)
    text.textLine("（一）儿童与健康 Health 2030年")
    text.setCharSpace(0)
    text.textLine("第三章 发展领域")
    c.drawText(text)
    c.save()
    assert read_text(path).split("\n") == ["（一）儿童与健康 Health 2030年", "第三章 发展领域"]


def test_pdf_without_any_text_layer_raises(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    for _ in range(2):
        c.rect(72, 72, 400, 600, fill=1)
        c.showPage()
    c.save()
    with pytest.raises(ReadError, match=r"scan\.pdf.*no page of the 2 has a text layer") as info:
        read_text(path)
    assert info.value.path == path and "OCR" in info.value.reason


# --------------------------------------------------------------------------- errors


def _encrypted_pdf(path: Path) -> Path:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption("secret", canModify=0))
    c.drawString(72, 750, "Confidential plan")
    c.save()
    return path


def _truncated_docx(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.docx", lambda p: p.write_bytes(b""), "empty"),
        ("empty.pdf", lambda p: p.write_bytes(b""), "empty"),
        ("empty.html", lambda p: p.write_bytes(b""), "empty"),
        ("empty.txt", lambda p: p.write_bytes(b""), "empty"),
        ("junk.docx", lambda p: p.write_bytes(b"\x00\x01garbage" * 50), "not a zip"),
        (
            "legacy.docx",
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
            "encrypted",
        ),
        ("broken.docx", _truncated_docx, "corrupt"),
        ("junk.pdf", lambda p: p.write_bytes(b"\x89garbage" * 100), "not a PDF"),
        (
            "broken.pdf",
            lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage\n%%EOF"),
            "corrupt",
        ),
        ("locked.pdf", _encrypted_pdf, "encrypted"),
        ("binary.txt", lambda p: p.write_bytes(bytes(range(256)) * 20), "binary"),
        ("binary.html", lambda p: p.write_bytes(bytes(range(256)) * 20), "binary"),
    ],
)
def test_unreadable_files_raise_read_error_with_name_and_reason(tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    with pytest.raises(ReadError) as info:
        read_document(path)
    message = str(info.value)
    assert name in message and reason in message, message
    assert info.value.path == path
    with pytest.raises(ReadError):
        parse_file(path, None)


def test_missing_file_raises_read_error(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_document(tmp_path / "absent.docx")


def test_read_text_is_read_document_text():
    result = read_document(CORPUS / XIANGNING)
    assert result.warnings == [] and result.text == read_text(CORPUS / XIANGNING)


# --------------------------------------------------------------------------- blocks


def _kinds(result: ReadResult) -> list[tuple]:
    """(kind, line, text, level, boxed) of every non-table block."""
    return [(b.kind, b.line, b.text, b.level, b.boxed) for b in result.blocks if b.kind != "table"]


def _cells(result: ReadResult) -> list[list[list[tuple[str, int]]]]:
    """Every table block as rows of (text, line) cells."""
    return [
        [[(cell.text, cell.line) for cell in row] for row in b.rows]
        for b in result.blocks
        if b.kind == "table"
    ]


def test_docx_heading_styles_give_heading_blocks(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("某某县儿童发展规划")
    document.add_heading("一、总体目标", level=1)
    document.add_heading("（一）儿童与健康", level=2)
    document.add_paragraph("1.新生儿死亡率降至3‰以下。")
    document.styles.add_style("标题 3", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("主要目标：", style="标题 3")  # a localised heading style name
    outlined = document.add_paragraph("二、组织实施")  # an outline level on the paragraph
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    outlined._p.get_or_add_pPr().append(outline)
    path = tmp_path / "headings.docx"
    document.save(str(path))
    result = read_document(path)
    assert _kinds(result) == [
        ("paragraph", 1, "某某县儿童发展规划", None, False),
        ("heading", 2, "一、总体目标", 1, False),
        ("heading", 3, "（一）儿童与健康", 2, False),
        ("paragraph", 4, "1.新生儿死亡率降至3‰以下。", None, False),
        ("heading", 5, "主要目标：", 3, False),
        ("heading", 6, "二、组织实施", 1, False),
    ]
    # headings render as their plain text, as the lines did before
    assert result.text.split("\n")[1:3] == ["一、总体目标", "（一）儿童与健康"]


def test_docx_table_is_one_table_block_with_cells(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("专栏一 主要指标")
    table = document.add_table(rows=3, cols=3)
    table.cell(1, 0).merge(table.cell(2, 0))  # the category cell merged down
    for (r, c), text in {
        (0, 0): "类别", (0, 1): "序号", (0, 2): "指标",
        (1, 0): "儿童与健康", (1, 1): "1", (1, 2): "新生儿死亡率（‰）",
        (2, 1): "2", (2, 2): "婴儿死亡率（‰）",
    }.items():  # fmt: skip
        table.cell(r, c).text = text
    document.add_paragraph("二、重点任务")
    path = tmp_path / "table.docx"
    document.save(str(path))
    result = read_document(path)
    assert [b.kind for b in result.blocks] == ["paragraph", "table", "paragraph"]
    # one number per cell, one left unused after each row (the flattened text's blank line)
    assert _cells(result) == [
        [
            [("类别", 2), ("序号", 3), ("指标", 4)],
            [("儿童与健康", 6), ("1", 7), ("新生儿死亡率（‰）", 8)],
            [("", 10), ("2", 11), ("婴儿死亡率（‰）", 12)],
        ]
    ]
    table_block = result.blocks[1]
    assert (table_block.line, table_block.line_end) == (2, 12)
    assert _kinds(result) == [
        ("paragraph", 1, "专栏一 主要指标", None, False),
        ("paragraph", 14, "二、重点任务", None, False),
    ]
    assert result.text == (
        "专栏一 主要指标\n\t类别\n\t序号\n\t指标\n\n\t儿童与健康\n\t1\n\t新生儿死亡率（‰）\n\n"
        "\t\n\t2\n\t婴儿死亡率（‰）\n\n二、重点任务"
    )


def test_html_headings_and_table_blocks(tmp_path):
    page = (
        "<html><body><h1>某某县儿童发展规划</h1><h3>主要目标：</h3><p>正文。</p>"
        "<table><tr><th>类别</th><th>序号</th><th>指标</th></tr>"
        "<tr><td rowspan='2'>儿童与健康</td><td>1</td><td>新生儿<br>死亡率（‰）</td></tr>"
        "<tr><td>2</td><td>婴儿死亡率（‰）</td></tr></table><p>后文</p></body></html>"
    )
    path = tmp_path / "table.html"
    path.write_text(page, encoding="utf-8")
    result = read_document(path)
    assert [b.kind for b in result.blocks] == [
        "heading",
        "heading",
        "paragraph",
        "table",
        "paragraph",
    ]
    assert _kinds(result) == [
        ("heading", 1, "某某县儿童发展规划", 1, False),
        ("heading", 2, "主要目标：", 3, False),
        ("paragraph", 3, "正文。", None, False),
        ("paragraph", 16, "后文", None, False),
    ]
    assert _cells(result) == [
        [
            [("类别", 4), ("序号", 5), ("指标", 6)],
            [("儿童与健康", 8), ("1", 9), ("新生儿死亡率（‰）", 10)],
            [("", 12), ("2", 13), ("婴儿死亡率（‰）", 14)],
        ]
    ]


def test_one_column_table_gives_boxed_paragraphs(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("（一）儿童与健康")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "专栏1 儿童健康工程"
    cell.add_paragraph("1.出生缺陷防治。")
    document.add_paragraph("（二）儿童与教育")
    docx_path = tmp_path / "box.docx"
    document.save(str(docx_path))
    html_path = tmp_path / "box.html"
    html_path.write_text(
        "<html><body><p>（一）儿童与健康</p><table><tr><td>专栏1 儿童健康工程<br>"
        "1.出生缺陷防治。</td></tr></table><p>（二）儿童与教育</p></body></html>",
        encoding="utf-8",
    )
    for path in (docx_path, html_path):
        result = read_document(path)
        assert _kinds(result) == [
            ("paragraph", 1, "（一）儿童与健康", None, False),
            ("paragraph", 2, "专栏1 儿童健康工程", None, True),
            ("paragraph", 3, "1.出生缺陷防治。", None, True),
            ("paragraph", 5, "（二）儿童与教育", None, False),
        ], path.name
        assert not any(b.kind == "table" for b in result.blocks)
        assert (
            result.text
            == "（一）儿童与健康\n\t专栏1 儿童健康工程\n\t1.出生缺陷防治。\n\n（二）儿童与教育"
        )


def test_markdown_pipe_table_and_comment_blocks(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(
        "# 某某县儿童发展规划\n<!-- INFO\nEND -->\n正文。\n"
        "| 类别 | 指标 |\n| --- | --- |\n| 儿童与健康 | 新生儿死亡率 |\n## 一、总体目标\n",
        encoding="utf-8",
    )
    result = read_document(path)
    assert isinstance(result, ReadResult) and result.warnings == []
    assert _kinds(result) == [
        ("heading", 1, "某某县儿童发展规划", 1, False),
        ("paragraph", 2, "", None, False),  # the comment, blanked: its lines kept
        ("paragraph", 3, "", None, False),
        ("paragraph", 4, "正文。", None, False),
        ("heading", 8, "一、总体目标", 2, False),
        ("paragraph", 9, "", None, False),
    ]
    assert _cells(result) == [
        [[("类别", 5), ("指标", 5)], [("儿童与健康", 7), ("新生儿死亡率", 7)]]
    ]
    lines = result.text.split("\n")
    assert lines[1:3] == ["", ""] and lines[3] == "正文。" and lines[4] == "| 类别 | 指标 |"
    assert len(lines) == 9
