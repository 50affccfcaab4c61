"""Target extraction: the quantified (and qualitative) targets a clause states.

``extract_targets(clause)`` turns one :class:`~ingest.model.Clause` into
:class:`~ingest.model.Target` records with plain regular expressions (no model,
no I/O beyond the indicator table loaded once at import). It never raises.

Comparator convention (Chinese statistical usage, where 以下/以上 include the bound):

==========================================  ==========  ====================
printed                                      comparator  comparator_text
==========================================  ==========  ====================
``＜`` ``<``                                  ``<``       the symbol
``＞`` ``>``                                  ``>``       the symbol
``≤`` ``≦``                                  ``≤``       the symbol
``≥`` ``≧``                                  ``≥``       the symbol
X以下 / X以内 / X及以下                       ``≤``       以下 / 以内 / 及以下
不超过 / 不高于 / 不大于 / 最多 X             ``≤``       the word
X以上 / X及以上                               ``≥``       以上 / 及以上
不低于 / 不少于 / 不小于 / 至少 / 最少 X      ``≥``       the word
低于 / 少于 / 小于 X                          ``<``       the word
高于 / 超过 / 多于 / 大于 X                   ``>``       the word
X左右                                         ``≈``       左右
达到 / 保持在 / 稳定在 / 控制在 / 降至 … X    ``=``       the verb
下降 / 提高 … X (a relative change)           ``=``       the verb (value_text
                                                          keeps it: 下降20%)
配备 / 建成 … X, or a bare X                  ``=``       None
qualitative (持续下降, 巩固提高 …)            None        None
==========================================  ==========  ====================

A printed symbol wins over a suffix, a suffix (以下/以上/左右) over a leading
word, so 降至38%以下 is ``≤`` with comparator_text 以下.

``value_text`` is the value exactly as printed (symbol, digits of either width,
unit, suffix). For a 分别 list whose members share a suffix
(分别降至3.0‰、5.0‰和6.0‰以下) each member's value_text is the member's own
value as printed (3.0‰, 5.0‰, 6.0‰); the shared suffix sets the comparator. A printed range (建设3—5所) keeps the range in value_text and
takes the low end as ``value``.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.model import Clause, Document, Target
from ingest.profiles import get_profile
from ingest.text import cn_to_int, fold_digits, item_number_end, match_marker, to_simplified

log = logging.getLogger(__name__)

__all__ = [
    "document_targets",
    "extract_targets",
    "normalize_indicator",
    "match_indicator",
    "find_indicator_mentions",
]

_DATA_FILE = Path(__file__).resolve().parent / "data" / "indicators.json"


def _load_table() -> dict[str, Any]:
    try:
        return json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # pragma: no cover - packaging problem
        log.warning("indicator table %s missing or unreadable", _DATA_FILE)
        return {}


_TABLE = _load_table()


def _alt(words: Iterable[str]) -> str:
    """A regex alternation, longest word first so the longest one wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# --------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------

_SYM_MAP = {"＜": "<", "<": "<", "＞": ">", ">": ">", "≤": "≤", "≦": "≤", "≥": "≥", "≧": "≥"}
_SUF_MAP = {"以下": "≤", "以内": "≤", "及以下": "≤", "以上": "≥", "及以上": "≥", "左右": "≈"}

_COMP_WORDS = {
    **dict.fromkeys(
        ["不少于", "不少於", "不低于", "不低於", "不小于", "不小於", "至少", "最少"], "≥"
    ),
    **dict.fromkeys(["不超过", "不超過", "不高于", "不高於", "不大于", "不大於", "最多"], "≤"),
    **dict.fromkeys(["低于", "低於", "少于", "少於", "小于", "小於"], "<"),
    **dict.fromkeys(["高于", "高於", "超过", "超過", "多于", "多於", "大于", "大於"], ">"),
}
_TARGET_VERBS = [
    "达到并保持在",
    "达到并保持",
    "達到並保持在",
    "達到並保持",
    "保持在",
    "保持",
    "稳定在",
    "穩定在",
    "维持在",
    "維持在",
    "控制在",
    "降至",
    "降到",
    "下降到",
    "下降至",
    "降低到",
    "降低至",
    "减少到",
    "减少至",
    "減少到",
    "減少至",
    "减至",
    "減至",
    "提高到",
    "提高至",
    "提升到",
    "提升至",
    "上升到",
    "上升至",
    "增至",
    "增加到",
    "增加至",
    "增长到",
    "增长至",
    "增長到",
    "达到",
    "達到",
    "达",
    "達",
    "为",
    "為",
    "占",
]
_REL_VERBS = ["下降", "降低", "减少", "減少", "提高", "提升", "增长", "增長", "增加", "上升"]
_ACTION_VERBS = [
    "配备",
    "配備",
    "设有",
    "設有",
    "设置",
    "設置",
    "建成",
    "建设",
    "建設",
    "建立",
    "建有",
    "新建",
    "设立",
    "設立",
    "安排",
    "开设",
    "開設",
    "打造",
    "创建",
    "創建",
    "培育",
    "拥有",
    "擁有",
    "配齐",
    "组建",
    "开办",
    "开展",
    "举办",
]

