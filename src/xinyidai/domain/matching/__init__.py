"""Matching SMEs with loan products: eligibility criterion by criterion, explained, with an
estimated limit and price, ranked.

* ``facts``: a snapshot and score -> :class:`Facts`; many -> a columnar :class:`FactTable`.
* ``engine``: the one eligibility implementation, numpy over a table (one row or 100,000).
* ``explain``: each unmet criterion in zh-CN and English, with what would change it.
* ``pricing``: the estimated limit and the rate range for the SME's grade.
* ``ranking``: the order an SME sees its matches in.
* ``match``: one SME's whole view, composed of the above.
"""

from xinyidai.domain.matching.engine import (
    CRITERIA,
    Catalogue,
    CatalogueItem,
    Criterion,
    Results,
    evaluate,
    evaluate_blocks,
)
from xinyidai.domain.matching.explain import Action, Reason, explain, explain_all
from xinyidai.domain.matching.facts import Facts, FactTable, ScoreLike, facts_of
from xinyidai.domain.matching.match import Match, match_facts, match_snapshot
from xinyidai.domain.matching.pricing import Estimate, Estimates, estimate, estimate_one
from xinyidai.domain.matching.ranking import rank

__all__ = [
    "CRITERIA",
    "Action",
    "Catalogue",
    "CatalogueItem",
    "Criterion",
    "Estimate",
    "Estimates",
    "FactTable",
    "Facts",
    "Match",
    "Reason",
    "Results",
    "ScoreLike",
    "estimate",
    "estimate_one",
    "evaluate",
    "evaluate_blocks",
    "explain",
    "explain_all",
    "facts_of",
    "match_facts",
    "match_snapshot",
    "rank",
]
