"""The sandbox bank's webhook receiver: the platform's signed webhooks, as they reach a bank.

Written from the bank's side of the contract (it does not import the platform's webhook code):
what a bank developer would build from the README.

``POST /webhooks``
    A webhook from the platform. Verified by :func:`verify_webhook` against the platform's
    public keys (a JWK Set given at start, and/or the platform's ``/.well-known/jwks.json`` URL,
    fetched when a ``kid`` is new): ``X-Xinyidai-Signature`` is a compact JWS with a detached
    payload (``<protected>..<signature>``) over the exact body bytes; ``alg`` ES256 only,
    ``typ`` ``xyd-webhook+jws``, a known ``kid``; ``iat`` within ``max_age`` seconds of now;
    ``jti`` the body's ``id``, ``xyd_event`` its ``type`` (and the ``X-Xinyidai-Event``
    header); ``aud`` the body's ``bank_id``, and this bank's id when it was told it. A refused
    delivery gets 401 with ``{"error": "signature_…"}`` naming the broken rule. An event id seen
    before is acknowledged (200, ``duplicate``) and not processed again: platforms retry.

Test controls: ``app.state.received`` (``GET /_sandbox/webhooks``): every request to
``/webhooks`` in order, with its outcome (``accepted``, ``duplicate``, ``refused``, ``fault``),
the verified header, the event, or the refusal; ``app.state.faults`` (:class:`BankFaultPlan`):
``{"fail_next": N}`` (HTTP 500 N times), or ``{"kind": …, "times": N}`` with a kind of
:data:`BANK_FAULT_KINDS`; ``{"persistent": kind}`` fails every one until cleared. A fault
answers before the signature is looked at, as an outage would.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from joserfc import jws
from joserfc.errors import JoseError
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter

from xinyidai.dates import utc_now
from xinyidai.sandbox.faults import FaultQueue
from xinyidai.sandbox.receipts import PlatformKeys

SIGNATURE_TYPE = "xyd-webhook+jws"
ALGORITHM = "ES256"
DEFAULT_MAX_AGE = 300
MAX_SIGNATURE = 2048
MAX_BODY = 256 * 1024

BANK_FAULT_KINDS = frozenset(
    {
        "error_500",
        "error_503",
        "error_400",
        "timeout",  # answer only after BankFaultPlan.delay seconds (longer than the platform waits)
        "redirect",  # 302 to another URL (the platform must not follow it)
    }
)


@dataclass
class BankFaultPlan(FaultQueue):
    """How the next deliveries fail; ``delay`` is how long a ``timeout`` waits."""

    KINDS: ClassVar[frozenset[str]] = BANK_FAULT_KINDS

    delay: float = 15.0

    def clear(self) -> None:
        super().clear()
        self.delay = 15.0

    def apply(self, body: Any) -> None:
        """The faults control's body: :meth:`FaultQueue.apply`'s, plus ``{"fail_next": N}``
        (HTTP 500 for the next N deliveries) and ``{"delay": seconds}``."""
        super().apply(body)
        if "fail_next" in body:
            self.arm("error_500", int(body["fail_next"]))
        if "delay" in body:
            self.delay = float(body["delay"])


class SignatureRefused(Exception):
    """The webhook is not the platform's, or not this one; ``code`` names the rule."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _b64json(part: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(part.encode("ascii") + b"=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, UnicodeError, ValueError):
        return None


def _protected_header(signature: str | None) -> dict[str, Any]:
    """The protected header of a detached compact JWS, refused unless ES256 and our type."""
    if not signature:
        raise SignatureRefused("signature_missing", "an X-Xinyidai-Signature header is required")
    parts = signature.split(".")
    if len(signature) > MAX_SIGNATURE or len(parts) != 3 or parts[1] != "":
        raise SignatureRefused(
            "signature_malformed", "the signature is not a detached compact JWS (header..sig)"
        )
    header = _b64json(parts[0])
    if not isinstance(header, dict):
        raise SignatureRefused("signature_malformed", "the signature's header is not JSON")
    if header.get("alg") != ALGORITHM:
        raise SignatureRefused("signature_algorithm", f"webhooks are signed with {ALGORITHM} only")
    if header.get("typ") != SIGNATURE_TYPE:
        raise SignatureRefused("signature_type", f"the typ must be {SIGNATURE_TYPE!r}")
    return header


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not all(
        isinstance(event.get(name), str) for name in ("id", "type", "bank_id")
    ):
        raise SignatureRefused("body_malformed", "the body is not a webhook event")
    return event


