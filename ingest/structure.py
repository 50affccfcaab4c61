"""Structure parsing: the blocks of one document -> clauses, driven by a profile.

One generic parser reads every genre; what differs by genre is data (a
:class:`~ingest.profiles.Profile`: heading markers by level, label headings,
the clause unit).  It works in three passes:

1. **Segments** (:func:`build_segments`): blocks are grouped into headings,
   articles (第X条 with all its 款, 项 and 目, up to the next article or
   heading: the clause unit of laws), numbered items (``3.`` / ``3．`` /
   ``- 3.`` / ``## 3.``, the clause unit of plans), ``（一）…。body``
   paragraphs, plain paragraphs and table rows.  A line that starts neither
   a heading, an article nor an item and follows no finished sentence
   (。！？；：) continues the current segment, across blank lines too
   ("宫颈癌、乳腺癌综" … "合防治能力").  An item number is only believed when it
   follows the sequence (so "3.0‰" at the start of a broken line is text).
   Tables are read wherever they stand: a reader's table block, or a run of
   tab-led lines of a text file that is an indicator table flattened one cell
   per line (大渡口 专栏一).
2. **Repair** (:func:`repair_sections`): in sections under a label heading
   (主要目标, 策略措施 …), unnumbered paragraphs that fill a gap in the
   numbering get the missing number (乡宁's lost "1."), marked inferred; other
   unnumbered paragraphs after an item are that item's further paragraphs.
3. **Clauses** (:func:`segments_to_clauses`): the heading stack gives each
   segment its section path (as printed, markdown stripped; 编 › 分编 › 章 › 节
   nest); the kind is ``article`` for an article, the label's kind for an
   item under a label (主要目标 → target, 策略措施 → measure, 基本原则 →
   principle), ``indicator`` for a row of an indicator table, ``row`` for a
   row of any other table, else ``narrative``.

Heading levels come from the numbering and the profile, never from markdown
depth; a line the source marks as a heading (markdown ``#``, Word Heading)
with no numbering is a heading of the profile's ``unnumbered_heading_level``
when it is short and not a sentence (案情回顾).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.blocks import Block, Cell
from ingest.model import Clause
from ingest.profiles import (
    Profile,
    all_label_kinds,
    box_words,
    get_profile,
    indicator_table_headers,
)
from ingest.text import (
    CN_NUM,
    ArticleStart,
    article_start,
    ends_sentence,
    join_pieces,
    marker_of,
    squash,
    strip_numbering,
)

ITEM_RE = re.compile(r"^([0-9０-９]{1,3})\s*[.．、]\s*(\S.*)$")
_PAREN_CN_RE = re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*(.*)$")
_SHORT_MARKERS = ("paren_cn", "paren_arabic", "arabic")
_NOT_HEADING_PUNCT = re.compile(r"[。，,；;？?！!]")


@dataclass
class TableRow:
    """One table row (sub-rows without a number of their own merged in)."""

    cells: dict[str, str]
    sub_rows: list[dict[str, str]]
    line_nos: list[int]


@dataclass
class Segment:
    """A heading, article, item, paragraph or table row with the lines it spans."""

    kind: str  # heading | article | item | cn_para | para | row
    level: int = 0
    number: str | None = None
    tab_led: bool = False
    inferred: bool = False
    paragraphs: list[list[Block]] = field(default_factory=list)
    row: TableRow | None = None
    headers: list[str] | None = None
    header_line_nos: list[int] = field(default_factory=list)  # a table's header cells
    is_box: bool = False
    indicator_table: bool = True  # a row: of an indicator table (else of any table)
    fields: dict[str, str] = field(default_factory=dict)

    def add_paragraph(self, line: Block) -> None:
        self.paragraphs.append([line])

    def add_line(self, line: Block) -> None:
        self.paragraphs[-1].append(line)

    @property
    def last_text(self) -> str:
        return self.paragraphs[-1][-1].text if self.paragraphs else ""

    @property
    def line_nos(self) -> list[int]:
        if self.row is not None:
            return self.row.line_nos
        return [line.no for para in self.paragraphs for line in para]

    @property
    def heading_text(self) -> str:
        return self.paragraphs[0][0].text if self.paragraphs else ""


# --------------------------------------------------------------------------- grammar


@lru_cache(maxsize=8)
def _box_re() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in box_words())
    return re.compile(rf"^(?:{words})\s*[{CN_NUM}\d０-９]+")


@lru_cache(maxsize=8)
def _label_re(profile_name: str) -> re.Pattern[str] | None:
    words = get_profile(profile_name).label_words
    if not words:
        return None
    return re.compile(rf"^(?:{'|'.join(re.escape(w) for w in words)})[:：。.]?$")


def is_box_heading(text: str) -> bool:
    """True for a 专栏N box title."""
    return bool(_box_re().match(squash(text)))


def heading_level(text: str, profile: Profile | None = None, hinted: bool = False) -> int | None:
    """The heading level of a stand-alone line under ``profile`` (default: the
    plan profile), or None when it is no heading.

    A numbered heading (第一章, 一、, （一）…) takes its marker's level when the
    rest is short and no sentence; a heading word (前言) is level 1; a label
    (主要目标:) or a 专栏 box is one level below the numbered headings; a line
    the source marked as a heading (``hinted``) with no marker takes the
    profile's ``unnumbered_heading_level`` when it is short and no sentence.
    """
    profile = profile or get_profile("plan")
    flat = squash(text)
    if not flat:
        return None
    if flat in profile.heading_words:
        return 1
    hit = marker_of(flat, profile.heading_markers)
    if hit is not None:
        name, m = hit
        level = profile.marker_level(name)
        if name in _SHORT_MARKERS:
            rest = flat[m.end() :].rstrip("。：:.")
            if 0 < len(rest) <= 30 and not re.search(r"[。，,；;]", rest):
                return level
            return None
        rest = flat[m.end() :].rstrip("。：:")
        if len(rest) <= 40 and "。" not in rest:
            return level
        return None
    label = _label_re(profile.name)
    if label is not None and label.match(flat):
        return profile.label_level
    if is_box_heading(flat):
        return profile.label_level
    if (
        hinted
        and profile.unnumbered_heading_level is not None
        and len(flat) <= 30
        and not _NOT_HEADING_PUNCT.search(flat)
        and article_start(flat) is None
        and not ITEM_RE.match(flat)
    ):
        return profile.unnumbered_heading_level
    return None


def is_lost_heading(text: str) -> bool:
    """A short stand-alone sentence printed where a （N） heading lost its number."""
    flat = squash(text)
    return (
        flat.endswith("。")
        and 4 <= len(flat) <= 30
        and flat.count("。") == 1
        and not re.search(r"[，,：:；;]", flat)
    )


def item_number(text: str, expected: int, prev_ended: bool) -> int | None:
    """The item number ``text`` starts with, if the sequence makes it believable."""
    m = ITEM_RE.match(text)
    if not m:
        return None
    n = int(m.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    rest = m.group(2)
    if n == expected and (prev_ended or not rest[0].isdigit()):
        return n
    if prev_ended and (expected < n <= expected + 3 or n == 1):
        return n
    return None


# --------------------------------------------------------------------------- tables


def parse_table(lines: list[Block]) -> tuple[list[str], list[TableRow], list[int]] | None:
    """Read a table flattened one cell per line: a tab-led line starts a cell,
    a following non-tab line continues it ('巩固' / '提高'); blank lines are
    ignored.  The header runs up to the first row's cells before its number
    (as many as there are header cells before 序号; one when there is no
    序号 header).
    Returns ``(headers, rows, header_line_nos)`` or None when the lines are
    no indicator table.
    """
    cells: list[tuple[str, list[int]]] = []
    for line in lines:
        if line.tab_led:
            cells.append((line.raw.strip() if line.raw else line.text.strip(), [line.no]))
        elif line.text and cells:
            text, nos = cells[-1]
            cells[-1] = (text + (line.raw.strip() if line.raw else line.text), nos + [line.no])
    return _indicator_table(cells)


def _indicator_table(cells: list[tuple[str, list[int]]]) -> tuple[list[str], list[TableRow], list[int]] | None:
    first_number = next((i for i, (t, _) in enumerate(cells) if re.fullmatch(r"\d+", t)), None)
    if first_number is None or first_number < 2:
        return None
    # The first row number sits in the 序号 column of the first row: the
    # columns before it (类别 …) come between the header and that number.
    number_column = next((i for i, (t, _) in enumerate(cells[:first_number]) if "序号" in t), None)
    ncol = first_number - (number_column if number_column is not None else 1)
    if ncol < 1:
        return None
    headers = [t for t, _ in cells[:ncol]]
    if not any(w in "".join(headers) for w in indicator_table_headers()):
        return None
    roles = _column_roles(headers)
    rows: list[TableRow] = []
    category = ""
    body = cells[ncol:]
    for start in range(0, len(body), ncol):
        chunk = body[start : start + ncol]
        if len(chunk) < ncol:
            chunk = chunk + [("", [])] * (ncol - len(chunk))
        values = {roles[i]: chunk[i][0] for i in range(ncol)}
        nos = sorted({n for _, ns in chunk for n in ns})
        if values.get("category"):
            category = values["category"]
        else:
            values["category"] = category
        if not values.get("row") and rows:
            parent = rows[-1]
            if not values.get("attribute"):
                values["attribute"] = parent.cells.get("attribute", "")
            parent.sub_rows.append(values)
            parent.line_nos = sorted(set(parent.line_nos) | set(nos))
            continue
        rows.append(TableRow(cells=values, sub_rows=[], line_nos=nos))
    return headers, rows, sorted({n for _, ns in cells[:ncol] for n in ns})


def _column_roles(headers: list[str]) -> list[str]:
    """The role of each column; a column whose role an earlier column already
    took (a second year column, a remark) keeps its own ``colN`` role, so
    that no cell overwrites another."""
    roles: list[str] = []
    for i, header in enumerate(headers):
        if "类别" in header or "领域" in header:
            role = "category"
        elif "序号" in header:
            role = "row"
        elif "属性" in header:
            role = "attribute"
        elif "责任" in header:
            role = "responsible_unit"
        elif "名称" in header or header.startswith("指标"):
            role = "indicator"
        elif re.search(r"\d{4}|目标|规划", header):
            role = "target_value"
        else:
            role = f"col{i + 1}"
        if role in roles:
            role = f"col{i + 1}"
        roles.append(role)
    return roles


def table_segments(block: Block) -> list[Segment]:
    """The rows of a reader's table block: an indicator table's rows (as a
    flattened one would give), else one ``row`` segment per row after the
    header row, each cell labelled with its column's header."""
    grid = [row for row in block.rows if any(c.text.strip() for c in row)]
    if not grid:
        return []
    flat_cells = [(c.text.strip(), [c.line] if c.line else []) for row in grid for c in row]
    parsed = _indicator_table(flat_cells)
    if parsed is not None:
        headers, rows, header_nos = parsed
        return [Segment(kind="row", row=r, headers=headers, header_line_nos=header_nos) for r in rows]
    header = [c.text.strip() for c in grid[0]]
    header_nos = sorted({c.line for c in grid[0] if c.line})
    body = grid[1:] if len(grid) > 1 else grid
    if len(grid) == 1:
        header, header_nos = [""] * len(grid[0]), []
    out = []
    for k, row in enumerate(body, start=1):
        cells = {f"col{i + 1}": c.text.strip() for i, c in enumerate(row)}
        nos = sorted({c.line for c in row if c.line}) or [block.line]
        out.append(
            Segment(
                kind="row",
                number=str(k),
                row=TableRow(cells=cells, sub_rows=[], line_nos=nos),
                headers=header,
                header_line_nos=header_nos,
                indicator_table=False,
            )
        )
    return out


