"""The machinery of the contract tests (``tests/test_openapi_contract*.py``): Schemathesis drives
every operation of the app's own OpenAPI document, in process, with data that fits the document
(positive) and data that does not (negative), as one caller (an SME, a bank, the credit office,
an admin, or nobody): no response may be a 5xx or disagree with the document (status codes,
content types, bodies, headers).

One world is arranged per test module (one database, one app, one lifespan); the caller logs in
once and goes through every operation in both modes (the failures of all operations are
reported together). One module per caller, so that ``--dist loadfile`` runs the callers on
different workers: about 90 operations x 2 modes each. Half of the cases name the
arranged objects in their path (the SME's enterprise, its record, dispute, review…), so that
they reach the services instead of stopping at a 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.python.asgi import get_client, shutdown_lifespans
from sqlalchemy import select

from tests.conftest import World
from tests.engines import SuiteEngines, with_database
from xinyidai.app import create_app
from xinyidai.dates import china_today
from xinyidai.domain.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from xinyidai.models import Role
from xinyidai.settings import Env, Settings

EXCLUDED = {
    # The document types fields loosely on purpose (a USCC is "a string of up to 32 characters")
    # so that the service can say which rule a value breaks; schema-valid data may thus get 422.
    "positive_data_acceptance",
}
# Litestar documents logout's 204 (a Response[None], to clear the cookies) as having a JSON
# `null` body; the response rightly has none. Reported; until the document says so, those two
# checks are off for that operation only.
KNOWN_DOCUMENT_GAPS = {
    ("POST", "/api/v1/auth/logout"): {"content_type_conformance", "response_schema_conformance"}
}
MAX_EXAMPLES = 8  # per operation, caller and mode: about 65 x 5 x 2 x 8 ≈ 5000 requests
BASE_URL = "https://testserver"
ROLES = [Role.SME, Role.BANK, Role.OFFICE, Role.ADMIN]


def _document() -> dict[str, Any]:
    """The app's OpenAPI document, built without engines (only the routes matter here)."""
    offline = Settings(
        env=Env.TEST, database_url="postgresql://unused@/unused", redis_url="redis://127.0.0.1:1/0"
    )
    return create_app(offline).openapi_schema.to_schema()


def item_parameters(item: dict[str, Any]) -> list[Any]:
    return list(item.get("parameters") or [])


DOCUMENT = _document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]
# Negative data needs an input to break: operations without parameters or a body get only
# positive data (Hypothesis would find nothing to generate).
CASES = [
    (method, path, mode)
    for method, path, operation in OPERATIONS
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE
    or operation.get("parameters")
    or operation.get("requestBody")
    or item_parameters(DOCUMENT["paths"][path])
]


@dataclass
class Arranged:
    settings: Settings
    app: Any
    users: dict[Role, tuple[str, str]]  # role -> (user id, role value)
    known: dict[str, str] = field(default_factory=dict)  # path parameter -> an arranged id


