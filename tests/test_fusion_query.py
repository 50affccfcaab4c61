"""Unit tests for pure logic: fusion, spreading, query analysis, citations, metrics."""

from __future__ import annotations

import numpy as np

from ingest.model import Clause, Document, Jurisdiction
from search.evaluate import EvalQuery, score_query
from search.fusion import ranked_rows, rrf, spread_across_groups, top_rows
from search.hits import citation, highlight_spans
from search.query import QueryAnalyzer, jurisdiction_aliases


def _doc(doc_id: str, name: str, parent: str | None = None, province: str | None = None) -> Document:
    return Document(doc_id, f"{name}儿童发展规划（2021—2030年）", "儿童", Jurisdiction(name, "市辖区", province, parent),
                    (2021, 2030), "正式", None, None, f"{doc_id}.txt", "0" * 64)


def test_ranked_rows_breaks_ties_on_row():
    scores = np.array([0.5, 0.9, 0.9, 0.1])
    assert ranked_rows(scores, np.array([0, 1, 2, 3])).tolist() == [1, 2, 0, 3]


def test_rrf_and_top_rows():
    fused = rrf([np.array([2, 0, 1]), np.array([0, 2])], n=4, k=60)
    assert fused[3] == 0
    assert fused[0] == fused[2] > fused[1]
    assert top_rows(fused, 2) == [0, 2]  # tie broken by the lower row


def test_spread_puts_each_group_in_the_top():
    ranked = [(0, 1.0), (1, 0.99), (2, 0.98), (3, 0.97), (4, 0.7)]
    groups = {0: "a", 1: "a", 2: "a", 3: "a", 4: "b"}
    out = spread_across_groups(ranked, groups.__getitem__, top_k=3, min_relative=0.6, per_group_cap=3)
    assert [r for r, _ in out[:3]] == [0, 1, 4]
    assert sorted(r for r, _ in out) == [0, 1, 2, 3, 4]  # nothing lost


def test_jurisdiction_aliases():
    aliases = jurisdiction_aliases(_doc("x", "攀枝花市西区", parent="攀枝花市", province="四川省"))
    assert "攀枝花市西区" in aliases and "西区" in aliases and "攀枝花西区" in aliases
    assert "西" not in aliases
    assert "大渡口" in jurisdiction_aliases(_doc("d", "大渡口区", parent="重庆市"))


def test_query_analysis():
    analyzer = QueryAnalyzer([_doc("d", "大渡口区", parent="重庆市"), _doc("s", "石拐区", parent="包头市")], ["婴儿死亡率"])
    a = analyzer.analyze("大渡口区婴儿死亡率到2030年要控制在多少？")
    assert a.jurisdictions == ["大渡口区"] and a.intent == "target"
    assert a.years == [2030] and a.indicators == ["婴儿死亡率"]
    a = analyzer.analyze("各地对孩子溺水有什么规定")
    assert a.intent == "compare" and "儿童" in a.expansions
    a = analyzer.analyze("防止未成年人抽烟的表述")
    assert a.intent == "precedent" and "吸烟" in a.expansions
    # across places: how they word it is a precedent search, what figure they set a comparison
    assert analyzer.analyze("给特教老师发津贴，各地条文怎么写").intent == "precedent"
    assert analyzer.analyze("心理健康教师的配置比例，不同规划怎么写").intent == "compare"
    assert analyzer.analyze("孕产妇系统管理率要达到多少？给了数字的规划都列出来").intent == "compare"
    # each document's figure (各给了, 各定了)
    assert analyzer.analyze("对行政处罚决定不服想申请复议，写了期限的条例各给了多少天？").intent == "compare"
    assert analyzer.analyze("成都市的婴儿死亡率").unknown_jurisdiction == "成都市"
    assert analyzer.analyze("社区儿童之家").unknown_jurisdiction is None
    assert analyzer.resolve_jurisdiction("大渡口").doc_ids == {"d"}
    assert analyzer.resolve_jurisdiction("北京").doc_ids == set()
    # a province includes its cities and counties; a county with no document of
    # its own reaches the areas containing it
    assert analyzer.resolve_jurisdiction("重庆").doc_ids == {"d"}
    assert analyzer.resolve_jurisdiction("内蒙古").doc_ids == {"s"}
    assert analyzer.analyze("重庆的婴儿死亡率目标").doc_ids == {"d"}
    # a city's short name is a place where it reads as one, not inside other words
    assert analyzer.analyze("成都的婴儿死亡率目标").unknown_jurisdiction == "成都市"
    assert analyzer.analyze("学前教育 成都").unknown_jurisdiction == "成都市"
    for query in ("中山大学附近的幼儿园", "来宾接待规范", "社会长治久安"):
        assert analyzer.analyze(query).unknown_jurisdiction is None, query


