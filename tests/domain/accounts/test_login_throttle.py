"""Password guessing is bounded per address, per (account, address) and per account, but cannot
lock the owner out: a browser that has logged in before carries a device cookie with its own
allowance, and an owner on a new browser elsewhere is not locked out by one attacker's address.

Clients at different addresses are told apart by ``X-Forwarded-For`` (``TRUSTED_PROXIES``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import PASSWORD, World
from xinyidai.domain.accounts.devices import DEVICE_COOKIE
from xinyidai.models import Role
from xinyidai.settings import Settings

ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"
TRAVEL = "192.0.2.10"
WRONG = "Wrong-Guess-99"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        trusted_proxies=True,
        login_max_failures=3,
        login_device_max_failures=4,
        login_untrusted_max_failures=8,
    )


async def attempt(
    client: Any, email: str, password: str, *, address: str, device: str | None = None
) -> Any:
    """One login from ``address``, carrying only the given device cookie (if any)."""
    client.cookies.clear()
    headers = {"x-forwarded-for": address}
    if device:
        headers["cookie"] = f"{DEVICE_COOKIE}={device}"
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


async def device_of(client: Any, email: str, address: str = HOME) -> str:
    """Log in with the right password and keep the device cookie it issues."""
    response = await attempt(client, email, PASSWORD, address=address)
    assert response.status_code == 200, response.text
    device: str | None = response.cookies.get(DEVICE_COOKIE)
    assert device
    return device


async def lock_out(client: Any, email: str, address: str, settings: Settings) -> None:
    """Guess from ``address`` until that address is locked out of the account."""
    for _ in range(settings.login_max_failures - 1):
        assert (await attempt(client, email, WRONG, address=address)).status_code == 401
    locking = await attempt(client, email, WRONG, address=address)
    assert locking.status_code == 429
    assert int(locking.headers["retry-after"]) == settings.login_lockout_seconds


async def test_an_owner_under_attack_from_another_address_still_logs_in(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("owner@example.com", Role.OFFICE)
    device = await device_of(client, "owner@example.com")
    await lock_out(client, "owner@example.com", ATTACKER, settings)
    # The attacker's address cannot go on guessing, not even with the right password.
    blocked = await attempt(client, "owner@example.com", PASSWORD, address=ATTACKER)
    assert blocked.status_code == 429
    assert "locked" in blocked.json()["detail"]
    # The owner's browser that logged in before gets in, even behind the attacker's address.
    at_home = await attempt(client, "owner@example.com", PASSWORD, address=HOME, device=device)
    assert at_home.status_code == 200, at_home.text
    shared = await attempt(client, "owner@example.com", PASSWORD, address=ATTACKER, device=device)
    assert shared.status_code == 200, shared.text
    # A new browser of the owner's at another address (no device cookie) gets in too.
    new_browser = await attempt(client, "owner@example.com", PASSWORD, address=TRAVEL)
    assert new_browser.status_code == 200, new_browser.text


async def test_guessing_from_many_addresses_locks_out_new_browsers_but_not_known_ones(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("owner@example.com", Role.OFFICE)
    device = await device_of(client, "owner@example.com")
    answers = []
    for i in range(settings.login_untrusted_max_failures):
        address = f"203.0.113.{i // (settings.login_max_failures - 1)}"  # never its own lockout
        answers.append(
            (await attempt(client, "owner@example.com", WRONG, address=address)).status_code
        )
    assert answers == [401] * (settings.login_untrusted_max_failures - 1) + [429]
    new_browser = await attempt(client, "owner@example.com", PASSWORD, address=TRAVEL)
    assert new_browser.status_code == 429
    assert "new browsers" in new_browser.json()["detail"]
    assert int(new_browser.headers["retry-after"]) > 0
    known = await attempt(client, "owner@example.com", PASSWORD, address=TRAVEL, device=device)
    assert known.status_code == 200, known.text


async def test_guessing_from_one_address_is_bounded(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("owner@example.com", Role.OFFICE)
    answers = [
        (await attempt(client, "owner@example.com", WRONG, address=ATTACKER)).status_code
        for _ in range(settings.login_max_failures + 3)
    ]
    failures = settings.login_max_failures
    assert answers == [401] * (failures - 1) + [429] * 4
    # Unknown accounts are throttled the same way, so the lockout says nothing about who exists.
    ghost = [
        (await attempt(client, "ghost@example.com", WRONG, address=ATTACKER)).status_code
        for _ in range(settings.login_max_failures + 3)
    ]
    assert ghost == answers


async def test_a_device_cookie_of_one_account_is_useless_for_another(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("alice@example.com", Role.OFFICE)
    await world.user("bob@example.com", Role.OFFICE)
    alices = await device_of(client, "alice@example.com")
    await lock_out(client, "bob@example.com", ATTACKER, settings)
    as_bob = await attempt(client, "bob@example.com", PASSWORD, address=ATTACKER, device=alices)
    assert as_bob.status_code == 429
    as_alice = await attempt(client, "alice@example.com", PASSWORD, address=ATTACKER, device=alices)
    assert as_alice.status_code == 200


async def test_a_tampered_device_cookie_is_ignored(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    owner = await world.user("owner@example.com", Role.OFFICE)
    other = await world.user("other@example.com", Role.OFFICE)
    device = await device_of(client, "other@example.com")
    await lock_out(client, "owner@example.com", ATTACKER, settings)
    version, user_id, nonce, signature = device.split(".")
    assert user_id == str(other.id)
    forgeries = [
        f"{version}.{owner.id}.{nonce}.{signature}",  # another account's signature
        f"{version}.{user_id}.{nonce}x.{signature}",
        f"{version}.{user_id}.{nonce}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{owner.id}.{nonce}",
        "garbage",
    ]
    for forged in forgeries:
        r = await attempt(client, "owner@example.com", PASSWORD, address=ATTACKER, device=forged)
        assert r.status_code == 429, forged


async def test_a_device_cookie_used_for_many_failures_stops_being_trusted(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("owner@example.com", Role.OFFICE)
    device = await device_of(client, "owner@example.com")
    await lock_out(client, "owner@example.com", ATTACKER, settings)
    # A device cookie has its own allowance: its failures answer 401, not the address's 429 ...
    for _ in range(settings.login_device_max_failures):
        r = await attempt(client, "owner@example.com", WRONG, address=ATTACKER, device=device)
        assert r.status_code == 401
    # ... and once it is used up, the cookie counts for nothing: the address's lockout applies.
    r = await attempt(client, "owner@example.com", PASSWORD, address=ATTACKER, device=device)
    assert r.status_code == 429
    # A login elsewhere issues a fresh device cookie, trusted again.
    fresh = await device_of(client, "owner@example.com", address=TRAVEL)
    r = await attempt(client, "owner@example.com", PASSWORD, address=ATTACKER, device=fresh)
    assert r.status_code == 200


async def test_a_successful_login_sets_a_long_lived_httponly_device_cookie(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    await world.user("owner@example.com", Role.OFFICE)
    response = await attempt(client, "owner@example.com", PASSWORD, address=HOME)
    assert response.status_code == 200
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(f"{DEVICE_COOKIE}=")
    )
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "secure" in attributes
    assert attributes["samesite"].lower().endswith("lax")
    assert attributes["max-age"].strip() == f"Max-Age={settings.login_device_max_age}"
    assert attributes["path"].strip() == "Path=/api/v1/auth"
    # A device cookie is no session: it opens nothing by itself.
    client.cookies.clear()
    me = await client.get("/api/v1/me", headers={"cookie": cookie.split(";")[0]})
    assert me.status_code == 401
