"""Pure logic of the answerer: which of several figures in a sentence a
question asks for, which of sibling targets, the kind of number asked, and the
off-topic gate. No index, no model."""

from __future__ import annotations

import math
import re

import pytest

from ingest.model import Target
from ingest.text import fold
from search.answer import (
    _CALENDAR_YEAR,
    _content_chars,
    _counts_asked,
    _distinct_share,
    _ends_with_head,
    _fines_a_unit,
    _names_indicator,
    _once_each,
    _outside_titles,
    _per_what,
    _pick_in_sentence,
    _range_end,
    _runs_into_a_word,
    _sentence_asked,
    _states_difference,
    _states_per,
    _told_apart,
)
from search.calibration import Calibration
from search.places import _reads_as_place
from search.quantity import asked_quantity, asks_quantity
from search.query import synonym_map


def _pick(question: str, sentence: str, kind: str) -> str:
    quantity = asked_quantity(question)
    assert quantity is not None and quantity.name == kind, question
    spans = [(m.start(), m.end(), m.group(0)) for m in quantity.span.finditer(sentence)]
    assert len(spans) >= 2
    return _pick_in_sentence(fold(question), sentence, spans)


MARRIAGE = "结婚年龄，男不得早于二十二周岁，女不得早于二十周岁。"
HOMEWORK = "严格控制作业总量，三至六年级书面作业平均完成时间不超过60分钟，初中不超过90分钟。"
LEAVE = "符合法律、法规规定生育子女的夫妻，女方享受八十日的奖励假，男方享受十五日的陪产假。"
SHARE = "公办幼儿园和普惠性民办幼儿园在园儿童比例不低于在园儿童总数的百分之八十，其中公办幼儿园在园儿童比例不低于在园儿童总数的百分之五十。"
ADOPT = "无子女的收养人可以收养两名子女；有子女的收养人只能收养一名子女。"
SLEEP = "合理安排儿童作息，保证每天小学生10小时、初中生9小时、高中生8小时睡眠时间。"
REWARD = "对于城镇居民中的独生子女父母，男性满六十周岁、女性满五十五周岁始，按一定标准发放计划生育奖励金；（五）年满六十周岁，用人单位应当给予其子女每年五日的护理假。"
ORDER = "人民法院受理申请后，应当在七十二小时内作出人身安全保护令或者驳回申请；情况紧急的，应当在二十四小时内作出。"
FIGHT = "殴打他人的，或者故意伤害他人身体的，处五日以上十日以下拘留，并处二百元以上五百元以下罚款；情节较轻的，处五日以下拘留或者五百元以下罚款。"
CARE = "年满六十周岁，用人单位应当给予其子女每年五日的护理假；患病住院治疗的，给予其子女每年累计不超过十五日的护理假。"
DRIVER = "取得相应准驾车型驾驶证并具有3年以上驾驶经历，年龄在25周岁以上、不超过60周岁；"
SPEED = "载有学生的校车在高速公路上行驶的最高时速不得超过80公里，在其他道路上行驶的最高时速不得超过60公里。"
BUDGET = "区（市）人民政府财政预算内学前教育经费占预算内教育支出的比例应当达到百分之五，不举办高中的区应当达到百分之十，并逐步提高。"


