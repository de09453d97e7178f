"""The baseline banks use today: a logistic-regression scorecard on weight-of-evidence bins.

Each feature is cut into up to ``BINS`` quantile bins on the training rows, plus a bin for
missing values; each bin is replaced by its weight of evidence ``ln(share of non-defaulters /
share of defaulters)`` (with half a count added to both, so an empty cell stays finite); a
logistic regression on those columns gives the score. This is the classic scorecard: it
captures each feature's own non-linear shape but no interactions between features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

BINS = 10


@dataclass
class WoeBinning:
    edges: list[np.ndarray]
    woe: list[np.ndarray]  # per feature: one value per bin, then the missing bin

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, bins: int = BINS) -> WoeBinning:
        good_total = float((y == 0).sum()) + 0.5
        bad_total = float((y == 1).sum()) + 0.5
        edges, woes = [], []
        for j in range(X.shape[1]):
            column = X[:, j]
            present = column[~np.isnan(column)]
            if len(present):
                cuts = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
            else:
                cuts = np.empty(0)
            index = cls._bin(column, cuts)
            woe = np.zeros(len(cuts) + 2)
            for b in range(len(cuts) + 2):
                in_bin = index == b
                good = float((y[in_bin] == 0).sum()) + 0.5
                bad = float((y[in_bin] == 1).sum()) + 0.5
                woe[b] = np.log((good / good_total) / (bad / bad_total))
            edges.append(cuts)
            woes.append(woe)
        return cls(edges, woes)

    @staticmethod
    def _bin(column: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        index = np.searchsorted(cuts, column, side="left")
        index[np.isnan(column)] = len(cuts) + 1
        return index

    def transform(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=np.float64)
        for j, (cuts, woe) in enumerate(zip(self.edges, self.woe, strict=True)):
            out[:, j] = woe[self._bin(X[:, j], cuts)]
        return out


@dataclass
class Scorecard:
    binning: WoeBinning
    model: LogisticRegression

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray) -> Scorecard:
        binning = WoeBinning.fit(X, y)
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(binning.transform(X), y)
        return cls(binning, model)

    def predict_pd(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self.binning.transform(X))[:, 1])
