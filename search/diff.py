"""Character-level diffs between two clauses, for "precedent wording".

Drafters copy a clause from another plan and change a number, a name or a
phrase; they need to see exactly what changed.  The comparison runs on a
*folded* form of both texts so that printing differences do not count as
edits:

* full-width ASCII (digits, Latin letters, ``（）：，；％＜`` …) → half-width,
  the ideographic space → a space (``ingest.text.WIDTH_TABLE``);
* traditional characters → simplified, one character for one (the
  character-for-character part of ``ingest.text.to_simplified``, so the
  folding never changes a text's length);
* curly quotes → straight quotes, dash variants → ``-``, Latin letters lower-cased;
* whitespace is dropped altogether.

Every folded character remembers the position of the character it came
from, so the spans returned always carry the ORIGINAL characters of both
texts: an ``equal`` span can read ``５岁`` on one side and ``5岁`` on the
other.  The spans tile both texts completely, in order, so joining the
``a_text`` of all spans gives back ``a`` and joining the ``b_text`` gives
back ``b``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal

from ingest.text import WIDTH_TABLE, simplified_char_table

DiffOp = Literal["equal", "insert", "delete", "replace"]

__all__ = [
    "DiffSpan",
    "FoldedText",
    "char_diff",
    "char_similarity",
    "diff_html",
    "diff_inline",
    "diff_with_ratio",
    "fold",
    "fold_with_map",
    "folded_similarity",
]


# Printing variants that the shared folding keeps apart but a wording diff
# should not show as edits: quotes, dashes, tildes, middle dots.
_PUNCTUATION: dict[str, str] = {
    "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
    "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u2014": "-", "\u2013": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
    "\uff5e": "~", "\u301c": "~",
    "\u00b7": ".", "\u30fb": ".",
    "\ufe50": ",", "\ufe51": "\u3001", "\ufe52": ".",
}  # fmt: skip


def _build_table() -> dict[int, str]:
    """One character for one character, so every folded character keeps its
    original offset: the shared width table and the character-for-character
    part of 繁→简 (``ingest.text``), then the punctuation above, then Latin
    capitals lower-cased (ASCII only: ``str.lower`` may change a length)."""
    table: dict[int, str] = dict(simplified_char_table())
    table.update(WIDTH_TABLE)
    table.update({ord(src): dst for src, dst in _PUNCTUATION.items()})
    for cp, dst in table.items():
        if "A" <= dst <= "Z":
            table[cp] = dst.lower()
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    return table


_TABLE = _build_table()


@dataclass(frozen=True)
class FoldedText:
    """A folded text and, for each folded character, its index in the original."""

    original: str
    folded: str
    positions: tuple[int, ...]

    def boundary(self, k: int) -> int:
        """Original offset of the boundary before folded character ``k``.

        Boundary 0 is the start of the original and boundary ``len(folded)`` its
        end; whitespace dropped by the folding therefore belongs to the span
        before it, and consecutive spans tile the original exactly.
        """
        if k <= 0:
            return 0
        if k >= len(self.folded):
            return len(self.original)
        return self.positions[k]


def fold(text: str) -> str:
    """The folded form used for matching (see the module docstring)."""
    return "".join(text.translate(_TABLE).split())


@lru_cache(maxsize=8192)
def fold_with_map(text: str) -> FoldedText:
    """Fold ``text`` keeping, per folded character, its original position."""
    translated = text.translate(_TABLE)
    if len(translated) != len(text):  # cannot happen with the 1:1 table; be safe
        translated = "".join((ch.translate(_TABLE) or ch)[:1] for ch in text)
    chars: list[str] = []
    positions: list[int] = []
    for i, ch in enumerate(translated):
        if ch.isspace():
            continue
        chars.append(ch)
        positions.append(i)
    return FoldedText(text, "".join(chars), tuple(positions))


@dataclass(frozen=True)
class DiffSpan:
    """One span of a character diff of ``b`` against ``a``.

    ``a_text == a[a_start:a_end]`` and ``b_text == b[b_start:b_end]``, both in
    the original (unfolded) characters.  ``insert`` spans have an empty
    ``a_text``, ``delete`` spans an empty ``b_text``.
    """

    op: DiffOp
    a_text: str
    b_text: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def folded_similarity(fa: str, fb: str) -> float:
    """SequenceMatcher ratio of two already-folded texts (1.0 for two empty ones)."""
    if not fa and not fb:
        return 1.0
    if not fa or not fb:
        return 0.0
    return SequenceMatcher(None, fa, fb, autojunk=False).ratio()


def char_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two clauses: difflib's ratio on the folded texts."""
    return folded_similarity(fold(a), fold(b))


_NUMERIC = set("0123456789.")
_MERGE_EQUAL_AT_MOST = 1  # an equal run this short between two edits is folded into them