async def _arrange(world: World, bundle_dir: Any) -> tuple[dict[Role, Any], dict[str, str]]:
    from xinyidai.domain.credit_data.schemas import DisputeCreate
    from xinyidai.domain.credit_data.services import RecordService
    from xinyidai.domain.needs.schemas import ClaimCreate, NeedCreate
    from xinyidai.domain.needs.services import NeedService
    from xinyidai.domain.needs.vocabulary import NeedPurpose
    from xinyidai.domain.products.schemas import Guarantee, ProductType, RepaymentMethod
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring import registry
    from xinyidai.domain.scoring.schemas import ReviewCreate
    from xinyidai.domain.scoring.services import ScoreService, score_snapshot
    from xinyidai.models import CreditImport, ImportStatus, Notification, SyncRun

    db = world.session
    ent = await world.enterprise()
    bank = await world.bank("BANK_A")
    users = {
        Role.SME: await world.user("sme@example.com", Role.SME, ent.uscc),
        Role.BANK: await world.user("bank@example.com", Role.BANK, "BANK_A"),
        Role.OFFICE: await world.user("office@example.com", Role.OFFICE),
        Role.ADMIN: await world.user("admin@example.com", Role.ADMIN),
    }
    record = await world.record(ent.uscc)
    disputed = await world.record(ent.uscc)
    auth = await world.authorize(ent.id, ["tax", "electricity"], users[Role.SME].id)
    # An active model and a stored score, so that the scoring operations answer with bodies.
    registered = await registry.register(db, bundle_dir, "test")
    await registry.activate(db, registered.version, "test", "contract test")
    snapshot = await snapshots.rebuild(db, ent.id, "test")
    assert snapshot is not None
    await score_snapshot(db, snapshot.id)
    await db.commit()
    principal = _principal(users[Role.SME])
    dispute = await RecordService(db).dispute(
        ent.id, DisputeCreate(record_id=disputed.id, reason="该记录主体错误"), principal
    )
    review = await ScoreService(db).request_review(
        ent.id, ReviewCreate(reason="请人工复核评分结果"), principal
    )
    # A need in the pool (four more firms like the SME's make it listable) and a claim on it.
    for _ in range(4):
        await world.enterprise()
    # The SME's paths name one need (which its cases may withdraw), the bank's another.
    need, listed = [
        await NeedService(db).post(
            ent.id,
            NeedCreate(
                amount=Decimal("800000"),
                term_months=12,
                purpose=NeedPurpose.WORKING_CAPITAL,
                max_rate=Decimal("0.05"),
                deadline=china_today() + dt.timedelta(days=30),
            ),
            principal,
        )
        for _ in range(2)
    ]
    claim = await NeedService(db).claim(
        bank.id,
        need.id,
        ClaimCreate(
            amount=Decimal("800000"), rate=Decimal("0.04"), term_months=12, response_days=3
        ),
        _principal(users[Role.BANK]),
    )
    await db.commit()
    # Bank A's product, and the notice that the SME qualifies for it.
    from xinyidai.domain.notifications.qualify import find_new_qualifiers
    from xinyidai.domain.products.schemas import ProductIn
    from xinyidai.domain.products.services import ProductService

    product = await ProductService(db, world.redis).publish(
        bank.id,
        ProductIn(
            name_zh="普惠信用贷",
            name_en="Inclusive Credit",
            type=ProductType.CREDIT,
            amount_min=Decimal("50000"),
            amount_max=Decimal("1000000"),
            term_min_months=6,
            term_max_months=12,
            rate_floor=Decimal("0.035"),
            rate_ceiling=Decimal("0.06"),
            repayment_methods=[RepaymentMethod.EQUAL_INSTALMENT],
            guarantee=Guarantee.NONE,
            response_days=3,
        ),
    )
    await find_new_qualifiers(db)
    notice = await db.scalar(select(Notification.id).where(Notification.enterprise_id == ent.id))
    # An application to that product, approved (its loan), its delivery given up (dead).
    from xinyidai.domain.applications.schemas import (
        ApplicationCreate,
        ConsentGrant,
        DecisionIn,
        Outcome,
    )
    from xinyidai.domain.applications.services import ApplicationService
    from xinyidai.domain.applications.vocabulary import Actor, OutboxStatus
    from xinyidai.domain.consents.schemas import SharedData
    from xinyidai.models import ApplicationDelivery

    applied, _ = await ApplicationService(db).submit(
        ApplicationCreate(
            product_id=product.id,
            amount=Decimal("300000"),
            term_months=12,
            purpose=NeedPurpose.WORKING_CAPITAL,
            consent=ConsentGrant(families=[SharedData.TAX, SharedData.SCORE]),
        ),
        "contract-test",
        principal,
    )
    decided = await ApplicationService(db).decide(
        bank.id,
        applied.id,
        DecisionIn(
            outcome=Outcome.APPROVE,
            amount=Decimal("300000"),
            annual_rate=Decimal("0.04"),
            term_months=12,
        ),
        Actor.BANK,
        str(users[Role.BANK].id),
    )
    delivery = await db.scalar(
        select(ApplicationDelivery).where(ApplicationDelivery.application_id == applied.id)
    )
    assert delivery is not None
    delivery.status = OutboxStatus.DEAD
    pool_claim, firm = await _arrange_pool(db, ent, bank, users, principal, product.id)
    run = SyncRun(enterprise_id=ent.id, trigger="test", requested_by=users[Role.SME].id)
    done = CreditImport(filename="done.csv", status=ImportStatus.DONE, rejected=[])
    db.add_all([run, done])
    await db.commit()
    # A finished office export (issue 17) with its one-piece file.
    from xinyidai.models import Export, ExportChunk

    export = Export(
        kind="loans",
        format="csv",
        status="done",
        query={"from": "2026-01-01", "to": "2026-01-31"},
        requested_by=users[Role.OFFICE].id,
        rows_written=0,
        rows_total=0,
        filename="xinyidai-loans.csv",
        byte_size=3,
    )
    db.add(export)
    await db.flush()
    db.add(ExportChunk(export_id=export.id, seq=0, data=b"\xef\xbb\xbf"))
    await db.commit()
    known = {
        "export_id": str(export.id),
        "enterprise_id": str(ent.id),
        "bank_id": str(bank.id),
        "authorization_id": str(auth.id),
        "record_id": str(record.id),
        "dispute_id": str(dispute.id),
        "review_id": str(review.id),
        "job_id": str(run.id),
        "import_id": str(done.id),
        "need_id": str(need.id),
        "listing_id": str(listed.id),
        "claim_id": str(claim.id),
        "product_id": str(product.id),
        "notification_id": str(notice),
        "application_id": str(applied.id),
        "loan_id": str(decided.loan_id),
        "delivery_id": str(delivery.id),
        "pool_claim_id": str(pool_claim),
        "firm_id": str(firm),
        "year": str(china_today().year),
        "family": "tax",
    }
    return users, known


