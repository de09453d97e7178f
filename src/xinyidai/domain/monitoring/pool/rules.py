"""The pool's rules as data: rule sets with validity dates and their share bands, the priority
list, and the share a loan gets under the rules in force on its disbursement date.

A share is the band's share of the loan's principal (the smallest band whose ``up_to`` is at
least the principal), plus ``priority_bonus`` once if the firm is on the priority list on the
disbursement date or the loan is an IP-pledge loan (either or both), plus ``pboc_bonus`` if
PBoC tools fund it; at most ``ceiling``. A principal above the largest band gets no share (the
loan is not registered)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from xinyidai.domain.audit.services import AuditLog
from xinyidai.domain.enterprises.codes import CodeError, validate_uscc
from xinyidai.domain.monitoring.pool import checks
from xinyidai.domain.monitoring.pool.schemas import (
    PoolBandOut,
    PoolRuleSetIn,
    PoolRuleSetOut,
    PriorityFirmIn,
    PriorityFirmOut,
)
from xinyidai.infra.bounds import check_date
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    ActorKind,
    PoolPriorityFirm,
    PoolRegistration,
    PoolRuleSet,
    PoolShareBand,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

SHARE_PLACES = Decimal("0.0001")
_RULES_LOCK = 0x7879_6470_6F6F_6C72  # pg_advisory_xact_lock key: "xyd poolr" (rule sets)


@dataclass(frozen=True, slots=True)
class Share:
    band: Decimal
    bonus: Decimal
    total: Decimal


def share_of(
    rules: PoolRuleSet,
    bands: list[PoolShareBand],
    principal: Decimal,
    *,
    priority_or_ip: bool,
    pboc: bool,
) -> Share | None:
    """The share of ``principal``'s loss the pool bears under ``rules``; None above the bands."""
    band = next((b for b in sorted(bands, key=lambda b: b.up_to) if principal <= b.up_to), None)
    if band is None:
        return None
    bonus = (rules.priority_bonus if priority_or_ip else Decimal(0)) + (
        rules.pboc_bonus if pboc else Decimal(0)
    )
    total = min(band.share + bonus, rules.ceiling)
    return Share(
        band=band.share.quantize(SHARE_PLACES),
        bonus=bonus.quantize(SHARE_PLACES),
        total=total.quantize(SHARE_PLACES),
    )


def _covers(
    valid_from: InstrumentedAttribute[dt.date],
    valid_to: InstrumentedAttribute[dt.date | None],
    day: dt.date,
) -> ColumnElement[bool]:
    return and_(valid_from <= day, or_(valid_to.is_(None), valid_to >= day))


async def in_force(
    session: AsyncSession, day: dt.date
) -> tuple[PoolRuleSet, list[PoolShareBand]] | None:
    """The rule set in force on ``day`` and its bands (validity periods never overlap)."""
    rules = await session.scalar(
        select(PoolRuleSet).where(_covers(PoolRuleSet.valid_from, PoolRuleSet.valid_to, day))
    )
    if rules is None:
        return None
    bands = list(
        await session.scalars(
            select(PoolShareBand)
            .where(PoolShareBand.rule_set_id == rules.id)
            .order_by(PoolShareBand.up_to)
        )
    )
    return rules, bands


async def on_priority_list(session: AsyncSession, uscc: str, day: dt.date) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    PoolPriorityFirm.uscc == uscc,
                    _covers(PoolPriorityFirm.valid_from, PoolPriorityFirm.valid_to, day),
                )
            )
        )
    )


def rule_set_out(rules: PoolRuleSet, bands: list[PoolShareBand]) -> PoolRuleSetOut:
    return PoolRuleSetOut(
        id=rules.id,
        name=rules.name,
        document=rules.document,
        valid_from=rules.valid_from,
        valid_to=rules.valid_to,
        bands=[PoolBandOut(up_to=b.up_to.quantize(Decimal("0.01")), share=b.share) for b in bands],
        priority_bonus=rules.priority_bonus,
        pboc_bonus=rules.pboc_bonus,
        ceiling=rules.ceiling,
        pause_loss_rate=rules.pause_loss_rate,
        annual_cap=rules.annual_cap.quantize(Decimal("0.01")),
        created_at=rules.created_at,
    )


