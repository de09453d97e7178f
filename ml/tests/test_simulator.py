"""The credit simulator: deterministic, calibrated, missing not at random, drifting on demand,
and its snapshots are the data hub's own documents."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from xinyidai.domain.credit_data.imports import ParsedRow, parse_rows
from xinyidai.domain.enterprises.codes import validate_uscc
from xinyidai.domain.profiles.snapshots import FORMAT, window
from xinyidai.enums import NEGATIVE_TYPES, Family, RecordType
from xinyidai_ml.simulator import (
    TARGET_DEFAULT_RATE,
    Simulation,
    bayes_auc,
    expected_bayes_auc,
    simulate,
    simulate_chunks,
)

pytestmark = pytest.mark.slow  # simulates cities of thousands of firms

SEED = 7


@pytest.fixture(scope="module")
def city() -> Simulation:
    return simulate(3000, seed=SEED)


def test_the_same_seed_gives_the_same_city_and_another_seed_another() -> None:
    first, again = simulate(300, seed=SEED), simulate(300, seed=SEED)
    assert first.loans == again.loans
    assert [f.uscc for f in first.firms] == [f.uscc for f in again.firms]
    for loan in first.loans[:40:7]:
        assert json.dumps(first.snapshot(loan)) == json.dumps(again.snapshot(loan))
    other = simulate(300, seed=SEED + 1)
    assert [f.uscc for f in other.firms] != [f.uscc for f in first.firms]
    assert [loan.true_pd for loan in other.loans] != [loan.true_pd for loan in first.loans]


def test_a_firm_is_the_same_firm_in_a_smaller_city_and_in_chunks() -> None:
    big = simulate(400, seed=SEED)
    small = simulate(150, seed=SEED, intercept=big.intercept)
    assert small.loans == [loan for loan in big.loans if loan.firm_index < 150]
    chunks = list(simulate_chunks(400, chunk_size=150, seed=SEED, intercept=big.intercept))
    assert [c.first_firm for c in chunks] == [0, 150, 300]
    assert list(itertools.chain.from_iterable(c.loans for c in chunks)) == big.loans
    loan = big.loans[-1]
    assert chunks[-1].snapshot(loan) == big.snapshot(loan)


def test_firms_have_valid_distinct_codes_and_registration_data(city: Simulation) -> None:
    usccs = [f.uscc for f in city.firms]
    assert len(set(usccs)) == len(usccs)
    assert all(validate_uscc(u) == u for u in usccs[:500])
    assert len({f.industry_section for f in city.firms}) >= 6
    assert len({f.district_code for f in city.firms}) == 11


def test_the_mean_default_rate_is_on_target(city: Simulation) -> None:
    pd = city.true_pd
    assert len(city.loans) > 8000
    assert 0.025 <= pd.mean() <= 0.03
    assert pd.mean() == pytest.approx(TARGET_DEFAULT_RATE, abs=1e-6)
    assert 0.018 <= city.defaulted.mean() <= 0.037  # the draw around it
    assert 0.75 <= bayes_auc(pd, city.defaulted) <= 0.95


def test_the_tax_grade_mix_is_near_the_published_one(city: Simulation) -> None:
    on = dt.date(2024, 6, 1)
    latest: dict[int, str] = {}
    for i, records in enumerate(city.records):
        for r in records:
            if r.record_type is RecordType.TAX_GRADE and r.visible(on):
                latest[i] = r.grade or ""
    mix = Counter(latest.values())
    total = sum(mix.values())
    assert total > 0.8 * city.n_firms
    target = {"A": 0.05, "B": 0.60, "M": 0.20, "C": 0.08, "D": 0.07}
    for grade, share in target.items():
        assert mix[grade] / total == pytest.approx(share, abs=0.035), (grade, mix)


def test_firms_that_share_less_are_riskier(city: Simulation) -> None:
    shared = np.array([city.authorized[city.local(loan.firm_index)].sum() for loan in city.loans])
    pd = city.true_pd
    few, many = pd[shared <= 3].mean(), pd[shared >= 5].mean()
    assert (shared <= 3).sum() > 300 and (shared >= 5).sum() > 300
    assert few > 1.3 * many
    authorized = city.authorized.mean(axis=0)
    assert 0.9 < authorized[list(Family).index(Family.TAX)] < 0.98


def test_a_snapshot_is_the_data_hubs_document_as_of_the_loan(city: Simulation) -> None:
    checked = 0
    for loan in city.loans[::97]:
        snap = city.snapshot(loan)
        assert snap["format"] == FORMAT and snap["as_of"] == loan.as_of.isoformat()
        assert set(snap) == {"format", "as_of", "enterprise", "public_records", "families"}
        assert snap["enterprise"]["uscc"] == loan.uscc
        assert list(snap["families"]) == [f.value for f in Family]
        first, last = window(loan.as_of)
        shared = set(city.authorized_families(loan.firm_index))
        for family in Family:
            doc = snap["families"][family.value]
            if family not in shared:
                assert doc == {"authorised": False}
                continue
            assert doc["authorised"] is True
            assert doc["window"] == {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}
            assert all(f"{first:%Y-%m}" <= m["period"] <= f"{last:%Y-%m}" for m in doc["months"])
            assert len(doc["months"]) <= 36 and doc["sources"] in ([], ["sandbox"])
            assert doc["authorised_until"] > loan.as_of.isoformat()
        for item in snap["public_records"]["items"]:
            assert item["decision_date"] <= loan.as_of.isoformat()
            assert item["publish_until"] is None or item["publish_until"] >= loan.as_of.isoformat()
            assert item["negative"] == (item["type"] in NEGATIVE_TYPES)
        checked += 1
    assert checked > 50


def test_expired_repaired_and_future_records_are_left_out(city: Simulation) -> None:
    kinds: Counter[str] = Counter()
    for loan in city.loans[::5]:
        records = city.records[city.local(loan.firm_index)]
        shown = {i["document_no"] for i in city.snapshot(loan)["public_records"]["items"]}
        for r in records:
            if r.decision_date > loan.as_of:
                kind = "future"
            elif r.publish_until is not None and r.publish_until < loan.as_of:
                kind = "expired"
            elif r.repaired_on is not None and r.repaired_on <= loan.as_of:
                kind = "repaired"
            elif r.record_type in NEGATIVE_TYPES and r.decision_date < five_years_before(
                loan.as_of
            ):
                kind = "purged"
            else:
                assert r.document_no in shown
                continue
            assert r.document_no not in shown
            kinds[kind] += 1
        if len(kinds) == 4 and min(kinds.values()) > 5:
            break
    assert set(kinds) == {"future", "expired", "repaired", "purged"}


def five_years_before(day: dt.date) -> dt.date:
    return dt.date(day.year - 5, day.month, min(day.day, 28) if day.month == 2 else day.day)


def test_drift_shifts_later_cohorts_towards_smaller_riskier_firms() -> None:
    def shift(sim: Simulation) -> tuple[float, float]:
        cohort = sim.drivers["cohort"]
        size, logit = sim.drivers["log_size"], sim.drivers["logit"]
        early, late = cohort < 0.25, cohort > 0.75
        return size[late].mean() - size[early].mean(), logit[late].mean() - logit[early].mean()

    steady = shift(simulate(1500, seed=SEED))
    drifting = shift(simulate(1500, seed=SEED, drift=1.5))
    assert drifting[0] < steady[0] - 0.3
    assert drifting[1] > steady[1] + 0.2


def test_bayes_auc_is_the_auc_of_the_true_pd() -> None:
    rng = np.random.default_rng(3)
    pd = np.round(rng.beta(1, 30, 400), 3)  # with ties
    y = rng.random(400) < pd
    pos, neg = pd[y], pd[~y]
    direct = np.mean([1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg])
    assert bayes_auc(pd, y) == pytest.approx(direct, abs=1e-12)
    # The expected AUC over outcome draws, by brute force over pairs.
    q = 1 - pd
    wins = total = 0.0
    for i, j in itertools.permutations(range(len(pd)), 2):
        weight = pd[i] * q[j]
        total += weight
        wins += weight * (1.0 if pd[i] > pd[j] else 0.5 if pd[i] == pd[j] else 0.0)
    assert expected_bayes_auc(pd) == pytest.approx(wins / total, abs=1e-12)
    with pytest.raises(ValueError, match="both"):
        bayes_auc(pd, np.zeros(400, dtype=bool))


def test_the_public_records_load_through_the_import_format(
    city: Simulation, tmp_path: Path
) -> None:
    path = tmp_path / "records.csv"
    small = simulate(200, seed=SEED)
    count = small.public_records_csv(path)
    assert count > 500
    rows = list(parse_rows(path, path.name, today=dt.date(2026, 1, 1)))
    assert len(rows) == count
    rejected = [r for r in rows if not isinstance(r, ParsedRow)]
    assert rejected == []
    assert city.n_firms == 3000


def test_a_snapshot_for_today_needs_a_horizon() -> None:
    sim = simulate(50, seed=SEED, horizon=dt.date(2026, 10, 1))
    today = dt.date(2026, 11, 2)
    snap = sim.firm_snapshot(3, today)
    assert snap["as_of"] == "2026-11-02"
    with pytest.raises(ValueError, match="horizon"):
        simulate(50, seed=SEED).firm_snapshot(3, today)
