"""Text rules that every stage shares, written once.

- **Numbering grammar** of Chinese official documents: the markers
  (第X编, 第X分编, 第X章, 第X节, 第X条, 一、, （一）, 1., （1）, 专栏N …) as named
  patterns; document profiles (``ingest/data/profiles.json``) refer to them
  by name.
- **Chinese numerals** both ways (一千零四十 ↔ 1040).
- **Folding** for matching only: full-width → half-width, traditional →
  simplified, lower case.  Never applied to what users see or quote.
- **Heading cleaning**: a heading without its numbering, or tidied for a
  citation.
- Sentence ends and the re-joining of broken lines.

Every pattern here is linear in the length of its input: no nested
quantifiers, no back-references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from zhconv import zhconv as _zhconv

# --------------------------------------------------------------------------- numerals

CN_DIGIT_CHARS = "零〇一二三四五六七八九两"
CN_NUM = "一二三四五六七八九十百千零〇两"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_FULL_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# a numeral of a marker: Chinese (一千零四十) or Arabic of either width
NUM = rf"[{CN_NUM}0-9０-９]{{1,12}}"


def cn_to_int(text: str) -> int | None:
    """The value of a Chinese or Arabic numeral (二十四 → 24, 一千零四十 → 1040,
    十 → 10, ２４ → 24, 一〇四 → 104); None when ``text`` is no numeral."""
    text = text.strip().translate(_FULL_DIGITS)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    if not any(ch in _CN_UNITS for ch in text):  # 一〇四: digit by digit
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def int_to_cn(n: int) -> str:
    """``n`` in Chinese numerals as laws print them (24 → 二十四, 1040 → 一千零四十)."""
    if n < 0:
        return str(n)
    if n < 10:
        return "零一二三四五六七八九"[n]
    digits = "零一二三四五六七八九"
    out = ""
    units = ((1000, "千"), (100, "百"), (10, "十"))
    rest = n
    if rest >= 10000:
        out += int_to_cn(rest // 10000) + "万"
        rest %= 10000
        if 0 < rest < 1000:
            out += "零"
    pending_zero = False
    for value, name in units:
        d = rest // value
        rest %= value
        if d:
            if pending_zero and not out.endswith("零"):
                out += "零"
            pending_zero = False
            out += ("" if (d == 1 and value == 10 and not out) else digits[d]) + name
        elif out:
            pending_zero = True
    if rest:
        if pending_zero and not out.endswith("零"):
            out += "零"
        out += digits[rest]
    return out


def fold_digits(text: str) -> str:
    """Full-width digits → ASCII digits (nothing else changes)."""
    return text.translate(_FULL_DIGITS)


# --------------------------------------------------------------------------- grammar


@dataclass(frozen=True)
class Marker:
    """One numbering style: ``pattern`` matches at the start of a squashed line
    and captures the number in group ``n``; ``unit`` is the printed unit word
    (章, 条 …) or None."""

    name: str
    pattern: re.Pattern[str]
    unit: str | None = None


def _m(name: str, regex: str, unit: str | None = None) -> Marker:
    return Marker(name, re.compile(regex), unit)


# Order matters where patterns overlap: 分编 before 编.
MARKERS: dict[str, Marker] = {
    m.name: m
    for m in (
        _m("subpart", rf"^第(?P<n>{NUM})分编", "分编"),
        _m("part", rf"^第(?P<n>{NUM})编", "编"),
        _m("chapter", rf"^第(?P<n>{NUM})章", "章"),
        _m("section", rf"^第(?P<n>{NUM})节", "节"),
        _m("article", rf"^第(?P<n>{NUM})条(?:之(?P<sub>[{CN_NUM}0-9]{{1,4}}))?", "条"),
        _m("plan_part", rf"^第(?P<n>{NUM})(?:部分|篇)", "部分"),
        _m("cn_enum", rf"^(?P<n>[{CN_NUM}]{{1,4}})\s*、"),
        _m("paren_cn", rf"^[（(]\s*(?P<n>[{CN_NUM}]{{1,4}})\s*[）)]"),
        _m("arabic", r"^(?P<n>[0-9０-９]{1,3})\s*[.．、](?![0-9０-９])"),
        _m("paren_arabic", r"^[（(]\s*(?P<n>[0-9０-９]{1,3})\s*[）)]"),
        _m("box", rf"^(?P<n>专栏)\s*[{CN_NUM}0-9０-９]{{0,4}}"),
        _m("annex", rf"^(?P<n>附件|附表|附录)\s*[{CN_NUM}0-9０-９]{{0,4}}\s*[:：]?"),
    )
}

# 第X条 as printed at the start of a line: the number and an optional 之X.
ARTICLE_RE = MARKERS["article"].pattern
# What may follow 第X条 when the line starts an article: a space, a colon, a
# full stop, the end of the line, or the article's text.
_ARTICLE_LEAD = re.compile(rf"^(?P<marker>第(?P<n>{NUM})条(?:之(?P<sub>[{CN_NUM}0-9]{{1,4}}))?)(?P<sep>[\s\u3000]+|[:：．.、]|$)")
# Words that, right after 第X条, make it a reference (第十条规定的…), not an article.
_REFERENCE_AFTER = (
    "规定", "的", "所", "第", "中规定", "中的", "至第", "至", "、第", "和第", "或者第", "及第", "以及第", "款", "项", "之规定",
)  # fmt: skip


@dataclass(frozen=True)
class ArticleStart:
    """An article marker at the start of a line."""

    marker: str  # as printed, e.g. 第一千零四十条, 第十条之一
    number: int
    sub: int | None  # 之一 → 1
    rest_at: int  # offset in the line where the article's text starts


def article_start(text: str) -> ArticleStart | None:
    """The article a line starts (第二十四条 …), or None.

    ``text`` is the line without leading whitespace.  第X条 followed by a space,
    a colon, a full stop or the end of the line starts an article; followed
    directly by text it does too, unless the text reads as a reference
    (第十条规定的…, 第三条第二款…)."""
    m = _ARTICLE_LEAD.match(text)
    if m is None:
        m2 = ARTICLE_RE.match(text)
        if m2 is None:
            return None
        after = text[m2.end() : m2.end() + 3]
        if not after or any(after.startswith(w) for w in _REFERENCE_AFTER):
            return None
        number = cn_to_int(m2.group("n"))
        if number is None:
            return None
        sub = cn_to_int(m2.group("sub")) if m2.group("sub") else None
        return ArticleStart(m2.group(0), number, sub, m2.end())
    number = cn_to_int(m.group("n"))
    if number is None:
        return None
    sub = cn_to_int(m.group("sub")) if m.group("sub") else None
    return ArticleStart(m.group("marker"), number, sub, m.end())


def match_marker(name: str, text: str) -> re.Match[str] | None:
    """The marker ``name`` at the start of squashed ``text``, or None."""
    return MARKERS[name].pattern.match(text)


def marker_of(text: str, names: tuple[str, ...] | list[str]) -> tuple[str, re.Match[str]] | None:
    """The first of ``names`` whose marker starts ``text``."""
    for name in names:
        m = MARKERS[name].pattern.match(text)
        if m:
            return name, m
    return None


# An item's Arabic number at the start of its text (3. / ３、) and the space
# after it. Unlike the "arabic" marker it may run straight into a value that
# is an age: item 5 "5岁以下儿童…" is printed "5.5岁以下儿童…".
_ITEM_NUMBER = re.compile(r"\d{1,2}\s*[.．、](?=\s*(?:\D|\d+\s*(?:岁|周岁|个月|月龄)))\s*")


def item_number_end(text: str, pos: int = 0) -> int:
    """The offset in ``text`` after the Arabic item number that starts at
    ``pos`` and the whitespace after it ("3. 加强…" → 3, "5.5岁以下…" → 2);
    ``pos`` when no item number starts there ("2.5亿元…")."""
    m = _ITEM_NUMBER.match(text, pos)
    return m.end() if m else pos


# Any leading numbering a heading may carry, for cleaning.
_NUMBERING = re.compile(
    rf"^\s*(?:第{NUM}(?:分编|编|章|节|条|部分|篇)(?:之[{CN_NUM}0-9]{{1,4}})?"
    rf"|[（(]\s*{NUM}\s*[）)]"
    rf"|[{CN_NUM}]{{1,4}}\s*[、.．]"
    r"|\d+(?:[.．]\d+)+(?=\s)"
    r"|[0-9０-９]{1,3}\s*[、.．](?![0-9０-９])"
    rf"|专栏\s*[{CN_NUM}0-9０-９]{{0,4}}"
    r")\s*"
)
_MARKDOWN = re.compile(r"[#*_`>|\[\]]+|^\s*[-+]\s+")
_TRAILING = re.compile(r"[。：:．.\s]+$")
_WS = re.compile(r"\s+")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_HEADING_NUMBER = re.compile(rf"^(第{NUM}(?:分编|编|章|节|部分|篇))\s*")


def squash(text: str) -> str:
    """``text`` without any whitespace (for comparisons, never for output)."""
    return _WS.sub("", text)


def strip_numbering(heading: str) -> str:
    """A heading without markdown marks and leading numbering, trailing
    punctuation removed: "## （一）儿童与健康" → "儿童与健康", "第一章 总 则" → "总 则"."""
    text = _MARKDOWN.sub(" ", heading).strip()
    previous = None
    while previous != text:
        previous = text
        text = _NUMBERING.sub("", text).strip()
    return text.strip(" 　:：、.。-—")


def citation_heading(heading: str) -> str:
    """A heading as a citation shows it: trailing punctuation removed; in a
    law's 第X章 heading one space after the number and none between the
    letter-spaced characters of its name ("第一章  总 则" → "第一章 总则")."""
    text = _TRAILING.sub("", heading.strip())
    m = _HEADING_NUMBER.match(text)
    if m:
        name = _SPACE_BETWEEN_CJK.sub("", text[m.end() :]).strip()
        return f"{m.group(1)} {name}" if name else m.group(1)
    return text


# --------------------------------------------------------------------------- sentences

_ENDS_SENTENCE = "。！？；：:!?;…"
_CLOSERS = "”’」』）)"
_TRAILING_NOTE = re.compile(r"[。！？；]\s*[（(][^（）()]{0,80}[）)]$")


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends a sentence (。！？；： possibly before a closing quote/bracket)."""
    text = text.rstrip()
    if _TRAILING_NOTE.search(text[-90:]):  # "…示范校。（责任单位：区教委）"
        return True
    while text and text[-1] in _CLOSERS:
        text = text[:-1]
    return bool(text) and text[-1] in _ENDS_SENTENCE


