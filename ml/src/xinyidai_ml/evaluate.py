"""Evaluation and the model card.

``evaluate_bundle`` rebuilds the simulated loan history a bundle was trained on (the simulator is
deterministic: the manifest's ``sample`` names its size and seed), takes the same time split,
and measures the model on the out-of-time months only: AUC, KS, Gini, Brier, a calibration
table by grade, the PSI of the score between the training and out-of-time months, the
monotonicity of every constrained feature, and feature importance; next to the
logistic-regression scorecard (``scorecard.py``) fitted on the same features and months
(training and validation), and the Bayes-optimal AUC of the same loans (their true PDs).
``german_credit.py`` adds a check on real data. ``write_card`` writes the JSON and a Markdown
model card beside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from xinyidai.dates import china_today
from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring.bundle import ModelBundle, scale_score
from xinyidai.domain.scoring.psi import psi
from xinyidai_ml import metrics
from xinyidai_ml.scorecard import Scorecard
from xinyidai_ml.train import Dataset, Progress, Splits, simulated_dataset, time_split

MONOTONICITY_ROWS = 300
GRID_POINTS = 12


def monotonicity(bundle: ModelBundle, X: np.ndarray, seed: int = 7) -> dict[str, Any]:
    """For each constrained feature, move it across a grid of its observed values on a sample
    of rows (all else fixed) and count the rows whose PD moves against the declared
    direction."""
    rng = np.random.default_rng(seed)
    rows = X[rng.choice(len(X), size=min(MONOTONICITY_ROWS, len(X)), replace=False)]
    results: dict[str, Any] = {}
    for i, feature in enumerate(fx.FEATURES):
        if feature.direction == 0:
            continue
        column = X[:, i][~np.isnan(X[:, i])]
        if len(column) == 0:
            continue
        grid = np.unique(np.quantile(column, np.linspace(0, 1, GRID_POINTS)))
        if len(grid) < 2:
            continue
        stacked = np.repeat(rows, len(grid), axis=0)
        stacked[:, i] = np.tile(grid, len(rows))
        pd = bundle.predict_pd(stacked).reshape(len(rows), len(grid))
        steps = np.diff(pd, axis=1) * feature.direction
        violations = int((steps < -1e-12).any(axis=1).sum())
        results[feature.name] = {"direction": feature.direction, "rows": len(rows),
                                 "violations": violations}  # fmt: skip
    return {
        "features_checked": len(results),
        "violations": sum(r["violations"] for r in results.values()),
        "by_feature": results,
    }


def splits_for(bundle: ModelBundle, progress: Progress | None = None) -> Splits:
    sample = bundle.manifest.get("sample", {}).get("simulator")
    if not sample:
        raise ValueError(f"bundle {bundle.version} was not trained on the simulator")
    data = simulated_dataset(
        int(sample["firms"]), seed=int(sample["seed"]), drift=float(sample.get("drift", 0.0)),
        progress=progress,
    )  # fmt: skip
    splits = time_split(data)
    if splits.windows != bundle.manifest.get("windows"):
        raise ValueError("the rebuilt loan history does not split like the bundle's")
    return splits


def evaluate_bundle(bundle: ModelBundle, splits: Splits) -> dict[str, Any]:
    oot = splits.oot
    pd = bundle.predict_pd(oot.X)
    auc = metrics.auc(oot.y, pd)
    fit_rows = Dataset(
        np.vstack([splits.train.X, splits.validation.X]),
        np.concatenate([splits.train.y, splits.validation.y]),
        np.concatenate([splits.train.month, splits.validation.month]),
    )
    scorecard = Scorecard.fit(fit_rows.X, fit_rows.y)
    logistic_pd = scorecard.predict_pd(oot.X)
    train_scores = [scale_score(p, bundle.scaling) for p in bundle.predict_pd(splits.train.X)]
    oot_scores = [scale_score(p, bundle.scaling) for p in pd.tolist()]
    reference = bundle.manifest["reference"]["score"]
    table = metrics.calibration_table(oot.y, pd, bundle.grades)
    return {
        "oot_auc": auc,
        "bayes_auc": metrics.auc(oot.y, oot.true_pd) if oot.true_pd is not None else None,
        "logistic_auc": metrics.auc(oot.y, logistic_pd),
        "ks": metrics.ks(oot.y, pd),
        "gini": metrics.gini(auc),
        "brier": metrics.brier(oot.y, pd),
        "logistic_brier": metrics.brier(oot.y, logistic_pd),
        "psi_train_vs_oot": psi(reference, oot_scores),
        "psi_train_sample_vs_reference": psi(reference, train_scores),
        "calibration": table,
        "calibration_monotone": metrics.observed_rates_rise(table, min_count=30),
        "monotonicity": monotonicity(bundle, oot.X),
        "importance": bundle.manifest.get("importance", {}),
        "windows": splits.windows,
        "loans": {
            "train": len(splits.train),
            "validation": len(splits.validation),
            "oot": len(oot),
        },
        "defaults": {
            "train": int(splits.train.y.sum()),
            "validation": int(splits.validation.y.sum()),
            "oot": int(oot.y.sum()),
        },
    }


def write_card(report: Mapping[str, Any], path: Path) -> Path:
    """Write ``report`` as JSON to ``path`` and the model card as Markdown beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    card = path.with_suffix(".md")
    card.write_text(render_card(report), encoding="utf-8")
    return card


