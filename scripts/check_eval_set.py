"""Verify the held-out evaluation set against the parsed documents.

    .venv/bin/python scripts/check_eval_set.py            # summary table, exit 1 on any error
    .venv/bin/python scripts/check_eval_set.py --quiet    # errors and the totals only

The set is ``tests/data/eval/tune.jsonl`` and ``tests/data/eval/test.jsonl``
(the format of ``tests/data/dev.jsonl`` plus two tags, ``voice`` and
``source``).  The six plans are parsed with ``corpus/catalog.json``, the laws
and regulations of ``tests/data/extra`` without a catalog, exactly as the
index would parse them; nothing here loads a model.  Checked, per question:

* the fields, type, voice and source are known; ids are unique (and not dev ids);
* answerable questions have gold, unanswerable ones have none and a null answer;
* each gold ``doc`` exists and some clause of it contains ``must_contain``
  (all whitespace removed, as the eval tool matches);
* ``target``: the answer, as printed, is in a clause that holds a gold entry;
* ``compare``: the answer names exactly the gold documents, and each value
  (``/``-separated) is in that document's gold clause;
* ``precedent`` and ``compare``: a ``must_contain`` also printed in a document
  that has no gold entry is an error unless the notes name that document
  (an exclusion with its reason) — the recall check for "every clause";
* ``filtered``: a jurisdiction filter or a place named in the query, and every
  gold document lies inside that place;
* ``source`` agrees with the gold documents (plan / law / mixed);
* each question sits in the split the split rule assigns it to (``split_of``:
  siblings stay together, dev siblings go to tune, the rest are dealt by hash);
* no question repeats a dev or other question; test questions that share many
  characters with a tune or dev question are flagged (error at a high overlap,
  warning below it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.gazetteer import division_of, gazetteer  # noqa: E402
from ingest.parse import load_catalog, parse_file  # noqa: E402
from ingest.text import squash  # noqa: E402

EVAL_DIR = REPO / "tests" / "data" / "eval"
SPLITS = ("tune", "test")
# Written after the test split had been scored, to find what fails on questions
# nobody had tuned on yet: tuned on like tune, never split, never reported as test.
# probe: 70 questions of every kind; far: 40 questions about other fields entirely;
# citizen: 100 everyday questions in people's own words (enquiry, precedent by
# paraphrase, near-miss unanswerable) that share few words with the clause;
# probe2: 60 hard answers (several figures in one article, ranges, near misses);
# probe3: 80 questions written the way dev.jsonl's are, on other clauses;
# probe4: 60 more the same way, written after the eighth round's fixes;
# probe5: 60 about the laws in citizens' words (enquiries, figures, near misses);
# probe6: 60 for researchers and drafters across places (targets, comparisons,
# filtered, precedent, near misses), both written before the ninth round's fixes;
# probe7: 60 of every kind, written after most of them.
# probe8 (tenth round): 80 of every kind, written at its start; probe9: 70
# more, written once its fixes were in; probe10 (eleventh round): 80 of every
# kind, written after the query adapter was fitted (78 kept).  Twelfth round:
# probe11 (the laws in citizens' words), probe12 (the plans), probe13 (every
# kind, never fitted on), probe14 and probe15 (clauses no earlier set asked
# about), all written at its start; probe16–20 (clauses none of those asked
# about, by group of documents), written after its fixes.
DEVELOPMENT_SETS = (
    "probe", "far", "citizen", "probe2", "probe3", "probe4", "probe5", "probe6", "probe7", "probe8", "probe9", "probe10",
    "probe11", "probe12", "probe13", "probe14", "probe15", "probe16", "probe17", "probe18", "probe19", "probe20",
)
DEV = REPO / "tests" / "data" / "dev.jsonl"
CORPUS = REPO / "corpus"
EXTRA = REPO / "tests" / "data" / "extra"

TYPES = ("target", "compare", "precedent", "enquiry", "filtered", "unanswerable")
VOICES = ("drafter", "researcher", "staff")
SOURCES = ("plan", "law", "mixed")
FIELDS = ("id", "type", "query", "filters", "gold", "answer", "notes", "voice", "source")

SPLIT_SALT = "policy-search-eval-v1:"
NEAR_DUP_ERROR = 0.75  # character-bigram Jaccard at or above which a pair is a duplicate
NEAR_DUP_WARN = 0.55

# ----------------------------------------------------------------- the documents


@dataclass
class Doc:
    doc_id: str
    is_plan: bool
    places: set[str]  # full and short names of its jurisdiction and the areas containing it
    clauses: list[str]  # squashed clause texts


def _places(jurisdiction: Any) -> set[str]:
    """Full and short names of a document's jurisdiction and of every area
    containing it, from the gazetteer (the names printed in the document kept too)."""
    if jurisdiction is None:
        return set()
    names = {jurisdiction.name, jurisdiction.parent or "", jurisdiction.province or ""}
    division = division_of(jurisdiction)
    if division is not None:
        for area in [division, *gazetteer().ancestors(division)]:
            names |= {area.name, area.short}
    return {n for n in names if len(n) >= 2 and n != "全国"}


def load_documents() -> dict[str, Doc]:
    """Every document of corpus/ (with the catalog) and tests/data/extra (without)."""
    catalog = load_catalog(CORPUS / "catalog.json")
    docs: dict[str, Doc] = {}
    for folder, cat in ((CORPUS, catalog), (EXTRA, None)):
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".txt", ".md"):
                continue
            for parsed in parse_file(path, cat):
                d = parsed.document
                docs[d.doc_id] = Doc(
                    doc_id=d.doc_id,
                    is_plan=cat is not None,
                    places=_places(d.jurisdiction),
                    clauses=[squash(c.text) for c in parsed.clauses],
                )
    return docs


# ----------------------------------------------------------------- the questions


@dataclass
class Question:
    row: dict[str, Any]
    split: str  # tune, test or dev
    line: int

    @property
    def qid(self) -> str:
        return str(self.row.get("id"))

    @property
    def qtype(self) -> str:
        return str(self.row.get("type"))

    @property
    def where(self) -> str:
        return f"{self.split}:{self.line} {self.qid}"


def load_split(path: Path, split: str) -> list[Question]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                out.append(Question(json.loads(line), split, n))
    return out


def _gold_keys(q: dict[str, Any]) -> list[tuple[str, str]]:
    return [(g.get("doc", ""), squash(g.get("must_contain") or "")) for g in q.get("gold") or []]


def families(questions: list[dict[str, Any]], dev: list[dict[str, Any]] = ()) -> dict[str, str]:
    """Questions that target the same printed phrase (a gold entry of the same
    document whose must_contain equals or contains the other's) are one family;
    dev questions join the families too. Returns id -> family id (the family's
    smallest id, a dev id when the family has one)."""
    rows = list(dev) + list(questions)
    parent = {str(r["id"]): str(r["id"]) for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_doc: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        for doc, must in _gold_keys(r):
            by_doc[doc].append((must, str(r["id"])))
    for entries in by_doc.values():
        for i, (a, qa) in enumerate(entries):
            for b, qb in entries[i + 1 :]:
                if qa != qb and a and b and (a in b or b in a):
                    ra, rb = find(qa), find(qb)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)  # dev ids (d…) sort before e…
    return {str(r["id"]): find(str(r["id"])) for r in rows}


def split_of(questions: list[dict[str, Any]], dev: list[dict[str, Any]] = ()) -> dict[str, str]:
    """The split rule, a fixed function of the questions (nobody places one by hand):

    1. Siblings stay together: questions that target the same printed phrase
       form a family (see ``families``); a family that holds a dev question
       goes to tune (dev is already tuned on, so its siblings cannot be held out).
    2. The other families are taken in the order of sha256(salt + family id)
       and each is put in the split where its questions' (type, source) strata
       are rarer so far — ties go to the split with fewer questions, then tune.
       Every type and source is so halved, to within a family's size.
    """
    fam = families(questions, dev)
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        members[fam[str(q["id"])]].append(q)
    out: dict[str, str] = {}
    counts = {s: Counter() for s in SPLITS}
    totals = Counter()

    def place(qs: list[dict[str, Any]], split: str) -> None:
        for q in qs:
            out[str(q["id"])] = split
            counts[split][(q["type"], q["source"])] += 1
            totals[split] += 1

    dev_ids = {str(d["id"]) for d in dev}
    dev_fams = [f for f in members if f in dev_ids]
    for f in sorted(dev_fams):
        place(members[f], "tune")
    rest = sorted(
        (f for f in members if f not in dev_fams),
        key=lambda f: hashlib.sha256((SPLIT_SALT + f).encode()).hexdigest(),
    )
    for f in rest:
        qs = members[f]
        cost = {s: sum(counts[s][(q["type"], q["source"])] for q in qs) for s in SPLITS}
        best = min(SPLITS, key=lambda s: (cost[s], totals[s], SPLITS.index(s)))
        place(qs, best)
    return out


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s，。？！、：；“”（）()?,.!:;\"'《》]", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def overlap(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def _compare_parts(answer: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in answer.split(";"):
        if ":" not in part:
            continue
        doc, value = part.split(":", 1)
        out[doc.strip()] = [squash(v) for v in value.split("/") if squash(v)]
    return out


# ----------------------------------------------------------------- the checks


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    def error(self, q: Question | None, msg: str) -> None:
        self.errors.append(f"{q.where}: {msg}" if q else msg)

    def warn(self, q: Question | None, msg: str) -> None:
        self.warnings.append(f"{q.where}: {msg}" if q else msg)


def _gold_clauses(docs: dict[str, Doc], doc_id: str, must: str) -> list[str]:
    d = docs.get(doc_id)
    if d is None:
        return []
    return [c for c in d.clauses if must in c]


def check_question(q: Question, docs: dict[str, Doc], report: Report) -> None:
    row = q.row
    missing = [f for f in FIELDS if f not in row]
    if missing:
        report.error(q, f"missing fields {missing}")
        return
    extra = sorted(set(row) - set(FIELDS))
    if extra:
        report.error(q, f"unknown fields {extra}")
    if row["type"] not in TYPES:
        report.error(q, f"unknown type {row['type']!r}")
    if row["voice"] not in VOICES:
        report.error(q, f"unknown voice {row['voice']!r}")
    if row["source"] not in SOURCES:
        report.error(q, f"unknown source {row['source']!r}")
    if not isinstance(row["query"], str) or len(row["query"].strip()) < 4:
        report.error(q, "query is empty")
    if not isinstance(row["filters"], dict):
        report.error(q, "filters is not an object")
    gold = row["gold"]
    notes = row["notes"] or ""
    if not isinstance(gold, list):
        report.error(q, "gold is not a list")
        return
    if row["type"] == "unanswerable":
        if gold:
            report.error(q, "unanswerable question with gold entries")
        if row["answer"] is not None:
            report.error(q, "unanswerable question with an answer")
        if not notes:
            report.error(q, "unanswerable question without a note saying why")
        return
    if not gold:
        report.error(q, "answerable question without gold")
        return

    # every gold entry is printed in its document
    seen = set()
    for g in gold:
        doc_id, must = g.get("doc"), squash(g.get("must_contain") or "")
        if (doc_id, must) in seen:
            report.error(q, f"duplicate gold entry {doc_id}: {must}")
        seen.add((doc_id, must))
        if doc_id not in docs:
            report.error(q, f"unknown doc {doc_id!r}")
            continue
        if len(must) < 4:
            report.error(q, f"must_contain too short to be distinctive: {must!r}")
        if not _gold_clauses(docs, doc_id, must):
            report.error(q, f"no clause of {doc_id} contains {must!r}")

    gold_docs = {g["doc"] for g in gold if g.get("doc") in docs}
    kinds = {docs[d].is_plan for d in gold_docs}
    derived = "plan" if kinds == {True} else "law" if kinds == {False} else "mixed"
    if gold_docs and derived != row["source"]:
        report.error(q, f"source {row['source']!r} but the gold documents make it {derived!r}")

    answer = row["answer"]
    if row["type"] == "target":
        if not answer:
            report.error(q, "target question without an answer")
        else:
            clauses = [c for g in gold for c in _gold_clauses(docs, g["doc"], squash(g["must_contain"]))]
            if not any(squash(answer) in c for c in clauses):
                report.error(q, f"answer {answer!r} is not printed in a gold clause")
    if row["type"] == "compare":
        if len(gold_docs) < 2:
            report.error(q, "compare question with fewer than two documents")
        if not answer:
            report.error(q, "compare question without an answer")
        else:
            parts = _compare_parts(answer)
            if set(parts) != gold_docs:
                report.error(q, f"answer names {sorted(parts)} but gold has {sorted(gold_docs)}")
            for doc_id, values in parts.items():
                clauses = [
                    c
                    for g in gold
                    if g["doc"] == doc_id
                    for c in _gold_clauses(docs, doc_id, squash(g["must_contain"]))
                ]
                for v in values:
                    if not any(v in c for c in clauses):
                        report.error(q, f"value {v!r} for {doc_id} is not printed in its gold clause")

    # recall: the same wording printed in a document without a gold entry
    if row["type"] in ("precedent", "compare"):
        for g in gold:
            must = squash(g["must_contain"])
            for doc_id, d in docs.items():
                if doc_id in gold_docs or doc_id in notes:
                    continue
                if any(must in c for c in d.clauses):
                    report.error(
                        q,
                        f"{must!r} is also printed in {doc_id}, which has no gold entry "
                        "(add it, or name it in the notes with the reason it is excluded)",
                    )

    if row["type"] == "filtered":
        place = (row["filters"] or {}).get("jurisdiction")
        named = [place] if place else []
        all_places = set().union(*(d.places for d in docs.values()))
        if not place:
            named = [p for p in all_places if p in row["query"]]
        if not named:
            report.error(q, "filtered question with no jurisdiction filter and no place in the query")
        elif place and place not in all_places:
            report.error(q, f"filter jurisdiction {place!r} is no document's place")
        else:
            for doc_id in gold_docs:
                if not any(p in docs[doc_id].places for p in named):
                    report.error(q, f"gold doc {doc_id} is not inside {named}")


def check(eval_dir: Path = EVAL_DIR, docs: dict[str, Doc] | None = None) -> Report:
    """Run every check on ``eval_dir``/{tune,test}.jsonl; ``docs`` defaults to
    a fresh parse of the corpus (pass one in to parse once for several runs)."""
    report = Report()
    docs = docs if docs is not None else load_documents()
    dev = load_split(DEV, "dev")
    questions: list[Question] = []
    for split in SPLITS:
        path = eval_dir / f"{split}.jsonl"
        if not path.exists():
            report.error(None, f"{path} is missing")
            continue
        questions.extend(load_split(path, split))
    report.questions = questions

    ids = Counter(q.qid for q in questions)
    for qid, n in ids.items():
        if n > 1:
            report.error(None, f"id {qid} is used {n} times")
    dev_ids = {q.qid for q in dev}
    for q in questions:
        if q.qid in dev_ids:
            report.error(q, "id collides with a dev id")
        check_question(q, docs, report)

    # the split rule
    well_formed = [q.row for q in questions if all(f in q.row for f in ("id", "type", "source"))]
    assigned = split_of(well_formed, [q.row for q in dev])
    for q in questions:
        want = assigned.get(q.qid)
        if want and want != q.split:
            report.error(q, f"the split rule puts this question in {want}, not {q.split}")

    # duplicates and near-duplicates
    everyone = dev + questions
    by_text: dict[str, Question] = {}
    for q in everyone:
        _repeat(q, by_text, report)
    tests = [q for q in questions if q.split == "test"]
    others = dev + [q for q in questions if q.split == "tune"]
    for t in tests:
        _near_duplicates(t, others, report)

    # development sets outside the split (tuned on like tune; see README): each
    # question checked the same way, none a repeat or near repeat of a test question
    for name in DEVELOPMENT_SETS:
        path = eval_dir / f"{name}.jsonl"
        if not path.exists():
            continue
        extra = load_split(path, name)
        for q in extra:
            if q.qid in ids or q.qid in dev_ids:
                report.error(q, "id collides with a tune, test or dev id")
            check_question(q, docs, report)
            _repeat(q, by_text, report)
            _near_duplicates(q, tests, report)
    return report


def _repeat(q: Question, by_text: dict[str, Question], report: Report) -> None:
    """An error when ``q`` repeats a question already seen (whitespace aside)."""
    key = squash(q.row.get("query", ""))
    if key in by_text:
        report.error(q, f"same query as {by_text[key].where}")
    by_text.setdefault(key, q)


def _near_duplicates(q: Question, others: list[Question], report: Report) -> None:
    """An error when ``q`` shares NEAR_DUP_ERROR of its character pairs with one
    of ``others``, a warning from NEAR_DUP_WARN."""
    for o in others:
        r = overlap(q.row["query"], o.row["query"])
        if r >= NEAR_DUP_ERROR:
            report.error(q, f"near-duplicate of {o.where} (overlap {r:.2f})")
        elif r >= NEAR_DUP_WARN:
            report.warn(q, f"shares many characters with {o.where} (overlap {r:.2f})")


def summary(report: Report) -> str:
    qs = report.questions
    lines = []

    def table(title: str, key: str, values: tuple[str, ...]) -> None:
        lines.append(f"\n{title}")
        lines.append("| split | " + " | ".join(values) + " | total |")
        lines.append("| --- |" + " ---: |" * (len(values) + 1))
        for split in (*SPLITS, "all"):
            sub = [q for q in qs if split == "all" or q.split == split]
            c = Counter(str(q.row.get(key)) for q in sub)
            lines.append(f"| {split} | " + " | ".join(str(c[v]) for v in values) + f" | {len(sub)} |")

    table("Questions per type", "type", TYPES)
    table("Questions per source (plan: the six plans; law: tests/data/extra; mixed: both)", "source", SOURCES)
    table("Questions per voice", "voice", VOICES)
    entries = sum(len(q.row.get("gold") or []) for q in qs)
    law = sum(1 for q in qs if q.row.get("source") in ("law", "mixed"))
    lines.append(f"\n{len(qs)} questions, {entries} gold entries; {law} use the laws and regulations")
    lines.append(f"{len(report.errors)} errors, {len(report.warnings)} warnings")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="no warnings and tables, only errors and totals")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    args = parser.parse_args(argv)
    report = check(args.eval_dir)
    for e in report.errors:
        print("ERROR", e)
    if not args.quiet:
        for w in report.warnings:
            print("warn ", w)
        print(summary(report))
    else:
        print(f"{len(report.questions)} questions, {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
