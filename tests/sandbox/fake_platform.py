"""A small stand-in for the platform's side of CONTRACT §2, for testing the sandbox bank's
automation before the real ``/openapi/v1`` application endpoints exist: a token endpoint that
checks the ``private_key_jwt`` assertion and the DPoP proof, and the calls the bank makes
(profile, review, decision, loan events), each checking the DPoP-bound token and a fresh proof
for that very request. Everything it was asked is kept in ``app.state.calls``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from joserfc import jws, jwt
from joserfc.jwk import ECKey
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath


@dataclass
class FakePlatform:
    issuer: str
    client_id: str
    client_key: ECKey
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    applications: dict[str, str] = field(default_factory=dict)
    """Application id → status."""
    loans: dict[str, str] = field(default_factory=dict)
    """Loan id → application id."""
    events: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    """Loan id → (Idempotency-Key, body) in arrival order, replays not repeated."""
    answers: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    """Access token → the thumbprint of the DPoP key it is bound to."""
    fail_next: dict[str, int] = field(default_factory=dict)
    """Path suffix (``review``, ``decision``, ``events``, ``token``) → 503s to answer first."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _problem(status: int, detail: str) -> Response[Any]:
    return Response(
        {"title": "refused", "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def _proof(request: Request[Any, Any, Any], fake: FakePlatform, token: str | None) -> str:
    """The proof's key thumbprint; raises ``ValueError`` when it is not right."""
    proof = request.headers.get("dpop")
    if not proof:
        raise ValueError("no DPoP header")
    header = jws.extract_compact(proof.encode()).headers()
    if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
        raise ValueError("not a DPoP proof")
    key = ECKey.import_key(header["jwk"])
    claims = jwt.decode(proof, key, algorithms=["ES256"]).claims
    if claims.get("htm") != request.method or claims.get("htu") != fake.issuer + request.url.path:
        raise ValueError(f"the proof is for another request: {claims}")
    if token is not None:
        ath = _b64(hashlib.sha256(token.encode()).digest())
        if claims.get("ath") != ath:
            raise ValueError("the proof's ath is not the token's")
    return key.thumbprint()


def _failing(fake: FakePlatform, name: str) -> bool:
    if fake.fail_next.get(name, 0) > 0:
        fake.fail_next[name] -= 1
        return True
    return False


@post("/oauth/token", status_code=200)
async def token(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    fake: FakePlatform = state.fake
    form = dict(parse_qsl((await request.body()).decode()))
    fake.calls.append({"call": "token", "form": form, "dpop": "dpop" in request.headers})
    if _failing(fake, "token"):
        return _problem(503, "try later")
    try:
        jkt = _proof(request, fake, None)
        claims = jwt.decode(form["client_assertion"], fake.client_key, algorithms=["ES256"]).claims
    except (ValueError, KeyError) as exc:
        return Response({"error": "invalid_client", "error_description": str(exc)}, status_code=401)
    if (claims["iss"], claims["sub"], claims["aud"]) != (fake.client_id,) * 2 + (fake.issuer,):
        return Response({"error": "invalid_client"}, status_code=401)
    access = secrets.token_urlsafe(16)
    fake.tokens[access] = jkt
    return Response({"access_token": access, "token_type": "DPoP", "expires_in": 300})


def _caller(request: Request[Any, Any, Any], fake: FakePlatform, call: str) -> Response[Any] | None:
    """None when the DPoP-bound token and its proof are right; the refusal otherwise."""
    scheme, _, access = request.headers.get("authorization", "").partition(" ")
    fake.calls.append({"call": call, "path": request.url.path, "dpop": "dpop" in request.headers})
    if scheme != "DPoP" or access not in fake.tokens:
        return _problem(401, "a DPoP-bound token is required")
    try:
        if _proof(request, fake, access) != fake.tokens[access]:
            return _problem(401, "the proof's key is not the token's")
    except ValueError as exc:
        return _problem(401, str(exc))
    return None


@get("/openapi/v1/profiles/{uscc:str}")
async def profile(
    uscc: FromPath[str], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    fake: FakePlatform = state.fake
    if (refused := _caller(request, fake, "profile")) is not None:
        return refused
    if uscc not in fake.profiles:
        return _problem(403, "no live consent")
    return Response(fake.profiles[uscc])


@post("/openapi/v1/applications/{app_id:str}/review", status_code=200)
async def review(
    app_id: FromPath[str], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    fake: FakePlatform = state.fake
    if (refused := _caller(request, fake, "review")) is not None:
        return refused
    if _failing(fake, "review"):
        return _problem(503, "try later")
    if app_id not in fake.applications:
        return _problem(404, "not your application")
    if fake.applications[app_id] not in ("submitted", "delivered"):
        return _problem(409, f"the application is {fake.applications[app_id]}")
    fake.applications[app_id] = "under_review"
    return Response({"id": app_id, "status": "under_review"})


@post("/openapi/v1/applications/{app_id:str}/decision", status_code=200)
async def decision(
    app_id: FromPath[str], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    fake: FakePlatform = state.fake
    if (refused := _caller(request, fake, "decision")) is not None:
        return refused
    fake.calls[-1]["body"] = body = await request.json()
    if _failing(fake, "decision"):
        return _problem(503, "try later")
    if fake.applications.get(app_id) != "under_review":
        return _problem(409, "already decided")
    approved = body["outcome"] == "approve"
    fake.applications[app_id] = "approved" if approved else "rejected"
    loan_id = f"loan-{app_id}" if approved else None
    if loan_id:
        fake.loans[loan_id] = app_id
    status = fake.applications[app_id]
    return Response({"application": {"id": app_id, "status": status}, "loan_id": loan_id})


@post("/openapi/v1/loans/{loan_id:str}/events", status_code=200)
async def loan_event(
    loan_id: FromPath[str], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    fake: FakePlatform = state.fake
    if (refused := _caller(request, fake, "event")) is not None:
        return refused
    key = request.headers.get("idempotency-key")
    body = await request.json()
    if not key:
        return _problem(400, "Idempotency-Key is required")
    if key in fake.answers:
        was, answer = fake.answers[key]
        return Response(answer) if was == repr(body) else _problem(422, "another body")
    if _failing(fake, "events"):
        return _problem(503, "try later")
    if loan_id not in fake.loans:
        return _problem(404, "no such loan")
    fake.events.setdefault(loan_id, []).append((key, body))
    answer = {"event": body, "loan": {"id": loan_id}}
    fake.answers[key] = (repr(body), answer)
    return Response(answer)


@get("/_fake/ready")
async def ready() -> dict[str, bool]:
    return {"ready": True}


def create_fake_platform(fake: FakePlatform) -> Litestar:
    return Litestar(
        route_handlers=[ready, token, profile, review, decision, loan_event],
        state=State({"fake": fake}),
        openapi_config=None,
    )