async def _arrange_pool(
    db: Any, ent: Any, bank: Any, users: dict[Role, Any], sme: Any, product_id: Any
) -> tuple[Any, Any]:
    """A second loan of the SME's, disbursed (so registered in the risk-compensation pool),
    defaulted and claimed by the bank; and the SME on the pool's priority list."""
    from xinyidai.domain.applications.loans import LoanService
    from xinyidai.domain.applications.schemas import (
        ApplicationCreate,
        ConsentGrant,
        DecisionIn,
        LoanEventIn,
        Outcome,
    )
    from xinyidai.domain.applications.services import ApplicationService
    from xinyidai.domain.applications.vocabulary import Actor, LoanEventKind
    from xinyidai.domain.consents.schemas import SharedData
    from xinyidai.domain.monitoring.pool.claims import PoolClaims
    from xinyidai.domain.monitoring.pool.rules import PoolRules
    from xinyidai.domain.monitoring.pool.schemas import PriorityFirmIn
    from xinyidai.domain.needs.vocabulary import NeedPurpose

    banker = _principal(users[Role.BANK])
    applied, _ = await ApplicationService(db).submit(
        ApplicationCreate(
            product_id=product_id,
            amount=Decimal("200000"),
            term_months=12,
            purpose=NeedPurpose.WORKING_CAPITAL,
            consent=ConsentGrant(families=[SharedData.TAX]),
        ),
        "contract-test-pool",
        sme,
    )
    decided = await ApplicationService(db).decide(
        bank.id,
        applied.id,
        DecisionIn(
            outcome=Outcome.APPROVE,
            amount=Decimal("200000"),
            annual_rate=Decimal("0.04"),
            term_months=12,
        ),
        Actor.BANK,
        str(banker.user_id),
    )
    assert decided.loan_id is not None
    today = china_today()
    for n, (kind, amount) in enumerate(
        ((LoanEventKind.DISBURSED, "200000"), (LoanEventKind.DEFAULT, "150000"))
    ):
        await LoanService(db).record(
            bank.id,
            decided.loan_id,
            LoanEventIn(kind=kind, occurred_on=today, amount=Decimal(amount)),
            f"contract-pool-{n}",
            actor=Actor.BANK,
            actor_id=str(banker.user_id),
            future_days=0,
        )
    claim = await PoolClaims(db).file(bank.id, decided.loan_id, banker)
    firm = await PoolRules(db).add_firm(
        PriorityFirmIn(uscc=ent.uscc, name=ent.name, valid_from=today),
        _principal(users[Role.OFFICE]),
    )
    return claim.id, firm.id


