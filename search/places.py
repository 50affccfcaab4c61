"""The places of one index's documents, and how users name them.

Every document's jurisdiction is placed in the gazetteer (its division and
the divisions above it), so that a filter or a query naming any division —
by full or short name, 山东 or 山东省, 青岛, 深圳, 黄浦区 — reaches the documents
inside it: a province includes its cities and counties.  A place with no
document of its own reaches the documents of the areas that contain it
(黄岛区 → 青岛市, 山东省), said so in a message.  National documents are 全国.

Names are matched in a query with one Aho-Corasick automaton built once per
index (linear in the query's length); no alias is shorter than two
characters, so nothing a document contains can make matching loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from index.textnorm import fold
from ingest.gazetteer import Division, division_of, gazetteer
from ingest.model import Document

MIN_ALIAS = 2
_ADMIN_SUFFIXES = ("自治区", "自治县", "自治州", "自治旗", "特别行政区", "地区", "省", "市", "区", "县", "旗", "盟", "州")


@dataclass
class Place:
    """An area users may name: a document's own jurisdiction or a division
    that contains one (its province, its city)."""

    name: str
    doc_ids: set[str] = field(default_factory=set)  # documents inside it
    division: Division | None = None
    own: bool = False  # some document's own jurisdiction


@dataclass
class PlaceMatch:
    """What a user-typed place name reaches."""

    places: list[str]  # the places named (their names)
    doc_ids: set[str]  # documents inside them (or covering them)
    covering: list[str] = field(default_factory=list)  # places that contain a place with no documents of its own


def _strip_suffix(name: str) -> str:
    for suffix in _ADMIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return ""


def own_aliases(name: str, parent: str | None, province: str | None) -> set[str]:
    """Names a user may type for a document's own jurisdiction:
    大渡口区 → 大渡口区, 重庆市大渡口区, 大渡口; 攀枝花市西区 → 攀枝花市西区, 攀枝花西区, 西区."""
    names: set[str] = {name}
    for prefix in (parent, province):
        if prefix and not name.startswith(prefix):
            names.add(prefix + name)
    if parent and name.startswith(parent) and len(name) > len(parent) + 1:
        short = name[len(parent) :]
        names.add(short)
        parent_short = _strip_suffix(parent)
        if parent_short:
            names.add(parent_short + short)
    for alias in list(names):
        stripped = _strip_suffix(alias)
        if len(stripped) >= MIN_ALIAS:  # 西区 → 西 is too ambiguous to use
            names.add(stripped)
    return {n for n in names if len(n) >= MIN_ALIAS}


class PlaceIndex:
    """Places of the documents of one index (see the module docstring)."""

    def __init__(self, documents: Iterable[Document]) -> None:
        gaz = gazetteer()
        self.places: dict[str, Place] = {}
        self._by_code: dict[str, str] = {}  # division code -> place name
        self._aliases: dict[str, str] = {}  # folded alias -> place name
        self.national_name = ""
        for doc in documents:
            j = doc.jurisdiction
            if j is None or not j.name:
                continue
            place = self._place(j.name)
            place.own = True
            place.doc_ids.add(doc.doc_id)
            if j.level == "国家":
                self.national_name = j.name
                continue
            division = division_of(j)
            if division is not None:
                place.division = place.division or division
                self._by_code.setdefault(division.code, j.name)
                for ancestor in gaz.ancestors(division):
                    outer = self._place(self._by_code.get(ancestor.code, ancestor.name))
                    outer.division = outer.division or ancestor
                    self._by_code.setdefault(ancestor.code, outer.name)
                    outer.doc_ids.add(doc.doc_id)
            for alias in own_aliases(j.name, j.parent, j.province):
                self._aliases.setdefault(fold(alias), j.name)
        for name, place in self.places.items():
            self._aliases.setdefault(fold(name), name)
            division = place.division
            if division is not None:
                self._aliases.setdefault(fold(division.name), name)
                # short names of provinces and cities (山东, 青岛); a county's only
                # from three characters (大渡口), two-character ones are too often words
                if division.short and (division.rank < 3 or len(division.short) >= 3):
                    self._aliases.setdefault(fold(division.short), name)
        self._aliases = {a: n for a, n in self._aliases.items() if len(a) >= MIN_ALIAS}
        self._automaton = _automaton(self._aliases)

    def _place(self, name: str) -> Place:
        place = self.places.get(name)
        if place is None:
            place = self.places[name] = Place(name)
        return place

    @property
    def own_names(self) -> list[str]:
        """The documents' own jurisdictions, sorted."""
        return sorted(n for n, p in self.places.items() if p.own)

    def find(self, folded_query: str) -> list[tuple[int, int, str]]:
        """Places named in a folded query: (start, end, place name), leftmost-
        longest, non-overlapping, in order; linear in the query's length."""
        if self._automaton is None or not folded_query:
            return []
        out = []
        for last, alias in self._automaton.iter_long(folded_query):
            out.append((last + 1 - len(alias), last + 1, self._aliases[alias]))
        return out

    def narrower(self, folded_query: str, end: int, name: str) -> Division | None:
        """A division named right after the place ``name`` whose mention ends
        at ``end``, and inside it, that no document of the index lies in
        or is: the place the query asks about (攀枝花市东区, or 攀枝花东区 with
        the city's short name, where only 攀枝花市西区 has documents). None
        when the place is named alone or the next one has documents."""
        place = self.places.get(name)
        if place is None or place.division is None:
            return None
        deeper = _named_below(gazetteer(), folded_query, end, place.division)
        if deeper is None or self._by_code.get(deeper.code) is not None:
            return None
        return deeper

    def docs_in(self, names: Iterable[str]) -> set[str]:
        """Documents inside the named places."""
        out: set[str] = set()
        for name in names:
            place = self.places.get(name)
            if place is not None:
                out |= place.doc_ids
        return out

    def resolve(self, text: str) -> PlaceMatch:
        """What a user-typed place name (a filter) reaches: a known alias; the
        national documents for 全国; any division of the gazetteer by full or
        short name (the documents inside it, else those of the areas that
        contain it); else a place whose name contains the text or is contained
        in it (西区). Empty when nothing matches."""
        key = fold(text.strip())
        if len(key) < MIN_ALIAS and key not in (fold(self.national_name),):
            return PlaceMatch([], set())
        if self.national_name and key in (fold(self.national_name), "国家", "中央"):
            return PlaceMatch([self.national_name], self.docs_in([self.national_name]))
        name = self._aliases.get(key)
        if name is not None:
            return PlaceMatch([name], self.docs_in([name]))
        divisions = gazetteer().lookup(text.strip())
        if divisions:
            match = self.reach(divisions)
            if match.doc_ids:
                return match
        partial = sorted(
            {n for alias, n in self._aliases.items() if key in alias or alias in key}
        )
        return PlaceMatch(partial, self.docs_in(partial))

    def reach(self, divisions: list[Division]) -> PlaceMatch:
        """The documents inside any of ``divisions``; when none has documents,
        those of the places that contain one (a county's city and province)."""
        gaz = gazetteer()
        inside: set[str] = set()
        names: list[str] = []
        for division in divisions:
            for place in self.places.values():
                if place.division is not None and gaz.contains(division, place.division):
                    inside |= place.doc_ids
                    if division.name not in names:
                        names.append(division.name)
        if inside:
            return PlaceMatch(names, inside)
        covering: list[str] = []
        for division in divisions:
            for ancestor in gaz.ancestors(division):
                name = self._by_code.get(ancestor.code)
                if name is not None and self.places[name].own:
                    covering.append(name)
        covering = list(dict.fromkeys(covering))
        return PlaceMatch([d.name for d in divisions[:1]], self.docs_in(covering), covering)

    def unknown_in(self, folded_query: str) -> list[Division]:
        """Divisions a query names that no alias of this index matched: a place
        the query asks about.  Full names count anywhere; a province's short
        name (北京, 浙江) too; a city's short name (成都, 西安) where it reads as a
        place — before 的 or standing alone (成都的婴儿死亡率, 成都 婴儿死亡率) —
        since many are also ordinary words inside others (长治久安, 来宾接待, 中山大学)."""
        found: list[Division] = []
        gaz = gazetteer()
        for mention in gaz.scan(folded_query, shorts=True):
            divisions = [d for d in mention.divisions if d.name == mention.surface or d.rank == 1]
            if not divisions and _reads_as_place(folded_query, mention.start, mention.end):
                divisions = [d for d in mention.divisions if d.rank == 2]
            if divisions:
                current = [d for d in divisions if d.current] or divisions
                found.append(current[0])
        # the most specific place asked: 四川省成都市 asks about 成都市, not the
        # province whose other cities (自贡) have documents
        return [d for d in found if not any(e is not d and e.code != d.code and gaz.contains(d, e) for e in found)]


