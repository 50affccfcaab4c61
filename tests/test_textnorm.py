"""Folding for matching: the fast path that skips zhconv must agree with it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from zhconv import zhconv

from index.textnorm import fold, needs_conversion, to_simplified

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
