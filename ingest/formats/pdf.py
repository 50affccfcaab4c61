"""``.pdf`` reader: the text layer, via pdfplumber (pdfminer.six).

pdfplumber is used rather than pypdf because it gives each text line with its
position: lines come out top to bottom in reading order for the one-column
layout of plan documents, and the position lets a line wrapped by the
typesetter be re-joined with its continuation.  Lines are joined when the
first one runs to the right edge of the page's text block (one at least 15
characters wide), the next one starts
at the left edge (no first-line indent), follows with no extra vertical gap
and does not itself start a heading or a numbered item -- also across a page
break, with a page-number line in between moved after the joined line; every
other line is a line of its own, and the structure parser re-joins the rest
as it does for broken ``.txt`` lines.  A line starts a heading or a numbered
item when it starts with a marker of the numbering grammar
(:data:`ingest.text.MARKERS`: 一、 （一） 1. （1） 第X章 第X条 专栏 附件 …).

Each (joined) line is one paragraph block (:mod:`ingest.blocks`); its line
number counts the lines in reading order, and one number between two pages
is left unused (the blank line that separated the pages in the flattened
text).  Page-number lines are paragraphs too (:mod:`ingest.clean` flags them).

A PDF of more pages than the ``max_pdf_pages`` limit is refused before any
page is read (:class:`ingest.readers.LimitExceeded`); each page's parsed
objects are released once its lines are read.

A page without a text layer (a scanned image, or a blank page) is reported in the warnings;
when no page has text the file raises :class:`ReadError` (it needs OCR).
Spaces are the PDF's own space characters, or gaps of a full character or
more: letter-spaced (justified) Chinese gives no spaces between its glyphs.
Glyphs the PDF gives no Unicode for (``(cid:123)``) are dropped and reported.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from ingest import limits
from ingest.blocks import Block
from ingest.formats.cells import BlockBuilder
from ingest.readers import LimitExceeded, ReadError, ReadResult, read_bytes, register_reader
from ingest.text import MARKERS, article_start, marker_of, squash

_CID = re.compile(r"\(cid:\d+\)")
# Spaces: the PDF's own space characters are kept; a gap between two glyphs
# only counts as a space when it is a full character wide.  Justified or
# letter-spaced Chinese has gaps of a fraction of a character between every
# glyph, which pdfplumber's default (3 points) would turn into "儿 童 与 健 康".
_TEXT_OPTIONS: dict[str, Any] = {"keep_blank_chars": True, "x_tolerance_ratio": 1.0}
_MARKER_NAMES = tuple(MARKERS)


def _starts_block(text: str) -> bool:
    """Whether ``text`` starts a heading, numbered item, box or article (a
    marker of the numbering grammar), so that no line is joined to it."""
    flat = squash(text)
    return marker_of(flat, _MARKER_NAMES) is not None or article_start(flat) is not None


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def _is_page_number(text: str) -> bool:
    from ingest.clean import is_page_number

    return is_page_number(text.strip())


def page_lines(lines: list[dict[str, Any]]) -> tuple[list[str], bool, bool]:
    """Logical lines of one page from pdfplumber's text lines (see module doc),
    whether the first line starts at the left edge, and whether the last body
    line (a page number after it aside) runs to the right edge."""
    lines = [ln for ln in lines if ln["text"].strip()]
    if not lines:
        return [], False, False
    left = min(ln["x0"] for ln in lines)
    right = max(ln["x1"] for ln in lines)

    def full(line: dict[str, Any]) -> bool:
        # Only a text block some 15 characters wide or more wraps lines.
        size = max(line["bottom"] - line["top"], 1.0)
        return right - left >= 15 * size and line["x1"] >= right - 1.5 * size

    def flush_left(line: dict[str, Any]) -> bool:
        return line["x0"] <= left + 0.5 * max(line["bottom"] - line["top"], 1.0)

    out: list[str] = []
    prev: dict[str, Any] | None = None
    for line in lines:
        text = line["text"].strip()
        size = max(line["bottom"] - line["top"], 1.0)
        if prev is not None and out:
            prev_size = max(prev["bottom"] - prev["top"], 1.0)
            gap = line["top"] - prev["bottom"]
            if (
                full(prev)
                and flush_left(line)
                and -0.5 * size <= gap <= 0.9 * max(size, prev_size)
                and not _starts_block(text)
            ):
                out[-1] = _join(out[-1], text)
                prev = line
                continue
        out.append(text)
        prev = line
    body = [ln for ln in lines if not _is_page_number(ln["text"])]
    starts_flush = bool(body) and flush_left(body[0]) and not _starts_block(body[0]["text"])
    ends_full = bool(body) and full(body[-1])
    return out, starts_flush, ends_full


def pdf_blocks(lines: list[str]) -> list[Block]:
    """Paragraph blocks of the lines of :func:`join_pages` ('' between two
    pages leaves its number unused)."""
    out = BlockBuilder()
    for line in lines:
        if line:
            out.paragraph(line)
        else:
            out.blank()
    return out.finish()


def join_pages(pages: list[tuple[list[str], bool, bool]]) -> list[str]:
    """The pages' lines in order, a blank line between pages; a paragraph that
    runs to the end of a page and goes on at the left edge of the next is
    re-joined there (a page-number line between them moves after it)."""
    out: list[str] = []
    ended_full = False
    for lines, starts_flush, ends_full in pages:
        if not lines:
            continue
        if out and ended_full and starts_flush:
            trailer: list[str] = []
            while out and (not out[-1].strip() or _is_page_number(out[-1])):
                trailer.insert(0, out.pop())
            if out:
                out[-1] = _join(out[-1], lines[0])
                out.extend(trailer)
                out.extend(lines[1:])
                ended_full = ends_full
                continue
            out.extend(trailer)
        if out:
            out.append("")
        out.extend(lines)
        ended_full = ends_full
    return out


def _root_cause(exc: BaseException) -> BaseException:
    """The exception pdfplumber wrapped (it re-raises pdfminer's as PdfminerException)."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or (
            exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        )
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


