"""An applications world on the OAuth-enabled platform (``oauth_app``): SME A (verified owner,
tax and electricity authorised, profile built) and SME B; banks A and B, each with a registered
``private_key_jwt`` client, a user and a published product; helpers to act as each of them in
the portal (by session) and as each bank's server over ``/openapi/v1`` (DPoP-bound tokens)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from tests.domain.products.payloads import product_payload
from tests.oauth_fixtures import API, BankKeys, Scene, dpop_proof, token
from xinyidai.domain.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from xinyidai.domain.products.schemas import ProductIn
from xinyidai.domain.products.services import ProductService
from xinyidai.models import Bank, Role, User


def simple_product(**changes: Any) -> dict[str, Any]:
    """A credit product that SME A's profile meets (no score or revenue rule)."""
    payload = product_payload(
        name_zh="信易贷·纯信用",
        name_en="Credit Easy Loan",
        type="credit",
        eligibility={"required_families": ["tax"]},
    )
    payload.update(changes)
    return payload


def application_payload(product_id: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "product_id": product_id,
        "amount": "500000.00",
        "term_months": 12,
        "purpose": "working_capital",
        "note": "采购原材料",
        "consent": {"families": ["tax", "score"]},
    }
    payload.update(changes)
    return payload


@dataclass
class BankSide:
    keys: BankKeys
    bank: Bank
    user: User
    product_id: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> UUID:
        return self.bank.id


@dataclass
class Apps:
    app: AsyncTestClient[Litestar]
    world: World
    scene: Scene
    owner: User
    other_owner: User
    a: BankSide
    b: BankSide
    sessions: dict[UUID, tuple[str, str]] = field(default_factory=dict)

    async def act_as(self, user: User | None) -> None:
        self.app.cookies.clear()
        self.app.headers.pop(CSRF_HEADER, None)
        if user is None:
            return
        if user.id not in self.sessions:
            store = SessionStore(self.world.redis, self.world.settings.session_max_age)
            new = await store.create(str(user.id), Role(user.role).value)
            self.sessions[user.id] = (new.token, new.data.csrf)
        session, csrf = self.sessions[user.id]
        self.app.cookies.set(SESSION_COOKIE, session)
        self.app.headers[CSRF_HEADER] = csrf

    async def apply(
        self, *, key: str | None = None, user: User | None = None, **changes: Any
    ) -> httpx.Response:
        await self.act_as(user or self.owner)
        return await self.app.post(
            "/api/v1/applications",
            json=application_payload(changes.pop("product_id", self.a.product_id), **changes),
            headers={"Idempotency-Key": key or secrets.token_hex(8)},
        )

    async def applied(self, **changes: Any) -> dict[str, Any]:
        made = await self.apply(**changes)
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        return body

    async def bank_token(self, side: BankSide, scope: str = "applications profiles") -> str:
        if scope not in side.tokens:
            self.app.cookies.clear()
            side.tokens[scope] = await token(self.app, side.keys, scope)
        return side.tokens[scope]

    async def api(
        self,
        side: BankSide,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        scope: str = "applications profiles",
    ) -> httpx.Response:
        """A call to ``/openapi/v1{path}`` as ``side``'s server: its token, a fresh proof."""
        access = await self.bank_token(side, scope)
        self.app.cookies.clear()
        url = API + path.split("?")[0]
        sent = {
            "Authorization": f"DPoP {access}",
            "DPoP": dpop_proof(side.keys.dpop, method, url, access_token=access),
            **(headers or {}),
        }
        return await self.app.request(method, f"/openapi/v1{path}", json=json, headers=sent)

    async def approve(
        self, application_id: str, side: BankSide | None = None, **changes: Any
    ) -> httpx.Response:
        decision: dict[str, Any] = {
            "outcome": "approve",
            "amount": "450000.00",
            "annual_rate": "0.0435",
            "term_months": 12,
        }
        decision.update(changes)
        return await self.api(
            side or self.a, "POST", f"/applications/{application_id}/decision", json=decision
        )

    async def event(
        self,
        loan_id: str,
        body: dict[str, Any],
        key: str | None = None,
        side: BankSide | None = None,
    ) -> httpx.Response:
        return await self.api(
            side or self.a,
            "POST",
            f"/loans/{loan_id}/events",
            json=body,
            headers={"Idempotency-Key": key or secrets.token_hex(8)},
        )


async def _bank_side(world: World, db: AsyncSession, keys: BankKeys, email: str) -> BankSide:
    bank = await db.scalar(select(Bank).where(Bank.short_code == keys.bank_code))
    assert bank is not None
    user = await world.user(email, Role.BANK, keys.bank_code)
    product = await ProductService(db, world.redis).publish(
        bank.id, msgspec.convert(simple_product(), ProductIn)
    )
    await db.commit()
    return BankSide(keys, bank, user, str(product.id))


async def arrange(app: AsyncTestClient[Litestar], world: World, scene: Scene) -> Apps:
    db = world.session
    owner = await db.scalar(select(User).where(User.email == "owner@example.com"))
    other = await db.scalar(select(User).where(User.email == "other@example.com"))
    assert owner is not None and other is not None
    a = await _bank_side(world, db, scene.bank_a, "staff@bank-a.example.com")
    b = await _bank_side(world, db, scene.bank_b, "staff@bank-b.example.com")
    return Apps(app, world, scene, owner, other, a, b)
