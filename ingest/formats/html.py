"""``.html``/``.htm`` reader (lxml).

Encoding: a byte-order mark, else the ``<meta charset>`` / ``http-equiv``
declaration (gb2312/gbk read as their superset gb18030), else the detector
of :func:`ingest.readers.decode_bytes`.

Blocks (:mod:`ingest.blocks`), in document order:

- every block element (``p``, ``div``, ``li`` …) gives a paragraph block of
  its own and ``<br>`` starts a new one; ``<h1>``–``<h6>`` give heading
  blocks of that level (a hint; the text is the element's); whitespace
  collapses as in a browser, except that a source line break between two
  Chinese characters is no space;
- a data table is one ``table`` block: rows of :class:`ingest.blocks.Cell`,
  a cell's lines joined into one text, a ``rowspan`` cell leaving empty
  cells below it (a ``colspan`` cell is one cell);
- a single-column table (a box) gives one ``boxed`` paragraph block per line
  of its cells;
- a layout table (a nested table, or a cell of four lines or more) is read
  as ordinary flow.

``script``, ``style``, ``nav``, ``head``, ``noscript``, ``template``, forms and
hidden elements are dropped.  Line numbers count these units as the lines of
the flattened text (:class:`ingest.formats.cells.BlockBuilder`): a paragraph
line, a box line, a table cell each take one, and a blank line follows each
table row and each box.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from ingest.blocks import Block
from ingest.formats.cells import BlockBuilder, collapse, join_cell
from ingest.readers import ReadError, ReadResult, decode_bytes, read_bytes, register_reader

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
_SKIP = {
    "script", "style", "nav", "noscript", "template", "head", "title", "iframe", "object",
    "embed", "svg", "math", "canvas", "button", "select", "option", "input", "textarea",
    "form", "map", "audio", "video",
}  # fmt: skip
_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "blockquote", "section", "article", "header", "footer", "main", "aside", "address",
    "figure", "figcaption", "fieldset", "center", "body", "html", "hr", "caption", "details",
    "summary", "tr", "td", "th", "thead", "tbody", "tfoot",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LAYOUT_CELL_LINES = 4
# Elements nested deeper than this are read as the plain text of the subtree
# (the walk recurses once per level; libxml2 stops parsing at 256 anyway).
_MAX_DEPTH = 200
# A table's grid may take this much work (cells, including the empty ones a
# rowspan leaves, plus the rowspans carried from row to row); a rowspan or
# colspan bomb over it is read as flow text instead, in linear time.
_MAX_TABLE_WORK = 200_000


def sniff_encoding(data: bytes) -> str | None:
    """The charset an HTML file declares in its first 4 KiB (normalised)."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def decode_html(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: BOM, then the declared charset, then the detector."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    declared = sniff_encoding(data)
    if declared:
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong declaration: detect instead
    return decode_bytes(data)


def _hidden(el: Any) -> bool:
    style = re.sub(r"\s+", "", (el.get("style") or "").lower())
    return el.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style


