"""Charts: the compare bar chart and the shared-wording heatmap.

A chart is laid out once, as plain shapes in pixel coordinates (``Layout``:
rectangles, text, lines), and rendered from that layout as SVG (written here,
no dependency: the web page, ``compare --chart out.svg`` and the shared-wording
report) or as PNG (matplotlib, extra ``[charts]``).

Accessible by construction: an SVG has ``role="img"`` with a ``<title>`` and a
``<desc>`` that state every value in words; every bar and cell carries its own
``<title>``; no meaning rests on colour alone — target years differ by fill
pattern (solid, hatched, dotted) *and* are written beside each bar, and every
heatmap cell prints its number.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ingest.text import fold

if TYPE_CHECKING:
    from .shared_wording import SharedWordingReport
    from .targets_table import Comparison

log = logging.getLogger(__name__)

CHARTS_EXTRA_HINT = "pip install 'policy-search[charts]'"
FONT_FAMILY = "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','PingFang SC','Microsoft YaHei',sans-serif"
# Fonts with Chinese glyphs that a PNG may be drawn with, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC", "Microsoft YaHei", "SimHei", "Heiti SC",
)


# ---- shapes ------------------------------------------------------------------------------------


@dataclass
class Fill:
    """How a shape is painted: a colour and an optional pattern (``hatch``,
    ``dots``, ``cross``) drawn in ``pattern_color`` over it."""

    color: str
    pattern: Literal["", "hatch", "dots", "cross"] = ""
    pattern_color: str = "#000000"
    stroke: str = "#333333"


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: Fill
    title: str = ""  # a tooltip and the shape's accessible name
    data: dict[str, str] = field(default_factory=dict)  # data-* attributes in SVG
    css_class: str = ""


@dataclass
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = 12.0
    anchor: Literal["start", "middle", "end"] = "start"
    bold: bool = False
    color: str = "#222222"
    rotate: float = 0.0  # degrees, about (x, y)
    title: str = ""  # full text when ``text`` was shortened


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str = "#cccccc"
    width: float = 1.0


Shape = Rect | Text | Line


@dataclass
class Layout:
    """A chart as shapes in a ``width`` × ``height`` pixel box, with the text
    alternative (``title``, ``desc``) that goes with it."""

    width: float
    height: float
    title: str
    desc: str
    shapes: list[Shape]
    css_class: str = "chart"


# ---- text metrics ------------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK and full-width characters are one em, others about half."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return size * (wide + 0.58 * (len(text) - wide))


def shorten(text: str, size: float, max_width: float) -> str:
    """``text`` cut with "…" to fit ``max_width`` at font ``size``."""
    if text_width(text, size) <= max_width:
        return text
    out = text
    while out and text_width(out + "…", size) > max_width:
        out = out[:-1]
    return out + "…"


def wrap(text: str, size: float, max_width: float) -> list[str]:
    """``text`` broken into lines that fit ``max_width`` at font ``size``."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and text_width(line + ch, size) > max_width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines


def _notes(shapes: list[Shape], y: float, text: str, width: float) -> float:
    """Grey lines of small text from ``y`` on; returns the y below them."""
    for line in wrap(text, FONT - 1, width - 2 * MARGIN):
        shapes.append(Text(MARGIN, y + 14, line, size=FONT - 1, color="#555555"))
        y += 18
    return y + 6


# ---- the compare bar chart ---------------------------------------------------------------------

# Target years are told apart by pattern and by the printed year, never by colour alone.
YEAR_FILLS = (
    Fill("#2f5d8a"),
    Fill("#ffffff", "hatch", "#a0522d", "#a0522d"),
    Fill("#ffffff", "dots", "#2e7d32", "#2e7d32"),
    Fill("#ffffff", "cross", "#6a1b9a", "#6a1b9a"),
)
NO_YEAR_FILL = Fill("#bbbbbb", "", "#000000", "#555555")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class ChartBar:
    """One quantified target of one plan."""

    doc_id: str
    plan: str  # the plan's label: its jurisdiction, or its title when it names none
    title: str
    indicator: str  # as printed
    comparator: str | None
    value: float
    value_text: str  # as printed
    unit: str | None
    year: int | None
    clause_id: str
    citation: str

    @property
    def number(self) -> str:
        """The value as printed (5.0 stays 5.0), folded to half-width digits."""
        match = _NUMBER.search(fold(self.value_text))
        if match and math.isclose(float(match.group()), self.value):
            return match.group()
        return f"{self.value:g}"

    @property
    def value_label(self) -> str:
        """Comparator, value and unit: ≤5.0‰, ＜38% …"""
        return f"{self.comparator or ''}{self.number}{self.unit or ''}"

    @property
    def year_label(self) -> str:
        return f"{self.year}年" if self.year else "年份未注明"

    def sentence(self) -> str:
        return f"{self.plan} {self.indicator}：{self.value_label}（{self.year_label}目标；原文“{self.value_text}”）"