def _principal(user: Any) -> Any:
    from xinyidai.domain.accounts.guards import Principal

    return Principal(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        bank_id=user.bank_id,
    )


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
    )
    engine = create_engine(settings_, settings_.database_url or "")
    try:
        async with session_factory(engine)() as session:
            users, known = await _arrange(World(session, redis, settings_), bundle_dir)
        app = create_app(settings_)
        # The schema's app carries the checks' own probes (e.g. the same call without the
        # session, which must be refused) to the app in process.
        SCHEMA.app = app
        yield Arranged(
            settings=settings_,
            app=app,
            users={role: (str(u.id), u.role) for role, u in users.items()},
            known=known,
        )
    finally:
        SCHEMA.app = None
        shutdown_lifespans()
        await engine.dispose()
        await redis.aclose()
        await engines.drop_database(name)


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Caller:
    """An in-process client as one role (or nobody), that stays logged in whatever the
    generated calls do (a generated logout ends the session; a new one is made).

    Whether the session still holds is asked (``GET /api/v1/me``) after a call that could have
    ended it, any but a safe method's: a GET changes nothing, so asking after one would only
    double the requests."""

    def __init__(self, world: Arranged, role: Role | None) -> None:
        self.world = world
        self.role = role
        self.client = get_client(world.app)
        self.token: str | None = None
        self.unsure = True  # whether the last call may have ended the session

    def _new_session(self) -> None:
        assert self.role is not None
        user_id, role = self.world.users[self.role]
        settings_ = self.world.settings

        async def create() -> Any:
            redis = Redis.from_url(settings_.redis_url or "")
            try:
                return await SessionStore(redis, settings_.session_max_age).create(user_id, role)
            finally:
                await redis.aclose()

        new = asyncio.run(create())
        self.token = new.token
        self.client.cookies.clear()
        self.client.cookies.set(SESSION_COOKIE, new.token)
        self.client.headers[CSRF_HEADER] = new.data.csrf

    def prepare(self) -> None:
        if self.role is None:
            self.client.cookies.clear()
            self.client.headers.pop(CSRF_HEADER, None)
        elif SESSION_COOKIE not in self.client.cookies or (
            self.unsure and self.client.get(f"{BASE_URL}/api/v1/me").status_code != 200
        ):
            self._new_session()

    def called(self, method: str) -> None:
        self.unsure = method.upper() not in SAFE_METHODS


def _strategy(
    path: str, method: str, mode: GenerationMode, known: dict[str, str], logged_in: bool
) -> Any:
    """Cases for one operation; half of them (where it has path parameters we arranged) name
    the arranged objects. A logged-in caller's session cookie is given, not generated: the
    negative cases then break the operation's own inputs, not the login (which the anonymous
    caller's cases do break)."""
    operation = SCHEMA[path][method]
    operation.app = SCHEMA.app
    cookies = {SESSION_COOKIE: "replaced by the caller's session"} if logged_in else None
    names = re.findall(r"{(\w+)}", path)
    fixed = {name: known[name] for name in names if name in known}
    anywhere = operation.as_strategy(generation_mode=mode, cookies=cookies)
    if not fixed:
        return anywhere
    return st.one_of(
        operation.as_strategy(generation_mode=mode, path_parameters=fixed, cookies=cookies),
        anywhere,
    )


def _exercise(
    method: str, path: str, mode: GenerationMode, caller: Caller, arranged: Arranged
) -> None:
    """Up to MAX_EXAMPLES generated cases of one operation, as ``caller``; raises on the first
    case whose response disagrees with the document."""
    excluded = EXCLUDED | KNOWN_DOCUMENT_GAPS.get((method, path), set())
    checks = [check for check in CHECKS.get_all() if check.__name__ not in excluded]

    @given(case=_strategy(path, method, mode, arranged.known, caller.role is not None))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    def exercise(case: Any) -> None:
        caller.prepare()
        if caller.token is not None:
            case.cookies[SESSION_COOKIE] = caller.token
        try:
            case.call_and_validate(base_url=BASE_URL, session=caller.client, checks=checks)
        finally:
            caller.called(case.method)

    exercise()


def every_operation_honours_the_document(role: Role | None, arranged: Arranged) -> None:
    """Every operation, in every mode, as ``role`` (or nobody), logged in once; the failures
    of all operations are reported together."""
    caller = Caller(arranged, role)
    failures = []
    with caller.client:
        for method, path, mode in CASES:
            try:
                _exercise(method, path, mode, caller, arranged)
            except Exception as exc:
                failures.append(f"{method} {path}-{mode.value}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)
