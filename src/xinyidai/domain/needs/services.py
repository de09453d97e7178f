"""The needs pool: an SME posts, lists, reads and withdraws its needs and reads the claims on
them; a bank browses the anonymised pool, claims a listing with an offer, lists and withdraws
its claims; a job expires what ran out of time. Accepting a claim spans consents: ``flows.py``.

What a bank is shown of a need is built here and only here (``_listing``): bands and the
generalised industry and district of ``anonymise.py``, never the SME's name, USCC, enterprise
id, exact amount, exact rate cap or note. The pool's filters and order work on what is shown
(a filter on the exact amount, or an order by it, would let a bank find the figure by asking).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from xinyidai.dates import CHINA_TZ, add_working_days, china_today, utc_now
from xinyidai.domain.accounts.guards import (
    Principal,
    require_bank_or_admin,
    require_bank_user,
    require_own_enterprise,
)
from xinyidai.domain.enterprises.codes import SECTION_BY_CODE, section_of_division
from xinyidai.domain.needs import anonymise
from xinyidai.domain.needs.anonymise import (
    AmountBand,
    Generalisation,
    GradeBand,
    RegistryCounts,
    SizeBand,
)
from xinyidai.domain.needs.schemas import (
    MAX_DEADLINE_DAYS,
    BandOut,
    BankClaimOut,
    ClaimCreate,
    IndustryShown,
    Listing,
    ListingPage,
    NeedCreate,
    NeedOut,
    RegionShown,
    SmeClaimOut,
    SmeIdentity,
)
from xinyidai.domain.needs.vocabulary import (
    ClaimCondition,
    NeedClaimStatus,
    NeedPurpose,
    NeedStatus,
)
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.infra.bounds import check_date
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    Bank,
    CreditScore,
    Enterprise,
    EnterpriseStatus,
    Need,
    NeedClaim,
    ProfileSnapshot,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

MAX_MONEY = Decimal("100000000000")
MAX_RATE = Decimal("0.36")
CENTS = Decimal("0.01")
MAX_OPEN_NEEDS = 5
"""An SME has at most this many open needs at once."""
LIVE_CLAIMS = (NeedClaimStatus.OPEN.value, NeedClaimStatus.ACCEPTED.value)


# --- input rules ---------------------------------------------------------------------------------
def check_amount(field: str, value: Decimal) -> Decimal:
    """A positive amount of yuan within bounds, with at most 2 places (returned with 2)."""
    if not value.is_finite() or value <= 0 or value > MAX_MONEY:
        raise InvalidInput.field(
            field, "an amount is above 0 and at most 100,000,000,000 yuan", "amount_range"
        )
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput.field(
            field, "an amount has at most 2 decimal places", "amount_precision"
        )
    return value.quantize(CENTS)


def check_rate(field: str, value: Decimal) -> Decimal:
    """An annual rate above 0 and at most 0.36 with at most 6 places (returned normalised)."""
    if not value.is_finite() or value <= 0 or value > MAX_RATE:
        raise InvalidInput.field(field, "a rate is above 0 and at most 0.36 (36%)", "rate_range")
    if value != value.quantize(Decimal("0.000001")):
        raise InvalidInput.field(field, "a rate has at most 6 decimal places", "rate_precision")
    return value.normalize()


# --- what the pool shows ------------------------------------------------------------------------
_FAMILIES_SHOWN = ("tax", "social_insurance")
_LATEST_GRADE = (
    select(CreditScore.grade)
    .where(CreditScore.enterprise_id == Need.enterprise_id)
    .order_by(
        CreditScore.snapshot_version.desc(), CreditScore.created_at.desc(), CreditScore.id.desc()
    )
    .limit(1)
    .correlate(Need)
    .scalar_subquery()
)
# Of the latest snapshot, only the two families' flags and summaries (not their months).
_LATEST_SIZE_FACTS = (
    select(
        func.jsonb_build_object(
            *[
                part
                for family in _FAMILIES_SHOWN
                for part in (
                    family,
                    ProfileSnapshot.content[("families", family)].op("-")("months"),
                )
            ]
        )
    )
    .where(ProfileSnapshot.enterprise_id == Need.enterprise_id)
    .order_by(ProfileSnapshot.version.desc())
    .limit(1)
    .correlate(Need)
    .scalar_subquery()
)


def _facts(query: Select[Any]) -> Select[Any]:
    """``query`` (over ``Need``) with what a listing is made of beside each need."""
    return query.join(Enterprise, Enterprise.id == Need.enterprise_id).add_columns(
        Enterprise.industry_division,
        Enterprise.district_code,
        _LATEST_GRADE.label("grade"),
        _LATEST_SIZE_FACTS.label("size_facts"),
    )


@dataclass(frozen=True, slots=True)
class Facts:
    """A need with what its listing is made of (read together, one statement)."""

    need: Need
    division: str
    district: str
    grade: str | None
    size_facts: dict[str, Any] | None


def _rows(rows: Iterable[Any]) -> list[Facts]:
    return [Facts(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def registry_counts(session: AsyncSession, districts: Iterable[str]) -> RegistryCounts:
    """Active registered enterprises per (division, district) in the cities of ``districts``:
    every group of the ladder that a listing in those districts can be shown at."""
    cities = sorted({anonymise.city_of(d) for d in districts})
    if not cities:
        return RegistryCounts([])
    rows = await session.execute(
        select(Enterprise.industry_division, Enterprise.district_code, func.count())
        .where(
            Enterprise.status == EnterpriseStatus.ACTIVE.value,
            or_(*[Enterprise.district_code.between(c[:4] + "00", c[:4] + "99") for c in cities]),
        )
        .group_by(Enterprise.industry_division, Enterprise.district_code)
    )
    return RegistryCounts((division, district, int(n)) for division, district, n in rows)


def _band(band: anonymise.Band) -> BandOut:
    return BandOut(code=band.code, low=band.low, high=band.high)


def _industry(shown: anonymise.Shown) -> IndustryShown:
    if shown.industry is None:
        return IndustryShown(level="none", code=None, name_zh=None, name_en=None)
    is_division = len(shown.industry) == 2
    section = SECTION_BY_CODE[
        section_of_division(shown.industry) if is_division else shown.industry
    ]
    return IndustryShown(
        level="division" if is_division else "section",
        code=shown.industry,
        name_zh=section.zh,
        name_en=section.en,
    )


def _listing(facts: Facts, counts: RegistryCounts, my_claim: UUID | None = None) -> Listing | None:
    """The need as the pool shows it, or None when its city's registry is too thin."""
    shown = anonymise.generalise(counts, facts.division, facts.district)
    if shown is None:
        return None
    need = facts.need
    revenue, headcount = anonymise.size_inputs(facts.size_facts)
    city_level = shown.level in (Generalisation.SECTION_CITY, Generalisation.CITY)
    return Listing(
        id=need.id,
        industry=_industry(shown),
        district=RegionShown(level="city" if city_level else "district", code=shown.district),
        generalisation=shown.level,
        k=shown.k,
        size_band=anonymise.size_band(revenue, headcount),
        grade_band=anonymise.grade_band(facts.grade),
        amount_band=_band(anonymise.amount_band(need.amount)),
        term_months=need.term_months,
        purpose=NeedPurpose(need.purpose),
        rate_cap_band=_band(anonymise.rate_band(need.max_rate)),
        deadline=need.deadline,
        status=NeedStatus(need.status),
        published_on=need.created_at.astimezone(CHINA_TZ).date(),
        my_claim_id=my_claim,
    )


