"""Document profiles: genre knowledge as data (``ingest/data/profiles.json``).

A :class:`Profile` says how a genre numbers and names its parts (heading
markers by level, label headings and the clause kinds they give, the clause
unit, the citation unit, whether targets are extracted).  :func:`detect_profile`
picks one per document from its lines; a catalog entry may name one instead.
:func:`detect_doc_type` and :func:`detect_subject` read the title with the
rules of the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.text import MARKERS, article_start, marker_of, squash

DATA_FILE = Path(__file__).resolve().parent / "data" / "profiles.json"
PROFILE_NAMES = ("law", "plan", "notice", "narrative")
_NUMBERED = ("cn_enum", "paren_cn", "arabic", "paren_arabic")
_STATUS_SUFFIX = re.compile(r"[（(][^（）()]{1,12}[）)]$")
_DATE_SUFFIX = re.compile(r"\s*[（(]\s*\d{4}\s*[-—–.年]\s*\d{1,2}.{0,8}[）)]\s*$")


@dataclass(frozen=True)
class Profile:
    """How one genre numbers and names its parts (see profiles.json)."""

    name: str
    heading_levels: tuple[tuple[str, ...], ...]
    heading_words: frozenset[str]
    labels: dict[str, str]
    label_words: tuple[str, ...]
    unnumbered_heading_level: int | None
    clause_unit: str
    citation_unit: str
    sets_targets: bool

    @property
    def heading_markers(self) -> tuple[str, ...]:
        return tuple(name for level in self.heading_levels for name in level)

    def marker_level(self, name: str) -> int | None:
        """The heading level (1 = outermost) of marker ``name``, or None."""
        for k, names in enumerate(self.heading_levels, start=1):
            if name in names:
                return k
        return None

    @property
    def label_level(self) -> int:
        """Labels (主要目标) and boxes sit one level below the numbered headings."""
        return len(self.heading_levels) + 1


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=8)
def get_profile(name: str) -> Profile:
    """The profile called ``name``; ValueError names the known ones."""
    profiles = _data()["profiles"]
    if name not in profiles:
        raise ValueError(f"unknown document profile {name!r}; known: {', '.join(profiles)}")
    raw = profiles[name]
    for level in raw["heading_levels"]:
        for marker in level:
            if marker not in MARKERS:
                raise ValueError(f"profile {name!r} names an unknown marker {marker!r}")
    return Profile(
        name=name,
        heading_levels=tuple(tuple(level) for level in raw["heading_levels"]),
        heading_words=frozenset(raw.get("heading_words", [])),
        labels=dict(raw.get("labels", {})),
        label_words=tuple(raw.get("label_words", [])),
        unnumbered_heading_level=raw.get("unnumbered_heading_level"),
        clause_unit=raw["clause_unit"],
        citation_unit=raw["citation_unit"],
        sets_targets=bool(raw.get("sets_targets", False)),
    )


def box_words() -> tuple[str, ...]:
    return tuple(_data().get("box_words", ["专栏"]))


def indicator_table_headers() -> tuple[str, ...]:
    return tuple(_data().get("indicator_table_headers", []))


def all_label_kinds() -> dict[str, str]:
    """Every profile's label → clause kind (for section-path context anywhere)."""
    out: dict[str, str] = {}
    for name in PROFILE_NAMES:
        out.update(get_profile(name).labels)
    return out


def detect_profile(lines: Iterable[str], title: str | None = None) -> Profile:
    """The profile of a document from its body lines (markdown stripped) and title.

    plan: a plan title (…规划/纲要) or a label line (主要目标); law: a few
    lines start an article (第X条); notice: a few numbered lines (一、 （一） 1.);
    else narrative."""
    rules = _data()["detection"]
    articles = numbered = labels = 0
    plan = get_profile("plan")
    label_words = set(plan.label_words)
    for raw in lines:
        flat = squash(raw)
        if not flat:
            continue
        if article_start(raw.strip()) is not None:
            articles += 1
            continue
        if marker_of(flat, _NUMBERED) is not None:
            numbered += 1
        if flat.rstrip("：:。.") in label_words:
            labels += 1
    if labels or (title and detect_doc_type(title) == "plan"):
        return plan
    if articles >= rules["law_min_articles"]:
        return get_profile("law")
    if numbered >= rules["notice_min_markers"]:
        return get_profile("notice")
    if articles:
        return get_profile("law")
    return get_profile("narrative")


def bare_title(title: str) -> str:
    """The title without a date suffix ``(2024-04-26)`` and a parenthesised
    status or period (（2021—2030年）, （征求意见稿）), whitespace removed."""
    text = squash(title)
    text = _DATE_SUFFIX.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _STATUS_SUFFIX.sub("", text)
    return text


def detect_doc_type(title: str | None, headings: Iterable[str] = ()) -> str:
    """plan, law, regulation, rule, judicial_interpretation, case, decision,
    notice, opinion, programme, or document, from the title's words (a case
    also from headings such as 案情回顾)."""
    spec = _data()["doc_types"]
    text = bare_title(title or "")
    if text:
        for rule in spec["rules"]:
            if any(text.startswith(w) for w in rule.get("title_prefix", [])):
                return str(rule["type"])
            if any(text.endswith(w) for w in rule.get("title_suffix", [])):
                return str(rule["type"])
            if any(w in text for w in rule.get("title_contains", [])):
                return str(rule["type"])
            if any(re.search(rx, text) for rx in rule.get("title_regex", [])):
                return str(rule["type"])
    case_headings = set(spec.get("case_headings", []))
    if any(squash(h) in case_headings for h in headings):
        return "case"
    return "document"


def detect_subject(title: str | None) -> str | None:
    """The subject the title names (儿童, 妇女, 教育 …), or None when unknown."""
    spec = _data()["subjects"]
    text = squash(title or "")
    if not text:
        return None
    for subject in spec["order"]:
        if any(word in text for word in spec["words"].get(subject, [])):
            return str(subject)
    return None
