"""Matching rows of ``make bench`` (in process, no engines or servers).

* ``match_one``: one SME's whole matching view as the endpoint builds it — its snapshot (freshly
  JSON-decoded) and score -> facts -> eligibility against 1,000 generated products (a one-row
  table) -> sentences and hints of every unmet criterion -> estimated limit and rate -> ranking;
  p99 over the calls. The catalogue is compiled once beforehand (the service keeps it until a
  product changes), not measured per call. Target: p99 ≤ 10 ms. Reference: the engine's
  evaluation alone (``evaluate`` of the one-row table), p99.
* ``match_batch``: eligibility of 100,000 SMEs × 500 products, as the "you now qualify" job does
  it: snapshots -> facts -> one ``FactTable`` -> ``evaluate``. Target: ≤ 60 s for the whole.
  Reference: a bare numpy evaluation of the same rules over the same table
  (:func:`bare_eligibility`, a plain loop over the products, each stated criterion one numpy
  expression over the columns, giving only eligible yes/no); the row reports evaluate's seconds
  over the bare seconds, and checks both give the same eligible pairs.

The SMEs are **simulated snapshots** (``xinyidai_ml.simulator``, as ``bench/scoring.py`` builds
them), not facts made up directly: 2,000 distinct snapshots, the batch cycling through them to
100,000 (building 100,000 distinct snapshots would dominate the run; facts extraction is still
done 100,000 times and timed). The scores are drawn (PD log-uniform between 0.1 % and 20 %, the
grade from the PD), since no model is trained here. The simulator draws no 专精特新 or
high-tech honours, so every product requiring those flags is ineligible for all.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.harness import Log, console
from bench.scenarios import MatchingScenario
from bench.scoring import ScoreRow

ONE_PRODUCTS = 1_000
ONE_SNAPSHOTS = 300
ONE_ROUNDS = 3
BATCH_SMES = 100_000
BATCH_PRODUCTS = 500
DISTINCT_SNAPSHOTS = 2_000
GRADE_PD = (0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3)  # PD ceilings of AAA … CCC; C above

SECTIONS = "ACEFGHIKLMOR"
DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114",
             "440115", "440117", "440118")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Score:
    grade: str
    pd: float


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _pick(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def generate_products(n: int, seed: int) -> list[Any]:  # noqa: C901
    """``n`` valid products with a realistic mix of criteria (checked as the API checks them)."""
    import msgspec

    from xinyidai.domain.products.schemas import GRADES, ProductIn
    from xinyidai.domain.products.validation import check_product

    rng = random.Random(seed)
    out = []
    for k in range(n):
        rule: dict[str, Any] = {}
        if _pick(rng, 0.6):
            rule["min_grade"] = rng.choice(GRADES[:6])
        if _pick(rng, 0.15):
            rule["max_pd"] = rng.choice((0.02, 0.05, 0.1))
        if _pick(rng, 0.25):
            mode = rng.choice(("include", "exclude"))
            rule["industries"] = {"mode": mode, "codes": sorted(rng.sample(SECTIONS, 3))}
        if _pick(rng, 0.15):
            rule["districts"] = sorted(rng.sample(DISTRICTS, 4))
        if _pick(rng, 0.6):
            rule["min_years_operating"] = rng.choice((1, 2, 3, 5))
        if _pick(rng, 0.4):
            rule["min_tax_grade"] = rng.choice(("A", "B", "M"))
        if _pick(rng, 0.5):
            extra = rng.sample(("electricity", "social_insurance", "water"), rng.randint(0, 2))
            rule["required_families"] = sorted({"tax", *extra})
        if _pick(rng, 0.3):
            rule["min_tax_months"] = rng.choice((12, 24))
        if _pick(rng, 0.4):
            revenue: dict[str, str] = {"min": str(rng.choice((500_000, 1_000_000, 5_000_000)))}
            if _pick(rng, 0.3):
                revenue["max"] = "200000000"
            rule["revenue"] = revenue
        if _pick(rng, 0.15):
            rule["headcount"] = {"min": rng.choice((5, 10, 20))}
        if _pick(rng, 0.4):
            rule["max_arrears_months"] = rng.choice((0, 1, 2))
        if _pick(rng, 0.4):
            rule["max_penalties_12m"] = rng.choice((0, 1, 2))
        if _pick(rng, 0.8):
            rule["exclusions"] = ["serious_dishonesty", "dishonest_debtor", "abnormal_operation"]
        if _pick(rng, 0.1):
            rule["flags"] = [rng.choice(("specialised", "high_tech", "green"))]
        floor = rng.choice((0.03, 0.035, 0.0385, 0.04, 0.045))
        ceiling = round(floor + rng.choice((0.01, 0.02, 0.03, 0.05)), 4)
        rates = {}
        if _pick(rng, 0.3):
            span = ceiling - floor
            rates = {g: f"{floor + span * i / 7:.4f}" for i, g in enumerate(GRADES)}
        data = {
            "name_zh": f"测试贷{k}",
            "name_en": f"Bench loan {k}",
            "type": rng.choice(("credit", "tax_based", "utility_based", "first_loan")),
            "amount_min": str(rng.choice((50_000, 100_000, 200_000, 500_000))),
            "amount_max": str(rng.choice((1_000_000, 2_000_000, 3_000_000, 5_000_000))),
            "term_min_months": 6,
            "term_max_months": 36,
            "rate_floor": str(floor),
            "rate_ceiling": str(ceiling),
            "rates_by_grade": rates,
            "repayment_methods": ["equal_instalment"],
            "guarantee": "none",
            "districts_served": sorted(rng.sample(DISTRICTS, 6)) if _pick(rng, 0.2) else [],
            "response_days": rng.randint(1, 10),
            "eligibility": rule,
        }
        product = msgspec.convert(data, ProductIn, strict=False)
        check_product(product)
        out.append(product)
    return out


def _catalogue(n: int, seed: int) -> Any:
    import uuid

    from xinyidai.domain.matching import Catalogue, CatalogueItem

    return Catalogue(
        [
            CatalogueItem(uuid.UUID(int=2 * k + 1), uuid.UUID(int=2 * k + 2), p)
            for k, p in enumerate(generate_products(n, seed))
        ]
    )


def _snapshots(count: int, seed: int) -> tuple[list[dict[str, Any]], list[Score]]:
    """``count`` simulated snapshots as the database hands them back, with drawn scores."""
    from xinyidai.domain.products.schemas import GRADES
    from xinyidai_ml.simulator import simulate

    sim = simulate(max(count // 4, 10), seed=seed)
    loans = list(sim.loans)[:count]
    snapshots = [json.loads(json.dumps(s)) for s in sim.iter_snapshots(loans)]
    rng = random.Random(seed)
    scores = []
    for _ in snapshots:
        pd = 10 ** rng.uniform(-3, -0.7)
        grade = next((g for g, top in zip(GRADES, GRADE_PD, strict=False) if pd <= top), "C")
        scores.append(Score(grade, pd))
    return snapshots, scores


def _timings(call: Callable[[int], object], count: int) -> list[float]:
    out = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure_match_one(log: Log = print) -> dict[str, Any]:
    from xinyidai.domain.matching import FactTable, evaluate, facts_of, match_snapshot

    log(f"generating {ONE_PRODUCTS:,} products and {ONE_SNAPSHOTS} snapshots (not measured)")
    started = time.perf_counter()
    catalogue = _catalogue(ONE_PRODUCTS, seed=21)
    compile_ms = (time.perf_counter() - started) * 1000
    snapshots, scores = _snapshots(ONE_SNAPSHOTS, seed=11)
    n = len(snapshots)
    tables = [
        FactTable.from_facts([facts_of(s, sc)]) for s, sc in zip(snapshots, scores, strict=True)
    ]

    def ours(i: int) -> object:
        # A fresh decode each call, as a database read would hand the document over.
        return match_snapshot(json.loads(texts[i]), scores[i], catalogue)

    def engine_only(i: int) -> object:
        return evaluate(tables[i], catalogue)

    texts = [json.dumps(s) for s in snapshots]
    ours_all: list[float] = []
    engine_all: list[float] = []
    for _ in range(ONE_ROUNDS):
        engine_all += _timings(engine_only, n)
        ours_all += _timings(ours, n)
    sample = [
        match_snapshot(s, sc, catalogue) for s, sc in zip(snapshots[:50], scores[:50], strict=True)
    ]
    return {
        "samples": len(ours_all),
        "products": len(catalogue),
        "compile_ms": compile_ms,
        "ours": {
            "p50_ms": _percentile(ours_all, 0.5),
            "p99_ms": _percentile(ours_all, 0.99),
            "mean_ms": statistics.fmean(ours_all),
        },
        "engine_only": {
            "p50_ms": _percentile(engine_all, 0.5),
            "p99_ms": _percentile(engine_all, 0.99),
        },
        "mean_eligible": statistics.fmean(sum(m.eligible for m in ms) for ms in sample),
        "mean_reasons": statistics.fmean(sum(len(m.reasons) for m in ms) for ms in sample),
    }


# --------------------------------------------------------------------------------------------
# the batch, and its bare baseline
# --------------------------------------------------------------------------------------------
def bare_eligibility(table: Any, products: list[Any]) -> np.ndarray:  # noqa: C901
    """eligible[SME, product] from the table's columns: each product in turn, each criterion it
    states one numpy expression (unknown values fail), nothing else (no reasons, no blocks)."""
    from xinyidai.domain.enterprises.codes import section_of_division
    from xinyidai.domain.matching.facts import (
        EXCLUSIONS,
        FAMILIES,
        FLAGS,
        INDUSTRY_SECTION_BASE,
        SECTIONS,
    )
    from xinyidai.domain.products.schemas import GRADES, TAX_GRADES

    t = table
    out = np.zeros((len(t), len(products)), dtype=np.bool_)
    for j, p in enumerate(products):
        r = p.eligibility
        ok = np.ones(len(t), dtype=np.bool_)
        if r.min_grade:
            ok &= (t.grade >= 0) & (t.grade <= GRADES.index(r.min_grade))
        if r.max_pd is not None:
            ok &= t.pd <= r.max_pd
        if r.industries:
            keys = [int(c) for c in r.industries.codes if c.isdigit()]
            for code in r.industries.codes:
                if not code.isdigit():
                    keys.append(INDUSTRY_SECTION_BASE + SECTIONS.index(code))
                    keys += [d for d in range(1, 100) if _section(d, section_of_division) == code]
            named = np.isin(t.industry, keys)
            known = t.industry < INDUSTRY_SECTION_BASE + len(SECTIONS)
            ok &= known & (named if r.industries.mode == "include" else ~named)
        if r.districts:
            ok &= np.isin(t.district, [int(d) for d in r.districts])
        if p.districts_served:
            ok &= np.isin(t.district, [int(d) for d in p.districts_served])
        if r.min_years_operating is not None:
            ok &= t.years >= r.min_years_operating
        if r.min_tax_grade:
            ok &= (t.tax_grade >= 0) & (t.tax_grade <= TAX_GRADES.index(r.min_tax_grade))
        if r.required_families:
            need = sum(1 << FAMILIES.index(f) for f in r.required_families)
            ok &= (t.families & need) == need
        if r.min_tax_months is not None:
            ok &= t.tax_months >= r.min_tax_months
        if r.revenue:
            if r.revenue.min is not None:
                ok &= t.revenue >= float(r.revenue.min)
            if r.revenue.max is not None:
                ok &= t.revenue <= float(r.revenue.max)
        if r.headcount:
            if r.headcount.min is not None:
                ok &= t.headcount >= r.headcount.min
            if r.headcount.max is not None:
                ok &= t.headcount <= r.headcount.max
        if r.max_arrears_months is not None:
            ok &= (t.arrears >= 0) & (t.arrears <= r.max_arrears_months)
        if r.max_penalties_12m is not None:
            ok &= t.penalties <= r.max_penalties_12m
        if r.exclusions:
            ok &= (t.exclusions & sum(1 << EXCLUSIONS.index(e) for e in r.exclusions)) == 0
        if r.flags:
            need = sum(1 << FLAGS.index(f) for f in r.flags)
            ok &= (t.flags & need) == need
        out[:, j] = ok
    return out


def _section(division: int, of: Callable[[str], str]) -> str | None:
    try:
        return of(f"{division:02d}")
    except ValueError:
        return None


def measure_match_batch(log: Log = print) -> dict[str, Any]:
    import os

    from xinyidai.domain.matching import FactTable, evaluate, facts_of

    smes = int(os.environ.get("BENCH_MATCH_SMES", BATCH_SMES))
    log(f"simulating {DISTINCT_SNAPSHOTS:,} snapshots, {BATCH_PRODUCTS} products (not measured)")
    catalogue = _catalogue(BATCH_PRODUCTS, seed=23)
    snapshots, scores = _snapshots(DISTINCT_SNAPSHOTS, seed=13)
    n = len(snapshots)

    log(f"facts of {smes:,} snapshots, one table, eligibility (measured)")
    started = time.perf_counter()
    facts = [facts_of(snapshots[i % n], scores[i % n]) for i in range(smes)]
    facts_s = time.perf_counter() - started
    started = time.perf_counter()
    table = FactTable.from_facts(facts)
    table_s = time.perf_counter() - started
    started = time.perf_counter()
    results = evaluate(table, catalogue)
    evaluate_s = time.perf_counter() - started
    eligible = results.eligible

    log("bare numpy evaluation of the same rules (reference)")
    started = time.perf_counter()
    bare = bare_eligibility(table, [item.product for item in catalogue.items])
    bare_s = time.perf_counter() - started
    return {
        "smes": smes,
        "products": len(catalogue),
        "distinct_snapshots": n,
        "facts_s": facts_s,
        "table_s": table_s,
        "evaluate_s": evaluate_s,
        "total_s": facts_s + table_s + evaluate_s,
        "bare_s": bare_s,
        "evaluate_over_bare": evaluate_s / bare_s,
        "same_answers": bool(np.array_equal(eligible, bare)),
        "eligible_share": float(eligible.mean()),
    }


# --------------------------------------------------------------------------------------------
# rows of the results table
# --------------------------------------------------------------------------------------------
def match_one_row(log: Log = print) -> ScoreRow:
    result = measure_match_one(log=log)
    return ScoreRow(
        "match_one",
        result["ours"]["p99_ms"],
        "ms p99",
        10.0,
        higher_is_better=False,
        reference=("evaluate alone p99 ms", result["engine_only"]["p99_ms"]),
        details=result,
    )


def match_batch_row(log: Log = print) -> ScoreRow:
    result = measure_match_batch(log=log)
    row = ScoreRow(
        "match_batch",
        result["total_s"],
        "s",
        60.0,
        higher_is_better=False,
        reference=("evaluate s / bare numpy s", result["evaluate_over_bare"]),
        details=result,
    )
    if not result["same_answers"]:
        row.target = 0.0  # a wrong answer fails the row, whatever its time
    return row


def run_matching_scenario(scenario: MatchingScenario) -> ScoreRow:
    """The ``match_one`` or ``match_batch`` row, by the scenario's name."""

    def log(message: str) -> None:
        console.print(f"  {message}")

    console.print(f"[bold]{scenario.name}[/bold]")
    if scenario.name == "match_one":
        row = match_one_row(log=log)
        d = row.details
        log(
            f"p50 {d['ours']['p50_ms']:.2f} ms, p99 {d['ours']['p99_ms']:.2f} ms over "
            f"{d['samples']} calls; evaluate alone p50 {d['engine_only']['p50_ms']:.3f} ms; "
            f"catalogue compiled once in {d['compile_ms']:.0f} ms; on average "
            f"{d['mean_eligible']:.0f} eligible and {d['mean_reasons']:.0f} reasons per SME"
        )
        return row
    row = match_batch_row(log=log)
    d = row.details
    log(
        f"facts {d['facts_s']:.1f} s, table {d['table_s']:.1f} s, evaluate {d['evaluate_s']:.2f} s"
        f" (bare numpy {d['bare_s']:.2f} s), same answers: {d['same_answers']}"
    )
    return row
