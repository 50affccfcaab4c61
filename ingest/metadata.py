"""Metadata detection for plans that the catalog does not describe.

Everything here reads the printed text: the title line (…(发展)?(规划|纲要)…
with its period), the jurisdiction named by the title's prefix, the subject,
the period, a printed status (征求意见稿 …), an issue date and a document
number from the issuing notice or cover.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ingest.clean import Line, squash
from ingest.model import Jurisdiction

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
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{2,12}〔\d{4}〕\d+号")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")

MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
PROVINCES = (
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
)
AUTONOMOUS_REGIONS = (
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
)
_UNIT_RE = re.compile(r".{2,}?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|州|盟|地区|区|县|旗)")
SUBJECT_SLUGS = {"儿童": "children", "妇女": "women", "妇女儿童": "women-children"}


@dataclass
class DetectedMetadata:
    """What the printed text says about one plan (None where it says nothing)."""

    title: str | None = None
    subject: str | None = None
    jurisdiction: Jurisdiction | None = None
    period: tuple[int, int] | None = None
    status: str | None = None
    issued: str | None = None
    doc_number: str | None = None
    title_line: int | None = None
    header_lines: list[int] = field(default_factory=list)


def match_title(text: str) -> re.Match[str] | None:
    """The title match when the whole line ``text`` is a plan title."""
    text = squash(text)
    if not text or _NOT_TITLE.search(text):
        return None
    return TITLE_RE.match(text)


def find_title_lines(lines: list[Line]) -> list[int]:
    """Indexes (into ``lines``) of lines that are whole plan titles, in order."""
    return [
        i
        for i, line in enumerate(lines)
        if not line.boilerplate and not line.tab_led and match_title(line.text)
    ]


def header_span(lines: list[Line], title_index: int) -> list[int]:
    """The title line plus directly following subtitle lines (period/status)."""
    span = [title_index]
    i = title_index + 1
    while i < len(lines):
        line = lines[i]
        if line.blank or line.boilerplate:
            i += 1
            continue
        if SUBTITLE_RE.match(squash(line.text)):
            span.append(i)
            i += 1
            continue
        break
    return span


def split_units(prefix: str) -> list[str]:
    """Split a jurisdiction prefix into administrative units (重庆市|大渡口区)."""
    units = _UNIT_RE.findall(prefix)
    rest = prefix[len("".join(units)) :]
    if rest:
        units.append(rest)
    return units


def province_of(unit: str) -> str | None:
    """The province a unit names, when it is one (四川省, 重庆市, 内蒙古自治区)."""
    if unit in MUNICIPALITIES or unit in AUTONOMOUS_REGIONS:
        return unit
    for name in PROVINCES:
        if unit in (name, name + "省"):
            return name + "省"
    return None


def level_of(name: str) -> str | None:
    """Administrative level from a unit's suffix (市辖区 for 区, 地级市 for 市 …)."""
    if name in MUNICIPALITIES:
        return "直辖市"
    if province_of(name):
        return "省级"
    for suffix, level in (
        ("自治县", "自治县"),
        ("自治旗", "自治旗"),
        ("自治州", "自治州"),
        ("新区", "市辖区"),
        ("区", "市辖区"),
        ("县", "县"),
        ("旗", "旗"),
        ("盟", "盟"),
        ("州", "地级市"),
        ("市", "地级市"),
    ):
        if name.endswith(suffix):
            return level
    return None


def jurisdiction_from_prefix(prefix: str) -> Jurisdiction:
    """A :class:`Jurisdiction` from a title prefix such as 重庆市大渡口区.

    The name is the innermost unit; a very short innermost unit (西区) keeps
    its parent in the name (攀枝花市西区) since it is ambiguous alone.
    """
    units = split_units(prefix)
    if not units:
        return Jurisdiction(name=prefix)
    name = units[-1]
    parents = units[:-1]
    if len(name) <= 2 and parents:
        name = parents[-1] + name
    province = next((p for p in (province_of(u) for u in units[:-1]) if p), None)
    parent = parents[-1] if parents else None
    if len(units[-1]) <= 2 and len(parents) >= 1:
        parent = parents[-1]
    return Jurisdiction(name=name, level=level_of(units[-1]), province=province, parent=parent)


def period_from(text: str) -> tuple[int, int] | None:
    """The plan period printed in ``text`` (2021—2030年, or “十四五”)."""
    m = PERIOD_RE.search(text)
    if m:
        return int(m.group(1)), int(m.group(2))
    for key, years in _FIVE_YEAR.items():
        if key in text:
            return years
    return None