@dataclass(frozen=True, slots=True)
class PoolFilter:
    """Filters on what a listing shows (never on hidden figures)."""

    industry: str | None = None  # a section letter or a division
    district: str | None = None  # a district or a city code
    amount_band: AmountBand | None = None
    grade_band: GradeBand | None = None
    size_band: SizeBand | None = None
    purpose: NeedPurpose | None = None

    def keeps(self, listing: Listing) -> bool:
        """Whether the listing, as shown, passes every filter given."""
        return (
            self._industry_ok(listing)
            and self._district_ok(listing)
            and (self.amount_band is None or listing.amount_band.code == self.amount_band)
            and (self.grade_band is None or listing.grade_band == self.grade_band)
            and (self.size_band is None or listing.size_band == self.size_band)
            and (self.purpose is None or listing.purpose == self.purpose)
        )

    def _industry_ok(self, listing: Listing) -> bool:
        shown = listing.industry.code
        if self.industry is None:
            return True
        if shown is None:
            return False
        if shown == self.industry:
            return True
        return len(shown) == 2 and section_of_division(shown) == self.industry

    def _district_ok(self, listing: Listing) -> bool:
        if self.district is None:
            return True
        shown = listing.district.code
        return shown == self.district or (
            self.district.endswith("00") and anonymise.city_of(shown) == self.district
        )


