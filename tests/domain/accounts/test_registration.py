"""Registration validates the whole body before it looks anything up, is rate-limited per
address, and says no more about who has an account than a login does; new passwords must be
hard to guess."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, enterprise_payload
from tests.domain.accounts.test_auth import register_payload
from xinyidai.domain.accounts import passwords
from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.demo.seed import DEMO_PASSWORD
from xinyidai.infra.errors import Forbidden, InvalidInput
from xinyidai.models import Role, User
from xinyidai.settings import Env, Settings

REGISTER = "/api/v1/auth/register"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, register_ip_limit=3)


async def register(client: Any, payload: dict[str, Any]) -> Any:
    client.cookies.clear()
    return await client.post(REGISTER, json=payload)


async def test_a_known_email_is_answered_only_after_the_whole_body_is_valid(
    client: AsyncTestClient[Litestar],
) -> None:
    assert (await register(client, register_payload())).status_code == 201
    bad_uscc = enterprise_payload()
    bad_uscc["uscc"] = "91440101MA5XXXXXX0"
    cases = {
        "uscc": register_payload(enterprise=bad_uscc),
        "district_code": register_payload(enterprise=enterprise_payload(district_code="999999")),
        "legal_rep_name": register_payload(enterprise=enterprise_payload(legal_rep_name="\u0007")),
        "display_name": register_payload(display_name="\u0000"),
        "password": register_payload(password="password12"),
    }
    for field, payload in cases.items():
        response = await register(client, payload)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert (await register(client, register_payload())).status_code == 409


async def test_registrations_from_one_address_are_rate_limited(
    client: AsyncTestClient[Litestar], settings: Settings, db: AsyncSession
) -> None:
    for i in range(settings.register_ip_limit):
        response = await register(client, register_payload(email=f"owner{i}@example.com"))
        assert response.status_code == 201, response.text
    refused = await register(client, register_payload(email="one.more@example.com"))
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    # Probing for a known e-mail is refused the same way, whatever the answer would have been.
    probe = await register(client, register_payload(email="owner0@example.com"))
    assert probe.status_code == 429
    # An invalid body is still told what is wrong (it reveals nothing about accounts).
    invalid = await register(client, register_payload(password="password12"))
    assert invalid.status_code == 422
    assert await db.scalar(select(func.count()).select_from(User)) == settings.register_ip_limit


async def test_a_known_email_costs_the_same_password_hash_as_a_new_one(
    client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real_hash = passwords.hash_password

    async def counting_hash(password: str, *cost: Any) -> str:
        hashed.append("hash")
        return await real_hash(password, *cost)

    monkeypatch.setattr(passwords, "hash_password", counting_hash)
    assert (await register(client, register_payload())).status_code == 201
    assert len(hashed) == 1
    assert (await register(client, register_payload())).status_code == 409
    assert len(hashed) == 2


@pytest.mark.parametrize(
    "password",
    [
        "password12",  # on every list of common passwords
        DEMO_PASSWORD,  # published with the demo
        "xinyidai-demo-2026!",
        "woaini1314520",  # a top password of the Chinese leaks
        "owner.example2026",  # the e-mail with a year
        "qwertyuiop12",
        "aaaaaaaaaaaaaaaa",
    ],
)
async def test_weak_passwords_are_refused_with_zxcvbns_feedback(
    client: AsyncTestClient[Litestar], password: str
) -> None:
    response = await register(client, register_payload(password=password))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "password"
    assert error["code"] == "password_weak"
    assert error["message"]


async def test_the_feedback_says_what_makes_a_password_guessable(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await register(client, register_payload(password="abcdefghijklmn"))
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert message.startswith("the password is too easy to guess")
    assert "Sequences" in message


async def test_a_long_strong_password_is_accepted_and_an_over_long_one_refused(
    world: World, db: AsyncSession
) -> None:
    accounts = AccountService(db, world.redis, world.settings, world.cipher)
    strong = "Tide-Lantern-Orchid-" + "x7Qp" * 27  # 128 characters: zxcvbn scores a prefix
    assert len(strong) == 128
    await accounts.create_user(
        email="long@example.com", password=strong, display_name="", role=Role.OFFICE, org=None
    )
    with pytest.raises(InvalidInput) as exc:
        await accounts.create_user(
            email="longer@example.com",
            password=strong + "y",
            display_name="",
            role=Role.OFFICE,
            org=None,
        )
    assert exc.value.errors and exc.value.errors[0].code == "password_weak"


async def test_only_the_demo_seed_may_use_the_published_demo_password(
    world: World, db: AsyncSession
) -> None:
    accounts = AccountService(db, world.redis, world.settings, world.cipher)
    with pytest.raises(InvalidInput):
        await accounts.create_user(
            email="copycat@example.com",
            password=DEMO_PASSWORD,
            display_name="",
            role=Role.OFFICE,
            org=None,
        )
    demo = await accounts.create_user(
        email="office@demo.example.com",
        password=DEMO_PASSWORD,
        display_name="",
        role=Role.OFFICE,
        org=None,
        demo=True,
    )
    assert demo.id
    production = dataclasses.replace(world.settings, env=Env.PRODUCTION)
    in_production = AccountService(db, world.redis, production, world.cipher)
    with pytest.raises(Forbidden):
        await in_production.create_user(
            email="office2@demo.example.com",
            password=DEMO_PASSWORD,
            display_name="",
            role=Role.OFFICE,
            org=None,
            demo=True,
        )


def test_the_demo_password_is_on_the_published_list() -> None:
    assert DEMO_PASSWORD.lower() in passwords.PUBLISHED_PASSWORDS
    assert passwords.strength_problem(DEMO_PASSWORD) is not None