_COMP_ALT = _alt(_COMP_WORDS)
_PRE_RE = re.compile(
    rf"(?:(?P<comp>{_COMP_ALT})\s*)?(?:[均都各也应要]+\s*)?"
    rf"(?:(?P<act>{_alt(_ACTION_VERBS)})\s*)?(?:[均都各也]+\s*)?"
    rf"(?:(?P<tv>{_alt(_TARGET_VERBS)}|{_COMP_ALT})\s*)?(?:[均都各]\s*)?$"
)
_REL_RE = re.compile(rf"(?P<rel>{_alt(_REL_VERBS)})\s*$")
_COMP_ANY_RE = re.compile(_COMP_ALT)
_PERIODIC_RE = re.compile(r"每[天日周年月]")

_RATIO_UNITS = {"%", "％", "‰", "‱", "个百分点", "/10万", "/万"}
_AGE_UNITS = {"个月", "月龄", "周岁", "岁"}
_DURATION_UNITS = {"小时", "分钟", "天", "周"}
_UNIT_ALT = (
    r"个百分点|/\s*(?:10|１０|十)\s*万|/\s*万|‱|‰|%|％|个月|月龄|周岁|岁|小时|分钟|人次|万人|"
    r"平方米|个|名|所|张|次|项|家|处|人|天|周|年|倍|床|元|台|套|支|间"
)
_NUM = r"\d+(?:[.．]\d+)?"
_CN_DIGITS = "一二两三四五六七八九十"
_VALUE_RE = re.compile(
    r"(?P<sym>[＜<≤≦≥≧>＞]\s*)?"
    rf"(?<![\d.．第A-Za-z{_CN_DIGITS}百千万])"
    rf"(?P<num>{_NUM}(?:\s*[—–\-~～至]\s*{_NUM})?|[{_CN_DIGITS}]{{1,3}})"
    rf"\s*(?P<unit>{_UNIT_ALT})?"
    r"(?P<suf>及以上|及以下|以上|以下|以内|左右)?"
)
_SEP_ONLY_RE = re.compile(r"^\s*(?:、\s*和|、\s*及|、|和|及|与|與|或|以及)?\s*$")
_LEADING_SEP_RE = re.compile(r"^\s*(?:、\s*和|、|和|及|与|與|或|以及)\s*")
_LIST_SPLIT_RE = re.compile(
    r"、\s*和|、\s*及|、|以及|和(?!谐)|(?<![普涉以危])及(?![时早])|(?<![参給给])[与與]"
)

_SENTENCE_RE = re.compile(r"[^。！？!?]+[。！？!?]?")
_PIECE_RE = re.compile(r"[^，,；;：:]+")
_HISTORY_RE = re.compile(r"截至|截止|从\s*\d{4}\s*年")
_BASELINE_RE = re.compile(
    r"以\s*(\d{4})\s*年\s*(?:数据|数|水平)?\s*为\s*基[数准]|比\s*(\d{4})\s*年(?:底|末)?"
)
_UNIT_QUALIFIER_RE = re.compile(r"以[^，,。；、]{1,15}?为单位的?")
_YEAR_IN_TEXT_RE = re.compile(r"(?:到|至|于|於)\s*(\d{4})\s*年|(\d{4})\s*年\s*(?:前|底|末)")
_YEAR_RANGE_RE = re.compile(r"\d{4}\s*[—–\-~～至到]\s*(\d{4})\s*年")
_ITEM_LEAD_RE = re.compile(r"\s*(?:[-*#>]+\s*)?")
_SPACE_RUN_RE = re.compile(r"\s+")

_LEAD_WORDS = [
    "其中",
    "同时",
    "并且",
    "并",
    "且",
    "力争",
    "努力",
    "确保",
    "確保",
    "保障",
    "保證",
    "保证",
    "着力",
    "實現",
    "实现",
    "推动",
    "推進",
    "推进",
    "促进",
    "促進",
    "使",
    "让",
    "逐步",
    "进一步",
    "全面",
    "基本",
    "要",
    "应",
    "每天",
    "每日",
    "每周",
    "每年",
    "继续",
    "持续",
    "切实",
    "加强",
    *_TABLE.get("qualifier_prefixes", []),
]
_LEAD_RE = re.compile(rf"^(?:\s|(?:到|至)\s*\d{{4}}\s*年(?:前|底|末)?|{_alt(_LEAD_WORDS)})+")
_TRAIL_RE = re.compile(
    r"(?:\s|分别|分別|均|都|各|继续|稳定|要|应|力争|全部|逐步|进一步|也|将|的)+$"
)
_TRAIL_NOUN_CUT_RE = re.compile(r"并|並|规划|規劃|建设|建設|用于|以便|，|,")
_PER_PREFIX_RE = re.compile(r"(每[千万百十]?(?:人口|名儿童|名|人))$")
_DE_TAIL_RE = re.compile(r"建立|开办|設立|设立|接受|开展|配备|享有|参加|建有|达到")