def _sme_claim(claim: NeedClaim, bank_name: str) -> SmeClaimOut:
    return SmeClaimOut(
        id=claim.id,
        bank_id=claim.bank_id,
        bank_name=bank_name,
        status=NeedClaimStatus(claim.status),
        amount=claim.amount,
        rate=claim.rate.normalize(),
        term_months=claim.term_months,
        conditions=[ClaimCondition(c) for c in claim.conditions],
        response_days=claim.response_days,
        respond_by=claim.respond_by,
        claimed_at=claim.created_at,
        decided_at=claim.decided_at,
        consent_id=claim.consent_id,
    )


def _bank_claim(
    claim: NeedClaim, listing: Listing | None, identity: SmeIdentity | None
) -> BankClaimOut:
    won = claim.status == NeedClaimStatus.ACCEPTED
    return BankClaimOut(
        id=claim.id,
        bank_id=claim.bank_id,
        status=NeedClaimStatus(claim.status),
        amount=claim.amount,
        rate=claim.rate.normalize(),
        term_months=claim.term_months,
        conditions=[ClaimCondition(c) for c in claim.conditions],
        response_days=claim.response_days,
        respond_by=claim.respond_by,
        claimed_at=claim.created_at,
        decided_at=claim.decided_at,
        listing=listing,
        enterprise=identity if won else None,
        consent_id=claim.consent_id if won else None,
    )


