"""The credit office's alerts: what waits for the office (or for a bank it should chase), each
counted by the capability that owns it, with a severity, bilingual labels and the portal page
where the office acts on it.

Alerts come from a registry of *sources*: async functions of the session answering a list of
:class:`Alert` (usually one). A capability adds its source with one line in :data:`SOURCES`
(or in :func:`sources` when it needs a setting, as the risk-compensation pool's does). Every
alert is listed, a zero count too (severity ``ok``): the office sees that each watched duty is
clear, and the navigation badge counts what is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import msgspec
import structlog
from msgspec import Meta

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_role
from xinyidai.domain.applications.dead_letters import dead_letter_count
from xinyidai.domain.credit_data.services import overdue_dispute_count
from xinyidai.domain.monitoring.pool.alerts import ROUTE as POOL_ROUTE
from xinyidai.domain.monitoring.pool.alerts import pool_alerts
from xinyidai.domain.monitoring.service_levels import ServiceLevelService
from xinyidai.domain.scoring.services import overdue_review_count
from xinyidai.models import Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)


class AlertKind(StrEnum):
    OVERDUE_DISPUTES = "overdue_disputes"  # disputes past the 20-day answer limit
    SCORE_REVIEWS = "score_reviews"  # human-review requests past their due date
    DEAD_LETTERS = "dead_letters"  # application deliveries the relay gave up on
    BANKS_PAST_COMMITMENT = "banks_past_commitment"  # banks with applications past respond_by
    POOL_NEAR_CAP = "pool_near_cap"  # the risk-compensation pool's exposure near its cap


class AlertSeverity(StrEnum):
    OK = "ok"  # nothing waits
    INFO = "info"
    WARNING = "warning"  # the office should act soon
    CRITICAL = "critical"  # a legal deadline has passed


SEVERITY_ORDER = {
    AlertSeverity.CRITICAL: 0,
    AlertSeverity.WARNING: 1,
    AlertSeverity.INFO: 2,
    AlertSeverity.OK: 3,
}


class Alert(msgspec.Struct, kw_only=True):
    kind: AlertKind
    severity: AlertSeverity
    count: Annotated[int, Meta(ge=0)]
    label_zh: str
    label_en: str
    route: Annotated[str, Meta(description="The portal page where the office acts on it")]


class AlertList(msgspec.Struct, kw_only=True):
    as_of: dt.datetime
    alerts: list[Alert]
    open: Annotated[int, Meta(description="How many alerts have a non-zero count")]


AlertSource = Callable[["AsyncSession"], Awaitable[list[Alert]]]


def counted(
    kind: AlertKind, count: int, severity: AlertSeverity, label_zh: str, label_en: str, route: str
) -> Alert:
    """An alert of ``count`` items: ``severity`` when there are any, ``ok`` when none."""
    return Alert(
        kind=kind,
        severity=severity if count else AlertSeverity.OK,
        count=count,
        label_zh=label_zh,
        label_en=label_en,
        route=route,
    )


async def overdue_disputes(session: AsyncSession) -> list[Alert]:
    """Disputes unanswered past the 20 days 征信业管理条例 Art.25 allows: a breach, critical."""
    return [
        counted(
            AlertKind.OVERDUE_DISPUTES,
            await overdue_dispute_count(session),
            AlertSeverity.CRITICAL,
            "异议处理已超过 20 天期限",
            "Disputes past the 20-day answer limit",
            "/office/disputes?filter=overdue",
        )
    ]


async def score_reviews(session: AsyncSession) -> list[Alert]:
    """Human reviews of scores (PIPL Art.24) past their due date."""
    return [
        counted(
            AlertKind.SCORE_REVIEWS,
            await overdue_review_count(session),
            AlertSeverity.CRITICAL,
            "评分人工复核已逾期",
            "Score reviews past their due date",
            "/office/score-reviews?filter=overdue",
        )
    ]


async def dead_letters(session: AsyncSession) -> list[Alert]:
    """Applications the relay could not deliver to their bank: the SMEs wait on nothing."""
    return [
        counted(
            AlertKind.DEAD_LETTERS,
            await dead_letter_count(session),
            AlertSeverity.WARNING,
            "申请投递失败（死信）",
            "Application deliveries given up (dead letters)",
            "/office/deliveries",
        )
    ]


async def banks_past_commitment(session: AsyncSession) -> list[Alert]:
    """Banks holding at least one application past the response time they committed to."""
    return [
        counted(
            AlertKind.BANKS_PAST_COMMITMENT,
            await ServiceLevelService(session).banks_past_commitment(),
            AlertSeverity.WARNING,
            "银行超过承诺时限未答复申请",
            "Banks with applications past their committed response time",
            "/office/service-levels/overdue",
        )
    ]


SOURCES: tuple[AlertSource, ...] = (
    overdue_disputes,
    score_reviews,
    dead_letters,
    banks_past_commitment,
)
"""The alert sources that need nothing but the session, in the order the office reads them
when severities tie; :func:`sources` adds those that take a setting."""


def pool_near_cap(near_share: Decimal) -> AlertSource:
    """The risk-compensation pool's exposure (approved and pending compensation) at
    ``near_share`` of a year's cap or more (``POOL_ALERT_SHARE``): the pool's own alert, or a
    clear one."""

    async def source(session: AsyncSession) -> list[Alert]:
        found = await pool_alerts(session, near_share=near_share)
        if not found:
            return [
                counted(
                    AlertKind.POOL_NEAR_CAP,
                    0,
                    AlertSeverity.WARNING,
                    "风险补偿资金池接近年度上限",
                    "Risk-compensation pool near its yearly cap",
                    POOL_ROUTE,
                )
            ]
        return [
            Alert(
                kind=AlertKind.POOL_NEAR_CAP,
                severity=AlertSeverity(alert.severity),
                count=alert.count,
                label_zh=alert.label_zh,
                label_en=alert.label_en,
                route=alert.route,
            )
            for alert in found
        ]

    return source


def sources(pool_alert_share: Decimal) -> tuple[AlertSource, ...]:
    """Every alert source, the pool's with its threshold."""
    return (*SOURCES, pool_near_cap(pool_alert_share))


class OfficeAlerts:
    def __init__(self, session: AsyncSession, sources: tuple[AlertSource, ...] = SOURCES) -> None:
        self.session = session
        self.sources = sources

    async def alerts(self, principal: Principal) -> AlertList:
        """Every source's alerts, the most severe first (the office only; 403 to others)."""
        require_role(principal, Role.OFFICE)
        found: list[Alert] = []
        for source in self.sources:  # one session: one statement at a time
            found.extend(await source(self.session))
        ordered = sorted(
            enumerate(found), key=lambda pair: (SEVERITY_ORDER[pair[1].severity], pair[0])
        )
        alerts = [alert for _, alert in ordered]
        return AlertList(as_of=utc_now(), alerts=alerts, open=sum(1 for a in alerts if a.count > 0))
