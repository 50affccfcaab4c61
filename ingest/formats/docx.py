"""``.docx`` reader (python-docx for the package, lxml for the body).

The body is read in document order into blocks (:mod:`ingest.blocks`):

- every paragraph is a paragraph block, one per line (a soft line break
  ``<w:br/>`` starts a new one); leading indentation by spaces or tabs is
  dropped, an empty paragraph is a blank paragraph block;
- a paragraph styled as a Word heading (style name ``Heading N`` / ``标题 N``,
  or an outline level in its own or its style's ``pPr``) is a ``heading``
  block with ``level=N`` -- a hint: its text is exactly the paragraph's;
- automatic list numbers (``1.`` ``（一）`` …) are written out as Word shows
  them, so numbered items keep their numbers;
- a single-column table (a box, 专栏) gives one ``boxed`` paragraph block per
  non-empty paragraph of its cells;
- any other table is one ``table`` block: rows of :class:`ingest.blocks.Cell`,
  a cell's paragraphs joined into one text, a vertically merged
  continuation cell an empty cell.

Line numbers count these units as the lines of the flattened text
(:class:`ingest.formats.cells.BlockBuilder`): a paragraph line, a box
paragraph, a table cell each take one, and a blank line follows each table
row and each box.  Text boxes, deleted revisions, headers and footers are
not read.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ingest import limits
from ingest.blocks import Block
from ingest.formats.cells import BlockBuilder, join_cell
from ingest.readers import LimitExceeded, ReadError, ReadResult, read_bytes, register_reader

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = {
    f"{W}txbxContent",
    f"{MC}Fallback",
    f"{W}del",
    f"{W}moveFrom",
    f"{W}footnoteReference",
    f"{W}endnoteReference",
    f"{W}pPr",
    f"{W}rPr",
}
_CN_DIGITS = "零一二三四五六七八九"
# Word's built-in heading styles ("heading 1" in styles.xml, shown as "Heading 1"
# or, by WPS and localised templates, "标题 1").
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.I)
_MAX_BASED_ON = 20  # bound on a chain of basedOn styles
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Bounds on automatic numbering, which a file sets: Word itself numbers a
# list up to 32767, and a label ("（十二）", "3.2.1") is short.  A start of
# 10**12 or a 10,000-character label text would otherwise build huge strings
# for every paragraph.
MAX_LIST_NUMBER = 32767
MAX_LABEL_CHARS = 40
_MAX_LEVEL = 8  # w:ilvl 0–8
# A package part this big or bigger (inflated) must not be a zip bomb.
_RATIO_FLOOR = 1_000_000
_MAX_PARTS = 10_000


def _chinese(n: int) -> str:
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return "".join(_CN_DIGITS[int(d)] for d in str(n))


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while n >= value:
            out += letters
            n -= value
    return out


def _letter(n: int) -> str:
    # a, b … z, aa, bb …: the letter repeated, at most MAX_LABEL_CHARS times
    return chr(ord("a") + (n - 1) % 26) * min((n - 1) // 26 + 1, MAX_LABEL_CHARS) if n > 0 else ""


def _number(value: str | None, default: int, low: int, high: int) -> int:
    """An integer attribute of the file clamped to ``low``–``high``; a
    malformed one gives ``default`` (itself within the bounds)."""
    text = (value or "").strip()
    if len(text) > 12:  # beyond any sensible value (and int() of 5,000 digits raises)
        if text.lstrip("+-").isdigit():
            return low if text.startswith("-") else high
        return default
    try:
        return max(low, min(high, int(text)))
    except ValueError:
        return default


def format_number(n: int, fmt: str) -> str:
    """``n`` in Word's number format ``fmt`` (decimal, chineseCounting …);
    ``n`` is clamped to 0–:data:`MAX_LIST_NUMBER`."""
    n = max(0, min(n, MAX_LIST_NUMBER))
    if fmt in ("decimal", "decimalZero"):
        return f"{n:02d}" if fmt == "decimalZero" else str(n)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(_FULL_WIDTH)
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "chineseLegalSimplified",
        "ideographDigital",
        "japaneseCounting",
        "taiwanCounting",
        "taiwanCountingThousand",
    ):
        return _chinese(n)
    if fmt in ("decimalEnclosedParen", "decimalEnclosedFullstop", "decimalEnclosedCircle"):
        return {"decimalEnclosedParen": f"({n})", "decimalEnclosedFullstop": f"{n}."}.get(
            fmt, str(n)
        )
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


class _Numbering:
    """Renders automatic list numbers (``w:numPr``) the way Word shows them."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str | None, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except Exception:  # no numbering part
            numbering = None
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        if numbering is not None:
            for node in numbering.iter(f"{W}abstractNum"):
                abstract[node.get(f"{W}abstractNumId", "")] = self._levels(node)
            for num in numbering.iter(f"{W}num"):
                ref = num.find(f"{W}abstractNumId")
                levels = dict(abstract.get(ref.get(f"{W}val", "") if ref is not None else "", {}))
                for override in num.iter(f"{W}lvlOverride"):
                    ilvl = _number(override.get(f"{W}ilvl"), 0, 0, _MAX_LEVEL)
                    lvl = override.find(f"{W}lvl")
                    if lvl is not None:
                        levels.update(self._levels(override))
                    start = override.find(f"{W}startOverride")
                    if start is not None and ilvl in levels:
                        fmt, text, _ = levels[ilvl]
                        levels[ilvl] = (fmt, text, _number(start.get(f"{W}val"), 1, 0, MAX_LIST_NUMBER))
                self.levels[num.get(f"{W}numId", "")] = levels
        try:
            for style in document.styles.element.iter(f"{W}style"):
                numpr = style.find(f"{W}pPr/{W}numPr")
                if numpr is not None:
                    self.style_num[style.get(f"{W}styleId", "")] = self._numpr(numpr)
        except Exception:
            pass

    @staticmethod
    def _levels(node: Any) -> dict[int, tuple[str, str, int]]:
        out = {}
        for lvl in node.iter(f"{W}lvl"):
            fmt = lvl.find(f"{W}numFmt")
            text = lvl.find(f"{W}lvlText")
            start = lvl.find(f"{W}start")
            out[_number(lvl.get(f"{W}ilvl"), 0, 0, _MAX_LEVEL)] = (
                fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
                (text.get(f"{W}val", "") if text is not None else "")[:MAX_LABEL_CHARS],
                _number(start.get(f"{W}val"), 1, 0, MAX_LIST_NUMBER) if start is not None else 1,
            )
        return out

    @staticmethod
    def _numpr(numpr: Any) -> tuple[str | None, int]:
        num_id = numpr.find(f"{W}numId")
        ilvl = numpr.find(f"{W}ilvl")
        return (
            num_id.get(f"{W}val") if num_id is not None else None,
            _number(ilvl.get(f"{W}val"), 0, 0, _MAX_LEVEL) if ilvl is not None else 0,
        )

    def label(self, p: Any) -> str:
        """The list label of paragraph element ``p`` ('' when it has none)."""
        ppr = p.find(f"{W}pPr")
        num_id, ilvl = None, 0
        if ppr is not None:
            numpr = ppr.find(f"{W}numPr")
            style = ppr.find(f"{W}pStyle")
            if numpr is not None:
                num_id, ilvl = self._numpr(numpr)
            elif style is not None:
                num_id, ilvl = self.style_num.get(style.get(f"{W}val", ""), (None, 0))
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        ilvl = max(0, min(ilvl, _MAX_LEVEL))
        counters[ilvl] = min(counters[ilvl] + 1, MAX_LIST_NUMBER) if counters[ilvl] else levels[ilvl][2]
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        fmt, text, _ = levels[ilvl]
        if fmt == "bullet":
            return ""
        for k in range(ilvl, -1, -1):
            level_fmt = levels.get(k, ("decimal", "", 1))[0]
            value = counters[k] or levels.get(k, ("decimal", "", 1))[2]
            text = text.replace(f"%{k + 1}", format_number(value, level_fmt))[:MAX_LABEL_CHARS]
        return text


