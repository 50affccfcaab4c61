"""Metadata of a document as printed: title, doc type, jurisdiction, dates,
issuer, document number, period, status, subject.

Nothing here is composed or guessed from a body sentence:

- **Title**: a plan title line (…规划/纲要 with its period), else the first
  heading at the top of the file (consecutive top headings joined:
  中华人民共和国民法典 婚姻家庭编), else a first line that reads as a title (ends
  in 条例/办法/通知 …) or a 《》 line, else the file name without its date.
- **Front matter** after the title (kept out of clauses): subtitle lines
  (period, status), the adoption history of a law (dated lines: …通过/修正/公布),
  the title repeated over several lines, the document number (法释〔2023〕3号),
  and a plan's cover lines (issuer, date).
- **Jurisdiction** from the gazetteer (:mod:`ingest.gazetteer`): the divisions
  the title starts with (北京市…, 深圳经济特区…); a national title (中华人民共和国…)
  or issuer (国务院, 全国人民代表大会常务委员会, 最高人民法院) gives 全国; else the
  issuer, the document number, the file name, the cover lines.  None when
  nothing names one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.blocks import Block
from ingest.model import Jurisdiction
from ingest.profiles import bare_title, detect_doc_type, detect_subject
from ingest.text import article_start, ends_sentence, marker_of, squash

_DASH = r"[—–\-－~～至]+"
PERIOD_RE = re.compile(rf"(\d{{4}})\s*{_DASH}\s*(\d{{4}})\s*年?")
_FIVE_YEAR = {"十三五": (2016, 2020), "十四五": (2021, 2025), "十五五": (2026, 2030)}
# A whole line that is a plan title, e.g. 重庆市大渡口区儿童发展规划（2021-2030年）,
# 乡宁县儿童发展“十四五”规划, 攀枝花市西区妇女发展纲要（2021—2030年）.
TITLE_RE = re.compile(
    r"^(?P<prefix>[\u4e00-\u9fff][^\s《》，。：:、.．]{1,29}?)(?P<subject>妇女儿童|儿童|妇女|青少年|青年|老年人?|残疾人)"
    r"(?:事业)?(?:发展)?(?:[“\"]?(?:十[三四五]五)[”\"]?)?(?:发展)?(?:规划|纲要)"
    rf"\s*(?:[（(]\s*\d{{4}}\s*{_DASH}\s*\d{{4}}\s*年?\s*[）)])?\s*"
    r"(?:[（(](?:征求意见稿|送审稿|印发稿|试行|草案)[）)])?$"
)
# A line under the title that only carries the period and/or the status.
SUBTITLE_RE = re.compile(
    rf"^(?:[（(]\s*\d{{4}}\s*{_DASH}\s*\d{{4}}\s*年?\s*[）)]|[（(](?:征求意见稿|送审稿|印发稿|试行|草案)[）)])+$"
)
STATUS_RE = re.compile(r"[（(](征求意见稿|送审稿|印发稿|试行|草案)[）)]")
_NOT_TITLE = re.compile(r"关于|印发|通知|附件|《|》")
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d{1,5}\s*号")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")
_FILE_DATE = re.compile(r"\s*[（(]\s*(\d{4})\s*[-.]\s*(\d{1,2})\s*[-.]\s*(\d{1,2})\s*[）)]\s*$")
_HISTORY_START = re.compile(r"^[（(]?\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?")
_HISTORY_VERBS = re.compile(r"通过|修正|修订|公布|施行|发布|批准|颁布|废止|修改|实施|印发|决定")
# The end of a history entry wrapped onto a second line: "…的决定》第一次修正", "…通过）".
_HISTORY_TAIL = re.compile(r"(?:通过|修正|修订|公布|施行|发布|批准|颁布|废止|修改|实施|印发)(?:根据)?[）)]?$|[）)]$")
_ORDINAL = re.compile(r"第?[一二三四五六七八九十百零〇\d]+(?:届|次)")
_TITLE_ENDINGS = re.compile(
    r"(?:法|法典|条例|规定|办法|细则|规则|规程|决定|决议|解释|批复|通知|通告|公告|意见|方案|规划|纲要|计划|标准|准则|章程|要点)"
    r"(?:[（(][^（）()]{1,16}[）)])*$"
)
_WRAPPED_TITLE = re.compile(r"^《([^《》]{2,80})》$")
SUBJECT_SLUGS = {"儿童": "children", "妇女": "women", "妇女儿童": "women-children"}
_MAX_TITLE_CHARS = 120


@dataclass
class DetectedMetadata:
    """What the printed text says about one document (None where it says nothing)."""

    title: str | None = None
    title_printed: bool = False
    doc_type: str = "document"
    subject: str | None = None
    jurisdiction: Jurisdiction | None = None
    period: tuple[int, int] | None = None
    status: str | None = None
    issued: str | None = None
    version: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    title_line: int | None = None
    header_lines: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def _issuer_data() -> dict[str, Any]:
    path = Path(__file__).resolve().parent / "data" / "issuers.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def issuer_of(text: str) -> str | None:
    """The body a history or cover line names as its issuer, ordinals dropped:
    "山东省第十三届人民代表大会常务委员会第三十二次会议通过" → 山东省人民代表大会常务委员会;
    "第十四届全国人民代表大会常务委员会第九次会议" → 全国人民代表大会常务委员会;
    "国务院第15次常务会议通过" → 国务院; None when it names none."""
    flat = DATE_RE.sub("", squash(text))
    best: tuple[int, str] | None = None
    for organ in _issuer_data()["organs"]:
        at = flat.find(organ)
        if at < 0:
            continue
        if best is None or at < best[0] or (at == best[0] and len(organ) > len(best[1])):
            best = (at, organ)
    if best is None:
        return None
    at, organ = best
    before = _ORDINAL.sub("", flat[:at])
    # the place before the organ: the trailing run of CJK characters after any punctuation
    m = re.search(r"[\u4e00-\u9fff]{0,16}$", re.split(r"[，,。；;、：:《》“”\s]", before)[-1])
    place = m.group(0) if m else ""
    for word in _issuer_data().get("not_place_words", []):
        if place.endswith(word):
            place = place[: -len(word)]
    return (place + organ) if organ not in place else place


# --------------------------------------------------------------------------- titles


def match_title(text: str) -> re.Match[str] | None:
    """The title match when the whole line ``text`` is a plan title."""
    text = squash(text)
    if not text or _NOT_TITLE.search(text):
        return None
    return TITLE_RE.match(text)


def find_title_lines(lines: list[Block]) -> list[int]:
    """Indexes (into ``lines``) of lines that are whole plan titles, in order."""
    return [
        i
        for i, line in enumerate(lines)
        if not line.is_table and not line.boilerplate and not line.tab_led and match_title(line.text)
    ]


def header_span(lines: list[Block], title_index: int) -> list[int]:
    """The title line plus directly following subtitle lines (period/status)."""
    span = [title_index]
    i = title_index + 1
    while i < len(lines):
        line = lines[i]
        if line.is_table:
            break
        if line.blank or line.boilerplate:
            i += 1
            continue
        if SUBTITLE_RE.match(squash(line.text)):
            span.append(i)
            i += 1
            continue
        break
    return span


def looks_like_title(text: str) -> bool:
    """A line that reads as a document title: short, no sentence, no numbering,
    ending in a document word (条例, 办法, 通知, 规划 …) or wrapped in 《》."""
    flat = squash(text)
    if not flat or len(flat) > _MAX_TITLE_CHARS:
        return False
    if _WRAPPED_TITLE.match(flat):
        return True
    if re.search(r"[。；;！!？?]", flat) or ends_sentence(flat):
        return False
    if article_start(flat) or marker_of(flat, ("cn_enum", "paren_cn", "arabic", "paren_arabic", "chapter", "section")):
        return False
    return bool(_TITLE_ENDINGS.search(flat))


def file_title(file_name: str) -> tuple[str, str | None]:
    """(title, ISO date) from a file name: the stem without a trailing
    ``(2024-12-31)`` date, which is returned as the version date."""
    stem = Path(file_name).stem
    m = _FILE_DATE.search(stem)
    if m:
        date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        return stem[: m.start()].strip() or stem, date
    return stem.strip(), None


_TITLE_WINDOW = 12  # non-blank blocks searched for a printed title
_STRUCTURE = ("part", "subpart", "chapter", "section", "cn_enum", "paren_cn")


def find_printed_title(lines: list[Block]) -> tuple[str, list[int]] | None:
    """The title printed at the top, with the indexes of its lines: the first
    heading (and the top-level headings right after it, before any text:
    中华人民共和国民法典 / 婚姻家庭编), or the first line that reads as a title,
    among the first blocks of the file (a web page's navigation line may come
    first).  The search stops where the text starts: an article, a numbered
    heading, a finished sentence."""
    seen = 0
    for first, block in enumerate(lines):
        if block.is_table or not block.text or block.boilerplate:
            continue
        seen += 1
        if seen > _TITLE_WINDOW:
            return None
        flat = squash(block.text)
        if article_start(block.text.strip()) or marker_of(flat, _STRUCTURE):
            return None
        if block.kind == "heading" and len(flat) <= _MAX_TITLE_CHARS:
            return _heading_title(lines, first)
        if looks_like_title(block.text):
            wrapped = _WRAPPED_TITLE.match(flat)
            return (wrapped.group(1) if wrapped else block.text.strip()), [first]
        if len(flat) >= 20 and ends_sentence(flat) and not is_history_line(flat):
            return None
    return None


def _heading_title(lines: list[Block], first: int) -> tuple[str, list[int]]:
    block = lines[first]
    indexes = [first]
    k = first + 1
    while k < len(lines):
        nxt = lines[k]
        if nxt.is_table:
            break
        if nxt.blank or nxt.boilerplate:
            k += 1
            continue
        if nxt.kind == "heading" and nxt.level == block.level and not marker_of(squash(nxt.text), _STRUCTURE):
            indexes.append(k)
            k += 1
            continue
        break
    wrapped = _WRAPPED_TITLE.match(squash(block.text))
    title = " ".join(lines[i].text.strip() for i in indexes)
    return (wrapped.group(1) if wrapped and len(indexes) == 1 else title), indexes


# --------------------------------------------------------------------------- front matter


def is_history_line(text: str) -> bool:
    """A dated line of a law's adoption history (…通过 / …修正 / …公布 / …施行)."""
    flat = squash(text)
    return bool(_HISTORY_START.match(flat)) and bool(_HISTORY_VERBS.search(flat)) and len(flat) <= 400