def _firm_out(firm: PoolPriorityFirm) -> PriorityFirmOut:
    return PriorityFirmOut(
        id=firm.id,
        uscc=firm.uscc,
        name=firm.name,
        valid_from=firm.valid_from,
        valid_to=firm.valid_to,
        note=firm.note,
        created_at=firm.created_at,
    )


def _check_period(valid_from: dt.date, valid_to: dt.date | None) -> None:
    check_date("valid_from", valid_from)
    if valid_to is not None:
        check_date("valid_to", valid_to)
        if valid_to < valid_from:
            raise InvalidInput.field("valid_to", "before valid_from", "validity_order")


class PoolRules:
    """Rule sets and the priority list, as the office keeps them (every change audited)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rule_sets(self) -> list[PoolRuleSetOut]:
        """Every rule set, newest validity first, with its bands."""
        sets = list(
            await self.session.scalars(select(PoolRuleSet).order_by(PoolRuleSet.valid_from.desc()))
        )
        bands = list(
            await self.session.scalars(
                select(PoolShareBand)
                .where(PoolShareBand.rule_set_id.in_([s.id for s in sets]))
                .order_by(PoolShareBand.up_to)
            )
        )
        return [rule_set_out(s, [b for b in bands if b.rule_set_id == s.id]) for s in sets]

    async def add_rule_set(self, data: PoolRuleSetIn, principal: Principal) -> PoolRuleSetOut:
        """A new rule set. An open-ended set that starts before it is closed the day before
        (refused if a loan registered under that set was disbursed on or after the new start);
        any other overlap is refused (409)."""
        _check_period(data.valid_from, data.valid_to)
        name = clean_text("name", data.name)
        bands_in = [
            (
                checks.yuan(f"bands[{i}].up_to", b.up_to, positive=True),
                checks.share(f"bands[{i}].share", b.share),
            )
            for i, b in enumerate(data.bands)
        ]
        priority_bonus = checks.share("priority_bonus", data.priority_bonus)
        pboc_bonus = checks.share("pboc_bonus", data.pboc_bonus)
        ceiling = checks.share("ceiling", data.ceiling, positive=True)
        pause = checks.share("pause_loss_rate", data.pause_loss_rate, positive=True)
        annual_cap = checks.yuan("annual_cap", data.annual_cap)
        ups = [up for up, _ in bands_in]
        if len(set(ups)) != len(ups):
            raise InvalidInput.field("bands", "two bands end at the same amount", "bands_repeat")
        # One writer of rule sets at a time: the validity checks below must see every other.
        await self.session.execute(select(func.pg_advisory_xact_lock(_RULES_LOCK)))
        closed: PoolRuleSet | None = None
        previous = await self.session.scalar(
            select(PoolRuleSet)
            .where(PoolRuleSet.valid_from < data.valid_from, PoolRuleSet.valid_to.is_(None))
            .with_for_update()
        )
        if previous is not None:
            used = await self.session.scalar(
                select(
                    exists().where(
                        PoolRegistration.rule_set_id == previous.id,
                        PoolRegistration.disbursed_on >= data.valid_from,
                    )
                )
            )
            if used:
                raise Conflict(
                    f"loans disbursed from {data.valid_from.isoformat()} were registered under "
                    f"'{previous.name}': a new rule set cannot start before they were"
                )
            previous.valid_to = data.valid_from - dt.timedelta(days=1)
            closed = previous
        end = data.valid_to
        await self.session.flush()  # the closed set's new end counts in the check
        overlap = await self.session.scalar(
            select(PoolRuleSet.name).where(
                PoolRuleSet.valid_from <= (end or dt.date.max),
                or_(PoolRuleSet.valid_to.is_(None), PoolRuleSet.valid_to >= data.valid_from),
            )
        )
        if overlap is not None:
            raise Conflict(f"the rule set '{overlap}' is in force for part of that period")
        rules = PoolRuleSet(
            name=name,
            document=clean_text("document", data.document) if data.document else None,
            valid_from=data.valid_from,
            valid_to=end,
            priority_bonus=priority_bonus,
            pboc_bonus=pboc_bonus,
            ceiling=ceiling,
            pause_loss_rate=pause,
            annual_cap=annual_cap,
            created_by=principal.user_id,
        )
        self.session.add(rules)
        await self.session.flush()
        bands = [
            PoolShareBand(rule_set_id=rules.id, up_to=up, share=part)
            for up, part in sorted(bands_in)
        ]
        self.session.add_all(bands)
        await self.session.flush()
        await AuditLog(self.session).append(
            action="office.pool.rule_set.create",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=201,
            detail={
                "rule_set_id": str(rules.id),
                "name": rules.name,
                "valid_from": rules.valid_from.isoformat(),
                "valid_to": rules.valid_to.isoformat() if rules.valid_to else None,
                "closed_rule_set_id": str(closed.id) if closed else None,
                "bands": [[str(b.up_to), str(b.share)] for b in bands],
                "priority_bonus": str(rules.priority_bonus),
                "pboc_bonus": str(rules.pboc_bonus),
                "ceiling": str(rules.ceiling),
                "pause_loss_rate": str(rules.pause_loss_rate),
                "annual_cap": str(rules.annual_cap),
            },
        )
        return rule_set_out(rules, bands)

    async def firms(self, *, on: dt.date | None = None) -> list[PriorityFirmOut]:
        """The priority list, newest first; only the firms listed on ``on`` if given."""
        query = select(PoolPriorityFirm)
        if on is not None:
            check_date("on", on)
            query = query.where(_covers(PoolPriorityFirm.valid_from, PoolPriorityFirm.valid_to, on))
        rows = await self.session.scalars(
            query.order_by(PoolPriorityFirm.valid_from.desc(), PoolPriorityFirm.id.desc())
        )
        return [_firm_out(f) for f in rows]

    async def add_firm(self, data: PriorityFirmIn, principal: Principal) -> PriorityFirmOut:
        """Put a firm on the list for a period (409 if it is already listed for part of it)."""
        try:
            uscc = validate_uscc(data.uscc)
        except CodeError as exc:
            raise InvalidInput.field("uscc", exc.message, exc.rule) from None
        _check_period(data.valid_from, data.valid_to)
        name = clean_text("name", data.name)
        end = data.valid_to or dt.date.max
        overlap = await self.session.scalar(
            select(PoolPriorityFirm.id)
            .where(
                PoolPriorityFirm.uscc == uscc,
                PoolPriorityFirm.valid_from <= end,
                or_(
                    PoolPriorityFirm.valid_to.is_(None),
                    PoolPriorityFirm.valid_to >= data.valid_from,
                ),
            )
            .with_for_update()
        )
        if overlap is not None:
            raise Conflict("the firm is already on the list for part of that period")
        firm = PoolPriorityFirm(
            uscc=uscc,
            name=name,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            note=clean_text("note", data.note, kind="text") if data.note else None,
            added_by=principal.user_id,
        )
        self.session.add(firm)
        await self.session.flush()
        await AuditLog(self.session).append(
            action="office.pool.priority_firm.add",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=201,
            detail={
                "firm_id": str(firm.id),
                "uscc": uscc,
                "valid_from": firm.valid_from.isoformat(),
                "valid_to": firm.valid_to.isoformat() if firm.valid_to else None,
            },
        )
        return _firm_out(firm)

    async def end_firm(
        self, firm_id: UUID, valid_to: dt.date, principal: Principal
    ) -> PriorityFirmOut:
        """Take a firm off the list after ``valid_to`` (not before its start; registrations
        made meanwhile keep their share)."""
        check_date("valid_to", valid_to)
        firm = await self.session.scalar(
            select(PoolPriorityFirm).where(PoolPriorityFirm.id == firm_id).with_for_update()
        )
        if firm is None:
            raise NotFound("no such firm on the priority list")
        if valid_to < firm.valid_from:
            raise InvalidInput.field("valid_to", "before the firm was listed", "validity_order")
        if firm.valid_to is not None and valid_to > firm.valid_to:
            raise Conflict("the listing already ends earlier")
        before = firm.valid_to
        firm.valid_to = valid_to
        await self.session.flush()
        await AuditLog(self.session).append(
            action="office.pool.priority_firm.end",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            detail={
                "firm_id": str(firm.id),
                "uscc": firm.uscc,
                "valid_to": valid_to.isoformat(),
                "valid_to_before": before.isoformat() if before else None,
            },
        )
        return _firm_out(firm)
