"""Training: a time-split LightGBM with monotone constraints, Platt calibration, score scaling,
grades and reason references, written as an immutable bundle (``domain/scoring/bundle.py``).

The split is by origination month, never random: the earliest 60% of the months train, the next
20% validate (early stopping and calibration), the last 20% are the out-of-time test, which no
choice of the training looks at. ``fit_booster`` is the one training code path; the German
Credit check (``german_credit.py``) uses it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression

from xinyidai.dates import utc_now
from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring.bundle import (
    FORMAT,
    ModelBundle,
    grade_of,
    scale_score,
)
from xinyidai.domain.scoring.psi import reference_distribution
from xinyidai_ml import metrics

Progress = Callable[[str, int, int], None]  # (stage, done, total)

SCALING = {"base_score": 600, "base_odds": 50, "pdo": 20}
GRADES: tuple[tuple[str, float], ...] = (
    ("AAA", 0.005),
    ("AA", 0.01),
    ("A", 0.0175),
    ("BBB", 0.0275),
    ("BB", 0.045),
    ("B", 0.075),
    ("CCC", 0.125),
    ("C", 1.0),
)
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 4,
    "min_data_in_leaf": 100,
    "lambda_l2": 5.0,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "monotone_constraints_method": "intermediate",
    "cat_smooth": 20,
    "verbose": -1,
}
MAX_ROUNDS = 2000
EARLY_STOPPING = 100
TOP_FEATURES = 5
SPLIT = (0.6, 0.2)  # train, validation shares of the origination months; the rest is OOT


@dataclass
class Dataset:
    """Feature rows with their outcome, origination month (``YYYY-MM``) and, for simulated
    loans, the true PD."""

    X: np.ndarray
    y: np.ndarray
    month: np.ndarray  # month index (year * 12 + month - 1) of the as-of date
    true_pd: np.ndarray | None = None

    def take(self, mask: np.ndarray) -> Dataset:
        return Dataset(
            self.X[mask],
            self.y[mask],
            self.month[mask],
            None if self.true_pd is None else self.true_pd[mask],
        )

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Splits:
    train: Dataset
    validation: Dataset
    oot: Dataset
    windows: dict[str, dict[str, str]] = field(default_factory=dict)


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def time_split(data: Dataset, shares: tuple[float, float] = SPLIT) -> Splits:
    """Split by distinct origination months: train, validation, out-of-time."""
    months = np.unique(data.month)
    if len(months) < 3:
        raise ValueError("a time split needs at least three origination months")
    n_train = max(1, round(len(months) * shares[0]))
    n_valid = max(1, round(len(months) * shares[1]))
    n_train = min(n_train, len(months) - 2)
    n_valid = min(n_valid, len(months) - n_train - 1)
    groups = (months[:n_train], months[n_train : n_train + n_valid], months[n_train + n_valid :])
    parts = [data.take(np.isin(data.month, g)) for g in groups]
    windows = {
        name: {"first": month_label(int(g[0])), "last": month_label(int(g[-1]))}
        for name, g in zip(("train", "validation", "oot"), groups, strict=True)
    }
    return Splits(parts[0], parts[1], parts[2], windows)


def dataset_from_snapshots(
    snapshots: Iterable[Mapping[str, Any]],
    outcomes: Sequence[bool] | np.ndarray,
    true_pd: Sequence[float] | np.ndarray | None = None,
) -> Dataset:
    """Feature rows (the serving feature code) with their outcomes and origination months."""
    rows = []
    months = []
    for snapshot in snapshots:
        rows.append(fx.values(snapshot))
        as_of = snapshot["as_of"]
        months.append(int(as_of[0:4]) * 12 + int(as_of[5:7]) - 1)
    return Dataset(
        X=np.asarray(rows, dtype=np.float64).reshape(len(rows), len(fx.FEATURES)),
        y=np.asarray(outcomes, dtype=np.float64),
        month=np.asarray(months, dtype=np.int64),
        true_pd=None if true_pd is None else np.asarray(true_pd, dtype=np.float64),
    )


def fit_booster(
    train: Dataset,
    validation: Dataset,
    *,
    params: Mapping[str, Any] | None = None,
    monotone: Sequence[int] | None = None,
    categorical: Sequence[int] = (),
    feature_names: Sequence[str] | None = None,
    seed: int = 7,
    max_rounds: int = MAX_ROUNDS,
    early_stopping: int = EARLY_STOPPING,
) -> lgb.Booster:
    """LightGBM on ``train``, early-stopped on ``validation``'s log loss."""
    config = {**PARAMS, **(params or {}), "seed": seed, "deterministic": True}
    if monotone is not None:
        config["monotone_constraints"] = list(monotone)
    train_set = lgb.Dataset(
        train.X,
        label=train.y,
        feature_name=list(feature_names) if feature_names else "auto",
        categorical_feature=list(categorical) or "auto",
        free_raw_data=False,
    )
    valid_set = lgb.Dataset(validation.X, label=validation.y, reference=train_set)
    return lgb.train(
        config,
        train_set,
        num_boost_round=max_rounds,
        valid_sets=[valid_set],
        valid_names=["validation"],
        callbacks=[lgb.early_stopping(early_stopping, verbose=False)],
    )


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``pd = sigmoid(a * raw + b)`` fitted on held-out rows."""
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(raw.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


@dataclass
class TrainResult:
    bundle: ModelBundle
    splits: Splits
    pd: dict[str, np.ndarray]  # calibrated PDs per split


def train(
    data: Dataset,
    *,
    seed: int = 7,
    sample: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    created_at: dt.datetime | None = None,
) -> TrainResult:
    """Split, fit, calibrate and package a bundle (its metrics include the OOT split's)."""
    report = progress or (lambda stage, done, total: None)
    splits = time_split(data)
    report("fit", 0, 1)
    booster = fit_booster(
        splits.train,
        splits.validation,
        monotone=fx.MONOTONE_CONSTRAINTS,
        categorical=fx.CATEGORICAL,
        feature_names=fx.FEATURE_NAMES,
        seed=seed,
    )
    report("fit", 1, 1)
    booster.free_dataset()
    raw = {
        name: np.asarray(
            booster.predict(part.X, raw_score=True, num_threads=1), dtype=np.float64
        )
        for name, part in (("train", splits.train), ("validation", splits.validation),
                           ("oot", splits.oot))
    }  # fmt: skip
    a, b = platt(raw["validation"], splits.validation.y)
    if a <= 0:
        raise ValueError("calibration inverted the model's ranking: the model learned nothing")
    pd = {name: 1.0 / (1.0 + np.exp(-(a * r + b))) for name, r in raw.items()}
    grades: list[dict[str, Any]] = [{"grade": g, "pd_max": m} for g, m in GRADES]

    # Reasons are measured against the mean contribution of the best training firms.
    train_pd = pd["train"]
    # Every firm scored worse than all of them then has a positive gap (see bundle.py).
    best = train_pd <= GRADES[0][1]
    if not best.any():
        best = train_pd <= train_pd.min()
    contrib = np.asarray(
        booster.predict(splits.train.X[best], pred_contrib=True, num_threads=1), dtype=np.float64
    )
    reason_reference = contrib[:, :-1].mean(axis=0)
    best_values = [
        None if np.isnan(column).all() else round(float(np.nanmedian(column)), 6)
        for column in splits.train.X[best].T
    ]

    importance = booster.feature_importance(importance_type="gain")
    order = np.argsort(-importance)
    top = [fx.FEATURE_NAMES[i] for i in order[:TOP_FEATURES]]
    train_scores = np.asarray([scale_score(p, SCALING) for p in train_pd.tolist()], dtype=float)
    reference = {
        "score": reference_distribution(train_scores),
        "features": {
            name: reference_distribution(splits.train.X[:, fx.INDEX[name]]) for name in top
        },
        "top_features": top,
    }
    model_text = booster.model_to_string()
    summary = {
        name: _summary(part, pd[name]) for name, part in
        (("train", splits.train), ("validation", splits.validation), ("oot", splits.oot))
    }  # fmt: skip
    created = created_at or utc_now()
    digest = hashlib.sha256(
        (model_text + json.dumps([a, b, fx.FEATURE_HASH])).encode("utf-8")
    ).hexdigest()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": f"{created:%Y%m%d}-{digest[:10]}",
        "features": list(fx.FEATURE_NAMES),
        "feature_hash": fx.FEATURE_HASH,
        "monotone_constraints": list(fx.MONOTONE_CONSTRAINTS),
        "categorical_features": [fx.FEATURE_NAMES[i] for i in fx.CATEGORICAL],
        "lightgbm_version": lgb.__version__,
        "created_at": created.isoformat(timespec="seconds"),
        "training_window": splits.windows["train"],
        "windows": splits.windows,
        "sample": dict(sample or {}),
        "params": {**PARAMS, "seed": seed, "best_iteration": booster.best_iteration},
        "calibration": {"method": "platt", "a": a, "b": b, "fitted_on": "validation"},
        "scaling": dict(SCALING),
        "grades": grades,
        "reason_reference": [round(float(v), 6) for v in reason_reference],
        "reason_best_values": best_values,
        "reference": reference,
        "importance": {fx.FEATURE_NAMES[i]: round(float(importance[i]), 3) for i in order.tolist()},
        "metrics": summary,
    }
    bundle = ModelBundle.from_files(model_text, manifest)
    return TrainResult(bundle, splits, pd)