_QUAL_HEAD_RE = re.compile(r"(?:率|比例|比重|占比|差距|人数|数量|水平|寿命|年限)$")
_QUAL_MODS = r"(?:持续|明显|逐步|不断|进一步|稳步|显著|大幅|有效|继续|逐年|稳定|普遍)?"
_QUAL_VERBS = r"(?:巩固)?(?:下降|提高|提升|降低|缩小|減少|减少|增加|增长|上升|扩大|改善|增强|延长|缩短)"
_QUAL_TAIL_RE = re.compile(rf"^(?P<subj>.+?)(?P<q>{_QUAL_MODS}{_QUAL_VERBS})$")
_QUAL_HEAD_VERB_RE = re.compile(
    r"^(?P<q>(?:巩固)?(?:提高|降低|减少|增加|扩大|缩小|提升))(?P<subj>.+)$"
)

_HEADS = sorted(_TABLE.get("heads", []), key=len, reverse=True)
_POPULATION_ALT = _alt(_TABLE.get("population_words", ["儿童"]))
_POP_PREFIX_RE = re.compile(rf"^(.*?(?:{_POPULATION_ALT}))(?=.+$)")
_HAS_POP_RE = re.compile(_POPULATION_ALT)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def _fold_digits(s: str) -> str:
    """Full-width digits and the full-width decimal point → ASCII, so that
    ``float`` reads ３．５ (the shared ``fold_digits`` folds digits only)."""
    return fold_digits(s).replace("．", ".")


def _to_float(num: str) -> float | None:
    """The first number of ``num`` (a digit string, a range, or a Chinese numeral)."""
    m = re.match(r"\d+(?:[.．]\d+)?", num)
    if m:
        try:
            return float(_fold_digits(m.group(0)))
        except ValueError:
            return None
    return _small_cn_number(num)


# A value printed in Chinese numerals (五, 十二, 九十九): one or two digits.
_SMALL_CN_NUMBER_RE = re.compile(r"[一二两三四五六七八九]|[一二两三四五六七八九]?十[一二两三四五六七八九]?")


def _small_cn_number(s: str) -> float | None:
    """The value of a one- or two-digit Chinese numeral (两 → 2, 十五 → 15);
    None for any other text, so that 二三 or 十十 is not read as a value."""
    if not _SMALL_CN_NUMBER_RE.fullmatch(s):
        return None
    value = cn_to_int(s)
    return None if value is None else float(value)


def _norm_unit(unit: str | None) -> str | None:
    if not unit:
        return None
    u = re.sub(r"\s+", "", _fold_digits(unit)).replace("％", "%")
    if u.startswith("/") and "万" in u:
        return "/10万" if ("10" in u or "十" in u) else "/万"
    return u


def _unit_kind(unit: str | None) -> str:
    if unit is None:
        return "none"
    if unit in _RATIO_UNITS or unit.startswith("/"):
        return "ratio"
    if unit in _AGE_UNITS:
        return "age"
    if unit == "年":
        return "year"
    if unit in _DURATION_UNITS:
        return "duration"
    return "count"


def _clean_subject(s: str) -> str:
    s = _UNIT_QUALIFIER_RE.sub("", s)
    s = _BASELINE_RE.sub("", s)
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"^年(?:数据)?为基数", "", s)  # 以2020 / 年为基数 broken across lines
    for _ in range(4):
        before = s
        s = _LEAD_RE.sub("", s)
        s = _TRAIL_RE.sub("", s)
        s = re.sub(r"^[、和及与或]+|[、和及与或]+$", "", s)
        if s == before:
            break
    return s


def _clean_trailing_noun(s: str) -> str:
    s = s.strip().rstrip("。；;！？!?.．").strip()
    s = _TRAIL_NOUN_CUT_RE.split(s, maxsplit=1)[0]
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"[、和及与或]+$", "", s)
    return s


def _head_of(item: str) -> str | None:
    for head in _HEADS:
        if item.endswith(head) and len(item) > len(head):
            return head
    if item.endswith("率") and len(item) >= 4:
        return item[-3:]
    return None


def _ends_with_head(item: str) -> bool:
    return any(item.endswith(h) for h in _HEADS) or item.endswith("率")


def _split_list(subject: str, n: int) -> list[str] | None:
    """Split 新生儿、婴儿和５岁以下儿童死亡率 into n indicator names, expanding the
    shared head noun and carrying a population prefix over; None when it does not
    split into exactly n parts."""
    items = [p for p in _LIST_SPLIT_RE.split(subject) if p]
    if len(items) != n or n < 2:
        return None
    last_head = _head_of(items[-1])
    out: list[str] = []
    for item in items:
        if not _ends_with_head(item):
            if not last_head:
                return None
            item = item + last_head
        out.append(item)
    m = _POP_PREFIX_RE.match(out[0])
    if m and _ends_with_head(out[0]):
        prefix = m.group(1)
        out = [out[0]] + [it if _HAS_POP_RE.search(it) else prefix + it for it in out[1:]]
    return out