def comparison_bars(comparison: Comparison) -> tuple[list[ChartBar], list[str]]:
    """The bars of a comparison (one per quantified target, duplicates within a
    plan dropped) and, in words, the targets that cannot be drawn (qualitative
    or without a number)."""
    bars: list[ChartBar] = []
    not_drawn: list[str] = []
    for row in comparison.rows:
        hit = row.hit or {}
        plan = row.jurisdiction or hit.get("title") or row.doc_id
        seen: set[tuple[Any, ...]] = set()
        for t in row.targets:
            key = (t.get("indicator"), t.get("comparator"), t.get("value"), t.get("unit"), t.get("year"))
            if key in seen:
                continue
            seen.add(key)
            value = t.get("value")
            if t.get("qualitative") or not isinstance(value, int | float) or math.isnan(value):
                not_drawn.append(f"{plan} {t.get('indicator')}：{t.get('value_text')}")
                continue
            bars.append(
                ChartBar(
                    doc_id=row.doc_id,
                    plan=plan,
                    title=str(hit.get("title") or row.doc_id),
                    indicator=str(t.get("indicator") or row.indicator),
                    comparator=t.get("comparator"),
                    value=max(0.0, float(value)),
                    value_text=str(t.get("value_text") or ""),
                    unit=t.get("unit"),
                    year=t.get("year"),
                    clause_id=str(t.get("clause_id") or hit.get("clause_id") or ""),
                    citation=str(hit.get("citation") or ""),
                )
            )
    return bars, not_drawn


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return f"{value:g}"


# geometry of the compare chart (pixels)
WIDTH = 760
MARGIN = 16
LABEL_W = 230  # indicator names, right-aligned before the bars
BAR_X = MARGIN + LABEL_W + 8
BAR_W = 330
BAR_H = 16
ROW_H = 24
GROUP_HEAD = 24  # the plan's name above its bars
PANEL_HEAD = 46  # unit line and axis ticks
FONT = 12.0


MAX_CHART_PLANS = 200  # a chart stays readable (and bounded); the rest is named in the notes


