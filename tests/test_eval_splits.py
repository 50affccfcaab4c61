"""Quality floors on the held-out evaluation set (tests/data/eval), on the
index of the plans and the laws together (the ``mixed_service`` fixture).

``tune.jsonl`` is what the vocabulary, the reranker weights and the found /
not-found calibration were tuned on; ``test.jsonl`` was never looked at
question by question, only scored. Floors sit a little under what the system
measures (README "Quality"; tests/data/eval/README.md), so a regression fails
CI while harmless floating-point changes do not. Where the test split falls
short of issue 14's targets (recall@10 0.97, MRR@10 0.92, found 0.95, refused
0.95, exact 0.95) the floor is what is reached, not the target.
"""

from __future__ import annotations

import pytest

from search.evaluate import run_eval

from .conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.eval]

EVAL = REPO / "tests" / "data" / "eval"

# set: (recall@10, MRR@10, target exact, answerable found, unanswerable refused);
# None where a set has no such questions. Retrieval is the search's (one dense
# reading, the setting search_readings), answers read the question twice.
# Measured (README "Quality"): tune 0.963 / 0.913 / 1.000 / 0.958 / 0.929, test
# 0.916 / 0.827 / 0.929 / 0.971 / 0.889 (0.852 before the tenth round), probe
# 0.940 / 0.895 / 0.933 / 0.980 / 1.000 (found 1.000 before the tenth round: a
# wrong answer is now refused), citizen 0.813 / 0.757 / — / 0.988 / 0.733, far — / — / — / — / 0.850
# (with both readings in the search: tune 0.966 / 0.925, test 0.915 / 0.841,
# probe 0.963 / 0.886, citizen 0.819 / 0.746); one question less than
# that is 0.04 of the unanswerable and the target questions of a split, 0.007 of
# its answerable ones (citizen: 0.067 and 0.012; far 0.025). probe, citizen and
# far are development sets written later (tests/data/eval/README.md), pinned
# like tune.
FLOORS = {
    "tune": (0.97, 0.96, 0.96, 0.94, 0.85),
    "test": (0.92, 0.89, 0.89, 0.95, 0.85),
    "probe": (0.98, 0.96, 0.89, 0.96, 0.88),
    "far": (None, None, None, None, 0.95),
    "citizen": (0.88, 0.93, None, 0.96, 0.66),
    # written in the eighth round (tests/data/eval/README.md); measured probe2
    # 0.932 / 0.865 / 0.800 / 1.000 / 0.900, probe3 0.931 / 0.893 / 0.929 /
    # 1.000 / 0.812, probe4 0.954 / 0.921 / 0.750 / 0.917 / 0.917 (one
    # question: probe2 0.04 of its targets, 0.05 of its unanswerable; probe3
    # 0.071 and 0.063; probe4 0.083, 0.028 of its answerable, 0.083)
    "probe2": (0.97, 0.93, 0.76, 0.97, 0.75),
    "probe3": (0.95, 0.96, 0.85, 0.98, 0.68),
    "probe4": (0.95, 0.92, 0.66, 0.88, 0.83),
    # written in the ninth round; measured probe5 0.921 / 0.805 / 0.857 /
    # 0.881 / 0.778, probe6 0.986 / 1.000 / 0.833 / 1.000 / 0.857, probe7
    # 0.901 / 0.903 / 0.857 / 0.978 / 0.929 (one question: probe5 0.071 of its
    # targets, 0.024 of its answerable, 0.056 of its unanswerable; probe6
    # 0.083, 0.022, 0.071; probe7 0.071, 0.022, 0.071)
    "probe5": (0.94, 0.95, 0.78, 0.80, 0.72),
    "probe6": (0.97, 0.98, 0.75, 0.97, 0.78),
    "probe7": (0.95, 0.96, 0.78, 0.95, 0.85),
    # written in the tenth round: probe8 at its start, probe9 once its fixes
    # were in; measured probe8 0.860 / 0.812 / 1.000 / 0.983 / 0.800, probe9
    # 0.936 / 0.878 / 0.923 / 1.000 / 0.938 (one question: probe8 0.071 of its
    # targets, 0.017 of its answerable, 0.05 of its unanswerable; probe9 0.077,
    # 0.020, 0.063). This round also moved probe2 (exact 0.840, refused 0.950)
    # and probe5 (refused 0.889); their floors stay.
    "probe8": (0.94, 0.95, 0.92, 0.93, 0.75),
    "probe9": (0.96, 0.93, 0.84, 0.98, 0.87),
    # written in the eleventh round once the query adapter was fitted (not on it);
    # as first asked 0.944 / 0.970 / 0.846 / 0.951 / 0.706, then 0.944 / 0.970 /
    # 0.846 / 0.951 / 0.765 after the round's place fixes (one question: 0.077 of
    # its targets, 0.016 of its answerable, 0.059 of its unanswerable)
    "probe10": (0.94, 0.98, 0.76, 0.93, 0.82),
    # written at the start of the twelfth round, before its adapter was fitted
    # (tests/data/eval/README.md): probe11 (the laws in citizens' words),
    # probe12 (the plans), probe14 and probe15 (clauses no earlier set asked
    # about), fitted on; probe13 (every kind) never. As first asked: probe11
    # 0.864 / 0.748 / 0.900 / 0.983 / 0.850, probe12 0.963 / 0.940 / 0.867 /
    # 0.886 / 0.800, probe13 0.960 / 0.849 / 0.786 / 0.985 / 0.929, probe14
    # 0.843 / 0.629 / — / 0.957 / —, probe15 0.913 / 0.824 / — / 0.900 / 0.700;
    # with the refitted adapter 0.983 / 0.911 (probe11), 1.000 / 0.974, 0.975 /
    # 0.891, 0.971 / 0.871, 0.971 / 0.946, answers as before but probe14 found
    # 0.943. Floors one question under.
    "probe11": (0.96, 0.89, 0.9, 0.93, 0.8),
    "probe12": (0.98, 0.95, 0.93, 0.92, 0.9),
    "probe13": (0.95, 0.87, 0.71, 0.97, 0.85),
    "probe14": (0.95, 0.85, None, 0.92, 0.0),
    "probe15": (0.95, 0.92, None, 0.91, 0.6),
    # twelfth round, after its answer fixes and the gate's new feature (README
    # Quality, "Twelfth round"): tune 0.981 / 0.978 / 1.000 / 0.958 / 0.893,
    # test 0.936 / 0.901 / 0.929 / 0.971 / 0.889, far refused 0.975, probe10
    # refused 0.882, probe11 exact 1.000, found 0.983, probe12 1.000 / 0.943 /
    # 1.000, probe15 found 0.933. Two answer floors were lowered, by what the
    # refitted gate measured: tune refused 0.929 → 0.893 (floor 0.92 → 0.85)
    # and probe8 found 0.967 → 0.950 (0.96 → 0.93); it refuses far misses and
    # answers fresh enquiries far better (far 0.875 → 0.975, probe12 found
    # 0.900 → 0.943), but lets through a value question of tune it had refused
    # by chance and refuses one enquiry of probe8.
    # probe16–20 (twelfth round, after its fixes): about clauses none of the
    # earlier sets asked about, by group of documents; fitted on. As first
    # asked 0.635 / 0.518 (probe16), 0.767 / 0.596, 0.786 / 0.660, 0.745 /
    # 0.529, 0.581 / 0.427; with the map refitted on them 0.923 / 0.859, 0.971 /
    # 0.885, 0.929 / 0.884, 0.948 / 0.844, 0.920 / 0.773, found 0.914, 0.900,
    # 0.943, 0.957, 0.914. That refit moved probe11 found 0.983 → 0.950 (two
    # enquiries now quote another clause, said to be unsure; floor 0.96 → 0.93).
    "probe16": (0.9, 0.84, None, 0.89, 0.0),
    "probe17": (0.95, 0.87, None, 0.88, 0.0),
    "probe18": (0.91, 0.87, None, 0.92, 0.0),
    "probe19": (0.93, 0.83, None, 0.94, 0.0),
    "probe20": (0.9, 0.75, None, 0.89, 0.0),
    # eleventh round, the query adapter (search/adapter.py): retrieval floors
    # raised to a little under what it measures — tune 0.975 / 0.945, test
    # 0.936 / 0.870, probe 0.993 / 0.948, citizen 0.880 / 0.893, probe2 0.957 /
    # 0.924, probe3 0.959 / 0.928, probe4 0.970 / 0.944, probe5 0.960 / 0.969,
    # probe6 0.991 / 1.000, probe7 0.945 / 0.960, probe8 0.924 / 0.942, probe9
    # 0.979 / 0.948. One answer floor was lowered, by what the round measured
    # (README Quality, eleventh round): probe5 found 0.881 → 0.833 (floor 0.85
    # → 0.80): an answerable enquiry that now quotes the right article and is
    # said to be unsure of it (the calibration refitted on the new rankings), and
    # a target question answered with an article's text, wrong either way.
}
# bulk-held.jsonl on the index of its own 11 laws (tests/data/bulk-held), none
# of which any vocabulary, weight or threshold was written or fitted for: how the
# search does on documents a user brings. Measured 0.954 / 0.808, found 0.899
# with the query adapter (eleventh round; 0.911 / 0.756 / 0.913 before it).
BULK_HELD_FLOORS = (0.93, 0.78, 0.89)


