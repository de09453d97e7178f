"""The code flow for a bank's own site: pushed request, the SME's consent screen, a code that
works once, for the key and verifier it was made for; everything else is refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.oauth_fixtures import (
    ISSUER,
    TOKEN_URL,
    BankKeys,
    Scene,
    authlib_client,
    call,
    client_assertion,
    dpop_proof,
    register,
)

REDIRECT = "https://bank-c.example/oauth/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
async def bank_c(db: AsyncSession, world: World, bank_scene: Scene) -> BankKeys:
    return await register(db, world, "BANK_C", [REDIRECT])


async def _par(
    app: AsyncTestClient[Litestar], bank: BankKeys, challenge: str, **changes: Any
) -> Any:
    form = {
        "response_type": "code",
        "client_id": bank.client_id,
        "redirect_uri": REDIRECT,
        "scope": "profiles",
        "state": "bank-state-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "families": "tax score",
        "purpose": "need",
        "reference": "融资需求 N-2026-118",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(bank.key, bank.client_id, ISSUER),
    }
    form.update(changes)
    form = {k: v for k, v in form.items() if v is not None}
    proof = dpop_proof(bank.dpop, "POST", f"{ISSUER}/oauth/par")
    return await app.post("/oauth/par", data=form, headers={"DPoP": proof})


async def _consent_screen(app: AsyncTestClient[Litestar], bank: BankKeys, request_uri: str) -> str:
    """The SME's browser at the authorisation endpoint: where it is sent."""
    opened = await app.get(
        "/oauth/authorize",
        params={"client_id": bank.client_id, "request_uri": request_uri},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    return str(opened.headers["location"])


async def _approve(
    app: AsyncTestClient[Litestar], location: str, approve: bool = True
) -> dict[str, list[str]]:
    request_id = location.rsplit("/", 1)[1]
    await login(app, "owner@example.com")
    shown = (await app.get(f"/api/v1/oauth/consent-requests/{request_id}")).json()
    assert shown["bank_name"] == "BANK_C bank" and shown["families"] == ["score", "tax"]
    assert shown["unavailable"] == [] and shown["redirect_host"] == "bank-c.example"
    answer = await app.post(
        f"/api/v1/oauth/consent-requests/{request_id}", json={"approve": approve}
    )
    assert answer.status_code == 200, answer.text
    app.cookies.clear()
    target = urlsplit(answer.json()["redirect_to"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    return parse_qs(target.query)


async def _code(app: AsyncTestClient[Litestar], bank: BankKeys) -> tuple[str, str]:
    verifier, challenge = _pkce()
    pushed = await _par(app, bank, challenge)
    assert pushed.status_code == 201, pushed.text
    back = await _approve(app, await _consent_screen(app, bank, pushed.json()["request_uri"]))
    assert back["iss"] == [ISSUER] and back["state"] == ["bank-state-1"]
    return back["code"][0], verifier


async def _redeem(app: AsyncTestClient[Litestar], bank: BankKeys, code: str, verifier: str) -> Any:
    async with authlib_client(app, bank) as client:
        return await client.fetch_token(
            TOKEN_URL,
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            redirect_uri=REDIRECT,
            headers={"DPoP": dpop_proof(bank.dpop, "POST", TOKEN_URL)},
        )


async def test_the_sme_approves_on_the_consent_screen_and_the_bank_reads_under_that_consent(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    token = await _redeem(oauth_app, bank_c, code, verifier)
    assert token["token_type"] == "DPoP"
    pulled = await call(
        oauth_app, bank_c, token["access_token"], f"/profiles/{bank_scene.sme.uscc}"
    )
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["shared"] == ["score", "tax"]
    await login(oauth_app, "owner@example.com")
    consents = (
        await oauth_app.get(f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents")
    ).json()
    assert [(c["channel"], c["client_id"]) for c in consents] == [("oauth", bank_c.client_id)]


async def test_a_declined_request_sends_access_denied_back(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    _, challenge = _pkce()
    pushed = await _par(oauth_app, bank_c, challenge)
    back = await _approve(
        oauth_app, await _consent_screen(oauth_app, bank_c, pushed.json()["request_uri"]), False
    )
    assert back["error"] == ["access_denied"] and "code" not in back


async def test_a_code_works_once_even_when_redeemed_twice_at_the_same_moment(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    results = await asyncio.gather(
        _redeem(oauth_app, bank_c, code, verifier),
        _redeem(oauth_app, bank_c, code, verifier),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert "invalid_grant" in str(losses[0])
    again = await asyncio.gather(_redeem(oauth_app, bank_c, code, verifier), return_exceptions=True)
    assert "invalid_grant" in str(again[0])


async def test_a_wrong_verifier_or_an_expired_code_is_invalid_grant(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys, redis: Redis
) -> None:
    code, _ = await _code(oauth_app, bank_c)
    wrong = await asyncio.gather(
        _redeem(oauth_app, bank_c, code, _pkce()[0]), return_exceptions=True
    )
    assert "invalid_grant" in str(wrong[0])
    code, verifier = await _code(oauth_app, bank_c)
    await redis.delete(f"oauth:code:{code}")  # what its 60 s TTL does
    expired = await asyncio.gather(
        _redeem(oauth_app, bank_c, code, verifier), return_exceptions=True
    )
    assert "invalid_grant" in str(expired[0])


async def test_a_code_whose_consent_was_revoked_before_redemption_gives_no_token(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    await login(oauth_app, "owner@example.com")
    base = f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents"
    (given,) = (await oauth_app.get(base)).json()
    assert (await oauth_app.delete(f"{base}/{given['id']}")).status_code == 200
    oauth_app.cookies.clear()
    refused = await asyncio.gather(
        _redeem(oauth_app, bank_c, code, verifier), return_exceptions=True
    )
    assert "invalid_grant" in str(refused[0]) and "consent" in str(refused[0])


async def test_pushed_requests_without_s256_or_with_another_redirect_are_refused(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    _, challenge = _pkce()
    cases: dict[str, dict[str, str | None]] = {
        "no PKCE": {"code_challenge": None, "code_challenge_method": None},
        "plain": {"code_challenge_method": "plain"},
        "one character off": {"redirect_uri": REDIRECT + "x"},
        "another scope": {"scope": "everything"},
    }
    for case, changes in cases.items():
        refused = await _par(oauth_app, bank_c, challenge, **changes)
        assert refused.status_code == 400, case
        assert refused.json()["error"] in ("invalid_request", "invalid_scope"), case


async def test_the_authorisation_endpoint_takes_only_a_fresh_pushed_request_once(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys, redis: Redis
) -> None:
    direct = await oauth_app.get(
        "/oauth/authorize",
        params={"client_id": bank_c.client_id, "response_type": "code", "redirect_uri": REDIRECT},
        follow_redirects=False,
    )
    assert direct.headers["location"] == "/sme/oauth-consent/expired"
    _, challenge = _pkce()
    request_uri = (await _par(oauth_app, bank_c, challenge)).json()["request_uri"]
    first = await _consent_screen(oauth_app, bank_c, request_uri)
    assert first != "/sme/oauth-consent/expired"
    assert await _consent_screen(oauth_app, bank_c, request_uri) == "/sme/oauth-consent/expired"
    stale = (await _par(oauth_app, bank_c, challenge)).json()["request_uri"]
    await redis.delete("oauth:par:" + stale.rsplit(":", 1)[1])  # what its 60 s TTL does
    assert await _consent_screen(oauth_app, bank_c, stale) == "/sme/oauth-consent/expired"


async def test_data_the_platform_may_not_fetch_is_flagged_and_cannot_be_agreed_to(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    _, challenge = _pkce()
    pushed = await _par(oauth_app, bank_c, challenge, families="water score")
    request_id = (await _consent_screen(oauth_app, bank_c, pushed.json()["request_uri"])).rsplit(
        "/", 1
    )[1]
    await login(oauth_app, "owner@example.com")
    shown = (await oauth_app.get(f"/api/v1/oauth/consent-requests/{request_id}")).json()
    assert shown["unavailable"] == ["water"]
    refused = await oauth_app.post(
        f"/api/v1/oauth/consent-requests/{request_id}", json={"approve": True}
    )
    assert refused.status_code == 422
    declined = await oauth_app.post(
        f"/api/v1/oauth/consent-requests/{request_id}", json={"approve": False}
    )
    assert declined.status_code == 200  # the refused answer left the request answerable


async def _refresh(
    app: AsyncTestClient[Litestar],
    bank: BankKeys,
    refresh_token: str,
    scope: str | None = None,
    key: Any = None,
) -> Any:
    extra = {"scope": scope} if scope else {}
    async with authlib_client(app, bank) as client:
        return await client.fetch_token(
            TOKEN_URL,
            grant_type="refresh_token",
            refresh_token=refresh_token,
            headers={"DPoP": dpop_proof(key or bank.dpop, "POST", TOKEN_URL)},
            **extra,
        )


async def _fails(call: Any) -> str:
    outcomes = list(await asyncio.gather(call, return_exceptions=True))
    assert isinstance(outcomes[0], Exception), outcomes[0]
    return str(outcomes[0])


async def test_refresh_tokens_rotate_never_widen_and_die_with_the_consent(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    first = await _redeem(oauth_app, bank_c, code, verifier)
    assert first["refresh_token"]
    wider = await _fails(_refresh(oauth_app, bank_c, first["refresh_token"], "profiles consents"))
    assert "invalid_scope" in wider
    stranger = await _fails(
        _refresh(
            oauth_app, bank_c, first["refresh_token"], key=ECKey.generate_key("P-256", private=True)
        )
    )
    assert "invalid_grant" in stranger
    second = await _refresh(oauth_app, bank_c, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    pulled = await call(
        oauth_app, bank_c, second["access_token"], f"/profiles/{bank_scene.sme.uscc}"
    )
    assert pulled.status_code == 200

    await login(oauth_app, "owner@example.com")
    (consent,) = (
        await oauth_app.get(f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents")
    ).json()
    await oauth_app.delete(f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents/{consent['id']}")
    oauth_app.cookies.clear()
    assert "invalid_grant" in await _fails(_refresh(oauth_app, bank_c, second["refresh_token"]))


async def test_a_reused_refresh_token_revokes_the_newer_one_too(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    first = await _redeem(oauth_app, bank_c, code, verifier)
    second = await _refresh(oauth_app, bank_c, first["refresh_token"])
    assert "invalid_grant" in await _fails(_refresh(oauth_app, bank_c, first["refresh_token"]))
    assert "invalid_grant" in await _fails(_refresh(oauth_app, bank_c, second["refresh_token"]))


async def test_a_revoked_refresh_token_refreshes_nothing(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, bank_c: BankKeys
) -> None:
    code, verifier = await _code(oauth_app, bank_c)
    first = await _redeem(oauth_app, bank_c, code, verifier)
    form = {
        "token": first["refresh_token"],
        "client_id": bank_c.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(bank_c.key, bank_c.client_id, ISSUER),
    }
    assert (await oauth_app.post("/oauth/revoke", data=form)).status_code == 200
    assert "invalid_grant" in await _fails(_refresh(oauth_app, bank_c, first["refresh_token"]))
