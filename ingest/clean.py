"""Cleaning of extraction artefacts: boilerplate blocks are flagged.

Tables of contents, page numbers, rule lines (only dots, dashes or
underscores), attachment markers and cc-lists are flagged
(``Block.boilerplate``), never deleted, so that line numbers stay true and
every line is accounted for.  Characters are never normalised:
full-width digits, ``‰``, ``＜`` and both bracket styles stay.

Every pattern here is linear in the length of its input (a line of 10,000
dots is checked as fast as a short one).
"""

from __future__ import annotations

import re

from ingest.blocks import Block, strip_markdown, text_blocks
from ingest.text import squash

__all__ = ["Line", "clean_lines", "flag_boilerplate", "is_page_number", "is_toc_line", "squash", "strip_markdown"]

# The structure parser reads paragraph blocks as the lines of a page.
Line = Block

_LEADERS = ".．·…"
# "前 言.....\t5", "第一章 指导思想\t(4)", "一、总体目标……12": a short heading, then
# leaders, a tab or a wide gap, then a page number.  The heading part is
# bounded (at most 61 characters), so the pattern is linear.
_TOC_LINE = re.compile(r"^\S.{0,60}?(?:[.．·…]{2,}\s*|\t+\s*|\s{2,})[(（]?\d{1,3}[)）]?$")
_PAGE_TAIL = re.compile(r"\s*[(（]?\d{1,3}[)）]?$")
_TOC_HEADING = re.compile(r"^目\s*录$")
# "- 12 -", "12", "第 3 页", "3/40"
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－]\s*\d{1,3}\s*[-—–－]|\d{1,3}|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})$"
)
# A rule line: only leaders, dashes, underscores and the like ("……", "————",
# "＿＿＿＿"), three or more: a separator or a blank to fill in, never content.
_RULE_CHARS = _LEADERS + "-—–－_＿=＝*＊~～·•" + " \t\u3000"
_ATTACHMENT_MARK = re.compile(r"^附件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")
_CC_LINE = re.compile(r"^(?:抄送|抄报|主送)[:：]")


def _dot_leaders(text: str) -> bool:
    """True when ``text`` ends in four or more leader dots and a page number
    ("一、总体目标……12"), checked from the end in linear time."""
    m = _PAGE_TAIL.search(text[-12:])
    if m is None:
        return False
    head = text[: len(text) - (len(text[-12:]) - m.start())].rstrip()
    return len(head) >= 4 and all(ch in _LEADERS for ch in head[-4:])


def is_toc_line(text: str) -> bool:
    """True for a table-of-contents entry: a heading and a page number."""
    return bool(_TOC_LINE.match(text[:200]) or _dot_leaders(text))


def is_rule_line(text: str) -> bool:
    """True for a line of only leaders, dashes or underscores (three or more)."""
    return len(text) >= 3 and not text.strip(_RULE_CHARS)


def is_page_number(text: str) -> bool:
    """True for a line that is only a page number ("12", "- 12 -", "第 3 页")."""
    return len(text) <= 20 and bool(_PAGE_NUMBER.match(text))


def flag_boilerplate(lines: list[Block]) -> list[Block]:
    """Flag TOC blocks, page-number lines, rule lines, attachment markers and cc-lists.

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
            line.boilerplate = bool(text) or line.tab_led or line.is_table
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
            _dot_leaders(text) or is_page_number(text) or is_page_number(line.raw.strip()) or is_rule_line(text)
        ):
            line.boilerplate = True
        elif _ATTACHMENT_MARK.match(text):
            line.boilerplate = True
        elif _CC_LINE.match(text):
            line.boilerplate = True
            in_cc = True
    return lines


def clean_lines(text: str) -> list[Block]:
    """``text`` as blocks (one per line) with markdown stripped and boilerplate flagged."""
    return flag_boilerplate(text_blocks(text))