class NeedService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the SME's side ----------------------------------------------------------------------
    async def post(
        self,
        enterprise_id: UUID,
        data: NeedCreate,
        principal: Principal,
        *,
        today: dt.date | None = None,
    ) -> NeedOut:
        """Post a need: open at once, in the pool (anonymised) until its deadline."""
        require_own_enterprise(principal, enterprise_id)
        today = today or china_today()
        amount = check_amount("amount", data.amount)
        max_rate = check_rate("max_rate", data.max_rate)
        deadline = check_date(
            "deadline",
            data.deadline,
            earliest=today + dt.timedelta(days=1),
            latest=today + dt.timedelta(days=MAX_DEADLINE_DAYS),
        )
        note = (
            clean_text("note", data.note, kind="text") if data.note and data.note.strip() else None
        )
        enterprise = await self.session.scalar(
            select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update()
        )
        if enterprise is None:
            raise NotFound("no such enterprise")
        open_now = await self.session.scalar(
            select(func.count()).where(
                Need.enterprise_id == enterprise_id, Need.status == NeedStatus.OPEN.value
            )
        )
        if (open_now or 0) >= MAX_OPEN_NEEDS:
            raise Conflict(
                f"an enterprise has at most {MAX_OPEN_NEEDS} open needs; withdraw one first"
            )
        need = Need(
            enterprise_id=enterprise_id,
            created_by=principal.user_id,
            status=NeedStatus.OPEN,
            amount=amount,
            term_months=data.term_months,
            purpose=data.purpose,
            note=note,
            max_rate=max_rate,
            deadline=deadline,
        )
        self.session.add(need)
        await self.session.flush()
        log.info("need_posted", need_id=str(need.id), enterprise_id=str(enterprise_id))
        return await self.need_out(need)

    async def _own_need(self, enterprise_id: UUID, need_id: UUID, *, lock: bool = False) -> Need:
        query = select(Need).where(Need.id == need_id, Need.enterprise_id == enterprise_id)
        need = await self.session.scalar(query.with_for_update() if lock else query)
        if need is None:
            raise NotFound("no such need")
        return need

    async def _sme_listings(self, needs: Sequence[Need]) -> dict[UUID, Listing | None]:
        if not needs:
            return {}
        facts = _rows(
            await self.session.execute(
                _facts(select(Need).where(Need.id.in_([n.id for n in needs])))
            )
        )
        counts = await registry_counts(self.session, [f.district for f in facts])
        return {f.need.id: _listing(f, counts) for f in facts}

    async def _open_claims(self, need_ids: Sequence[UUID]) -> dict[UUID, int]:
        if not need_ids:
            return {}
        rows = await self.session.execute(
            select(NeedClaim.need_id, func.count())
            .where(NeedClaim.need_id.in_(need_ids), NeedClaim.status == NeedClaimStatus.OPEN.value)
            .group_by(NeedClaim.need_id)
        )
        return {need_id: int(n) for need_id, n in rows}

    async def _need_outs(self, needs: Sequence[Need]) -> list[NeedOut]:
        listings = await self._sme_listings(needs)
        open_claims = await self._open_claims([n.id for n in needs])
        return [
            NeedOut(
                id=n.id,
                enterprise_id=n.enterprise_id,
                status=NeedStatus(n.status),
                amount=n.amount,
                term_months=n.term_months,
                purpose=NeedPurpose(n.purpose),
                note=n.note,
                max_rate=n.max_rate.normalize(),
                deadline=n.deadline,
                created_at=n.created_at,
                closed_at=n.closed_at,
                open_claims=open_claims.get(n.id, 0),
                listing=listings.get(n.id),
            )
            for n in needs
        ]

    async def need_out(self, need: Need) -> NeedOut:
        """The need as its SME sees it (with its listing as banks see it)."""
        (out,) = await self._need_outs([need])
        return out

    async def of_enterprise(self, enterprise_id: UUID, principal: Principal) -> list[NeedOut]:
        """The SME's needs, newest first, each with how the pool shows it."""
        require_own_enterprise(principal, enterprise_id)
        needs = await self.session.scalars(
            select(Need)
            .where(Need.enterprise_id == enterprise_id)
            .order_by(Need.created_at.desc(), Need.id.desc())
        )
        return await self._need_outs(list(needs))

    async def one(self, enterprise_id: UUID, need_id: UUID, principal: Principal) -> NeedOut:
        """One of the SME's needs."""
        require_own_enterprise(principal, enterprise_id)
        return await self.need_out(await self._own_need(enterprise_id, need_id))

    async def withdraw(self, enterprise_id: UUID, need_id: UUID, principal: Principal) -> NeedOut:
        """Take an open need out of the pool; its open claims are cancelled."""
        require_own_enterprise(principal, enterprise_id)
        need = await self._own_need(enterprise_id, need_id, lock=True)
        if need.status != NeedStatus.OPEN:
            raise Conflict(f"this need is {need.status}, not open")
        now = utc_now()
        need.status, need.closed_at = NeedStatus.WITHDRAWN, now
        await self._close_claims([need.id], NeedClaimStatus.CANCELLED, now)
        await self.session.flush()
        log.info("need_withdrawn", need_id=str(need.id))
        return await self.need_out(need)

    async def claims_on(
        self, enterprise_id: UUID, need_id: UUID, principal: Principal
    ) -> list[SmeClaimOut]:
        """Every claim on the SME's need, oldest first, with the bank's name and offer."""
        require_own_enterprise(principal, enterprise_id)
        need = await self._own_need(enterprise_id, need_id)
        rows = await self.session.execute(
            select(NeedClaim, Bank.name)
            .join(Bank, Bank.id == NeedClaim.bank_id)
            .where(NeedClaim.need_id == need.id)
            .order_by(NeedClaim.created_at, NeedClaim.id)
        )
        return [_sme_claim(claim, name) for claim, name in rows.all()]

    async def lock_for_accept(
        self, enterprise_id: UUID, need_id: UUID, claim_id: UUID, *, today: dt.date
    ) -> tuple[Need, NeedClaim]:
        """The open need and its open, unexpired claim, both locked (need first, as every
        writer locks them); 404 when either is not the SME's, 409 when either is closed."""
        need = await self._own_need(enterprise_id, need_id, lock=True)
        if need.status != NeedStatus.OPEN:
            raise Conflict(f"this need is {need.status}, not open")
        if need.deadline < today:
            raise Conflict("this need is past its deadline")
        claim = await self.session.scalar(
            select(NeedClaim)
            .where(NeedClaim.id == claim_id, NeedClaim.need_id == need.id)
            .with_for_update()
        )
        if claim is None:
            raise NotFound("no such claim")
        if claim.status != NeedClaimStatus.OPEN:
            raise Conflict(f"this claim is {claim.status}, not open")
        if claim.respond_by < today:
            raise Conflict("this claim's offer has expired")
        return need, claim

    async def settle(self, need: Need, claim: NeedClaim, consent_id: UUID) -> SmeClaimOut:
        """Mark the need accepted, ``claim`` the winner (naming the consent) and every other
        open claim on the need lost."""
        now = utc_now()
        claim.status, claim.decided_at, claim.consent_id = (
            NeedClaimStatus.ACCEPTED,
            now,
            consent_id,
        )
        need.status, need.closed_at = NeedStatus.ACCEPTED, now
        await self.session.flush()
        await self._close_claims([need.id], NeedClaimStatus.LOST, now)
        bank = await self.session.get(Bank, claim.bank_id)
        log.info("need_accepted", need_id=str(need.id), claim_id=str(claim.id))
        return _sme_claim(claim, bank.name if bank else "")

    async def _close_claims(
        self, need_ids: Sequence[UUID], status: NeedClaimStatus, now: dt.datetime
    ) -> int:
        if not need_ids:
            return 0
        result = await self.session.execute(
            update(NeedClaim)
            .where(NeedClaim.need_id.in_(need_ids), NeedClaim.status == NeedClaimStatus.OPEN.value)
            .values(status=status.value, decided_at=now, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- the bank's side ---------------------------------------------------------------------
    async def _pool_facts(self, *, need_id: UUID | None = None) -> list[Facts]:
        query = _facts(select(Need)).where(
            Need.status == NeedStatus.OPEN.value, Need.deadline >= china_today()
        )
        if need_id is not None:
            query = query.where(Need.id == need_id)
        return _rows(await self.session.execute(query.order_by(Need.id.desc())))

    async def _my_claims(self, bank_id: UUID, need_ids: Sequence[UUID]) -> dict[UUID, UUID]:
        if not need_ids:
            return {}
        rows = await self.session.execute(
            select(NeedClaim.need_id, NeedClaim.id).where(
                NeedClaim.bank_id == bank_id,
                NeedClaim.need_id.in_(need_ids),
                NeedClaim.status.in_(LIVE_CLAIMS),
            )
        )
        return {need_id: claim_id for need_id, claim_id in rows}

    async def pool(
        self,
        bank_id: UUID,
        principal: Principal,
        keep: PoolFilter,
        *,
        limit: int,
        offset: int,
    ) -> ListingPage:
        """Open needs before their deadline, anonymised, newest first (UUIDv7 ids: posting
        order), filtered on what is shown; listings whose city is too thin are left out."""
        require_bank_or_admin(principal, bank_id)
        facts = await self._pool_facts()
        counts = await registry_counts(self.session, [f.district for f in facts])
        mine = await self._my_claims(bank_id, [f.need.id for f in facts])
        shown = [
            listing
            for f in facts
            if (listing := _listing(f, counts, mine.get(f.need.id))) is not None
            and keep.keeps(listing)
        ]
        return ListingPage(
            items=shown[offset : offset + limit], total=len(shown), limit=limit, offset=offset
        )

    async def listing(self, bank_id: UUID, need_id: UUID, principal: Principal) -> Listing:
        """One listing of the pool (404 when it is not in the pool)."""
        require_bank_or_admin(principal, bank_id)
        return await self._pool_listing(bank_id, need_id)

    async def _pool_listing(self, bank_id: UUID, need_id: UUID) -> Listing:
        facts = await self._pool_facts(need_id=need_id)
        if not facts:
            raise NotFound("no such listing in the pool")
        counts = await registry_counts(self.session, [facts[0].district])
        mine = await self._my_claims(bank_id, [need_id])
        listing = _listing(facts[0], counts, mine.get(need_id))
        if listing is None:
            raise NotFound("no such listing in the pool")
        return listing

    async def claim(
        self, bank_id: UUID, need_id: UUID, data: ClaimCreate, principal: Principal
    ) -> BankClaimOut:
        """Claim a listing with an offer. The rate may not exceed the top of the listing's
        rate-cap band (the SME's exact cap is not shown, so it is not what is checked)."""
        require_bank_user(principal, bank_id, "claim for it")
        amount = check_amount("amount", data.amount)
        rate = check_rate("rate", data.rate)
        if len(set(data.conditions)) != len(data.conditions):
            raise InvalidInput.field("conditions", "a condition is listed twice", "duplicate")
        need = await self.session.scalar(
            select(Need).where(Need.id == need_id).with_for_update(read=True)
        )
        # Only what the pool lists may be claimed: the same 404 for an id that is not there.
        listing = await self._pool_listing(bank_id, need_id) if need is not None else None
        if need is None or listing is None:
            raise NotFound("no such listing in the pool")
        if listing.my_claim_id is not None:
            raise Conflict("this bank already has a live claim on this need")
        high = listing.rate_cap_band.high
        if high is not None and rate > high:
            raise InvalidInput.field(
                "rate",
                f"the need's highest acceptable rate is at most {high}",
                "rate_above_cap",
            )
        today = china_today()
        claim = NeedClaim(
            need_id=need.id,
            bank_id=bank_id,
            created_by=principal.user_id,
            status=NeedClaimStatus.OPEN,
            amount=amount,
            rate=rate,
            term_months=data.term_months,
            conditions=[c.value for c in data.conditions],
            response_days=data.response_days,
            respond_by=add_working_days(today, data.response_days),
        )
        self.session.add(claim)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent claim by the same bank won the race
            raise Conflict("this bank already has a live claim on this need") from exc
        log.info("need_claimed", need_id=str(need.id), claim_id=str(claim.id))
        listing.my_claim_id = claim.id
        return _bank_claim(claim, listing, None)

    async def _bank_claim_outs(
        self, claims: Sequence[NeedClaim], reader: Principal | None = None
    ) -> list[BankClaimOut]:
        """The claims as their bank sees them; naming the SME of a won claim is a read of the
        SME's data, written to its access log for ``reader``."""
        need_ids = list({c.need_id for c in claims})
        facts = (
            _rows(await self.session.execute(_facts(select(Need).where(Need.id.in_(need_ids)))))
            if need_ids
            else []
        )
        counts = await registry_counts(self.session, [f.district for f in facts])
        by_need = {f.need.id: f for f in facts}
        won = [c.need_id for c in claims if c.status == NeedClaimStatus.ACCEPTED]
        identities: dict[UUID, SmeIdentity] = {}
        if won:
            rows = await self.session.execute(
                select(Need.id, Enterprise.id, Enterprise.name, Enterprise.uscc)
                .join(Enterprise, Enterprise.id == Need.enterprise_id)
                .where(Need.id.in_(won))
            )
            identities = {
                need_id: SmeIdentity(enterprise_id=ent_id, name=name, uscc=uscc)
                for need_id, ent_id, name, uscc in rows
            }
            if reader is not None:
                for c in claims:
                    if c.need_id in identities:
                        await AccessLog(self.session).record(
                            identities[c.need_id].enterprise_id,
                            reader,
                            resource="need_claim",
                            detail=f"claim {c.id}: name and USCC of the SME that accepted it",
                            purpose=f"融资需求 need {c.need_id}",
                        )
        out = []
        for c in claims:
            live = c.status in LIVE_CLAIMS
            listing = _listing(by_need[c.need_id], counts, c.id if live else None)
            out.append(_bank_claim(c, listing, identities.get(c.need_id)))
        return out

    async def bank_claims(
        self, bank_id: UUID, principal: Principal, status: NeedClaimStatus | None = None
    ) -> list[BankClaimOut]:
        """The bank's claims, newest first; the SME's identity only on those it won."""
        require_bank_or_admin(principal, bank_id)
        query = select(NeedClaim).where(NeedClaim.bank_id == bank_id)
        if status is not None:
            query = query.where(NeedClaim.status == status.value)
        claims = await self.session.scalars(
            query.order_by(NeedClaim.created_at.desc(), NeedClaim.id.desc())
        )
        return await self._bank_claim_outs(list(claims), principal)

    async def _bank_own_claim(
        self, bank_id: UUID, claim_id: UUID, *, lock: bool = False
    ) -> NeedClaim:
        query = select(NeedClaim).where(NeedClaim.id == claim_id, NeedClaim.bank_id == bank_id)
        claim = await self.session.scalar(query.with_for_update() if lock else query)
        if claim is None:
            raise NotFound("no such claim")
        return claim

    async def bank_claim(self, bank_id: UUID, claim_id: UUID, principal: Principal) -> BankClaimOut:
        """One of the bank's claims."""
        require_bank_or_admin(principal, bank_id)
        claim = await self._bank_own_claim(bank_id, claim_id)
        (out,) = await self._bank_claim_outs([claim], principal)
        return out

    async def withdraw_claim(
        self, bank_id: UUID, claim_id: UUID, principal: Principal
    ) -> BankClaimOut:
        """Take back an open claim (the bank may claim the need again while it is open)."""
        require_bank_user(principal, bank_id, "claim for it")
        claim = await self._bank_own_claim(bank_id, claim_id, lock=True)
        if claim.status != NeedClaimStatus.OPEN:
            raise Conflict(f"this claim is {claim.status}, not open")
        claim.status, claim.decided_at = NeedClaimStatus.WITHDRAWN, utc_now()
        await self.session.flush()
        log.info("claim_withdrawn", claim_id=str(claim.id))
        (out,) = await self._bank_claim_outs([claim])
        return out

    # --- the expiry job ----------------------------------------------------------------------
    async def expire(self, *, today: dt.date | None = None) -> dict[str, int]:
        """Open needs past their deadline expire (with their open claims); open claims past
        their committed response time expire. Idempotent: a second run finds nothing."""
        today = today or china_today()
        now = utc_now()
        expired_needs = list(
            await self.session.scalars(
                update(Need)
                .where(Need.status == NeedStatus.OPEN.value, Need.deadline < today)
                .values(status=NeedStatus.EXPIRED.value, closed_at=now, updated_at=now)
                .returning(Need.id)
                .execution_options(synchronize_session=False)
            )
        )
        with_needs = await self._close_claims(expired_needs, NeedClaimStatus.EXPIRED, now)
        result = await self.session.execute(
            update(NeedClaim)
            .where(
                and_(NeedClaim.status == NeedClaimStatus.OPEN.value, NeedClaim.respond_by < today)
            )
            .values(status=NeedClaimStatus.EXPIRED.value, decided_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        claims = int(getattr(result, "rowcount", 0) or 0) + with_needs
        if expired_needs or claims:
            log.info("needs_expired", needs=len(expired_needs), claims=claims)
        return {"needs": len(expired_needs), "claims": claims}
