"""Structure parsing: cleaned lines of one plan -> clauses in reading order.

The parser works in three passes:

1. **Blocks** (:func:`build_blocks`): lines are grouped into headings,
   numbered items (``3.`` / ``3．`` / ``- 3.`` / ``## 3.``), ``（一）…。body``
   paragraphs and plain paragraphs.  A line that neither starts a heading or
   an item nor follows a finished sentence (。！？；：) continues the current
   block, across blank lines too ("宫颈癌、乳腺癌综" … "合防治能力").  An
   item number is only believed when it follows the sequence (so "3.0‰" at
   the start of a broken line is text, and "5.5岁…" is item 5).
   A ``专栏`` box whose first cell is a table header is read as a flattened
   indicator table (one cell per tab-led line) into :class:`TableRow` blocks.
2. **Repair** (:func:`repair_sections`): in goal/measure/principle sections,
   unnumbered paragraphs that fill a gap in the numbering get the missing
   number (乡宁's lost "1.", 大渡口's lost "4."), marked inferred; other
   unnumbered paragraphs after an item are that item's further paragraphs.
3. **Clauses** (:func:`blocks_to_clauses`): the heading stack gives each
   block its section path (as printed, markdown stripped); the innermost
   label heading gives the kind (主要目标 -> target, 策略措施/重点任务 ->
   measure, 基本原则 -> principle, 专栏 -> narrative, table row ->
   indicator, anything else -> narrative).

Heading levels come from the numbering, never from markdown depth:
level 1 ``一、`` / ``第一章`` / 前言; level 2 ``（一）`` standing alone;
level 3 labels (主要目标, 策略措施 …) and ``专栏N`` boxes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ingest.clean import Line, squash
from ingest.model import Clause

CN_NUM = "一二三四五六七八九十百零〇"
_L1_RE = re.compile(rf"^(?:[{CN_NUM}]+\s*、|第[{CN_NUM}\d]+\s*[章部篇节])")
_L1_WORDS = {"前言", "序言", "引言", "结束语", "结语", "附则"}
_L2_RE = re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*(.*)$")
_LABELS = ("主要目标", "策略措施", "重点任务", "主要任务", "工作措施", "发展目标", "具体目标")
_LABEL_RE = re.compile(rf"^(?:{'|'.join(_LABELS)})[:：。.]?$")
_BOX_RE = re.compile(rf"^专栏\s*[{CN_NUM}\d０-９]+")
ITEM_RE = re.compile(r"^([0-9０-９]{1,3})\s*[.．、]\s*(\S.*)$")
_ENDS_SENTENCE = "。！？；：:!?;…"
_CLOSERS = "”’」』）)"
_TRAILING_NOTE = re.compile(r"[。！？；]\s*[（(][^（）()]*[）)]$")
_TABLE_HEADER_WORDS = ("类别", "序号", "指标")
_NUMBER_PREFIX = re.compile(
    rf"^(?:[{CN_NUM}]+\s*、|第[{CN_NUM}\d]+\s*[章部篇节]|[（(]\s*[{CN_NUM}]+\s*[）)])\s*"
)

CONTEXT_KINDS = {
    "主要目标": "target",
    "发展目标": "target",
    "具体目标": "target",
    "策略措施": "measure",
    "重点任务": "measure",
    "主要任务": "measure",
    "工作措施": "measure",
    "基本原则": "principle",
}


@dataclass
class TableRow:
    """One indicator-table row (sub-rows without a number of their own merged in)."""

    cells: dict[str, str]
    sub_rows: list[dict[str, str]]
    line_nos: list[int]


@dataclass
class Block:
    """A heading, item, paragraph or table row with the source lines it spans."""

    kind: str  # heading | item | cn_para | para | row
    level: int = 0
    number: str | None = None
    tab_led: bool = False
    inferred: bool = False
    paragraphs: list[list[Line]] = field(default_factory=list)
    row: TableRow | None = None
    headers: list[str] | None = None
    header_line_nos: list[int] = field(default_factory=list)  # a table's header cells
    is_box: bool = False

    def add_paragraph(self, line: Line) -> None:
        self.paragraphs.append([line])

    def add_line(self, line: Line) -> None:
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


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends a sentence (。！？；： possibly before a closing quote/bracket)."""
    text = text.rstrip()
    if _TRAILING_NOTE.search(text):  # "…示范校。（责任单位：区教委）"
        return True
    while text and text[-1] in _CLOSERS:
        text = text[:-1]
    return bool(text) and text[-1] in _ENDS_SENTENCE


