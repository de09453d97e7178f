"""Training on a simulated loan history: a time split, monotone constraints that hold, a
calibrated PD, grades, reasons, and a bundle that serving loads only with the same feature code."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring.bundle import BundleError, ModelBundle
from xinyidai_ml.simulator import simulate
from xinyidai_ml.train import TrainResult, simulated_dataset, train

pytestmark = pytest.mark.slow  # trains models

FIRMS, SEED = 2500, 5


@pytest.fixture(scope="module")
def trained() -> TrainResult:
    data = simulated_dataset(FIRMS, seed=SEED)
    return train(data, seed=SEED, sample={"simulator": {"firms": FIRMS, "seed": SEED}})


def test_the_split_is_by_time_and_the_oot_months_come_last(trained: TrainResult) -> None:
    s = trained.splits
    assert s.train.month.max() < s.validation.month.min()
    assert s.validation.month.max() < s.oot.month.min()
    assert len(s.train) > len(s.validation) > 0 and len(s.oot) > 0
    manifest = trained.bundle.manifest
    assert manifest["training_window"] == s.windows["train"]
    assert manifest["calibration"]["fitted_on"] == "validation"


def test_the_model_ranks_out_of_time_loans(trained: TrainResult) -> None:
    oot = trained.bundle.manifest["metrics"]["oot"]
    assert oot["auc"] > 0.75
    assert oot["auc"] <= oot["bayes_auc"] + 0.02  # nobody beats the truth by more than noise


def test_raising_tax_paid_never_lowers_the_score(trained: TrainResult) -> None:
    bundle = trained.bundle
    X = trained.splits.oot.X[:200].copy()
    i = fx.INDEX["tax_paid_12m_log"]
    previous = None
    for level in np.linspace(8, 20, 13):  # from CNY 3,000 to CNY 485 million
        X[:, i] = level
        pd = bundle.predict_pd(X)
        if previous is not None:
            assert (pd <= previous + 1e-12).all()
        previous = pd


def test_more_penalties_never_lower_the_risk(trained: TrainResult) -> None:
    bundle = trained.bundle
    X = trained.splits.oot.X[:200].copy()
    i = fx.INDEX["penalties_36m"]
    pds = []
    for count in range(6):
        X[:, i] = count
        pds.append(bundle.predict_pd(X))
    assert all((b >= a - 1e-12).all() for a, b in itertools.pairwise(pds))


def test_every_grade_below_the_best_comes_with_reasons(trained: TrainResult) -> None:
    bundle = trained.bundle
    results = bundle.score_matrix(trained.splits.oot.X)
    below = [r for r in results if r.grade != bundle.best_grade]
    assert below, "the sample should hold firms below the best grade"
    assert all(r.reasons for r in below)
    for r in below[:50]:
        assert all(reason.contribution > 0 and reason.text_zh and reason.text_en
                   for reason in r.reasons)  # fmt: skip
    grades = [g["grade"] for g in bundle.grades]
    assert 7 <= len(grades) <= 10
    assert {r.grade for r in results} <= set(grades)


def test_scores_fall_as_the_pd_rises(trained: TrainResult) -> None:
    results = trained.bundle.score_matrix(trained.splits.oot.X[:300])
    ordered = sorted(results, key=lambda r: r.pd)
    assert all(a.score >= b.score for a, b in itertools.pairwise(ordered))


def test_training_and_serving_compute_the_same_features() -> None:
    sim = simulate(300, seed=SEED)
    loans = list(sim.loans)[:50]
    data = simulated_dataset(300, seed=SEED)
    for row, snapshot in zip(data.X, sim.iter_snapshots(loans), strict=False):
        stored = json.loads(json.dumps(snapshot))  # as the database hands it to serving
        served = np.asarray(
            [np.nan if v is None else v for v in fx.values(stored)], dtype=np.float64
        )
        assert np.array_equal(row, served, equal_nan=True)


def test_a_bundle_round_trips_through_its_files(trained: TrainResult, tmp_path: Path) -> None:
    directory = trained.bundle.write(tmp_path / "bundle")
    loaded = ModelBundle.load(directory)
    X = trained.splits.oot.X[:100]
    assert np.allclose(loaded.predict_pd(X), trained.bundle.predict_pd(X))
    assert loaded.version == trained.bundle.version


def test_a_bundle_from_other_feature_code_is_refused(trained: TrainResult, tmp_path: Path) -> None:
    directory = trained.bundle.write(tmp_path / "bundle")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["feature_hash"] = "0" * 64
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="retrain"):
        ModelBundle.load(directory)
    with pytest.raises(BundleError):
        ModelBundle.from_files("not a model", {**trained.bundle.manifest})