def _title_key(text: str) -> str:
    return re.sub(r"[\s、，,·•《》〈〉“”\"']", "", text)


def front_matter(lines: list[Block], start: int, title: str | None) -> list[int]:
    """Indexes of the front matter from ``start`` on (see the module
    docstring): history lines and their wrapped continuations, the title
    repeated over lines, the document number, a period/status subtitle."""
    out: list[int] = []
    key = _title_key(title or "")
    in_history = False
    i = start
    while i < len(lines):
        line = lines[i]
        if line.is_table:
            break
        if line.blank or line.boilerplate:
            i += 1
            continue
        flat = squash(line.text)
        spaced = line.text.strip()
        if is_history_line(flat):
            out.append(i)
            in_history = not ends_sentence(flat) and not flat.endswith(("）", ")"))
        elif key and len(_title_key(flat)) >= 2 and _title_key(flat) in key:
            out.append(i)  # the title printed again, over several lines
            in_history = False
        elif DOC_NUMBER_RE.fullmatch(flat) or SUBTITLE_RE.match(flat):
            out.append(i)
            in_history = False
        elif in_history and len(flat) <= 200 and _HISTORY_TAIL.search(flat) and not article_start(spaced):
            out.append(i)  # a history line wrapped onto the next line
            in_history = False
        else:
            break
        i += 1
    return out


