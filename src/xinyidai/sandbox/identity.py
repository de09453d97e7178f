"""The sandbox identity service: a stand-in for the electronic business licence (电子营业执照).

A Litestar app of its own (not part of the platform's app). An enterprise's legal representative
proves, through an OpenID Connect-style authorization-code flow, that they hold the licence of a
USCC; the platform is the one registered client (``client_secret_basic``, PKCE S256 forced).

``GET /.well-known/openid-configuration``, ``GET /jwks``
    Discovery and the public signing key (EC P-256, ES256, with ``kid``).
``GET /authorize``
    An unknown ``client_id`` or a ``redirect_uri`` not registered exactly gives a 400 page (never
    a redirect). Other bad requests redirect to the client with ``error``. A good request is kept
    server-side for 10 minutes under a random ``request_id`` and answered with a bilingual
    confirmation page, or with JSON when the client prefers ``application/json`` (automation).
``POST /authorize``
    The confirmation form. ``deny`` redirects with ``access_denied``; ``approve`` needs the USCC
    and the legal representative's ID number as the licence registry has them (else the form
    again, 400; five failures end the request) and redirects with a single-use code (60 s).
``POST /token``
    The authorization-code grant: the code, the same ``redirect_uri`` and the PKCE verifier,
    client authentication by HTTP Basic only. Answers an access token and the signed ID token
    whose claims name the enterprise (``uscc``, ``enterprise_name``) and its legal
    representative (``legal_rep_name``, ``legal_rep_id_masked``; ``sub`` is pairwise).

Test controls (a sandbox; never expose it beyond loopback):

* ``app.state.licences`` (``POST /_sandbox/licences``): the licence registry, seeded with the
  demo city's enterprises.
* ``app.state.faults`` (:class:`IdentityFaultPlan`, ``POST /_sandbox/faults``): the next ID
  tokens come out wrong in a named way (see :data:`IDENTITY_FAULT_KINDS`).
* :func:`reset` (``POST /_sandbox/reset``): clears faults, pending requests, codes, tokens and
  enrolled licences.

Run it alone with ``python -m xinyidai.sandbox identity --port 8200 --issuer URL --client-id ID
--redirect-uri URI``; the client secret is read from standard input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import ECKey
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State

from xinyidai.domain.demo.city import demo_enterprises
from xinyidai.domain.enterprises.codes import (
    CodeError,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)
from xinyidai.sandbox.faults import FaultQueue, arm_faults, show_faults
from xinyidai.sandbox.identity_pages import error_page, form_page

DEFAULT_IDENTITY_CLIENT_SECRET = "sandbox-identity-secret"  # noqa: S105 - published sandbox value
ACR = "urn:xinyidai:sandbox:elicence"
SCOPES = ("openid", "licence")
REQUEST_TTL = 600  # seconds a pending authorization request lives
CODE_TTL = 60
ID_TOKEN_TTL = 300
ACCESS_TOKEN_TTL = 300
MAX_ATTEMPTS = 5  # wrong answers before a pending request is thrown away
CLAIMS = (
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "auth_time",
    "nonce",
    "jti",
    "acr",
    "amr",
    "uscc",
    "enterprise_name",
    "legal_rep_name",
    "legal_rep_id_masked",
)
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_MAX_PARAM = 512  # longest state, nonce or login_hint accepted
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

IDENTITY_FAULT_KINDS = frozenset(
    {
        "foreign_key",  # signed by another key that carries the published kid
        "wrong_audience",  # aud is another client
        "wrong_issuer",  # iss is another issuer
        "expired",  # iat and exp an hour in the past
        "wrong_nonce",  # a nonce the client never sent
        "unsigned",  # alg "none", empty signature
        "no_kid",  # signed with the right key, but the header names no kid
    }
)


# --- state --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Licence:
    """One electronic business licence: the enterprise and its legal representative."""

    uscc: str
    enterprise_name: str
    legal_rep_name: str
    legal_rep_id_number: str


_LICENCE_FIELDS = ("uscc", "enterprise_name", "legal_rep_name", "legal_rep_id_number")


@dataclass(slots=True)
class PendingRequest:
    """An authorization request waiting for the legal representative's answer."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    login_hint: str
    expires_at: float
    failures: int = 0


@dataclass(frozen=True, slots=True)
class IssuedCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    licence: Licence
    auth_time: int
    expires_at: float