def join_lines(lines: list[Line]) -> str:
    """Re-join a paragraph broken over lines (no space between CJK characters)."""
    out = ""
    for line in lines:
        piece = line.text.strip()
        if not piece:
            continue
        if (
            out
            and out[-1].isascii()
            and out[-1].isalnum()
            and piece[0].isascii()
            and piece[0].isalpha()
        ):
            out += " "
        out += piece
    return out


def heading_level(text: str) -> int | None:
    """The heading level of a stand-alone line, or None when it is no heading.

    1: 一、… / 第一章 … / 前言; 2: （一）… with no body; 3: a label
    (主要目标:) or a 专栏 box.
    """
    flat = squash(text)
    if not flat:
        return None
    if flat in _L1_WORDS:
        return 1
    if _L1_RE.match(flat):
        rest = _NUMBER_PREFIX.sub("", flat).rstrip("。：:")
        if len(rest) <= 40 and "。" not in rest:
            return 1
        return None
    m = _L2_RE.match(flat)
    if m:
        rest = m.group(2).rstrip("。：:.")
        if 0 < len(rest) <= 30 and not re.search(r"[。，,；;]", rest):
            return 2
        return None
    if _LABEL_RE.match(flat):
        return 3
    if _BOX_RE.match(flat):
        return 3
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
    n = int(m.group(1))
    rest = m.group(2)
    if n == expected and (prev_ended or not rest[0].isdigit()):
        return n
    if prev_ended and (expected < n <= expected + 3 or n == 1):
        return n
    return None


def parse_table(lines: list[Line]) -> tuple[list[str], list[TableRow], list[int]] | None:
    """Read a table flattened one cell per line: a tab-led line starts a cell,
    a following non-tab line continues it ('巩固' / '提高'); blank lines are
    ignored.  The header runs up to the first row's cells before its number
    (as many as there are header cells before 序号; one when there is no
    序号 header).
    Returns ``(headers, rows, header_line_nos)`` or None when the lines are
    no such table.
    """
    cells: list[tuple[str, list[int]]] = []
    for line in lines:
        if line.tab_led:
            cells.append((line.raw.strip(), [line.no]))
        elif line.text and cells:
            text, nos = cells[-1]
            cells[-1] = (text + line.raw.strip(), nos + [line.no])
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
    if not any(w in "".join(headers) for w in _TABLE_HEADER_WORDS):
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