class _Walker:
    def __init__(self, depth: int = 0) -> None:
        self.out = BlockBuilder()
        self.buf: list[str] = []
        self.level: int | None = None  # inside <hN>: N
        self.depth = depth  # elements entered above this one

    def flush(self) -> None:
        text = collapse("".join(self.buf))
        self.buf.clear()
        if text:
            self.out.paragraph(text, self.level)

    def walk(self, el: Any) -> None:
        if not isinstance(el.tag, str):  # comment, processing instruction
            return
        if self.depth >= _MAX_DEPTH:
            self.flush()
            text = collapse(el.text_content())
            if text:
                self.out.paragraph(text, self.level)
            return
        self.depth += 1
        try:
            self._walk(el)
        finally:
            self.depth -= 1

    def _walk(self, el: Any) -> None:
        tag = el.tag.lower()
        if tag in _SKIP or _hidden(el):
            return
        if tag == "br":
            self.flush()
            return
        if tag == "pre":
            self.flush()
            for line in el.text_content().split("\n"):
                if line.strip():
                    self.out.paragraph(line.strip(), self.level)
            return
        if tag == "table":
            self.flush()
            self.table(el)
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        outer_level = self.level
        if tag in _HEADINGS:
            self.level = _HEADINGS[tag]
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buf.append(child.tail)
        if block:
            self.flush()
        self.level = outer_level

    def table(self, table: Any) -> None:
        rows = [
            tr
            for tr in table.iter("tr")
            if next((a for a in tr.iterancestors("table")), None) is table
        ]
        if any(t is not table for t in table.iter("table")):
            self.flow(table)
            return
        grid: list[list[list[str]]] = []
        pending: dict[int, int] = {}  # column -> rows still covered by a rowspan
        work = 0
        for tr in rows:
            cells: list[list[str]] = []
            column = 0
            for td in tr:
                if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                    continue
                while pending.get(column, 0) > 0:
                    cells.append([])
                    pending[column] -= 1
                    column += 1
                walker = _Walker(self.depth)
                walker.walk_children(td)
                cells.append(walker.out.texts())
                span = _int(td.get("rowspan"), 1)
                width = _int(td.get("colspan"), 1)
                if span > 1:
                    pending[column] = span - 1
                column += width
            # the covered cells right of the row's last cell, in column order
            for covered in sorted(c for c, v in pending.items() if c >= column and v > 0):
                cells.append([])
                pending[covered] -= 1
            pending = {c: v for c, v in pending.items() if v > 0}
            work += len(cells) + len(pending)
            if work > _MAX_TABLE_WORK:
                self.flow(table)
                return
            grid.append(cells)
        if any(len(cell) >= _LAYOUT_CELL_LINES for row in grid for cell in row):
            self.flow(table)
            return
        width = max((len(r) for r in grid), default=0)
        if width == 1:
            for row in grid:
                for line in row[0] if row else []:
                    self.out.boxed(line)
            self.out.blank()
        elif width:
            self.out.table([[join_cell(cell) for cell in row] for row in grid])

    def walk_children(self, el: Any) -> None:
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buf.append(child.tail)
        self.flush()

    def flow(self, table: Any) -> None:
        """A layout table: its cells' content as ordinary lines, in order."""
        self.flush()
        for child in table:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.lower()
            if tag in ("thead", "tbody", "tfoot", "tr"):
                self.flow(child)
            elif tag in ("td", "th", "caption"):
                self.walk_children(child)


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, min(int(value or default), 1000))
    except ValueError:
        return default


def html_blocks(text: str) -> list[Block]:
    """The blocks of an HTML document (see the module docstring)."""
    import lxml.html  # type: ignore[import-untyped]

    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return []
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    deep = next((e.message for e in parser.error_log if "Excessive depth" in e.message), None)
    if deep is not None:
        # libxml2 stops parsing there: the rest of the page would be silently missing
        depth = re.search(r"\d+", deep)
        raise ValueError(
            f"the page nests its elements more than {depth.group(0) if depth else 'the parser allows'} deep; "
            "the text past that point cannot be read"
        )
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    return walker.out.finish()


@register_reader(".html", ".htm", ".xhtml")
def read_html(path: Path) -> ReadResult:
    """Read an HTML page as blocks (see the module docstring)."""
    data = read_bytes(path)
    if not data.strip():
        raise ReadError(path, "the file is empty")
    try:
        text, _encoding = decode_html(data)
    except ValueError as exc:
        raise ReadError(path, str(exc)) from exc
    if "\x00" in text:
        raise ReadError(path, "looks like a binary file, not HTML")
    try:
        blocks = html_blocks(text)
    except ValueError as exc:  # nested too deep
        raise ReadError(path, str(exc)) from exc
    except MemoryError:  # a limit, not a corrupt page
        raise
    except Exception as exc:  # lxml parser errors
        raise ReadError(path, f"cannot parse the HTML ({type(exc).__name__}: {exc})") from exc
    warnings = [] if blocks else [f"{path.name}: the page has no text"]
    return ReadResult(blocks, warnings)
