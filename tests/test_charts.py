"""Charts (search.charts): the compare bar chart and the shared-wording
heatmap, as accessible SVG and as PNG; `compare --chart`; the chart endpoint."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.charts import (
    compare_layout,
    comparison_bars,
    heatmap_layout,
    nice_ceiling,
    shared_wording_matrix,
    to_png,
    to_svg,
)
from search.targets_table import Comparison, ComparisonRow

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _target(doc_id: str, indicator: str, comparator: str | None, value: float | None, value_text: str,
            unit: str | None, year: int | None, qualitative: bool = False) -> dict:
    return {
        "indicator": indicator, "indicator_norm": indicator, "comparator": comparator, "comparator_text": None,
        "value": value, "value_text": value_text, "unit": unit, "year": year, "baseline": None, "attribute": None,
        "responsible_unit": None, "qualitative": qualitative, "clause_id": f"{doc_id}-c1", "doc_id": doc_id,
    }


def _row(doc_id: str, place: str | None, targets: list[dict]) -> ComparisonRow:
    first = targets[0]
    return ComparisonRow(
        doc_id=doc_id, jurisdiction=place, indicator=first["indicator"], value=first["value_text"],
        comparator=first["comparator"], unit=first["unit"], year=first["year"], attribute=None, targets=targets,
        hit={"clause_id": f"{doc_id}-c1", "title": f"{place or '某地'}儿童发展规划（2021—2030年）",
             "citation": f"《{place or '某地'}儿童发展规划》主要目标 第1项"},
    )


def sample() -> Comparison:
    return Comparison(
        indicator="婴儿死亡率",
        rows=[
            _row("a", "甲区", [_target("a", "婴儿死亡率（‰）", "<", 2.3, "＜2.3", "‰", 2030)]),
            _row("b", "乙县", [_target("b", "婴儿死亡率", "≤", 5.3, "5.3‰", "‰", 2025)]),
            _row("c", None, [_target("c", "婴儿死亡率", "≤", 5.0, "5.0‰", "‰", 2030),
                             _target("c", "婴儿死亡率", "≤", 5.0, "5.0‰", "‰", 2030),  # printed twice: one bar
                             _target("c", "新生儿死亡率", "≤", 3.0, "３‰", "‰", None)]),
            _row("d", "丁市", [_target("d", "婴儿死亡率", "≤", 90.0, "90%以上", "%", 2030),
                               _target("d", "婴儿死亡率", None, None, "持续下降", None, 2030, qualitative=True)]),
        ],
        missing=["e"],
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bars_keep_the_printed_number_comparator_unit_and_year():
    bars, not_drawn = comparison_bars(sample())
    assert [(b.doc_id, b.value_label, b.year_label) for b in bars] == [
        ("a", "<2.3‰", "2030年"),
        ("b", "≤5.3‰", "2025年"),
        ("c", "≤5.0‰", "2030年"),  # 5.0 as printed, not 5
        ("c", "≤3‰", "年份未注明"),  # full-width ３ read as 3
        ("d", "≤90%", "2030年"),
    ]
    assert bars[2].plan == "某地儿童发展规划（2021—2030年）"  # no jurisdiction: the title names the plan
    assert not_drawn == ["丁市 婴儿死亡率：持续下降"]


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 2.3, 5.3, 38, 90, 120, 0.04)] == [1.0, 2.5, 10.0, 50.0, 100.0, 200.0, 0.05]


def test_compare_svg_is_accessible_and_tells_years_apart_without_colour():
    layout = compare_layout(sample())
    root = parse(to_svg(layout, "cmp"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    labelled = root.get("aria-labelledby").split()
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [ids[i].tag for i in labelled] == [f"{SVG}title", f"{SVG}desc"]
    desc = ids["cmp-desc"].text
    for words in ("甲区 婴儿死亡率（‰）：<2.3‰（2030年目标", "乙县 婴儿死亡率：≤5.3‰（2025年目标", "持续下降", "e"):
        assert words in desc
    bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(bars) == 5
    assert all(g.find(f"{SVG}title") is not None and g.find(f"{SVG}title").text for g in bars)
    fills = {g.get("data-year"): g.find(f"{SVG}rect").get("fill") for g in bars}
    assert fills["2030"] != fills["2025"]
    assert fills["2025"].startswith("url(#cmp-p")  # a pattern, not only another colour
    pattern = fills["2025"][len("url(#"):-1]
    assert ids[pattern].tag == f"{SVG}pattern"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("<2.3‰ · 2030年", "≤5.3‰ · 2025年", "≤90% · 2030年", "2030年目标", "2025年目标", "单位：‰", "单位：%"):
        assert label in texts  # the year is written beside every bar and in the legend
    widths = {g.get("data-doc") + g.get("data-value"): float(g.find(f"{SVG}rect").get("width")) for g in bars}
    assert widths["b5.3"] > widths["a2.3"]  # same unit, same scale: longer for the larger value


def test_compare_svg_escapes_what_it_prints():
    comparison = sample()
    comparison.indicator = "<script>alert(1)</script>"
    comparison.rows[0].jurisdiction = 'A&B"区'
    svg = to_svg(compare_layout(comparison))
    assert "<script>" not in svg
    parse(svg)  # still well-formed


def test_png_of_the_compare_chart():
    layout = compare_layout(sample())
    data, font = to_png(layout, scale=1.0)
    assert data.startswith(PNG_SIGNATURE)
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (round(layout.width), round(layout.height))


@pytest.mark.integration
def test_heatmap_of_the_shared_wording_report(service):
    report = service.shared_wording(2, 0.8)
    doc_ids, labels, counts = shared_wording_matrix(report)
    n = len(doc_ids)
    assert n == 6 and labels[0] == "重庆市大渡口区儿童发展规划"
    assert all(counts[i][j] == counts[j][i] for i in range(n) for j in range(n))
    for i, d in enumerate(doc_ids):
        assert counts[i][i] == sum(1 for c in report.clusters if d in c.doc_ids)
    zigong, xiqu = doc_ids.index("zigong-children"), doc_ids.index("xiqu-children")
    assert counts[zigong][xiqu] == sum(1 for c in report.clusters if {"zigong-children", "xiqu-children"} <= set(c.doc_ids))

    root = parse(to_svg(heatmap_layout(report), "hm"))
    cells = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"]
    assert len(cells) == n * n
    printed = {t.text for t in root.iter(f"{SVG}text")}
    for g in cells:
        assert g.get("data-count") in printed  # every cell prints its number: colour only repeats it
        assert g.find(f"{SVG}title").text
    assert "共享" in root.find(f"{SVG}desc").text

    page = report.to_html()
    assert "规划两两共享热图" in page and 'role="img"' in page


# ---- the command line and the endpoint ----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_compare_writes_a_chart(index_dir, tmp_path, suffix):
    from policy_search.cli import cli

    out = tmp_path / f"chart{suffix}"
    result = CliRunner().invoke(cli, ["--index", str(index_dir), "compare", "近视率", "--chart", str(out)])
    assert result.exit_code == 0, result.output
    assert "大渡口区" in result.output  # the table is still printed
    data = out.read_bytes()
    if suffix == ".svg":
        root = parse(data.decode("utf-8"))
        bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
        assert len(bars) == 15  # 3 school stages × 5 plans
        assert {g.get("data-year") for g in bars} == {"2025", "2030"}  # 乡宁's 十四五 plan ends in 2025
    else:
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


@pytest.mark.integration
def test_compare_chart_refuses_other_formats(index_dir, tmp_path):
    from policy_search.cli import cli

    result = CliRunner().invoke(cli, ["--index", str(index_dir), "compare", "近视率", "--chart", str(tmp_path / "c.pdf")])
    assert result.exit_code == 2 and ".svg or .png" in result.output
    assert not (tmp_path / "c.pdf").exists()


@pytest.mark.integration
def test_chart_endpoint(client):
    resp = client.get("/v1/compare/chart", params={"indicator": "婴儿死亡率"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg+xml")
    root = parse(resp.text)
    rows = client.get("/v1/compare", params={"indicator": "婴儿死亡率"}).json()["rows"]
    bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert {g.get("data-doc") for g in bars} == {r["doc_id"] for r in rows}
    assert client.get("/v1/compare/chart", params={"indicator": " "}).status_code == 400
    assert client.get("/v1/compare/chart").status_code == 422


def test_write_chart_refuses_unknown_suffix(tmp_path: Path):
    from search.charts import write_chart

    with pytest.raises(ValueError, match=".svg or .png"):
        write_chart(compare_layout(sample()), tmp_path / "c.gif")


def test_a_chart_of_many_plans_is_bounded_and_says_what_it_left_out():
    rows = [_row(f"p{i}", f"地{i}", [_target(f"p{i}", "婴儿死亡率", "≤", 5.0, "5.0‰", "‰", 2030)]) for i in range(12)]
    layout = compare_layout(Comparison(indicator="婴儿死亡率", rows=rows), max_plans=10)
    root = parse(to_svg(layout))
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]) == 10
    assert "只画出前 10 部规划；未画出的：地10、地11" in root.find(f"{SVG}desc").text