def join_pieces(pieces: list[str]) -> str:
    """Re-join a paragraph broken over lines: no space between CJK characters,
    one between two Latin words."""
    out = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and piece[0].isascii() and piece[0].isalpha():
            out += " "
        out += piece
    return out


# --------------------------------------------------------------------------- folding

# U+FF01..U+FF5E are the full-width twins of U+0021..U+007E; U+3000 is the
# ideographic space. A translate table keeps this O(n) in C. One character
# maps to one character, so folders that must keep offsets can build on it.
# Read-only: ``fold_width`` and ``search.diff`` share it.
WIDTH_TABLE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
WIDTH_TABLE.update(
    {0x3000: " ", 0xFFE0: "¢", 0xFFE1: "£", 0xFFE5: "¥", 0xFFE3: "¯", 0x2002: " ", 0x2003: " ", 0x00A0: " "}
)
_ZH_LOCALE = "zh-cn"


@lru_cache(maxsize=1)
def simplified_char_table() -> dict[int, str]:
    """The character-for-character part of ``to_simplified`` as a translate
    table (兒 → 儿): what a folder that must keep every offset can apply.
    ``to_simplified`` also converts phrases, which this table cannot."""
    return {
        ord(key): value
        for key, value in _zhconv.getdict(_ZH_LOCALE).items()
        if len(key) == 1 and len(value) == 1 and key != value
    }


