"""Drift: the active model's recent scores and inputs against its training sample.

The reference distributions are the ones training stored in the bundle's manifest
(``reference.score`` and ``reference.features`` for the ``top_features``, format and PSI in
``psi.py``). The recent sample is every score the active model stored in the last
``WINDOW_DAYS`` days, the event-driven ones and the nightly batch's alike; its values come out
of the database as one array per variable (``array_agg``), never row by row. A PSI above
``DRIFT_THRESHOLD`` (0.25) is flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_office
from xinyidai.domain.scoring import registry
from xinyidai.domain.scoring.psi import DRIFT_THRESHOLD, psi, shares
from xinyidai.domain.scoring.schemas import DriftBin, DriftItem, DriftOut
from xinyidai.infra.errors import Conflict
from xinyidai.models import CreditScore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

WINDOW_DAYS = 30


def drift_item(name: str, reference: Mapping[str, Any], values: np.ndarray) -> DriftItem:
    """PSI of ``values`` against ``reference``, with the bins side by side."""
    edges = list(reference["edges"])
    missing = float(reference.get("missing", 0.0))
    expected = [p * (1 - missing) for p in reference["proportions"]] + [missing]
    actual = shares(reference, values) or [0.0] * len(expected)
    value = psi(reference, values)
    bins = [
        DriftBin(
            upper=edges[i] if i < len(edges) else None,
            expected=round(expected[i], 6),
            actual=round(actual[i], 6),
        )
        for i in range(len(expected) - 1)
    ]
    if expected[-1] > 0 or actual[-1] > 0:
        bins.append(
            DriftBin(
                upper=None,
                missing=True,
                expected=round(expected[-1], 6),
                actual=round(actual[-1], 6),
            )
        )
    return DriftItem(
        name=name,
        psi=None if value is None else round(value, 6),
        flagged=value is not None and value > DRIFT_THRESHOLD,
        bins=bins,
    )


def _array(values: Sequence[float | None] | None) -> np.ndarray:
    return np.asarray(values or [], dtype=np.float64)  # None (missing) becomes NaN


async def drift_report(
    session: AsyncSession, principal: Principal, now: dt.datetime | None = None
) -> DriftOut:
    require_office(principal)
    bundle = await registry.require_active_bundle(session)
    now = now or utc_now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    reference = bundle.manifest.get("reference") or {}
    if "score" not in reference:
        raise Conflict(f"model {bundle.version} carries no training reference to compare with")
    features: list[str] = list(bundle.manifest["features"])
    top = [
        name
        for name in reference.get("top_features", [])
        if name in features and name in reference.get("features", {})
    ]
    columns = [func.array_agg(CreditScore.score)] + [
        # PostgreSQL arrays are 1-based
        func.array_agg(CreditScore.features[features.index(name) + 1])
        for name in top
    ]
    row = (
        await session.execute(
            select(func.count(), *columns).where(
                CreditScore.model_version == bundle.version,
                CreditScore.created_at >= since,
                CreditScore.created_at <= now,
            )
        )
    ).one()
    sample = int(row[0])
    score = drift_item("score", reference["score"], _array(row[1]))
    items = [
        drift_item(name, reference["features"][name], _array(values))
        for name, values in zip(top, row[2:], strict=True)
    ]
    train = (bundle.manifest.get("metrics") or {}).get("train") or {}
    loans = train.get("loans")
    return DriftOut(
        model_version=bundle.version,
        since=since,
        until=now,
        window_days=WINDOW_DAYS,
        threshold=DRIFT_THRESHOLD,
        reference_size=int(loans) if isinstance(loans, int | float) else None,
        sample_size=sample,
        flagged=score.flagged or any(item.flagged for item in items),
        score=score,
        features=items,
    )