# --------------------------------------------------------------------------
# the extractor
# --------------------------------------------------------------------------


@dataclass
class _Val:
    start: int  # absolute offset of the printed value (symbol or number)
    num_start: int
    num: str
    unit: str | None
    unit_end: int  # end of number + unit
    suf: str | None
    end: int  # end including the suffix
    sym: str | None
    kind: str  # ratio / count / duration / age / year / none
    cn: bool = False


@dataclass
class _Group:
    members: list[_Val] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.members[0].start

    @property
    def end(self) -> int:
        return self.members[-1].end


@dataclass
class _Ctx:
    clause: Clause
    year: int | None
    baseline: str | None
    qualitative_ok: bool


def _scan_values(text: str, start: int, end: int) -> list[_Val]:
    vals: list[_Val] = []
    for m in _VALUE_RE.finditer(text, start, end):
        num = m.group("num")
        unit = _norm_unit(m.group("unit"))
        sym = m.group("sym")
        cn = not re.match(r"\d", num)
        kind = _unit_kind(unit)
        if cn and kind != "count":
            continue
        vals.append(
            _Val(
                start=m.start("sym") if sym else m.start("num"),
                num_start=m.start("num"),
                num=num,
                unit=unit,
                unit_end=m.end("unit") if m.group("unit") else m.end("num"),
                suf=m.group("suf"),
                end=m.end(),
                sym=sym.strip() if sym else None,
                kind=kind,
                cn=cn,
            )
        )
    return vals


@dataclass
class _Pre:
    """The words right before a value: 至少 (comp), 配备 (act), 达到 (tv), 下降 (rel)."""

    comp: str | None = None
    act: str | None = None
    tv: str | None = None
    rel: str | None = None
    start: int | None = None  # offset of the first of these words in the region


def _pre_words(region: str) -> _Pre:
    rel = _REL_RE.search(region)
    if rel:
        return _Pre(rel=rel.group("rel"), start=rel.start())
    m = _PRE_RE.search(region)
    if m and (m.group("comp") or m.group("act") or m.group("tv")):
        return _Pre(comp=m.group("comp"), act=m.group("act"), tv=m.group("tv"), start=m.start())
    return _Pre()


def _extract(clause: Clause, default_year: int | None) -> list[Target]:
    text = clause.text or ""
    fields = clause.fields or {}
    if clause.kind == "indicator" and fields.get("indicator") and fields.get("target_value"):
        # a row can carry unnumbered sub-rows (indicator_2, target_value_2 …)
        found = []
        for suffix in ["", *(f"_{n}" for n in range(2, 10))]:
            if not fields.get("indicator" + suffix):
                continue
            t = _table_target(clause, default_year, suffix)
            if t:
                found.append(t)
        return found

    pos = _body_start(text, clause.number)
    fallback_year = _fallback_year(clause, default_year)
    clause_year = _year_in(text[pos:])
    qualitative_ok = clause.kind in ("target", "indicator")
    out: list[Target] = []
    for sm in _SENTENCE_RE.finditer(text, pos):
        s_start, s_end = sm.start(), sm.end()
        sentence = text[s_start:s_end]
        if _HISTORY_RE.search(sentence):
            continue
        bm = _BASELINE_RE.search(sentence)
        baseline = None
        if bm:
            baseline = f"{_fold_digits(bm.group(1) or bm.group(2))}年"
        year = _year_in(sentence) or clause_year or fallback_year
        ctx = _Ctx(clause, year, baseline, qualitative_ok)
        prev_indicator: str | None = None
        for pm in _PIECE_RE.finditer(text, s_start, s_end):
            found = _piece_targets(text, pm.start(), pm.end(), ctx, prev_indicator)
            if found:
                prev_indicator = found[-1].indicator
            out.extend(found)
    return out


def _body_start(text: str, number: str | None) -> int:
    """Offset after the item's printed number ("3." / "- 6." / "（二）")."""
    lead = _ITEM_LEAD_RE.match(text)
    p0 = lead.end() if lead else 0
    if number:
        m = re.match(rf"{re.escape(_fold_digits(number))}\s*[.．、]\s*", _fold_digits(text[p0:]))
        if m:
            return p0 + m.end()
    marker = match_marker("paren_cn", text[p0:])  # （二）
    if marker:
        end = p0 + marker.end()
        space = _SPACE_RUN_RE.match(text, end)
        return space.end() if space else end
    return item_number_end(text, p0)


def _year_in(s: str) -> int | None:
    for m in _YEAR_IN_TEXT_RE.finditer(s):
        y = int(_fold_digits(m.group(1) or m.group(2)))
        if 2021 <= y <= 2100:
            return y
    return None


