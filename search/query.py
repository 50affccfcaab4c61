"""Query analysis: jurisdiction, indicator, years, numbers, intent and the
plans' vocabulary for colloquial words.

Everything here is pure and driven by data files in ``search/data`` so that
the vocabulary can grow without touching code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from index.lexical import tokenize
from index.textnorm import fold
from ingest.gazetteer import Division
from ingest.model import Document
from ingest.profiles import bare_title
from ingest.text import CN_NUM, NUM, cn_to_int

from .places import PlaceIndex, PlaceMatch, _automaton, own_aliases
from .quantity import QuantityClass, asked_quantity, asks_quantity

INTENTS = ("compare", "precedent", "target", "enquiry")


@lru_cache(maxsize=1)
def _load_data(name: str) -> dict[str, Any]:
    with resources.files("search").joinpath("data", name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# The query vocabulary: colloquial words → the documents' own words. The hand
# list (written from the dev and tune questions) and the lexicon (written from
# the documents' vocabulary, no question read); a key in both gets both values.
VOCABULARIES: tuple[str, ...] = ("synonyms.json", "lexicon.json", "lexicon_law.json")


def synonym_map(names: tuple[str, ...] = VOCABULARIES) -> dict[str, list[str]]:
    """Colloquial word → document vocabulary from the ``names`` data files,
    longest keys first."""
    merged: dict[str, list[str]] = {}
    for name in names:
        raw: dict[str, list[str]] = _load_data(name)["map"]
        for key, targets in raw.items():
            have = merged.setdefault(key, [])
            have.extend(t for t in targets if t not in have)
    return dict(sorted(merged.items(), key=lambda kv: -len(kv[0])))


def query_cues() -> dict[str, Any]:
    return _load_data("query_cues.json")


def jurisdiction_aliases(document: Document) -> list[str]:
    """Names a user may type for a document's jurisdiction, longest first
    (大渡口区 → 大渡口区, 重庆市大渡口区, 大渡口; 攀枝花市西区 → 攀枝花市西区, 攀枝花西区,
    西区); none for a document whose jurisdiction is unknown."""
    j = document.jurisdiction
    if j is None or not j.name:
        return []
    return sorted(own_aliases(j.name, j.parent, j.province), key=lambda s: (-len(s), s))


@dataclass
class QueryAnalysis:
    """What a query asks, as far as the words show."""

    query: str
    folded: str
    intent: str
    jurisdictions: list[str] = field(default_factory=list)  # jurisdiction names found in the query
    jurisdiction_spans: list[tuple[int, int]] = field(default_factory=list)
    self_reference: bool = False
    years: list[int] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)
    synonym_hits: list[tuple[str, list[str]]] = field(default_factory=list)  # (colloquial word, plan words)
    content: str = ""  # the query without jurisdiction names, filler and question words
    unknown_jurisdiction: str | None = None  # a place the query names that no document covers
    doc_ids: set[str] | None = None  # documents of the places the query names (None: no place named)
    covering: list[str] = field(default_factory=list)  # areas containing a named place that has no documents of its own
    title_doc_ids: set[str] | None = None  # documents whose title the query names (None: none named)
    titles_named: int = 0  # how many titles (aliases) the query names: one alias may be several documents' (儿童发展规划)
    articles: list[tuple[int, int | None]] = field(default_factory=list)  # 第二十条(之一) the query names: (20, None)
    genre: str | None = None  # "law" or "plan" when the question's words point at one (合法吗 / 规划里)
    asks_number: bool = False  # the question asks for a number (多少, 几天), not whether
    quantity: QuantityClass | None = None  # the kind of number asked (an age, days …), when one is
    _tokens: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def rewritten(self) -> str:
        """The query text used for retrieval: content plus the plans' vocabulary."""
        extra = " ".join(dict.fromkeys(self.expansions))
        return f"{self.content} {extra}".strip() if extra else self.content

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens of ``text`` (this query's rewritten text or the query),
        cut once per analysis: retrieval and highlighting both read them."""
        found = self._tokens.get(text)
        if found is None:
            found = self._tokens[text] = tokenize(text)
        return list(found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "jurisdictions": self.jurisdictions,
            "self_reference": self.self_reference,
            "years": self.years,
            "numbers": self.numbers,
            "indicators": self.indicators,
            "expansions": list(dict.fromkeys(self.expansions)),
            "rewritten": self.rewritten,
            "documents": sorted(self.title_doc_ids) if self.title_doc_ids is not None else None,
            "articles": [f"{n}" + (f"之{sub}" if sub else "") for n, sub in self.articles],
            "genre": self.genre,
            "quantity": self.quantity.name if self.quantity else None,
        }


_YEAR = re.compile(r"(20\d{2})年?")
# a year a target is measured from, not the year it is set for (比2020年下降,
# 以2020年数据为基数, 与2020年相比)
_BASE_YEAR = re.compile(r"(?:比|较|以|与|同|相比)(?:20\d{2})年?|(?:20\d{2})年?(?:的|数据)?(?:为基数|为基础|基数|水平|相比)")
# A place name at the start of a question: 成都市…, 在武侯区，… — not one a
# pronoun begins (我在县城…) nor a suffix that runs on into a word (县城, 市场)
_PLACE = re.compile(r"^(?:请问|在|关于)?((?![我你他她咱俺])[\u4e00-\u9fff]{1,7}?(?:自治区|自治州|自治县|省|市|区|县|旗|盟))(?![城场])")
_NOT_PLACES = {
    "城市", "社区", "地区", "市区", "城区", "辖区", "县区", "本市", "我市", "全市", "全区", "全县", "各区", "各市",
    "各县", "园区", "景区", "山区", "老城区", "城乡社区", "农村社区", "本区", "我区", "本县", "我县", "城镇社区",
    "小区", "街区", "学区", "片区", "校区", "牧区", "矿区", "灾区",
    # another, this or every province or city, not a named one (都去外省打工了)
    "外省", "外市", "外县", "外区", "本省", "全省", "各省", "该省", "该市", "该县", "该区", "邻省", "邻市", "邻县",
}
# characters of a phrase, not of a place's name (孩子爸妈都去外省: no place)
_NOT_IN_PLACE_NAMES = frozenset("的了吗呢们把被去")
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:‰|%|个|名|所|小时|岁|天|次|/10万)?")
_ARTICLE = re.compile(rf"第({NUM})条(?:之([{CN_NUM}0-9]{{1,4}}))?")
# A title alias must end in a document word and be at least this long (学前教育条例).
_MIN_TITLE_ALIAS = 4
_TITLE_END = re.compile(r"(?:法|法典|条例|规定|办法|细则|规则|解释|决定|规划|纲要|意见|通知|方案|编)$")


def title_aliases(document: Document) -> set[str]:
    """Folded names a user may give a document by: its title without date or
    status, without 中华人民共和国, and without the place it starts with
    (中华人民共和国未成年人保护法 → 未成年人保护法; 山东省学前教育条例 → 学前教育条例);
    each at least four characters and ending in a document word."""
    full = fold(bare_title(document.title))
    names = {full}
    for prefix in _NATIONAL_PREFIXES:
        if full.startswith(prefix):
            names.add(full[len(prefix) :])
    j = document.jurisdiction
    places = [fold(p) for p in (j.name, j.province, j.parent) if p] if j is not None else []
    for name in list(names):
        # each place it starts with, one after another (重庆市大渡口区… → 大渡口区… → …)
        rest = name
        while place := next((p for p in places if rest.startswith(p) and len(rest) > len(p)), None):
            rest = rest[len(place) :]
            names.add(rest)
        stripped = re.sub(r"^[\u4e00-\u9fff]{1,8}?(?:经济特区|特别行政区)", "", name)
        if stripped != name:
            names.add(stripped)
    out = {n for n in names if len(n) >= _MIN_TITLE_ALIAS and _TITLE_END.search(n)}
    if len(full) >= 6:  # the full title, whatever it ends with (a court case's)
        out.add(full)
    return out


_NATIONAL_PREFIXES = ("中华人民共和国",)


def _ordered_finder(words: list[str]) -> Any:
    """An Aho-Corasick automaton over ``words`` (None for none), each word's
    value its first position in the list."""
    if not words:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for i, word in reversed(list(enumerate(words))):
        if word:
            automaton.add_word(word, i)  # a repeated word keeps its first position
    automaton.make_automaton()
    return automaton


def _found(finder: Any, text: str) -> list[int]:
    """Positions (ascending) of the finder's words that ``text`` holds."""
    if finder is None or not text:
        return []
    return sorted({i for _, i in finder.iter(text)})


class QueryAnalyzer:
    """Analyses queries against the documents of one index."""

    def __init__(self, documents: Iterable[Document], indicator_names: Iterable[str] = ()):
        documents = list(documents)
        self.places = PlaceIndex(documents)
        self._titles: dict[str, set[str]] = {}
        for doc in documents:
            for alias in title_aliases(doc):
                self._titles.setdefault(alias, set()).add(doc.doc_id)
        self._title_automaton = _automaton(self._titles)
        self._indicators = sorted({fold(n) for n in indicator_names if len(n) >= 3}, key=lambda s: (-len(s), s))
        self._synonyms = [(fold(k), v) for k, v in synonym_map().items()]
        # which of the indicator names and vocabulary keys a query holds, found
        # in one pass over it (thousands of keys), then taken in their order
        self._indicator_finder = _ordered_finder(self._indicators)
        self._synonym_finder = _ordered_finder([k for k, _ in self._synonyms])
        cues = query_cues()
        self._intent_cues = {k: [fold(w) for w in v] for k, v in cues["intent"].items()}
        self._stop = sorted((fold(w) for w in cues["stop"]), key=len, reverse=True)
        self._self_ref = [fold(w) for w in cues["self_reference"]]
        self._genre_cues = {k: [fold(w) for w in v] for k, v in cues.get("genre", {}).items()}

    @property
    def jurisdiction_names(self) -> list[str]:
        """The documents' own jurisdictions."""
        return self.places.own_names

    def resolve_jurisdiction(self, name: str) -> PlaceMatch:
        """What a user-typed place name reaches (full, short or partial name;
        a province includes its cities and counties)."""
        return self.places.resolve(name)

    def analyze(self, query: str) -> QueryAnalysis:
        folded = fold(query)
        analysis = QueryAnalysis(query=query, folded=folded, intent="enquiry")
        # titles first: a place inside a named title (山东省学前教育条例) is no place filter
        squashed = folded
        title_free = folded
        if self._title_automaton is not None:
            titled: set[str] = set()
            for last, alias in self._title_automaton.iter_long(squashed):
                titled |= self._titles[alias]
                analysis.titles_named += 1
                start = last + 1 - len(alias)
                title_free = title_free[:start] + " " * len(alias) + title_free[last + 1 :]
            if titled:
                analysis.title_doc_ids = titled
                for m in _ARTICLE.finditer(folded):
                    number = cn_to_int(m.group(1))
                    sub = cn_to_int(m.group(2)) if m.group(2) else None
                    if number is not None:
                        analysis.articles.append((number, sub))
        pieces: list[str] = []
        outside: list[str] = []  # nor in a title: 西区 of 西区妇女发展纲要 names no other place
        at = 0
        named_places = self.places.find(title_free)
        for start, end, name in named_places:
            analysis.jurisdiction_spans.append((start, end))
            if name not in analysis.jurisdictions:
                analysis.jurisdictions.append(name)
            pieces.append(folded[at:start] + " " * (end - start))
            outside.append(title_free[at:start] + " " * (end - start))
            at = end
        masked = "".join(pieces) + folded[at:]
        unplaced = "".join(outside) + title_free[at:]
        # a place the index has, followed by one inside it that it has not
        # (攀枝花市东区): the question asks about the inner one
        narrower = [
            d for _, end, name in named_places for d in [self.places.narrower(title_free, end, name)] if d is not None
        ]
        if narrower:
            self._reach(analysis, narrower)
        elif analysis.jurisdictions:
            analysis.doc_ids = self.places.docs_in(analysis.jurisdictions)
        else:
            named = self.places.unknown_in(unplaced)
            if named:
                self._reach(analysis, named)
            else:
                place = _PLACE.match(unplaced)
                if place and not place.group(1).endswith(tuple(_NOT_PLACES)) and not _NOT_IN_PLACE_NAMES & set(place.group(1)):
                    analysis.unknown_jurisdiction = place.group(1)
        for word in self._self_ref:
            if word in masked:
                analysis.self_reference = True
                masked = masked.replace(word, " ")
        analysis.years = [int(y) for y in _YEAR.findall(_BASE_YEAR.sub(" ", masked))]
        analysis.numbers = [m.group(0).strip() for m in _NUMBER.finditer(_YEAR.sub(" ", masked))]
        analysis.indicators = [self._indicators[i] for i in _found(self._indicator_finder, masked)]
        for i in _found(self._synonym_finder, masked):
            key, targets = self._synonyms[i]
            analysis.synonym_hits.append((key, [fold(t) for t in targets]))
            analysis.expansions.extend(t for t in targets if fold(t) not in masked)
        analysis.asks_number = asks_quantity(query)
        analysis.intent = self._intent(masked, analysis)
        if analysis.intent == "precedent" and analysis.asks_number and not asks_quantity(query.replace("几", "")):
            # in a question for wording 几 reads as "a few" (看护几个婴幼儿的提法, 放几天假…的
            # 条款写法); only another number word asks one (每周至少开放多少小时的规定)
            analysis.asks_number = False
        analysis.genre = self._genre(masked)
        analysis.quantity = asked_quantity(query) if analysis.asks_number else None
        content = masked
        if analysis.intent == "compare":
            # the words that ask for a comparison (各地, 有规定的地方列一下) say how to
            # answer, not what about: they are no evidence for a clause
            for cue in sorted(self._intent_cues.get("compare", []), key=len, reverse=True):
                if len(cue) >= 2:
                    content = content.replace(cue, " ")
        for word in self._stop:
            if len(word) >= 2:
                content = content.replace(word, " ")
        content = re.sub(r"[？?！!。，,、；;：:“”\"'（）()\s]+", " ", content).strip()
        analysis.content = content or masked.strip()
        return analysis

    def _genre(self, text: str) -> str | None:
        """The genre a question's words point at: a plan (规划里, 纲要) or a law
        (合法吗, 法律上, 违法); None when neither or both."""
        hits = [g for g, cues in self._genre_cues.items() if any(c in text for c in cues)]
        return hits[0] if len(hits) == 1 else None

    def _reach(self, analysis: QueryAnalysis, divisions: list[Division]) -> None:
        """The scope of places the index names no alias of: the documents inside
        them or, when none is, of the places containing them; with neither, the
        first is a place without documents."""
        match = self.places.reach(divisions)
        if match.doc_ids:
            analysis.jurisdictions = match.places
            analysis.doc_ids = match.doc_ids
            analysis.covering = match.covering
        else:
            analysis.jurisdictions = []
            analysis.unknown_jurisdiction = divisions[0].name

    def _intent(self, text: str, analysis: QueryAnalysis) -> str:
        def has(kind: str) -> bool:
            return any(cue in text for cue in self._intent_cues.get(kind, []))

        if has("compare") and has("precedent") and not analysis.asks_number:
            return "precedent"  # how the places word it (各地条文怎么写), no number asked
        # 分别 of one place's several indicators is no comparison; of two
        # documents named by title (未成年人保护法和山东的…条例分别…) it is
        titled = len(analysis.title_doc_ids or ()) > 1
        if has("compare") and (titled or not (len(analysis.jurisdictions) == 1 and "分别" in text and not has("precedent"))):
            return "compare"
        if has("precedent"):
            return "precedent"
        if has("target") or analysis.indicators:
            return "target"
        return "enquiry"
