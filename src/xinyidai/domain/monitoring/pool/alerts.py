"""The pool's source for the office's alerts list: years whose exposure (compensation approved
net of recoveries, plus compensation claimed and not yet decided) reaches ``near_share`` of the
year's cap (``POOL_ALERT_SHARE``, 0.9 by default)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec

from xinyidai.domain.monitoring.pool.years import DEFAULT_NEAR_SHARE, PoolYears

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ROUTE = "/office/pool"


class Alert(msgspec.Struct, kw_only=True):
    kind: str
    severity: str
    count: int
    label_zh: str
    label_en: str
    route: str


async def pool_alerts(
    session: AsyncSession, *, near_share: Decimal = DEFAULT_NEAR_SHARE
) -> list[Alert]:
    """One ``pool_near_cap`` alert when any pool year is near its cap (``count``: how many
    years); ``critical`` if one of them is at or past its cap, else ``warning``. None if no
    year is near."""
    near = [y for y in await PoolYears(session).overview(near_share=near_share) if y.near_cap]
    if not near:
        return []
    full = any(y.exposure >= y.cap for y in near)
    numbers = [str(y.year) for y in near]
    return [
        Alert(
            kind="pool_near_cap",
            severity="critical" if full else "warning",
            count=len(near),
            label_zh=f"风险补偿资金池接近年度上限（{'、'.join(numbers)}）",
            label_en=f"Risk-compensation pool near its yearly cap ({', '.join(numbers)})",
            route=ROUTE,
        )
    ]
