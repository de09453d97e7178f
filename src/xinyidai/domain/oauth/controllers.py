"""The authorisation server's endpoints: token, JWKS and metadata (RFC 8414).

The token endpoint answers in RFC 6749 §5.2's shape (``error``, ``error_description``), which
bank OAuth libraries expect, with the problem-details members (``type``, ``title``, ``status``)
added beside them so it reads like every other error of the platform.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio.to_thread
from authlib.oauth2.rfc6749 import OAuth2Error
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.oauth import codeflow, dpop, tokens
from xinyidai.domain.oauth.clients import BankClient, ClientService
from xinyidai.domain.oauth.keys import KeyStore
from xinyidai.domain.oauth.metadata import metadata
from xinyidai.domain.oauth.server import TokenContext, authenticate, token_response
from xinyidai.infra.errors import NotFound
from xinyidai.settings import Settings

FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str) -> Response[Any]:
    body = {
        "error": error,
        "error_description": description,
        "type": f"urn:xinyidai:problem:oauth-{error.replace('_', '-')}",
        "title": error.replace("_", " "),
        "status": status,
    }
    return Response(body, status_code=status, headers=_NO_STORE, media_type="application/json")


def _unverified_claims(assertion: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified (only to find whose client it claims to be;
    the core verifies it)."""
    try:
        payload = assertion.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _claimed_client_id(form: dict[str, str], authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except ValueError:
            return None
        return decoded.split(":", 1)[0] or None
    assertion = form.get("client_assertion")
    if assertion:
        sub = _unverified_claims(assertion).get("sub")
        return sub if isinstance(sub, str) else None
    return form.get("client_id") or None


async def _form(request: Request[Any, Any, Any]) -> dict[str, str] | Response[Any]:
    """The form-encoded body, each parameter once (RFC 6749 §3.2), or the error to answer."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        return oauth_error(400, "invalid_request", f"the body must be {FORM}")
    raw = await request.form()
    form: dict[str, str] = {}
    for name, value in raw.multi_items():
        if not isinstance(value, str):
            return oauth_error(400, "invalid_request", "parameters are text")
        if name in form:
            return oauth_error(400, "invalid_request", f"{name} is given more than once")
        form[name] = value
    return form


def _auth_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.lower() == "authorization"}


async def _context(
    request: Request[Any, Any, Any], db: AsyncSession, form: dict[str, str], *, jkt: str
) -> TokenContext:
    """What the core needs, loaded before it runs: the client the request claims to be."""
    settings: Settings = request.app.state.settings
    client_id = _claimed_client_id(form, request.headers.get("authorization"))
    store: KeyStore = request.app.state.oauth_keys
    # The keys first: a reload (the first use, then every minute) takes a pooled connection of
    # its own, and must never wait behind requests that hold theirs while waiting for the keys
    # (with as many token requests at once as the pool has connections, they all would).
    keys = await store.ring()
    return TokenContext(
        issuer=settings.issuer,
        client=await ClientService(db).find(client_id) if client_id else None,
        keys=keys,
        jkt=jkt,
        token_seconds=settings.oauth_token_seconds,
        redis=request.app.state.redis,
        allow_secrets=settings.oauth_allow_secrets,
        session=db,
    )


async def _client_call(
    request: Request[Any, Any, Any], db: AsyncSession, url: str
) -> tuple[BankClient, dict[str, str]] | Response[Any]:
    """A client-authenticated form post (``private_key_jwt``): the client and the form, or the
    error to answer."""
    form = await _form(request)
    if isinstance(form, Response):
        return form
    context = await _context(request, db, form, jkt="")
    try:
        client = await anyio.to_thread.run_sync(
            authenticate, context, form, _auth_headers(request), url
        )
    except OAuth2Error as exc:
        return oauth_error(exc.status_code, exc.error, exc.description or exc.error)
    return client, form


async def _about_a_token(
    request: Request[Any, Any, Any], db: AsyncSession, endpoint: str
) -> dict[str, Any] | Response[Any]:
    """Revoke or introspect the ``token`` of the authenticated client: the introspection (or
    an empty answer for a revocation), or the error to answer."""
    settings: Settings = request.app.state.settings
    checked = await _client_call(request, db, f"{settings.issuer}/oauth/{endpoint}")
    if isinstance(checked, Response):
        return checked
    client, form = checked
    act = tokens.introspect if endpoint == "introspect" else tokens.revoke
    state = request.app.state
    result = await act(state.redis, db, state.oauth_keys, settings, client, form.get("token", ""))
    return result or {}


class OAuthController(Controller):
    path = "/oauth"
    tags = ["oauth"]
    include_in_schema = False  # banks read these in the bank API's document, not the portal's

    @post(
        "/par",
        summary="Pushed authorisation request (RFC 9126); the only way into the code flow",
        status_code=201,
    )
    async def par(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        form = await _form(request)
        if isinstance(form, Response):
            return form
        url = f"{settings.issuer}/oauth/par"
        jkt = form.get("dpop_jkt")
        if request.headers.get("dpop"):  # RFC 9449 §10.1: a proof here binds the code
            try:
                proof = await dpop.verify(
                    request.app.state.redis, request.headers["dpop"], method="POST", url=url
                )
            except dpop.DPoPError as exc:
                return oauth_error(400, "invalid_dpop_proof", exc.description)
            if jkt is not None and jkt != proof.jkt:
                return oauth_error(400, "invalid_dpop_proof", "dpop_jkt is not the proof's key")
            form["dpop_jkt"] = proof.jkt
        context = await _context(request, db, form, jkt="")
        try:
            client = await anyio.to_thread.run_sync(
                authenticate, context, form, _auth_headers(request), url
            )
            pushed = codeflow.check_pushed(form, client)
        except OAuth2Error as exc:
            return oauth_error(exc.status_code, exc.error, exc.description or exc.error)
        except codeflow.ParError as exc:
            return oauth_error(400, exc.error, exc.description)
        request_uri = await codeflow.push(request.app.state.redis, pushed)
        body = {"request_uri": request_uri, "expires_in": codeflow.REQUEST_URI_SECONDS}
        return Response(body, status_code=201, headers=_NO_STORE, media_type="application/json")

    @get("/authorize", summary="Authorisation endpoint: only a fresh pushed request_uri")
    async def authorize(
        self,
        request: Request[Any, Any, Any],
        client_id: FromQuery[str | None] = None,
        request_uri: FromQuery[str | None] = None,
    ) -> Redirect:
        """Sends the browser to the portal's consent screen (via the login page when needed);
        an unknown, expired or used request ends on that screen's explanation instead."""
        try:
            if not client_id or not request_uri:
                raise NotFound("the code flow starts with a pushed request (request_uri)")
            consent_request = await codeflow.take_pushed(
                request.app.state.redis, client_id, request_uri
            )
        except NotFound:
            return Redirect("/sme/oauth-consent/expired", status_code=303)
        return Redirect(f"/sme/oauth-consent/{consent_request}", status_code=303)

    @post(
        "/token",
        summary="Token endpoint (client credentials; private_key_jwt; DPoP-bound tokens)",
        description="Form-encoded (RFC 6749 §3.2). Needs a `DPoP` proof header (RFC 9449) and "
        "a client assertion (RFC 7523, `private_key_jwt`). Answers an RFC 9068 JWT access "
        "token of `token_type` DPoP, or an RFC 6749 error.",
        status_code=200,
    )
    async def token(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        form = await _form(request)
        if isinstance(form, Response):
            return form
        url = f"{settings.issuer}/oauth/token"
        try:
            proof = await dpop.verify(
                request.app.state.redis, request.headers.get("dpop"), method="POST", url=url
            )
        except dpop.DPoPError as exc:
            return oauth_error(400, "invalid_dpop_proof", exc.description)
        context = await _context(request, db, form, jkt=proof.jkt)
        status, body, response_headers = await anyio.to_thread.run_sync(
            token_response, context, form, _auth_headers(request), url
        )
        if status >= 400 and isinstance(body, dict):
            error = str(body.get("error", "invalid_request"))
            return oauth_error(status, error, str(body.get("error_description", error)))
        return Response(
            body, status_code=status, headers=dict(response_headers), media_type="application/json"
        )

    @post(
        "/revoke",
        summary="Token revocation (RFC 7009): an access or refresh token of the calling client",
        status_code=200,
    )
    async def revoke(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        answered = await _about_a_token(request, db, "revoke")
        if isinstance(answered, Response):
            return answered
        return Response(None, status_code=200, headers=_NO_STORE)

    @post(
        "/introspect",
        summary="Token introspection (RFC 7662) for the client the token was issued to",
        status_code=200,
    )
    async def introspect(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        answered = await _about_a_token(request, db, "introspect")
        if isinstance(answered, Response):
            return answered
        return Response(answered, status_code=200, headers=_NO_STORE, media_type="application/json")

    @get(
        "/jwks",
        summary="The keys that sign access tokens (JWK Set)",
        media_type="application/jwk-set+json",
        cache_control=CacheControlHeader(public=True, max_age=300),
    )
    async def jwks(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        store: KeyStore = request.app.state.oauth_keys
        return (await store.ring()).jwks()


@get(
    "/.well-known/oauth-authorization-server",
    summary="Authorisation server metadata (RFC 8414)",
    tags=["oauth"],
    include_in_schema=False,
    cache_control=CacheControlHeader(public=True, max_age=300),
)
async def server_metadata(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return metadata(request.app.state.settings)
