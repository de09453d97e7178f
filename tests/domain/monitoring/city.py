"""A generated city for the statistics' acceptance tests, built once per module:

1. the demo city (200 SMEs, five banks, their products) and a history of a few thousand
   applications and loans over two years (approvals, rejections, withdrawals, disbursements,
   repayments, overdue reports, cures, defaults, settlements) written by COPY, then the rollups
   rebuilt from it;
2. on top, a few hundred applications and loan events driven through the real services
   (``ApplicationService.submit`` / ``decide``, ``LoanService.record``), which keep the rollups
   incrementally, with replays of loan events and recoveries after defaults;
3. the SMEs' side arranged as rows: registrations (verification days spread over two years),
   authorizations (live, revoked, expired), needs and claims.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import msgspec
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from xinyidai.dates import china_today, utc_now
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.applications.loans import LoanService
from xinyidai.domain.applications.schemas import (
    ApplicationCreate,
    ConsentGrant,
    DecisionIn,
    LoanEventIn,
    Outcome,
)
from xinyidai.domain.applications.services import ApplicationService
from xinyidai.domain.applications.vocabulary import Actor, LoanEventKind, RejectReason
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.demo.applications import seed_demo_applications
from xinyidai.domain.demo.products import seed_demo_products
from xinyidai.domain.demo.seed import seed_demo
from xinyidai.domain.monitoring.rebuild import rebuild
from xinyidai.domain.needs.vocabulary import NeedPurpose
from xinyidai.domain.products.schemas import ProductIn
from xinyidai.models import (
    DataAuthorization,
    EnterpriseClaim,
    Need,
    NeedClaim,
    Product,
    ProductVersion,
    Role,
    User,
)
from xinyidai.settings import Settings

K = LoanEventKind
HISTORY = 3000
DRIVEN = 200
ROLLUP_TABLES = ("stat_daily", "stat_response")


@dataclass
class City:
    replays: int  # loan events sent again (same key and body)
    driven_events: int
    sent: list[tuple[UUID, UUID, LoanEventIn, str]]  # (bank, loan, body, key) as recorded


async def snapshot_rollups(session: AsyncSession) -> None:
    """Keep a copy of the rollups as they are (temporary tables, for ``rollups_differ``)."""
    for table in ROLLUP_TABLES:
        await session.execute(text(f"CREATE TEMPORARY TABLE kept_{table} AS TABLE {table}"))


async def rollups_differ(session: AsyncSession) -> int:
    """How many rollup rows differ from the copy ``snapshot_rollups`` kept (either way)."""
    differ = 0
    for table in ROLLUP_TABLES:
        differ += int(
            await session.scalar(
                text(
                    f"SELECT count(*) FROM ((TABLE kept_{table} EXCEPT ALL TABLE {table}) "  # noqa: S608
                    f"UNION ALL (TABLE {table} EXCEPT ALL TABLE kept_{table})) AS d"
                )
            )
            or 0
        )
    return differ


async def rollup_count(session: AsyncSession) -> int:
    total = 0
    for table in ROLLUP_TABLES:
        statement = text(f"SELECT count(*) FROM {table}")  # noqa: S608
        total += int(await session.scalar(statement) or 0)
    return total


async def build(session: AsyncSession, redis: Redis, settings: Settings) -> City:
    rng = random.Random(17)
    world = World(session, redis, settings)
    await seed_demo(session, redis, settings)
    await seed_demo_products(session, redis)
    await session.commit()
    await seed_demo_applications(session, size=HISTORY)
    await rebuild(session)
    await session.commit()
    smes = await _verified_smes(world, 24)
    events = await _drive(session, rng, smes)
    await _smes_side(session, rng)
    await session.commit()
    return City(replays=events[1], driven_events=events[0], sent=events[2])


async def _verified_smes(world: World, count: int) -> list[Principal]:
    """Demo SMEs whose owners' claims are verified (as the identity service would)."""
    owners = list(
        await world.session.scalars(
            select(User).where(User.email.like("owner-%")).order_by(User.email).limit(count)
        )
    )
    principals = []
    for owner in owners:
        claim = await world.verify(owner.id)
        assert claim.enterprise_id is not None
        principals.append(
            Principal(
                user_id=owner.id,
                email=owner.email,
                role=Role.SME,
                enterprise_id=claim.enterprise_id,
                bank_id=None,
            )
        )
    return principals