@dataclass
class IdentityFaultPlan(FaultQueue):
    """Faults the next ID tokens carry, one kind per token issued."""

    KINDS: ClassVar[frozenset[str]] = IDENTITY_FAULT_KINDS


def reset(app: Litestar) -> None:
    """Forget faults, pending requests, codes and tokens; keep only the demo licences."""
    state = app.state
    state.faults.clear()
    state.requests.clear()
    state.codes.clear()
    state.used_codes.clear()
    state.tokens.clear()
    state.licences.clear()
    state.licences.update(state.demo_licences)


def enrol(app: Litestar, licence: Licence) -> Licence:
    """Add or replace a licence in the registry (validated and normalised)."""
    normalised = Licence(
        uscc=validate_uscc(licence.uscc),
        enterprise_name=_text(licence.enterprise_name, "enterprise_name"),
        legal_rep_name=_text(licence.legal_rep_name, "legal_rep_name"),
        legal_rep_id_number=validate_resident_id(licence.legal_rep_id_number),
    )
    app.state.licences[normalised.uscc] = normalised
    return normalised


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise ValueError(f"{name} must have 1 to 200 characters")
    return value


# --- helpers ------------------------------------------------------------------------------------
def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=body, status_code=status, headers=headers, media_type="application/json"
    )


def _oauth_error(status: int, error: str, description: str) -> Response[Any]:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox-identity"'
    return _json(status, {"error": error, "error_description": description}, headers)


