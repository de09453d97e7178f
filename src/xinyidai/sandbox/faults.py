"""Faults a sandbox service is told to suffer, for tests: a queue of named kinds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Self

from litestar import Request, Response, get, post
from litestar.datastructures import State


@dataclass
class FaultQueue:
    """``pending`` is consumed one kind per use, in order; once it is empty, ``persistent`` (if
    set) applies every time. Subclasses name the kinds their service knows."""

    KINDS: ClassVar[frozenset[str]] = frozenset()

    pending: list[str] = field(default_factory=list)
    persistent: str | None = None

    def check(self, kind: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(self.KINDS)}")

    def arm(self, kind: str, times: int = 1) -> Self:
        self.check(kind)
        self.pending.extend([kind] * times)
        return self

    def always(self, kind: str | None) -> Self:
        if kind is not None:
            self.check(kind)
        self.persistent = kind
        return self

    def take(self) -> str | None:
        if self.pending:
            return self.pending.pop(0)
        return self.persistent

    def clear(self) -> None:
        self.pending.clear()
        self.persistent = None

    def apply(self, body: Any) -> None:
        """A test control's request: ``{"kind": …, "times": 1}``, ``{"persistent": kind |
        null}``, ``{"clear": true}`` (raises ``ValueError`` or ``TypeError`` when malformed)."""
        if not isinstance(body, dict):
            raise ValueError("a JSON object is expected")
        if body.get("clear"):
            self.clear()
        if "kind" in body:
            self.arm(str(body["kind"]), int(body.get("times", 1)))
        if "persistent" in body:
            self.always(body["persistent"])


# --- the test controls both sandbox services serve ------------------------------------------
@get("/_sandbox/faults")
async def show_faults(state: State) -> dict[str, Any]:
    return asdict(state.faults)


@post("/_sandbox/faults", status_code=200)
async def arm_faults(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """``{"kind": …, "times": 1}``, ``{"persistent": kind | null}``, ``{"clear": true}``, and
    whatever else the service's plan takes (see its ``apply``)."""
    plan: FaultQueue = state.faults
    try:
        plan.apply(await request.json())
    except (ValueError, TypeError) as exc:
        return Response(
            {"error": "invalid_request", "error_description": str(exc)},
            status_code=400,
            media_type="application/json",
        )
    return Response(asdict(plan), media_type="application/json")
