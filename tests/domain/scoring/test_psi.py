"""The population stability index tells a stable population from a shifted one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from xinyidai.domain.scoring.psi import DRIFT_THRESHOLD, reference_distribution, shares
from xinyidai.domain.scoring.psi import psi as psi_or_none


def psi(reference: dict[str, Any], values: np.ndarray) -> float:
    """The PSI of values that are there (``psi`` is None only without values)."""
    value = psi_or_none(reference, values)
    assert value is not None
    return value


def test_the_same_population_is_stable() -> None:
    rng = np.random.default_rng(1)
    reference = reference_distribution(rng.normal(600, 40, 20_000))
    assert psi(reference, rng.normal(600, 40, 5_000)) < 0.02


def test_a_shifted_population_is_flagged() -> None:
    rng = np.random.default_rng(2)
    reference = reference_distribution(rng.normal(600, 40, 20_000))
    assert psi(reference, rng.normal(560, 40, 5_000)) > DRIFT_THRESHOLD


def test_missing_values_have_their_own_bin() -> None:
    values = np.array([1.0, 2.0, 3.0, np.nan] * 250)
    reference = reference_distribution(values)
    assert reference["missing"] == pytest.approx(0.25)
    assert sum(shares(reference, values)) == pytest.approx(1.0)
    assert psi(reference, values) == pytest.approx(0.0, abs=1e-9)
    assert psi(reference, np.array([1.0, 2.0, 3.0] * 100)) > 0.25  # the missing share vanished


def test_no_values_no_index() -> None:
    assert psi_or_none(reference_distribution([1.0, 2.0]), []) is None
