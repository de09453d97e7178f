"""Model bundles: an immutable, versioned LightGBM model with everything needed to turn a
profile snapshot into a PD, a score, a grade and reasons.

A bundle is two files: ``model.txt`` (LightGBM's text model) and ``manifest.json`` (format
``xinyidai.model/1``)::

    {"format": "xinyidai.model/1", "version": "…",
     "features": [...ordered names...], "feature_hash": "<sha256 of features.py>",
     "monotone_constraints": [...], "lightgbm_version": "4.7.0", "created_at": "…",
     "training_window": {"first": "2021-01", "last": "2022-12"}, "sample": {...},
     "calibration": {"method": "platt", "a": 0.98, "b": -0.05},
     "scaling": {"base_score": 600, "base_odds": 50, "pdo": 20},
     "grades": [{"grade": "AAA", "pd_max": 0.005}, …, {"grade": "C", "pd_max": 1.0}],
     "reason_reference": [...one value per feature...], "reason_best_values": [...],
     "reference": {"score": {"edges": [...], "proportions": [...]},
                   "features": {name: {"edges": [...], "proportions": [...]}},
                   "top_features": [...]},
     "metrics": {...}}

* **PD** = Platt calibration of LightGBM's raw score: ``pd = 1 / (1 + exp(-(a·raw + b)))``,
  fitted on the validation months (never the out-of-time ones).
* **Score** = ``base_score + pdo / ln 2 · ln(odds / base_odds)`` with ``odds = (1 - pd) / pd``
  (good to bad): a score of 600 means odds of 50:1 (PD ≈ 1.96%), and every 20 points double
  the odds. Rounded, clipped to 300…900.
* **Grade**: the first grade whose ``pd_max`` is at least the PD.
* **Reasons**: LightGBM's per-feature contributions (``pred_contrib``, SHAP values in raw-score
  units) minus ``reason_reference``, the mean contribution of the training firms in the best
  grade. The reasons are the features with the largest positive gap: what moves this firm away
  from the best firms. Because the contributions add up to the raw score, any firm scored
  worse than the best firms' mean has at least one positive gap, so every grade below the best
  comes with reasons.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

from xinyidai.domain.scoring import features as fx

if TYPE_CHECKING:
    import lightgbm as lgb

FORMAT = "xinyidai.model/1"
MODEL_FILE = "model.txt"
MANIFEST_FILE = "manifest.json"
MAX_REASONS = 4
SCORE_RANGE = (300, 900)
PD_CLIP = (1e-6, 1 - 1e-6)


class BundleError(Exception):
    """The bundle cannot be used: missing or malformed files, or a different feature code."""


class Reason(msgspec.Struct, frozen=True):
    feature: str
    contribution: float  # raw-score (log-odds) units above the best firms' mean
    value: float | None
    text_zh: str
    text_en: str


class ScoreResult(msgspec.Struct, frozen=True):
    pd: float
    score: int
    grade: str
    reasons: list[Reason]
    features: list[float | None]


def scale_score(pd: float, scaling: Mapping[str, float]) -> int:
    pd = min(max(pd, PD_CLIP[0]), PD_CLIP[1])
    factor = scaling["pdo"] / math.log(2)
    score = scaling["base_score"] + factor * math.log(((1 - pd) / pd) / scaling["base_odds"])
    return int(min(max(round(score), SCORE_RANGE[0]), SCORE_RANGE[1]))


def grade_of(pd: float, grades: Sequence[Mapping[str, Any]]) -> str:
    for grade in grades:
        if pd <= grade["pd_max"]:
            return str(grade["grade"])
    return str(grades[-1]["grade"])


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ModelBundle:
    """A loaded bundle. Prediction is CPU-bound and synchronous: call it off the event loop."""

    def __init__(self, booster: lgb.Booster, manifest: dict[str, Any], model_text: str) -> None:
        self.booster = booster
        self.manifest = manifest
        self.model_text = model_text
        self.version: str = manifest["version"]
        calibration = manifest["calibration"]
        self._a = float(calibration["a"])
        self._b = float(calibration["b"])
        self.scaling: dict[str, float] = manifest["scaling"]
        self.grades: list[dict[str, Any]] = manifest["grades"]
        self.best_grade: str = self.grades[0]["grade"]
        self.reason_reference = np.asarray(manifest["reason_reference"], dtype=np.float64)
        # The best firms' median per feature; NaN (never "as good as the best") where a
        # feature has no direction or the best firms had no value.
        best = manifest.get("reason_best_values") or [None] * len(fx.FEATURES)
        self._directions = np.asarray(fx.MONOTONE_CONSTRAINTS, dtype=np.float64)
        self._best = np.asarray(
            [np.nan if b is None or f.direction == 0 else b
             for f, b in zip(fx.FEATURES, best, strict=True)], dtype=np.float64
        )  # fmt: skip

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def from_files(cls, model_text: str, manifest: Mapping[str, Any]) -> ModelBundle:
        """Check the manifest against the running feature code and load the booster."""
        manifest = dict(manifest)
        if manifest.get("format") != FORMAT:
            raise BundleError(f"not a {FORMAT} bundle (format {manifest.get('format')!r})")
        for key in ("version", "features", "feature_hash", "calibration", "scaling", "grades"):
            if key not in manifest:
                raise BundleError(f"the manifest has no {key!r}")
        if manifest["feature_hash"] != fx.FEATURE_HASH:
            raise BundleError(
                f"bundle {manifest['version']} was trained with feature code "
                f"{str(manifest['feature_hash'])[:12]}…, this service runs "
                f"{fx.FEATURE_HASH[:12]}…: retrain the model"
            )
        if list(manifest["features"]) != list(fx.FEATURE_NAMES):
            raise BundleError(f"bundle {manifest['version']} lists other features")
        if len(manifest.get("reason_reference", ())) != len(fx.FEATURE_NAMES):
            raise BundleError(f"bundle {manifest['version']} has no reason reference")
        # Imported with the first bundle loaded (off the event loop, as loading is): LightGBM
        # brings scikit-learn and SciPy, a third of a web process's or a worker's start-up.
        import lightgbm as lgb

        try:
            booster = lgb.Booster(model_str=model_text)
        except lgb.basic.LightGBMError as exc:
            raise BundleError(f"model.txt does not load: {exc}") from None
        if booster.num_feature() != len(fx.FEATURE_NAMES):
            raise BundleError("model.txt has a different number of features")
        return cls(booster, manifest, model_text)

    @classmethod
    def load(cls, directory: Path) -> ModelBundle:
        try:
            model_text = (directory / MODEL_FILE).read_text(encoding="utf-8")
            manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"cannot read the bundle in {directory}: {exc}") from None
        if not isinstance(manifest, dict):
            raise BundleError("manifest.json is not an object")
        return cls.from_files(model_text, manifest)

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MODEL_FILE).write_text(self.model_text, encoding="utf-8")
        (directory / MANIFEST_FILE).write_text(
            json.dumps(self.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return directory

    # --- prediction -------------------------------------------------------------------------
    def raw(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(X, raw_score=True, num_threads=1), dtype=np.float64)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self._a * raw + self._b)))

    def predict_pd(self, X: np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contributions plus the expected value (last column), raw-score units."""
        return np.asarray(
            self.booster.predict(X, pred_contrib=True, num_threads=1), dtype=np.float64
        )

    def score(self, snapshot: Mapping[str, Any]) -> ScoreResult:
        return self.score_matrix(fx.vector(snapshot).reshape(1, -1))[0]

    def score_matrix(self, X: np.ndarray) -> list[ScoreResult]:
        """Score every row of ``X`` (feature vectors in ``FEATURE_NAMES`` order), with reasons."""
        if X.ndim != 2 or X.shape[1] != len(fx.FEATURE_NAMES):
            raise ValueError(f"expected rows of {len(fx.FEATURE_NAMES)} features, got {X.shape}")
        if len(X) == 0:
            return []
        contrib = self.contributions(X)
        raw = contrib.sum(axis=1)  # contributions add up to the raw score
        pds = self.calibrate(raw)
        gaps = contrib[:, :-1] - self.reason_reference
        chosen = self._reason_order(X, gaps)
        results = []
        for row, pd, gap, order in zip(X.tolist(), pds.tolist(), gaps.tolist(), chosen,
                                       strict=True):  # fmt: skip
            results.append(
                ScoreResult(
                    pd=pd,
                    score=scale_score(pd, self.scaling),
                    grade=grade_of(pd, self.grades),
                    reasons=[self._reason(i, row[i], gap[i]) for i in order],
                    features=[None if v != v else v for v in row],
                )
            )
        return results

    def _reason_order(self, X: np.ndarray, gaps: np.ndarray) -> list[list[int]]:
        """Per row, the features to give as reasons, largest gap first: those with a positive
        gap, leaving out a monotone feature whose value is already as good as the best firms'
        median (its gap then comes from interactions, and "0 late payments" is no reason); if
        that leaves nothing, the largest positive gaps as they are."""
        positive = gaps > 1e-9
        with np.errstate(invalid="ignore"):
            as_good = (self._directions * (X - self._best)) <= 0  # False where NaN
        preferred = np.where(positive & ~as_good, gaps, -np.inf)
        fallback = np.where(positive, gaps, -np.inf)
        k = min(MAX_REASONS, gaps.shape[1])
        out = []
        for pref, fall in zip(preferred, fallback, strict=True):
            scores = pref if np.isfinite(pref).any() else fall
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top])]
            out.append([int(i) for i in top if np.isfinite(scores[i])])
        return out

    def _reason(self, i: int, value: float, gap: float) -> Reason:
        feature = fx.FEATURES[i]
        zh, en = fx.describe(feature, value)
        return Reason(
            feature=feature.name,
            contribution=round(gap, 4),
            value=None if value != value else value,
            text_zh=zh,
            text_en=en,
        )
