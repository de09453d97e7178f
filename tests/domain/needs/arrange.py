"""A small needs-pool world: a registry dense enough to list in, SMEs with verified owners,
banks with users, and one client that switches between them by session (no login throttle)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.conftest import World
from xinyidai.dates import china_today
from xinyidai.domain.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from xinyidai.models import (
    Bank,
    CreditScore,
    Enterprise,
    ModelVersion,
    ProfileSnapshot,
    Role,
    User,
)


def need_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "amount": "1234567.89",
        "term_months": 12,
        "purpose": "working_capital",
        "note": "春节前备货，急需流动资金",
        "max_rate": "0.0437",
        "deadline": (china_today() + dt.timedelta(days=30)).isoformat(),
    }
    payload.update(changes)
    return payload


def claim_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "amount": "1000000",
        "rate": "0.0395",
        "term_months": 12,
        "conditions": ["settlement_account"],
        "response_days": 3,
    }
    payload.update(changes)
    return payload


@dataclass
class Sme:
    enterprise: Enterprise
    user: User

    @property
    def needs(self) -> str:
        return f"/api/v1/enterprises/{self.enterprise.id}/needs"


@dataclass
class BankActor:
    bank: Bank
    user: User

    @property
    def pool(self) -> str:
        return f"/api/v1/banks/{self.bank.id}/needs-pool"

    @property
    def claims(self) -> str:
        return f"/api/v1/banks/{self.bank.id}/claims"


@dataclass
class PoolWorld:
    world: World
    client: AsyncTestClient[Litestar]
    tokens: dict[UUID, tuple[str, str]] = field(default_factory=dict)

    async def act_as(self, user: User | None) -> None:
        """Make the client ``user`` (a session of their own, made once), or nobody."""
        self.client.cookies.clear()
        self.client.headers.pop(CSRF_HEADER, None)
        if user is None:
            return
        if user.id not in self.tokens:
            store = SessionStore(self.world.redis, self.world.settings.session_max_age)
            new = await store.create(str(user.id), Role(user.role).value)
            self.tokens[user.id] = (new.token, new.data.csrf)
        token, csrf = self.tokens[user.id]
        self.client.cookies.set(SESSION_COOKIE, token)
        self.client.headers[CSRF_HEADER] = csrf

    async def registry(self, division: str, district: str, n: int) -> list[Enterprise]:
        """``n`` more registered enterprises of (division, district), nobody's."""
        return [
            await self.world.enterprise(industry_division=division, district_code=district)
            for _ in range(n)
        ]

    async def sme(self, email: str, division: str = "39", district: str = "440106") -> Sme:
        ent = await self.world.enterprise(industry_division=division, district_code=district)
        user = await self.world.user(email, Role.SME, ent.uscc)
        return Sme(ent, user)

    async def bank(self, code: str, name: str | None = None) -> BankActor:
        bank = await self.world.bank(code, name)
        email = f"staff@{code.lower().replace('_', '-')}.example.com"
        return BankActor(bank, await self.world.user(email, Role.BANK, code))

    async def post_need(self, sme: Sme, **changes: Any) -> dict[str, Any]:
        await self.act_as(sme.user)
        posted = await self.client.post(sme.needs, json=need_payload(**changes))
        assert posted.status_code == 201, posted.text
        need: dict[str, Any] = posted.json()
        return need

    async def claim(self, bank: BankActor, need_id: str, **changes: Any) -> dict[str, Any]:
        await self.act_as(bank.user)
        made = await self.client.post(
            f"{bank.pool}/{need_id}/claims", json=claim_payload(**changes)
        )
        assert made.status_code == 201, made.text
        claim: dict[str, Any] = made.json()
        return claim

    async def scored(self, ent: Enterprise, grade: str, content: dict[str, Any]) -> None:
        """A profile snapshot with ``content`` and a score of ``grade`` on it (written
        directly: what scoring stores, without training a model)."""
        db = self.world.session
        if await db.get(ModelVersion, "needs-test") is None:
            db.add(
                ModelVersion(
                    version="needs-test",
                    manifest={},
                    model_text="",
                    manifest_sha256="0" * 64,
                    model_sha256="0" * 64,
                    feature_hash="0" * 64,
                    created_at=dt.datetime.now(dt.UTC),
                    registered_by="test",
                )
            )
        latest = await db.scalar(
            select(func.max(ProfileSnapshot.version)).where(ProfileSnapshot.enterprise_id == ent.id)
        )
        version = (latest or 0) + 1
        snapshot = ProfileSnapshot(
            enterprise_id=ent.id,
            version=version,
            format="xinyidai.profile/1",
            content_hash="1" * 64,
            as_of=china_today(),
            reason="test",
            content=content,
        )
        db.add(snapshot)
        await db.flush()
        db.add(
            CreditScore(
                enterprise_id=ent.id,
                snapshot_id=snapshot.id,
                snapshot_version=version,
                model_version="needs-test",
                pd=Decimal("0.01"),
                score=600,
                grade=grade,
                reasons=[],
                features=[],
            )
        )
        await db.commit()


def sized(revenue: str | None, headcount: int | None) -> dict[str, Any]:
    """A snapshot document's families with these two figures (others unauthorised)."""
    families: dict[str, Any] = {}
    families["tax"] = (
        {
            "authorised": True,
            "months": [{"period": "2026-10", "vat_sales": revenue}],
            "summary": {"months_last_12": 12, "vat_sales_last_12": revenue},
        }
        if revenue is not None
        else {"authorised": False}
    )
    families["social_insurance"] = (
        {
            "authorised": True,
            "months": [{"period": "2026-10", "insured_headcount": headcount}],
            "summary": {"months_last_12": 12, "insured_headcount_latest": headcount},
        }
        if headcount is not None
        else {"authorised": False}
    )
    return {"format": "xinyidai.profile/1", "families": families}
