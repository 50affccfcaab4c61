"""Document frequency of query terms: exact on small corpora, sampled on large."""

from __future__ import annotations

import math

import pytest

from search.termstats import SubstringDF


def test_exact_counts_substrings():
    texts = ["婴儿死亡率控制在3‰以下", "5岁以下儿童死亡率", "学前教育毛入园率", ""]
    df = SubstringDF(texts)
    assert df.exact
    assert df.df("死亡率") == 2
    assert df.df("入园") == 1
    assert df.df("近视") == 0
    assert df.idf("死亡率") == pytest.approx(math.log(1 + 5 / 3))
    assert df.idf("近视") > df.idf("入园") > df.idf("死亡率")


def test_sampled_estimate_is_close_and_scaled():
    # 1 text in 10 mentions 近视率, 1 in 1000 mentions 托育
    texts = [
        ("近视率" if i % 10 == 0 else "体质") + ("托育" if i % 1000 == 0 else "") + str(i)
        for i in range(100_000)
    ]
    df = SubstringDF(texts, exact_max=5_000)
    assert not df.exact
    assert df.n == 100_000
    assert df.df("近视率") == pytest.approx(10_000, rel=0.05)
    assert df.df("托育") == pytest.approx(100, rel=0.5)
    assert df.df("心理") == 0
    # the weights keep their order
    assert df.idf("心理") > df.idf("托育") > df.idf("近视率") > df.idf("体质")


def test_at_the_threshold_it_is_exact():
    texts = [f"第{i}条" for i in range(100)]
    assert SubstringDF(texts, exact_max=100).exact
    assert not SubstringDF(texts, exact_max=99).exact
    with pytest.raises(ValueError):
        SubstringDF(texts, exact_max=0)


def test_empty_corpus():
    df = SubstringDF([])
    assert df.df("儿童") == 0
    assert df.idf("儿童") == pytest.approx(math.log(2))