def test_a_district_named_after_its_city_is_the_place_asked():
    """攀枝花市东区 asks about 东区 (a name too short to be found alone), not the
    city whose other district has documents; the city named alone reaches them."""
    xiqu = _doc("x", "攀枝花市西区", parent="攀枝花市", province="四川省")
    analyzer = QueryAnalyzer([xiqu, _doc("d", "大渡口区", parent="重庆市")], ["新生儿死亡率"])
    east = analyzer.analyze("攀枝花市东区的新生儿死亡率目标是多少")
    assert east.unknown_jurisdiction == "东区" and not east.doc_ids
    assert analyzer.analyze("攀枝花市西区的新生儿死亡率目标").doc_ids == {"x"}
    assert analyzer.analyze("攀枝花市的新生儿死亡率目标").doc_ids == {"x"}
    assert analyzer.analyze("四川省攀枝花市东区新生儿死亡率").unknown_jurisdiction == "东区"
    # the city by its short name leads the chain as its full name does
    assert analyzer.analyze("攀枝花东区妇女发展纲要的新生儿死亡率").unknown_jurisdiction == "东区"
    assert analyzer.analyze("攀枝花西区的新生儿死亡率目标").doc_ids == {"x"}


def test_citation_and_highlights():
    doc = _doc("d", "大渡口区", parent="重庆市")
    clause = Clause("d-1", "d", ["一、总体思路", "（三）主要目标。", "专栏一 2021—2030年大渡口区儿童发展主要指标"], "2",
                    "indicator", "婴儿死亡率（‰） ＜2.3", 1, 1, 0, "d.txt")
    assert citation(doc, clause) == "《大渡口区儿童发展规划（2021—2030年）》一、总体思路（三）主要目标 专栏一 第2项"
    spans = highlight_spans("５岁以下儿童死亡率", ["5岁"])
    assert [(h.start, h.end, h.text) for h in spans] == [(0, 2, "５岁")]


def test_score_query_metrics():
    q = EvalQuery("q", "compare", "x", {}, [{"doc": "a", "must_contain": "甲 乙"}, {"doc": "b", "must_contain": "丙"}])
    hits = [{"doc_id": "c", "text": "甲乙"}, {"doc_id": "a", "text": "…甲乙…"}, {"doc_id": "b", "text": "丙"}]
    s = score_query(q, hits)
    assert s.mrr == 0.5 and s.recall[1] == 0.0 and s.recall[5] == 1.0
    assert 0 < s.ndcg < 1


def test_ranked_rows_with_a_limit_is_the_prefix_of_the_full_ranking():
    rng = np.random.default_rng(0)
    scores = rng.random(50_000).astype(np.float32)
    scores[::7] = 0.5  # ties, broken by the lower row
    rows = np.arange(50_000)
    full = ranked_rows(scores, rows)
    for limit in (1, 10, 1_000, 49_999, 50_000, 60_000):
        assert np.array_equal(ranked_rows(scores, rows, limit), full[:limit])
    subset = rows[::3]
    assert np.array_equal(ranked_rows(scores, subset, 100), ranked_rows(scores, subset)[:100])


def test_a_year_measured_from_is_not_the_year_asked():
    analyzer = QueryAnalyzer([_doc("d", "大渡口区", parent="重庆市")])
    assert analyzer.analyze("儿童伤害死亡率比2020年下降多少？").years == []
    assert analyzer.analyze("以2020年数据为基数，到2030年要降低多少？").years == [2030]
    assert analyzer.analyze("与2020年相比提高多少").years == []
    assert analyzer.analyze("2025年的入园率目标").years == [2025]


def test_a_title_names_its_document_not_another_place():
    from search.query import title_aliases

    dadukou = Document("d", "重庆市大渡口区儿童发展规划（2021—2030年）", "儿童", Jurisdiction("大渡口区", "市辖区", "重庆市", None),
                       (2021, 2030), "正式", None, None, "d.txt", "0" * 64)
    # every place the title starts with comes off, one after another
    assert {"大渡口区儿童发展规划", "儿童发展规划"} <= title_aliases(dadukou)
    xiqu = Document("x", "攀枝花市西区妇女发展纲要（2021—2030年）", "妇女", Jurisdiction("攀枝花市西区", "市辖区", "四川省", "攀枝花市"),
                    (2021, 2030), "正式", None, None, "x.txt", "0" * 64)
    a = QueryAnalyzer([dadukou, xiqu]).analyze("西区妇女发展纲要里，就业人员中女性要占多大比例？")
    assert a.title_doc_ids == {"x"} and a.unknown_jurisdiction is None


