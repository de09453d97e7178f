"""Registration, login, sessions, CSRF, throttling and lockout."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import PASSWORD, World, enterprise_payload, login
from xinyidai.models import Enterprise, EnterpriseClaim, Role, User
from xinyidai.settings import Settings


def register_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "email": "owner@example.com",
        "password": PASSWORD,
        "display_name": "王老板",
        "enterprise": enterprise_payload(),
    }
    payload.update(overrides)
    return payload


async def csrf_free_post(
    client: AsyncTestClient[Litestar], path: str, json: dict[str, Any]
) -> Response:
    return await client.post(path, json=json)


async def test_an_sme_registers_and_is_logged_in(client: AsyncTestClient[Litestar]) -> None:
    payload = register_payload()
    response = await client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["role"] == "sme"
    assert body["user"]["organisation"]["kind"] == "claim"  # not the enterprise, until verified
    assert body["user"]["organisation"]["verified"] is False
    assert body["user"]["organisation"]["claim_status"] == "pending"
    assert body["user"]["organisation"]["name"] == payload["enterprise"]["name"]
    session_cookie = response.headers.get_list("set-cookie")
    session = next(c for c in session_cookie if c.startswith("xyd_session="))
    assert "HttpOnly" in session
    assert "Secure" in session  # outside development, cookies travel over HTTPS only
    assert "samesite=lax" in session.lower()
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == "owner@example.com"


async def test_a_bad_uscc_is_refused_with_the_rule_it_broke(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ent = enterprise_payload()
    ent["uscc"] = ent["uscc"][:17] + ("0" if ent["uscc"][17] != "0" else "1")
    response = await client.post("/api/v1/auth/register", json=register_payload(enterprise=ent))
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "uscc"
    assert problem["errors"][0]["code"] == "uscc_check_character"
    assert await db.scalar(select(func.count()).select_from(Enterprise)) == 0
    assert await db.scalar(select(func.count()).select_from(User)) == 0


async def test_two_unverified_claims_on_one_uscc_can_both_register(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    """An unverified claim never blocks the real company: whoever verifies first owns it."""
    ent = enterprise_payload()
    first = await client.post("/api/v1/auth/register", json=register_payload(enterprise=ent))
    assert first.status_code == 201
    client.cookies.clear()
    second = await client.post(
        "/api/v1/auth/register", json=register_payload(email="other@example.com", enterprise=ent)
    )
    assert second.status_code == 201, second.text
    assert await db.scalar(select(func.count()).select_from(User)) == 2
    assert await db.scalar(select(func.count()).select_from(Enterprise)) == 0


async def test_a_duplicate_email_gets_409_without_creating_a_claim(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    assert (await client.post("/api/v1/auth/register", json=register_payload())).status_code == 201
    client.cookies.clear()
    again = await client.post(
        "/api/v1/auth/register", json=register_payload(email="OWNER@example.com")
    )
    assert again.status_code == 409
    assert await db.scalar(select(func.count()).select_from(EnterpriseClaim)) == 1


async def test_weak_passwords_are_refused_with_reasons(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        "/api/v1/auth/register", json=register_payload(password="abcdefghijk")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "password_weak"
    assert 'Sequences like "abc"' in response.json()["detail"]  # zxcvbn's feedback


async def test_wrong_password_is_401_and_right_password_logs_in(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "office@example.com", "password": "nope-nope-1"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong e-mail or password"
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]
    body = await login(client, "Office@Example.com")
    assert body["user"]["role"] == "office"


async def test_repeated_failures_lock_that_browser_out_even_for_the_right_password(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    """Without a device cookie, failures lock this address out of the account (see
    test_login_throttle.py for what the owner elsewhere still can do)."""
    await world.user("bank.user@example.com", Role.OFFICE)
    for _ in range(settings.login_max_failures - 1):
        r = await client.post(
            "/api/v1/auth/login",
            json={"email": "bank.user@example.com", "password": "wrong-pass-1"},
        )
        assert r.status_code == 401
    locking = await client.post(
        "/api/v1/auth/login", json={"email": "bank.user@example.com", "password": "wrong-pass-1"}
    )
    assert locking.status_code == 429
    assert int(locking.headers["retry-after"]) == settings.login_lockout_seconds
    right = await client.post(
        "/api/v1/auth/login", json={"email": "bank.user@example.com", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "locked" in right.json()["detail"]


async def test_lockout_ends_when_its_time_is_up(
    client: AsyncTestClient[Litestar], world: World, redis: Redis
) -> None:
    await world.user("someone@example.com", Role.OFFICE)
    for _ in range(5):
        await client.post(
            "/api/v1/auth/login", json={"email": "someone@example.com", "password": "wrong-pass-1"}
        )
    keys = [k async for k in redis.scan_iter("xyd:login:lock:*")]
    assert len(keys) == 1
    await redis.delete(*keys)  # the lock's TTL running out
    await login(client, "someone@example.com")


async def test_one_address_is_throttled_across_accounts(settings: Settings) -> None:
    import dataclasses

    from litestar.testing import AsyncTestClient

    from xinyidai.app import create_app

    strict = dataclasses.replace(settings, login_ip_limit=4)
    async with AsyncTestClient(
        app=create_app(strict), base_url="https://testserver.local"
    ) as client:
        await _spray(client, strict.login_ip_limit)


async def _spray(client: AsyncTestClient[Litestar], limit: int) -> None:
    for i in range(limit):
        r = await client.post(
            "/api/v1/auth/login",
            json={"email": f"spray{i}@example.com", "password": "wrong-pass-1"},
        )
        assert r.status_code == 401
    blocked = await client.post(
        "/api/v1/auth/login", json={"email": "another@example.com", "password": "wrong-pass-1"}
    )
    assert blocked.status_code == 429
    assert "address" in blocked.json()["detail"]
    assert int(blocked.headers["retry-after"]) > 0


async def test_each_login_issues_a_fresh_session(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("fresh@example.com", Role.OFFICE)
    await login(client, "fresh@example.com")
    first = client.cookies.get("xyd_session")
    await login(client, "fresh@example.com")
    second = client.cookies.get("xyd_session")
    assert first and second and first != second


async def test_unsafe_requests_need_the_sessions_csrf_token(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("csrf@example.com", Role.OFFICE)
    await login(client, "csrf@example.com")
    token = client.headers.pop("x-csrf-token")
    refused = await client.post("/api/v1/auth/logout")
    assert refused.status_code == 403
    forged = await client.post("/api/v1/auth/logout", headers={"x-csrf-token": "forged"})
    assert forged.status_code == 403
    ok = await client.post("/api/v1/auth/logout", headers={"x-csrf-token": token})
    assert ok.status_code == 204


async def test_logout_ends_the_session_server_side(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("bye@example.com", Role.OFFICE)
    await login(client, "bye@example.com")
    stolen = client.cookies.get("xyd_session")
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    client.cookies.set("xyd_session", stolen or "")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_deactivated_user_is_cut_off_mid_session(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    user = await world.user("leaver@example.com", Role.OFFICE)
    await login(client, "leaver@example.com")
    user.is_active = False
    db.add(user)
    await db.commit()
    response = await client.get("/api/v1/me")
    assert response.status_code == 401


async def test_me_requires_a_session(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["type"] == "urn:xinyidai:problem:not-authenticated"


async def test_passwords_and_id_numbers_never_reach_the_logs(
    client: AsyncTestClient[Litestar], capsys: pytest.CaptureFixture[str]
) -> None:
    payload = register_payload()
    await client.post("/api/v1/auth/register", json=payload)
    client.cookies.clear()
    await client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": "Wrong-Guess-99"}
    )
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert "login_failed" in logs
    for secret in (PASSWORD, "Wrong-Guess-99", payload["enterprise"]["legal_rep_id_number"]):
        assert secret not in logs


async def test_unstorable_text_is_refused_not_crashed_on(client: AsyncTestClient[Litestar]) -> None:
    nul_login = await client.post(
        "/api/v1/auth/login", json={"email": "a\u0000@example.com", "password": "x"}
    )
    assert nul_login.status_code == 401
    surrogate = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "\\ud9f6@example.com", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert surrogate.status_code == 400  # not even valid JSON text: refused while decoding
    ent = enterprise_payload(name="广州\u0000控制字符有限公司")
    register = await client.post("/api/v1/auth/register", json=register_payload(enterprise=ent))
    assert register.status_code == 422
    assert register.json()["errors"][0] == {
        "field": "name",
        "code": "text_invalid",
        "message": "name contains control or invalid characters",
    }