def _cells_of(row: list[Cell]) -> list[str]:
    return [c.text for c in row]


# --------------------------------------------------------------------------- pass 1


def build_segments(lines: list[Block], profile: Profile | None = None) -> list[Segment]:
    """Group a document's body blocks into segments (pass 1, see module docstring)."""
    profile = profile or get_profile("plan")
    articles = profile.clause_unit == "article"
    segments: list[Segment] = []
    cur: Segment | None = None
    expected = 1
    in_box = False
    i = 0
    body = [line for line in lines if not line.boilerplate]

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            segments.append(cur)
            cur = None

    while i < len(body):
        line = body[i]
        if line.is_table:
            flush()
            segments.extend(table_segments(line))
            i += 1
            continue
        text = line.text
        if not text:
            i += 1
            continue
        prev_ended = cur is None or ends_sentence(cur.last_text)
        hinted = line.kind == "heading"
        level = None if line.tab_led else heading_level(text, profile, hinted)
        if level is None and in_box and not line.tab_led and prev_ended and is_lost_heading(text):
            level = 2
        if level is not None:
            flush()
            heading = Segment(kind="heading", level=level)
            heading.add_paragraph(line)
            heading.is_box = is_box_heading(text)
            segments.append(heading)
            expected = 1
            in_box = heading.is_box
            i += 1
            if heading.is_box:
                j = i
                table_lines: list[Block] = []
                while j < len(body):
                    nxt = body[j]
                    if nxt.is_table:
                        break
                    if nxt.text and not nxt.tab_led and heading_level(nxt.text, profile, nxt.kind == "heading") is not None:
                        break
                    table_lines.append(nxt)
                    j += 1
                first = next((x for x in table_lines if x.text), None)
                parsed = parse_table(table_lines) if first is not None and first.tab_led else None
                if parsed is not None:
                    headers, rows, header_nos = parsed
                    for row in rows:
                        segments.append(Segment(kind="row", row=row, headers=headers, header_line_nos=header_nos))
                    i = j
            continue
        if line.tab_led and not in_box and (cur is None or not cur.tab_led):
            # a run of tab-led lines outside a box: an indicator table flattened one cell per line?
            j = i
            while j < len(body) and not body[j].is_table and (body[j].tab_led or not body[j].text):
                j += 1
            parsed = parse_table(body[i:j])
            if parsed is not None:
                flush()
                headers, rows, header_nos = parsed
                for row in rows:
                    segments.append(Segment(kind="row", row=row, headers=headers, header_line_nos=header_nos))
                i = j
                continue
        start = article_start(text) if articles and not line.tab_led else None
        if start is not None:
            flush()
            cur = _article_segment(start, line)
            i += 1
            continue
        if articles and cur is not None and cur.kind == "article":
            # every paragraph up to the next article or heading is the article's (款, 项, 目)
            if prev_ended:
                cur.add_paragraph(line)
            else:
                cur.add_line(line)
            i += 1
            continue
        number = None if line.tab_led else item_number(text, expected, prev_ended)
        if number is not None:
            flush()
            cur = Segment(kind="item", number=str(number))
            cur.add_paragraph(line)
            expected = number + 1
        elif not line.tab_led and (m := _PAREN_CN_RE.match(squash(text))) and prev_ended:
            flush()
            cur = Segment(kind="cn_para", number=m.group(1))
            cur.add_paragraph(line)
        elif cur is not None and not prev_ended:
            cur.add_line(line)
        else:
            flush()
            cur = Segment(kind="para", tab_led=line.tab_led)
            cur.add_paragraph(line)
        i += 1
    flush()
    return segments