async def _products(session: AsyncSession) -> list[tuple[Product, ProductIn]]:
    rows = await session.execute(
        select(Product, ProductVersion.content).join(
            ProductVersion,
            (ProductVersion.product_id == Product.id) & (ProductVersion.version == Product.version),
        )
    )
    return [(p, msgspec.convert(content, ProductIn)) for p, content in rows]


async def _drive(
    session: AsyncSession, rng: random.Random, smes: list[Principal]
) -> tuple[int, int, list[tuple[UUID, UUID, LoanEventIn, str]]]:
    """Applications and loan events through the services; some loan events sent twice."""
    products = await _products(session)
    applications = ApplicationService(session)
    loans = LoanService(session)
    today = china_today()
    sent = replays = 0
    bodies: list[tuple[UUID, UUID, LoanEventIn, str]] = []
    for n in range(DRIVEN):
        sme = rng.choice(smes)
        product, terms = rng.choice(products)
        amount = Decimal(rng.randrange(int(terms.amount_min), int(terms.amount_max) + 1, 1000))
        amount = max(terms.amount_min, min(terms.amount_max, amount))
        term = rng.randint(terms.term_min_months, terms.term_max_months)
        applied, _ = await applications.submit(
            ApplicationCreate(
                product_id=product.id,
                amount=amount,
                term_months=term,
                purpose=NeedPurpose.WORKING_CAPITAL,
                consent=ConsentGrant(families=[SharedData.SCORE]),
            ),
            f"driven-{n}",
            sme,
        )
        fate = rng.random()
        if fate < 0.1:
            await session.commit()  # left undecided
            continue
        if fate < 0.3:
            await applications.decide(
                product.bank_id,
                applied.id,
                DecisionIn(outcome=Outcome.REJECT, reason=RejectReason.DEBT_CAPACITY),
                Actor.BANK,
                "test",
            )
            await session.commit()
            continue
        rate = (terms.rate_floor + terms.rate_ceiling) / 2
        decided = await applications.decide(
            product.bank_id,
            applied.id,
            DecisionIn(
                outcome=Outcome.APPROVE,
                amount=amount,
                annual_rate=rate.quantize(Decimal("0.000001")),
                term_months=term,
            ),
            Actor.BANK,
            "test",
        )
        await session.commit()
        assert decided.loan_id is not None
        if fate < 0.4:
            continue  # approved, not paid out yet
        story: list[LoanEventIn] = [
            LoanEventIn(
                kind=K.DISBURSED,
                occurred_on=today,
                amount=amount,
                prior_credit=rng.random() < 0.3,
            )
        ]
        trouble = rng.random()
        if trouble < 0.25:  # overdue twice (counted once), then default
            story += [
                LoanEventIn(kind=K.OVERDUE, occurred_on=today, amount=amount / 10, days_overdue=15),
                LoanEventIn(kind=K.OVERDUE, occurred_on=today, amount=amount / 5, days_overdue=45),
                LoanEventIn(kind=K.DEFAULT, occurred_on=today, amount=amount / 2),
            ]
            if rng.random() < 0.5:  # part of the loss recovered (no statistic moves)
                recovered = (amount / 8).quantize(Decimal("0.01"))
                story.append(LoanEventIn(kind=K.RECOVERY, occurred_on=today, amount=recovered))
        elif trouble < 0.5:  # overdue, cured by a repayment, overdue again
            story += [
                LoanEventIn(kind=K.OVERDUE, occurred_on=today, amount=amount / 10, days_overdue=20),
                LoanEventIn(kind=K.REPAYMENT, occurred_on=today, amount=amount / 10),
                LoanEventIn(kind=K.OVERDUE, occurred_on=today, amount=amount / 10, days_overdue=10),
            ]
        elif trouble < 0.7:  # repaid and settled
            story += [
                LoanEventIn(
                    kind=K.REPAYMENT, occurred_on=today, amount=amount / 4, interest=Decimal("100")
                ),
                LoanEventIn(kind=K.SETTLED, occurred_on=today, amount=amount - amount / 4),
            ]
        for i, event in enumerate(story):
            key = f"driven-{n}-{i}"
            bodies.append((product.bank_id, decided.loan_id, event, key))
            for attempt in range(2 if rng.random() < 0.3 else 1):
                _, replay = await loans.record(
                    product.bank_id,
                    decided.loan_id,
                    event,
                    key,
                    actor=Actor.BANK,
                    actor_id="test",
                    future_days=7,
                )
                assert replay == (attempt == 1)
                replays += attempt
                sent += 1 - attempt
            await session.commit()
    return sent, replays, bodies