def test_what_kind_of_number_a_question_asks():
    from search.quantity import asked_quantity, asks_quantity, is_yes_no

    cases = {
        "离婚申请多少天内可以撤回？": "days",
        "保健费每月多少钱？": "money",
        "几点到几点不能玩游戏？": "clock",
        "助残日是哪一天？": "date",
        "户外活动时间最少多少？": "duration",
        "要配几名儿童督导员？": "people",
        "覆盖率要达到几成？": "percent",
        "至少得几个座才算校车？": "seats",
        "家长多久参加一回育儿培训？": "frequency",
        "法律说的未成年人是指多大以下的人？": "age",
        "随身的辅助器具最多能带几件？": "count",
        "义务教育毛入学率要保持在什么水平？": "percent",
        "一张读者证最多能借几本书？": "count",
        "两部法律分别定了多大的罚款？": "money",
    }
    for question, kind in cases.items():
        found = asked_quantity(question)
        assert found is not None and found.name == kind, question
    assert is_yes_no("面试问我几年内打不打算生孩子，这合法吗？")
    assert is_yes_no("规划里管不管这种提前学？")
    assert not is_yes_no("离婚申请多少天内可以撤回？")
    assert asks_quantity("知晓程度到2030年要达到什么水平？")
    # A不A before 的 names a decision, it does not ask whether
    assert not is_yes_no("教育部门多少天内要作出批不批的决定？")


def test_a_figure_span_keeps_its_qualifier_and_stops_at_a_longer_word():
    from search.quantity import quantity_classes

    classes = {qc.name: qc for qc in quantity_classes()[0]}
    assert classes["classes"].span.search("设置一所规模为六个班以上的幼儿园").group(0) == "六个班以上"
    assert classes["days"].span.search("自收到申请之日起三十日内").group(0) == "三十日"
    assert classes["duration"].span.search("未满十六周岁的未成年人") is None
    # 未满 belongs to the value: under eighteen, not eighteen
    assert classes["age"].span.search("本法所称未成年人是指未满十八周岁的公民").group(0) == "未满十八周岁"
    # how often: 每… before a count of times, not any 每天
    often = classes["frequency"].span
    assert [m.group(0) for m in often.finditer("城市家长每季度接受培训一次，农村家长每半年接受培训一次")] == ["每季度", "每半年"]
    assert often.search("保证每天睡眠10小时") is None


def test_genre_cues():
    analyzer = QueryAnalyzer([_doc("a", "自贡市")])
    assert analyzer.analyze("公司不招女性，这合法吗？").genre == "law"
    assert analyzer.analyze("规划里对儿童近视有什么目标").genre == "plan"
    assert analyzer.analyze("孩子近视怎么办").genre is None


def test_rrf_sparse_matches_rrf_on_the_ranked_rows():
    from search.fusion import rrf_sparse, top_positions

    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.permutation(500)[: rng.integers(1, 300)]
        b = rng.permutation(500)[: rng.integers(1, 300)]
        dense = rrf([a, b], 500)
        rows, fused = rrf_sparse([a, b])
        assert np.array_equal(rows, np.flatnonzero(dense > 0))
        assert np.array_equal(fused, dense[rows])  # the same float64 values, bit for bit
        assert rows[top_positions(fused, rows, 50)].tolist() == top_rows(dense, 50)
    assert rrf_sparse([])[0].size == 0


def test_the_rules_a_penalty_article_cites():
    from ingest.text import cn_to_int
    from search.service import _BREACH, _CITED_ARTICLE

    text = "相关经营者违反本法第五十八条、第五十九条第一款、第六十条规定的，由文化和旅游、市场监督管理等部门责令限期改正"
    cited = [cn_to_int(n) for m in _BREACH.finditer(text) for n in _CITED_ARTICLE.findall(m.group(1))]
    assert cited == [58, 59, 60]
    assert not list(_BREACH.finditer("依照本法第五十八条的规定执行"))  # no breach, no penalty


def test_a_few_in_a_question_for_wording_asks_no_number():
    """In a question for wording 几 reads as "a few"; another number word still asks one."""
    analyzer = QueryAnalyzer([_doc("d", "大渡口区", parent="重庆市")], ["新生儿死亡率"])
    few = analyzer.analyze("在居民家里开小型托育点、看护几个婴幼儿，要出台管理规矩的提法")
    assert few.intent == "precedent" and not few.asks_number and few.quantity is None
    hours = analyzer.analyze("起草图书馆开放时间条款，想参考区图书馆每周至少开放多少小时的规定")
    assert hours.asks_number
    assert analyzer.analyze("陪产假有几天？").asks_number  # not a question for wording
