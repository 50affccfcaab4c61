"""The compare chart on the web page, in headless Chromium (the fixtures of
tests/test_web.py): drawn above the table, one bar per target, years told
apart by pattern and in words, with a text alternative."""

from __future__ import annotations

from urllib.parse import quote

import pytest

try:  # pytest imports test modules by file name (rootdir-relative, no package)
    from test_web import (  # noqa: F401
        Page,
        api,
        browser_errors,
        browser_installed,
        driver,
        live_server,
        page,
    )
except ImportError:  # pragma: no cover - when run as a package
    from tests.test_web import (  # noqa: F401
        Page,
        api,
        browser_errors,
        browser_installed,
        driver,
        live_server,
        page,
    )

pytestmark = pytest.mark.browser


def test_compare_chart_renders_with_its_text_alternative(page: Page):
    browser_errors(page.driver)  # drain earlier messages
    page.open("/compare?indicator=" + quote("近视率"))
    svg = page.wait_css("#compare-chart svg")
    _, expected = api(page.base, "/v1/compare?indicator=" + quote("近视率"))
    targets = [t for row in expected["rows"] for t in row["targets"]]

    # drawn, visible, above the table
    size = page.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height, r.top];", svg)
    table_top = page.driver.execute_script("return document.querySelector('#compare-table').getBoundingClientRect().top")
    assert size[0] > 300 and size[1] > 200 and size[2] < table_top

    bars = page.find_all("#compare-chart g.bar")
    assert len(bars) == len(targets) == 15
    widths = page.driver.execute_script(
        "return [...document.querySelectorAll('#compare-chart g.bar rect')].map(r => r.getBBox().width)")
    assert all(w > 0 for w in widths)
    by_value = {}
    for bar, width in zip(bars, widths, strict=True):
        by_value.setdefault(bar.get_attribute("data-value"), set()).add(round(width))
    assert max(by_value["38"]) < min(by_value["60"]) < min(by_value["70"])  # bar length follows the value

    # target years: a pattern for 2025 (乡宁's 十四五 plan), a solid fill for 2030, and the year in words
    fills = {b.get_attribute("data-year"): b.find_element("css selector", "rect").get_attribute("fill") for b in bars}
    assert fills["2025"].startswith("url(#") and not fills["2030"].startswith("url(#")
    labels = page.driver.execute_script(
        "return [...document.querySelectorAll('#compare-chart text')].map(t => t.textContent)")
    assert "2025年目标" in labels and "2030年目标" in labels
    assert sum("· 2025年" in t for t in labels) == 3 and sum("· 2030年" in t for t in labels) == 12

    # the text alternative: role img, named by its title and described by its desc
    assert svg.get_attribute("role") == "img"
    title_id, desc_id = svg.get_attribute("aria-labelledby").split()
    title = page.driver.execute_script("return document.getElementById(arguments[0]).textContent", title_id)
    desc = page.driver.execute_script("return document.getElementById(arguments[0]).textContent", desc_id)
    assert "近视率" in title
    for row in expected["rows"]:
        assert row["jurisdiction"] in desc
    assert "≤38%（2025年目标" in desc and "<38%（2030年目标" in desc
    assert page.find("#compare-chart figcaption").text
    assert browser_errors(page.driver) == []


def test_no_chart_without_targets(page: Page):
    page.open("/compare?indicator=" + quote("火星移民"))
    assert page.find_all("#compare-chart") == []
    assert page.find_all(".notice")
