"""The Argon2id cost is a setting: minimal under ENV=test, standard otherwise, never minimal in
production; a hash made at one cost verifies at the other, and a login moves it to the current
cost."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import PASSWORD, World, login
from xinyidai.domain.accounts import passwords
from xinyidai.models import Role, User
from xinyidai.settings import Env, PasswordHashCost, Settings, SettingsError


def test_the_cost_is_minimal_only_under_test_unless_set() -> None:
    assert Settings(env=Env.TEST).hash_cost is PasswordHashCost.MINIMAL
    assert Settings(env=Env.DEVELOPMENT).hash_cost is PasswordHashCost.STANDARD
    set_ = Settings(env=Env.TEST, password_hash_cost=PasswordHashCost.STANDARD)
    assert set_.hash_cost is PasswordHashCost.STANDARD
    assert Settings.from_env({"ENV": "test", "PASSWORD_HASH_COST": "standard"}).hash_cost == (
        PasswordHashCost.STANDARD
    )


def test_production_refuses_the_minimal_cost() -> None:
    environ = {
        "ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "SIGNING_KEY": "{}",
        "DATABASE_URL": "postgresql://db/x",
        "REDIS_URL": "redis://cache/0",
        "IDENTITY_URL": "https://identity.example",
        "IDENTITY_CLIENT_SECRET": "a-real-secret",
    }
    assert Settings.from_env(environ).hash_cost is PasswordHashCost.STANDARD
    with pytest.raises(SettingsError, match="PASSWORD_HASH_COST"):
        Settings.from_env({**environ, "PASSWORD_HASH_COST": "minimal"})


async def test_a_hash_verifies_at_either_cost_and_names_its_own() -> None:
    standard = await passwords.hash_password(PASSWORD, PasswordHashCost.STANDARD)
    minimal = await passwords.hash_password(PASSWORD, PasswordHashCost.MINIMAL)
    assert "m=65536,t=3,p=4" in standard and "m=8,t=1,p=1" in minimal
    for stored in (standard, minimal):
        for cost in PasswordHashCost:
            assert await passwords.verify_password(stored, PASSWORD, cost)
            assert not await passwords.verify_password(stored, PASSWORD + "!", cost)
    assert passwords.needs_rehash(standard, PasswordHashCost.MINIMAL)
    assert not passwords.needs_rehash(standard, PasswordHashCost.STANDARD)
    assert not await passwords.verify_password(None, PASSWORD, PasswordHashCost.MINIMAL)


async def test_a_login_moves_a_standard_hash_to_the_current_cost(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    user = await world.user("standard@example.com", Role.OFFICE)
    user.password_hash = await passwords.hash_password(PASSWORD, PasswordHashCost.STANDARD)
    user_id = user.id
    await world.session.commit()
    await login(client, "standard@example.com")
    stored = await world.session.scalar(select(User.password_hash).where(User.id == user_id))
    assert stored is not None and "m=8,t=1,p=1" in stored