def _f(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _made_by(report: Mapping[str, Any]) -> str:
    sim = report.get("sample", {}).get("simulator")
    if not sim:
        return ""
    return (
        f"Reproduce: `xinyidai model train --firms {sim['firms']} --seed {sim['seed']} "
        f"--out DIR` then `xinyidai model evaluate DIR --json PATH` (the simulator and the "
        "training are deterministic)."
    )


def render_card(report: Mapping[str, Any]) -> str:
    sim = report.get("simulator", {})
    lines = [
        f"# Model card — {report.get('model_version')}",
        "",
        f"Generated {report.get('generated_at', china_today().isoformat())}. "
        "All figures on the simulator are on the **out-of-time** months, which neither "
        "training, early stopping nor calibration saw.",
        "",
        _made_by(report),
        "",
        "## Simulated city (out-of-time)",
        "",
        "| measure | LightGBM (this model) | logistic scorecard | Bayes-optimal |",
        "|---|---|---|---|",
        f"| AUC | {_f(sim.get('oot_auc'))} | {_f(sim.get('logistic_auc'))} | "
        f"{_f(sim.get('bayes_auc'))} |",
        f"| Brier | {_f(sim.get('brier'), 4)} | {_f(sim.get('logistic_brier'), 4)} | |",
        f"| KS | {_f(sim.get('ks'))} | | |",
        f"| Gini | {_f(sim.get('gini'))} | | |",
        "",
    ]
    if sim.get("bayes_auc"):
        lines.append(
            f"AUC / Bayes-optimal AUC = **{sim['oot_auc'] / sim['bayes_auc']:.3f}**; "
            f"AUC − scorecard AUC = **{sim['oot_auc'] - sim['logistic_auc']:+.3f}**."
        )
        lines.append("")
    lines += [
        f"PSI of the score, training months vs out-of-time months: "
        f"**{_f(sim.get('psi_train_vs_oot'))}** (above 0.25 is drift).",
        "",
        "Origination months: "
        + ", ".join(
            f"{name} {w['first']}…{w['last']}" for name, w in sim.get("windows", {}).items()
        )
        + ".",
        "",
        "| split | loans | defaults |",
        "|---|---|---|",
        *(
            f"| {name} | {sim['loans'][name]:,} | {sim['defaults'][name]:,} |"
            for name in sim.get("loans", {})
        ),
        "",
        "### Calibration by grade",
        "",
        "| grade | PD band | loans | defaults | observed rate | mean PD |",
        "|---|---|---|---|---|---|",
    ]
    for row in sim.get("calibration", []):
        low, high = row["pd_band"]
        observed = "—" if row["observed_rate"] is None else f"{row['observed_rate']:.2%}"
        mean_pd = "—" if row["mean_pd"] is None else f"{row['mean_pd']:.2%}"
        lines.append(
            f"| {row['grade']} | {low:.2%}–{high:.2%} | {row['count']} | {row['defaults']} | "
            f"{observed} | {mean_pd} |"
        )
    lines += [
        "",
        f"Observed default rates rise from the best grade to the worst: "
        f"**{'yes' if sim.get('calibration_monotone') else 'no'}** (grades with ≥ 30 loans).",
        "",
    ]
    mono = sim.get("monotonicity", {})
    lines += [
        "### Monotonicity",
        "",
        f"{mono.get('features_checked', 0)} constrained features moved across their observed "
        f"range on {MONOTONICITY_ROWS} out-of-time rows each: "
        f"**{mono.get('violations', 0)} violations**.",
        "",
        "### Feature importance (gain, top 10)",
        "",
        "| feature | gain |",
        "|---|---|",
    ]
    for name, gain in list(sim.get("importance", {}).items())[:10]:
        lines.append(f"| {name} | {gain:,.1f} |")
    german = report.get("german_credit")
    if german:
        lines += [
            "",
            "## German Credit (real data, 1,000 loans)",
            "",
            f"{german.get('folds')} folds ({german.get('repeats')}× repeated stratified "
            f"{german.get('splits')}-fold cross-validation), the same training code path:",
            "",
            "| model | mean AUC | std |",
            "|---|---|---|",
            f"| LightGBM | {_f(german.get('cv_auc'))} | {_f(german.get('cv_auc_std'))} |",
            f"| logistic regression | {_f(german.get('logistic_cv_auc'))} | "
            f"{_f(german.get('logistic_cv_auc_std'))} |",
        ]
    return "\n".join(lines) + "\n"
