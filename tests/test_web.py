"""The web page, driven in a real browser (Selenium + Debian's headless chromium).

The app runs in uvicorn on a free loopback port, over the session's real index.
When chromium is missing, scripts/install_browser.sh installs it once (CI runs
as root); the browser tests are skipped only if that install fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = REPO / "scripts" / "install_browser.sh"
CHROMIUM = Path(os.environ.get("POLICY_SEARCH_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("POLICY_SEARCH_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",
]
DESKTOP = (1280, 1000)
PHONE = 375
QUERY = "防止儿童溺水"


# ---- fixtures -----------------------------------------------------------------------------


def _have_browser() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


@pytest.fixture(scope="session")
def browser_installed() -> None:
    """Chromium and chromedriver, installed by scripts/install_browser.sh if missing."""
    if _have_browser():
        return
    try:
        proc = subprocess.run(["sh", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=1200)
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = f"chromium is not installed and {INSTALL_SCRIPT.name} failed: {exc}"
        print(reason)
        pytest.skip(reason)
    if proc.returncode != 0 or not _have_browser():
        tail = (proc.stderr or proc.stdout or "").strip()[-1500:]
        reason = f"chromium is not installed and {INSTALL_SCRIPT.name} failed (exit {proc.returncode}): {tail}"
        print(reason)
        pytest.skip(reason)


@contextmanager
def serve(service) -> Iterator[str]:
    """The app (with the web page) over ``service``, served by uvicorn in a thread: its base URL."""
    import uvicorn

    from api.app import create_app

    app = create_app(service_factory=lambda: service)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server (uvicorn) did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(service) -> Any:
    """The app over the session's index of the six plans; yields its base URL."""
    with serve(service) as base:
        yield base


@pytest.fixture(scope="session")
def driver(browser_installed) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="policy-search-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, for browser_errors()
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """A thin helper over the driver: open a path, wait for the view to render."""

    def __init__(self, drv: Any, base: str):
        self.driver = drv
        self.base = base

    def open(self, path: str) -> Page:
        target = self.base + path
        # Wait for the new document, not the old one's view: mark the old window first
        # (unless only the #fragment changes: that stays in the same document).
        same_document = "#" in target and self.driver.current_url.split("#")[0] == target.split("#")[0]
        if not same_document:
            self.driver.execute_script("window.__oldPage = true")
        self.driver.get(target)
        if not same_document:
            self.until(lambda d: not d.execute_script("return window.__oldPage === true"), 60, f"{path} never loaded")
        self.wait_rendered()
        return self

    def state(self) -> str:
        return self.driver.execute_script("return document.body.dataset.state")

    def wait_rendered(self, timeout: float = 60) -> str:
        self.until(lambda d: self.state() in ("ready", "error"), timeout, "the view never finished rendering")
        return self.state()

    def until(self, condition, timeout: float = 60, message: str = "") -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition, message)

    def wait_css(self, css: str, timeout: float = 60) -> Any:
        self.until(lambda d: d.find_elements("css selector", css), timeout, f"nothing matches {css}")
        return self.driver.find_element("css selector", css)

    def find(self, css: str) -> Any:
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str) -> list[Any]:
        return self.driver.find_elements("css selector", css)

    def path(self) -> str:
        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.driver.current_url).query).items()}

    def search(self, text: str, mode: str = "search") -> None:
        """Type into the search box and submit, as a person would."""
        from selenium.webdriver.common.keys import Keys

        radio = self.find(f"#search-form input[name=mode][value={mode}]")
        if not radio.is_selected():
            radio.click()
        box = self.find("#q")
        box.clear()
        box.send_keys(text, Keys.ENTER)

    def phone(self, on: bool = True) -> None:
        if on:
            self.driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": PHONE, "height": 812, "deviceScaleFactor": 1, "mobile": True},
            )
        else:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture
def page(driver, live_server) -> Page:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return Page(driver, live_server)


def browser_errors(drv: Any) -> list[str]:
    """Uncaught errors and unhandled rejections the page logged since the last call
    (the console log is drained by reading it)."""
    return [e["message"] for e in drv.get_log("browser") if "Uncaught" in e["message"] or "unhandled" in e["message"].lower()]