def _check_binding(
    header: dict[str, Any], event: dict[str, Any], event_header: str | None, bank_id: str | None
) -> None:
    """The signature is about this body, for this bank."""
    if header.get("jti") != event["id"]:
        raise SignatureRefused("signature_event", "the signature's jti is not the body's id")
    if header.get("xyd_event") != event["type"] or event_header != event["type"]:
        raise SignatureRefused("signature_event", "the event type differs between the parts")
    if header.get("aud") != event["bank_id"] or bank_id not in (None, event["bank_id"]):
        raise SignatureRefused("signature_audience", "the webhook is for another bank")


async def verify_webhook(
    body: bytes,
    signature: str | None,
    keys: PlatformKeys,
    *,
    event_header: str | None,
    bank_id: str | None = None,
    now: float | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified protected header and the event of a webhook; :class:`SignatureRefused`
    otherwise. ``bank_id``: this bank's id at the platform (the ``aud`` it must carry)."""
    header = _protected_header(signature)
    assert signature is not None
    kid = header.get("kid")
    key = await keys.key(kid) if isinstance(kid, str) and kid else None
    if key is None:
        raise SignatureRefused("signature_unknown_key", "the signature's key is not published")
    registry = jws.JWSRegistry(algorithms=[ALGORITHM], strict_check_header=False)
    try:
        jws.deserialize_compact(signature, key, registry=registry, payload=body)
    except JoseError:
        raise SignatureRefused(
            "signature_invalid", "the signature does not verify over the body"
        ) from None
    iat = header.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise SignatureRefused("signature_malformed", "the signature has no iat")
    if abs((time.time() if now is None else now) - iat) > max_age:
        raise SignatureRefused("signature_stale", f"iat is more than {max_age} s from now")
    event = _event(body)
    _check_binding(header, event, event_header, bank_id)
    return header, event


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def _fault_answer(fault: str, faults: BankFaultPlan) -> Response[Any]:
    if fault == "timeout":
        await asyncio.sleep(faults.delay)
        return _json(200, {"status": "late"})
    if fault == "redirect":
        return _json(302, {"status": "moved"}, {"Location": "https://bank.example.com/moved"})
    return _json(int(fault.removeprefix("error_")), {"error": fault})


@post("/webhooks", status_code=200)
async def receive_webhook(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """A webhook from the platform: fault, refuse, acknowledge a duplicate, or accept."""
    body = await request.body()
    entry: dict[str, Any] = {
        "received_at": utc_now().isoformat(),
        "delivery_id": request.headers.get("x-xinyidai-delivery"),
        "event_type": request.headers.get("x-xinyidai-event"),
        "signature": request.headers.get("x-xinyidai-signature"),
        "outcome": "pending",  # until it is known (a reader may look while keys are fetched)
    }
    state.received.append(entry)
    fault = state.faults.take()
    if fault is not None:
        entry.update(outcome="fault", fault=fault)
        return await _fault_answer(fault, state.faults)
    if len(body) > MAX_BODY:
        entry.update(outcome="refused", error="body_too_large")
        return _json(413, {"error": "body_too_large"})
    try:
        header, event = await verify_webhook(
            body,
            entry["signature"],
            state.platform_keys,
            event_header=entry["event_type"],
            bank_id=state.bank_id,
            max_age=state.max_age,
        )
    except SignatureRefused as exc:
        entry.update(outcome="refused", error=exc.code, error_description=exc.description)
        return _json(401, {"error": exc.code, "error_description": exc.description})
    duplicate = event["id"] in state.processed
    entry.update(outcome="duplicate" if duplicate else "accepted", header=header, event=event)
    state.processed.add(event["id"])
    return _json(200, {"status": entry["outcome"]})


@get("/_sandbox/webhooks")
async def received(
    state: State, outcome: Annotated[str | None, QueryParameter()] = None
) -> dict[str, Any]:
    """What ``/webhooks`` received, oldest first (``?outcome=accepted`` keeps one outcome)."""
    items = [e for e in state.received if outcome is None or e.get("outcome") == outcome]
    return {"received": items}