def _summary(part: Dataset, pd: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {
        "loans": len(part),
        "defaults": int(part.y.sum()),
        "default_rate": float(part.y.mean()) if len(part) else None,
    }
    if len(part) and 0 < part.y.sum() < len(part):
        auc = metrics.auc(part.y, pd)
        out.update(auc=auc, ks=metrics.ks(part.y, pd), gini=metrics.gini(auc),
                   brier=metrics.brier(part.y, pd))  # fmt: skip
        if part.true_pd is not None:
            out["bayes_auc"] = metrics.auc(part.y, part.true_pd)
    return out


def grades_of(pd: np.ndarray, grades: Sequence[Mapping[str, Any]]) -> list[str]:
    return [grade_of(p, grades) for p in pd.tolist()]


# --- from the simulator -------------------------------------------------------------------------
def simulated_dataset(
    firms: int, *, seed: int, drift: float = 0.0, progress: Progress | None = None
) -> Dataset:
    """A simulated loan history (``xinyidai_ml.simulator``) as feature rows: every loan's
    snapshot goes through the serving feature code."""
    from xinyidai_ml.simulator import simulate

    report = progress or (lambda stage, done, total: None)
    report("simulate", 0, 1)
    sim = simulate(firms, seed=seed, drift=drift)
    loans = list(sim.loans)
    report("simulate", 1, 1)

    def counted(snapshots: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for i, snapshot in enumerate(snapshots):
            if i % 1000 == 0:
                report("features", i, len(loans))
            yield snapshot
        report("features", len(loans), len(loans))

    return dataset_from_snapshots(
        counted(sim.iter_snapshots(loans)),
        [loan.defaulted for loan in loans],
        [loan.true_pd for loan in loans],
    )


QUICK_FIRMS = 4000


def train_quick_bundle(out_dir: Path, *, seed: int = 7, firms: int = QUICK_FIRMS) -> Path:
    """A small real model on a simulated city (seconds): for `make run` and the tests."""
    data = simulated_dataset(firms, seed=seed)
    result = train(data, seed=seed, sample={"simulator": {"firms": firms, "seed": seed}})
    return result.bundle.write(out_dir)
