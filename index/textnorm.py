"""Folding of text for matching only (never for what users see or quote).

``fold`` maps full-width ASCII forms to half-width, traditional characters to
simplified (zhconv ``zh-cn``) and Latin letters to lower case, so that ``５％``
matches ``5%`` and ``兒童`` matches ``儿童``. Characters with no half-width twin
that carry meaning (‰, ≤, ≥, 、, 。, 《》) are kept as they are.
"""

from __future__ import annotations

from functools import lru_cache

from zhconv import zhconv as _zhconv

# U+FF01..U+FF5E are the full-width twins of U+0021..U+007E; U+3000 is the
# ideographic space. A translate table keeps this O(n) in C.
_WIDTH_TABLE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE.update(
    {
        0x3000: " ",
        0xFFE0: "¢",
        0xFFE1: "£",
        0xFFE5: "¥",
        0xFFE3: "¯",
        0x2002: " ",
        0x2003: " ",
        0x00A0: " ",
    }
)

_ZH_LOCALE = "zh-cn"


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
    return text.translate(_WIDTH_TABLE)


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
