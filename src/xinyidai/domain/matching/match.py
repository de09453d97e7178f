"""One SME's matches: every product, eligible or not and why, its estimate, in rank order.

This composes the engine (one row), the sentences, the estimates and the ranking; the batch job
uses :func:`xinyidai.domain.matching.engine.evaluate` directly on a table of many rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from xinyidai.domain.matching.engine import (
    Catalogue,
    CatalogueItem,
    Criterion,
    criteria_of,
    evaluate,
)
from xinyidai.domain.matching.explain import Explainer, Reason
from xinyidai.domain.matching.facts import Facts, FactTable, ScoreLike, facts_of
from xinyidai.domain.matching.pricing import Estimate, estimate, estimate_row
from xinyidai.domain.matching.ranking import rank


class Match(msgspec.Struct, frozen=True, gc=False):
    item: CatalogueItem
    eligible: bool
    unmet: tuple[Criterion, ...]
    reasons: tuple[Reason, ...]
    estimate: Estimate


def match_facts(facts: Facts, catalogue: Catalogue) -> list[Match]:
    """Every product of ``catalogue`` for this SME, in rank order (``ranking``)."""
    table = FactTable.from_facts([facts])
    results = evaluate(table, catalogue)
    estimates = estimate(table, catalogue)
    explainer = Explainer(facts)
    row = estimate_row(estimates, 0)
    bits = results.unmet[0].tolist()
    out: list[Match] = []
    for j in rank(results, estimates, catalogue).tolist():
        item = catalogue.items[j]
        unmet = criteria_of(bits[j])
        out.append(
            Match(
                item=item,
                eligible=not unmet,
                unmet=unmet,
                reasons=explainer.reasons(catalogue, j, unmet) if unmet else (),
                estimate=row[j],
            )
        )
    return out


def match_snapshot(
    content: Mapping[str, Any], score: ScoreLike | None, catalogue: Catalogue
) -> list[Match]:
    """:func:`match_facts` of a snapshot document and its latest score."""
    return match_facts(facts_of(content, score), catalogue)