# --------------------------------------------------------------------------- jurisdiction


def _division_jurisdiction(chain: list[Any]) -> Jurisdiction:
    """The innermost division of a chain as a Jurisdiction; a name that is
    ambiguous alone (西区: several divisions, or an ordinary word) keeps its
    parent in front (攀枝花市西区)."""
    from ingest.gazetteer import gazetteer

    division = chain[-1]
    j: Jurisdiction = division.jurisdiction()
    same_name = [d for d in gazetteer().lookup(division.name) if d.name == division.name and d.current]
    if division.parent and len(chain) > 1 and (len(same_name) > 1 or len(division.name) <= 2):
        return Jurisdiction(
            name=division.parent + division.name, level=j.level, province=j.province, parent=j.parent, code=j.code
        )
    return j


def _leading_chain(text: str, context: str) -> list[Any]:
    """The divisions ``text`` starts with; a last step that is ambiguous is
    settled by the context (the issuer, the front matter), or — when the
    candidates are one name over the years (莱芜市, a county-level city until
    1992, then a prefecture) — by the latest."""
    from ingest.gazetteer import gazetteer

    gaz = gazetteer()
    steps = gaz.leading_candidates(text)
    chain = [step[0] for step in steps if len(step) == 1]
    if steps and len(steps[-1]) > 1:
        candidates = steps[-1]
        chosen = gaz.best(candidates, context) if context else None
        if chosen is None and len({d.name for d in candidates}) == 1:
            chosen = max(candidates, key=lambda d: (d.current, d.last_year, -d.rank))
        if chosen is not None:
            chain.append(chosen)
    return chain