def compare_layout(comparison: Comparison, max_plans: int = MAX_CHART_PLANS) -> Layout:
    """The compare chart: one panel per unit (‰, %, 小时 … never drawn on one
    scale), in it one group of horizontal bars per plan, each bar labelled
    with comparator, value, unit and target year; target years differ by
    pattern, shown in a legend. At most ``max_plans`` plans are drawn (in
    the comparison's order); the others are listed under the chart."""
    bars, not_drawn = comparison_bars(comparison)
    drawn_docs = list(dict.fromkeys(b.doc_id for b in bars))[:max_plans]
    left_out = sorted({b.plan for b in bars if b.doc_id not in set(drawn_docs)})
    bars = [b for b in bars if b.doc_id in set(drawn_docs)]
    indicator = comparison.indicator
    title = f"“{indicator}”各规划目标对比"
    years = sorted({b.year for b in bars if b.year is not None}, reverse=True)
    fill_of_year = {year: YEAR_FILLS[i % len(YEAR_FILLS)] for i, year in enumerate(years)}
    shapes: list[Shape] = [Text(MARGIN, 26, title, size=16, bold=True)]
    y = 38.0
    # legend: a swatch per target year, and what a bar means
    x = float(MARGIN)
    legend = [(f"{year}年目标", fill_of_year[year]) for year in years]
    if any(b.year is None for b in bars):
        legend.append(("年份未注明", NO_YEAR_FILL))
    for label, fill in legend:
        shapes.append(Rect(x, y, 14, 14, fill, title=label, css_class="legend-swatch"))
        shapes.append(Text(x + 19, y + 12, label, size=FONT))
        x += 19 + text_width(label, FONT) + 18
    shapes.append(Text(x, y + 12, "条长＝目标值；条旁注明比较符、数值、单位和年份", size=FONT - 1, color="#555555"))
    y += 30

    by_unit: dict[str, list[ChartBar]] = {}
    for bar in bars:
        by_unit.setdefault(bar.unit or "", []).append(bar)
    lines: list[str] = []
    for unit, unit_bars in by_unit.items():
        top = max(b.value for b in unit_bars)
        scale = 100.0 if unit == "%" and top <= 100 else nice_ceiling(top)
        ticks = [scale * i / 4 for i in range(5)]
        shapes.append(Text(MARGIN, y + 16, f"单位：{unit or '（无单位）'}", size=FONT + 1, bold=True))
        axis_y = y + 38
        for tick in ticks:
            tx = BAR_X + BAR_W * tick / scale
            shapes.append(Text(tx, axis_y - 6, _fmt(tick), size=FONT - 2, anchor="middle", color="#555555"))
        y = axis_y + 4
        grid: list[Shape] = []  # drawn first, behind the bars
        plans: dict[str, list[ChartBar]] = {}
        for bar in unit_bars:
            plans.setdefault(bar.doc_id, []).append(bar)
        for doc_bars in plans.values():
            first = doc_bars[0]
            head = f"{first.plan} · {first.title}" if first.plan != first.title else first.plan
            shapes.append(Text(MARGIN, y + 17, shorten(head, FONT, WIDTH - 2 * MARGIN), size=FONT, bold=True, title=head))
            y += GROUP_HEAD
            group_top = y - 4
            for bar in doc_bars:
                fill = fill_of_year.get(bar.year, NO_YEAR_FILL) if bar.year is not None else NO_YEAR_FILL
                name = shorten(bar.indicator, FONT, LABEL_W)
                shapes.append(Text(BAR_X - 8, y + BAR_H - 3, name, size=FONT, anchor="end", title=bar.indicator))
                width = max(1.5, BAR_W * min(bar.value, scale) / scale)
                sentence = bar.sentence()
                shapes.append(
                    Rect(
                        BAR_X, y, width, BAR_H, fill, title=sentence, css_class="bar",
                        data={
                            "doc": bar.doc_id, "clause": bar.clause_id, "value": bar.number,
                            "comparator": bar.comparator or "", "unit": bar.unit or "",
                            "year": str(bar.year or ""),
                        },
                    )
                )
                shapes.append(Text(BAR_X + width + 6, y + BAR_H - 3, f"{bar.value_label} · {bar.year_label}", size=FONT))
                lines.append(sentence)
                y += ROW_H
            grid.extend(Line(BAR_X + BAR_W * t / scale, group_top, BAR_X + BAR_W * t / scale, y - 4) for t in ticks)
            y += 4
        shapes[0:0] = grid
        y += 10
    if not bars:
        shapes.append(Text(MARGIN, y + 16, "没有可绘制的量化目标。", size=FONT))
        y += 28
    if not_drawn:
        y = _notes(shapes, y, "未绘出（无数值）：" + "；".join(not_drawn), WIDTH)
    if left_out:
        y = _notes(shapes, y, f"只画出前 {max_plans} 部规划；未画出的：" + "、".join(left_out), WIDTH)
    if comparison.missing:
        y = _notes(shapes, y, "未量化该指标的规划：" + "、".join(comparison.missing), WIDTH)

    desc = (
        f"横向条形图，{len(bars)} 个目标，来自 {len({b.doc_id for b in bars})} 部规划；"
        "每部规划一组横条，条长为目标值，按单位分栏，目标年份以填充图案区分并在条旁注明。"
        + "".join(f"{line}。" for line in lines)
        + (f"未绘出（无数值）：{'；'.join(not_drawn)}。" if not_drawn else "")
        + (f"只画出前 {max_plans} 部规划；未画出的：{'、'.join(left_out)}。" if left_out else "")
        + (f"未量化该指标的规划：{'、'.join(comparison.missing)}。" if comparison.missing else "")
    )
    return Layout(WIDTH, math.ceil(y + MARGIN), title, desc, shapes, css_class="compare-chart")


# ---- the shared-wording heatmap ----------------------------------------------------------------

_PERIOD = re.compile(r"[（(][^（()）]*\d{4}[^（()）]*[)）]\s*$")
PERIOD_CHARS = 40