def _fallback_year(clause: Clause, default_year: int | None) -> int | None:
    fy = (clause.fields or {}).get("year")
    if fy:
        m = re.search(r"\d{4}", _fold_digits(str(fy)))
        if m:
            return int(m.group(0))
    for heading in reversed(clause.section_path or []):
        y = _year_in(heading)
        if y:
            return y
        m = _YEAR_RANGE_RE.search(heading)
        if m:
            return int(_fold_digits(m.group(1)))
    return default_year


def _piece_targets(
    text: str, ps: int, pe: int, ctx: _Ctx, prev_indicator: str | None
) -> list[Target]:
    raw = _scan_values(text, ps, pe)
    # Ages (5岁以下), years (2020年) and ordinal-free bare numbers are not values
    # unless a comparator word sits right before them (达到80岁).
    cands: list[_Val] = []
    for v in raw:
        if v.kind in ("age", "year"):
            region = text[ps : v.start]
            pre = _pre_words(region)
            if v.kind == "year" and len(_fold_digits(v.num).split(".")[0]) >= 4:
                continue
            strong = pre.comp or (pre.tv and pre.tv not in ("为", "為", "占"))
            if not strong or re.search(r"[—–\-~～至]", v.num):
                continue
        cands.append(v)

    groups: list[_Group] = []
    for v in cands:
        if groups:
            prev = groups[-1].members[-1]
            between = text[prev.end : v.start]
            if (
                _SEP_ONLY_RE.match(between)
                and not prev.suf
                and (prev.unit is None or v.unit is None or prev.kind == v.kind)
            ):
                groups[-1].members.append(v)
                continue
        groups.append(_Group([v]))

    results: list[Target] = []
    region_start = ps
    accepted: list[tuple[_Group, dict[str, Any]]] = []
    for gi, g in enumerate(groups):
        last = g.members[-1]
        unit = last.unit
        kind = last.kind
        for m in g.members:
            if m.unit is None and unit is not None:
                m.kind = kind
        region = text[region_start : g.start]
        lead = _LEADING_SEP_RE.match(region)
        subj_offset = region_start + (lead.end() if lead else 0)
        region = text[subj_offset : g.start]
        pre = _pre_words(region)
        shared_suf = last.suf if any(m.suf is None for m in g.members) else None
        earlier_comp = None
        if not (pre.comp or (pre.tv in _COMP_WORDS if pre.tv else False)):
            earlier = list(_COMP_ANY_RE.finditer(text, ps, g.start))
            earlier_comp = earlier[-1].group(0) if earlier else None
        has_sym = any(m.sym for m in g.members)
        ok = False
        if has_sym or kind == "ratio":
            ok = True
        elif g.members[0].cn and not (pre.comp or pre.act or earlier_comp):
            ok = False
        elif kind in ("count", "duration", "age", "year"):
            if shared_suf or last.suf or pre.comp or pre.tv or pre.rel or earlier_comp:
                ok = True
            elif kind == "count" and pre.act:
                ok = True
            elif kind in ("duration", "count") and _PERIODIC_RE.search(text, ps, g.start):
                ok = True
        if kind == "none" and not has_sym:
            ok = False
        next_start = groups[gi + 1].start if gi + 1 < len(groups) else pe
        if not ok:
            continue
        region_start_next = g.end
        accepted.append(
            (
                g,
                {
                    "pre": pre,
                    "region": region,
                    "subj_offset": subj_offset,
                    "shared_suf": shared_suf,
                    "earlier_comp": earlier_comp,
                    "next_start": next_start,
                },
            )
        )
        region_start = region_start_next

    # trailing nouns (what follows the value: 1个危重新生儿救治中心)
    trailing: list[str] = []
    de_labels: list[str | None] = []
    for g, info in accepted:
        after = text[g.end : info["next_start"]]
        if after.startswith("的"):
            label = after[1:].rstrip("。；;！？!?.．")
            label = re.sub(r"\s+", "", label)
            label = re.sub(r"[、和及与或]+$", "", label)
            de_labels.append(label)
            trailing.append("")
        else:
            de_labels.append(None)
            if _LEADING_SEP_RE.match(after) and g is not accepted[-1][0]:
                trailing.append("")
            else:
                trailing.append(_clean_trailing_noun(after))
    de_tail = ""
    real_de = [lab for lab in de_labels if lab]
    if len(real_de) > 1:
        tm = _DE_TAIL_RE.search(real_de[-1])
        if tm:
            de_tail = real_de[-1][tm.start() :]
    last_tail = trailing[-1] if trailing else ""

    for idx, (g, info) in enumerate(accepted):
        pre = info["pre"]
        region = info["region"]
        cut = pre.start if pre.start is not None else len(region)
        subject_raw = region[:cut]
        if info["earlier_comp"] and pre.start is None:
            subject_raw = subject_raw.replace(info["earlier_comp"], "", 1)
        subject = _clean_subject(subject_raw)
        kind = g.members[-1].kind
        trail = trailing[idx]
        # a series 小学生10小时、初中生９小时、高中生８小时睡眠时间 shares the tail
        if (
            not trail
            and last_tail
            and idx < len(accepted) - 1
            and accepted[-1][0].members[-1].unit == g.members[-1].unit
            and kind == "duration"
        ):
            trail = last_tail

        names: list[str]
        if de_labels[idx] is not None:
            label = de_labels[idx] or ""
            if de_tail and not label.endswith(de_tail):
                label = label + de_tail
            names = [label]
        elif kind == "count" and trail:
            per = _PER_PREFIX_RE.search(subject)
            names = [(per.group(1) if per else "") + trail]
        elif kind == "duration" and trail:
            names = [subject + trail]
        else:
            names = [subject]

        n = len(g.members)
        if de_labels[idx] is None and not (kind == "count" and trail):
            if n > 1:
                split = _split_list(subject, n)
                names = split if split else [subject] * n
            else:
                items = [p for p in _LIST_SPLIT_RE.split(subject) if p]
                if len(items) > 1 and all(_ends_with_head(it) for it in items):
                    names = items
        if len(names) == 1 and n > 1:
            names = names * n

        if n > 1:
            pairs = list(zip(g.members, names, strict=False))
        else:
            pairs = [(g.members[0], nm) for nm in names]
        for member, name in pairs:
            name = name or (prev_indicator or "")
            if not name:
                continue
            results.append(_make_target(text, member, name, info, g, ctx))
    if not accepted and ctx.qualitative_ok:
        results.extend(_qualitative(text[ps:pe], ctx))
    return results