def _title_place(title: str) -> str | None:
    """A place a title names by a convention in the data (中国（上海）自由贸易试验区…)."""
    for pattern in _issuer_data().get("title_place_patterns", []):
        m = re.match(pattern, title)
        if m:
            return m.group("place")
    return None


def _places_or_national(issuer: str) -> bool:
    from ingest.gazetteer import gazetteer, is_national_issuer

    return is_national_issuer(issuer) or bool(gazetteer().leading(issuer))


def national_signal(lines: list[str], issuer: str | None) -> bool:
    """Whether the issuer or the front-matter lines (outside 《》 titles they
    cite) name a national body (国务院, 中华人民共和国…部令)."""
    from ingest.gazetteer import is_national_issuer

    if issuer and is_national_issuer(issuer):
        return True
    prefixes = _issuer_data().get("national_title_prefixes", [])
    for line in lines:
        bare = re.sub(r"《[^《》]{0,200}》", "", squash(line))
        if any(p in bare for p in prefixes):
            return True
    return False


def jurisdiction_from(
    title: str | None,
    issuer: str | None,
    doc_number: str | None,
    file_stem: str | None,
    cover: list[str],
    doc_type: str,
    front: list[str] | None = None,
) -> Jurisdiction | None:
    """The document's jurisdiction from the title, issuer, 文号, file name and
    cover lines, in that order (see the module docstring); None when none names one.

    A title that starts with a division's short name only (上海航运交易所…) yields
    to a national issuer in the front matter (a ministry's rule about a place)."""
    from ingest.gazetteer import gazetteer, is_national_issuer, national_jurisdiction

    gaz = gazetteer()
    national_title = _issuer_data().get("national_title_prefixes", [])
    context = "".join([issuer or "", *(front or []), *cover])
    if title:
        flat = bare_title(title)
        if any(flat.startswith(p) for p in national_title):
            return national_jurisdiction()
        named = _title_place(flat)
        chain = _leading_chain(named, context) if named else _leading_chain(flat, context)
        if chain:
            full = named is not None or flat.startswith(chain[0].name)
            if full or not national_signal(list(front or []), issuer):
                return _division_jurisdiction(chain)
    if issuer:
        if is_national_issuer(issuer):
            return national_jurisdiction()
        chain = gaz.leading(issuer)
        if chain:
            return _division_jurisdiction(chain)
    if title and doc_type in _issuer_data().get("national_when_unplaced", []):
        return national_jurisdiction()
    for text in [doc_number or "", file_stem or "", *cover]:
        flat = squash(text)
        if not flat:
            continue
        chain = gaz.leading(flat)
        if chain and flat.startswith(chain[0].name):
            return _division_jurisdiction(chain)
        organ = issuer_of(flat)
        if organ and is_national_issuer(organ):
            return national_jurisdiction()
    return None


