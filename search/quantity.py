"""What kind of number a question asks for (days, an age, money, a time of
day …) and how documents print that kind: the classes of
``search/data/answer_units.json``. Used by the reranker (a clause that prints a
figure of the kind asked) and by the answerer (the figure to quote, and a
refusal when no clause prints that kind)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ingest.text import fold


@dataclass(frozen=True)
class QuantityClass:
    name: str
    asked: re.Pattern[str]
    span: re.Pattern[str]
    units: tuple[str, ...]
    # what a figure of this kind can count, in groups of words for one thing
    # (罚款/罚金, 奖励/奖金): a question about one is not answered by another
    heads: tuple[tuple[str, ...], ...] = ()
    # the head groups whose figures answer only a question naming them (a fine)
    named_only: frozenset[int] = frozenset()
    # whether closest clauses that are law articles and print no figure of this
    # kind make a refusal (not for a time, which laws state as an event)
    articles_refuse: bool = True
    # the word a question names for what it asks the amount of (多少扶助金 →
    # 扶助金, 奖励金具体是多少钱 → 奖励金: the first group that matched): a figure
    # answers it only in a sentence printing that word
    named: re.Pattern[str] | None = None
    # a count of things (几个, 几所): the noun after the figure is what it
    # counts, and a figure of other things answers nothing (三个周期 for 多少个社区)
    counts: bool = False

    def counted_noun(self, question: str) -> str | None:
        """What a count question counts, by the words after its 几个 / 多少所
        (儿童友好社区 of 建成多少个儿童友好社区); None for another kind of number."""
        if not self.counts:
            return None
        found = self.asked.search(question)
        if found is None:
            return None
        noun = words_after(question, found.end())
        return noun if len(noun) >= 2 else None

    def asked_name(self, question: str) -> str | None:
        """What ``question`` asks the amount of, by its own word (2+ characters)."""
        found = self.named.search(question) if self.named is not None else None
        word = next((g for g in found.groups() if g), "") if found else ""
        return word if len(word) >= 2 else None

    def head_groups(self, text: str) -> set[int]:
        """The head groups ``text`` names."""
        return {i for i, group in enumerate(self.heads) if any(word in text for word in group)}


def words_after(text: str, end: int) -> str:
    """The run of Chinese characters right after ``end`` (at most six): what a
    count's figure or question counts (儿童友好社区 of 多少个儿童友好社区)."""
    found = _NOUN_AFTER.match(text, end)
    return found.group(0) if found else ""


# the words a count's figure or question runs on into: what it counts
_NOUN_AFTER = re.compile(r"[\u4e00-\u9fff]{1,6}")
# A printed number: bounded runs, so a span search stays linear in the text
# (an unbounded run of numerals with no unit after it made every start position
# rescan the run: 32,000 一 took 20 s).
_NUMBER = r"[0-9０-９][0-9０-９.．]{0,15}|[零〇一二两三四五六七八九十百千万]{1,12}"


@lru_cache(maxsize=1)
def quantity_classes() -> tuple[tuple[QuantityClass, ...], tuple[str, ...]]:
    """The kinds of number from ``search/data/answer_units.json``, in the order
    they are tried, and the trailing qualifiers a printed value keeps."""
    data = units_data()
    qualifiers = tuple(sorted(data["qualifiers"], key=len, reverse=True))
    out = []
    for c in data["classes"]:
        units = tuple(sorted(c.get("units", []), key=len, reverse=True))
        span = re.compile(c["pattern"]) if "pattern" in c else _span(units, tuple(c.get("prefixes", ())), qualifiers)
        heads = tuple(tuple(group) for group in c.get("heads", []))
        named_only = frozenset(i for i, group in enumerate(heads) if group[0] in c.get("named_only", ()))
        asked = re.compile("|".join(f"(?:{a})" for a in c["asked"]))
        out.append(
            QuantityClass(
                c["name"], asked, span, units, heads, named_only, bool(c.get("articles_refuse", True)),
                re.compile(c["named"]) if "named" in c else None, bool(c.get("counts", False)),
            )
        )
    return tuple(out), qualifiers


@lru_cache(maxsize=1)
def units_data() -> dict[str, Any]:
    """``search/data/answer_units.json``, read once."""
    with resources.files("search").joinpath("data", "answer_units.json").open(encoding="utf-8") as fh:
        return dict(json.load(fh))


def _span(units: tuple[str, ...], prefixes: tuple[str, ...], qualifiers: tuple[str, ...]) -> re.Pattern[str]:
    """A printed figure of these units: a number (a range too) and its unit, or
    one of the prefixes (百分之) and a number; a trailing qualifier kept."""
    qual = "|".join(re.escape(q) for q in qualifiers)
    unit = "|".join(re.escape(u) for u in units)
    number = rf"(?:{_NUMBER})(?:\s{{0,3}}(?:—|–|-|~|～|至|到)\s{{0,3}}(?:{_NUMBER}))?"
    # a unit does not run on into a longer word (十六周岁 is no 十六周)
    # 未满 / 不满 is part of the value (未满十八周岁: under eighteen)
    figure = rf"(?:[未不]满)?(?:{number})\s{{0,3}}(?:{unit})(?![岁期常])(?:{qual})?"
    # a bound from below and one from above make one range (8万元以上10万元以下)
    alternatives = [rf"{figure}(?:(?<=以上){figure})?"]
    if prefixes:
        prefix = "|".join(re.escape(p) for p in prefixes)
        percent = rf"(?:{prefix})(?:{_NUMBER})(?:{qual})?"
        alternatives.insert(0, rf"{percent}(?:(?<=以上){percent})?")
    return re.compile("|".join(alternatives))