def _text_of(node: Any, out: list[str]) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == f"{W}t":
            out.append(child.text or "")
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
        elif tag == f"{W}sym":
            char = child.get(f"{W}char")
            if char:
                try:
                    out.append(chr(int(char, 16)))
                except ValueError:
                    pass
        else:
            _text_of(child, out)


def paragraph_text(p: Any, numbering: _Numbering | None = None) -> str:
    """The text of a ``w:p`` element with its list label (line breaks kept)."""
    parts: list[str] = []
    _text_of(p, parts)
    text = "".join(parts)
    label = numbering.label(p) if numbering is not None else ""
    return label + text if label else text


def _table_rows(tbl: Any, numbering: _Numbering) -> list[list[list[str]]]:
    """Rows of cells, each cell a list of its paragraphs' texts."""
    rows = []
    for tr in tbl.iter(f"{W}tr"):
        if tr.getparent() is not tbl and tr.getparent().tag != f"{W}sdtContent":
            continue
        cells: list[list[str]] = []
        for tc in tr.iter(f"{W}tc"):
            if tc.getparent() is not tr and tc.getparent().tag != f"{W}sdtContent":
                continue
            vmerge = tc.find(f"{W}tcPr/{W}vMerge")
            if vmerge is not None and vmerge.get(f"{W}val", "continue") == "continue":
                cells.append([])
                continue
            paras: list[str] = []
            for element in _block_elements(tc):
                if element.tag == f"{W}p":
                    paras.extend(paragraph_text(element, numbering).split("\n"))
                else:  # a nested table: its cells' text, in order
                    for row in _table_rows(element, numbering):
                        paras.extend(join_cell(cell) for cell in row)
            cells.append(paras)
        rows.append(cells)
    return rows