@pytest.mark.parametrize(
    ("question", "sentence", "kind", "value"),
    [
        ("女孩子最早多大可以登记结婚？", MARRIAGE, "age", "二十周岁"),
        ("男的最早几岁能结婚？", MARRIAGE, "age", "二十二周岁"),
        # neither named: both, as printed
        ("结婚的法定年龄是多少？", MARRIAGE, "age", "男不得早于二十二周岁，女不得早于二十周岁"),
        # ... to the end of the last figure's piece, its noun with it
        ("一个家庭最多可以收养几个孩子？", ADOPT, "count", "无子女的收养人可以收养两名子女；有子女的收养人只能收养一名子女"),
        ("初中生每天书面作业最多做多久？", HOMEWORK, "duration", "90分钟"),
        ("三至六年级每天书面作业最多多长时间？", HOMEWORK, "duration", "60分钟"),
        ("妈妈的奖励假有多少天？", LEAVE, "days", "八十日"),
        ("爸爸的陪产假有几天？", LEAVE, "days", "十五日"),
        ("公办幼儿园的在园孩子至少占多少？", SHARE, "percent", "百分之五十"),
        ("公办和普惠性民办幼儿园在园儿童要占多少？", SHARE, "percent", "百分之八十"),
        ("情况危急时法院最迟多久作出保护令？", ORDER, "duration", "二十四小时"),
        # a semicolon clause with a condition (…的，) is a special case: the
        # question must name it, else the clause without one is the rule
        ("情况紧急，人身安全保护令多久作出？", ORDER, "duration", "二十四小时"),
        ("法院受理人身安全保护令申请后，要等多久？", ORDER, "duration", "七十二小时"),
        ("打了人，会被拘留几天？", FIGHT, "days", "五日以上十日以下"),
        ("殴打他人情节较轻的，拘留几天？", FIGHT, "days", "五日以下"),
        ("父母年满六十周岁，子女每年有几天护理假？", CARE, "days", "五日"),
        ("父母住院了，子女能请几天护理假？", CARE, "days", "十五日"),
        # the first piece's subject, restated, does not outweigh a later piece's own words
        ("不办高中的区，财政预算内学前教育经费要占到预算内教育支出的几成？", BUDGET, "percent", "百分之十"),
        ("区（市）人民政府财政预算内学前教育经费占预算内教育支出的比例应当达到多少？", BUDGET, "percent", "百分之五"),
        # several figures in the comma piece chosen: the pieces a 、 sets apart
        ("初中生每天要睡几个小时？", SLEEP, "duration", "9小时"),
        ("高中生每天睡几个小时？", SLEEP, "duration", "8小时"),
        ("城镇里的男方几岁开始领奖励金？", REWARD, "age", "六十周岁"),
        ("城镇里的女方几岁开始领奖励金？", REWARD, "age", "五十五周岁"),
        # one end of a range asked: the figure the sentence marks as that end
        ("想去开校车，驾驶人的年龄上限是多少岁？", DRIVER, "age", "60周岁"),
        ("开校车的驾驶人年龄最低要多大？", DRIVER, "age", "25周岁以上"),
        ("开校车的驾驶人有什么年龄要求？", DRIVER, "age", "25周岁以上"),
        # a word the question negates (不上高速) does not pick the figure beside it
        ("拉着学生的校车不上高速，走普通公路的话，最高时速不能超过多少？", SPEED, "distance", "60公里"),
        ("载学生的校车上高速最快开多少公里？", SPEED, "distance", "80公里"),
        ("载学生的校车是不是高速上最快开多少公里？", SPEED, "distance", "80公里"),
    ],
)
def test_the_figure_the_question_asks_for(question, sentence, kind, value):
    assert _pick(question, sentence, kind) == value


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("网络游戏不能给未成年人提供服务的那个时间段，一直管到第二天早上几点？", "次日八时"),
        ("晚上从几点开始不能给未成年人提供网络游戏？", "二十二时"),
        ("几点到几点不能给未成年人提供网络游戏服务？", "每日二十二时至次日八时"),
        ("什么时段不能玩网络游戏？", "每日二十二时至次日八时"),
    ],
)
def test_the_end_of_a_range_of_times_asked(question, value):
    assert _range_end(fold(question), "每日二十二时至次日八时") == value


def test_a_number_of_years_inside_a_name_states_no_term():
    assert _runs_into_a_word("九年义务教育巩固率达到96%以上", 2)
    assert not _runs_into_a_word("因感情不和分居满二年的", 10)
    assert not _runs_into_a_word("五年内", 2)
    assert not _runs_into_a_word("满二年", 3)


def test_a_year_of_the_calendar_is_no_count_of_years():
    assert _CALENDAR_YEAR.fullmatch("2021—2030年")
    assert _CALENDAR_YEAR.fullmatch("2025年")
    assert not _CALENDAR_YEAR.fullmatch("3年以上")
    assert not _CALENDAR_YEAR.fullmatch("十五年")


def test_the_documents_a_question_asks_across_are_no_number_asked():
    # 几部地方条例 says which documents; 多长时间 is the number asked
    quantity = asked_quantity("小区配套幼儿园建好以后，建设单位要在多长时间内交给政府？把几部地方条例对照一下")
    assert quantity is not None and quantity.name == "duration"
    assert asks_quantity("哪几个规划给了学前教育毛入园率的具体数字？分别是多少")


