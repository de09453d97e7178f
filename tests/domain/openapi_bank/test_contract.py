"""Schemathesis drives the bank API's own OpenAPI document (``/openapi/v1/schema/openapi.json``)
in process, with data that fits it (positive) and data that does not (negative), as a bank
holding a live consent (a fresh DPoP proof for every call, its token renewed when it nears
expiry) and as a caller with no token: no response may be a 5xx or disagree with the document
(status codes, content types, bodies, headers).

One world is arranged per module: an SME with tax and electricity authorised, a snapshot and a
score by a real model, bank A's registered client, and the SME's consent to bank A. Half of
the cases name that SME's USCC, so that they reach the consent and family checks instead of
stopping at a 404.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.python.asgi import get_client, shutdown_lifespans

from tests.conftest import PASSWORD, World
from tests.engines import SuiteEngines, with_database
from tests.oauth_fixtures import BankKeys, client_assertion, dpop_proof, register
from xinyidai.app import create_app
from xinyidai.domain.accounts.sessions import CSRF_HEADER
from xinyidai.models import Role
from xinyidai.settings import Env, Settings

pytestmark = pytest.mark.slow  # hundreds of generated calls, a trained model

ISSUER = "https://platform.test"
API = f"{ISSUER}/openapi/v1"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXCLUDED = {
    # A USCC is typed "a string" so that the service can say which rule a value breaks (and
    # an unknown SME is a 404): schema-valid data may thus be refused.
    "positive_data_acceptance",
}
MAX_EXAMPLES = 50  # per operation, caller and mode: 2 x 3 x 2 x 50 = 600 calls


@dataclass
class Arranged:
    app: Any
    client: Any
    bank: BankKeys
    uscc: str
    schema: Any
    caller: Caller | None = None
    """Whose credentials the schema's auth provider puts on the cases being generated."""


def _register_auth(arranged: Arranged) -> None:
    """Schemathesis' own auth hook: the caller's token and a proof made for each case (its
    method and URL), so that the checks know the credentials are the test's, not generated,
    and probe the same call without them."""

    @arranged.schema.auth(refresh_interval=None)
    class DPoPAuth:
        def get(self, case: Any, ctx: Any) -> str | None:
            caller = arranged.caller
            return caller.current_token() if caller is not None else None

        def set(self, case: Any, token: str, ctx: Any) -> None:
            url = API + case.formatted_path
            case.headers = dict(case.headers or {})
            case.headers["Authorization"] = f"DPoP {token}"
            case.headers["DPoP"] = dpop_proof(
                arranged.bank.dpop, case.method.upper(), url, access_token=token
            )


async def _arrange(world: World, bundle_dir: Any) -> tuple[BankKeys, str, str]:
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring import registry
    from xinyidai.domain.scoring.services import score_snapshot

    db = world.session
    sme = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.authorize(sme.id, ["tax", "electricity"], owner.id)
    registered = await registry.register(db, bundle_dir, "test")
    await registry.activate(db, registered.version, "test", "bank API contract test")
    snapshot = await snapshots.rebuild(db, sme.id, "test")
    assert snapshot is not None
    await score_snapshot(db, snapshot.id)
    await db.commit()
    bank = await register(db, world, "BANK_A")
    return bank, sme.uscc, str(sme.id)