@lru_cache(maxsize=1)
def _conversion_triggers() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """What can make zhconv change a text: the characters it converts on their
    own, and the phrases it converts although none of their characters is one
    of those (``么二三`` → ``幺二三``, ``回覆`` → ``回复``), by first character.

    Text with neither is returned unchanged by zhconv (every phrase it could
    match maps to itself), so ``to_simplified`` skips zhconv's per-character
    loop for it: most text, since the plans are written in simplified Chinese."""
    table = _zhconv.getdict(_ZH_LOCALE)
    singles = frozenset(k for k, v in table.items() if len(k) == 1 and k != v)
    phrases: dict[str, list[str]] = {}
    for key, value in table.items():
        if key != value and not any(ch in singles for ch in key):
            phrases.setdefault(key[0], []).append(key)
    return singles, {ch: tuple(keys) for ch, keys in phrases.items()}


def needs_conversion(text: str) -> bool:
    """Whether zhconv ``zh-cn`` could change ``text``."""
    singles, phrases = _conversion_triggers()
    for ch in text:
        if ch in singles:
            return True
        keys = phrases.get(ch)
        if keys is not None and any(key in text for key in keys):
            return True
    return False


def fold_width(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation → half-width."""
    return text.translate(WIDTH_TABLE)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (zhconv ``zh-cn``); a no-op on text
    zhconv would not change (checked first: zhconv is slow)."""
    if not needs_conversion(text):
        return text
    return _zhconv.convert(text, _ZH_LOCALE)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Return ``text`` folded for matching: half-width, simplified, lower-case.

    The result may differ in length from the input (zhconv converts some
    phrases), so do not use offsets in the folded text to slice the original.
    """
    return to_simplified(fold_width(text)).lower()