def test_a_fine_on_a_unit_is_no_fine_on_a_person():
    clause = "幼儿园工作人员违反本条例第二十条规定的，由教育行政部门给予处分，并对其所在单位处五千元以上二万元以下罚款"
    assert _fines_a_unit("并对其所在单位处五千元以上二万元以下罚款", clause)
    assert _fines_a_unit("处五千元以上二万元以下罚款", "幼儿园违反本条例第二十四条规定的，由教育行政部门责令限期改正，处五千元以上二万元以下罚款")
    assert not _fines_a_unit("对直接负责的主管人员处五千元以上一万元以下罚款", "对单位处一万元以上三万元以下罚款，对直接负责的主管人员处五千元以上一万元以下罚款")
    # a place the condition names is no one fined
    assert not _fines_a_unit("处五百元以下罚款", "在学校吸烟、饮酒的，给予警告，可以并处五百元以下罚款")
    smoking = "违反本法第五十九条第二款规定，在学校、幼儿园和其他未成年人集中活动的公共场所吸烟、饮酒的，给予警告，可以并处五百元以下罚款"
    assert not _fines_a_unit("可以并处五百元以下罚款", smoking)
    assert _fines_a_unit("处五千元以上三万元以下罚款", "违反本条例规定，幼儿园有下列行为之一的，由教育行政部门给予警告，处五千元以上三万元以下罚款")


def test_a_difference_is_no_value_of_one_thing():
    assert _states_difference("收养人与被收养人的年龄应当相差四十周岁以上")
    assert not _states_difference("（五）年满三十周岁")


def test_a_figure_in_a_cited_title_states_nothing():
    sentence = "进一步全面落实《攀枝花市促进3岁以下婴幼儿照护服务发展的实施方案》，将3岁以下婴幼儿照护服务经费纳入预算。"
    spans = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"3岁以下", sentence)]
    assert _outside_titles(sentence, spans) == spans[1:]


def _target(indicator: str, value: str) -> Target:
    return Target(
        indicator=indicator, indicator_norm=indicator, comparator="<", comparator_text="＜", value=None,
        value_text=value, unit="%", year=2030, baseline=None, attribute=None, responsible_unit=None,
        qualitative=False, clause_id="c", doc_id="d",
    )


def test_a_target_set_twice_is_given_once():
    goal, measure = _target("0—6岁儿童眼保健和视力检查覆盖率", "90%以上"), _target("0—6岁儿童眼保健和视力检查覆盖率", "90%以上")
    other = _target("0—6岁儿童眼保健和视力检查覆盖率", "95%以上")
    assert _once_each([goal, measure, other]) == [goal, other]


def test_sibling_targets_are_told_apart_by_what_differs():
    siblings = [_target("小学生近视率（%）", "＜38"), _target("初中生近视率（%）", "＜60"), _target("高中阶段学生近视率（%）", "＜70")]
    question = fold("大渡口区给初中学生近视比例定的上限是多少")
    shares = [_distinct_share(question, t, siblings) for t in siblings]
    assert shares.index(max(shares)) == 1
    assert _distinct_share(question, siblings[0], siblings[:1]) == 0.0  # alone: nothing to tell apart


def test_a_comparison_reports_the_sibling_the_question_names():
    myopia = [_target("小学生近视率（%）", "＜38"), _target("初中生近视率（%）", "＜60"), _target("高中阶段学生近视率（%）", "＜70")]
    assert [t.value_text for t in _told_apart(fold("高中生近视率各地分别压到多少"), myopia)] == ["＜70"]
    # 学 of 初中学生 is printed by 小学生 too: a pair of the name's own tells
    assert [t.value_text for t in _told_apart(fold("初中学生近视比例的上限"), myopia)] == ["＜60"]
    assert len(_told_apart(fold("各地近视率的目标"), myopia)) == 3  # none named: all
    assert len(_told_apart(fold("小学生、初中生、高中生的近视率"), myopia)) == 3  # each named
    schools = [_target("社区建立家长学校", "95%"), _target("村建立家长学校", "85%")]
    assert len(_told_apart(fold("城乡社区建家长学校的目标"), schools)) == 2  # one character (村) tells them apart


