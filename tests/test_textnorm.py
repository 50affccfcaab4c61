"""The shared text rules (ingest/text.py) and the places that build on them:
folding for matching (the fast path that skips zhconv must agree with it),
the diff's offset-keeping folding, heading cleaning for embeddings, item
numbers and Chinese numerals in target extraction and answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from zhconv import zhconv

import index.textnorm
import ingest.text
from index.chunking import section_context
from ingest.targets import _body_start, _fold_digits, _small_cn_number, _to_float
from ingest.text import (
    WIDTH_TABLE,
    fold,
    item_number_end,
    needs_conversion,
    simplified_char_table,
    to_simplified,
)
from search import diff
from search.answer import _strip_item_number

_TABLE = zhconv.getdict("zh-cn")
# characters zhconv knows, plus ordinary simplified text from the plans
_CHARS = sorted({ch for key in _TABLE for ch in key} | set("儿童发展规划覆盖率显著提高婴儿死亡率控制在以下"))


def test_simplified_text_skips_zhconv():
    assert not needs_conversion("婴儿死亡率控制在3‰以下，学前教育毛入园率达到95%")
    assert to_simplified("儿童发展规划") == "儿童发展规划"


def test_traditional_text_is_converted():
    assert needs_conversion("兒童發展規劃")
    assert to_simplified("兒童發展規劃") == "儿童发展规划"
    assert fold("兒童ＡＢＣ５％") == "儿童abc5%"


def test_phrases_without_a_traditional_character_are_converted():
    # zhconv converts these phrases although each character is simplified on its own
    assert needs_conversion("请回覆")
    assert to_simplified("请回覆") == zhconv.convert("请回覆", "zh-cn")
    assert not needs_conversion("覆盖率")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CHARS), min_size=1, max_size=16).map("".join))
def test_fast_path_agrees_with_zhconv(text):
    assert to_simplified(text) == zhconv.convert(text, "zh-cn")
    if not needs_conversion(text):
        assert zhconv.convert(text, "zh-cn") == text


def test_index_textnorm_is_the_shared_rule():
    for name in ("fold", "fold_width", "to_simplified", "needs_conversion"):
        assert getattr(index.textnorm, name) is getattr(ingest.text, name)


def test_simplified_char_table_is_the_one_to_one_part_of_to_simplified():
    table = simplified_char_table()
    assert table[ord("兒")] == "儿"
    assert all(len(value) == 1 for value in table.values())
    sample = sorted(table)[::50]
    assert all(to_simplified(chr(cp)) == table[cp] for cp in sample)


def test_diff_folding_builds_on_the_shared_tables():
    # width and 繁→简 as the shared fold, one character for one
    for cp, half in list(WIDTH_TABLE.items()) + list(simplified_char_table().items())[::40]:
        folded = diff.fold_with_map(chr(cp) + "x")
        assert len(folded.folded) in (1, 2)  # whitespace is dropped
        if not half.isspace() and chr(cp) not in diff._PUNCTUATION:  # 「 → " in a diff
            assert folded.folded[0] == fold(chr(cp))[0]
    assert diff.fold("兒童 ＡＢＣ５％“数”—") == '儿童abc5%"数"-'
    assert diff.fold("￥") == fold("￥") == "¥"


def test_section_context_cleans_headings_with_the_shared_rule():
    assert section_context(["一、总体要求", "（一）儿童与健康", "主要目标"]) == "儿童与健康 主要目标："
    # the old copy left "分" of 第一部分 and cut 2. off 2.5岁
    assert section_context(["第一部分 总体要求"]) == "总体要求："
    assert section_context(["第十条之一 附则"]) == "附则："
    assert section_context(["（ 三 ）儿童与安全"]) == "儿童与安全："


def test_item_number_may_run_into_an_age():
    assert item_number_end("3. 加强管理") == 3
    assert item_number_end("5.5岁以下儿童贫血率") == 2  # item 5: 5岁以下…
    assert item_number_end("7.５岁以下") == 2
    assert item_number_end("2.5亿元") == 0  # a value, not an item number
    assert item_number_end("  12、 内容", 2) == 6
    assert _strip_item_number(" 5.5岁以下儿童") == "5岁以下儿童"
    assert _strip_item_number("2.5亿元") == "2.5亿元"
    assert _strip_item_number("加强") == "加强"


def test_target_item_prefixes():
    assert _body_start("（二）婴儿死亡率", None) == 3
    assert _body_start("- （ 二 ） 婴儿死亡率", None) == 8
    assert _body_start("- 6.婴儿死亡率", None) == 4
    assert _body_start("5.5岁以下儿童死亡率", None) == 2
    assert _body_start("3．婴儿死亡率", "3") == 2


def test_target_numbers():
    assert _fold_digits("３．５") == "3.5"
    assert _to_float("３．５") == 3.5
    assert [_small_cn_number(n) for n in ("两", "十", "十五", "二十", "九十九")] == [2.0, 10.0, 15.0, 20.0, 99.0]
    # not one- or two-digit numerals: not values (十十 used to raise)
    assert [_small_cn_number(n) for n in ("二三", "十十", "一百", "零", "")] == [None] * 5
