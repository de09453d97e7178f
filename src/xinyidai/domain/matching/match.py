"""One SME's matches: every product, eligible or not and why, its estimate, in rank order.

This composes the engine (one row), the sentences, the estimates and the ranking; the batch job
uses :func:`xinyidai.domain.matching.engine.evaluate` directly on a table of many rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xinyidai.domain.matching.engine import Catalogue, CatalogueItem, Criterion, evaluate
from xinyidai.domain.matching.explain import Reason, explain_all
from xinyidai.domain.matching.facts import Facts, FactTable, ScoreLike, facts_of
from xinyidai.domain.matching.pricing import Estimate, estimate, estimate_one
from xinyidai.domain.matching.ranking import rank


@dataclass(frozen=True, slots=True)
class Match:
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
    out: list[Match] = []
    for j in rank(results, estimates, catalogue).tolist():
        item = catalogue.items[j]
        unmet = tuple(results.criteria(0, j))
        out.append(
            Match(
                item=item,
                eligible=not unmet,
                unmet=unmet,
                reasons=tuple(explain_all(facts, item.product, unmet)),
                estimate=estimate_one(estimates, 0, j),
            )
        )
    return out


def match_snapshot(
    content: Mapping[str, Any], score: ScoreLike | None, catalogue: Catalogue
) -> list[Match]:
    """:func:`match_facts` of a snapshot document and its latest score."""
    return match_facts(facts_of(content, score), catalogue)
