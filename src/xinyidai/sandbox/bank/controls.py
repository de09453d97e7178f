"""Faults the sandbox bank's own endpoints suffer on command, and the answers they share.

Each of the bank's served endpoints has a plan: ``webhooks`` (:class:`~.webhooks.BankFaultPlan`,
as before), ``intake`` and ``token`` (:class:`EndpointFaults`). ``POST /_sandbox/faults`` takes
``{"endpoint": "intake" | "token", …}`` for the latter two (without ``endpoint``: the webhooks
plan, as before) with the kinds of :data:`ENDPOINT_FAULT_KINDS`:

* ``down``: the bank answers nothing: the connection is closed without a byte of response (see
  :class:`~.app.SandboxBank`), as a crashed server's would be;
* ``slow``: the answer comes ``delay`` seconds late, and is then the normal one (the work is
  done: a caller that gave up and retries meets the duplicate path);
* ``error_500`` / ``error_503``: that status, nothing done.

and, for the intake, ``{"endpoint": "intake", "duplicate_sensitive": true}``: from then on an
application processed a second time (accepted under a new ``Idempotency-Key``) is written to
``violations`` (``GET /_sandbox/intake``), which a test asserts stays empty.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from litestar import Request, Response, get, post
from litestar.datastructures import State

from xinyidai.sandbox.faults import FaultQueue

ENDPOINT_FAULT_KINDS = frozenset({"down", "slow", "error_500", "error_503"})
ENDPOINTS = ("intake", "token")


@dataclass
class EndpointFaults(FaultQueue):
    """How the next calls to one endpoint fail; ``delay``: how late a ``slow`` one answers."""

    KINDS: ClassVar[frozenset[str]] = ENDPOINT_FAULT_KINDS

    delay: float = 5.0
    duplicate_sensitive: bool = False

    def peek(self) -> str | None:
        """The fault :meth:`take` would return, left in place."""
        return self.pending[0] if self.pending else self.persistent

    def clear(self) -> None:
        super().clear()
        self.delay = 5.0
        self.duplicate_sensitive = False

    def apply(self, body: Any) -> None:
        super().apply(body)
        if "delay" in body:
            self.delay = float(body["delay"])
        if "duplicate_sensitive" in body:
            self.duplicate_sensitive = bool(body["duplicate_sensitive"])


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[Any]:
    """An RFC 9457 problem document."""
    return Response(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status_code=status,
        media_type="application/problem+json",
    )


def fault_answer(fault: str) -> Response[Any]:
    """What an ``error_…`` fault answers."""
    status = int(fault.removeprefix("error_"))
    return problem(status, "Sandbox fault", f"the sandbox bank was told to fail ({fault})")


def _all_faults(state: State) -> dict[str, Any]:
    shown: dict[str, Any] = asdict(state.faults)
    for endpoint in ENDPOINTS:
        shown[endpoint] = asdict(state.endpoint_faults[endpoint])
    return shown


@get("/_sandbox/faults")
async def show_bank_faults(state: State) -> dict[str, Any]:
    """The webhooks plan at the top level, and ``intake`` and ``token`` beside it."""
    return _all_faults(state)


@post("/_sandbox/faults", status_code=200)
async def arm_bank_faults(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """``{"endpoint": "intake" | "token", "kind": …, "times": 1}`` (or ``persistent``,
    ``clear``, ``delay``, ``duplicate_sensitive``); without ``endpoint``, the webhooks plan's
    body (``fail_next``, ``kind``, ``persistent``, ``delay``, ``clear``)."""
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("a JSON object is expected")
        endpoint = body.pop("endpoint", None)
        if endpoint is None:
            state.faults.apply(body)
        elif endpoint in ENDPOINTS:
            state.endpoint_faults[endpoint].apply(body)
        else:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {list(ENDPOINTS)}")
    except (ValueError, TypeError) as exc:
        return Response(
            {"error": "invalid_request", "error_description": str(exc)},
            status_code=400,
            media_type="application/json",
        )
    return Response(_all_faults(state), media_type="application/json")