# the documents a question asks across (几个规划怎么写的, 把几部地方条例对照一下):
# which documents, not a number asked of them
_DOCUMENTS_COUNTED = re.compile(r"(?<!哪)(?:几|多少)(?:个|份|部|家)(?:地方)?(?:规划|纲要|文件|法规|条例|法律)")


def asked_quantity(question: str) -> QuantityClass | None:
    """The kind of number a question asks for (days, money, a time of day …), or
    None. A question that names a unit of a class with unit groups (多少分钟,
    几个月) gets the class narrowed to that unit's group: 10小时 is no answer
    to 多少分钟."""
    classes, _ = quantity_classes()
    folded = _DOCUMENTS_COUNTED.sub(" ", fold(question))
    for qc in classes:
        if qc.asked.search(folded):
            for group in _unit_groups().get(qc.name, ()):
                if any(re.search(rf"(?:多少|几)\s*{re.escape(unit)}", folded) for unit in group):
                    return _narrowed(qc, group)
            return qc
    return None


@lru_cache(maxsize=1)
def _unit_groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Per class, the units that measure alike (小时 and 个小时; 天 and 日)."""
    return {
        c["name"]: tuple(tuple(g) for g in c["groups"]) for c in units_data()["classes"] if c.get("groups")
    }


@lru_cache(maxsize=64)
def _narrowed(qc: QuantityClass, group: tuple[str, ...]) -> QuantityClass:
    _, qualifiers = quantity_classes()
    units = tuple(sorted(group, key=len, reverse=True))
    return QuantityClass(
        qc.name, qc.asked, _span(units, (), qualifiers), units, qc.heads, qc.named_only, qc.articles_refuse, qc.named,
        qc.counts,
    )


def asks_number_word(word: str) -> bool:
    """Whether a word of a question only asks for a number (几天, 多少, 几岁)."""
    return bool(_NUMBER_WORD.fullmatch(word))


_NUMBER_WORD = re.compile(r"(?:多少|几)[个名所项岁次天年小成日周月点]?|多少钱|多长|多久|多大|几时")
# 哪几个 / 哪几种 ask which ones (a list), 按什么比例 / 比例怎么算 ask how a share is set;
# a bound asked (上限, 下限) is a number
_QUANTITY = re.compile(
    r"多少|(?<!哪)几[个名所项岁次天年小成]|多长|多久|多高|多大|(?<!什么)(?<!按)比例(?!怎么|如何)|额度|[百千万]分之|哪一天|几点|达到什么水平|[上下]限"
)


_GOAL = re.compile(r"目标|指标")


def asks_goal(question: str) -> bool:
    """Whether a question asks for a plan's goal (什么目标, 哪些指标) rather than what happens."""
    return bool(_GOAL.search(question))


@lru_cache(maxsize=1)
def _yes_no() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = units_data()["yes_no"]
    return tuple(data["endings"]), tuple(data["markers"])


def is_yes_no(question: str) -> bool:
    """Whether a question asks whether (…吗？, 有没有…, 能不能…) rather than what or how many."""
    endings, markers = _yes_no()
    core = re.sub(r"[\s？?！!。.，,]+$", "", question)
    return core.endswith(endings) or any(m in question for m in markers) or bool(_A_NOT_A.search(question))


# 管不管, 开不开, 算不算; not before 的, where it names a decision (批不批的决定)
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1(?!的)")


def asks_quantity(question: str) -> bool:
    """Whether a question asks for a number (多少天, 几点到几点, 比例), not
    whether — unless its last part asks for the number after all (有没有定上限，
    是多少分钟？)."""
    question = _DOCUMENTS_COUNTED.sub(" ", question)
    last = _LAST_PART.split(question.strip().rstrip("？?！!。. "))[-1]
    if is_yes_no(question):
        if _BOUND_WHETHER.search(last) and asked_quantity(question) is not None:
            return True  # 比例有没有下限: whether there is one, and what it is
        # …能拿到多少钱的补偿？有没有标准？: one of its questions asks the number
        asked = [s for s in _QUESTION_END.split(question) if s.strip()]
        if len(asked) > 1 and any(asked_quantity(_LAST_PART.split(s)[-1]) is not None and not is_yes_no(s) for s in asked):
            return True
        return (asked_quantity(last) is not None or bool(_QUANTITY.search(last))) and not is_yes_no(last)
    if any(cue in last for cue in _what_to_do()) and not _QUANTITY.search(last) and asked_quantity(last) is None:
        return False  # 有几套房、多少存款我根本不清楚…怎么办: asks what to do
    return bool(_QUANTITY.search(question)) or asked_quantity(question) is not None


@lru_cache(maxsize=1)
def _what_to_do() -> tuple[str, ...]:
    return tuple(units_data()["what_to_do"]["cues"])


_LAST_PART = re.compile(r"[，,；;？?]")
# a yes/no question about a bound (有没有下限, 是否有上限) asks the bound
_BOUND_WHETHER = re.compile(r"(?:有没有|是否有|有无)[^，,；;？?]{0,6}(?:上限|下限)")
_QUESTION_END = re.compile(r"[？?]")


def prints_quantity(quantity: QuantityClass, text: str) -> bool:
    """Whether ``text`` prints a figure of the kind ``quantity``."""
    return quantity.span.search(text) is not None