def api(base: str, path: str, body: dict | None = None) -> tuple[int, Any]:
    """Call the JSON API of the live server (status, parsed body or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw, status, ctype = resp.read().decode("utf-8"), resp.status, resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        raw, status, ctype = err.read().decode("utf-8"), err.code, err.headers.get("Content-Type", "")
    return status, (json.loads(raw) if "json" in ctype else raw)


def similar_available(base: str, clause_id: str) -> bool:
    status, body = api(base, "/v1/similar", {"clause_id": clause_id, "top_k": 5})
    missing = status in (404, 405) and isinstance(body, dict) and body.get("error", {}).get("message") in ("Not Found", "Method Not Allowed")
    return not missing


# ---- page routes (no browser) -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/compare", "/clause/any-id", "/document/any-doc", "/?q=防止儿童溺水"])
def test_every_page_path_serves_the_app(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js">' in resp.text


def test_static_files_are_whitelisted(client):
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    for name in ("web.py", "..%2Fweb.py", "nothing.js"):
        resp = client.get(f"/static/{name}")
        assert resp.status_code == 404
        assert resp.json()["error"]["status"] == 404


# ---- search ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_search_shows_highlighted_results_with_citations(page):
    page.open("/")
    options = [o.get_attribute("value") for o in page.find_all("#jurisdiction option")]
    assert "大渡口区" in options and "自贡市" in options  # filled from /v1/documents
    assert "重庆市" in options and "四川省" in options  # with the provinces above them
    assert [o.get_attribute("value") for o in page.find_all("#doc_type option")] == ["", "plan"]
    subjects = [o.get_attribute("value") for o in page.find_all("#subject option")]
    assert subjects[0] == "" and {"儿童", "妇女"} <= set(subjects[1:])
    page.search(QUERY)
    page.wait_css("#results .hit")
    assert page.params()["q"] == QUERY

    status, expected = api(page.base, "/v1/search", {"query": QUERY, "top_k": 20})
    assert status == 200
    hits = page.find_all("#results .hit")
    assert len(hits) == len(expected["results"])
    first, want = hits[0], expected["results"][0]
    assert first.get_attribute("data-clause") == want["clause_id"]
    # the text is the clause as printed, the highlight spans marked, nothing else changed
    assert first.find_element("css selector", ".text").text == want["text"]
    marks = [m.text for m in first.find_elements("css selector", ".text mark")]
    assert marks and any("溺水" in m for m in marks)
    assert "".join(marks) == "".join(h["text"] for h in want["highlights"])
    assert first.find_element("css selector", ".cite").text == "出处：" + want["citation"]
    assert first.find_element("css selector", ".juris").text == want["jurisdiction"]
    assert first.find_element("css selector", ".doctype").text == "规划"
    link = first.find_element("css selector", ".actions a")
    assert link.get_attribute("href").endswith("/clause/" + quote(want["clause_id"]))


@pytest.mark.browser
def test_deep_link_renders_results_on_load(page):
    page.open("/?q=" + quote(QUERY))
    page.wait_css("#results .hit")
    assert page.find("#q").get_attribute("value") == QUERY
    assert page.find_all("#results .hit mark")


@pytest.mark.browser
def test_jurisdiction_filter_from_the_url_and_the_select(page):
    from selenium.webdriver.support.ui import Select

    page.open("/?q=" + quote(QUERY) + "&jurisdiction=" + quote("大渡口区"))
    page.wait_css("#results .hit")
    assert Select(page.find("#jurisdiction")).first_selected_option.get_attribute("value") == "大渡口区"
    assert {b.text for b in page.find_all("#results .juris")} == {"大渡口区"}

    Select(page.find("#jurisdiction")).select_by_value("自贡市")  # changing a filter searches again
    page.until(lambda d: page.params().get("jurisdiction") == "自贡市")
    page.wait_rendered()
    page.until(lambda d: {b.text for b in page.find_all("#results .juris")} == {"自贡市"})


@pytest.mark.browser
def test_no_results_and_bad_filters_show_a_message(page):
    page.open("/?q=" + quote(QUERY) + "&jurisdiction=" + quote("北京市"))
    assert "没有找到相关条款" in page.find("#view").text
    assert "北京市" in page.find("#view .notice").text
    page.open("/clause/no-such-clause")
    assert page.state() == "error"
    assert "no-such-clause" in page.find("#view .error").text


# ---- clause in context, whole plan ---------------------------------------------------------------


@pytest.mark.browser
def test_open_a_clause_in_context_and_then_its_plan(page):
    page.open("/?q=" + quote(QUERY))
    first = page.wait_css("#results .hit")
    clause_id = first.get_attribute("data-clause")
    text = first.find_element("css selector", ".text").text
    first.find_element("link text", "查看上下文").click()
    page.until(lambda d: page.path() == "/clause/" + quote(clause_id))
    page.wait_css("#context .clause.current")
    current = page.find("#context .clause.current")
    assert current.text == text
    assert len(page.find_all("#context .clause")) > 1  # the neighbours of its section
    status, data = api(page.base, f"/v1/clauses/{quote(clause_id)}")
    assert data["document"]["title"] in page.find(".crumbs").text
    assert data["clause"]["citation"] in page.find("#view .cite").text

    page.find(".crumbs a").click()  # the whole plan, one click away
    doc_id = data["clause"]["doc_id"]
    page.until(lambda d: page.path() == f"/document/{doc_id}")
    page.wait_css("#document .clause")
    _, doc = api(page.base, f"/v1/documents/{doc_id}")
    assert len(page.find_all("#document .clause")) == doc["clause_count"]
    facts = page.find("#doc-facts").text
    assert "规划" in facts and doc["jurisdiction"]["name"] in facts and doc["jurisdiction"]["level"] in facts
    marked = page.find("#document .clause.current")
    assert marked.get_attribute("id") == f"c-{clause_id}"


# ---- ask -------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_ask_mode_shows_the_answer_and_its_clauses(page):
    page.open("/")
    question = "大渡口区婴儿死亡率的目标是多少？"
    page.search(question, mode="ask")
    answer = page.wait_css("#answer")
    assert page.params() == {"mode": "ask", "q": question}
    assert "found" in answer.get_attribute("class")
    assert "2.3" in answer.find_element("css selector", ".answer-value").text
    assert "大渡口区" in answer.find_element("css selector", ".cite").text
    assert page.find_all("#results .hit")


@pytest.mark.browser
def test_ask_without_an_answer_says_so(page):
    question = "火星移民补贴标准是多少？"
    _, expected = api(page.base, "/v1/ask", {"question": question})
    assert expected["found"] is False
    page.open("/?mode=ask&q=" + quote(question))
    answer = page.wait_css("#answer.not-found")
    assert "规划中没有相关规定" in answer.text
    if expected.get("answer_text"):
        assert expected["answer_text"] in answer.text


# ---- compare ----------------------------------------------------------------------------------------


def _column(page: Page, key: str) -> list[str]:
    index = [th.get_attribute("data-key") for th in page.find_all("#compare-table th")].index(key)
    return [row.find_elements("css selector", "td")[index].text for row in page.find_all("#compare-table tbody tr")]


def _numbers(values: list[str]) -> list[float]:
    import re

    return [float(re.search(r"\d+(?:\.\d+)?", v).group()) for v in values]


@pytest.mark.browser
def test_compare_table_sorts_and_links_csv(page):
    page.open("/compare")
    from selenium.webdriver.common.keys import Keys

    page.find("#indicator").send_keys("婴儿死亡率", Keys.ENTER)
    page.wait_css("#compare-table tbody tr")
    assert page.params()["indicator"] == "婴儿死亡率"
    _, expected = api(page.base, "/v1/compare?indicator=" + quote("婴儿死亡率"))
    rows = page.find_all("#compare-table tbody tr")
    assert len(rows) == len(expected["rows"]) >= 3
    assert {r.get_attribute("data-doc") for r in rows} == {r["doc_id"] for r in expected["rows"]}
    missing = page.find_all("#missing li")
    assert len(missing) == len(expected["missing"])

    header = page.find('#compare-table th[data-key="value"]')
    assert header.get_attribute("aria-sort") == "ascending"  # the default order
    assert _numbers(_column(page, "value")) == sorted(_numbers(_column(page, "value")))
    header.find_element("css selector", "button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert _numbers(_column(page, "value")) == sorted(_numbers(_column(page, "value")), reverse=True)
    assert page.params()["dir"] == "desc"
    page.find('#compare-table th[data-key="year"] button').click()
    assert page.find('#compare-table th[data-key="year"]').get_attribute("aria-sort") == "ascending"
    assert header.get_attribute("aria-sort") == "none"
    assert _column(page, "year") == sorted(_column(page, "year"))

    href = page.find("#csv-link").get_attribute("href")
    assert urlsplit(href).path == "/v1/compare"
    assert parse_qs(urlsplit(href).query) == {"format": ["csv"], "indicator": ["婴儿死亡率"]}
    with urllib.request.urlopen(href, timeout=60) as resp:
        assert resp.headers["Content-Type"].startswith("text/csv")
        csv_text = resp.read().decode("utf-8")
    assert csv_text.splitlines()[0].startswith("doc_id,jurisdiction,indicator")
    assert len(csv_text.strip().splitlines()) == len(expected["rows"]) + 1


# ---- history --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_back_button_returns_to_the_previous_state(page):
    page.open("/?q=" + quote(QUERY))
    first = page.wait_css("#results .hit").get_attribute("data-clause")
    page.search("儿童近视防控")
    page.until(lambda d: page.params().get("q") == "儿童近视防控")
    page.wait_rendered()
    page.wait_css("#results .hit")

    page.driver.back()
    page.until(lambda d: page.params().get("q") == QUERY)
    page.until(lambda d: page.find("#q").get_attribute("value") == QUERY)
    page.until(lambda d: page.state() == "ready" and page.find("#results .hit").get_attribute("data-clause") == first)

    page.find("#results .hit").find_element("link text", "查看上下文").click()
    page.until(lambda d: page.path().startswith("/clause/"))
    page.wait_css("#context .clause.current")
    page.driver.back()
    page.until(lambda d: page.params().get("q") == QUERY and page.state() == "ready" and page.find_all("#results .hit"))

    page.driver.forward()
    page.until(lambda d: page.path() == "/clause/" + quote(first))
    page.wait_css("#context .clause.current")


# ---- precedent ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_similar_wording_in_other_plans(page):
    _, found = api(page.base, "/v1/search", {"query": QUERY, "top_k": 1})
    clause_id = found["results"][0]["clause_id"]
    if not similar_available(page.base, clause_id):
        page.open(f"/clause/{quote(clause_id)}?similar=1")
        page.wait_css("#similar .error")  # the page says so instead of failing silently
        pytest.xfail("POST /v1/similar is not implemented yet")
    page.open(f"/clause/{quote(clause_id)}")
    page.find("#similar-btn").click()
    page.until(lambda d: page.params().get("similar") == "1")
    page.wait_css("#similar .match, #similar .notice, #similar .error")
    assert not page.find_all("#similar .error"), page.find("#similar").text
    matches = page.find_all("#similar .match")
    assert matches, "the drowning-prevention clause is copied in other plans"
    assert clause_id not in {m.get_attribute("data-clause") for m in matches}
    assert page.find_all("#similar ins, #similar del"), "differences are marked"
    groups = [g.get_attribute("data-group") for g in page.find_all("#similar .group")]
    assert set(groups) <= {"near-identical", "reworded", "related"}

    # from a search result: one click to the same view
    page.open("/?q=" + quote(QUERY))
    page.wait_css("#results .hit").find_element("link text", "其他文件中的相似表述").click()
    page.until(lambda d: page.params().get("similar") == "1")
    page.wait_css("#similar .match")


# ---- phone width --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/?q=" + quote(QUERY), "/compare?indicator=" + quote("婴儿死亡率"), "/?mode=ask&q=" + quote("大渡口区婴儿死亡率的目标是多少？")])
def test_phone_width_has_no_sideways_scrolling(page, path):
    page.phone()
    try:
        page.open(path)
        assert page.state() == "ready"
        width = page.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE, f"{path} is {width}px wide at {PHONE}px"
    finally:
        page.phone(False)
