"""Target extraction on real sentences copied from the corpus."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.model import Clause, Target
from ingest.targets import (
    extract_targets,
    find_indicator_mentions,
    match_indicator,
    normalize_indicator,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ZIGONG = "zigong-children-2021-2030.txt"
SHIGUAI = "shiguai-children-2021-2030.txt"
XIANGNING = "xiangning-children-2021-2025-draft.txt"
XIQU = "panzhihua-xiqu-women-and-children-2021-2030.md"
DADUKOU = "dadukou-children-2021-2030.txt"


@cache
def _corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def clause(
    text: str,
    source: str,
    kind: str = "target",
    number: str | None = None,
    fields: dict[str, str] | None = None,
    section_path: list[str] | None = None,
) -> Clause:
    # every case is a real sentence: fail loudly if the corpus no longer has it
    if kind != "indicator":
        assert text in _corpus_text(source), f"not in {source}: {text!r}"
    return Clause(
        clause_id=f"{source}#c",
        doc_id=source.rsplit(".", 1)[0],
        section_path=section_path or [],
        number=number,
        kind=kind,
        text=text,
        line_start=1,
        line_end=1,
        order=0,
        source_file=source,
        fields=fields or {},
    )


def by_indicator(targets: list[Target]) -> dict[str, Target]:
    return {t.indicator: t for t in targets}


# ---------------------------------------------------------------------------
# lists, 分别 and shared heads
# ---------------------------------------------------------------------------


def test_triple_with_shared_head_and_suffix_fullwidth_digit():
    c = clause(
        "3.新生儿、婴儿和５岁以下儿童死亡率分别降至3.0‰、5.0‰和6.0‰以下，地区和城乡差距逐步缩小。",
        ZIGONG,
        number="3",
    )
    ts = extract_targets(c, default_year=2030)
    quant = [t for t in ts if not t.qualitative]
    assert [t.indicator for t in quant] == ["新生儿死亡率", "婴儿死亡率", "５岁以下儿童死亡率"]
    assert [t.value_text for t in quant] == ["3.0‰", "5.0‰", "6.0‰"]
    assert [t.value for t in quant] == [3.0, 5.0, 6.0]
    for t in quant:
        assert t.comparator == "≤"
        assert t.comparator_text == "以下"
        assert t.unit == "‰"
        assert t.year == 2030
        assert t.clause_id == c.clause_id and t.doc_id == c.doc_id
    assert quant[2].indicator_norm == "5岁以下儿童死亡率"
    # "以下" in 5岁以下儿童 is part of the name, and 3. is the item number
    assert not any(t.value == 5.0 and t.unit == "岁" for t in ts)
    assert not any(t.value_text.startswith("3.") and t.unit is None for t in ts)
    qual = [t for t in ts if t.qualitative]
    assert [(t.indicator, t.value_text) for t in qual] == [("地区和城乡差距", "逐步缩小")]


def test_triple_without_item_number_field_5_5_prefix():
    # "5." is the item number, "5岁以下儿童" the population: 3 targets, target year 2025
    c = clause(
        "5.5岁以下儿童贫血率、生长迟缓率、低体重率分别控制在8%、2%和2%以下，儿童超重、肥胖上升趋势得到有效控制。",
        XIANGNING,
    )
    ts = [t for t in extract_targets(c, default_year=2025) if not t.qualitative]
    assert [t.indicator for t in ts] == [
        "5岁以下儿童贫血率",
        "5岁以下儿童生长迟缓率",
        "5岁以下儿童低体重率",
    ]
    assert [t.value for t in ts] == [8.0, 2.0, 2.0]
    assert [t.value_text for t in ts] == ["8%", "2%", "2%"]
    assert {t.comparator for t in ts} == {"≤"}
    assert {t.unit for t in ts} == {"%"}
    assert {t.year for t in ts} == {2025}


def test_shiguai_triple_with_stray_separator():
    c = clause(
        "3.新生儿、婴儿和5岁以下儿童死亡率分别保持在3.0‰、和5.0‰和6.0‰以下",
        SHIGUAI,
        number="3",
    )
    ts = extract_targets(c)
    assert [(t.indicator, t.value_text) for t in ts] == [
        ("新生儿死亡率", "3.0‰"),
        ("婴儿死亡率", "5.0‰"),
        ("5岁以下儿童死亡率", "6.0‰"),
    ]


def test_two_targets_in_one_item_and_qualitative_lead():
    c = clause(
        "8.儿童新发近视率明显下降，小学生近视率降至38%以下，初中生近视率降至60%以下，高中阶段学生近视率降至70%以下。",
        ZIGONG,
    )
    ts = extract_targets(c, default_year=2030)
    assert ts[0].qualitative and ts[0].indicator == "儿童新发近视率"
    assert ts[0].value_text == "明显下降" and ts[0].value is None and ts[0].comparator is None
    got = [(t.indicator, t.comparator, t.value, t.value_text) for t in ts[1:]]
    assert got == [
        ("小学生近视率", "≤", 38.0, "38%以下"),
        ("初中生近视率", "≤", 60.0, "60%以下"),
        ("高中阶段学生近视率", "≤", 70.0, "70%以下"),
    ]


def test_two_indicators_one_value_and_age_not_value():
    c = clause(
        "扎实开展0—6岁儿童健康管理工作，３岁以下儿童系统管理率和７岁以下儿童健康管理率保持在90%以上。",
        ZIGONG,
        kind="measure",
    )
    ts = extract_targets(c)
    assert [t.indicator for t in ts] == ["３岁以下儿童系统管理率", "７岁以下儿童健康管理率"]
    assert all(t.value == 90.0 and t.value_text == "90%以上" and t.comparator == "≥" for t in ts)
    assert all(t.unit == "%" for t in ts)


def test_two_values_with_own_indicators_in_one_piece():
    c = clause(
        "加强医疗机构新生儿科、儿科与儿童保健科建设，市、县级均各设置1所政府举办、标准化的妇幼保健机构，每千名儿童拥有儿科执业（助理）医生达1.12名、床位增至3.17张。",
        ZIGONG,
        kind="measure",
    )
    t = by_indicator(extract_targets(c))
    doctors = t["每千名儿童拥有儿科执业（助理）医生"]
    assert (doctors.value, doctors.value_text, doctors.unit) == (1.12, "1.12名", "名")
    assert (doctors.comparator, doctors.comparator_text) == ("=", "达")
    beds = t["床位"]
    assert (beds.value, beds.value_text, beds.unit, beds.comparator_text) == (
        3.17,
        "3.17张",
        "张",
        "增至",
    )
    # "每千名" is not a count of 1000 people
    assert not any(x.value == 1000 for x in t.values())


# ---------------------------------------------------------------------------
# comparators
# ---------------------------------------------------------------------------


def test_zuoyou_is_approx():
    c = clause("就业人员中的女性比例保持在45%左右。", XIQU)
    (t,) = extract_targets(c)
    assert t.indicator == "就业人员中的女性比例"
    assert (t.comparator, t.comparator_text, t.value, t.value_text, t.unit) == (
        "≈",
        "左右",
        45.0,
        "45%左右",
        "%",
    )


def test_yishang_with_stable_verb():
    c = clause("妇女基本医疗保险参保率稳定在95%以上，待遇保障公平适度。", XIQU)
    (t,) = extract_targets(c)
    assert t.indicator == "妇女基本医疗保险参保率"
    assert (t.comparator, t.comparator_text, t.value_text) == ("≥", "以上", "95%以上")


def test_buji_yu_not_lower_than():
    c = clause("公办园和普惠性民办园在园幼儿占比不低于87%。", ZIGONG)
    (t,) = extract_targets(c)
    assert t.indicator == "公办园和普惠性民办园在园幼儿占比"
    assert (t.comparator, t.comparator_text, t.value, t.value_text) == ("≥", "不低于", 87.0, "87%")


def test_bushaoyu_fullwidth_hour():
    c = clause("儿童每天接触户外自然光不少于１小时。", ZIGONG)
    (t,) = extract_targets(c)
    assert t.indicator == "儿童每天接触户外自然光"
    assert (t.comparator, t.comparator_text, t.value, t.value_text, t.unit) == (
        "≥",
        "不少于",
        1.0,
        "１小时",
        "小时",
    )


def test_yishang_hours():
    c = clause(
        "指导家长掌握科学用眼护眼知识，引导儿童科学用眼护眼，引导孩子不在卧床、光线不良等情况下看书或视屏，教育儿童按需科学规范合理使用电子产品，保障儿童每天接触户外自然光2小时以上。",
        SHIGUAI,
        kind="measure",
    )
    (t,) = extract_targets(c)
    assert t.indicator == "儿童每天接触户外自然光"
    assert (t.comparator, t.value, t.value_text, t.unit) == ("≥", 2.0, "2小时以上", "小时")


def test_zhishao_hour_of_sport():
    c = clause(
        "念和共识，学校开足开齐体育与健康课，保障儿童每天至少1小时阳光体育运动，培养儿童良好运动习惯。",
        SHIGUAI,
        kind="measure",
    )
    (t,) = extract_targets(c)
    assert "阳光体育运动" in t.indicator
    assert (t.comparator, t.comparator_text, t.value, t.value_text, t.unit) == (
        "≥",
        "至少",
        1.0,
        "1小时",
        "小时",
    )


def test_buchaoguo_minutes():
    c = clause(
        "严格控制作业总量，小学一、二年级不布置家庭书面作业，三至六年级书面作业平均完成时间不超过60分钟，初中不超过90分钟。",
        SHIGUAI,
        kind="measure",
    )
    ts = extract_targets(c)
    assert [(t.value, t.value_text, t.comparator, t.comparator_text) for t in ts] == [
        (60.0, "60分钟", "≤", "不超过"),
        (90.0, "90分钟", "≤", "不超过"),
    ]
    assert ts[0].indicator == "三至六年级书面作业平均完成时间"


def test_per_100k_unit():
    c = clause("2. 孕产妇死亡率下降到12/10万以下，城乡、区域差距缩小。", XIQU, number="2")
    ts = extract_targets(c)
    assert (ts[0].indicator, ts[0].value, ts[0].unit, ts[0].value_text, ts[0].comparator) == (
        "孕产妇死亡率",
        12.0,
        "/10万",
        "12/10万以下",
        "≤",
    )
    assert ts[1].qualitative and ts[1].value_text == "缩小"


def test_da_without_suffix_is_equal_and_traditional_characters():
    c = clause("中小學校心理健康輔導室配置率達到90%，心理健康教育專兼職教師配置率達到95%。", XIQU)
    ts = extract_targets(c)
    assert [(t.indicator, t.comparator, t.comparator_text, t.value_text) for t in ts] == [
        ("中小學校心理健康輔導室配置率", "=", "達到", "90%"),
        ("心理健康教育專兼職教師配置率", "=", "達到", "95%"),
    ]
    assert ts[0].indicator_norm == "中小学校心理健康辅导室配置率"


def test_unit_qualifier_stripped_from_indicator():
    c = clause(
        "6.适龄儿童免疫规划疫苗接种率以乡镇（街道）为单位保持在90%以上。", ZIGONG, number="6"
    )
    (t,) = extract_targets(c)
    assert t.indicator == "适龄儿童免疫规划疫苗接种率"
    assert (t.comparator, t.comparator_text, t.value_text) == ("≥", "以上", "90%以上")


# ---------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------


def test_count_zhishao_center():
    c = clause(
        "加强危重新生儿救治保障投入，完善新生儿危重症救治、转诊网络，市、县级至少设有1个危重新生儿救治中心。",
        ZIGONG,
        kind="measure",
    )
    (t,) = extract_targets(c)
    assert t.indicator == "危重新生儿救治中心"
    assert (t.comparator, t.comparator_text, t.value, t.value_text, t.unit) == (
        "≥",
        "至少",
        1.0,
        "1个",
        "个",
    )


def test_count_fullwidth_supervisor():
    c = clause(
        "县级儿童福利机构或未成年人救助保护机构实现全覆盖;每个街道和乡（镇）配备１名儿童督导员，每个社区（村）配备１名儿童主任并提高服务能力。",
        ZIGONG,
    )
    t = by_indicator(extract_targets(c))
    assert t["儿童督导员"].value_text == "１名"
    assert t["儿童督导员"].value == 1.0 and t["儿童督导员"].unit == "名"
    assert t["儿童主任"].value_text == "１名"


def test_count_built_institutions():
    c = clause("建成2个市级托育服务示范机构。", DADUKOU, kind="narrative")
    (t,) = extract_targets(c)
    assert (t.indicator, t.value, t.value_text, t.unit, t.comparator) == (
        "市级托育服务示范机构",
        2.0,
        "2个",
        "个",
        "=",
    )


def test_count_chinese_numeral():
    c = clause(
        "全面落实《青少年法治教育大纲》，加强青少年法治教育实践基地、法治资源教室和网络平台建设，至少建立一个区级青少年法治宣传教育实践基地，常态化开展“法律进学校”活动，针对性侵害、校园欺凌、校园贷、毒品犯罪等重点问题普遍开展法治宣传，配齐配强法治课教师、法治辅导员队伍，完善法治副校长制度。",
        XIQU,
        kind="measure",
    )
    (t,) = extract_targets(c)
    assert (t.indicator, t.value, t.value_text, t.comparator) == (
        "区级青少年法治宣传教育实践基地",
        1.0,
        "一个",
        "≥",
    )


def test_count_per_thousand_places():
    c = clause(
        "推动社区婴幼儿照护服务发展，在新建居住区按照每千人口不少于10个托位规划、建设婴幼儿照护服务设施及配套安全设施，老城区和已建成居住区无婴幼儿照护服务设施的，要按照每千人口不少于８个托位建设婴幼儿照护服务设施。",
        ZIGONG,
        kind="measure",
    )
    ts = extract_targets(c)
    assert [(t.indicator, t.value_text, t.comparator) for t in ts] == [
        ("每千人口托位", "10个", "≥"),
        ("每千人口托位", "８个", "≥"),
    ]


def test_range_count():
    c = clause(
        "建设智能化学习空间，推进场景式、体验式、沉浸式学习，打造一批智慧校园，建设3—5所智慧校园示范校。",
        DADUKOU,
        kind="measure",
    )
    (t,) = extract_targets(c)
    assert (t.indicator, t.value, t.value_text, t.unit) == ("智慧校园示范校", 3.0, "3—5所", "所")


def test_hour_series_sleep():
    c = clause(
        "合理安排儿童作息，保证每天小学生10小时、初中生９小时、高中生８小时睡眠时间。", ZIGONG
    )
    ts = extract_targets(c)
    assert [(t.indicator, t.value, t.value_text) for t in ts] == [
        ("小学生睡眠时间", 10.0, "10小时"),
        ("初中生睡眠时间", 9.0, "９小时"),
        ("高中生睡眠时间", 8.0, "８小时"),
    ]


def test_percent_of_communities():
    c = clause(
        "95%的城市社区和85%的农村社区（村）建立家长学校或家庭教育指导服务站点，建立完善家长学校和家庭教育服务站点评估体系和评价标准。",
        ZIGONG,
    )
    ts = extract_targets(c)
    assert [(t.value, t.value_text) for t in ts] == [(95.0, "95%"), (85.0, "85%")]
    assert ts[0].indicator.startswith("城市社区") and "家长学校" in ts[0].indicator
    assert ts[1].indicator.startswith("农村社区（村）")


# ---------------------------------------------------------------------------
# baselines, qualitative, years
# ---------------------------------------------------------------------------


def test_baseline_relative_decrease():
    c = clause("儿童伤害死亡率以2020年数据为基数下降20%。", ZIGONG)
    (t,) = extract_targets(c, default_year=2030)
    assert t.indicator == "儿童伤害死亡率"
    assert t.baseline == "2020年"
    assert (t.value, t.unit, t.comparator_text, t.value_text) == (20.0, "%", "下降", "下降20%")
    assert t.year == 2030  # 2020 is the baseline, never the target year or a value


def test_baseline_broken_across_lines():
    c = clause("儿童伤害死亡率以2020\n年为基数下降20%。", XIANGNING)
    (t,) = extract_targets(c, default_year=2025)
    assert (t.indicator, t.baseline, t.value, t.value_text, t.year) == (
        "儿童伤害死亡率",
        "2020年",
        20.0,
        "下降20%",
        2025,
    )


def test_qualitative_target():
    c = clause("2.排查消除溺水隐患，儿童溺水死亡率持续下降。", ZIGONG, number="2")
    (t,) = extract_targets(c)
    assert t.qualitative and t.indicator == "儿童溺水死亡率" and t.value_text == "持续下降"
    assert t.value is None and t.comparator is None and t.unit is None


def test_qualitative_only_for_target_kinds():
    c = clause("2.排查消除溺水隐患，儿童溺水死亡率持续下降。", ZIGONG, kind="measure")
    assert extract_targets(c) == []


def test_history_is_not_a_target():
    c = clause(
        "截至2020年底，新生儿死亡率、婴儿死亡率和5岁以下儿童死亡率等指标分别下降至1.21‰、1.51‰和2.12‰，优于全市平均水平；学前教育毛入园率、九年义务教育巩固率、高中阶段毛入学率分别达到99%、100%、99.2%，稳定保持较高水准；打造“莎姐”青少年维权岗、“阳光助苗”工程等预防帮教未成年人的知名工作品牌。",
        DADUKOU,
        kind="narrative",
    )
    assert extract_targets(c) == []


@pytest.mark.parametrize(
    "text, source",
    [
        ("关注儿童生命早期1000天营养，开展孕前、孕产期营养与膳食评价指导。", ZIGONG),
        ("县（区）纲要颁布后1个月内报送市政府妇儿工委办公室。", ZIGONG),
        ("新建城市居住小区同步规划建设24小时自助图书馆或阅览室，规划建设长江音乐图书馆。", DADUKOU),
    ],
)
def test_numbers_that_are_not_targets(text, source):
    assert extract_targets(clause(text, source, kind="measure")) == []


def test_year_from_text_wins_over_default():
    c = clause(
        "7.促进城乡儿童早期发展，强化普惠托育服务机构建设，每千人口拥有3岁以下婴幼儿托位数达到4.5个。",
        XIANGNING,
        number="7",
        section_path=["（四）儿童与福利", "主要目标"],
    )
    (t,) = extract_targets(c, default_year=2025)
    assert (t.indicator, t.value, t.value_text, t.year) == (
        "每千人口拥有3岁以下婴幼儿托位数",
        4.5,
        "4.5个",
        2025,
    )


def test_count_with_earlier_zhishao_and_traditional():
    c = clause(
        "0~6岁儿童眼保健和视力检查覆盖率达到90%以上，中小學生每年至少免費視力檢查1次。", XIQU
    )
    ts = extract_targets(c)
    assert ts[0].indicator == "0~6岁儿童眼保健和视力检查覆盖率"
    assert ts[0].indicator_norm == "0-6岁儿童眼保健和视力检查覆盖率"
    assert (ts[1].value, ts[1].value_text, ts[1].unit, ts[1].comparator) == (1.0, "1次", "次", "≥")


# ---------------------------------------------------------------------------
# indicator table rows
# ---------------------------------------------------------------------------

_SECTION = ["一、总体思路", "专栏一 2021—2030年大渡口区儿童发展主要指标"]


def _row(indicator: str, value: str, attribute: str, unit_owner: str) -> Clause:
    # the row's cells as printed in the flattened table of the Dadukou plan
    assert indicator in _corpus_text(DADUKOU)
    return clause(
        f"{indicator} {value}",
        DADUKOU,
        kind="indicator",
        fields={
            "category": "儿童与健康",
            "row": "2",
            "indicator": indicator,
            "target_value": value,
            "attribute": attribute,
            "responsible_unit": unit_owner,
        },
        section_path=_SECTION,
    )


def test_table_row_less_than():
    (t,) = extract_targets(
        _row("婴儿死亡率（‰）", "＜2.3", "约束性", "区卫健委"), default_year=2030
    )
    assert t == Target(
        indicator="婴儿死亡率（‰）",
        indicator_norm="婴儿死亡率",
        comparator="<",
        comparator_text="＜",
        value=2.3,
        value_text="＜2.3",
        unit="‰",
        year=2030,
        baseline=None,
        attribute="约束性",
        responsible_unit="区卫健委",
        qualitative=False,
        clause_id=f"{DADUKOU}#c",
        doc_id="dadukou-children-2021-2030",
    )


def test_table_row_at_least_and_unit_from_name():
    (t,) = extract_targets(_row("学前教育普惠率（%）", "≥85", "预期性", "区教委"))
    assert (t.comparator, t.value, t.value_text, t.unit, t.year) == ("≥", 85.0, "≥85", "%", 2030)
    (h,) = extract_targets(_row("小学生每天睡眠时间（小时）", "≥10", "预期性", "区教委"))
    assert (h.unit, h.value, h.indicator_norm) == ("小时", 10.0, "小学生每天睡眠时间")


def test_table_row_qualitative_values():
    (t,) = extract_targets(_row("儿童自杀、自伤率（‰）", "下降", "预期性", "区卫健委"))
    assert t.qualitative and t.value is None and t.comparator is None
    assert (t.value_text, t.unit, t.attribute) == ("下降", "‰", "预期性")
    (u,) = extract_targets(
        _row("儿童参加城乡居民基本医疗保险覆盖率（%）", "巩固\n\n提高", "预期性", "区医保局")
    )
    assert u.qualitative and u.value_text == "巩固提高"


def test_table_year_from_fields():
    c = _row("新生儿死亡率（‰）", "＜1.3", "约束性", "区卫健委")
    c.fields["year"] = "2025"
    (t,) = extract_targets(c, default_year=2030)
    assert t.year == 2025


# ---------------------------------------------------------------------------
# robustness over the whole corpus
# ---------------------------------------------------------------------------


def _all_lines():
    for path in sorted(CORPUS.glob("*.txt")) + sorted(CORPUS.glob("*.md")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield path.name, i, line


def _value_text_printed(t: Target, text: str) -> bool:
    if t.value_text in text:
        return True
    # a 分别 member: its own printed value plus the shared suffix printed later
    for suffix in ("以下", "以上", "以内", "左右", "及以上", "及以下"):
        if (
            t.value_text.endswith(suffix)
            and t.value_text[: -len(suffix)] in text
            and suffix in text
        ):
            return True
    # a relative change whose printed verb and value were split by a line break
    return "".join(t.value_text.split()) in "".join(text.split())


def test_whole_corpus_never_raises_and_value_text_is_printed():
    count = 0
    for name, i, line in _all_lines():
        for kind in ("target", "indicator"):
            c = Clause(
                clause_id=f"{name}:{i}",
                doc_id=name,
                section_path=[],
                number=None,
                kind=kind,
                text=line,
                line_start=i,
                line_end=i,
                order=i,
                source_file=name,
            )
            for t in extract_targets(c, default_year=2030):
                count += 1
                assert isinstance(t, Target)
                assert t.indicator, (name, i, t)
                assert _value_text_printed(t, line), (name, i, t.value_text)
                if t.qualitative:
                    assert t.value is None and t.comparator is None
                else:
                    assert t.value is not None and t.comparator in {"≤", "<", "≥", ">", "=", "≈"}
                    assert t.unit is None or t.unit in t.value_text or t.unit == "%"
                # no years or ages as values
                assert t.unit not in ("年", "岁", "周岁", "月龄", "个月"), (name, i, t)
    assert count > 150


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "。",
        "，，，",
        "3.",
        "５",
        "＜",
        "以下",
        "分别降至、和以下",
        "１２３４５６７８９０" * 50,
        "\x00\ufffd",
    ],
)
def test_garbage_never_raises(text):
    c = Clause("x", "d", [], None, "target", text, 1, 1, 0, "f")
    assert isinstance(extract_targets(c), list)
    t = Clause(
        "x",
        "d",
        [],
        "1",
        "indicator",
        text,
        1,
        1,
        0,
        "f",
        {"indicator": text, "target_value": text},
    )
    assert isinstance(extract_targets(t), list)


# ---------------------------------------------------------------------------
# indicator names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, norm",
    [
        ("婴儿死亡率（‰）", "婴儿死亡率"),
        ("婴儿死亡率", "婴儿死亡率"),
        ("５岁以下儿童死亡率", "5岁以下儿童死亡率"),
        ("5岁以下儿童死亡率（‰）", "5岁以下儿童死亡率"),
        ("以镇（街道）为单位的适龄儿童免疫规划疫苗接种率（%）", "适龄儿童免疫规划疫苗接种率"),
        ("学前三年毛入园率（%）", "学前教育毛入园率"),
        ("学前教育毛入园率", "学前教育毛入园率"),
        ("全区学前三年毛入园率", "学前教育毛入园率"),
        ("12岁儿童龋齿率", "12岁儿童龋患率"),
        ("中小學生國家學生體質健康標準優良率", "中小学生国家学生体质健康标准优良率"),
        ("0—6岁儿童眼保健和视力检查覆盖率", "0-6岁儿童眼保健和视力检查覆盖率"),
        ("每千名（0-14岁）儿童拥有医疗床位数（张）", "每千名(0-14岁)儿童拥有医疗床位数"),
    ],
)
def test_normalize_indicator(name, norm):
    assert normalize_indicator(name) == norm


def test_same_indicator_in_five_plans_lines_up():
    printed = ["婴儿死亡率（‰）", "婴儿死亡率", "婴儿死亡率 "]
    assert {normalize_indicator(n) for n in printed} == {"婴儿死亡率"}


def test_match_indicator():
    names = [
        "婴儿死亡率（‰）",
        "新生儿死亡率（‰）",
        "5岁以下儿童死亡率（‰）",
        "小学生近视率（%）",
        "初中生近视率",
        "高中阶段学生近视率",
        "学前三年毛入园率（%）",
        "儿童新发近视率",
    ]
    assert match_indicator("婴儿死亡率", names) == ["婴儿死亡率（‰）"]
    assert match_indicator("近视率", names) == [
        "小学生近视率（%）",
        "初中生近视率",
        "高中阶段学生近视率",
        "儿童新发近视率",
    ]
    assert match_indicator("学前教育毛入园率", names) == ["学前三年毛入园率（%）"]
    assert match_indicator("５岁以下儿童死亡率", names) == ["5岁以下儿童死亡率（‰）"]
    assert match_indicator("大渡口区婴儿死亡率", names) == ["婴儿死亡率（‰）"]
    assert match_indicator("", names) == []
    assert match_indicator("不存在的指标", names) == []
    # words inserted at one place: the same indicator, after the closer matches
    long_names = ["每千人口拥有3岁以下婴幼儿托位数（个）", "托育机构和托位数量", "每千人口托位"]
    assert match_indicator("每千人口托位", long_names) == ["每千人口托位", "每千人口拥有3岁以下婴幼儿托位数（个）"]
    assert match_indicator("每千人口托位", long_names[:2]) == ["每千人口拥有3岁以下婴幼儿托位数（个）"]
    # not when a part of the name is missing: 婴儿 is not in 新生儿死亡率
    assert "新生儿死亡率（‰）" not in match_indicator("婴儿死亡率", names)
    assert match_indicator("小学生死亡率", names) == []


def test_find_indicator_mentions():
    known = [
        "婴儿死亡率（‰）",
        "5岁以下儿童死亡率（‰）",
        "儿童死亡率",
        "新生儿访视率",
        "学前三年毛入园率（%）",
    ]
    assert find_indicator_mentions("新生儿访视率 各地 目标", known) == ["新生儿访视率"]
    assert find_indicator_mentions("各地５岁以下儿童死亡率和婴儿死亡率目标", known) == [
        "5岁以下儿童死亡率（‰）",
        "婴儿死亡率（‰）",
    ]
    assert find_indicator_mentions("大渡口区学前教育毛入园率到2030年要达到多少？", known) == [
        "学前三年毛入园率（%）"
    ]
    assert find_indicator_mentions("住酒店担心被偷拍", known) == []


def test_table_row_with_sub_rows_gives_one_target_per_sub_row():
    clause = Clause(
        clause_id="dadukou-children-x", doc_id="dadukou-children",
        section_path=["一、总体思路", "（三）主要目标。", "专栏一 2021—2030年大渡口区儿童发展主要指标"],
        number="17", kind="indicator", text="…", line_start=1, line_end=1, order=0, source_file="f",
        fields={
            "indicator": "小学生每天睡眠时间（小时）", "target_value": "≥10", "attribute": "预期性", "responsible_unit": "区教委",
            "indicator_2": "初中生每天睡眠时间（小时）", "target_value_2": "≥9", "attribute_2": "预期性", "responsible_unit_2": "区教委",
            "indicator_3": "高中生每天睡眠时间（小时）", "target_value_3": "≥8", "attribute_3": "预期性", "responsible_unit_3": "区教委",
        },
    )
    ts = extract_targets(clause, default_year=2030)
    assert [(t.indicator, t.value_text, t.comparator, t.unit) for t in ts] == [
        ("小学生每天睡眠时间（小时）", "≥10", "≥", "小时"),
        ("初中生每天睡眠时间（小时）", "≥9", "≥", "小时"),
        ("高中生每天睡眠时间（小时）", "≥8", "≥", "小时"),
    ]
