"""Generators of hostile input files, shared by the hostile-file tests and
benchmarks (``bench/``): each writes one file (or link) that has, at some
time, been a way to stall, crash or fool a document parser.

Every generator takes the folder to write into and returns the path it
wrote.  :data:`HOSTILE` lists them all by a short name; :func:`write_all`
writes every one into a folder.  Sizes are arguments so that a test can keep
the files small while a benchmark can make them big.

The files are cheap to make (a few seconds for all of them together): the
PDFs and .docx packages are written by hand, byte by byte, rather than by a
layout engine.
"""

from __future__ import annotations

import os
import random
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

TITLE = "某市儿童发展规划（2021—2030年）"
ARTICLE = "第一条 为了保护未成年人的身心健康，保障未成年人的合法权益，制定本条例。"
SENTENCE = "儿童健康水平不断提高，儿童受教育权利得到更好保障。"

# --------------------------------------------------------------------------- text files


def dot_line(folder: Path, size: int = 1_000_000) -> Path:
    """A table-of-contents line with ``size`` leader dots before its page
    number, between a title and one article (a quadratic TOC regex once took
    hours on this)."""
    path = folder / "dot-line.txt"
    path.write_text(f"{TITLE}\n\n第一章 总则{'.' * size}1\n\n{ARTICLE}\n", encoding="utf-8")
    return path


