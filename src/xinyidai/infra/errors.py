"""Domain errors carry their HTTP status; one handler renders them as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    """One invalid input: where it was and what rule it broke."""

    field: str
    message: str
    code: str | None = None


class Problem(msgspec.Struct, omit_defaults=True, kw_only=True):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None
    retry_after: int | None = None


class DomainError(Exception):
    """Base of every error the platform raises on purpose."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(retry_after))

    @property
    def type_uri(self) -> str:
        return f"urn:xinyidai:problem:{self.slug}"

    def to_problem(self, **extra: Any) -> Problem:
        return Problem(
            type=self.type_uri,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
            retry_after=self.retry_after,
            **extra,
        )


class MalformedBody(DomainError):
    status = 400
    title = "Bad request"
    slug = "malformed-request"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"

    @classmethod
    def field(cls, field: str, message: str, code: str | None = None) -> InvalidInput:
        return cls(message, errors=[FieldError(field=field, message=message, code=code)])


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"
    slug = "not-authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class Locked(DomainError):
    status = 423
    title = "Locked"
    slug = "locked"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"
    slug = "too-many-requests"


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"
