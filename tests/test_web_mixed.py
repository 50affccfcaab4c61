"""The web page over a MIXED index: the six plans plus laws, regulations and a court case.

Doc types and jurisdictions (including an unknown one) are shown on every card and
page, the 地区 / 文件类型 / 对象 / 条款类型 filters are filled from what the index holds
and narrow the results, citations are the server's (第…条 for articles), and ids in
Chinese — or malformed escapes in an address — never break the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

try:  # pytest imports test modules by file name (rootdir-relative, no package)
    from test_web import (  # noqa: F401
        PHONE,
        Page,
        api,
        browser_errors,
        browser_installed,
        driver,
        serve,
    )
except ImportError:  # pragma: no cover - when run as a package
    from tests.test_web import (  # noqa: F401
        PHONE,
        Page,
        api,
        browser_errors,
        browser_installed,
        driver,
        serve,
    )

from tests.conftest import CACHE, CORPUS

REPO = Path(__file__).resolve().parents[1]
# laws, regulations and a court case: the copy in tests/data/extra, else ../shared/corpus-extra
EXTRA = next(
    (
        p
        for p in (REPO / "tests" / "data" / "extra", REPO.parent / "shared" / "corpus-extra")
        if p.is_dir()
    ),
    REPO / "tests" / "data" / "extra",
)
EXTRA_FILES = [
    "山东省学前教育条例(2021-12-03).md",
    "青岛市学前教育条例(2018-11-30).md",
    "未成年人保护法(2024-04-26).md",
    "婚前隐瞒重大疾病 配偶可申请撤销婚姻.md",
]
LAW_ID = "未成年人保护法-2024-04-26"
CASE_TITLE = "婚前隐瞒重大疾病 配偶可申请撤销婚姻"

pytestmark = pytest.mark.browser


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    missing = [name for name in EXTRA_FILES if not (EXTRA / name).exists()]
    if missing:
        pytest.skip(f"the extra corpus is not here ({EXTRA}): {missing}")
    root = tmp_path_factory.mktemp("mixed")
    extra = root / "extra"
    extra.mkdir()
    for name in EXTRA_FILES:
        shutil.copy2(EXTRA / name, extra / name)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ingest_paths([CORPUS, extra], root / "idx", cache_path=CACHE, progress=False)
    return SearchService.open(root / "idx")


@pytest.fixture(scope="module")
def mixed_server(mixed_service) -> Any:
    with serve(mixed_service) as base:
        yield base


@pytest.fixture
def page(driver, mixed_server) -> Page:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser_errors(driver)  # drain what earlier tests logged
    return Page(driver, mixed_server)


@pytest.fixture(scope="module")
def documents(mixed_server) -> list[dict]:
    status, body = api(mixed_server, "/v1/documents")
    assert status == 200
    return body["documents"]


def options(page: Page, css: str) -> list[str]:
    return [o.get_attribute("value") for o in page.find_all(f"{css} option")]


def card_places(page: Page) -> set[str]:
    return {b.text for b in page.find_all("#results .hit .juris")}


def card_types(page: Page) -> set[str]:
    return {b.text for b in page.find_all("#results .hit .doctype")}


# ---- filters --------------------------------------------------------------------------------


def test_filters_are_filled_from_the_index(page, documents):
    page.open("/")
    places = options(page, "#jurisdiction")
    assert places[0] == ""  # 全部地区
    assert places[1] == "全国"  # a national document exists: listed first
    # each document's place, and its province when different
    assert {"山东省", "青岛市", "大渡口区", "重庆市", "自贡市", "四川省"} <= set(places)
    assert places.index("山东省") < places.index("青岛市")  # a province, then the places under it
    assert len(places) == len(set(places))
    assert options(page, "#compare-jurisdiction") == places

    types = options(page, "#doc_type")
    assert types[0] == ""
    assert set(types[1:]) == {d["doc_type"] for d in documents}  # only the types present
    labels = {o.get_attribute("value"): o.text for o in page.find_all("#doc_type option")}
    assert (
        labels["regulation"].startswith("法规")
        and labels["law"] == "法律"
        and labels["case"] == "案例"
    )
    assert labels["plan"] == "规划"

    subjects = options(page, "#subject")
    assert set(subjects[1:]) == {d["subject"] for d in documents if d["subject"]}
    assert {"article", "row"} <= set(options(page, "#kind"))

    # the document list names each document's type and place (or 地区未知)
    items = {li.get_attribute("data-doc"): li.text for li in page.find_all("#doclist li")}
    assert len(items) == len(documents)
    assert "法律" in items[LAW_ID] and "全国" in items[LAW_ID]
    case = next(d for d in documents if d["doc_type"] == "case")
    assert "案例" in items[case["doc_id"]] and "地区未知" in items[case["doc_id"]]


def test_province_filter_keeps_its_cities(page):
    from selenium.webdriver.support.ui import Select

    # a short name in the address, as people type it
    page.open("/?q=" + quote("幼儿园") + "&jurisdiction=" + quote("山东"))
    page.wait_css("#results .hit")
    assert Select(page.find("#jurisdiction")).first_selected_option.get_attribute("value") == "山东"
    assert card_places(page) <= {"山东省", "青岛市"}
    assert card_places(page) == {"山东省", "青岛市"}  # the province's own regulation and Qingdao's

    # the select: the city alone
    Select(page.find("#jurisdiction")).select_by_value("青岛市")
    page.until(lambda d: page.params().get("jurisdiction") == "青岛市")
    page.wait_rendered()
    page.until(lambda d: page.find_all("#results .hit") and card_places(page) == {"青岛市"})


def test_message_for_a_place_covered_by_a_larger_one(page):
    page.open("/?q=" + quote("幼儿园") + "&jurisdiction=" + quote("黄岛区"))
    page.wait_css("#results .hit")
    _, expected = api(
        page.base,
        "/v1/search",
        {"query": "幼儿园", "top_k": 20, "filters": {"jurisdiction": "黄岛区"}},
    )
    assert expected["message"]
    assert expected["message"] in page.find("#view .notice").text
    assert card_places(page) <= {"山东省", "青岛市"}


def test_doc_type_filter(page):
    from selenium.webdriver.support.ui import Select

    page.open("/?q=" + quote("未成年人"))
    page.wait_css("#results .hit")
    page.until(lambda d: len(card_types(page)) > 1, 30, "laws, regulations and plans are mixed")
    Select(page.find("#doc_type")).select_by_value("regulation")  # changing a filter searches again
    page.until(lambda d: page.params().get("doc_type") == "regulation")
    page.wait_rendered()
    page.until(lambda d: page.find_all("#results .hit") and card_types(page) == {"法规（条例）"})
    _, expected = api(
        page.base,
        "/v1/search",
        {"query": "未成年人", "top_k": 20, "filters": {"doc_type": "regulation"}},
    )
    assert {h["doc_type"] for h in expected["results"]} == {"regulation"}
    assert len(page.find_all("#results .hit")) == len(expected["results"])

    # restored from the address, with the other filters
    page.open(
        "/?q="
        + quote("幼儿园")
        + "&doc_type=regulation&kind=article&jurisdiction="
        + quote("山东省")
    )
    page.wait_css("#results .hit")
    assert (
        Select(page.find("#doc_type")).first_selected_option.get_attribute("value") == "regulation"
    )
    assert Select(page.find("#kind")).first_selected_option.text == "条文"
    assert {b.text for b in page.find_all("#results .hit .kind")} == {"条文"}


# ---- cards and citations --------------------------------------------------------------------------


def test_an_article_card_cites_its_article(page):
    query = "学校保护"
    page.open("/?q=" + quote(query) + "&doc_type=law")
    page.wait_css("#results .hit")
    _, expected = api(
        page.base, "/v1/search", {"query": query, "top_k": 20, "filters": {"doc_type": "law"}}
    )
    want = expected["results"][0]
    assert want["kind"] == "article" and want["number"].startswith("第")
    card = page.find("#results .hit")
    assert card.get_attribute("data-clause") == want["clause_id"]
    cite = card.find_element("css selector", ".cite").text
    assert cite == "出处：" + want["citation"]
    assert cite.endswith(want["number"]) and "条" in want["number"]
    assert "项" not in cite.rsplit("》", 1)[1]  # no plan-style 第N项 composed on the client
    assert card.find_element("css selector", ".doctype").text == "法律"
    assert card.find_element("css selector", ".juris").text == "全国"
    assert card.find_element("css selector", ".kind").text == "条文"
    # the clause as printed, its paragraphs on their own lines
    assert card.find_element("css selector", ".text").text == want["text"]


def test_a_plan_card_keeps_its_item_citation(page):
    page.open("/?q=" + quote("防止儿童溺水") + "&doc_type=plan")
    card = page.wait_css("#results .hit")
    assert card.find_element("css selector", ".doctype").text == "规划"
    assert "项" in card.find_element("css selector", ".cite").text


def test_the_court_case_has_no_place(page):
    page.open("/?q=" + quote("撤销婚姻") + "&doc_type=case")
    card = page.wait_css("#results .hit")
    assert card.find_element("css selector", ".juris").text == "地区未知"
    assert card.find_element("css selector", ".doctype").text == "案例"
    assert CASE_TITLE in card.find_element("css selector", ".cite").text


def test_ask_citations_show_doc_type_and_place(page):
    question = "学校应当如何保护未成年人？"
    page.open("/?mode=ask&q=" + quote(question))
    page.wait_css("#answer")
    _, expected = api(page.base, "/v1/ask", {"question": question})
    cards = page.find_all("#results .hit")
    assert len(cards) == len(expected["citations"]) > 0
    for card, hit in zip(cards, expected["citations"], strict=True):
        assert card.find_element("css selector", ".cite").text == "出处：" + hit["citation"]
        assert card.find_element("css selector", ".juris").text == (
            hit["jurisdiction"] or "地区未知"
        )
        assert card.find_element("css selector", ".doctype").text
    if expected["found"]:
        assert expected["citations"][0]["citation"] in page.find("#answer .cite").text


# ---- the document page, ids in Chinese ----------------------------------------------------------


def test_document_page_of_a_law_by_its_chinese_id(page):
    _, doc = api(page.base, f"/v1/documents/{quote(LAW_ID)}")
    page.open(f"/document/{quote(LAW_ID)}")
    assert page.state() == "ready"
    assert page.find(".doc-title").text == doc["title"]
    facts = {
        f.get_attribute("data-fact"): f.find_element("css selector", "dd").text
        for f in page.find_all("#doc-facts [data-fact]")
    }
    assert facts["文件类型"] == "法律"
    assert facts["地区"].startswith("全国") and "国家" in facts["地区"]  # with its level
    assert facts["发布机关"] == doc["issuer"]
    assert doc["issued"] in facts["公布日期"] and doc["version"] in facts["版本日期"]
    clauses = page.find_all("#document .clause")
    assert len(clauses) == doc["clause_count"]
    # articles under their chapter headings; the number as printed stands out
    headings = [s.text for s in page.find_all("#document .sec")]
    assert any(h.startswith("第一章") for h in headings)
    first = doc["clauses"][0]
    assert clauses[0].find_element("css selector", ".num").text == first["number"] == "第一条"
    assert clauses[0].find_element("css selector", ".text").text == first["text"]

    # a deep link to one article (ids in Chinese, encoded) marks it
    target = doc["clauses"][23]
    page.open(f"/document/{quote(LAW_ID)}#c-{quote(target['clause_id'])}")
    marked = page.wait_css("#document .clause.current")
    assert marked.get_attribute("id") == f"c-{target['clause_id']}"
    assert marked.get_attribute("data-number") == target["number"]
    assert not browser_errors(page.driver)


def test_regional_document_shows_level_and_province(page, documents):
    doc = next(d for d in documents if d["jurisdiction"] and d["jurisdiction"]["name"] == "青岛市")
    page.open(f"/document/{quote(doc['doc_id'])}")
    facts = page.find("#doc-facts").text
    assert "青岛市" in facts and doc["jurisdiction"]["level"] in facts and "山东省" in facts
    assert "法规" in facts


def test_case_document_and_clause_pages_say_the_place_is_unknown(page, documents):
    case = next(d for d in documents if d["doc_type"] == "case")
    page.open(f"/document/{quote(case['doc_id'])}")
    assert page.state() == "ready"
    assert "地区未知" in page.find("#doc-facts").text
    link = page.find("#document .clause a")  # 上下文
    link.click()
    page.until(lambda d: page.path().startswith("/clause/"))
    page.wait_css("#context .clause.current")
    assert page.find("#view .meta .juris").text == "地区未知"
    assert page.find("#view .meta .doctype").text == "案例"


def test_clicking_through_from_a_hit_to_its_law(page):
    page.open("/?q=" + quote("学校保护") + "&doc_type=law")
    card = page.wait_css("#results .hit")
    clause_id = card.get_attribute("data-clause")
    card.find_element("link text", "全文").click()
    page.until(lambda d: page.path() == f"/document/{quote(LAW_ID)}")
    marked = page.wait_css("#document .clause.current")
    assert marked.get_attribute("id") == f"c-{clause_id}"
    assert not browser_errors(page.driver)


@pytest.mark.parametrize("path", ["/document/%E0", "/clause/%E0%A4", "/document/abc%"])
def test_malformed_ids_in_the_address_get_a_friendly_message(page, path):
    page.open(path)
    assert page.state() == "error"
    message = page.find("#view .error").text
    assert "链接地址有误" in message
    assert "URI" not in message and "malformed" not in message.lower()
    assert page.find_all("#view a[href='/']")  # a way back
    assert not browser_errors(page.driver)


@pytest.mark.parametrize(
    "path", ["/#%E0", "/?q=" + quote("幼儿园") + "#%E0", f"/document/{quote(LAW_ID)}#%E0"]
)
def test_a_malformed_hash_is_ignored(page, path):
    page.open(path)
    assert page.state() == "ready"
    assert not page.find_all("#view .error")
    assert not browser_errors(page.driver)


def test_unknown_chinese_document_id_says_so(page):
    page.open("/document/" + quote("没有这部法律-2024-01-01"))
    assert page.state() == "error"
    assert "没有这部法律-2024-01-01" in page.find("#view .error").text
    assert not browser_errors(page.driver)


def test_similar_wording_of_an_article_names_each_documents_type(page):
    query = "学前教育 适用本条例"
    _, found = api(
        page.base,
        "/v1/search",
        {
            "query": query,
            "top_k": 1,
            "filters": {"jurisdiction": "山东省", "doc_type": "regulation"},
        },
    )
    hit = found["results"][0]
    _, similar = api(page.base, "/v1/similar", {"clause_id": hit["clause_id"], "top_k": 20})
    page.open(f"/clause/{quote(hit['clause_id'])}?similar=1")
    assert page.state() == "ready"
    assert page.find("#view .meta .doctype").text == "法规（条例）"
    assert hit["citation"] in page.find("#view .cite").text
    page.wait_css("#similar .match, #similar .notice, #similar .error")
    assert not page.find_all("#similar .error"), page.find("#similar").text
    matches = page.find_all("#similar .match")
    assert len(matches) == len(
        [m for m in similar["results"] if (m.get("clause") or m)["clause_id"] != hit["clause_id"]]
    )
    for m in matches:
        assert m.find_element("css selector", ".doctype").text
        assert m.find_element("css selector", ".juris").text
    assert not browser_errors(page.driver)


@pytest.mark.parametrize(
    "path",
    ["/?q=" + quote("学校保护"), f"/document/{quote(LAW_ID)}", "/document/%E0"],
)
def test_phone_width_has_no_sideways_scrolling(page, path):
    page.phone()
    try:
        page.open(path)
        width = page.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE, f"{path} is {width}px wide at {PHONE}px"
    finally:
        page.phone(False)