def find_reference_province(text: str, own_name: str) -> str | None:
    """The province the text names: a cited provincial plan (《四川儿童发展纲要…》)
    first, else the province name printed most often (内蒙古自治区, 四川省)."""
    for m in re.finditer(r"《([^《》]{2,12}?)(?:妇女|儿童)发展(?:规划|纲要)", text):
        ref = m.group(1)
        if ref in ("中国", own_name):
            continue
        province = province_of(ref) or province_of(ref.rstrip("省"))
        if province:
            return province
    names = [p + "省" for p in PROVINCES] + list(AUTONOMOUS_REGIONS)
    counts = {name: text.count(name) for name in names}
    best = max(counts, key=lambda n: counts[n])
    return best if counts[best] else None


def find_reference_parent(text: str, own_name: str) -> str | None:
    """A parent city named by a cited plan of the level above (《包头市儿童发展纲要…》)."""
    for m in re.finditer(r"《([^《》]{2,12}?[市州盟])(?:妇女|儿童)发展(?:规划|纲要)", text):
        ref = m.group(1)
        if ref != own_name and not province_of(ref) and ref not in own_name:
            return ref
    return None


def infer_untitled(text: str) -> DetectedMetadata:
    """Metadata for a plan that prints no title, from what the text names:
    the issuing authority (自贡市委市政府 -> 自贡市), the subject it is about,
    what it calls itself (本纲要/本规划) and the period of the plans it cites."""
    meta = DetectedMetadata()
    m = re.search(r"([\u4e00-\u9fff]{2,8}?[省市县区旗])(?:委|人民政府|政府)", text)
    subjects = {s: text.count(s) for s in ("儿童", "妇女")}
    subject = max(subjects, key=lambda k: subjects[k]) if any(subjects.values()) else None
    kind = "纲要" if text.count("本纲要") >= text.count("本规划") else "规划"
    periods = re.findall(rf"《[^《》]*?[（(](\d{{4}})\s*{_DASH}\s*(\d{{4}})年[）)]》", text)
    if periods:
        start, end = max(set(periods), key=periods.count)
        meta.period = (int(start), int(end))
    if m and subject:
        meta.jurisdiction = jurisdiction_from_prefix(m.group(1))
        meta.subject = subject
        title = f"{m.group(1)}{subject}发展{kind}"
        if meta.period:
            title += f"（{meta.period[0]}—{meta.period[1]}年）"
        meta.title = title
    meta.status = "正式"
    return meta


def iso_date(m: re.Match[str]) -> str:
    year, month, day = m.group(1), int(m.group(2)), m.group(3)
    return f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")


def detect_metadata(
    lines: list[Line], title_index: int | None, context: list[Line], body_text: str = ""
) -> DetectedMetadata:
    """Detect a plan's metadata.

    ``title_index`` is the plan's title line in ``lines`` (None when no
    title is printed); ``context`` holds the lines printed before the body
    (issuing notice, cover) where a date and a document number are looked
    for; ``body_text`` is searched for a cited provincial plan.
    """
    meta = DetectedMetadata() if title_index is not None else infer_untitled(body_text)
    if title_index is not None:
        span = header_span(lines, title_index)
        meta.header_lines = [lines[i].no for i in span]
        meta.title_line = lines[title_index].no
        title = lines[title_index].text.strip()
        status = None
        for i in span[1:]:
            sub = lines[i].text.strip()
            if status_match := STATUS_RE.fullmatch(squash(sub)):
                status = status_match.group(1)
                if status == "征求意见稿":
                    title += sub
            elif not PERIOD_RE.search(title):
                title += sub
        m = match_title(title)
        meta.title = title
        if m:
            meta.subject = m.group("subject")
            meta.jurisdiction = jurisdiction_from_prefix(m.group("prefix"))
        meta.period = period_from(title)
        in_title = STATUS_RE.search(title)
        meta.status = status or (in_title.group(1) if in_title else None) or "正式"
    context_text = "\n".join(line.text for line in context if not line.boilerplate)
    number = DOC_NUMBER_RE.search(context_text)
    if number:
        meta.doc_number = number.group(0)
    dates = list(DATE_RE.finditer(context_text))
    if dates:
        meta.issued = iso_date(dates[-1])
    if meta.jurisdiction and body_text:
        j = meta.jurisdiction
        province = j.province or find_reference_province(body_text, j.name)
        parent = j.parent
        if parent is None and j.level in ("市辖区", "县", "旗", "自治县"):
            parent = find_reference_parent(body_text, j.name)
        meta.jurisdiction = Jurisdiction(j.name, j.level, province, parent)
    return meta


def slugify(name: str) -> str:
    """A doc-id slug from a file name: [a-z0-9-]; a hash for non-ASCII names."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(re.sub(r"[^a-z]", "", slug)) < 2:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
        slug = f"doc-{digest}" if not slug else f"doc-{slug}-{digest}"
    return slug