def _consent(client: Any, enterprise_id: str) -> None:
    """The SME's owner consents, through the portal API, to bank A reading tax and its score."""
    login = client.post(
        f"{ISSUER}/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    banks = client.get(f"{ISSUER}/api/v1/banks").json()
    items = banks["items"] if isinstance(banks, dict) else banks
    bank_id = next(b["id"] for b in items if b["short_code"] == "BANK_A")
    granted = client.post(
        f"{ISSUER}/api/v1/enterprises/{enterprise_id}/bank-consents",
        json={
            "bank_id": bank_id,
            "families": ["tax", "score"],
            "purpose": "general",
            "reference": "授信评估",
        },
        headers={CSRF_HEADER: login.json()["csrf_token"]},
    )
    assert granted.status_code == 201, granted.text
    client.cookies.clear()


@pytest.fixture(scope="module")
async def arranged(engines: SuiteEngines, bundle_dir: Any) -> AsyncIterator[Arranged]:
    from xinyidai.infra.db import create_engine, session_factory

    name = await engines.fresh_database()
    redis = Redis.from_url(engines.redis_url)
    await redis.flushdb()
    settings_ = Settings(
        env=Env.TEST,
        database_url=with_database(engines.database_url, name),
        redis_url=engines.redis_url,
        worker_in_process=False,
        public_url=ISSUER,
        bank_api_rate_limit=1_000_000,  # the limit has tests of its own (test_limits.py)
    )
    engine = create_engine(settings_, settings_.database_url or "")
    try:
        async with session_factory(engine)() as session:
            bank, uscc, enterprise_id = await _arrange(World(session, redis, settings_), bundle_dir)
        app: Any = create_app(settings_)  # an ASGI app to schemathesis
        client = get_client(app)
        with client:
            _consent(client, enterprise_id)
            document = client.get(f"{API}/schema/openapi.json").json()
            schema = schemathesis.openapi.from_dict(document)
            schema.app = app  # the checks' own probes (e.g. the call without its token)
            world = Arranged(app=app, client=client, bank=bank, uscc=uscc, schema=schema)
            _register_auth(world)
            yield world
    finally:
        shutdown_lifespans()
        await engine.dispose()
        await redis.aclose()
        await engines.drop_database(name)


class Caller:
    """Bank A's server (a token bound to its DPoP key, renewed before it expires), or nobody."""

    def __init__(self, world: Arranged, with_token: bool) -> None:
        self.world = world
        self.with_token = with_token
        self.token: str | None = None
        self.expires = 0.0

    def _fetch(self) -> None:
        bank = self.world.bank
        answer = self.world.client.post(
            f"{ISSUER}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "scope": "profiles consents applications",
                "client_id": bank.client_id,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(bank.key, bank.client_id, ISSUER),
            },
            headers={"DPoP": dpop_proof(bank.dpop, "POST", f"{ISSUER}/oauth/token")},
        )
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        self.expires = time.monotonic() + answer.json()["expires_in"] - 30

    def current_token(self) -> str | None:
        """The caller's access token (None: it has none), renewed when near its expiry."""
        if not self.with_token:
            return None
        if self.token is None or time.monotonic() > self.expires:
            self._fetch()
        return self.token


@pytest.fixture(scope="module", params=[True, False], ids=["bank-with-consent", "no-token"])
def caller(arranged: Arranged, request: pytest.FixtureRequest) -> Caller:
    return Caller(arranged, request.param)


def _operations(schema: Any) -> list[tuple[str, str, GenerationMode]]:
    document = schema.raw_schema
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for mode in GenerationMode:
                if mode is GenerationMode.POSITIVE or operation.get("parameters"):
                    cases.append((method.upper(), path, mode))
    return cases


def _exercise(
    method: str, path: str, mode: GenerationMode, caller: Caller, arranged: Arranged
) -> None:
    checks = [check for check in CHECKS.get_all() if check.__name__ not in EXCLUDED]
    operation = arranged.schema[path][method]
    operation.app = arranged.app
    anywhere = operation.as_strategy(generation_mode=mode)
    strategy = anywhere
    if re.search(r"{uscc}", path):
        strategy = st.one_of(
            operation.as_strategy(generation_mode=mode, path_parameters={"uscc": arranged.uscc}),
            anywhere,
        )

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    def exercise(case: Any) -> None:
        case.call_and_validate(base_url=API, session=arranged.client, checks=checks)

    exercise()


def test_the_document_is_the_bank_apis_own(arranged: Arranged) -> None:
    paths = set(arranged.schema.raw_schema["paths"])
    assert paths == {
        "/profiles/{uscc}",
        "/consents",
        "/reason-codes",
        "/applications",
        "/applications/{application_id}",
        "/applications/{application_id}/review",
        "/applications/{application_id}/decision",
        "/loans/{loan_id}/events",
    }
    assert arranged.schema.raw_schema["components"]["securitySchemes"]["dpop"]["scheme"] == "DPoP"


def test_every_operation_honours_the_document(caller: Caller, arranged: Arranged) -> None:
    """Every operation, in every mode, as this caller; failures reported together."""
    arranged.caller = caller
    failures = []
    for method, path, mode in _operations(arranged.schema):
        try:
            _exercise(method, path, mode, caller, arranged)
        except Exception as exc:
            failures.append(f"{method} {path}-{mode.value}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_a_signed_call_for_the_consented_sme_gets_its_profile(arranged: Arranged) -> None:
    """The cases naming the consented SME reach the services: signed as the generated cases
    are, the call is answered with the profile cut to the consent."""
    bank = Caller(arranged, with_token=True)
    token = bank.current_token()
    url = f"{API}/profiles/{arranged.uscc}"
    answer = arranged.client.get(
        url,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": dpop_proof(arranged.bank.dpop, "GET", url, access_token=token),
        },
    )
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["shared"]) == ["score", "tax"]
    assert answer.json()["score"]["grade"]