def _html(status: int, page: str) -> Response[Any]:
    headers = {
        **_NO_STORE,
        # No form-action: browsers apply it to the redirect that follows the form, too.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(content=page, status_code=status, headers=headers, media_type="text/html")


def _redirect(uri: str, params: dict[str, str]) -> Response[Any]:
    """303 to ``uri`` with ``params`` added to whatever query it already has."""
    parts = urlsplit(uri)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(content=b"", status_code=303, headers={"Location": location, **_NO_STORE})


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match(["text/html", "application/json"]) == "application/json"


def _single_params(pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """The parameters as a dict, or None when one is repeated (RFC 6749 §3.1)."""
    names = [name for name, _ in pairs]
    return dict(pairs) if len(names) == len(set(names)) else None


async def _form(request: Request[Any, Any, Any]) -> dict[str, str] | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None
    return _single_params(pairs)


def _purge(state: State) -> None:
    now = time.time()
    for store in (state.requests, state.codes):
        for key, item in list(store.items()):
            if item.expires_at <= now:
                store.pop(key, None)
    for key, expires in list(state.used_codes.items()):
        if expires <= now:
            state.used_codes.pop(key, None)
    for key, expires in list(state.tokens.items()):
        if expires <= now:
            state.tokens.pop(key, None)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _client_from_basic(header: str) -> tuple[str, str] | None:
    """(client_id, secret) of an HTTP Basic header, form-decoded as RFC 6749 §2.3.1 says."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pairwise_subject(secret: bytes, client_id: str, id_number: str) -> str:
    """The ``sub`` of a person for one client: HMAC-SHA256 over (client_id, id number)."""
    message = json.dumps([client_id, id_number.upper()], separators=(",", ":")).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


# --- discovery ----------------------------------------------------------------------------------
@get("/.well-known/openid-configuration")
async def discovery(state: State) -> Response[Any]:
    issuer = state.issuer
    base = issuer.rstrip("/")
    return _json(
        200,
        {
            "issuer": issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "jwks_uri": base + "/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
            "acr_values_supported": [ACR],
            "authorization_response_iss_parameter_supported": True,
        },
    )


@get("/jwks")
async def jwks(state: State) -> Response[Any]:
    return _json(200, {"keys": [state.public_jwk]}, {"Cache-Control": "public, max-age=300"})


# --- authorization ------------------------------------------------------------------------------
@get("/authorize")
async def authorize(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    _purge(state)
    pairs = parse_qsl(
        request.scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True
    )
    query = dict(pairs)
    counted = [name for name, _ in pairs]
    client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
    if counted.count("client_id") != 1 or not _same(client_id, state.client_id):
        return _html(400, error_page("unknown_client"))
    if counted.count("redirect_uri") != 1 or redirect_uri not in state.redirect_uris:
        return _html(400, error_page("unknown_redirect_uri"))

    client_state = query.get("state", "")
    problem = _authorize_problem(pairs, query)
    if problem is not None:
        error, description = problem
        params = {"error": error, "error_description": description}
        if client_state and len(client_state) <= _MAX_PARAM:
            params["state"] = client_state
        params["iss"] = state.issuer
        return _redirect(redirect_uri, params)

    login_hint = query.get("login_hint", "").strip()
    request_id = secrets.token_urlsafe(24)
    state.requests[request_id] = PendingRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=client_state,
        nonce=query["nonce"],
        code_challenge=query["code_challenge"],
        login_hint=login_hint,
        expires_at=time.time() + REQUEST_TTL,
    )
    if _wants_json(request):
        return _json(
            200,
            {"request_id": request_id, "client_id": client_id, "login_hint": login_hint},
            _NO_STORE,
        )
    return _html(200, form_page(request_id, client_id, login_hint))


def _authorize_problem(
    pairs: list[tuple[str, str]], query: dict[str, str]
) -> tuple[str, str] | None:
    """(error, description) for an authorization request of the known client; None if good."""
    if _single_params(pairs) is None:
        return "invalid_request", "a parameter is repeated"
    response_type = query.get("response_type")
    if not response_type:
        return "invalid_request", "response_type is required"
    if response_type != "code":
        return "unsupported_response_type", "only response_type=code is supported"
    scopes = query.get("scope", "").split()
    if "openid" not in scopes:
        return "invalid_request", "the scope must include openid"
    if any(scope not in SCOPES for scope in scopes):
        return "invalid_scope", f"the scopes are {' '.join(SCOPES)}"
    return _binding_problem(query)


def _binding_problem(query: dict[str, str]) -> tuple[str, str] | None:
    """(error, description) when state, nonce, the PKCE challenge or the login hint is bad."""
    client_state = query.get("state", "")
    if not client_state or len(client_state) > _MAX_PARAM:
        return "invalid_request", f"state is required (at most {_MAX_PARAM} characters)"
    nonce = query.get("nonce", "")
    if not nonce or len(nonce) > _MAX_PARAM:
        return "invalid_request", f"nonce is required (at most {_MAX_PARAM} characters)"
    if query.get("code_challenge_method") != "S256":
        return "invalid_request", "PKCE with code_challenge_method=S256 is required"
    if not _CHALLENGE_RE.match(query.get("code_challenge", "")):
        return "invalid_request", "code_challenge must be 43 base64url characters"
    if len(query.get("login_hint", "").strip()) > _MAX_PARAM:
        return "invalid_request", "login_hint is too long"
    return None


@post("/authorize", status_code=200)
async def answer(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    _purge(state)
    wants_json = _wants_json(request)
    form = await _form(request)
    if form is None:
        return _html(400, error_page("bad_form"))
    request_id = form.get("request_id", "")
    pending: PendingRequest | None = state.requests.get(request_id)
    if pending is None:
        return _html(400, error_page("unknown_request"))

    decision = form.get("decision")
    if decision == "deny":
        del state.requests[request_id]
        return _redirect(
            pending.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "the legal representative refused",
                "state": pending.state,
                "iss": state.issuer,
            },
        )

    uscc = form.get("uscc", "").strip().upper()
    id_number = form.get("legal_rep_id_number", "").strip().upper()
    licence: Licence | None = state.licences.get(uscc)
    if (
        decision == "approve"
        and licence is not None
        and _same(id_number, licence.legal_rep_id_number.upper())
    ):
        del state.requests[request_id]
        code = secrets.token_urlsafe(32)
        state.codes[code] = IssuedCode(
            client_id=pending.client_id,
            redirect_uri=pending.redirect_uri,
            code_challenge=pending.code_challenge,
            nonce=pending.nonce,
            licence=licence,
            auth_time=int(time.time()),
            expires_at=time.time() + CODE_TTL,
        )
        return _redirect(
            pending.redirect_uri, {"code": code, "state": pending.state, "iss": state.issuer}
        )

    if decision not in ("approve", "deny"):
        problem = "no_decision"
    else:
        pending.failures += 1
        problem = "not_legal_rep"
    left = MAX_ATTEMPTS - pending.failures
    if left <= 0:
        del state.requests[request_id]
        problem = "too_many_attempts"
    if wants_json:
        return _json(
            400,
            {
                "error": problem,
                "request_id": request_id if left > 0 else None,
                "attempts_left": max(left, 0),
            },
            _NO_STORE,
        )
    if left <= 0:
        return _html(400, error_page(problem))
    return _html(
        400, form_page(request_id, pending.client_id, uscc, problem=problem, attempts_left=left)
    )


# --- token --------------------------------------------------------------------------------------
class _TokenRefusal(Exception):
    """A token request refused with an OAuth error response."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@post("/token", status_code=200)
async def token(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    _purge(state)
    try:
        client_id = _token_client(request, state)
        form = _token_form(await _form(request), client_id)
        issued = _redeem_code(state, form["code"], form, client_id)
    except _TokenRefusal as refusal:
        return _oauth_error(refusal.status, refusal.error, refusal.description)

    access_token = secrets.token_urlsafe(32)
    state.tokens[access_token] = time.time() + ACCESS_TOKEN_TTL
    return _json(
        200,
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL,
            "id_token": _id_token(state, issued, state.faults.take()),
            "scope": " ".join(SCOPES),
        },
        _NO_STORE,
    )


def _token_client(request: Request[Any, Any, Any], state: State) -> str:
    """The client_id that authenticated with HTTP Basic; refused unless it is the client."""
    header = request.headers.get("authorization")
    basic = _client_from_basic(header) if header else None
    if basic is None:
        raise _TokenRefusal(401, "invalid_client", "authenticate with HTTP Basic")
    client_id, secret = basic
    known_id = _same(client_id, state.client_id)
    known_secret = _same(secret, state.client_secret)
    if not (known_id and known_secret):
        raise _TokenRefusal(401, "invalid_client", "unknown client or wrong secret")
    return client_id


def _token_form(form: dict[str, str] | None, client_id: str) -> dict[str, str]:
    """The token request's form, refused unless it is a complete authorization_code grant."""
    if form is None:
        raise _TokenRefusal(
            400,
            "invalid_request",
            "the body must be an application/x-www-form-urlencoded form, each parameter once",
        )
    if "client_secret" in form:
        raise _TokenRefusal(400, "invalid_request", "use HTTP Basic only (client_secret_basic)")
    if "client_id" in form and form["client_id"] != client_id:
        raise _TokenRefusal(400, "invalid_request", "client_id differs from the Basic one")
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _TokenRefusal(400, "invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        raise _TokenRefusal(400, "unsupported_grant_type", "only authorization_code")
    for name in ("code", "redirect_uri", "code_verifier"):
        if not form.get(name):
            raise _TokenRefusal(400, "invalid_request", f"{name} is required")
    if not _VERIFIER_RE.match(form["code_verifier"]):
        raise _TokenRefusal(
            400, "invalid_request", "code_verifier must have 43 to 128 unreserved characters"
        )
    return form


def _redeem_code(state: State, code_value: str, form: dict[str, str], client_id: str) -> IssuedCode:
    """The grant behind a code, refused unless client, redirect_uri and PKCE verifier match.

    The code is consumed before any check: a code is good for one attempt, right or wrong.
    """
    issued: IssuedCode | None = state.codes.pop(code_value, None)
    if issued is None:
        if code_value in state.used_codes:
            raise _TokenRefusal(400, "invalid_grant", "the code was already used")
        raise _TokenRefusal(400, "invalid_grant", "unknown or expired code")
    state.used_codes[code_value] = time.time() + REQUEST_TTL
    if issued.expires_at <= time.time():
        raise _TokenRefusal(400, "invalid_grant", "the code expired")
    if not _same(issued.client_id, client_id):
        raise _TokenRefusal(400, "invalid_grant", "the code was issued to another client")
    if issued.redirect_uri != form["redirect_uri"]:
        raise _TokenRefusal(400, "invalid_grant", "redirect_uri differs from the authorization")
    if not _same(_s256(form["code_verifier"]), issued.code_challenge):
        raise _TokenRefusal(400, "invalid_grant", "the PKCE code_verifier does not match")
    return issued


def _id_token(state: State, issued: IssuedCode, fault: str | None) -> str:
    """The signed ID token for ``issued``, spoiled as ``fault`` says."""
    now = int(time.time())
    licence = issued.licence
    claims: dict[str, Any] = {
        "iss": state.issuer,
        "aud": issued.client_id,
        "sub": pairwise_subject(
            state.subject_secret, issued.client_id, licence.legal_rep_id_number
        ),
        "iat": now,
        "exp": now + ID_TOKEN_TTL,
        "auth_time": issued.auth_time,
        "nonce": issued.nonce,
        "jti": secrets.token_urlsafe(16),
        "acr": ACR,
        "amr": ["pwd"],
        "uscc": licence.uscc,
        "enterprise_name": licence.enterprise_name,
        "legal_rep_name": licence.legal_rep_name,
        "legal_rep_id_masked": mask_resident_id(licence.legal_rep_id_number),
    }
    header: dict[str, Any] = {"alg": "ES256", "kid": state.kid, "typ": "JWT"}
    key: ECKey = state.signing_key
    if fault == "wrong_audience":
        claims["aud"] = "another-client"
    elif fault == "wrong_issuer":
        claims["iss"] = "https://impostor.invalid/identity"
    elif fault == "expired":
        claims["iat"] = now - 3600
        claims["exp"] = now - 3600 + ID_TOKEN_TTL
    elif fault == "wrong_nonce":
        claims["nonce"] = secrets.token_urlsafe(16)
    elif fault == "foreign_key":
        key = ECKey.generate_key("P-256")
    elif fault == "no_kid":
        del header["kid"]
    elif fault == "unsigned":
        header["alg"] = "none"
        encoded = (
            _b64url(json.dumps(header, separators=(",", ":")).encode()),
            _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()),
        )
        return f"{encoded[0]}.{encoded[1]}."
    return jwt.encode(header, claims, key)


# --- test controls ------------------------------------------------------------------------------
@post("/_sandbox/licences", status_code=201)
async def enrol_licence(request: Request[Any, Any, Any]) -> Response[Any]:
    """``{"uscc", "enterprise_name", "legal_rep_name", "legal_rep_id_number"}``: upsert."""
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("a JSON object is expected")
        values = [body.get(name) for name in _LICENCE_FIELDS]
        if not all(isinstance(value, str) for value in values):
            raise ValueError(f"{', '.join(_LICENCE_FIELDS)} are required strings")
        licence = enrol(request.app, Licence(*(str(value) for value in values)))
    except CodeError as exc:
        return _json(400, {"error": exc.rule, "error_description": exc.message})
    except (ValueError, TypeError) as exc:
        return _json(400, {"error": "invalid_request", "error_description": str(exc)})
    return _json(201, asdict(licence))


@post("/_sandbox/reset", status_code=200)
async def reset_sandbox(request: Request[Any, Any, Any]) -> dict[str, bool]:
    reset(request.app)
    return {"reset": True}


# --- the app ------------------------------------------------------------------------------------
def create_identity_app(
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    seed: int = 2026,
    demo_firms: int = 200,
    signing_key: ECKey | None = None,
    subject_secret: bytes | None = None,
    faults: IdentityFaultPlan | None = None,
) -> Litestar:
    """The identity service at ``issuer`` for one client, with the demo city's licences.

    ``signing_key`` (a private EC P-256 key) and ``subject_secret`` (for pairwise ``sub``) are
    random unless given; give both to keep tokens and subjects stable across restarts.
    """
    if not redirect_uris:
        raise ValueError("at least one redirect URI is required")
    key = signing_key if signing_key is not None else ECKey.generate_key("P-256")
    if key.curve_name != "P-256" or not key.is_private:
        raise ValueError("the signing key must be a private EC P-256 key")
    kid = key.kid or key.thumbprint()
    public_jwk = {
        **key.as_dict(private=False),
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
    }
    demo = {
        firm.uscc: Licence(
            uscc=firm.uscc,
            enterprise_name=firm.name,
            legal_rep_name=firm.legal_rep_name,
            legal_rep_id_number=firm.legal_rep_id_number,
        )
        for firm in demo_enterprises(demo_firms, seed)
    }
    state = State(
        {
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": tuple(redirect_uris),
            "signing_key": key,
            "kid": kid,
            "public_jwk": public_jwk,
            "subject_secret": subject_secret or secrets.token_bytes(32),
            "faults": faults if faults is not None else IdentityFaultPlan(),
            "demo_licences": demo,
            "licences": dict(demo),
            "requests": {},
            "codes": {},
            "used_codes": {},
            "tokens": {},
        }
    )
    return Litestar(
        route_handlers=[
            discovery,
            jwks,
            authorize,
            answer,
            token,
            enrol_licence,
            show_faults,
            arm_faults,
            reset_sandbox,
        ],
        state=state,
        openapi_config=None,
    )


__all__ = [
    "DEFAULT_IDENTITY_CLIENT_SECRET",
    "IDENTITY_FAULT_KINDS",
    "IdentityFaultPlan",
    "Licence",
    "create_identity_app",
    "enrol",
    "pairwise_subject",
    "reset",
]
