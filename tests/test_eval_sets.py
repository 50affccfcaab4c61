"""The held-out evaluation set (tests/data/eval) is well-formed and every gold
entry is printed in its document; the checks of scripts/check_eval_set.py,
run on the parsed documents only (no model, no index)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "tests" / "data" / "eval"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_eval_set", REPO / "scripts" / "check_eval_set.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault("check_eval_set", module)
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


@pytest.fixture(scope="module")
def docs():
    return checker.load_documents()


@pytest.fixture(scope="module")
def report(docs):
    return checker.check(EVAL, docs)


def _rows(split: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_gold_entry_is_verified(report):
    assert not report.errors, "\n".join(report.errors[:30])


def test_the_set_has_the_size_and_balance_asked_for(report):
    rows = [q.row for q in report.questions]
    types = Counter(r["type"] for r in rows)
    assert len(rows) >= 320
    assert sum(1 for r in rows if r["source"] in ("law", "mixed")) >= 80
    assert types["unanswerable"] >= 40
    assert types["target"] + types["compare"] >= 40
    assert types["enquiry"] >= 60
    assert types["precedent"] >= 40
    assert types["filtered"] >= 30
    assert all(r["answer"] for r in rows if r["type"] in ("target", "compare"))
    # both splits hold every type
    for split in checker.SPLITS:
        assert {r["type"] for r in _rows(split)} == set(checker.TYPES)


def test_the_split_is_the_rule_and_about_half(report):
    rows = [q.row for q in report.questions]
    dev = [json.loads(line) for line in checker.DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    assigned = checker.split_of(rows, dev)
    for q in report.questions:
        assert assigned[q.qid] == q.split
    sizes = Counter(q.split for q in report.questions)
    assert abs(sizes["tune"] - sizes["test"]) <= 0.1 * len(rows)


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "eval"
    shutil.copytree(EVAL, out)
    return out


def _rewrite(folder: Path, split: str, edit) -> None:
    rows = [json.loads(line) for line in (folder / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = edit(rows)
    (folder / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _first(rows: list[dict], qtype: str) -> dict:
    return next(r for r in rows if r["type"] == qtype)


def test_checker_catches_a_phrase_the_document_does_not_print(tmp_path, docs):
    folder = _copy(tmp_path)

    def edit(rows):
        _first(rows, "enquiry")["gold"][0]["must_contain"] += "（并非原文）"
        return rows

    _rewrite(folder, "tune", edit)
    errors = checker.check(folder, docs).errors
    assert any("contains" in e for e in errors)


def test_checker_catches_a_target_value_without_its_qualifier(tmp_path, docs):
    folder = _copy(tmp_path)

    def edit(rows):
        for r in rows:
            if r["type"] == "target" and r["answer"].endswith("以上"):
                r["answer"] = r["answer"] + "左右"
                return rows
        raise AssertionError("no target with 以上 in tune")

    _rewrite(folder, "tune", edit)
    assert any("not printed in a gold clause" in e for e in checker.check(folder, docs).errors)


def test_checker_catches_a_missing_plan_in_a_precedent(tmp_path, docs):
    folder = _copy(tmp_path)

    def edit(rows):
        for r in rows:
            if r["type"] == "precedent" and len({g["doc"] for g in r["gold"]}) >= 3 and not r["notes"]:
                dropped = r["gold"].pop()
                assert dropped
                return rows
        raise AssertionError("no precedent with three documents and no notes in tune")

    _rewrite(folder, "tune", edit)
    assert any("has no gold entry" in e for e in checker.check(folder, docs).errors)


def test_checker_catches_a_hand_placed_question_and_a_duplicate(tmp_path, docs):
    folder = _copy(tmp_path)
    moved: list[dict] = []

    def take(rows):
        moved.append(rows.pop())
        return rows

    _rewrite(folder, "test", take)

    def put(rows):
        copy = dict(moved[0], id="e999")
        return rows + moved + [copy]

    _rewrite(folder, "tune", put)
    errors = checker.check(folder, docs).errors
    assert any("the split rule puts this question in test" in e for e in errors)
    assert any("same query as" in e for e in errors)


def test_the_bulk_sets_ask_about_their_own_documents():
    """bulk-train / bulk-held: questions on laws outside the corpus (the documents of
    bulk-docs.txt, built by scripts/bulk_eval_index.py); well-formed, no repeat,
    no document shared between the two, and no question repeated from another set."""
    docs = [line for line in (EVAL / "bulk-docs.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(docs) == len(set(docs)) == 30
    gold_docs = {}
    queries = []
    for split in ("bulk-train", "bulk-held"):
        rows = _rows(split)
        assert rows and all(r["type"] in ("enquiry", "precedent") and r["gold"] for r in rows)
        for r in rows:
            assert all(g["doc"] and len(g["must_contain"]) >= 6 for g in r["gold"])
        gold_docs[split] = {g["doc"] for r in rows for g in r["gold"]}
        queries += [r["query"] for r in rows]
    assert not gold_docs["bulk-train"] & gold_docs["bulk-held"]  # held-out documents, not only questions
    assert len(queries) == len(set(queries))
    others = {r["query"] for split in ("tune", "test", "probe", "far", "citizen", "probe2", "probe3", "probe4", "probe5", "probe6", "probe7", "probe8", "probe9", "probe10",
                                     "probe11", "probe12", "probe13", "probe14", "probe15",
                                     "probe16", "probe17", "probe18", "probe19", "probe20") for r in _rows(split)}
    assert not others & set(queries)