@register_reader(".pdf")
def read_pdf(path: Path) -> ReadResult:
    """Read the text layer of a PDF (see the module docstring)."""
    data = read_bytes(path)
    if not data:
        raise ReadError(path, "the file is empty (0 bytes)")
    if b"%PDF" not in data[:1024]:
        raise ReadError(path, "not a PDF file (no %PDF header)")
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
        from pdfminer.pdfpage import PDFPage
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise ReadError(path, f"PDF support is not installed ({exc})") from exc
    warnings: list[str] = []
    pages: list[tuple[list[str], bool, bool]] = []
    missing: list[int] = []
    max_pages = limits.current().max_pdf_pages
    try:
        with pdfplumber.open(path) as pdf:
            # count the pages (to one past the limit) before reading any of them
            count = sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), max_pages + 1))
            if count > max_pages:
                raise LimitExceeded(path, f"the PDF has more than {max_pages:,} pages", "max_pdf_pages")
            for number, page in enumerate(pdf.pages, start=1):
                try:
                    text_lines = page.extract_text_lines(strip=True, return_chars=False, **_TEXT_OPTIONS)
                finally:
                    page.close()  # a page's parsed objects are not kept once read
                lines, starts_flush, ends_full = page_lines(text_lines)
                cids = sum(len(_CID.findall(t)) for t in lines)
                if cids:
                    lines = [_CID.sub("", t) for t in lines]
                    warnings.append(
                        f"{path.name}: page {number}: {cids} glyph(s) without a Unicode "
                        "mapping were dropped"
                    )
                lines = [t for t in lines if t.strip()]
                if not lines:
                    missing.append(number)
                pages.append((lines, starts_flush, ends_full))
    except (ReadError, MemoryError):  # a limit, not a corrupt file
        raise
    except Exception as exc:  # pdfminer raises many kinds on a corrupt file
        cause = _root_cause(exc)
        if isinstance(cause, MemoryError):  # over the memory limit (pdfplumber wraps it)
            raise cause from None
        detail = str(cause) or type(cause).__name__
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or re.search(
            "password|encrypt", detail, re.I
        ):
            raise ReadError(
                path, f"the PDF is encrypted (password-protected) ({type(cause).__name__})"
            ) from exc
        raise ReadError(
            path, f"corrupt or unreadable PDF ({type(cause).__name__}: {detail})"
        ) from exc
    if count == 0:
        raise ReadError(path, "the PDF has no pages")
    if not any(lines for lines, _, _ in pages):
        raise ReadError(
            path,
            f"no page of the {count} has a text layer (a scanned PDF?); it needs OCR first",
        )
    if missing:
        listed = ", ".join(str(n) for n in missing)
        warnings.insert(
            0,
            f"{path.name}: page(s) {listed} of {count} have no text layer (scanned image or "
            "blank page); any content there is missing",
        )
    return ReadResult(pdf_blocks(join_pages(pages)), warnings)