def test_the_base_of_a_ratio_asked():
    assert _per_what("乡宁县每一千个孩子要配几名儿科医生？") == "千"
    assert _per_what("每万人口拥有多少名全科医生") == "万"
    assert _per_what("每个乡镇卫生院配几名全科医生") is None
    assert _states_per(fold("每千名儿童拥有儿科医生数"), "千") and _states_per("婴儿死亡率5‰", "千")
    assert not _states_per(fold("提供规范儿童基本医疗服务的全科医生至少1名"), "千")
    assert not _states_per(fold("每五千人口设置一所幼儿园"), "千")  # five thousand is no thousand


def test_a_rate_head_with_a_word_between():
    assert _ends_with_head("中小学生体质健康优良达标率（%）", "良率")
    assert _ends_with_head("婴儿死亡率", "亡率")
    assert not _ends_with_head("心理健康教育教师配置率", "良率")


def test_a_question_that_names_a_unit_takes_only_that_unit():
    minutes = asked_quantity("每天书面作业有没有定上限，是多少分钟？")
    assert minutes is not None and minutes.units == ("分钟",)
    assert minutes.span.search("保证小学生10小时睡眠") is None
    days = asked_quantity("陪产假多少天？")  # 天 and 日 measure alike
    assert days is not None and days.span.search("享受十五日的陪产假").group(0) == "十五日"
    age = asked_quantity("最低几岁？")
    assert age is not None and age.span.search("年满三十周岁").group(0) == "三十周岁"


def test_a_bound_from_below_and_one_from_above_are_one_range():
    money = asked_quantity("会被罚多少钱？")
    assert money is not None
    sentence = "处8万元以上10万元以下的罚款；情节严重的，处五千元以上罚款，罚款二千元以下"
    assert [m.group(0) for m in money.span.finditer(sentence)] == ["8万元以上10万元以下", "五千元以上", "二千元以下"]
    share = asked_quantity("要占多少比例？")
    assert share is not None
    assert share.span.search("不低于百分之十以上百分之三十以下").group(0) == "百分之十以上百分之三十以下"


def test_a_yes_no_question_that_asks_the_number_at_the_end():
    assert asks_quantity("乡宁县对书面作业时间有没有定上限，是多少分钟？")
    assert asks_quantity("村委会主任中女性比例有没有量化目标，是多少？")  # no unit named
    assert not asks_quantity("有没有规定每天睡多少小时？")
    assert not asks_quantity("学校能不能在寒暑假组织学生集体补课？")
    # a question of its own that asks the number, beside a yes/no one
    assert asks_quantity("离婚时我一直在家照顾老人，能拿到多少钱的补偿？有没有标准？")
    assert not asks_quantity("街上几个人拦着我抢钱，这算什么行为？会被拘留吗？")
    # whether there is a bound, and what it is
    assert asks_quantity("济南市政府表彰劳动模范，女性名额比例有没有下限？")
    assert asks_quantity("开校车有没有年龄上限？") and asked_quantity("开校车有没有年龄上限？").name == "age"
    assert not asks_quantity("开校车有没有上限？")  # no kind of number named


def test_a_question_that_asks_what_to_do_asks_no_number():
    assert not asks_quantity("他名下到底有几套房、多少存款我根本不清楚，自己又查不到，怎么办？")
    assert not asks_quantity("孩子老被几个同学堵着打，学校应该怎么处理？")
    assert asks_quantity("申请以后，法院多少小时内要作出决定？")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("孩子身高多少以下乘车免票？", "distance"),  # a height is a length, no rate
        ("书面作业的完成时间设了多长的上限？", "duration"),
        ("体质健康优良率要达到多高的水平？", "percent"),
        ("孩子满多大以后，法院要听他本人的意见？", "age"),
        ("特殊教育学校的老师，特教津贴每个月能拿多少？", "money"),
    ],
)
def test_the_kind_of_number_asked(question, kind):
    quantity = asked_quantity(question)
    assert quantity is not None and quantity.name == kind


@pytest.mark.parametrize(
    "question",
    [
        "胁迫或者诱骗适龄儿童辍学的，如何处理？",  # 如何处理 holds 何处, asks no place
        "我国的学校教育制度分为哪几个阶段？",  # which ones, a list
        "小区共有部分的费用分摊没有约定时，按什么比例确定？",  # how a share is set
        "关于自然人可以依法设立遗嘱信托的规定在哪一条",  # which article
        "生产者在哪些情形下可以不承担赔偿责任？",
        "儿童票“以年龄为主、身高为辅”的提法，几个规划怎么写的？",  # which documents
    ],
)
def test_questions_that_name_a_number_word_but_ask_no_number(question):
    assert not asks_quantity(question)


