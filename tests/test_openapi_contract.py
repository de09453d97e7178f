"""Schemathesis drives every operation of the app's own OpenAPI document, in process, with
valid and invalid inputs, as a logged-in SME and as the credit office: no response may be a
5xx or disagree with the document (status codes, content types, bodies, headers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CHECKS
from schemathesis.python.asgi import get_client, shutdown_lifespans

from tests.conftest import PASSWORD
from xinyidai.app import create_app
from xinyidai.models import Role
from xinyidai.settings import Env, Settings

EXCLUDED = {
    # The document types fields loosely on purpose (a USCC is "a string of up to 32 characters")
    # so that the service can say which rule a value breaks; schema-valid data may thus get 422.
    "positive_data_acceptance",
}


class Caller:
    """An in-process client that stays logged in, whatever the generated calls do."""

    def __init__(self, app: Any, email: str) -> None:
        self.client = get_client(app)
        self.email = email

    def login(self) -> None:
        self.client.cookies.clear()
        self.client.headers.pop("x-csrf-token", None)
        response = self.client.post(
            "https://testserver/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        self.client.headers["x-csrf-token"] = response.json()["csrf_token"]

    def ensure_logged_in(self) -> None:
        if self.client.get("https://testserver/api/v1/me").status_code != 200:
            self.login()


def _document() -> dict[str, Any]:
    """The app's OpenAPI document, built without engines (only the routes matter here)."""
    offline = Settings(
        env=Env.TEST, database_url="postgresql://unused@/unused", redis_url="redis://127.0.0.1:1/0"
    )
    return create_app(offline).openapi_schema.to_schema()


DOCUMENT = _document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [
    pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
]


@pytest.fixture
async def _arranged(app, world, db, bundle_dir) -> Any:
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring import registry
    from xinyidai.domain.scoring.services import score_snapshot

    ent = await world.enterprise()
    await world.bank("BANK_A")
    await world.user("sme@example.com", Role.SME, ent.uscc)
    await world.user("office@example.com", Role.OFFICE)
    await world.record(ent.uscc)
    # An active model and a stored score, so that the scoring operations answer with bodies.
    registered = await registry.register(db, bundle_dir, "test")
    await registry.activate(db, registered.version, "test", "contract test")
    snapshot = await snapshots.rebuild(db, ent.id, "test")
    assert snapshot is not None
    await score_snapshot(db, snapshot.id)
    await db.commit()
    return app


@pytest.fixture(params=["sme@example.com", "office@example.com"], ids=["as-sme", "as-office"])
def caller(_arranged, request) -> Iterator[Caller]:
    caller = Caller(_arranged, request.param)
    with caller.client:  # runs the app's lifespan in schemathesis' event-loop thread
        caller.login()
        yield caller
    shutdown_lifespans()


def test_the_document_covers_every_api_route() -> None:
    paths = set(DOCUMENT["paths"])
    assert {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/enterprises/{enterprise_id}",
        "/health/ready",
    } <= paths


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_honours_the_document(method: str, path: str, caller: Caller) -> None:
    operation = SCHEMA[path][method]
    checks = [check for check in CHECKS.get_all() if check.__name__ not in EXCLUDED]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    def exercise(case: Any) -> None:
        caller.ensure_logged_in()
        case.call_and_validate(base_url="https://testserver", session=caller.client, checks=checks)

    exercise()