def _make_target(
    text: str, m: _Val, name: str, info: dict[str, Any], g: _Group, ctx: _Ctx
) -> Target:
    pre = info["pre"]
    suf = m.suf or info["shared_suf"]
    unit = m.unit or g.members[-1].unit
    comparator: str | None
    ctext: str | None
    if m.sym:
        comparator, ctext = _SYM_MAP.get(m.sym, "="), m.sym
    elif suf:
        comparator, ctext = _SUF_MAP[suf], suf
    elif pre.comp:
        comparator, ctext = _COMP_WORDS[pre.comp], pre.comp
    elif pre.tv in _COMP_WORDS:
        comparator, ctext = _COMP_WORDS[pre.tv], pre.tv
    elif pre.rel:
        comparator, ctext = "=", pre.rel
    elif pre.tv:
        comparator, ctext = "=", pre.tv
    elif info["earlier_comp"]:
        comparator, ctext = _COMP_WORDS[info["earlier_comp"]], info["earlier_comp"]
    else:
        comparator, ctext = "=", None
    # A member of a 分别 list is quoted as printed for that member (8%、2%和2%以下
    # gives 8%, 2%, 2%); the shared suffix still sets the comparator.
    in_list = len(g.members) > 1 and info["shared_suf"] is not None
    own = text[m.start : m.unit_end if in_list or not m.suf else m.end]
    if m.unit is None and unit:
        own = own + (g.members[-1].unit or "")
    value_text = own if m.suf or not suf or in_list else own + suf
    if pre.rel and m is g.members[0]:
        value_text = text[info["subj_offset"] + (pre.start or 0) : m.start] + value_text
        value_text = re.sub(r"\s+", "", value_text) if "\n" in value_text else value_text
    elif pre.rel:
        value_text = pre.rel + value_text
    return Target(
        indicator=name,
        indicator_norm=normalize_indicator(name),
        comparator=comparator,
        comparator_text=ctext,
        value=_to_float(m.num),
        value_text=value_text,
        unit=unit,
        year=ctx.year,
        baseline=ctx.baseline,
        attribute=None,
        responsible_unit=None,
        qualitative=False,
        clause_id=ctx.clause.clause_id,
        doc_id=ctx.clause.doc_id,
    )


def _qualitative(piece: str, ctx: _Ctx) -> list[Target]:
    p = re.sub(r"\s+", "", piece).rstrip("。；;！!")
    if not p or len(p) > 40 or re.search(r"\d", p):
        return []
    m = _QUAL_TAIL_RE.match(p)
    subj = q = None
    if m:
        subj, q = _clean_subject(m.group("subj")), m.group("q")
        if not _QUAL_HEAD_RE.search(subj):
            subj = None
    if subj is None:
        m2 = _QUAL_HEAD_VERB_RE.match(p)
        if m2:
            subj, q = _clean_subject(m2.group("subj")), m2.group("q")
            if not re.search(r"(?:率|比例|比重|占比)$", subj):
                subj = None
    if not subj or not q or len(subj) < 3:
        return []
    # 农村集中供水率、自来水普及率和供水保证率 → one target per rate
    items = [it for it in _LIST_SPLIT_RE.split(subj) if it]
    names = items if len(items) > 1 and all(_QUAL_HEAD_RE.search(it) for it in items) else [subj]
    return [
        Target(
            indicator=name,
            indicator_norm=normalize_indicator(name),
            comparator=None,
            comparator_text=None,
            value=None,
            value_text=q,
            unit=None,
            year=ctx.year,
            baseline=ctx.baseline,
            attribute=None,
            responsible_unit=None,
            qualitative=True,
            clause_id=ctx.clause.clause_id,
            doc_id=ctx.clause.doc_id,
        )
        for name in names
    ]


