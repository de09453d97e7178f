"""A bank pulls an SME's profile through the bank API: only with a live consent, only the
consented families, every pull in the SME's access log; the token only with its own fresh
DPoP proof."""

from __future__ import annotations

import datetime as dt

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.oauth_fixtures import API, Scene, call, consent, dpop_proof, token
from xinyidai.models import BankConsent, Role


async def test_a_bank_reads_only_what_the_consent_covers_and_the_sme_sees_it(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax", "score"])
    access = await token(oauth_app, bank_scene.bank_a)
    pulled = await call(oauth_app, bank_scene.bank_a, access, f"/profiles/{bank_scene.sme.uscc}")
    assert pulled.status_code == 200, pulled.text
    body = pulled.json()
    assert body["uscc"] == bank_scene.sme.uscc and body["shared"] == ["score", "tax"]
    assert body["families"]["tax"]["authorised"] is True
    assert body["families"]["electricity"] == {"consented": False}  # authorised, not consented
    assert body["families"]["water"] == {"consented": False}
    assert body["score"] is None  # no model has scored it in this scene

    await login(oauth_app, "owner@example.com")
    log = (await oauth_app.get(f"/api/v1/enterprises/{bank_scene.sme.id}/access-log")).json()
    (entry,) = log["items"]
    assert entry["actor_role"] == "bank" and "BANK_A" in entry["actor_org"]
    assert bank_scene.bank_a.client_id in entry["detail"] and "tax" in entry["detail"]


async def test_an_unchanged_profile_answers_304_to_its_etag(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a)
    first = await call(oauth_app, bank_scene.bank_a, access, f"/profiles/{bank_scene.sme.uscc}")
    again = await call(
        oauth_app,
        bank_scene.bank_a,
        access,
        f"/profiles/{bank_scene.sme.uscc}",
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]


async def test_no_consent_another_family_revocation_and_expiry_are_refused(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, db: AsyncSession
) -> None:
    access = await token(oauth_app, bank_scene.bank_a)
    path = f"/profiles/{bank_scene.sme.uscc}"
    none = await call(oauth_app, bank_scene.bank_a, access, path)
    assert none.status_code == 403 and "no live consent" in none.json()["detail"]

    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 200
    outside = await call(oauth_app, bank_scene.bank_a, access, f"{path}?families=electricity")
    assert outside.status_code == 403 and "electricity" in outside.json()["detail"]

    await login(oauth_app, "owner@example.com")
    revoked = await oauth_app.delete(
        f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents/{granted['id']}"
    )
    assert revoked.status_code == 200 and revoked.json()["live"] is False
    oauth_app.cookies.clear()
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 403

    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    await db.execute(
        update(BankConsent).values(created_at=past - dt.timedelta(days=1), expires_at=past)
    )
    await db.commit()
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 403


async def test_bank_b_reads_neither_bank_as_consents_nor_its_profiles(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    mine = await token(oauth_app, bank_scene.bank_a, "consents")
    held = (await call(oauth_app, bank_scene.bank_a, mine, "/consents")).json()["items"]
    assert [c["enterprise_id"] for c in held] == [str(bank_scene.sme.id)]
    theirs = await token(oauth_app, bank_scene.bank_b, "profiles consents")
    assert (await call(oauth_app, bank_scene.bank_b, theirs, "/consents")).json()["items"] == []
    refused = await call(oauth_app, bank_scene.bank_b, theirs, f"/profiles/{bank_scene.sme.uscc}")
    assert refused.status_code == 403


async def test_a_token_without_the_scope_is_refused(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    only_consents = await token(oauth_app, bank_scene.bank_a, "consents")
    refused = await call(
        oauth_app, bank_scene.bank_a, only_consents, f"/profiles/{bank_scene.sme.uscc}"
    )
    assert refused.status_code == 403
    assert "insufficient_scope" in refused.headers["www-authenticate"]


async def test_the_token_is_useless_without_its_own_fresh_proof(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a)
    path = f"/profiles/{bank_scene.sme.uscc}"
    url = API + path
    stranger = ECKey.generate_key("P-256", private=True)
    used = dpop_proof(bank_scene.bank_a.dpop, "GET", url, access_token=access)
    assert (await call(oauth_app, bank_scene.bank_a, access, path, proof=used)).status_code == 200
    key = bank_scene.bank_a.dpop
    cases = {
        "no proof": None,
        "replayed": used,
        "another method": dpop_proof(key, "POST", url, access_token=access),
        "another URL": dpop_proof(key, "GET", f"{API}/consents", access_token=access),
        "stale": dpop_proof(key, "GET", url, access_token=access, iat=1),
        "no ath": dpop_proof(key, "GET", url),
        "another key": dpop_proof(stranger, "GET", url, access_token=access),
    }
    for case, proof in cases.items():
        refused = await call(oauth_app, bank_scene.bank_a, access, path, proof=proof)
        assert refused.status_code == 401, case
        assert refused.headers["www-authenticate"].startswith("DPoP "), case


async def test_tokens_in_the_wrong_place_or_not_ours_are_refused(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a)
    path = f"/profiles/{bank_scene.sme.uscc}"
    url = API + path
    proof = dpop_proof(bank_scene.bank_a.dpop, "GET", url, access_token=access)
    as_bearer = await oauth_app.get(
        f"/openapi/v1{path}", headers={"Authorization": f"Bearer {access}", "DPoP": proof}
    )
    assert as_bearer.status_code == 401
    in_query = await oauth_app.get(
        f"/openapi/v1{path}?access_token={access}",
        headers={"DPoP": dpop_proof(bank_scene.bank_a.dpop, "GET", url, access_token=access)},
    )
    assert in_query.status_code == 401

    payload = access.split(".")[1]
    forgeries = {
        "alg none": f"eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.{payload}.",
        "HS256": jwt.encode(
            {"alg": "HS256", "typ": "at+jwt"},
            {"sub": "x"},
            OctKey.import_key(b"k" * 32),
            algorithms=["HS256"],
        ),
        "another issuer's key": jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": "theirs"},
            {"iss": "https://testserver.local", "client_id": bank_scene.bank_a.client_id},
            ECKey.generate_key("P-256", private=True),
            algorithms=["ES256"],
        ),
    }
    for case, forged in forgeries.items():
        refused = await call(oauth_app, bank_scene.bank_a, forged, path)
        assert refused.status_code == 401, case


async def test_a_call_without_a_token_gets_a_dpop_challenge(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    for path in (f"/profiles/{bank_scene.sme.uscc}", "/consents"):
        refused = await oauth_app.get(f"/openapi/v1{path}")
        assert refused.status_code == 401, path
        assert refused.headers["content-type"].startswith("application/problem+json")
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith('DPoP error="invalid_token"'), challenge
        assert "algs=" in challenge and "Authorization: DPoP" in refused.json()["detail"]


async def test_the_bank_api_has_its_own_openapi_document(
    oauth_app: AsyncTestClient[Litestar],
) -> None:
    document = (await oauth_app.get("/openapi/v1/schema/openapi.json")).json()
    assert "/profiles/{uscc}" in document["paths"] and "/consents" in document["paths"]
    assert document["servers"] == [{"url": "/openapi/v1"}]
    assert not any(p.startswith("/api/") for p in document["paths"])
    portal = (await oauth_app.get("/schema/openapi.json")).json()
    assert not any("profiles/{uscc}" in p for p in portal["paths"])


async def test_when_the_office_revokes_the_verification_the_banks_consents_end(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, world: World
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax", "score"])
    access = await token(oauth_app, bank_scene.bank_a)
    path = f"/profiles/{bank_scene.sme.uscc}"
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 200
    await world.user("office@example.com", Role.OFFICE)
    await login(oauth_app, "office@example.com")
    revoked = await oauth_app.post(
        f"/api/v1/office/enterprises/{bank_scene.sme.id}/verification/revoke",
        json={"reason": "法定代表人身份被冒用，撤销认证"},
    )
    assert revoked.status_code == 200, revoked.text
    oauth_app.cookies.clear()
    refused = await call(oauth_app, bank_scene.bank_a, access, path)
    assert refused.status_code == 403  # nobody speaks for the enterprise: no consent stands