# --------------------------------------------------------------------------- all together


def period_from(text: str) -> tuple[int, int] | None:
    """The plan period printed in ``text`` (2021—2030年, or “十四五”)."""
    m = PERIOD_RE.search(text)
    if m:
        return int(m.group(1)), int(m.group(2))
    for key, years in _FIVE_YEAR.items():
        if key in text:
            return years
    return None


def iso_date(m: re.Match[str]) -> str:
    year, month, day = m.group(1), int(m.group(2)), m.group(3)
    return f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")


def detect_metadata(
    title: str | None,
    title_printed: bool,
    front: list[str],
    cover: list[str],
    file_name: str,
    headings: list[str] | None = None,
    title_line: int | None = None,
    header_lines: list[int] | None = None,
) -> DetectedMetadata:
    """Metadata of one document from its printed title (None: the file name
    stands in), its front matter (history, subtitles, doc number), its cover
    lines (issuing notice, issuer and date lines) and its file name."""
    stem, file_date = file_title(file_name)
    meta = DetectedMetadata(title=title or stem, title_printed=title_printed and bool(title))
    meta.title_line = title_line
    meta.header_lines = list(header_lines or [])
    text_title = meta.title or ""
    meta.doc_type = detect_doc_type(text_title, headings or [])
    meta.subject = detect_subject(text_title)
    plan = match_title(text_title)
    if plan:
        meta.subject = plan.group("subject")
    meta.period = period_from(text_title) if meta.doc_type == "plan" else None
    status = None
    for line in front:
        if m := STATUS_RE.fullmatch(squash(line)):
            status = m.group(1)
    in_title = STATUS_RE.search(text_title)
    meta.status = status or (in_title.group(1) if in_title else None) or "正式"
    history = [line for line in front if is_history_line(line)]
    context = "\n".join(front + cover)
    number = DOC_NUMBER_RE.search(context)
    if number:
        meta.doc_number = squash(number.group(0))
    # the first issuer that names a place or a national body (a line may say
    # only 市十四届人大常委会, a later one 宁波市人民代表大会常务委员会)
    issuers = [found for line in history + cover if (found := issuer_of(line))]
    issuer = next((i for i in issuers if _places_or_national(i)), issuers[0] if issuers else None)
    meta.issuer = issuer
    history_dates = [iso_date(m) for line in history for m in DATE_RE.finditer(line)]
    if history_dates:
        meta.issued = history_dates[0]
        meta.version = file_date or history_dates[-1]
    else:
        dates = list(DATE_RE.finditer("\n".join(cover)))
        meta.issued = iso_date(dates[-1]) if dates else None
        meta.version = file_date or meta.issued
    meta.jurisdiction = jurisdiction_from(
        meta.title if title else None, issuer, meta.doc_number, stem, cover, meta.doc_type, front
    )
    return meta


def slugify(name: str) -> str:
    """A doc-id slug from a file name: lower-case letters, digits and Chinese
    characters, other runs as "-" (未成年人保护法(2024-04-26) →
    未成年人保护法-2024-04-26); at most 60 characters, a hash added when cut;
    a hash for a name with nothing usable."""
    slug = re.sub(r"[^a-z0-9\u3400-\u4dbf\u4e00-\u9fff]+", "-", name.lower()).strip("-")
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    if len(slug) > 60:
        slug = slug[:49].rstrip("-") + "-" + digest
    if len(re.sub(r"[^a-z\u3400-\u4dbf\u4e00-\u9fff]", "", slug)) < 2:
        slug = f"doc-{digest}" if not slug else f"doc-{slug}-{digest}"
    return slug