_TABLE_VALUE_RE = re.compile(
    rf"^\s*(?P<sym>[＜<≤≦≥≧>＞])?\s*(?P<num>{_NUM})\s*(?P<unit>{_UNIT_ALT})?\s*"
    r"(?P<suf>及以上|及以下|以上|以下|以内|左右)?\s*$"
)
_TRAILING_PARENS_RE = re.compile(r"[（(]\s*([^（）()]{1,8}?)\s*[）)]\s*$")


_NAME_UNITS = set(_TABLE.get("units", [])) | {"%", "％", "‰", "‱", "/10万", "1/10万"}


def _unit_from_name(name: str) -> str | None:
    """The unit printed in parentheses at the end of a table indicator: 婴儿死亡率（‰）."""
    m = _TRAILING_PARENS_RE.search(name)
    if not m:
        return None
    inner = re.sub(r"\s+", "", _fold_digits(m.group(1)))
    if inner not in _NAME_UNITS and not re.fullmatch(r"1?/(?:10|十)?万", inner):
        return None
    u = _norm_unit(inner)
    return u[1:] if u and u.startswith("1/") else u


def _table_target(clause: Clause, default_year: int | None, suffix: str = "") -> Target | None:
    f = clause.fields
    name = f.get("indicator" + suffix, "").strip()
    raw = f.get("target_value" + suffix, "")
    tv = raw.strip()
    if not name or not tv:
        return None
    year = _fallback_year(clause, default_year)
    if year is None:
        year = 2030 if re.search(r"2030", " ".join(clause.section_path or [])) else None
    unit = _unit_from_name(name)
    m = _TABLE_VALUE_RE.match(tv)
    attribute = (f.get("attribute" + suffix) or "").strip() or None
    responsible = (f.get("responsible_unit" + suffix) or "").strip() or None
    common: dict[str, Any] = dict(
        indicator=name,
        indicator_norm=normalize_indicator(name),
        year=year,
        baseline=None,
        attribute=attribute,
        responsible_unit=responsible,
        clause_id=clause.clause_id,
        doc_id=clause.doc_id,
    )
    if m:
        sym, suf = m.group("sym"), m.group("suf")
        if sym:
            comp, ctext = _SYM_MAP[sym], sym
        elif suf:
            comp, ctext = _SUF_MAP[suf], suf
        else:
            comp, ctext = "=", None
        return Target(
            comparator=comp,
            comparator_text=ctext,
            value=_to_float(m.group("num")),
            value_text=tv,
            unit=_norm_unit(m.group("unit")) or unit,
            qualitative=False,
            **common,
        )
    # a qualitative value (下降, 巩固提高); whitespace between Chinese characters is
    # a flattening artefact of the table, not part of the value
    if re.fullmatch(r"[\u4e00-\u9fff\s]+", tv):
        tv = re.sub(r"\s+", "", tv)
    return Target(
        comparator=None,
        comparator_text=None,
        value=None,
        value_text=tv,
        unit=unit,
        qualitative=True,
        **common,
    )


# Bump when extraction changes: indexes store the targets of their clauses
# with this version, and an index built by another version re-extracts them
# when it is opened.
TARGETS_VERSION = 2


def document_targets(clause: Clause, document: Document | None) -> list[Target]:
    """The targets of a clause of ``document``: only documents whose profile
    sets targets (a plan's 2030 targets) have any; a law's articles state
    thresholds and duties, not targets, so none are made up from them. The
    plan period's end is the default target year."""
    if document is not None and not get_profile(document.profile).sets_targets:
        return []
    if clause.kind == "article":
        return []
    year = document.period[1] if document is not None and document.period else None
    return extract_targets(clause, default_year=year)


def extract_targets(clause: Clause, default_year: int | None = None) -> list[Target]:
    """Every target one clause states, in reading order.

    ``default_year`` is the target year when neither the clause (到2025年), its
    ``fields["year"]`` nor its section headings (2021—2030年) give one; pass the
    plan period's end. Qualitative targets (持续下降) come only from clauses of
    kind target / indicator. Never raises: a failure is logged and yields [].
    """
    try:
        return _extract(clause, default_year)
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        log.exception("target extraction failed for clause %s", getattr(clause, "clause_id", "?"))
        return []


# --------------------------------------------------------------------------
# indicator names
# --------------------------------------------------------------------------

_NAME_UNIT_PARENS_RE = re.compile(
    r"[（(]\s*(?:%|％|‰|‱|1?/(?:10|十)?万|个|名|所|张|人|人次|小时|分钟|岁|年|天|次|项|家|处|床|元|万人)\s*[）)]\s*$"
)
_QUALIFIER_PREFIX_RE = re.compile(rf"^(?:{_alt(_TABLE.get('qualifier_prefixes', []) or ['全区'])})")
_DASH_BETWEEN_DIGITS_RE = re.compile(r"(?<=\d)\s*[—–\-~～－]+\s*(?=\d)")
_SYNONYMS: dict[str, str] = dict(_TABLE.get("synonyms", {}))
_REPLACEMENTS: list[tuple[str, str]] = [tuple(p) for p in _TABLE.get("replacements", [])]