def test_a_time_asked_of_laws_is_no_figure_to_refuse_for():
    when = asked_quantity("学校自何时取得法人资格？")
    assert when is not None and when.name == "year"
    assert not when.articles_refuse  # 自批准设立之日起: a time as an event
    days = asked_quantity("被罚款以后要在多少天之内交上？")
    assert days is not None and days.articles_refuse


def test_a_fine_answers_only_a_question_about_a_fine():
    money = asked_quantity("法律规定彩礼最多不能超过多少钱？")
    assert money is not None
    fine = money.head_groups(fold("处十万元以下罚款"))
    assert fine and fine <= money.named_only
    assert not money.head_groups(fold("法律规定彩礼最多不能超过多少钱？"))
    assert money.head_groups(fold("开车打电话被交警抓到要罚多少钱？")) == fine


def test_the_amount_asked_is_of_the_word_the_question_names():
    money = asked_quantity("政府每月给多少扶助金？")
    assert money is not None and money.asked_name("政府每月给多少扶助金？") == "扶助金"
    assert money.asked_name("能拿到多少钱？") is None
    assert money.asked_name("每个月领的奖励金具体是多少钱？") == "奖励金"  # named before 多少
    assert money.asked_name("普惠园保教费的最高标准是每月多少钱？") == "保教费"  # ten characters before 多少
    assert money.asked_name("要交多少费用？") is None  # one character names nothing
    discount = asked_quantity("残疾人坐火车票价能打几折？")
    assert discount is not None and discount.name == "percent"


def test_the_lead_of_a_number_asked():
    from search.answer import _asked_lead

    age = asked_quantity("收养孩子需要满多少岁？")
    assert age is not None
    assert _asked_lead(fold("收养孩子需要满多少岁？"), age) == "满"
    assert _asked_lead(fold("收养孩子的年龄要多少岁？"), age) is None  # 要 is no lead


def test_a_figure_counts_what_its_words_name():
    money = asked_quantity("举报拐卖儿童的线索，奖金是多少钱？")
    assert money is not None and money.heads
    asked = money.head_groups("举报拐卖儿童的线索，奖金是多少钱？")
    fine = money.head_groups("可由公安机关处五千元以上一万元以下罚款")
    reward = money.head_groups("给予举报人一千元奖励")
    assert asked and fine and not asked & fine  # a fine is no reward
    assert asked & reward
    assert money.head_groups("每月补助八百元") != asked


def test_the_sentence_is_told_by_the_words_only_it_prints():
    # two sentences of one article, each with a speed limit: the words both print
    # (校车, 学生, 最高时速) favour the first, whose words come closer to the question;
    # the conditions only the second prints (雾, 冰) say which limit is asked
    question = fold("下大雾或者路面结冰的时候，拉着学生的校车最快能开多少？")
    first = "载有学生的校车在高速公路上行驶的最高时速不得超过80公里，在其他道路上行驶的最高时速不得超过60公里。"
    second = "载有学生的校车在冰雪、泥泞的道路上行驶，或者遇有雾、雨、雪等低能见度气象条件时，最高时速不得超过20公里。"
    asked = _content_chars(question)
    sentences = [_content_chars(fold(first)), _content_chars(fold(second))]
    assert _sentence_asked(asked, sentences, [8.0, 3.5]) == 1
    # a question that names neither condition keeps the better-scored sentence
    plain = _content_chars(fold("校车在高速公路上最快能开多少？"))
    assert _sentence_asked(plain, sentences, [8.0, 3.5]) == 0
    # one sentence: nothing to tell apart
    assert _sentence_asked(asked, sentences[:1], [1.0]) == 0


def test_the_vocabularies_merge_by_key():
    hand = synonym_map(("synonyms.json",))
    both = synonym_map()
    assert set(hand) < set(both)
    for key, targets in hand.items():
        assert both[key][: len(targets)] == targets  # the hand list's words first
    assert all(len(key) >= 2 for key in set(both) - set(hand))  # the lexicon has no one-character keys
    lengths = [len(k) for k in both]
    assert lengths == sorted(lengths, reverse=True)  # longest keys first