def build_blocks(lines: list[Line]) -> list[Block]:
    """Group a plan's body lines into blocks (pass 1, see module docstring)."""
    blocks: list[Block] = []
    cur: Block | None = None
    expected = 1
    in_box = False
    i = 0
    body = [line for line in lines if not line.boilerplate]

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            blocks.append(cur)
            cur = None

    while i < len(body):
        line = body[i]
        text = line.text
        if not text:
            i += 1
            continue
        prev_ended = cur is None or ends_sentence(cur.last_text)
        level = None if line.tab_led else heading_level(text)
        if level is None and in_box and not line.tab_led and prev_ended and is_lost_heading(text):
            level = 2
        if level is not None:
            flush()
            heading = Block(kind="heading", level=level)
            heading.add_paragraph(line)
            heading.is_box = bool(_BOX_RE.match(squash(text)))
            blocks.append(heading)
            expected = 1
            in_box = heading.is_box
            i += 1
            if heading.is_box:
                j = i
                table_lines: list[Line] = []
                while j < len(body):
                    nxt = body[j]
                    if nxt.text and not nxt.tab_led and heading_level(nxt.text) is not None:
                        break
                    table_lines.append(nxt)
                    j += 1
                first = next((x for x in table_lines if x.text), None)
                parsed = parse_table(table_lines) if first is not None and first.tab_led else None
                if parsed is not None:
                    headers, rows, header_nos = parsed
                    for row in rows:
                        blocks.append(
                            Block(kind="row", row=row, headers=headers, header_line_nos=header_nos)
                        )
                    i = j
            continue
        number = None if line.tab_led else item_number(text, expected, prev_ended)
        if number is not None:
            flush()
            cur = Block(kind="item", number=str(number))
            cur.add_paragraph(line)
            expected = number + 1
        elif not line.tab_led and (m := _L2_RE.match(squash(text))) and prev_ended:
            flush()
            cur = Block(kind="cn_para", number=m.group(1))
            cur.add_paragraph(line)
        elif cur is not None and not prev_ended:
            cur.add_line(line)
        else:
            flush()
            cur = Block(kind="para", tab_led=line.tab_led)
            cur.add_paragraph(line)
        i += 1
    flush()
    return blocks


def context_of(path: list[str]) -> str | None:
    """The clause kind an item gets under ``path``: the innermost label wins."""
    for element in reversed(path):
        flat = squash(element)
        if _BOX_RE.match(flat):
            return "box"
        label = _NUMBER_PREFIX.sub("", flat).rstrip("。：:.")
        if label in CONTEXT_KINDS:
            return CONTEXT_KINDS[label]
    return None


def repair_sections(blocks: list[Block]) -> list[Block]:
    """Give lost item numbers back and attach stray paragraphs (pass 2).

    Applies to sections (the blocks between two headings) whose context is
    goal, measure or principle and that hold numbered items.
    """
    out: list[Block] = []
    stack: list[tuple[int, str]] = []
    section: list[Block] = []

    def finish() -> None:
        nonlocal section
        if context_of([t for _, t in stack]) in ("target", "measure", "principle") and any(
            b.kind == "item" for b in section
        ):
            section = _repair_items(section)
        out.extend(section)
        section = []

    for block in blocks:
        if block.kind == "heading":
            finish()
            out.append(block)
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.heading_text))
        else:
            if block.kind == "cn_para":
                # "（三）总体目标。…" is a sibling of the （二） headings: close them.
                finish()
                while stack and stack[-1][0] >= 2:
                    stack.pop()
            section.append(block)
    finish()
    return out


def _repair_items(section: list[Block]) -> list[Block]:
    out: list[Block] = []
    run: list[Block] = []
    last_item: Block | None = None

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
            for k, block in enumerate(run, start=1):
                block.kind = "item"
                block.number = str(start + k)
                block.inferred = True
                out.append(block)
        elif last_item is not None:
            for block in run:
                if block.kind == "para" and not block.tab_led:
                    last_item.paragraphs.extend(block.paragraphs)
                else:
                    out.append(block)
        else:
            out.extend(run)
        run = []

    for block in section:
        if block.kind == "item":
            settle(int(block.number or 0))
            out.append(block)
            last_item = block
        else:
            run.append(block)
    settle(None)
    return out


def _has_title_sentence(block: Block) -> bool:
    text = join_lines(block.paragraphs[0])
    head = text.split("。", 1)[0]
    return "。" in text and 2 <= len(head) <= 40


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


def block_text(block: Block) -> str:
    """The clause text: each paragraph re-joined, paragraphs separated by newline."""
    return "\n".join(t for t in (join_lines(p) for p in block.paragraphs) if t)


