"""Helpers shared by the structured readers (docx, html, pdf): whitespace and
cell text, and :class:`BlockBuilder`, which numbers the extracted units."""

from __future__ import annotations

import re

from ingest.blocks import Block, Cell

_CJK_OR_PUNCT = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
# A run of whitespace holding a line break between two CJK characters is an
# artefact of the source's own line wrapping, not a space.
_CJK_BREAK = re.compile(rf"(?<={_CJK_OR_PUNCT})[ \t\r\f\v]*\n\s*(?={_CJK_OR_PUNCT})")
_SPACES = re.compile(r"[ \t\r\f\v\n\xa0]+")


def collapse(text: str) -> str:
    """Collapse whitespace as a browser would, but without a space where a
    source line break falls between two CJK characters; ends stripped."""
    text = _CJK_BREAK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def join_cell(parts: list[str]) -> str:
    """The paragraphs of one table cell as one line (no space between CJK)."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and (out[-1].isascii() and part[0].isascii()):
            out += " "
        out += part
    return out


class BlockBuilder:
    """Collects the blocks of a document in reading order and gives them line
    numbers 1, 2, 3 … as the lines of the document's flattened text
    (:func:`ingest.blocks.render_text`):

    - a paragraph or heading line takes the next number;
    - a boxed paragraph (a paragraph of a one-column table) takes one number;
    - a table's cells each take the next number, row by row, and one number
      is left unused after each row (the blank line after a row);
    - :meth:`blank` leaves a number unused (the blank line after a box, the
      blank line between PDF pages).

    A document whose last numbers are unused ends with a blank paragraph
    block, so that the rendered text keeps its final blank line.
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.last = 0  # the last number given out, used or not

    def _next(self) -> int:
        self.last += 1
        return self.last

    def paragraph(self, line: str, level: int | None = None) -> None:
        """One extracted line: a heading block of ``level`` when the source
        marks it as a heading (and it has text), else a paragraph block (a
        blank one for an empty line).  ``raw`` keeps the line as extracted."""
        text = line.strip()
        if level is not None and text:
            self.blocks.append(
                Block(kind="heading", text=text, line=self._next(), level=level, raw=line)
            )
        else:
            self.blocks.append(Block(kind="paragraph", text=text, line=self._next(), raw=line))

    def boxed(self, text: str) -> None:
        """A paragraph printed inside a box (one-column table)."""
        text = text.strip()
        self.blocks.append(
            Block(kind="paragraph", text=text, line=self._next(), raw="\t" + text, boxed=True)
        )

    def blank(self) -> None:
        """Leave one number unused (a blank line of the flattened text)."""
        self._next()

    def table(self, rows: list[list[str]]) -> None:
        """A table of cell texts (each cell's paragraphs already joined) as one
        table block; tabs and line breaks in a cell become spaces."""
        cells: list[list[Cell]] = []
        for row in rows:
            numbered = [
                Cell(text.replace("\t", " ").replace("\n", " "), self._next()) for text in row
            ]
            if numbered:
                cells.append(numbered)
            self.blank()
        if cells:
            self.blocks.append(
                Block(kind="table", line=cells[0][0].line, line_end=cells[-1][-1].line, rows=cells)
            )

    def texts(self) -> list[str]:
        """The text of every block collected (for a table cell's content)."""
        return [block.text for block in self.blocks]

    def finish(self) -> list[Block]:
        """The blocks, with a closing blank paragraph when the last numbers
        are unused (see the class docstring)."""
        claimed = max((n for b in self.blocks for n in [b.line, *b.line_numbers()]), default=0)
        if self.last > claimed:
            self.blocks.append(Block(kind="paragraph", text="", line=self.last))
        return self.blocks
