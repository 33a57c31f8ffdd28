"""How per-entry dense and lexical scores become a ranking and a calibrated confidence."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np


class Mode(StrEnum):
    HYBRID = "hybrid"
    LEXICAL = "lexical"
    DENSE = "dense"


@dataclass(frozen=True)
class EntryScores:
    """Per-entry best document similarity, in the query's language and (lexical) across all languages.

    Dense similarity is computed in the query's language only: the embedding model is English-only, so its
    similarities between texts in different languages are noise (checked on the tuning set: no difference).
    """

    dense: np.ndarray
    lexical: np.ndarray
    whole_entry: np.ndarray
    lexical_all: np.ndarray
    whole_entry_all: np.ndarray


@dataclass(frozen=True)
class ScoringParams:
    """Fusion weights, cross-language penalty and the logistic calibration of one retrieval mode.

    lexical = (1 - whole_entry_weight) * best single document + whole_entry_weight * whole entry;
    fused = dense_weight * dense + (1 - dense_weight) * lexical.
    """

    dense_weight: float
    whole_entry_weight: float = 0.5
    cross_language_penalty: float = 0.1
    coef_score: float = 10.0
    coef_margin: float = 10.0
    intercept: float = -5.0
    threshold: float = 0.5

    def fused(self, scores: EntryScores) -> np.ndarray:
        w, e = self.dense_weight, self.whole_entry_weight
        own = w * scores.dense + (1 - w) * ((1 - e) * scores.lexical + e * scores.whole_entry)
        other = w * scores.dense + (1 - w) * ((1 - e) * scores.lexical_all + e * scores.whole_entry_all)
        return np.maximum(own, other - self.cross_language_penalty)

    def confidence(self, top: float, margin: float) -> float:
        z = self.coef_score * top + self.coef_margin * margin + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass
class Calibration:
    """Parameters per mode, fitted by `neuvo kb calibrate` on the tuning set, and what they achieved there."""

    modes: dict[Mode, ScoringParams]
    kb_hash: str = ""
    model: str = ""
    report: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Calibration:
        return cls(
            {
                Mode.HYBRID: ScoringParams(0.5),
                Mode.LEXICAL: ScoringParams(0.0),
                Mode.DENSE: ScoringParams(1.0),
            }
        )

    @classmethod
    def load(cls, path: Path) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        modes = {Mode(k): ScoringParams(**v) for k, v in data["modes"].items()}
        return cls(modes, data.get("kb_hash", ""), data.get("model", ""), data.get("report", {}))

    def save(self, path: Path) -> None:
        data = {
            "kb_hash": self.kb_hash,
            "model": self.model,
            "modes": {m.value: asdict(p) for m, p in self.modes.items()},
            "report": self.report,
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
