"""Fit the found / not-found calibration in search/data/answer_calibration.json.

Every question of the tuning sets (tests/data/dev.jsonl, the tune split
tests/data/eval/tune.jsonl and the development sets probe.jsonl and
citizen.jsonl; never the test split) is asked on an index of the
plans and the laws together. For each answer that no rule refused, the
evidence features (``Answerer.evidence``: dense similarity of the best clause,
coverage of the question's words and of its rarest words, whether the clause
is of the kind asked, agreement of the next clauses) are collected with the
label "the question is answerable" (it has gold clauses). A logistic
regression with an L2 penalty, on standardised features, is fitted with
scipy; the threshold is the one that maximises balanced accuracy (mean of
answerable found and unanswerable refused) on the questions as written and the
far misses (tests/data/eval/far.jsonl), counting rule and gate refusals as
refusals. Chosen on the questions alone, the answer model had nothing left to
refuse once the rules and the gate had (threshold 0: every far miss the gate
let through was answered); chosen on the near misses too, it would refuse far
more answerable questions (they are harder than real ones). The fit also sees near misses made from the
answerable questions that name no place (see ``collect``). 5-fold
cross-validation reports how the fit holds on questions it did not see.

    .venv/bin/python scripts/calibrate.py --index /tmp/mixed-idx [--write]
    .venv/bin/python scripts/calibrate.py --index /tmp/mixed-idx --chart docs/quality/calibration.png \\
        --report tests/data/eval/tune.jsonl --report tests/data/eval/test.jsonl

``--chart`` draws precision against recall of "found" on the report sets as
the threshold moves (the test split only here, to report: nothing is fitted
on it), with the fitted threshold marked.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.calibration import CALIBRATION_FILE, Calibration  # noqa: E402
from search.evaluate import gold_matches, load_queries, set_on_index  # noqa: E402
from search.service import Filters, SearchService  # noqa: E402

# The answer model's features. Also collected, left out: key_terms (share of
# the two rarest question words found) and kind (narrative 0.5, any other
# clause kind 1) took negative weights beside coverage and value on dev + tune
# and cost cross-validated accuracy; the raw cosines lowered it too (the gate
# uses them).
FEATURES = ["dense", "coverage", "value", "agreement"]
# The off-topic gate's features: raw dense similarity (both readings of the
# question) separates questions about another field (AUC 0.95 against the
# answerable ones) where the standardised one does not (0.50), and a question
# whose words the documents never print is about something else. ``topic``
# (twelfth round), the mean raw similarity of the question's 50 nearest clauses
# of the whole index, separates them best (AUC 0.997 against 0.988 for the best
# one's on every development set; 0.997 against 0.983 on the four written that
# round): a question in the field has many clauses near it.
GATE_FEATURES = ["cosine", "cosine_question", "printed", "coverage", "topic"]
EVIDENCE = list(dict.fromkeys(FEATURES + GATE_FEATURES))
TUNING_SETS = [
    REPO / "tests" / "data" / "dev.jsonl",
    REPO / "tests" / "data" / "eval" / "tune.jsonl",
    REPO / "tests" / "data" / "eval" / "probe.jsonl",
    REPO / "tests" / "data" / "eval" / "citizen.jsonl",
]
# Questions about another field entirely (股票交易印花税, 护照): the gate is
# fitted on them (off topic) against every question of the tuning sets (on topic).
FAR_MISSES = REPO / "tests" / "data" / "eval" / "far.jsonl"
# The gate's threshold lets through all but this share of the answerable
# tuning questions (it refuses as many far misses as that allows).
GATE_MISS = 0.02
L2 = 0.05  # chose from 0.001 / 0.01 / 0.05 by 5-fold cross-validation on dev + tune


def collect(service: SearchService, path: Path, near_misses: bool = False) -> list[dict[str, Any]]:
    """Per question: evidence (None for a rule refusal), answerable, and whether
    the first citation is a gold clause. With ``near_misses``, also one
    unanswerable question made from each answerable one that names no place:
    the same question asked of the document that ranks highest without a gold
    entry (the eval set's gold lists every document that answers such a
    question), labelled "not answerable" — the "a clause one plan has, asked of
    a plan that lacks it" kind, of which the questions alone hold few."""
    out = []
    for q in load_queries(path):
        answer = service.ask(q.query, Filters.from_dict(q.filters))
        right = bool(
            q.gold and answer.citations and gold_matches(answer.citations[0].to_dict(), q.gold)
        )
        evidence = None if answer.ruled else {f: float(answer.evidence[f]) for f in EVIDENCE if f in answer.evidence}
        out.append({"id": q.qid, "x": evidence, "y": bool(q.gold), "right": right, "made": False})
        if not near_misses or not q.gold or q.filters:
            continue
        result = service.search(q.query, 30, readings=2)  # as answers read it
        if result.analysis.doc_ids is not None or result.analysis.title_doc_ids is not None:
            continue  # a place or a document named: another document is no near miss
        gold_docs = {g["doc"] for g in q.gold}
        other = next((h.doc_id for h in result.hits if h.doc_id not in gold_docs), None)
        if other is None:
            continue
        miss = service.ask(q.query, Filters(doc_id=other))
        evidence = None if miss.ruled else {f: float(miss.evidence[f]) for f in EVIDENCE if f in miss.evidence}
        out.append({"id": f"{q.qid}@{other}", "x": evidence, "y": False, "right": False, "made": True})
    return out