def _article_segment(start: ArticleStart, line: Block) -> Segment:
    segment = Segment(kind="article", number=start.marker)
    segment.fields = {"article": str(start.number)}
    if start.sub is not None:
        segment.fields["article_sub"] = str(start.sub)
    segment.add_paragraph(line)
    return segment


# --------------------------------------------------------------------------- pass 2


def context_of(path: list[str], labels: dict[str, str] | None = None) -> str | None:
    """The clause kind an item gets under ``path``: the innermost label wins
    ("box" inside a 专栏)."""
    labels = labels if labels is not None else all_label_kinds()
    for element in reversed(path):
        flat = squash(element)
        if _box_re().match(flat):
            return "box"
        label = strip_numbering(flat)
        if label in labels:
            return labels[label]
    return None


def repair_sections(segments: list[Segment], profile: Profile | None = None) -> list[Segment]:
    """Give lost item numbers back and attach stray paragraphs (pass 2).

    Applies to sections (the segments between two headings) whose context is
    a label's (target, measure, principle) and that hold numbered items.
    """
    profile = profile or get_profile("plan")
    labels = profile.labels
    out: list[Segment] = []
    stack: list[tuple[int, str]] = []
    section: list[Segment] = []

    def finish() -> None:
        nonlocal section
        if labels and context_of([t for _, t in stack], labels) in ("target", "measure", "principle") and any(
            b.kind == "item" for b in section
        ):
            section = _repair_items(section)
        out.extend(section)
        section = []

    for segment in segments:
        if segment.kind == "heading":
            finish()
            out.append(segment)
            while stack and stack[-1][0] >= segment.level:
                stack.pop()
            stack.append((segment.level, segment.heading_text))
        else:
            if segment.kind == "cn_para":
                # "（三）总体目标。…" is a sibling of the （二） headings: close them.
                finish()
                while stack and stack[-1][0] >= 2:
                    stack.pop()
            section.append(segment)
    finish()
    return out