def single_line(folder: Path, size: int = 10_000_000) -> Path:
    """``size`` bytes of Chinese text with no line break at all."""
    path = folder / "single-line.txt"
    unit = SENTENCE.encode("utf-8")
    path.write_bytes(unit * (size // len(unit) + 1))
    return path


def binary_txt(folder: Path, size: int = 200_000) -> Path:
    """Random bytes named .txt."""
    path = folder / "binary.txt"
    path.write_bytes(random.Random(13).randbytes(size))
    return path


def mixed_encoding(folder: Path) -> Path:
    """A title and articles in UTF-8, then articles in GB18030 (GBK): a file
    pasted together from two sources."""
    path = folder / "mixed-encoding.txt"
    utf8 = f"{TITLE}\n\n第一章 总则\n\n{ARTICLE}\n\n".encode()
    gbk = "第二条 本条例适用于本市行政区域内的未成年人保护工作。\n\n第三条 学校应当尊重未成年人的人格尊严。\n".encode("gb18030")
    path.write_bytes(utf8 + gbk)
    return path


def utf16_without_bom(folder: Path) -> Path:
    """A plan in UTF-16 (little endian) with no byte-order mark."""
    path = folder / "utf16-no-bom.txt"
    text = f"{TITLE}\n\n一、总体目标\n\n1.{SENTENCE}\n\n2.儿童安全得到有效保障，伤害死亡率持续下降。\n"
    path.write_bytes(text.encode("utf-16-le"))
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.txt"
    path.write_bytes(b"")
    return path


def whitespace_only(folder: Path) -> Path:
    path = folder / "whitespace.txt"
    path.write_text(" \n\t\n\u3000\u3000\n\r\n" * 2_000, encoding="utf-8")
    return path


def repeated_articles(folder: Path, size: int = 5_000_000) -> Path:
    """``size`` bytes of the same 第一条 line, over and over."""
    path = folder / "repeated-articles.txt"
    line = (ARTICLE + "\n").encode("utf-8")
    path.write_bytes(line * (size // len(line) + 1))
    return path


def many_headings(folder: Path, count: int = 100_000) -> Path:
    """``count`` Markdown headings and nothing else."""
    path = folder / "many-headings.md"
    path.write_text("".join(f"## 第{k}部分 标题\n" for k in range(count)), encoding="utf-8")
    return path


def control_characters(folder: Path) -> Path:
    """A plan whose articles carry ANSI escape sequences and C0/C1 control
    characters (a terminal that echoes them can be re-titled, cleared or
    worse)."""
    path = folder / "control-characters.txt"
    path.write_text(
        f"{TITLE}\n\n第一章 总则\n\n"
        "第一条 儿童优先\x1b[2J\x1b]0;pwned\x07原则\x1b[31m贯穿\x9b1m始终。\n\n"
        f"{ARTICLE}\n",
        encoding="utf-8",
    )
    return path


def nul_bytes(folder: Path) -> Path:
    """UTF-8 text with NUL bytes between the characters of one line."""
    path = folder / "nul-bytes.md"
    text = f"# {TITLE}\n\n## 第一章 总则\n\n{ARTICLE}\n\n" + "\x00".join("第二条 学校应当尊重未成年人的人格尊严。") + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def unclosed_comments(folder: Path, count: int = 20_000) -> Path:
    """Markdown with ``count`` HTML comment openers and no closer (a regex
    that blanks comments rescans the rest of the file from each one), on a
    table-of-contents line."""
    path = folder / "unclosed-comments.md"
    path.write_text(f"# {TITLE}\n\n第一章 总则" + "<!-- " * count + "…………1\n\n" + ARTICLE + "\n", encoding="utf-8")
    return path


def long_table(folder: Path, rows: int = 3, columns: int = 1_000) -> Path:
    """A Markdown pipe table of ``rows`` × ``columns`` short cells."""
    path = folder / "long-table.md"
    header = "|" + "|".join(f"列{c}" for c in range(columns)) + "|\n"
    rule = "|" + "|".join("---" for _ in range(columns)) + "|\n"
    body = "".join("|" + "|".join(str(r * c % 97) for c in range(columns)) + "|\n" for r in range(rows))
    path.write_text(f"# {TITLE}\n\n" + header + rule + body, encoding="utf-8")
    return path


def long_file_name(folder: Path) -> Path:
    """A file whose name is as long as the file system allows (255 bytes)."""
    stem = "儿童发展规划" * 14  # 84 characters, 252 bytes in UTF-8
    path = folder / f"{stem}.md"
    path.write_text(f"# {TITLE}\n\n{ARTICLE}\n", encoding="utf-8")
    return path


def path_too_long(folder: Path, length: int = 5_000) -> Path:
    """A file nested in folders deep enough that its path is longer than
    ``length`` characters (beyond PATH_MAX, 4,096 on Linux: it can only be
    made, and opened, relative to its folder)."""
    top = folder / "deep"
    top.mkdir(exist_ok=True)
    fd = os.open(top, os.O_RDONLY)
    made = len(str(top))
    try:
        while made < length:
            name = "d" * 200
            try:
                os.mkdir(name, dir_fd=fd)
            except FileExistsError:
                pass
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            made += len(name) + 1
        out = os.open("plan.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=fd)
        with os.fdopen(out, "w", encoding="utf-8") as fh:
            fh.write(f"{TITLE}\n\n{ARTICLE}\n")
    finally:
        os.close(fd)
    return top


# --------------------------------------------------------------------------- links


def symlink_out(folder: Path, target: Path) -> Path:
    """A link inside the corpus to a file outside it (``target``)."""
    path = folder / "outside.txt"
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target)
    return path


def symlinked_folder(folder: Path, target: Path) -> Path:
    """A link inside the corpus to a folder outside it (``target``)."""
    path = folder / "outside-folder"
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target, target_is_directory=True)
    return path


# --------------------------------------------------------------------------- HTML


def deep_nesting_html(folder: Path, depth: int = 100_000) -> Path:
    """``depth`` nested ``<div>`` elements with an article at the bottom."""
    path = folder / "deep-nesting.html"
    path.write_text(
        f"<html><body><h1>{TITLE}</h1><p>{ARTICLE}</p>" + "<div>" * depth + "<p>第二条 最深处的条文。</p>" + "</div>" * depth + "</body></html>",
        encoding="utf-8",
    )
    return path


def deep_tables_html(folder: Path, depth: int = 2_000) -> Path:
    """``depth`` tables nested in one another's cells."""
    path = folder / "deep-tables.html"
    path.write_text(
        f"<html><body><h1>{TITLE}</h1><p>{ARTICLE}</p>"
        + "<table><tr><td>格</td><td>" * depth
        + "最深的格"
        + "</td></tr></table>" * depth
        + "</body></html>",
        encoding="utf-8",
    )
    return path


def rowspan_bomb_html(folder: Path, columns: int = 2_000, rows: int = 5_000) -> Path:
    """A first row of ``columns`` cells each spanning 1,000 rows (and 1,000
    columns), then ``rows`` empty rows: the grid a browser would lay out has
    billions of cells."""
    path = folder / "rowspan-bomb.html"
    path.write_text(
        f"<html><body><h1>{TITLE}</h1><p>{ARTICLE}</p><table><tr>"
        + '<td rowspan="1000" colspan="1000">格</td>' * columns
        + "</tr>"
        + "<tr></tr>" * rows
        + "</table></body></html>",
        encoding="utf-8",
    )
    return path


def huge_attribute_html(folder: Path, size: int = 5_000_000) -> Path:
    """An element with a ``size``-character style attribute (and an article)."""
    path = folder / "huge-attribute.html"
    path.write_text(
        f'<html><body><h1>{TITLE}</h1><p style="{"color:red;" * (size // 10)}">{ARTICLE}</p></body></html>',
        encoding="utf-8",
    )
    return path


def entity_bomb_html(folder: Path) -> Path:
    """The "billion laughs" entity declarations in an HTML page."""
    path = folder / "entity-bomb.html"
    decls = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10 if k > 1 else "&lol;" * 10}">' for k in range(1, 10)
    )
    path.write_text(
        f"<!DOCTYPE html [{decls}]><html><body><h1>{TITLE}</h1><p>{ARTICLE}&lol9;</p></body></html>",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- .docx

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>'
    "</Relationships>"
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _paragraph(text: str, num_id: int | None = None) -> str:
    numbering = f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>' if num_id else ""
    return f'<w:p>{numbering}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def _document_xml(body: str, prolog: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'


def _write_docx(path: Path, document: str, numbering: str = "", members: bool = True) -> Path:
    """A .docx package; without ``members`` the document part is left out
    (for the caller to add)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/_rels/document.xml.rels", _DOCUMENT_RELS)
        archive.writestr("word/numbering.xml", numbering or f'<w:numbering xmlns:w="{_W}"/>')
        if members:
            archive.writestr("word/document.xml", document)
    return path


def plain_docx(folder: Path, name: str = "plain.docx") -> Path:
    """A small valid .docx: a title and three articles."""
    body = _paragraph(TITLE) + "".join(
        _paragraph(f"第{n}条 {SENTENCE}") for n in ("一", "二", "三")
    )
    return _write_docx(folder / name, _document_xml(body))


def zip_bomb_docx(folder: Path, size: int = 300_000_000) -> Path:
    """A .docx whose document.xml inflates to ``size`` bytes (spaces inside a
    text run) from a few hundred kilobytes."""
    path = folder / "zip-bomb.docx"
    head = _document_xml(_paragraph(TITLE) + '<w:p><w:r><w:t xml:space="preserve">')
    head = head[: head.rindex("</w:body>")].encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    _write_docx(path, "", members=False)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        # written in pieces: no ``size``-byte string in memory here either
        with archive.open("word/document.xml", "w", force_zip64=size > 2**31) as fh:
            fh.write(head)
            block = b" " * (1 << 20)
            left = size - len(head) - len(tail)
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= len(block)
            fh.write(tail)
    return path


def numbering_bomb_docx(folder: Path, start: int = 10**12, repeat: int = 1) -> Path:
    """A .docx whose automatic numbering starts at ``start`` in letter, roman,
    Chinese and decimal formats, with a 10,000-character label text."""
    path = folder / "numbering-bomb.docx"
    formats = ("lowerLetter", "upperRoman", "chineseCounting", "decimal", "lowerRoman")
    numbering = [f'<w:numbering xmlns:w="{_W}">']
    for k, fmt in enumerate(formats, start=1):
        numbering.append(
            f'<w:abstractNum w:abstractNumId="{k}"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
            f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1.{"%1" * (10_000 if k == 4 else 0)}"/></w:lvl></w:abstractNum>'
        )
    for k in range(1, len(formats) + 1):
        numbering.append(f'<w:num w:numId="{k}"><w:abstractNumId w:val="{k}"/></w:num>')
    numbering.append(
        f'<w:num w:numId="{len(formats) + 1}"><w:abstractNumId w:val="1"/>'
        f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{"9" * 5000}"/></w:lvlOverride></w:num>'
    )
    numbering.append("</w:numbering>")
    body = _paragraph(TITLE) + "".join(
        _paragraph(f"{SENTENCE}（{fmt}）", num_id=k) for k, fmt in enumerate(formats, start=1) for _ in range(repeat)
    ) + _paragraph(SENTENCE, num_id=len(formats) + 1)
    return _write_docx(path, _document_xml(body), "".join(numbering))


def truncated_docx(folder: Path) -> Path:
    """A valid .docx cut off in the middle."""
    whole = plain_docx(folder, name="truncated.docx")
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 2])
    return whole


def entity_bomb_docx(folder: Path) -> Path:
    """"Billion laughs" entities in document.xml."""
    path = folder / "entity-bomb.docx"
    decls = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY a{k} "{("&a" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10)
    )
    prolog = f"<!DOCTYPE w:document [{decls}]>"
    return _write_docx(path, _document_xml(_paragraph(TITLE) + _paragraph(f"{ARTICLE}&a9;"), prolog))


# --------------------------------------------------------------------------- PDF


def _pdf(objects: list[bytes], root: int) -> bytes:
    """A PDF file of ``objects`` (object k+1 is objects[k]) with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, deflate: bool = False) -> bytes:
    if deflate:
        data = zlib.compress(data)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def many_pages_pdf(folder: Path, pages: int = 2_000) -> Path:
    """A PDF of ``pages`` pages that all show the same line of text (one
    shared content stream, so the file stays small)."""
    path = folder / "many-pages.pdf"
    # 1 catalog, 2 pages, 3 font, 4 content, then one object per page
    kids = b" ".join(b"%d 0 R" % (5 + k) for k in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"BT /F1 12 Tf 72 720 Td (Article 1. Every child has the right to education.) Tj ET"),
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    objects.extend(page for _ in range(pages))
    path.write_bytes(_pdf(objects, root=1))
    return path


def no_text_pdf(folder: Path) -> Path:
    """A PDF whose one page only draws a filled rectangle (a scan, no text layer)."""
    path = folder / "no-text.pdf"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        _stream(b"0 0 0 rg 72 72 400 600 re f"),
    ]
    path.write_bytes(_pdf(objects, root=1))
    return path


