"""The sandbox bank's intake: where the platform's relay delivers applications (CONTRACT §1).

``POST /intake/applications`` wants ``Authorization: Bearer <token>`` from the bank's own
``/oauth/token`` (401 otherwise), an ``Idempotency-Key`` header (400 without) and the
application document as JSON (422 problem details when it is not one). A key seen before is a
duplicate: 200 ``{"duplicate": true}``, nothing done again. A new key is accepted: 200
``{"accepted": true, "application_id": …}``, and the application is handed to the automation
(:mod:`.deciding`) when the bank was started with a platform to talk to.

``GET /_sandbox/intake`` counts every receipt: ``received`` (every request), ``accepted``,
``duplicates``, ``unauthorized``, ``invalid``, ``faulted``, ``dropped`` (``down`` faults);
``by_key`` and ``by_application`` (receipts per ``Idempotency-Key`` and per application id);
``violations`` (an application processed twice while ``duplicate_sensitive``); ``processing``
(each application's story, see :class:`~.deciding.Automation`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State

from xinyidai.sandbox.bank.controls import fault_answer, problem

INTAKE_PATH = "/intake/applications"
MAX_BODY = 256 * 1024


@dataclass
class IntakeBook:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    unauthorized: int = 0
    invalid: int = 0
    faulted: int = 0
    dropped: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    """Idempotency-Key → application id, for the keys accepted."""
    by_key: Counter[str] = field(default_factory=Counter)
    by_application: Counter[str] = field(default_factory=Counter)
    processed: Counter[str] = field(default_factory=Counter)
    """How many times each application was handed on for processing."""
    violations: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def clear(self) -> None:
        fresh = IntakeBook()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def summary(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "unauthorized": self.unauthorized,
            "invalid": self.invalid,
            "faulted": self.faulted,
            "dropped": self.dropped,
            "by_key": dict(self.by_key),
            "by_application": dict(self.by_application),
            "violations": list(self.violations),
        }


def validate_document(body: bytes) -> tuple[dict[str, Any] | None, str]:
    """The application document, or ``None`` and what is wrong with it."""
    try:
        document = json.loads(body)
    except ValueError:
        return None, "the body is not JSON"
    if not isinstance(document, dict):
        return None, "the body is not a JSON object"
    if not isinstance(document.get("id"), str) or not document["id"]:
        return None, "id must be a non-empty string"
    try:
        amount = Decimal(str(document.get("amount")))
    except InvalidOperation:
        return None, "amount must be a decimal string"
    if not isinstance(document.get("amount"), str) or not amount.is_finite() or amount <= 0:
        return None, "amount must be a positive decimal string (yuan)"
    term = document.get("term_months")
    if not isinstance(term, int) or isinstance(term, bool) or not 1 <= term <= 360:
        return None, "term_months must be an integer from 1 to 360"
    links = document.get("links")
    if not isinstance(links, dict) or not isinstance(links.get("profile"), str):
        return None, "links.profile must be a URL"
    if not isinstance(links.get("decision"), str):
        return None, "links.decision must be a URL"
    enterprise = document.get("enterprise")
    if not isinstance(enterprise, dict) or not isinstance(enterprise.get("uscc"), str):
        return None, "enterprise.uscc must be a string"
    return document, ""


@post(INTAKE_PATH, status_code=200)
async def receive_application(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """An application from the platform's relay: count, check, deduplicate, accept."""
    book: IntakeBook = state.intake
    faults = state.endpoint_faults["intake"]
    book.received += 1
    fault = faults.take()
    if fault == "slow":
        await asyncio.sleep(faults.delay)
    elif fault is not None:
        book.faulted += 1
        return fault_answer(fault)
    if not state.auth.valid(request.headers.get("authorization")):
        book.unauthorized += 1
        answer = problem(401, "Unauthorized", "a valid bearer token from /oauth/token is required")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="sandbox-bank", error="invalid_token"'
        return answer
    key = (request.headers.get("idempotency-key") or "").strip()
    if not key or len(key) > 200:
        book.invalid += 1
        return problem(400, "Bad request", "an Idempotency-Key header (1-200 chars) is required")
    book.by_key[key] += 1
    if key in book.keys:
        book.duplicates += 1
        return Response(
            {"duplicate": True, "application_id": book.keys[key]}, media_type="application/json"
        )
    body = await request.body()
    document, error = validate_document(body) if len(body) <= MAX_BODY else (None, "too large")
    if document is None:
        book.invalid += 1
        return problem(422, "Unprocessable application", error)
    app_id = document["id"]
    book.keys[key] = app_id
    book.by_application[app_id] += 1
    book.accepted += 1
    book.documents[app_id] = document
    book.processed[app_id] += 1
    if book.processed[app_id] > 1 and faults.duplicate_sensitive:
        book.violations.append(
            {"kind": "processed_twice", "application_id": app_id, "idempotency_key": key}
        )
    if state.automation is not None:
        state.automation.start(document)
    return Response({"accepted": True, "application_id": app_id}, media_type="application/json")


@get("/_sandbox/intake")
async def intake_counts(state: State) -> dict[str, Any]:
    """The intake's counters, violations and each application's processing."""
    shown: dict[str, Any] = state.intake.summary()
    automation = state.automation
    shown["processing"] = dict(automation.progress) if automation is not None else {}
    return shown