@pytest.fixture(scope="module", params=sorted(FLOORS))
def split_result(request, mixed_service):
    return request.param, run_eval(mixed_service, EVAL / f"{request.param}.jsonl", top_k=10)


def test_retrieval_floors(split_result):
    split, result = split_result
    recall, mrr, *_ = FLOORS[split]
    overall = result["overall"]
    if recall is None:
        return
    assert overall["recall@10"] >= recall, (split, overall)
    assert overall["mrr@10"] >= mrr, (split, overall)


def test_answer_floors(split_result):
    split, result = split_result
    _, _, exact, found, refused = FLOORS[split]
    answers = {k: v for k, v in result["answers"].items() if k != "detail"}
    if exact is not None:
        assert answers["target_exact"] >= exact, (split, answers)
    if found is not None:
        assert answers["answerable_found"] >= found, (split, answers)
    assert answers["unanswerable_not_found"] >= refused, (split, answers)


def test_floors_on_documents_nothing_was_written_for(bulk_held_service):
    result = run_eval(bulk_held_service, EVAL / "bulk-held.jsonl", top_k=10)
    recall, mrr, found = BULK_HELD_FLOORS
    overall, answers = result["overall"], result["answers"]
    assert overall["recall@10"] >= recall, overall
    assert overall["mrr@10"] >= mrr, overall
    assert answers["answerable_found"] >= found, {k: v for k, v in answers.items() if k != "detail"}
