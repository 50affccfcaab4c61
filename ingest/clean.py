"""Cleaning of extraction artefacts, line by line.

Each source line becomes a :class:`Line` that keeps its 1-based number and
raw text, plus ``text``: the line without markdown markers (``#``, ``**``,
a leading ``- ``) and surrounding whitespace.  Characters are never
normalised: full-width digits, ``‰``, ``＜`` and both bracket styles stay.

Boilerplate lines (tables of contents, page numbers, attachment markers,
cc-lists) are flagged, never deleted, so line numbers stay true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_LIST = re.compile(r"^\s{0,3}[-*+]\s+")
_MD_BOLD = re.compile(r"\*\*|__")
# "前 言.....\t5", "第一章 指导思想\t(4)", "一、总体目标……12"
_TOC_LINE = re.compile(r"^\S.{0,60}?(?:[.．·…]{2,}\s*|\t+\s*|\s{2,})[(（]?\d{1,3}[)）]?$")
_TOC_DOTS = re.compile(r"[.．·…]{4,}\s*[(（]?\d{1,3}[)）]?$")
_TOC_HEADING = re.compile(r"^目\s*录$")
# "- 12 -", "12", "第 3 页", "3/40"
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－]\s*\d{1,3}\s*[-—–－]|\d{1,3}|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})$"
)
_ATTACHMENT_MARK = re.compile(r"^附件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")
_CC_LINE = re.compile(r"^(?:抄送|抄报|主送)[:：]")
_WS = re.compile(r"\s+")


@dataclass
class Line:
    """One source line.

    ``no`` is 1-based; ``text`` is the cleaned content ('' for blank lines);
    ``tab_led`` tells a table cell / box paragraph (the raw line starts with a
    tab); ``boilerplate`` lines take part in no clause.
    """

    no: int
    raw: str
    text: str
    tab_led: bool = False
    boilerplate: bool = False

    @property
    def blank(self) -> bool:
        return not self.text and not self.tab_led


def strip_markdown(raw: str) -> str:
    """The line without markdown heading/list/bold markers and outer whitespace."""
    text = _MD_HEADING.sub("", raw)
    text = _MD_LIST.sub("", text)
    text = _MD_BOLD.sub("", text)
    return text.strip()


def is_toc_line(text: str) -> bool:
    """True for a table-of-contents entry: a heading and a page number."""
    return bool(_TOC_LINE.match(text) or _TOC_DOTS.search(text))


def is_page_number(text: str) -> bool:
    """True for a line that is only a page number ("12", "- 12 -", "第 3 页")."""
    return bool(_PAGE_NUMBER.match(text))


def squash(text: str) -> str:
    """``text`` without any whitespace (for comparisons, never for output)."""
    return _WS.sub("", text)


def make_lines(text: str) -> list[Line]:
    """Split ``text`` on ``\\n`` into :class:`Line` objects, markdown stripped."""
    lines = []
    for no, raw in enumerate(text.split("\n"), start=1):
        tab_led = raw.startswith("\t")
        lines.append(Line(no=no, raw=raw, text=strip_markdown(raw), tab_led=tab_led))
    return lines


def flag_boilerplate(lines: list[Line]) -> list[Line]:
    """Flag TOC blocks, page-number lines, attachment markers and cc-lists.

    A TOC block starts at a "目录" line and runs while lines are blank or TOC
    entries; stray entries with dot leaders are flagged anywhere.  Page
    numbers are only flagged on lines that are not tab-led (tab-led bare
    numbers are table cells).  A cc-list ("抄送：") is flagged to the end.
    """
    in_toc = False
    in_cc = False
    for line in lines:
        text = line.text
        if in_cc:
            line.boilerplate = bool(text) or line.tab_led
            continue
        if not text:
            continue
        if _TOC_HEADING.match(squash(text)):
            line.boilerplate = True
            in_toc = True
            continue
        if in_toc:
            if is_toc_line(text) and not line.tab_led:
                line.boilerplate = True
                continue
            in_toc = False
        if not line.tab_led and (
            _TOC_DOTS.search(text) or is_page_number(text) or is_page_number(line.raw.strip())
        ):
            line.boilerplate = True
        elif _ATTACHMENT_MARK.match(text):
            line.boilerplate = True
        elif _CC_LINE.match(text):
            line.boilerplate = True
            in_cc = True
    return lines


def clean_lines(text: str) -> list[Line]:
    """``text`` as lines with markdown stripped and boilerplate flagged."""
    return flag_boilerplate(make_lines(text))