def _block_elements(container: Any) -> list[Any]:
    """``w:p`` and ``w:tbl`` children in order (content controls unwrapped)."""
    out = []
    for child in container:
        if child.tag in (f"{W}p", f"{W}tbl"):
            out.append(child)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                out.extend(_block_elements(content))
        elif child.tag in (f"{W}customXml", f"{W}ins", f"{W}moveTo"):
            out.extend(_block_elements(child))
    return out


class _Headings:
    """Heading levels of paragraphs: a paragraph's own outline level, else its
    style's (a heading style by name, an outline level, or those of the style
    it is based on)."""

    def __init__(self, document: Any) -> None:
        self.by_style: dict[str, int | None] = {}
        own: dict[str, int | None] = {}
        based_on: dict[str, str] = {}
        try:
            styles = list(document.styles.element.iter(f"{W}style"))
        except Exception:  # no styles part
            styles = []
        for style in styles:
            style_id = style.get(f"{W}styleId", "")
            name = style.find(f"{W}name")
            m = _HEADING_STYLE.match((name.get(f"{W}val", "") if name is not None else "").strip())
            outline = style.find(f"{W}pPr/{W}outlineLvl")
            if m:
                own[style_id] = int(m.group(1))
            elif outline is not None:
                own[style_id] = _outline_level(outline)
            base = style.find(f"{W}basedOn")
            if base is not None:
                based_on[style_id] = base.get(f"{W}val", "")
        for style_id in {s.get(f"{W}styleId", "") for s in styles}:
            current, level = style_id, None
            for _ in range(_MAX_BASED_ON):
                if current in own:
                    level = own[current]
                    break
                if current not in based_on:
                    break
                current = based_on[current]
            self.by_style[style_id] = level

    def level(self, p: Any) -> int | None:
        """The heading level (1–9) of paragraph element ``p``, or None."""
        ppr = p.find(f"{W}pPr")
        if ppr is None:
            return None
        outline = ppr.find(f"{W}outlineLvl")
        if outline is not None:
            return _outline_level(outline)
        style = ppr.find(f"{W}pStyle")
        if style is None:
            return None
        return self.by_style.get(style.get(f"{W}val", ""))


