"""Model quality measures: discrimination (AUC, KS, Gini), calibration (Brier, table by grade)
and stability (PSI, in ``domain/scoring/psi.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve; ``score`` higher = more likely to default."""
    return float(roc_auc_score(y, score))


def ks(y: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of
    defaulters and non-defaulters (max TPR - FPR)."""
    fpr, tpr, _ = roc_curve(y, score)
    return float(np.max(tpr - fpr))


def gini(auc_value: float) -> float:
    return 2 * auc_value - 1


def brier(y: np.ndarray, pd: np.ndarray) -> float:
    return float(np.mean((pd - y) ** 2))


def calibration_table(
    y: np.ndarray, pd: np.ndarray, grades: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per grade (best first): its PD band, count, defaults, observed default rate and mean
    predicted PD."""
    rows = []
    lower = 0.0
    for grade in grades:
        upper = float(grade["pd_max"])
        mask = (pd > lower) & (pd <= upper) if lower > 0 else pd <= upper
        n = int(mask.sum())
        defaults = int(y[mask].sum())
        rows.append(
            {
                "grade": grade["grade"],
                "pd_band": [lower, upper],
                "count": n,
                "defaults": defaults,
                "observed_rate": defaults / n if n else None,
                "mean_pd": float(pd[mask].mean()) if n else None,
            }
        )
        lower = upper
    return rows


def observed_rates_rise(table: Sequence[Mapping[str, Any]], min_count: int = 1) -> bool:
    """Whether the observed default rate never falls from a grade to the next worse one
    (grades with fewer than ``min_count`` loans are left out)."""
    rates = [r["observed_rate"] for r in table if r["count"] >= min_count]
    return all(a <= b for a, b in itertools.pairwise(rates))