def _fold(s: str) -> str:
    """Folding for lining up indicator names (never for display). Unlike the
    shared ``ingest.text.fold`` it applies NFKC, which also folds ① ㎡ ﹙ and
    the like, keeps letter case, and drops whitespace, quotes and book-title
    marks and reads any dash between digits as ``-``: plans print the same
    indicator with all of these varying. 繁→简 is the shared rule."""
    s = to_simplified(unicodedata.normalize("NFKC", s or ""))
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"[《》〈〉“”\"'‘’「」]", "", s)
    s = _DASH_BETWEEN_DIGITS_RE.sub("-", s)
    return s


@lru_cache(maxsize=4096)
def normalize_indicator(name: str) -> str:
    """A name that lines the same indicator up across plans.

    婴儿死亡率（‰） → 婴儿死亡率; 以镇（街道）为单位的适龄儿童免疫规划疫苗接种率（%） →
    适龄儿童免疫规划疫苗接种率; ５岁以下儿童死亡率 → 5岁以下儿童死亡率; 学前三年毛入园率 →
    学前教育毛入园率 (indicators.json). Folds width, traditional characters and
    dashes between digits; the result is for matching only, never for display.
    """
    if not name:
        return ""
    s = _fold(name)
    for _ in range(3):
        before = s
        s = _NAME_UNIT_PARENS_RE.sub("", s)
        s = re.sub(r"以[^，,。；]{1,15}?为单位的?", "", s)
        s = _QUALIFIER_PREFIX_RE.sub("", s)
        if s == before:
            break
    for old, new in _REPLACEMENTS:
        s = s.replace(old, new)
    return _SYNONYMS.get(s, s)


def _aliases(norm: str) -> set[str]:
    """The normalised name plus every synonym that maps onto it."""
    out = {norm}
    for alias, canon in _SYNONYMS.items():
        if canon == norm:
            out.add(alias)
    return out


def match_indicator(query: str, names: Iterable[str]) -> list[str]:
    """The names (as given) that loosely match ``query``: exact normalised match
    first, then names containing the query (近视率 → 小学生近视率), then names the
    query contains (大渡口婴儿死亡率 → 婴儿死亡率（‰）), then names that are
    the query with words inserted at one place (每千人口托位 →
    每千人口拥有3岁以下婴幼儿托位数). Synonyms from indicators.json count as
    the same indicator."""
    q = normalize_indicator(query or "")
    if not q:
        return []
    q_aliases = _aliases(q)
    exact: list[str] = []
    contains: list[str] = []
    contained: list[str] = []
    inserted: list[str] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        n = normalize_indicator(name)
        if not n:
            continue
        n_aliases = _aliases(n)
        if n == q or q_aliases & n_aliases:
            exact.append(name)
        elif any(a in n for a in q_aliases) or any(a in b for a in q_aliases for b in n_aliases):
            contains.append(name)
        elif len(n) >= 3 and any(a in query_form for a in n_aliases for query_form in q_aliases):
            contained.append(name)
        elif _inserted(q, n):
            inserted.append(name)
    return exact + contains + contained + inserted


def _inserted(query: str, name: str) -> bool:
    """Whether ``name`` is ``query`` with words inserted at one place: its two
    parts, each of two characters or more, printed in order (每千人口托位 in
    每千人口拥有3岁以下婴幼儿托位数)."""
    if len(query) < 5:
        return False
    for cut in range(2, len(query) - 1):
        head, tail = query[:cut], query[cut:]
        at = name.find(head)
        if at >= 0 and name.find(tail, at + len(head)) >= 0:
            return True
    return False


def find_indicator_mentions(text: str, known: Iterable[str]) -> list[str]:
    """Which ``known`` indicator names occur in ``text`` (a question), after
    folding; synonyms count. Ordered by position; a name that is only part of a
    longer mention (儿童死亡率 inside 5岁以下儿童死亡率) is dropped."""
    t = _fold(text or "")
    for old, new in _REPLACEMENTS:
        t = t.replace(old, new)
    if not t:
        return []
    found: list[tuple[int, int, str]] = []  # (start, end, name)
    seen: set[str] = set()
    for name in known:
        if name in seen:
            continue
        seen.add(name)
        n = normalize_indicator(name)
        if len(n) < 2:
            continue
        best: tuple[int, int] | None = None
        for alias in _aliases(n):
            i = t.find(alias)
            if i >= 0 and (best is None or (i, -(i + len(alias))) < (best[0], -best[1])):
                best = (i, i + len(alias))
        if best:
            found.append((best[0], best[1], name))
    kept = [
        f
        for f in found
        if not any(
            o is not f and o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0])
            for o in found
        )
    ]
    kept.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    return [name for _, _, name in kept]
