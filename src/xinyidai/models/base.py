"""The declarative base: UUIDv7 primary keys, created/updated timestamps, naming convention."""

from __future__ import annotations

from enum import StrEnum

from advanced_alchemy.base import UUIDv7AuditBase, orm_registry
from sqlalchemy import CheckConstraint

Base = UUIDv7AuditBase
metadata = orm_registry.metadata


class PlainBase(orm_registry.generate_base()):  # type: ignore[misc]
    """For tables with keys of their own (no UUID id, no audit columns): the monthly series,
    keyed by (enterprise, period), and the append-only access log. Same metadata as ``Base``."""

    __abstract__ = True


def enum_check(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    """A CHECK constraint keeping a text column to the values of a StrEnum."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name)
