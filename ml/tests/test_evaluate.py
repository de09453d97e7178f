"""`xinyidai model train` writes a bundle; `xinyidai model evaluate` rebuilds the same simulated
loan history, measures the bundle on its out-of-time months only, and writes the model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xinyidai.cli import main

pytestmark = pytest.mark.slow  # trains and evaluates a model


def test_train_then_evaluate_writes_the_model_card(tmp_path: Path) -> None:
    runner = CliRunner()
    bundle = tmp_path / "bundle"
    trained = runner.invoke(main, ["model", "train", "--firms", "1500", "--seed", "3",
                                   "--out", str(bundle)])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert (bundle / "model.txt").exists() and (bundle / "manifest.json").exists()

    card = tmp_path / "card" / "model.json"
    evaluated = runner.invoke(
        main, ["model", "evaluate", str(bundle), "--json", str(card), "--no-german-credit"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(card.read_text())
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert report["model_version"] == manifest["version"]
    simulator = report["simulator"]
    for key in ("oot_auc", "bayes_auc", "logistic_auc", "ks", "brier", "psi_train_vs_oot"):
        assert isinstance(simulator[key], float), key
    # The card scores exactly the months the bundle never saw.
    assert simulator["windows"]["oot"] == manifest["windows"]["oot"]
    assert simulator["oot_auc"] == manifest["metrics"]["oot"]["auc"]
    assert simulator["monotonicity"]["violations"] == 0
    assert [row["grade"] for row in simulator["calibration"]] == [
        g["grade"] for g in manifest["grades"]
    ]
    markdown = card.with_suffix(".md").read_text()
    assert manifest["version"] in markdown and "Bayes-optimal" in markdown


def test_evaluate_refuses_a_bundle_of_other_feature_code(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "model.txt").write_text("tree\n")
    (bundle / "manifest.json").write_text(
        json.dumps({"format": "xinyidai.model/1", "version": "x", "features": [],
                    "feature_hash": "0" * 64, "calibration": {}, "scaling": {}, "grades": []})
    )  # fmt: skip
    result = CliRunner().invoke(
        main, ["model", "evaluate", str(bundle), "--json", str(tmp_path / "c.json")]
    )
    assert result.exit_code != 0
    assert "retrain" in result.output
