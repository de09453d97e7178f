"""Population stability index (PSI): how far a distribution moved from a reference.

A reference distribution is stored in a bundle's manifest as ``{"edges": [...], "proportions":
[...], "missing": share}``: ``edges`` are the interior cut points (deciles of the reference
sample, duplicates removed), ``proportions`` the share of the non-missing reference values in
each of the ``len(edges) + 1`` bins ``(-inf, e1], (e1, e2], …, (ek, inf)``, and ``missing`` the
share of missing values. PSI sums ``(p - q) · ln(p / q)`` over the bins and the missing bin,
with shares floored at ``FLOOR`` so an empty bin does not make it infinite. Rule of thumb: below
0.1 stable, 0.1-0.25 some shift, above 0.25 (``DRIFT_THRESHOLD``) a shift worth acting on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

BINS = 10
FLOOR = 1e-4
DRIFT_THRESHOLD = 0.25


def reference_distribution(
    values: Sequence[float] | np.ndarray, bins: int = BINS
) -> dict[str, Any]:
    data = np.asarray(values, dtype=np.float64)
    present = data[~np.isnan(data)]
    missing = 1.0 - len(present) / len(data) if len(data) else 0.0
    if len(present) == 0:
        return {"edges": [], "proportions": [1.0], "missing": missing}
    quantiles = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])
    edges = sorted({round(float(q), 6) for q in quantiles})
    counts = _counts(present, edges)
    return {
        "edges": edges,
        "proportions": [c / len(present) for c in counts],
        "missing": missing,
    }


def _counts(present: np.ndarray, edges: Sequence[float]) -> list[int]:
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), present, side="left")
    counts: list[int] = np.bincount(index, minlength=len(edges) + 1).tolist()
    return counts


def shares(reference: Mapping[str, Any], values: Sequence[float] | np.ndarray) -> list[float]:
    """The shares of ``values`` in the reference's bins, missing last (all adding up to 1)."""
    data = np.asarray(values, dtype=np.float64)
    present = data[~np.isnan(data)]
    if len(data) == 0:
        return []
    counts = _counts(present, reference["edges"])
    return [c / len(data) for c in counts] + [(len(data) - len(present)) / len(data)]


def psi(reference: Mapping[str, Any], values: Sequence[float] | np.ndarray) -> float | None:
    """PSI of ``values`` against ``reference``; None without values."""
    actual = shares(reference, values)
    if not actual:
        return None
    missing = float(reference.get("missing", 0.0))
    expected = [p * (1 - missing) for p in reference["proportions"]] + [missing]
    total = 0.0
    for p, q in zip(actual, expected, strict=True):
        p, q = max(p, FLOOR), max(q, FLOOR)
        total += (p - q) * math.log(p / q)
    return total
