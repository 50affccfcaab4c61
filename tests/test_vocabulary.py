"""The query vocabulary's data files (search/data/synonyms.json, lexicon.json):
what the lexicon promises in its "about" — every value printed in the
documents it was written from, no figure as a value, no one-character key —
so a later edit cannot quietly break it. No index, no model."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from ingest.text import fold

from .conftest import CORPUS, EXTRA

# a figure: digits, or a Chinese numeral with a unit (三十日, 八周岁, 二十二时);
# ordinals inside a term (第三卫生间, 二孩) are words
_FIGURE = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千两]+(?:日|天|周岁|岁|时|个月|年|小时|周)")


def _load(name: str) -> dict:
    with resources.files("search").joinpath("data", name).open(encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def documents_text() -> str:
    files = [*CORPUS.glob("*.txt"), *CORPUS.glob("*.md"), *EXTRA.glob("*.md")]
    assert files
    return fold("\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files))


def test_the_lexicon_maps_everyday_words_to_printed_ones(documents_text):
    lexicon = _load("lexicon.json")["map"]
    hand = _load("synonyms.json")["map"]
    assert len(lexicon) > 500
    for key, values in lexicon.items():
        assert 2 <= len(key) <= 6, key
        assert key not in hand, key  # one file per key
        assert 1 <= len(values) <= 3 and key not in values, key
        for value in values:
            assert not _FIGURE.search(value), (key, value)
            assert fold(value) in documents_text, (key, value)


def test_the_hand_list_is_well_formed():
    hand = _load("synonyms.json")["map"]
    for key, values in hand.items():
        assert key and values and all(isinstance(v, str) and v for v in values), key


def test_the_law_lexicon_adds_keys_for_other_fields():
    """lexicon_law.json: everyday words for the terms of laws beyond the corpus
    (written from the bulk archive, which CI may lack: its values are checked
    against it by the helpers that wrote it, here only their form)."""
    law = _load("lexicon_law.json")["map"]
    others = {**_load("synonyms.json")["map"], **_load("lexicon.json")["map"]}
    assert len(law) > 500
    for key, values in law.items():
        assert 2 <= len(key) <= 6, key
        assert key not in others, key  # one file per key: the merge adds, never rewrites
        assert 1 <= len(values) <= 4 and key not in values, key
        for value in values:
            # 第三方 / 一方 are words, not figures
            assert not _FIGURE.search(value.replace("第三方", "").replace("一方", "")), (key, value)
