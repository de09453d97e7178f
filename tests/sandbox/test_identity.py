"""The sandbox identity service: discovery, the legal representative's confirmation, the code
grant with PKCE, and ID tokens that a JWKS-based verifier accepts (or, when a fault is armed,
refuses)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet
from litestar.testing import AsyncTestClient

from tests.identity_fixtures import (
    IDENTITY_CLIENT_ID,
    IDENTITY_CLIENT_SECRET,
    IDENTITY_REDIRECT_URI,
    RunningIdentity,
)
from xinyidai.domain.demo.city import demo_enterprises
from xinyidai.domain.enterprises.codes import mask_resident_id
from xinyidai.sandbox.identity import (
    ACR,
    IDENTITY_FAULT_KINDS,
    create_identity_app,
)
from xinyidai.simulation.registry import make_resident_id, make_uscc

FIRM = demo_enterprises(200, 2026)[7]
JSON = {"Accept": "application/json"}


def basic(client_id: str = IDENTITY_CLIENT_ID, secret: str = IDENTITY_CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(challenge: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": IDENTITY_CLIENT_ID,
        "redirect_uri": IDENTITY_REDIRECT_URI,
        "scope": "openid licence",
        "state": "state-" + secrets.token_urlsafe(8),
        "nonce": "nonce-" + secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": FIRM.uscc,
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def redirected(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """Where a 303 points (without its query) and its query parameters."""
    assert response.status_code == 303, response.text
    parts = urlsplit(response.headers["location"])
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return parts._replace(query="").geturl(), query


@pytest.fixture
async def http(identity: RunningIdentity) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=identity.url, timeout=5) as client:
        yield client


async def start(http: httpx.AsyncClient, params: dict[str, str]) -> str:
    response = await http.get("/authorize", params=params, headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_id"] == IDENTITY_CLIENT_ID
    assert body["login_hint"] == params.get("login_hint", "")
    request_id: str = body["request_id"]
    return request_id


async def confirm(
    http: httpx.AsyncClient,
    request_id: str,
    uscc: str = FIRM.uscc,
    id_number: str = FIRM.legal_rep_id_number,
    decision: str = "approve",
) -> httpx.Response:
    return await http.post(
        "/authorize",
        data={
            "request_id": request_id,
            "uscc": uscc,
            "legal_rep_id_number": id_number,
            "decision": decision,
        },
    )


async def code_for(
    http: httpx.AsyncClient, uscc: str = FIRM.uscc, id_number: str = FIRM.legal_rep_id_number
) -> tuple[str, str, dict[str, str]]:
    """A fresh code for the legal representative of ``uscc``: (code, verifier, request)."""
    verifier, challenge = pkce()
    params = authorize_params(challenge, login_hint=uscc)
    request_id = await start(http, params)
    target, query = redirected(await confirm(http, request_id, uscc, id_number))
    assert target == IDENTITY_REDIRECT_URI
    assert query["state"] == params["state"]
    return query["code"], verifier, params


async def exchange(
    http: httpx.AsyncClient,
    code: str,
    verifier: str,
    *,
    redirect_uri: str = IDENTITY_REDIRECT_URI,
    authorization: str | None = None,
) -> httpx.Response:
    return await http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        headers={"Authorization": authorization or basic()},
    )


async def id_token_for(http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    code, verifier, params = await code_for(http)
    response = await exchange(http, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()["id_token"], params


def _part(token: str, index: int) -> dict[str, Any]:
    segment = token.split(".")[index]
    part: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return part


def header_of(token: str) -> dict[str, Any]:
    """The JOSE header, read without verifying anything."""
    return _part(token, 0)


def claims_of(token: str) -> dict[str, Any]:
    """The claims, read without verifying anything."""
    return _part(token, 1)


def verify(id_token: str, jwks: dict[str, Any], *, issuer: str, nonce: str) -> dict[str, Any]:
    """What a relying party does: find the key by ``kid`` in the JWKS, accept only ES256,
    check the signature, issuer, audience, nonce and lifetime."""
    header = header_of(id_token)
    if header.get("alg") != "ES256" or "kid" not in header:
        raise JoseError("the ID token must be ES256 and name its kid")
    keys = [key for key in jwks["keys"] if key.get("kid") == header["kid"]]
    if len(keys) != 1:
        raise JoseError("no published key has that kid")
    token = jwt.decode(id_token, KeySet.import_key_set({"keys": keys}), algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": IDENTITY_CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    ).validate(token.claims)
    return token.claims


# --- discovery and keys -------------------------------------------------------------------------
async def test_discovery_names_the_endpoints_and_what_the_service_supports(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()
    assert document["issuer"] == identity.url
    assert document["authorization_endpoint"] == identity.url + "/authorize"
    assert document["token_endpoint"] == identity.url + "/token"
    assert document["jwks_uri"] == identity.url + "/jwks"
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert document["scopes_supported"] == ["openid", "licence"]
    assert {"uscc", "enterprise_name", "legal_rep_name", "legal_rep_id_masked", "nonce"} <= set(
        document["claims_supported"]
    )


async def test_the_jwks_publishes_one_public_p256_signing_key(http: httpx.AsyncClient) -> None:
    keys = (await http.get("/jwks")).json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert key["kid"]
    assert "d" not in key


# --- the happy path -----------------------------------------------------------------------------
async def test_the_legal_representative_gets_the_client_a_signed_id_token_naming_the_licence(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    code, verifier, params = await code_for(http)
    assert len(code) >= 43
    response = await exchange(http, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "openid licence"
    assert body["access_token"]

    jwks = (await http.get("/jwks")).json()
    claims = verify(body["id_token"], jwks, issuer=identity.url, nonce=params["nonce"])
    header = header_of(body["id_token"])
    assert header == {"alg": "ES256", "kid": jwks["keys"][0]["kid"], "typ": "JWT"}
    assert claims["iss"] == identity.url
    assert claims["aud"] == IDENTITY_CLIENT_ID
    assert re.fullmatch(r"[0-9a-f]{64}", claims["sub"])
    assert claims["exp"] == claims["iat"] + 300
    assert claims["auth_time"] <= claims["iat"]
    assert claims["jti"]
    assert claims["acr"] == ACR
    assert claims["amr"] == ["pwd"]
    assert claims["uscc"] == FIRM.uscc
    assert claims["enterprise_name"] == FIRM.name
    assert claims["legal_rep_name"] == FIRM.legal_rep_name
    assert claims["legal_rep_id_masked"] == mask_resident_id(FIRM.legal_rep_id_number)
    assert FIRM.legal_rep_id_number not in body["id_token"]


async def test_the_subject_is_stable_for_a_person_and_differs_between_people(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    other = demo_enterprises(200, 2026)[8]
    subjects = []
    for firm in (FIRM, FIRM, other):
        code, verifier, _ = await code_for(http, firm.uscc, firm.legal_rep_id_number)
        token = (await exchange(http, code, verifier)).json()["id_token"]
        subjects.append(claims_of(token)["sub"])
    assert subjects[0] == subjects[1] != subjects[2]


async def test_the_browser_page_is_a_bilingual_form_that_completes_the_flow(
    http: httpx.AsyncClient,
) -> None:
    _, challenge = pkce()
    params = authorize_params(challenge)
    page = await http.get("/authorize", params=params, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "电子营业执照（沙箱）· 法定代表人确认" in html
    assert "Electronic business licence (sandbox) · legal representative confirmation" in html
    assert '<form method="post" action="/authorize">' in html
    request_id = re.search(r'<input type="hidden" name="request_id" value="([^"]+)">', html)
    assert request_id
    assert f'name="uscc" value="{FIRM.uscc}"' in html
    assert 'name="legal_rep_id_number"' in html
    assert 'name="decision" value="approve"' in html
    assert 'name="decision" value="deny"' in html

    _, query = redirected(await confirm(http, request_id[1]))
    assert query["state"] == params["state"]
    assert query["code"]


async def test_a_registered_redirect_uri_with_a_query_keeps_it() -> None:
    redirect_uri = "https://platform.example/callback?tenant=7"
    app = create_identity_app(
        issuer="https://id.example",
        client_id=IDENTITY_CLIENT_ID,
        client_secret=IDENTITY_CLIENT_SECRET,
        redirect_uris=[redirect_uri],
        demo_firms=10,
    )
    firm = demo_enterprises(10, 2026)[0]
    _, challenge = pkce()
    async with AsyncTestClient(app=app) as client:
        params = authorize_params(challenge, redirect_uri=redirect_uri, login_hint=firm.uscc)
        started = await client.get("/authorize", params=params, headers=JSON)
        response = await client.post(
            "/authorize",
            data={
                "request_id": started.json()["request_id"],
                "uscc": firm.uscc.lower(),
                "legal_rep_id_number": firm.legal_rep_id_number.lower(),
                "decision": "approve",
            },
            follow_redirects=False,
        )
    target, query = redirected(response)
    assert target == "https://platform.example/callback"
    assert query["tenant"] == "7"
    assert query["code"]
    assert query["iss"] == "https://id.example"


# --- the code grant -----------------------------------------------------------------------------
async def test_a_code_works_once(http: httpx.AsyncClient) -> None:
    code, verifier, _ = await code_for(http)
    assert (await exchange(http, code, verifier)).status_code == 200
    again = await exchange(http, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_wrong_verifier_is_refused_and_spends_the_code(http: httpx.AsyncClient) -> None:
    code, verifier, _ = await code_for(http)
    wrong = await exchange(http, code, pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert (await exchange(http, code, verifier)).json()["error"] == "invalid_grant"


async def test_the_redirect_uri_must_be_the_one_of_the_authorization(
    http: httpx.AsyncClient,
) -> None:
    code, verifier, _ = await code_for(http)
    response = await exchange(http, code, verifier, redirect_uri="https://testserver.local/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_refused(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    code, verifier, _ = await code_for(http)
    codes = identity.app.state.codes
    codes[code] = replace(codes[code], expires_at=0.0)
    response = await exchange(http, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "authorization",
    [
        basic(secret="wrong-secret"),
        basic(client_id="another-client"),
        "Bearer something",
        "Basic not-base64!",
    ],
)
async def test_the_client_must_authenticate_with_its_basic_credentials(
    http: httpx.AsyncClient, authorization: str
) -> None:
    code, verifier, _ = await code_for(http)
    response = await exchange(http, code, verifier, authorization=authorization)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert (await exchange(http, code, verifier)).status_code == 200  # the code is still good


async def test_client_secret_post_is_not_accepted(http: httpx.AsyncClient) -> None:
    code, verifier, _ = await code_for(http)
    response = await http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": IDENTITY_REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": IDENTITY_CLIENT_ID,
            "client_secret": IDENTITY_CLIENT_SECRET,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
        ({"code_verifier": None}, "invalid_request"),
        ({"code_verifier": "short"}, "invalid_request"),
        ({"code": "no-such-code"}, "invalid_grant"),
    ],
)
async def test_bad_token_requests_get_rfc6749_errors(
    http: httpx.AsyncClient, form: dict[str, str | None], error: str
) -> None:
    code, verifier, _ = await code_for(http)
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": IDENTITY_REDIRECT_URI,
        "code_verifier": verifier,
        **form,
    }
    response = await http.post(
        "/token",
        data={name: value for name, value in data.items() if value is not None},
        headers={"Authorization": basic()},
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


# --- bad authorization requests -----------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://testserver.local/sme/claim/callback/evil"},
        {"redirect_uri": "https://attacker.example/callback"},
        {"redirect_uri": None},
        {"client_id": "another-client"},
        {"client_id": None},
    ],
)
async def test_an_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(
    http: httpx.AsyncClient, overrides: dict[str, str | None]
) -> None:
    params = authorize_params(pkce()[1], **overrides)
    response = await http.get("/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"scope": "licence"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
    ],
)
async def test_a_bad_request_from_the_known_client_is_sent_back_with_an_error(
    http: httpx.AsyncClient, overrides: dict[str, str | None], error: str
) -> None:
    params = authorize_params(pkce()[1], **overrides)
    target, query = redirected(await http.get("/authorize", params=params, headers=JSON))
    assert target == IDENTITY_REDIRECT_URI
    assert query["error"] == error
    assert query["error_description"]
    assert query["state"] == params["state"]
    assert "code" not in query


async def test_a_request_without_state_is_sent_back_without_one(http: httpx.AsyncClient) -> None:
    params = authorize_params(pkce()[1], state=None)
    _, query = redirected(await http.get("/authorize", params=params))
    assert query["error"] == "invalid_request"
    assert "state" not in query


# --- the legal representative's answer ----------------------------------------------------------
async def test_someone_else_sees_the_form_again_and_the_request_dies_after_five_tries(
    http: httpx.AsyncClient,
) -> None:
    request_id = await start(http, authorize_params(pkce()[1]))
    stranger = make_resident_id(random.Random(1), "440106")
    for attempt in range(4):
        response = await confirm(http, request_id, id_number=stranger)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert f'name="request_id" value="{request_id}"' in response.text
        assert "do not match" in response.text
        assert f"attempts left: {4 - attempt}" in response.text
    response = await confirm(http, request_id, id_number=stranger)
    assert response.status_code == 400
    assert 'name="request_id"' not in response.text
    # The request is void: even the real legal representative must start again.
    late = await confirm(http, request_id)
    assert late.status_code == 400
    assert "location" not in late.headers


async def test_a_wrong_answer_leaves_the_request_open_for_the_right_one(
    http: httpx.AsyncClient,
) -> None:
    request_id = await start(http, authorize_params(pkce()[1]))
    other = demo_enterprises(200, 2026)[9]
    refused = await confirm(http, request_id, id_number=other.legal_rep_id_number)
    assert refused.status_code == 400
    _, query = redirected(await confirm(http, request_id))
    assert query["code"]


async def test_denying_sends_access_denied_back(http: httpx.AsyncClient) -> None:
    params = authorize_params(pkce()[1])
    request_id = await start(http, params)
    target, query = redirected(await confirm(http, request_id, decision="deny"))
    assert target == IDENTITY_REDIRECT_URI
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert (await confirm(http, request_id)).status_code == 400  # the request is over


async def test_an_unknown_request_id_gets_a_page(http: httpx.AsyncClient) -> None:
    response = await confirm(http, "no-such-request")
    assert response.status_code == 400
    assert "location" not in response.headers


# --- the licence registry -----------------------------------------------------------------------
async def test_an_enrolled_enterprise_can_verify_until_the_reset(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    rng = random.Random(42)
    uscc, id_number = make_uscc(rng, "440106"), make_resident_id(rng, "440106")
    enrolled = await http.post(
        "/_sandbox/licences",
        json={
            "uscc": uscc.lower(),
            "enterprise_name": "广州测试科技有限公司",
            "legal_rep_name": "李娜",
            "legal_rep_id_number": id_number,
        },
    )
    assert enrolled.status_code == 201
    assert enrolled.json()["uscc"] == uscc
    code, verifier, _ = await code_for(http, uscc, id_number)
    token = (await exchange(http, code, verifier)).json()["id_token"]
    claims = claims_of(token)
    assert (claims["uscc"], claims["legal_rep_name"]) == (uscc, "李娜")

    identity.reset()
    assert uscc not in identity.app.state.licences
    assert FIRM.uscc in identity.app.state.licences


@pytest.mark.parametrize(
    "field_values",
    [
        {"uscc": "91440106000000000A"},
        {"legal_rep_id_number": "440106199001011234"},
        {"enterprise_name": " "},
        {"legal_rep_name": None},
    ],
)
async def test_enrolling_a_bad_licence_is_refused(
    http: httpx.AsyncClient, field_values: dict[str, str | None]
) -> None:
    body = {
        "uscc": FIRM.uscc,
        "enterprise_name": FIRM.name,
        "legal_rep_name": FIRM.legal_rep_name,
        "legal_rep_id_number": FIRM.legal_rep_id_number,
        **field_values,
    }
    assert (await http.post("/_sandbox/licences", json=body)).status_code == 400


# --- faults -------------------------------------------------------------------------------------
async def test_without_faults_the_strict_verifier_accepts(
    http: httpx.AsyncClient, identity: RunningIdentity
) -> None:
    token, params = await id_token_for(http)
    jwks = (await http.get("/jwks")).json()
    assert verify(token, jwks, issuer=identity.url, nonce=params["nonce"])["uscc"] == FIRM.uscc


@pytest.mark.parametrize("kind", sorted(IDENTITY_FAULT_KINDS))
async def test_each_fault_spoils_the_next_id_token_so_that_a_verifier_refuses_it(
    http: httpx.AsyncClient, identity: RunningIdentity, kind: str
) -> None:
    armed = await http.post("/_sandbox/faults", json={"kind": kind, "times": 1})
    assert armed.json()["pending"] == [kind]
    token, params = await id_token_for(http)
    jwks = (await http.get("/jwks")).json()
    with pytest.raises(JoseError):
        verify(token, jwks, issuer=identity.url, nonce=params["nonce"])

    header = header_of(token)
    claims = claims_of(token)
    published = jwks["keys"][0]["kid"]
    assert claims["uscc"] == FIRM.uscc  # the licence claims are still there, only spoiled
    if kind == "foreign_key":
        assert header["kid"] == published
        with pytest.raises(BadSignatureError):
            jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES256"])
    elif kind == "unsigned":
        assert header["alg"] == "none"
        assert token.endswith(".")
    elif kind == "no_kid":
        assert "kid" not in header
        # The signature itself is good: only the missing kid gives it away.
        assert jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES256"])
    elif kind == "wrong_audience":
        assert claims["aud"] != IDENTITY_CLIENT_ID
    elif kind == "wrong_issuer":
        assert claims["iss"] != identity.url
    elif kind == "expired":
        assert claims["exp"] == claims["iat"] + 300
        assert claims["exp"] < claims["auth_time"]  # it ended before the person even approved
    elif kind == "wrong_nonce":
        assert claims["nonce"] != params["nonce"]

    # The fault is spent: the next token is good again.
    token, params = await id_token_for(http)
    assert verify(token, jwks, issuer=identity.url, nonce=params["nonce"])