def stream_bomb_pdf(folder: Path, size: int = 200_000_000) -> Path:
    """A one-page PDF whose content stream inflates to ``size`` bytes of spaces."""
    path = folder / "stream-bomb.pdf"
    compressor = zlib.compressobj(9)
    block = b" " * (1 << 20)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 720 Td (Article 1.) Tj ET ")]
    left = size
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    data = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(_pdf(objects, root=1))
    return path


def fake_pdf(folder: Path) -> Path:
    """An HTML page named .pdf."""
    path = folder / "fake.pdf"
    path.write_text(f"<html><body><p>{ARTICLE}</p></body></html>", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- parsers that misbehave


def misbehaving_parse(path: Path, base: Path, catalog: dict | None) -> tuple:
    """A stand-in for ``ingest.worker.parse_one`` (run in a parser process,
    so it must live in an importable module) that misbehaves on cue, by file
    name: ``hang*`` never returns, ``crash*`` kills its process with SIGSEGV,
    ``hungry*`` asks for 20 GB of memory; any other file is parsed for real.
    It stands for a parser bug that no real file triggers today."""
    import signal
    import time

    from ingest.worker import parse_one

    name = Path(path).name
    if name.startswith("hang"):
        while True:
            time.sleep(60)
    if name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("hungry"):
        hog = bytearray(20_000_000_000)
        return [hog], None
    return parse_one(path, base, catalog)


# --------------------------------------------------------------------------- all of them

Generator = Callable[[Path], Path]

HOSTILE: dict[str, Generator] = {
    "zip-bomb.docx": zip_bomb_docx,
    "dot-line.txt": dot_line,
    "single-line.txt": single_line,
    "deep-nesting.html": deep_nesting_html,
    "deep-tables.html": deep_tables_html,
    "rowspan-bomb.html": rowspan_bomb_html,
    "numbering-bomb.docx": numbering_bomb_docx,
    "binary.txt": binary_txt,
    "many-pages.pdf": many_pages_pdf,
    "mixed-encoding.txt": mixed_encoding,
    "utf16-no-bom.txt": utf16_without_bom,
    "empty.txt": empty_file,
    "whitespace.txt": whitespace_only,
    "repeated-articles.txt": repeated_articles,
    "many-headings.md": many_headings,
    "no-text.pdf": no_text_pdf,
    "stream-bomb.pdf": stream_bomb_pdf,
    "fake.pdf": fake_pdf,
    "truncated.docx": truncated_docx,
    "entity-bomb.docx": entity_bomb_docx,
    "huge-attribute.html": huge_attribute_html,
    "entity-bomb.html": entity_bomb_html,
    "control-characters.txt": control_characters,
    "nul-bytes.md": nul_bytes,
    "unclosed-comments.md": unclosed_comments,
    "long-table.md": long_table,
    "long-file-name.md": long_file_name,
    "path-too-long": path_too_long,
}


def write_all(folder: Path, outside: Path | None = None) -> dict[str, Path]:
    """Every hostile file in :data:`HOSTILE` under ``folder`` (created), plus
    a link to a file and one to a folder outside it when ``outside`` (a
    folder elsewhere, created) is given.  Returns name -> path written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {name: make(folder) for name, make in HOSTILE.items()}
    if outside is not None:
        outside.mkdir(parents=True, exist_ok=True)
        secret = outside / "secret.txt"
        secret.write_text(f"{TITLE}\n\n第一条 这是语料目录之外的文件，不得被收录。\n", encoding="utf-8")
        written["outside.txt"] = symlink_out(folder, secret)
        written["outside-folder"] = symlinked_folder(folder, outside)
    return written


__all__ = ["HOSTILE", "write_all"]
