"""Screenshots of every view of the web page, written to docs/screenshots/.

They are for people (the README, reviews): each test renders a view in the
headless browser, checks that it rendered without an error and saves a PNG of
the page's top (up to MAX_HEIGHT pixels, beyond the window if need be).
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from urllib.parse import quote

import pytest

try:  # pytest imports test modules by file name (rootdir-relative, no package)
    from test_web import (  # noqa: F401
        PHONE,
        QUERY,
        Page,
        api,
        browser_installed,
        driver,
        live_server,
        page,
        similar_available,
    )
except ImportError:  # pragma: no cover - when run as a package
    from tests.test_web import (  # noqa: F401
        PHONE,
        QUERY,
        Page,
        api,
        browser_installed,
        driver,
        live_server,
        page,
        similar_available,
    )

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
MAX_HEIGHT = 1600

pytestmark = pytest.mark.browser


def save(page: Page, name: str, start: str | None = None) -> Path:
    """A PNG of the page, as wide as the viewport, from the top (or from the
    element ``start``) down at most MAX_HEIGHT pixels."""
    drv = page.driver
    width = drv.execute_script("return document.documentElement.clientWidth")
    y = 0
    if start:
        y = int(drv.execute_script(
            "return Math.max(0, arguments[0].getBoundingClientRect().top + window.scrollY - 12)", page.find(start)
        ))
    height = min(drv.execute_script("return document.documentElement.scrollHeight") - y, MAX_HEIGHT)
    shot = drv.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": y, "width": width, "height": height, "scale": 1},
        },
    )
    data = base64.b64decode(shot["data"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{name}.png"
    out.write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (width, height)
    return out


def settle(page: Page) -> None:
    """Wait for web fonts/layout, and scroll back to the top for a stable picture."""
    page.driver.execute_script("window.scrollTo(0, 0)")
    page.until(lambda d: d.execute_script("return document.fonts.status") == "loaded")


def test_screenshot_search_results(page):
    page.open("/?q=" + quote(QUERY))
    page.wait_css("#results .hit mark")
    settle(page)
    assert save(page, "search-results").stat().st_size > 10_000


def test_screenshot_ask(page):
    page.open("/?mode=ask&q=" + quote("大渡口区婴儿死亡率的目标是多少？"))
    page.wait_css("#answer.found")
    settle(page)
    save(page, "ask")


def test_screenshot_ask_not_found(page):
    page.open("/?mode=ask&q=" + quote("火星移民补贴标准是多少？"))
    page.wait_css("#answer")
    settle(page)
    save(page, "ask-not-found")


def test_screenshot_compare(page):
    page.open("/compare?indicator=" + quote("婴儿死亡率"))
    page.wait_css("#compare-table tbody tr")
    settle(page)
    save(page, "compare")


def _drowning_clause(page: Page) -> str:
    _, found = api(page.base, "/v1/search", {"query": QUERY, "top_k": 1})
    return found["results"][0]["clause_id"]


def test_screenshot_clause_in_context(page):
    page.open("/clause/" + quote(_drowning_clause(page)))
    page.wait_css("#context .clause.current")
    settle(page)
    save(page, "clause-context")


def test_screenshot_similar(page):
    clause_id = _drowning_clause(page)
    page.open(f"/clause/{quote(clause_id)}?similar=1")
    if not similar_available(page.base, clause_id):
        page.wait_css("#similar .error")
        pytest.xfail("POST /v1/similar is not implemented yet")
    page.wait_css("#similar .match")
    settle(page)
    save(page, "similar", start="#context .clause.current")  # the clause, then its precedents


def test_screenshot_document(page):
    clause_id = _drowning_clause(page)
    page.open(f"/document/zigong-children#c-{quote(clause_id)}")
    page.wait_css("#document .clause")
    settle(page)
    save(page, "document")


@pytest.mark.parametrize(
    ("name", "path", "css"),
    [
        ("phone-search", "/?q=" + quote(QUERY), "#results .hit"),
        ("phone-compare", "/compare?indicator=" + quote("婴儿死亡率"), "#compare-table tbody tr"),
    ],
)
def test_screenshot_phone_width(page, name, path, css):
    page.phone()
    try:
        page.open(path)
        page.wait_css(css)
        settle(page)
        assert page.driver.execute_script("return document.documentElement.clientWidth") == PHONE
        save(page, name)
    finally:
        page.phone(False)