def plan_label(title: str | None, doc_id: str) -> str:
    """A plan's short name: its title without the period in brackets."""
    title = title or ""
    # the period is printed at the end (（2021—2030年）): only the tail is looked at,
    # so a title of any length costs the same
    head, tail = title[:-PERIOD_CHARS], title[-PERIOD_CHARS:]
    return (head + _PERIOD.sub("", tail)).strip() or doc_id


def shared_wording_matrix(report: SharedWordingReport) -> tuple[list[str], list[str], list[list[int]]]:
    """(doc ids, labels, counts): counts[i][j] is the number of clusters of
    near-identical wording that plans i and j share; counts[i][i] the clusters
    plan i is in."""
    doc_ids = [p.doc_id for p in report.plans]
    labels = [plan_label(p.title, p.doc_id) for p in report.plans]
    pos = {d: i for i, d in enumerate(doc_ids)}
    counts = [[0] * len(doc_ids) for _ in doc_ids]
    for cluster in report.clusters:
        members = [pos[d] for d in cluster.doc_ids if d in pos]
        for i in members:
            for j in members:
                counts[i][j] += 1
    return doc_ids, labels, counts


def _shade(share: float) -> tuple[str, str]:
    """Background (white to dark blue with ``share``) and a text colour that
    keeps contrast on it."""
    share = min(1.0, max(0.0, share))
    low, high = (247, 251, 255), (8, 48, 107)
    rgb = tuple(round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return "#" + "".join(f"{c:02x}" for c in rgb), ("#ffffff" if luminance < 140 else "#111111")


HEATMAP_MAX_PLANS = 40


def heatmap_layout(report: SharedWordingReport, max_plans: int = HEATMAP_MAX_PLANS) -> Layout:
    """Plan × plan: how many clusters of near-identical wording each pair of
    plans shares (the diagonal: clusters the plan is in). Each cell prints its
    number; the shade only repeats it. At most ``max_plans`` plans (those with
    the most shared clauses) are drawn; the text alternative says so."""
    doc_ids, labels, counts = shared_wording_matrix(report)
    order = sorted(range(len(doc_ids)), key=lambda i: -counts[i][i])[:max_plans]
    order.sort()
    n = len(order)
    size = FONT
    label_w = min(240.0, max((text_width(labels[i], size) for i in order), default=60.0) + 12)
    cell = 44.0
    col_head = min(200.0, label_w * 0.75) + 10
    left, top = MARGIN + label_w, 40 + col_head
    # column labels rise to the right at 45°: room for the last one
    width = max(left + cell * n + MARGIN + col_head * 0.75, 480.0)
    title = "规划两两共享措辞热图"
    shapes: list[Shape] = [Text(MARGIN, 26, title, size=16, bold=True)]
    top_value = max((counts[i][j] for i in order for j in order if i != j), default=0)
    pairs: list[tuple[int, str]] = []  # (count, sentence) of each pair of plans
    for c, j in enumerate(order):
        x = left + cell * c + cell / 2
        shapes.append(Text(x, top - 8, shorten(labels[j], size, col_head / 0.75 - 10), size=size, rotate=-45, title=labels[j]))
    for r, i in enumerate(order):
        y = top + cell * r
        shapes.append(Text(left - 8, y + cell / 2 + 4, shorten(labels[i], size, label_w - 12), size=size, anchor="end", title=labels[i]))
        for c, j in enumerate(order):
            value = counts[i][j]
            x = left + cell * c
            if i == j:
                fill, ink = Fill("#eeeeee", "hatch", "#bbbbbb", "#999999"), "#111111"
                tip = f"{labels[i]}：共出现在 {value} 组共享措辞中"
            else:
                bg, ink = _shade(value / top_value if top_value else 0.0)
                fill = Fill(bg, "", "#000000", "#ffffff")
                tip = f"{labels[i]} 与 {labels[j]}：共享 {value} 组措辞"
                if r < c:
                    pairs.append((value, tip))
            shapes.append(Rect(x, y, cell, cell, fill, title=tip, css_class="cell",
                               data={"row": doc_ids[i], "col": doc_ids[j], "count": str(value)}))
            shapes.append(Text(x + cell / 2, y + cell / 2 + 4, str(value), size=size, anchor="middle", color=ink, bold=i == j))
    height = _notes(
        shapes, top + cell * n + 8,
        "格中数字：两部规划共有的近乎相同措辞组数；对角线（斜线底纹）：该规划所在的组数。颜色越深，共享越多。", width,
    ) + MARGIN
    ranked = sorted(pairs, key=lambda p: -p[0])
    shown = [tip for _, tip in ranked[:60]]
    desc = (
        f"{n} 部规划两两之间共享的近乎相同措辞组数（相似度阈值 {report.threshold:.2f}）。"
        + "；".join(shown)
        + ("。" if shown else "没有两部规划共享措辞。")
        + (f"另有 {len(ranked) - len(shown)} 对从略，见下表。" if len(ranked) > len(shown) else "")
        + (f"只画出共享最多的 {n} 部规划（共 {len(doc_ids)} 部）。" if len(doc_ids) > n else "")
    )
    return Layout(width, height, title, desc, shapes, css_class="heatmap")


# ---- SVG -----------------------------------------------------------------------------------------


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _pattern_defs(fills: Iterable[Fill], prefix: str) -> tuple[list[str], dict[tuple[str, str, str], str]]:
    defs: list[str] = []
    ids: dict[tuple[str, str, str], str] = {}
    for fill in fills:
        key = (fill.pattern, fill.color, fill.pattern_color)
        if not fill.pattern or key in ids:
            continue
        pid = f"{prefix}-p{len(ids)}"
        ids[key] = pid
        bg = f'<rect width="8" height="8" fill="{_attr(fill.color)}"/>'
        ink = _attr(fill.pattern_color)
        if fill.pattern == "hatch":
            mark = f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{ink}" stroke-width="1.6"/>'
        elif fill.pattern == "dots":
            mark = f'<circle cx="2" cy="2" r="1.4" fill="{ink}"/><circle cx="6" cy="6" r="1.4" fill="{ink}"/>'
        else:
            mark = f'<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{ink}" stroke-width="1.2"/>'
        defs.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{bg}{mark}</pattern>')
    return defs, ids


def to_svg(layout: Layout, id_prefix: str = "chart") -> str:
    """The layout as a standalone, accessible SVG document (also valid inline
    in HTML). ``id_prefix`` keeps ids unique when several charts share a page."""
    prefix = re.sub(r"[^A-Za-z0-9_-]", "", id_prefix) or "chart"
    fills = [s.fill for s in layout.shapes if isinstance(s, Rect)]
    defs, pattern_ids = _pattern_defs(fills, prefix)
    w, h = _num(layout.width), _num(layout.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{_attr(layout.css_class)}" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'font-family="{_attr(FONT_FAMILY)}">',
        f'<title id="{prefix}-title">{escape(layout.title)}</title>',
        f'<desc id="{prefix}-desc">{escape(layout.desc)}</desc>',
    ]
    if defs:
        out.append("<defs>" + "".join(defs) + "</defs>")
    out.append(f'<rect width="{w}" height="{h}" fill="#ffffff"/>')
    for shape in layout.shapes:
        if isinstance(shape, Line):
            out.append(
                f'<line x1="{_num(shape.x1)}" y1="{_num(shape.y1)}" x2="{_num(shape.x2)}" y2="{_num(shape.y2)}" '
                f'stroke="{_attr(shape.color)}" stroke-width="{_num(shape.width)}"/>'
            )
        elif isinstance(shape, Rect):
            fill = shape.fill
            paint = f"url(#{pattern_ids[(fill.pattern, fill.color, fill.pattern_color)]})" if fill.pattern else fill.color
            data = "".join(f' data-{k}="{_attr(v)}"' for k, v in shape.data.items())
            cls = f' class="{_attr(shape.css_class)}"' if shape.css_class else ""
            tip = f"<title>{escape(shape.title)}</title>" if shape.title else ""
            out.append(
                f'<g{cls}{data}>{tip}<rect x="{_num(shape.x)}" y="{_num(shape.y)}" width="{_num(shape.w)}" '
                f'height="{_num(shape.h)}" fill="{_attr(paint)}" stroke="{_attr(fill.stroke)}" stroke-width="1"/></g>'
            )
        else:
            attrs = f'x="{_num(shape.x)}" y="{_num(shape.y)}" font-size="{_num(shape.size)}" fill="{_attr(shape.color)}"'
            if shape.anchor != "start":
                attrs += f' text-anchor="{shape.anchor}"'
            if shape.bold:
                attrs += ' font-weight="bold"'
            if shape.rotate:
                attrs += f' transform="rotate({_num(shape.rotate)} {_num(shape.x)} {_num(shape.y)})"'
            tip = f"<title>{escape(shape.title)}</title>" if shape.title and shape.title != shape.text else ""
            out.append(f"<text {attrs}>{tip}{escape(shape.text)}</text>")
    out.append("</svg>")
    return "\n".join(out)


# ---- PNG (matplotlib) --------------------------------------------------------------------------


def _matplotlib() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import fontManager
        from matplotlib.patches import Rectangle
    except ImportError as exc:
        from index.embedders.base import MissingDependencyError

        raise MissingDependencyError(
            f"PNG charts need matplotlib ({CHARTS_EXTRA_HINT}); an .svg chart needs nothing"
        ) from exc
    return Figure, FigureCanvasAgg, Rectangle, fontManager


def cjk_font(font_manager: Any) -> str | None:
    """A font family with Chinese glyphs that matplotlib can use, or None.
    Looks through matplotlib's fonts, then asks fontconfig for one."""
    names = {f.name for f in font_manager.ttflist}
    for family in CJK_FONTS:
        if family in names:
            return family
    import shutil
    import subprocess

    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(
                ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        for line in listing.splitlines():
            path = line.split(":")[0].strip()
            if path.lower().endswith((".ttf", ".ttc", ".otf")):
                try:
                    font_manager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
                added = [f.name for f in font_manager.ttflist if f.fname == path]
                if added:
                    return str(added[0])
    return None


_MPL_HATCH = {"hatch": "////", "dots": "..", "cross": "xx"}
_MPL_ALIGN = {"start": "left", "middle": "center", "end": "right"}


def to_png(layout: Layout, scale: float = 2.0) -> tuple[bytes, str | None]:
    """The layout drawn by matplotlib as PNG bytes (``scale`` × its pixel
    size), and the font used for Chinese (None: none was found, so Chinese
    characters show as boxes; install fonts-noto-cjk or fonts-wqy-zenhei)."""
    import io

    Figure, FigureCanvasAgg, Rectangle, font_manager = _matplotlib()
    family = cjk_font(font_manager)
    if family is None:
        log.warning("no font with Chinese characters found for the PNG chart (install fonts-noto-cjk or fonts-wqy-zenhei)")
    # a CJK font without a bold face is used at its one weight: not worth a message per text
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    dpi = 100.0 * scale
    fig = Figure(figsize=(layout.width / 100.0, layout.height / 100.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(layout.height, 0)
    ax.axis("off")
    font = {"family": [family, "DejaVu Sans"]} if family else {}
    for shape in layout.shapes:
        if isinstance(shape, Line):
            ax.plot([shape.x1, shape.x2], [shape.y1, shape.y2], color=shape.color, linewidth=shape.width * 0.75)
        elif isinstance(shape, Rect):
            fill = shape.fill
            ax.add_patch(
                Rectangle(
                    (shape.x, shape.y), shape.w, shape.h, facecolor=fill.color,
                    edgecolor=fill.pattern_color if fill.pattern else fill.stroke,
                    hatch=_MPL_HATCH.get(fill.pattern) or None, linewidth=0.75,
                )
            )
        else:
            ax.text(
                shape.x, shape.y, shape.text, fontsize=shape.size * 0.75, ha=_MPL_ALIGN[shape.anchor],
                va="baseline", color=shape.color, fontweight="bold" if shape.bold else "normal",
                rotation=-shape.rotate, rotation_mode="anchor", fontdict=font,
            )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue(), family


# ---- entry points ----------------------------------------------------------------------------------


def compare_svg(comparison: Comparison, id_prefix: str = "compare") -> str:
    """The compare bar chart as SVG."""
    return to_svg(compare_layout(comparison), id_prefix)


def shared_wording_heatmap_svg(report: SharedWordingReport, id_prefix: str = "heatmap") -> str:
    """The plan × plan heatmap of a shared-wording report as SVG."""
    return to_svg(heatmap_layout(report), id_prefix)


CHART_FORMATS: Sequence[str] = ("svg", "png")


def write_chart(layout: Layout, path: Path) -> str | None:
    """Write ``layout`` to ``path`` as SVG or PNG by its suffix; returns the
    font used for Chinese in a PNG (None for SVG, or when none was found)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in CHART_FORMATS:
        raise ValueError(f"a chart is written as .svg or .png, not {path.name!r}")
    if fmt == "svg":
        path.write_text(to_svg(layout) + "\n", encoding="utf-8")
        return None
    data, family = to_png(layout)
    path.write_bytes(data)
    return family
