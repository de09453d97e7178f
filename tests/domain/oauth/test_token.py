"""The token endpoint: client credentials for a bank's server, authenticated by
``private_key_jwt`` and bound to a DPoP key; everything else is refused with an RFC 6749 error."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.oauth_fixtures import (
    ISSUER,
    TOKEN_URL,
    BankKeys,
    authlib_client,
    client_assertion,
    dpop_proof,
)
from tests.serving import serve
from xinyidai.app import create_app
from xinyidai.domain.oauth.dpop import thumbprint
from xinyidai.settings import Settings

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


async def _token(
    app: AsyncTestClient[Litestar], bank: BankKeys, assertion: str, proof: str | None = ""
) -> Any:
    headers = {}
    if proof is not None:
        headers["DPoP"] = proof or dpop_proof(bank.dpop, "POST", TOKEN_URL)
    return await app.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": "profiles",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        headers=headers,
    )


async def test_a_bank_gets_a_dpop_bound_jwt_with_authlibs_own_client(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    async with authlib_client(oauth_app, bank_a) as client:
        token = await client.fetch_token(
            TOKEN_URL,
            grant_type="client_credentials",
            scope="profiles consents",
            headers={"DPoP": dpop_proof(bank_a.dpop, "POST", TOKEN_URL)},
        )
    assert token["token_type"] == "DPoP"
    assert "refresh_token" not in token  # client credentials get none
    keys = KeySet.import_key_set((await oauth_app.get("/oauth/jwks")).json())
    decoded = jwt.decode(token["access_token"], keys, algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt" and decoded.header["kid"]
    claims = decoded.claims
    assert claims["iss"] == ISSUER and claims["aud"] == f"{ISSUER}/openapi/v1"
    assert claims["client_id"] == bank_a.client_id and claims["sub"] == bank_a.client_id
    assert claims["cnf"] == {"jkt": thumbprint(bank_a.dpop.as_dict(private=False))}
    assert set(claims["scope"].split()) == {"profiles", "consents"}
    assert 0 < claims["exp"] - claims["iat"] <= 600


async def test_a_replayed_assertion_is_refused(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    assertion = client_assertion(bank_a.key, bank_a.client_id, ISSUER)
    assert (await _token(oauth_app, bank_a, assertion)).status_code == 200
    again = await _token(oauth_app, bank_a, assertion)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_client")


async def test_an_assertion_for_another_audience_is_refused(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    for audience in (TOKEN_URL, "https://elsewhere.example"):
        assertion = client_assertion(bank_a.key, bank_a.client_id, audience)
        refused = await _token(oauth_app, bank_a, assertion)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client")


async def test_assertions_signed_with_hmac_none_or_another_key_are_refused(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    hmac_key = OctKey.import_key(b"x" * 32)
    forged = jwt.encode(
        {"alg": "HS256"},
        {"iss": bank_a.client_id, "sub": bank_a.client_id, "aud": ISSUER, "exp": 9999999999},
        hmac_key,
        algorithms=["HS256"],
    )
    payload = forged.split(".")[1]
    unsigned = f"eyJhbGciOiJub25lIn0.{payload}."  # {"alg":"none"}, no signature
    other = client_assertion(bank_a.dpop, bank_a.client_id, ISSUER)  # a key it never registered
    for assertion in (forged, unsigned, other):
        refused = await _token(oauth_app, bank_a, assertion)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client"), assertion


async def test_a_secret_is_no_way_in_for_a_key_client(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    refused = await oauth_app.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(bank_a.client_id, "guessed-secret"),
        headers={"DPoP": dpop_proof(bank_a.dpop, "POST", TOKEN_URL)},
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client")


async def test_the_token_endpoint_wants_a_fresh_dpop_proof_for_itself(
    oauth_app: AsyncTestClient[Litestar], bank_a: BankKeys
) -> None:
    def assertion() -> str:
        return client_assertion(bank_a.key, bank_a.client_id, ISSUER)

    missing = await _token(oauth_app, bank_a, assertion(), proof=None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_dpop_proof")
    proof = dpop_proof(bank_a.dpop, "POST", TOKEN_URL)
    assert (await _token(oauth_app, bank_a, assertion(), proof)).status_code == 200
    replayed = await _token(oauth_app, bank_a, assertion(), proof)
    assert "used before" in replayed.json()["error_description"]
    wrong = [
        dpop_proof(bank_a.dpop, "GET", TOKEN_URL),
        dpop_proof(bank_a.dpop, "POST", f"{ISSUER}/oauth/other"),
        dpop_proof(bank_a.dpop, "POST", TOKEN_URL, iat=0),
        dpop_proof(bank_a.dpop, "POST", TOKEN_URL, typ="JWT"),
    ]
    for bad in wrong:
        refused = await _token(oauth_app, bank_a, assertion(), bad)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_dpop_proof")


async def test_errors_are_rfc6749_documents_that_are_also_problems(
    oauth_app: AsyncTestClient[Litestar],
) -> None:
    response = await oauth_app.post("/oauth/token", json={"grant_type": "client_credentials"})
    body = response.json()
    assert response.status_code == 400
    assert body["error"] == "invalid_request" and body["status"] == 400
    assert body["type"].startswith("urn:xinyidai:problem:oauth-")
    assert response.headers["cache-control"] == "no-store"


async def test_the_metadata_lists_exactly_what_is_supported(
    oauth_app: AsyncTestClient[Litestar],
) -> None:
    meta = (await oauth_app.get("/.well-known/oauth-authorization-server")).json()
    assert meta["issuer"] == ISSUER
    assert meta["token_endpoint"] == TOKEN_URL and meta["jwks_uri"] == f"{ISSUER}/oauth/jwks"
    assert meta["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert meta["grant_types_supported"] == [
        "authorization_code",
        "client_credentials",
        "refresh_token",
    ]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["require_pushed_authorization_requests"] is True
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert set(meta["dpop_signing_alg_values_supported"]) == {"ES256", "PS256", "EdDSA"}
    assert "none" not in meta["token_endpoint_auth_signing_alg_values_supported"]


async def test_more_token_requests_at_once_than_pooled_connections_all_get_tokens(
    oauth_settings: Settings, bank_a: BankKeys
) -> None:
    """The keys are read (first use, then every minute) before a request holds a connection:
    with as many token requests at once as the pool has connections, a reload that waited for
    one of theirs would never get it (found by the bench: a cold server stalled, then 503s)."""
    small = dataclasses.replace(oauth_settings, db_pool_size=1, db_pool_timeout=3.0)  # 2 in all

    async def ask(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "scope": "profiles",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(bank_a.key, bank_a.client_id, ISSUER),
            },
            headers={"DPoP": dpop_proof(bank_a.dpop, "POST", TOKEN_URL)},
        )

    with serve(create_app(small)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            answers = await asyncio.gather(*(ask(client) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