def _tidy(
    opcodes: Sequence[tuple[str, int, int, int, int]], fa: str, fb: str
) -> list[tuple[bool, int, int, int, int]]:
    """Make the raw opcodes readable (folded coordinates in, folded coordinates out).

    * an edit touching a number takes in the rest of that number, so ``3.0`` →
      ``2.5`` reads as one replacement rather than ``3``→``2``, ``.``, ``0``→``5``;
    * an equal run of at most one character between two edits is absorbed;
    * neighbouring edits are merged.
    Returns ``(is_equal, i1, i2, j1, j2)`` tuples that still tile both texts.
    """
    ops = [[tag == "equal", i1, i2, j1, j2] for tag, i1, i2, j1, j2 in opcodes]
    for k, op in enumerate(ops):
        if op[0]:
            continue
        edit = fa[op[1]:op[2]] + fb[op[3]:op[4]]
        if not any(ch.isdigit() for ch in edit):
            continue
        if k > 0 and ops[k - 1][0]:
            prev = ops[k - 1]
            while prev[2] > prev[1] and fa[prev[2] - 1] in _NUMERIC:
                prev[2] -= 1
                prev[4] -= 1
                op[1] -= 1
                op[3] -= 1
        if k + 1 < len(ops) and ops[k + 1][0]:
            nxt = ops[k + 1]
            while nxt[2] > nxt[1] and fa[nxt[1]] in _NUMERIC:
                nxt[1] += 1
                nxt[3] += 1
                op[2] += 1
                op[4] += 1
    ops = [op for op in ops if op[2] > op[1] or op[4] > op[3]]
    for k in range(1, len(ops) - 1):
        op = ops[k]
        if op[0] and op[2] - op[1] <= _MERGE_EQUAL_AT_MOST and not ops[k - 1][0] and not ops[k + 1][0]:
            op[0] = False
    merged: list[list] = []
    for op in ops:
        if merged and merged[-1][0] == op[0]:
            merged[-1][2] = op[2]
            merged[-1][4] = op[4]
        else:
            merged.append(list(op))
    return [(bool(op[0]), op[1], op[2], op[3], op[4]) for op in merged]


def char_diff(a: str, b: str) -> list[DiffSpan]:
    """Character-level diff of clause ``b`` against clause ``a``.

    Compared on the folded forms (full-width/half-width, 繁/简 and whitespace do
    not count as differences); returned in the original characters.  Spans are
    in order and tile both texts; adjacent spans of the same op are merged.
    """
    return diff_with_ratio(a, b)[0]


def diff_with_ratio(a: str, b: str) -> tuple[list[DiffSpan], float]:
    """``(char_diff(a, b), char_similarity(a, b))`` from one ``SequenceMatcher``."""
    fa = fold_with_map(a)
    fb = fold_with_map(b)
    matcher = SequenceMatcher(None, fa.folded, fb.folded, autojunk=False)
    total = len(fa.folded) + len(fb.folded)
    if not total:
        ratio = 1.0
    elif not fa.folded or not fb.folded:
        ratio = 0.0
    else:
        ratio = 2.0 * sum(m.size for m in matcher.get_matching_blocks()) / total
    opcodes = _tidy(matcher.get_opcodes(), fa.folded, fb.folded)
    spans: list[DiffSpan] = []
    for equal, i1, i2, j1, j2 in opcodes:
        a_start, a_end = fa.boundary(i1), fa.boundary(i2)
        b_start, b_end = fb.boundary(j1), fb.boundary(j2)
        if a_start == a_end and b_start == b_end:
            continue
        if equal:
            op: DiffOp = "equal"
        elif a_start == a_end:
            op = "insert"
        elif b_start == b_end:
            op = "delete"
        else:
            op = "replace"
        if spans and spans[-1].op == op:
            last = spans.pop()
            a_start, b_start = last.a_start, last.b_start
        spans.append(
            DiffSpan(op, a[a_start:a_end], b[b_start:b_end], a_start, a_end, b_start, b_end)
        )
    if not spans and (a or b):  # both fold to nothing (whitespace only)
        spans.append(DiffSpan("equal", a, b, 0, len(a), 0, len(b)))
    return spans, ratio


def diff_html(spans: list[DiffSpan], *, side: Literal["b", "both"] = "both") -> str:
    """Render spans as HTML: equal text plain, removed text in ``<del>``, added
    text in ``<ins>``.  Equal spans show ``b``'s characters (the variant as
    printed).  With ``side="b"`` the deletions are left out.
    """
    out: list[str] = []
    for span in spans:
        if span.op == "equal":
            out.append(html.escape(span.b_text))
            continue
        if span.a_text and side == "both":
            out.append(f"<del>{html.escape(span.a_text)}</del>")
        if span.b_text:
            out.append(f"<ins>{html.escape(span.b_text)}</ins>")
    return "".join(out)


def diff_inline(spans: list[DiffSpan]) -> str:
    """Plain-text rendering, ``[-removed-]{+added+}`` (as ``git diff --word-diff``)."""
    out: list[str] = []
    for span in spans:
        if span.op == "equal":
            out.append(span.b_text)
            continue
        if span.a_text:
            out.append(f"[-{span.a_text}-]")
        if span.b_text:
            out.append(f"{{+{span.b_text}+}}")
    return "".join(out)
