"""The synthetic corpus generator used by the scale benchmark (scripts/synth_corpus.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.synth_corpus import JURISDICTIONS, load_base, synthesize, write_txt

YEAR = re.compile(r"20[0-9]{2}年")


@pytest.fixture(scope="module")
def base():
    return load_base()


@pytest.fixture(scope="module")
def synth10(base):
    return synthesize(10, base=base)


def test_ten_times_the_clauses(base, synth10) -> None:
    assert len(synth10) == 10 * len(base)
    assert sum(len(d.clauses) for d in synth10) == 10 * sum(len(d.clauses) for d in base)


def test_ids_are_fresh_unique_and_stable(base, synth10) -> None:
    doc_ids = [d.document.doc_id for d in synth10]
    assert len(set(doc_ids)) == len(doc_ids)
    assert not set(doc_ids) & {d.document.doc_id for d in base}
    clause_ids = [c.clause_id for d in synth10 for c in d.clauses]
    assert len(set(clause_ids)) == len(clause_ids)
    for doc in synth10:
        assert all(c.doc_id == doc.document.doc_id and c.clause_id.startswith(c.doc_id + "-") for c in doc.clauses)
    again = synthesize(10, base=base)
    assert [c.clause_id for d in again for c in d.clauses] == clause_ids
    assert [c.text for d in again for c in d.clauses] == [c.text for d in synth10 for c in d.clauses]
    other_seed = synthesize(1, base=base, seed=1)
    assert [c.text for d in other_seed for c in d.clauses] != [c.text for d in synth10[: len(base)] for c in d.clauses]


def test_texts_are_perturbed_but_plausible(base, synth10) -> None:
    names = {row[0] for row in JURISDICTIONS}
    real_names = {d.document.jurisdiction.name for d in base}
    by_suffix = {(d.document.doc_id, c.clause_id.rsplit("-", 1)[1]): c for d in base for c in d.clauses}
    changed = total = numbers_changed = 0
    for doc in synth10:
        jur = doc.document.jurisdiction
        assert jur.name in names and jur.name not in real_names
        origin = doc.document.doc_id.split("-", 2)[2]
        real = next(d for d in base if d.document.doc_id == origin)
        assert real.document.jurisdiction.name not in doc.document.title
        assert doc.document.title.replace(real.document.title, "") != ""  # renamed
        for clause in doc.clauses:
            before = by_suffix[(origin, clause.clause_id.rsplit("-", 1)[1])]
            total += 1
            assert clause.text.strip()
            assert 0.5 * len(before.text) <= len(clause.text) <= 1.5 * len(before.text) + 20
            assert clause.kind == before.kind and clause.number == before.number
            # the real jurisdiction's full name is gone (unless the new one shares it)
            if real.document.jurisdiction.name not in (jur.name, jur.parent or ""):
                assert real.document.jurisdiction.name not in clause.text
            # years and item numbers are kept
            assert YEAR.findall(clause.text) == YEAR.findall(before.text)
            if clause.text != before.text:
                changed += 1
                if clause.kind in ("target", "indicator") and re.sub(r"[\d.]+", "#", clause.text) == re.sub(r"[\d.]+", "#", before.text):
                    numbers_changed += 1
            if before.fields.get("indicator"):
                assert clause.fields["indicator"] == before.fields["indicator"]
    assert changed / total > 0.3
    assert numbers_changed > 10 * 20  # values of targets and indicator rows move


def test_write_txt_round_trips_through_the_parser(tmp_path: Path, base) -> None:
    from ingest.parse import parse_file

    docs = synthesize(1, base=base)
    paths = write_txt(docs, tmp_path)
    assert [p.name for p in paths] == [d.document.source_file for d in docs]
    parsed = parse_file(paths[-1], None, base_dir=tmp_path)
    assert parsed and parsed[0].document.title == docs[-1].document.title
    assert abs(len(parsed[0].clauses) - len(docs[-1].clauses)) <= 0.1 * len(docs[-1].clauses)
    # the clauses' line numbers point at their text in the written file
    lines = paths[-1].read_text(encoding="utf-8").splitlines()
    for clause in docs[-1].clauses[:50]:
        assert lines[clause.line_start - 1] == clause.text.replace("\n", " ")