async def _smes_side(session: AsyncSession, rng: random.Random) -> None:
    """Registrations over two years, authorizations of every kind, needs and claims."""
    now = utc_now()
    enterprises = [
        row[0] for row in await session.execute(text("SELECT id FROM enterprises ORDER BY uscc"))
    ]
    for enterprise_id in enterprises[::2]:
        if rng.random() < 0.8:
            await session.execute(
                text(
                    "UPDATE enterprises SET verified_at = :at "
                    "WHERE id = :id AND verified_at IS NULL"
                ),
                {"id": enterprise_id, "at": now - dt.timedelta(days=rng.uniform(0, 730))},
            )
    families = ["tax", "electricity", "water", "gas", "social_insurance", "housing_fund"]
    for n, enterprise_id in enumerate(enterprises[: len(enterprises) * 3 // 4]):
        granted = now - dt.timedelta(days=rng.uniform(1, 500))
        session.add(
            DataAuthorization(
                enterprise_id=enterprise_id,
                reference=f"AUTH-STATS-{n:05d}",
                families=rng.sample(families, rng.randint(1, 4)),
                purpose="测试授权",
                created_at=granted,
                expires_at=granted + dt.timedelta(days=rng.choice([30, 200, 365])),
                revoked_at=granted + dt.timedelta(days=10) if rng.random() < 0.15 else None,
            )
        )
    owners = dict(
        (
            await session.execute(
                select(EnterpriseClaim.enterprise_id, EnterpriseClaim.user_id).where(
                    EnterpriseClaim.enterprise_id.is_not(None)
                )
            )
        ).all()
    )
    users = [
        row[0]
        for row in await session.execute(text("SELECT id FROM users WHERE role = 'bank' LIMIT 1"))
    ]
    banks: list[UUID] = [row[0] for row in await session.execute(text("SELECT id FROM banks"))]
    some_user = users[0]
    for n in range(300):
        enterprise_id = rng.choice(enterprises)
        created = now - dt.timedelta(days=rng.uniform(0, 700))
        need = Need(
            enterprise_id=enterprise_id,
            created_by=owners.get(enterprise_id, some_user),
            amount=Decimal(rng.randrange(100_000, 3_000_000, 10_000)),
            term_months=12,
            purpose=NeedPurpose.WORKING_CAPITAL,
            max_rate=Decimal("0.06"),
            deadline=(created + dt.timedelta(days=30)).date(),
            status="expired" if rng.random() < 0.5 else "open",
            closed_at=None,
            created_at=created,
        )
        need.closed_at = created + dt.timedelta(days=30) if need.status != "open" else None
        session.add(need)
        await session.flush()
        for bank_id in rng.sample(banks, rng.choice([0, 0, 1, 2])):
            session.add(
                NeedClaim(
                    need_id=need.id,
                    bank_id=bank_id,
                    created_by=some_user,
                    status="withdrawn",
                    amount=need.amount,
                    rate=Decimal("0.05"),
                    term_months=12,
                    conditions=[],
                    response_days=3,
                    respond_by=(created + dt.timedelta(days=3)).date(),
                    created_at=created + dt.timedelta(days=1),
                )
            )
        _ = n


async def replay_all(session: AsyncSession, city: City) -> int:
    """Every loan event the services recorded in ``build``, sent again as it was (same key,
    same body): the number replayed."""
    loans = LoanService(session)
    for bank_id, loan_id, body, key in city.sent:
        _, replay = await loans.record(
            bank_id, loan_id, body, key, actor=Actor.BANK, actor_id="test", future_days=7
        )
        assert replay
    return len(city.sent)
