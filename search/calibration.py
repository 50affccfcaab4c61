"""Calibrated confidence that an answer's first clause answers the question.

Two logistic regressions over evidence features (see ``Answerer.evidence``),
fitted by ``scripts/calibrate.py`` on the tuning sets, never on the test split:
the off-topic gate (is the question about what the documents cover at all?
股票交易印花税 is not, however close some clause comes) and, past it, the
answer model (does the first clause answer it?). The fitted
parameters, the threshold and how they were chosen live in
``search/data/answer_calibration.json``; this module only applies them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

CALIBRATION_FILE = "answer_calibration.json"


@dataclass
class Calibration:
    """P(answerable) = sigmoid(intercept + Σ coef·(x − mean)/scale)."""

    features: list[str] = field(default_factory=lambda: ["coverage"])
    mean: list[float] = field(default_factory=lambda: [0.0])
    scale: list[float] = field(default_factory=lambda: [1.0])
    coef: list[float] = field(default_factory=lambda: [12.0])
    intercept: float = -4.0  # without a fitted file: found from coverage ≈ 0.33, as before
    threshold: float = 0.5
    about: dict[str, Any] = field(default_factory=dict)
    # the off-topic gate: P(the question is about what the documents cover), a
    # second logistic model over its own features; None without a fitted file
    gate: Calibration | None = None

    @classmethod
    def load(cls) -> Calibration:
        try:
            with resources.files("search").joinpath("data", CALIBRATION_FILE).open(encoding="utf-8") as fh:
                data = json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError):
            return cls()
        gate = data.get("gate")
        return cls(
            **_model(data["model"]),
            threshold=float(data["threshold"]),
            about={k: v for k, v in data.items() if k not in ("model", "threshold", "gate")},
            gate=cls(**_model(gate["model"]), threshold=float(gate["threshold"])) if gate else None,
        )

    def off_topic(self, evidence: dict[str, float]) -> bool:
        """Whether the gate says the question is about something the documents
        do not cover (股票交易印花税, 护照) — whatever clause comes closest."""
        if self.gate is None or any(f not in evidence for f in self.gate.features):
            return False  # no gate fitted, or evidence it cannot judge (a clause the question names)
        return self.gate.probability(evidence) < self.gate.threshold

    def logit(self, evidence: dict[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += w * (float(evidence.get(name, 0.0)) - mu) / (sd or 1.0)
        return z

    def probability(self, evidence: dict[str, float]) -> float:
        z = max(-30.0, min(30.0, self.logit(evidence)))
        return 1.0 / (1.0 + math.exp(-z))


def _model(model: dict[str, Any]) -> dict[str, Any]:
    return {
        "features": list(model["features"]),
        "mean": [float(v) for v in model["mean"]],
        "scale": [float(v) for v in model["scale"]],
        "coef": [float(v) for v in model["coef"]],
        "intercept": float(model["intercept"]),
    }