def blocks_to_clauses(blocks: list[Block], doc_id: str, source_file: str) -> list[Clause]:
    """Turn blocks into clauses with section paths, kinds and stable ids (pass 3)."""
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

    for block in blocks:
        if block.kind == "heading":
            close_empty_box()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.heading_text))
            if block.is_box:
                box_index, box_path = len(clauses), [t for _, t in stack]
            else:
                box_index, box_path = None, None
            continue
        if block.kind == "cn_para":
            while stack and stack[-1][0] >= 2:
                stack.pop()
        path = [t for _, t in stack]
        context = context_of(path)
        fields: dict[str, str] = {}
        if block.kind == "row":
            assert block.row is not None
            kind = "indicator"
            number = block.row.cells.get("row") or None
            text = row_text(block.row, block.headers or [])
            fields = row_fields(block.row)
        else:
            text = block_text(block)
            number = block.number
            if block.kind == "item" and context in ("target", "measure", "principle"):
                kind = context
            else:
                kind = "narrative"
            if block.inferred:
                fields = {"number_inferred": "true"}
        nos = block.line_nos
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
        tab_led.append(block.tab_led)
    close_empty_box()
    _reassign_ids(clauses, doc_id)
    return clauses


def _reassign_ids(clauses: list[Clause], doc_id: str) -> None:
    """Recompute ids after late section-path changes (box reassignment)."""
    seen: dict[tuple, int] = {}
    for clause in clauses:
        key = (tuple(clause.section_path), clause.number, clause.text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        clause.clause_id = clause_id(
            doc_id, clause.section_path, clause.number, clause.text, occurrence
        )


def parse_structure(lines: list[Line], doc_id: str, source_file: str) -> list[Clause]:
    """Parse one plan's body lines (title/cover already flagged) into clauses."""
    return parse_with_accounting(lines, doc_id, source_file).clauses


@dataclass
class ParseAccount:
    """Where every line of a parse went (line numbers are ``Line.no``).

    ``owners[no]`` lists the indexes of the clauses that hold line ``no``
    (exactly one for a body line); ``headings`` are heading lines (they live
    on in section paths); ``table_headers`` the header cells of a flattened
    indicator table; ``dropped`` the boilerplate lines (TOC, page numbers,
    attachment markers, cc-lists) that take part in no clause; ``blank``
    lines with no text once markdown markers are stripped.
    """

    clauses: list[Clause]
    owners: dict[int, list[int]]
    headings: set[int]
    table_headers: set[int]
    dropped: set[int]
    blank: set[int]

    def unaccounted(self, lines: list[Line]) -> list[Line]:
        """Lines with text that are in no clause, heading, table header or drop list."""
        return [
            line
            for line in lines
            if line.no not in self.owners
            and line.no not in self.headings
            and line.no not in self.table_headers
            and line.no not in self.dropped
            and line.no not in self.blank
        ]


def parse_with_accounting(lines: list[Line], doc_id: str, source_file: str) -> ParseAccount:
    """:func:`parse_structure` plus the account of where each line went."""
    blocks = repair_sections(build_blocks(lines))
    clauses = blocks_to_clauses(blocks, doc_id, source_file)
    owners: dict[int, list[int]] = {}
    headings: set[int] = set()
    table_headers: set[int] = set()
    content = [b for b in blocks if b.kind != "heading"]
    assert len(content) == len(clauses)  # one clause per non-heading block, in order
    for block in blocks:
        if block.kind == "heading":
            headings.update(block.line_nos)
    for index, block in enumerate(content):
        for no in block.line_nos:
            owners.setdefault(no, []).append(index)
        table_headers.update(block.header_line_nos)
    return ParseAccount(
        clauses=clauses,
        owners=owners,
        headings=headings,
        table_headers=table_headers,
        dropped={line.no for line in lines if line.boilerplate},
        blank={line.no for line in lines if not line.text and not line.boilerplate},
    )