def _outline_level(node: Any) -> int | None:
    """``w:outlineLvl`` 0–8 as heading level 1–9; 9 (body text) as None."""
    try:
        value = int(node.get(f"{W}val", ""))
    except ValueError:
        return None
    return value + 1 if 0 <= value <= 8 else None


def docx_blocks(document: Any) -> list[Block]:
    """The blocks of a python-docx ``Document`` (see the module docstring)."""
    numbering = _Numbering(document)
    headings = _Headings(document)
    out = BlockBuilder()
    for element in _block_elements(document.element.body):
        if element.tag == f"{W}p":
            level = headings.level(element)
            for line in paragraph_text(element, numbering).split("\n"):
                out.paragraph(line.lstrip(" \t").rstrip(), level)
            continue
        rows = _table_rows(element, numbering)
        width = max((len(r) for r in rows), default=0)
        if width == 1:  # a box: one boxed paragraph per paragraph
            for row in rows:
                for paragraph in row[0] if row else []:
                    if paragraph.strip():
                        out.boxed(paragraph)
            out.blank()
        else:
            out.table([[join_cell(cell) for cell in row] for row in rows])
    return out.finish()


def check_package(path: Path) -> None:
    """Refuse a zip bomb before python-docx inflates anything: the parts'
    inflated sizes (from the zip's directory, which bounds what zipfile will
    inflate: a part that inflates to more fails its check) must add up to no
    more than the ``max_unzipped_mb`` limit, and no part of 1 MB or more may
    inflate more than ``max_zip_ratio`` times.  :class:`LimitExceeded` (or
    :class:`ReadError` for a package that cannot be listed) otherwise."""
    limit = limits.current()
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadError(path, f"corrupt or unsupported Word .docx file ({type(exc).__name__}: {exc})") from exc
    if len(parts) > _MAX_PARTS:
        raise ReadError(path, f"corrupt or unsupported Word .docx file (a package of {len(parts):,} parts)")
    total = sum(part.file_size for part in parts)
    if total > limit.max_unzipped_bytes:
        raise LimitExceeded(
            path,
            f"a zip bomb? the package inflates to {limits.over(total, limit.max_unzipped_bytes)}",
            "max_unzipped_mb",
        )
    for part in parts:
        if part.file_size >= _RATIO_FLOOR and part.file_size > limit.max_zip_ratio * max(part.compress_size, 1):
            ratio = part.file_size / max(part.compress_size, 1)
            raise LimitExceeded(
                path,
                f"a zip bomb? its part {part.filename[:100]!r} inflates {ratio:,.0f} times "
                f"({limits.megabytes(part.compress_size)} to {limits.megabytes(part.file_size)}), "
                f"over the limit of {limit.max_zip_ratio:g} times",
                "max_zip_ratio",
            )


@register_reader(".docx")
def read_docx(path: Path) -> ReadResult:
    """Read a Word ``.docx`` file (see the module docstring)."""
    data = read_bytes(path)
    if not data:
        raise ReadError(path, "the file is empty (0 bytes)")
    if not zipfile.is_zipfile(path):
        hint = (
            "an encrypted (password-protected) or legacy .doc file"
            if data.startswith(b"\xd0\xcf\x11\xe0")
            else "not a zip package"
        )
        raise ReadError(path, f"corrupt or unsupported Word .docx file ({hint})")
    check_package(path)
    try:
        import docx  # python-docx

        document = docx.Document(str(path))
        blocks = docx_blocks(document)
    except (ReadError, MemoryError):  # a limit, not a corrupt file
        raise
    except Exception as exc:  # zip/XML/package errors of every kind
        raise ReadError(
            path, f"corrupt or unsupported Word .docx file ({type(exc).__name__}: {exc})"
        ) from exc
    has_text = any(
        block.text or any(cell.text for row in block.rows for cell in row) for block in blocks
    )
    return ReadResult(blocks, [] if has_text else [f"{path.name}: the document has no text"])
