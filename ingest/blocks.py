"""Blocks: what a reader finds in a file, in reading order.

Every reader returns a list of :class:`Block` objects rather than imitating a
text file: a **heading** (with the depth the source gives it, when it gives
one), a **paragraph** (one source line of a text file, one paragraph of a
Word file or a web page, one text line of a PDF), or a **table** with its
cells.  The structure parser (:mod:`ingest.structure`) reads blocks of any
source the same way.

A heading block is a *hint*: the source marked the line as a heading
(markdown ``#``, Word's Heading styles, ``<h1>``).  The parser decides from the
numbering grammar what the line is, since sources mark wrongly
(``## 9.妇女在…`` is an item).

Only plain text and Markdown go through the heuristic builder
(:func:`text_blocks`); a run of tab-led lines there may be a table flattened
one cell per line (大渡口 专栏一), which only the parser can recognise, so such
lines are ``boxed`` paragraphs.

Line numbers are 1-based.  For text files they are the file's own lines; for
the other formats they count the extracted units (paragraphs, table cells,
PDF text lines) in reading order, so a citation's line range still locates
the clause in :func:`render_text` of the blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table"]

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?=\s|$)\s*")
_MD_HEADING_LOOSE = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_LIST = re.compile(r"^\s{0,3}[-*+]\s+")
_MD_BOLD = re.compile(r"\*\*|__")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass
class Cell:
    """One table cell: its text (paragraphs joined) and its line."""

    text: str
    line: int


@dataclass
class Block:
    """A heading, paragraph or table (see the module docstring).

    ``text`` is the content without markdown marks and outer whitespace ('' for
    a blank line or a table); ``raw`` is the line as printed (text files).
    ``boxed`` tells a paragraph printed inside a box: a tab-led line of a text
    file, a paragraph of a one-column table.  ``boilerplate`` blocks (tables of
    contents, page numbers, cc-lists) are flagged by :mod:`ingest.clean` and
    take part in no clause; they are kept so that every line is accounted for.
    """

    kind: BlockKind
    text: str = ""
    line: int = 0
    line_end: int = 0
    level: int | None = None
    raw: str = ""
    boxed: bool = False
    rows: list[list[Cell]] = field(default_factory=list)
    boilerplate: bool = False

    def __post_init__(self) -> None:
        if not self.line_end:
            self.line_end = self.line

    # The structure parser reads paragraph blocks as the lines of a page.
    @property
    def no(self) -> int:
        return self.line

    @property
    def tab_led(self) -> bool:
        return self.boxed

    @property
    def blank(self) -> bool:
        return self.kind != "table" and not self.text and not self.boxed

    @property
    def is_table(self) -> bool:
        return self.kind == "table"

    def line_numbers(self) -> list[int]:
        """Every source line the block spans."""
        if self.kind == "table":
            return sorted({cell.line for row in self.rows for cell in row if cell.line})
        return list(range(self.line, self.line_end + 1))


def strip_markdown(raw: str) -> str:
    """The line without markdown heading/list/bold markers and outer whitespace."""
    text = _MD_HEADING_LOOSE.sub("", raw)
    text = _MD_LIST.sub("", text)
    text = _MD_BOLD.sub("", text)
    return text.strip()


def _blank_comments(text: str) -> str:
    """HTML comments (``<!-- INFO END -->``) are invisible in Markdown: blank
    them, keeping their line breaks so that line numbers stay true.  An
    unclosed ``<!--`` stays text.  Linear time: a regex would rescan the rest
    of the file from every unclosed ``<!--``."""
    if "<!--" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out.append(text[pos:start])
        out.append("\n" * text.count("\n", start, end))
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def _pipe_cells(line: str) -> list[str]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return [strip_markdown(c) for c in inner.split("|")]


def text_blocks(text: str, markdown: bool = True) -> list[Block]:
    """Blocks of a plain-text or Markdown file: one block per source line.

    A ``#`` line is a heading block (its depth the hint); a Markdown pipe table
    (a ``|…|`` row, a ``|---|`` rule, rows) is a table block; HTML comments are
    blanked; a tab-led line is a boxed paragraph; every other line, blank ones
    included, is a paragraph block.
    """
    if markdown:
        text = _blank_comments(text)
    raw_lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    n = len(raw_lines)
    while i < n:
        raw = raw_lines[i]
        no = i + 1
        if (
            markdown
            and i + 1 < n
            and _PIPE_ROW.match(raw)
            and _PIPE_RULE.match(raw_lines[i + 1])
        ):
            rows = [[Cell(c, no) for c in _pipe_cells(raw)]]
            j = i + 2
            while j < n and _PIPE_ROW.match(raw_lines[j]):
                rows.append([Cell(c, j + 1) for c in _pipe_cells(raw_lines[j])])
                j += 1
            blocks.append(
                Block(kind="table", line=no, line_end=j, rows=rows, raw="\n".join(raw_lines[i:j]))
            )
            i = j
            continue
        heading = _MD_HEADING.match(raw) if markdown else None
        if heading and strip_markdown(raw):
            blocks.append(
                Block(kind="heading", text=strip_markdown(raw), line=no, level=len(heading.group(1)), raw=raw)
            )
        else:
            blocks.append(
                Block(
                    kind="paragraph",
                    text=strip_markdown(raw) if markdown else raw.strip(),
                    line=no,
                    raw=raw,
                    boxed=raw.startswith("\t"),
                )
            )
        i += 1
    return blocks


def paragraph_blocks(lines: list[str]) -> list[Block]:
    """Blocks of already-extracted lines (one paragraph block each)."""
    return [
        Block(kind="paragraph", text=line.strip(), line=k, raw=line, boxed=line.startswith("\t"))
        for k, line in enumerate(lines, start=1)
    ]


def render_text(blocks: list[Block]) -> str:
    """The blocks as text, one line per line number: a text file's lines as
    printed (``raw``); other blocks as their text (a boxed paragraph tab-led);
    a table's cells each on a tab-led line of its own number (the flattened
    form of a table; a row's cells may also share one line, tab-separated).
    Line numbers no block claims are blank lines."""
    out: dict[int, str] = {}
    for block in blocks:
        if block.kind == "table":
            if block.raw:  # a text file's own lines
                for k, raw in enumerate(block.raw.split("\n")):
                    out[block.line + k] = raw
                continue
            for row in block.rows:
                for cell in row:
                    if cell.line:
                        prev = out.get(cell.line)
                        out[cell.line] = (prev if prev is not None else "") + "\t" + cell.text
            continue
        if block.raw:
            out[block.line] = block.raw
        else:
            out[block.line] = ("\t" if block.boxed else "") + block.text
    if not out:
        return ""
    last = max(out)
    return "\n".join(out.get(k, "") for k in range(1, last + 1))