def fit(rows: list[dict[str, Any]], features: list[str] = FEATURES, label: str = "y") -> dict[str, Any]:
    """Logistic regression with an L2 penalty on standardised features, the two
    classes (``r[label]`` true or false) weighing alike; a feature whose weight
    comes out negative (more evidence, less belief: a sign of collinearity with
    the others, not of meaning) is dropped and the rest refitted, so every kept
    feature counts for an answer."""
    keep = list(features)
    while True:
        model = _fit(rows, keep, label)
        negative = [f for f, c in zip(keep, model["coef"], strict=True) if c < 0]
        if not negative or len(keep) == 1:
            return model
        keep = [f for f in keep if f not in negative]


def _fit(rows: list[dict[str, Any]], keep: list[str], label: str = "y") -> dict[str, Any]:
    from scipy.optimize import minimize

    x = np.array([[r["x"].get(f, 0.0) for f in keep] for r in rows], dtype=np.float64)
    y = np.array([1.0 if r[label] else 0.0 for r in rows])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    # each class weighs half: answerable questions outnumber the others about 5 to 1
    weight = np.where(y > 0, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logits = z @ w[1:] + w[0]
        p = 1.0 / (1.0 + np.exp(-logits))
        eps = 1e-9
        value = -np.mean(weight * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + L2 * float(w[1:] @ w[1:])
        residual = weight * (p - y)
        grad = np.concatenate([[np.mean(residual)], z.T @ residual / len(y) + 2 * L2 * w[1:]])
        return value, grad

    result = minimize(loss, np.zeros(len(keep) + 1), jac=True, method="L-BFGS-B")
    w = result.x
    return {"features": keep, "mean": mean.tolist(), "scale": scale.tolist(), "coef": w[1:].tolist(), "intercept": float(w[0])}


def _calibration(model: dict[str, Any]) -> Calibration:
    return Calibration(model["features"], model["mean"], model["scale"], model["coef"], model["intercept"])


def probabilities(model: dict[str, Any], rows: list[dict[str, Any]]) -> list[float | None]:
    cal = _calibration(model)
    return [None if r["x"] is None else cal.probability(r["x"]) for r in rows]


def fit_gate(on_topic: list[dict[str, Any]], far: list[dict[str, Any]]) -> tuple[dict[str, Any], float]:
    """The off-topic gate: fitted on the tuning questions (on topic, whether
    answerable or not) against the far misses; its threshold lets through all
    but GATE_MISS of the answerable questions."""
    def judged(r: dict[str, Any]) -> bool:  # evidence the gate can judge (not a clause the question names)
        return r["x"] is not None and all(f in r["x"] for f in GATE_FEATURES)

    rows = [{**r, "on": True} for r in on_topic if judged(r)] + [{**r, "on": False} for r in far if judged(r)]
    model = fit(rows, GATE_FEATURES, label="on")
    answerable = sorted(p for p, r in zip(probabilities(model, on_topic), on_topic, strict=True) if judged(r) and r["y"])
    k = int(GATE_MISS * len(answerable))
    return model, (answerable[k] if answerable else 0.0)


def gated(probs: list[float | None], gate: dict[str, Any], gate_threshold: float, rows: list[dict[str, Any]]) -> list[float | None]:
    """The answer probabilities with the gated questions set to 0 (refused)."""
    cal = Calibration(gate=_calibration(gate))
    assert cal.gate is not None
    cal.gate.threshold = gate_threshold
    return [None if p is None or r["x"] is None else (0.0 if cal.off_topic(r["x"]) else p) for p, r in zip(probs, rows, strict=True)]


def rates(rows: list[dict[str, Any]], probs: list[float | None], threshold: float) -> dict[str, float]:
    """Answerable found, unanswerable refused, precision of found, and found-and-right."""
    found = [p is not None and p >= threshold for p in probs]
    pos = [r["y"] for r in rows]
    n_pos = sum(pos) or 1
    n_neg = (len(rows) - sum(pos)) or 1
    tp = sum(1 for f, y in zip(found, pos, strict=True) if f and y)
    right = sum(1 for f, r in zip(found, rows, strict=True) if f and r["right"])
    n_found = sum(found) or 1
    return {
        "answerable_found": tp / n_pos,
        "unanswerable_refused": sum(1 for f, y in zip(found, pos, strict=True) if not f and not y) / n_neg,
        "precision": tp / n_found,
        "right_answered": right / n_pos,
        "precision_right": right / n_found,
    }


def choose_threshold(rows: list[dict[str, Any]], probs: list[float | None]) -> float:
    """The threshold with the best balanced accuracy; on a plateau, its middle."""
    candidates = sorted({round(p, 4) for p in probs if p is not None} | {0.5})
    scored = []
    for t in candidates:
        r = rates(rows, probs, t)
        scored.append((round((r["answerable_found"] + r["unanswerable_refused"]) / 2, 6), t))
    best = max(s for s, _ in scored)
    plateau = [t for s, t in scored if s == best]
    return float(plateau[len(plateau) // 2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="data/index", help="an index of corpus/ and tests/data/extra")
    parser.add_argument("--write", action="store_true", help=f"write search/data/{CALIBRATION_FILE}")
    parser.add_argument("--chart", type=Path, help="draw the precision/recall chart of the --report sets to this PNG")
    parser.add_argument("--report", action="append", default=[], help="a set to report (and chart) with the stored calibration")
    parser.add_argument("--set", action="append", dest="sets",
                        help="a tuning set, PATH or PATH@INDEX for questions on another index (repeatable; "
                             "default dev, tune, probe and citizen on --index)")
    args = parser.parse_args()
    service = SearchService.open(args.index)
    specs = [set_on_index(p, args.index) for p in (args.sets or [str(p) for p in TUNING_SETS])]
    if any("test" in path.stem for path, _ in specs):
        parser.error("the test split is for reporting only")
    services = {args.index: service}

    if args.chart or args.report:
        report(service, [Path(p) for p in args.report], args.chart)
        return

    every: list[dict[str, Any]] = []
    for path, index in specs:
        if index not in services:
            services[index] = SearchService.open(index)
        every.extend(collect(services[index], path, near_misses=True))
    far = collect(service, FAR_MISSES)
    rows = [r for r in every if not r["made"]]  # the questions as written: thresholds and rates
    made = [r for r in every if r["made"]]
    scored = [r for r in every if r["x"] is not None]  # the fit also sees the near misses made
    ruled = sum(1 for r in rows if r["x"] is None)
    print(f"{len(rows)} questions ({sum(r['y'] for r in rows)} answerable); {ruled} refused by rule; "
          f"{len(made)} near misses made from them; {len(far)} far misses")

    # 5-fold cross-validation of gate + fit + threshold (far misses dealt into the folds too)
    rng = random.Random(7)
    order = list(range(len(rows)))
    rng.shuffle(order)
    held: list[float | None] = [None] * len(rows)
    far_held: list[float | None] = [None] * len(far)
    for k in range(5):
        test_idx = set(order[k::5])
        train = [rows[i] for i in range(len(rows)) if i not in test_idx]
        train_ids = {r["id"] for r in train}
        train_made = [r for r in made if r["id"].split("@")[0] in train_ids]
        train_far = [r for i, r in enumerate(far) if i % 5 != k]
        gate, gate_t = fit_gate(train + train_made, train_far)
        model = fit([r for r in train + train_made if r["x"] is not None])
        judged = train + train_far
        t = choose_threshold(judged, gated(probabilities(model, judged), gate, gate_t, judged))
        for i in test_idx:
            p = gated(probabilities(model, [rows[i]]), gate, gate_t, [rows[i]])[0]
            held[i] = None if p is None else p - t + 0.5  # each fold's own threshold, moved to 0.5
        for i in range(k, len(far), 5):
            p = gated(probabilities(model, [far[i]]), gate, gate_t, [far[i]])[0]
            far_held[i] = None if p is None else p - t + 0.5
    cv = rates(rows, held, 0.5)
    cv_far = rates(far, far_held, 0.5)["unanswerable_refused"]
    print("5-fold CV:", {k: round(v, 3) for k, v in cv.items()}, f"far misses refused {cv_far:.3f}")

    gate, gate_threshold = fit_gate(every, far)
    model = fit(scored)
    judged = rows + far
    threshold = choose_threshold(judged, gated(probabilities(model, judged), gate, gate_threshold, judged))
    probs = gated(probabilities(model, rows), gate, gate_threshold, rows)
    fitted = rates(rows, probs, threshold)
    far_refused = rates(far, gated(probabilities(model, far), gate, gate_threshold, far), threshold)["unanswerable_refused"]
    print("fit on all:", {k: round(v, 3) for k, v in fitted.items()}, "threshold", round(threshold, 4),
          f"far misses refused {far_refused:.3f}")
    print("answer model:", {f: round(c, 3) for f, c in zip(model["features"], model["coef"], strict=True)}, "intercept", round(model["intercept"], 3))
    print("gate:", {f: round(c, 3) for f, c in zip(gate["features"], gate["coef"], strict=True)}, "intercept",
          round(gate["intercept"], 3), "threshold", round(gate_threshold, 4))

    def rounded(m: dict[str, Any]) -> dict[str, Any]:
        return {k: ([round(float(x), 6) for x in v] if isinstance(v, list) and k != "features" else v) for k, v in m.items()}

    if args.write:
        others = [path.name for path, index in specs if index != args.index]
        elsewhere = f" ({', '.join(others)} on an index of the documents it asks about)" if others else ""
        data = {
            "about": (
                "Found / not found for search/answer.py, in two steps. The off-topic gate: P(the question is about what "
                "the documents cover) over its features; under its threshold the answer is 'not found' whatever clause "
                "comes closest. It is fitted on every question of the tuning sets (on topic, answerable or not, with the "
                "near misses made) against the far misses (tests/data/eval/far.jsonl: questions about other fields), "
                f"and its threshold lets through all but {GATE_MISS:.0%} of the answerable tuning questions. Then the "
                "answer model: P(the question is answered by the first cited clause) = "
                "sigmoid(intercept + sum(coef * (x - mean) / scale)) over the evidence features, found when "
                "P >= threshold. Both are written by scripts/calibrate.py: logistic regression (classes weighted equally, "
                f"L2 penalty {L2}, standardised features; a feature that takes a negative weight is dropped and the "
                f"rest refitted), the answer model fitted on {' + '.join(p.name for p, _ in specs)} asked on an index of "
                f"the plans and the laws{elsewhere}, label = the question has gold clauses; threshold = best balanced accuracy "
                "on the questions as written and the far misses (rule and gate refusals count as refusals). The fit "
                "also sees one near miss "
                "made from each answerable question that names no place: the question asked of the best-ranked document "
                "without a gold entry, labelled not answerable. Never fitted on the test split."
            ),
            "features": {
                "dense": "the best clause's dense similarity, standardised over the searched clauses (z-score)",
                "cosine": "the best clause's dense similarity (cosine) to the analysed query",
                "cosine_question": "the same to the question as typed",
                "coverage": "IDF-weighted share of the question's content words in the clause and its headings (synonyms count)",
                "value": "for a 'how many' question, 1 when a value of the kind asked was found (a target or a figure in a sentence), else 0; 1 for other questions",
                "agreement": "coverage of the next three clauses relative to the best one's (the topic is where the search looked)",
                "printed": "IDF-weighted share of the question's content words that some clause prints (synonyms count): low for a question about another field",
            },
            "fitted": {
                "date": _dt.date.today().isoformat(),
                "questions": len(rows),
                "near_misses_made": len(made),
                "far_misses": len(far),
                "answerable": sum(r["y"] for r in rows),
                "refused_by_rule": sum(1 for r in rows if r["x"] is None),
                "on_fit": {**{k: round(v, 3) for k, v in fitted.items()}, "far_misses_refused": round(far_refused, 3)},
                "cross_validated_5_fold": {**{k: round(v, 3) for k, v in cv.items()}, "far_misses_refused": round(cv_far, 3)},
            },
            "model": rounded(model),
            "threshold": round(threshold, 4),
            "gate": {"model": rounded(gate), "threshold": round(gate_threshold, 4)},
        }
        path = REPO / "search" / "data" / CALIBRATION_FILE
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


def report(service: SearchService, paths: list[Path], chart: Path | None) -> None:
    """Rates at the stored threshold, and the precision/recall curve, per set."""
    cal = Calibration.load()
    curves = {}
    for path in paths:
        rows = collect(service, path)
        probs: list[float | None] = [
            None if r["x"] is None else (0.0 if cal.off_topic(r["x"]) else cal.probability(r["x"])) for r in rows
        ]
        at = rates(rows, probs, cal.threshold)
        print(path.name, {k: round(v, 3) for k, v in at.items()})
        points = []
        for t in sorted({p for p in probs if p is not None} | {0.0}):
            if not any(p is not None and p >= t for p in probs):
                continue  # nothing answered: no precision to draw
            r = rates(rows, probs, t)
            points.append((t, r["answerable_found"], r["precision"], r["right_answered"], r["precision_right"]))
        curves[path.stem] = (points, at)
    if chart is None:
        return
    chart.with_suffix(".json").write_text(
        json.dumps(
            {
                "threshold": cal.threshold,
                "columns": ["threshold", "answerable_found", "precision", "right_clause_first", "precision_right"],
                "sets": {k: {"at_threshold": v[1], "curve": [[round(x, 4) for x in p] for p in v[0]]} for k, v in curves.items()},
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    styles = {"tune": ("tab:blue", "--"), "test": ("tab:red", "-")}
    for name, (points, at) in curves.items():
        colour, line = styles.get(name, ("tab:gray", ":"))
        ax.plot([p[1] for p in points], [p[2] for p in points], line, color=colour, label=f"{name}: answerable found vs precision")
        ax.plot([p[3] for p in points], [p[4] for p in points], line, color=colour, alpha=0.45,
                label=f"{name}: right clause first vs its precision")
        ax.plot([at["answerable_found"]], [at["precision"]], "o", color=colour)
        ax.annotate(f"{name}: threshold {cal.threshold:.2f}", (at["answerable_found"], at["precision"]),
                    textcoords="offset points", xytext=(-120, 8 if name == "tune" else -16), fontsize=8, color=colour)
    ax.set_xlabel("recall: share of answerable questions answered")
    ax.set_ylabel("precision: share of answers given that are answerable")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0.5, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Found / not found: precision vs recall as the threshold moves", fontsize=9)
    chart.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(chart)
    print(f"wrote {chart}")


if __name__ == "__main__":
    main()