# how far a chain of divisions is read from a mention (四川省攀枝花市东区: 9)
_CHAIN_CHARS = 40


def _named_below(gaz: Any, folded_query: str, end: int, division: Division) -> Division | None:
    """The innermost division of the chain named from the mention of
    ``division`` that ends at ``end`` (攀枝花市东区 → 东区), when it lies strictly
    inside ``division``; a district's name too short to be found alone (东区) is
    read right after its city. The mention is read as the division's full name
    (攀枝花 → 攀枝花市), so a short name leads a chain as the full one does."""
    chain = gaz.leading(division.name + folded_query[end : end + _CHAIN_CHARS])
    if not chain:
        return None
    last = chain[-1]
    if last.code == division.code or not gaz.contains(division, last):
        return None
    return last


def _reads_as_place(text: str, start: int, end: int) -> bool:
    """A short name with no Chinese character on either side, or followed by a
    word that makes it the place asked about (哈尔滨对…, 成都的…; the list is
    ``place_followers`` in ``search/data/query_cues.json``) — not inside
    another word (中山大学, 长治久安, 来宾接待)."""
    after = text[end : end + 1]
    before = text[start - 1 : start] if start else ""
    if any(text.startswith(word, end) for word in _place_followers()):
        return True
    return not _is_cjk(after) and not _is_cjk(before)


@lru_cache(maxsize=1)
def _place_followers() -> tuple[str, ...]:
    from .query import query_cues

    return tuple(query_cues().get("place_followers", ["的"]))


def _is_cjk(char: str) -> bool:
    return bool(char) and "\u3400" <= char <= "\u9fff"


def _automaton(words: Iterable[str]) -> Any:
    """An Aho-Corasick automaton mapping each word to itself (None for no words)."""
    words = list(words)
    if not words:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for alias in words:
        automaton.add_word(alias, alias)
    automaton.make_automaton()
    return automaton
