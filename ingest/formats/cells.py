"""Helpers shared by the table-aware readers (docx, html)."""

from __future__ import annotations

import re

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


def cell_lines(rows: list[list[str]]) -> list[str]:
    """A table flattened row by row: one tab-led line per cell, a blank line
    after each row (an empty cell is a lone tab, so columns stay aligned)."""
    lines: list[str] = []
    for row in rows:
        for cell in row:
            lines.append("\t" + cell.replace("\t", " ").replace("\n", " "))
        lines.append("")
    return lines