def _repair_items(section: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    run: list[Segment] = []
    last_item: Segment | None = None

    def settle(next_number: int | None) -> None:
        nonlocal run
        if not run:
            return
        start = int(last_item.number) if last_item is not None and last_item.number else 0
        candidates = [b for b in run if b.kind == "para" and not b.tab_led]
        if (
            next_number is not None
            and len(candidates) == len(run)
            and len(run) == next_number - start - 1
            and all(_has_title_sentence(b) for b in run)
        ):
            for k, segment in enumerate(run, start=1):
                segment.kind = "item"
                segment.number = str(start + k)
                segment.inferred = True
                out.append(segment)
        elif last_item is not None:
            for segment in run:
                if segment.kind == "para" and not segment.tab_led:
                    last_item.paragraphs.extend(segment.paragraphs)
                else:
                    out.append(segment)
        else:
            out.extend(run)
        run = []

    for segment in section:
        if segment.kind == "item":
            settle(int(segment.number or 0))
            out.append(segment)
            last_item = segment
        else:
            run.append(segment)
    settle(None)
    return out


def _has_title_sentence(segment: Segment) -> bool:
    text = join_pieces([line.text for line in segment.paragraphs[0]])
    head = text.split("。", 1)[0]
    return "。" in text and 2 <= len(head) <= 40


# --------------------------------------------------------------------------- pass 3


def clause_id(doc_id: str, path: list[str], number: str | None, text: str, occurrence: int) -> str:
    """A stable id: doc id + sha1 of (doc, path, number, text, occurrence)."""
    key = "|".join([doc_id, "›".join(path), number or "", text, str(occurrence)])
    return f"{doc_id}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def row_text(row: TableRow, headers: list[str]) -> str:
    """A readable one-line rendering of an indicator row (sub-rows after '；')."""
    year = re.search(r"\d{4}年", "".join(headers))
    value_label = f"{year.group(0)}规划指标" if year else "目标值"

    def render(cells: dict[str, str]) -> str:
        parts = [cells.get("indicator", "")]
        if cells.get("target_value"):
            parts.append(f"{value_label}：{cells['target_value']}")
        if cells.get("attribute"):
            parts.append(f"属性：{cells['attribute']}")
        if cells.get("responsible_unit"):
            parts.append(f"责任单位：{cells['responsible_unit']}")
        for key, value in cells.items():  # columns of no known role: "header：value"
            m = re.fullmatch(r"col(\d+)", key)
            if m and value:
                k = int(m.group(1)) - 1
                label = headers[k] if k < len(headers) else key
                parts.append(f"{label}：{value}" if label else value)
        return " ".join(p for p in parts if p)

    head = " ".join(p for p in (row.cells.get("category", ""), row.cells.get("row", "")) if p)
    text = f"{head} {render(row.cells)}".strip()
    for sub in row.sub_rows:
        category = sub.get("category", "")
        own = category if category and category != row.cells.get("category", "") else ""
        text += "；" + " ".join(p for p in (own, render(sub)) if p)
    return text


def generic_row_text(row: TableRow, headers: list[str]) -> str:
    """A row of any table: each cell after its column's header ("罪名：…"), '；' between."""
    parts = []
    for key, value in row.cells.items():
        if not value:
            continue
        k = int(key[3:]) - 1 if key.startswith("col") and key[3:].isdigit() else -1
        label = headers[k] if 0 <= k < len(headers) else ""
        parts.append(f"{label}：{value}" if label else value)
    return "；".join(parts)


def row_fields(row: TableRow) -> dict[str, str]:
    """Clause.fields for a row; sub-row k (k>=2) adds ``indicator_k`` etc."""
    keys = ("category", "row", "indicator", "target_value", "attribute", "responsible_unit")
    fields = {k: row.cells.get(k, "") for k in keys}
    fields.update({k: v for k, v in row.cells.items() if k not in fields})  # colN
    for k, sub in enumerate(row.sub_rows, start=2):
        for key in ("indicator", "target_value", "attribute", "responsible_unit"):
            fields[f"{key}_{k}"] = sub.get(key, "")
        for key, value in sub.items():
            if key.startswith("col"):
                fields[f"{key}_{k}"] = value
    return fields


def segment_text(segment: Segment) -> str:
    """The clause text: each paragraph re-joined, paragraphs separated by newline."""
    return "\n".join(t for t in (join_pieces([line.text for line in p]) for p in segment.paragraphs) if t)


def segments_to_clauses(
    segments: list[Segment], doc_id: str, source_file: str, profile: Profile | None = None
) -> list[Clause]:
    """Turn segments into clauses with section paths, kinds and stable ids (pass 3)."""
    profile = profile or get_profile("plan")
    labels = profile.labels
    clauses: list[Clause] = []
    stack: list[tuple[int, str]] = []
    seen: dict[tuple, int] = {}
    tab_led: list[bool] = []
    box_index: int | None = None  # len(clauses) when the open box heading was seen
    box_path: list[str] | None = None

    def close_empty_box() -> None:
        # A box with no content of its own takes the tab-led box paragraphs
        # printed just before its heading (大渡口 专栏五).
        if box_path is None or box_index is None or len(clauses) != box_index:
            return
        k = box_index - 1
        while k >= 0 and tab_led[k] and clauses[k].kind == "narrative":
            clauses[k].section_path = list(box_path)
            k -= 1

    for segment in segments:
        if segment.kind == "heading":
            close_empty_box()
            while stack and stack[-1][0] >= segment.level:
                stack.pop()
            stack.append((segment.level, segment.heading_text))
            if segment.is_box:
                box_index, box_path = len(clauses), [t for _, t in stack]
            else:
                box_index, box_path = None, None
            continue
        if segment.kind == "cn_para":
            while stack and stack[-1][0] >= 2:
                stack.pop()
        path = [t for _, t in stack]
        context = context_of(path, labels) if labels else ("box" if any(is_box_heading(p) for p in path) else None)
        fields: dict[str, str] = dict(segment.fields)
        if segment.kind == "row":
            assert segment.row is not None
            number = segment.row.cells.get("row") or segment.number or None
            if segment.indicator_table:
                kind = "indicator"
                text = row_text(segment.row, segment.headers or [])
                fields.update(row_fields(segment.row))
            else:
                kind = "row"
                text = generic_row_text(segment.row, segment.headers or [])
                fields.update({k: v for k, v in segment.row.cells.items() if v})
        else:
            text = segment_text(segment)
            number = segment.number
            if segment.kind == "article":
                kind = "article"
            elif segment.kind == "item" and context in ("target", "measure", "principle"):
                kind = context
            else:
                kind = "narrative"
            if segment.inferred:
                fields["number_inferred"] = "true"
        nos = segment.line_nos
        key = (tuple(path), number, text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        clauses.append(
            Clause(
                clause_id=clause_id(doc_id, path, number, text, occurrence),
                doc_id=doc_id,
                section_path=path,
                number=number,
                kind=kind,
                text=text,
                line_start=min(nos),
                line_end=max(nos),
                order=len(clauses),
                source_file=source_file,
                fields=fields,
            )
        )
        tab_led.append(segment.tab_led)
    close_empty_box()
    assign_clause_ids(clauses, doc_id)
    return clauses


def assign_clause_ids(clauses: list[Clause], doc_id: str) -> None:
    """(Re)compute the clauses' ids for document ``doc_id`` (after late
    section-path changes, or when the document takes another id)."""
    seen: dict[tuple, int] = {}
    for clause in clauses:
        key = (tuple(clause.section_path), clause.number, clause.text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        clause.clause_id = clause_id(doc_id, clause.section_path, clause.number, clause.text, occurrence)


def parse_structure(
    lines: list[Block], doc_id: str, source_file: str, profile: Profile | None = None
) -> list[Clause]:
    """Parse one document's body blocks (title/cover already removed) into clauses."""
    return parse_with_accounting(lines, doc_id, source_file, profile).clauses


@dataclass
class ParseAccount:
    """Where every line of a parse went (line numbers are ``Block.line``).

    ``owners[no]`` lists the indexes of the clauses that hold line ``no``
    (exactly one for a body line); ``headings`` are heading lines (they live
    on in section paths); ``table_headers`` the header cells of a table;
    ``dropped`` the boilerplate lines (TOC, page numbers, attachment markers,
    cc-lists) that take part in no clause; ``blank`` lines with no text once
    markdown markers are stripped.
    """

    clauses: list[Clause]
    owners: dict[int, list[int]]
    headings: set[int]
    table_headers: set[int]
    dropped: set[int]
    blank: set[int]

    def unaccounted(self, lines: list[Block]) -> list[Block]:
        """Lines with text that are in no clause, heading, table header or drop list."""
        return [
            line
            for line in lines
            if not line.is_table
            and line.no not in self.owners
            and line.no not in self.headings
            and line.no not in self.table_headers
            and line.no not in self.dropped
            and line.no not in self.blank
        ]


def parse_with_accounting(
    lines: list[Block], doc_id: str, source_file: str, profile: Profile | None = None
) -> ParseAccount:
    """:func:`parse_structure` plus the account of where each line went."""
    profile = profile or get_profile("plan")
    segments = repair_sections(build_segments(lines, profile), profile)
    clauses = segments_to_clauses(segments, doc_id, source_file, profile)
    owners: dict[int, list[int]] = {}
    headings: set[int] = set()
    table_headers: set[int] = set()
    content = [s for s in segments if s.kind != "heading"]
    if len(content) != len(clauses):  # one clause per non-heading segment, in order
        raise RuntimeError("parser invariant broken: segments and clauses differ in number")
    for segment in segments:
        if segment.kind == "heading":
            headings.update(segment.line_nos)
    for index, segment in enumerate(content):
        for no in segment.line_nos:
            owners.setdefault(no, []).append(index)
        table_headers.update(segment.header_line_nos)
    return ParseAccount(
        clauses=clauses,
        owners=owners,
        headings=headings,
        table_headers=table_headers,
        dropped={line.no for line in lines if line.boilerplate},
        blank={line.no for line in lines if not line.is_table and not line.text and not line.boilerplate},
    )