def test_a_short_place_name_reads_as_a_place_before_a_particle():
    text = "哈尔滨对儿科医生定了什么目标"
    assert _reads_as_place(text, 0, 3)
    assert not _reads_as_place("中山大学附属医院", 0, 2)
    assert not _reads_as_place("来宾接待规定", 0, 2)


def test_the_off_topic_gate():
    gate = Calibration(["cosine"], [0.9], [0.02], [4.0], 0.0, threshold=0.3)
    cal = Calibration(["coverage"], [0.0], [1.0], [1.0], 0.0, threshold=0.5, gate=gate)
    assert cal.off_topic({"cosine": 0.85})  # far below the questions it was fitted on
    assert not cal.off_topic({"cosine": 0.92})
    assert not Calibration().off_topic({"cosine": 0.0})  # no gate fitted: nothing is off topic
    assert not cal.off_topic({"coverage": 0.1})  # no similarity (a clause the question names): not judged
    assert math.isclose(gate.probability({"cosine": 0.9}), 0.5)


def test_figure_reading_stays_linear_on_hostile_text():
    # A run of numerals with no unit after it once made every start position
    # rescan the run (32,000 一 took 20 s per search); this is 200,000.
    from search.quantity import quantity_classes

    run = "一" * 200_000
    for quantity in quantity_classes()[0]:
        assert quantity.span.search(run) is None, quantity.name
    # a sentence of many figures and no comma: each figure's words are bounded
    from search.answer import PIECE_CHARS, _comma_piece

    sentence = "规定" + "1天" * 100_000 + "。"
    piece = _comma_piece(sentence, 100_000, 100_002)
    assert len(piece) <= 2 * PIECE_CHARS + 2


def test_units_and_periods_are_read_from_the_tail_only():
    from search.answer import _without_unit
    from search.charts import plan_label

    assert _without_unit("婴儿死亡率（‰）") == "婴儿死亡率"
    assert plan_label("自贡市儿童发展纲要（2021—2030年）", "d") == "自贡市儿童发展纲要"
    # a name of 200,000 open brackets once cost a scan per bracket
    assert _without_unit("（" * 200_000) == "（" * 200_000
    assert plan_label("（" * 200_000, "d") == "（" * 200_000


def test_an_indicator_is_named_by_the_thing_it_lists_or_without_its_generic_head():
    listed = _target("村党组织成员、村党组织书记中女性比例", "逐步提高")
    assert _names_indicator("西区妇女规划里村党组织书记中女性要占到百分之几？", listed)
    head = _target("村委会主任中女性比例", "逐步提高")
    assert _names_indicator("西区规划要求村委会主任中女性要占到百分之几？", head)
    assert _names_indicator("村委会主任中女性比例是多少", head)
    # after 的, a narrower thing: 持职业资格证书的技能劳动者 are not all 技能劳动者
    skilled = _target("技能劳动者中女性比例", "提高")
    assert not _names_indicator("持职业资格证书的技能劳动者中女性要占多少？", skilled)
    assert not _names_indicator("女性比例是多少", head)  # 比例 alone names none
    assert _names_indicator("近视率多少", _target("近视率", "明显下降"))


def test_which_day_is_no_frequency_and_rates_per_hundred_thousand_are_shares():
    day = asked_quantity("医院要在产后第几天给产妇做一次健康检查？")
    assert day is not None and day.name == "days"
    assert asked_quantity("多少天给产妇做一次健康检查？").name == "frequency"
    share = asked_quantity("孕产妇死亡率控制在什么水平以内？")
    assert share is not None and share.span.search("孕产妇死亡率下降到12/10万以下").group(0) == "12/10万以下"
    bound = asked_quantity("初中生每天书面作业平均完成时间设的上限")
    assert bound is not None and bound.name == "duration"


def test_a_count_answers_only_for_the_things_the_question_counts():
    count = asked_quantity("自贡市到2030年建成多少个儿童友好社区？")
    assert count is not None and count.counted_noun("自贡市到2030年建成多少个儿童友好社区？") == "儿童友好社区"
    assert asked_quantity("罚多少钱？").counted_noun("罚多少钱？") is None  # not a count
    sentence = "先后制定实施三个周期自贡儿童发展纲要，建成3个儿童友好社区，示范社区为2个"
    spans = [(m.start(), m.end(), m.group(0)) for m in count.span.finditer(sentence)]
    assert [sp[2] for sp in spans if _counts_asked(sentence, sp, "儿童友好社区")] == ["3个", "2个"]
