"""The connector interface to external data providers, and the validation every connector shares.

A provider serves an SME's authorized monthly series (tax, utilities, social insurance, housing
fund). A connector (:class:`DataProvider`) fetches one family for one SME over a range of
months, presenting the platform's signed authorization receipt (``domain/consents/receipts.py``,
issued for the connector's ``audience``), and returns a :class:`FetchResult`: the
items that passed validation as :class:`MonthlyRecord` (values are exactly the value columns of
that family's model in ``models/credit_data.py``) and the ones that did not as
:class:`Rejected` with a reason. Problems with the call itself (network, provider errors, a
response that is not the expected document) raise :class:`ProviderError`.

Rejection reasons name the field and the rule, never the value: financial data is not logged
in clear.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

import msgspec
import structlog
from sqlalchemy import Integer, Numeric

from xinyidai.enums import Family
from xinyidai.models.credit_data import SERIES_MODELS

log = structlog.get_logger(__name__)

PROVENANCE_COLUMNS = frozenset(
    {"enterprise_id", "period", "source", "provider_ref", "fetched_at", "authorization_id"}
)
PROVIDER_REF_MAX = 200  # length of the provider_ref column
# A compact JWS (three base64url parts); a receipt is well under a kilobyte.
RECEIPT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
RECEIPT_MAX = 8192
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
_INT_MAX = 2**31 - 1  # PostgreSQL integer


class MonthlyRecord(msgspec.Struct, frozen=True):
    """One month of one family, as the provider stated it."""

    family: Family
    period: date  # first day of the month
    values: dict[str, Decimal | int]  # exactly the family's value columns
    provider_ref: str


class Rejected(msgspec.Struct):
    """An item the connector refused, with the rule it broke (never its values)."""

    period: str | None
    reason: str


class FetchResult(msgspec.Struct):
    records: list[MonthlyRecord]
    rejected: list[Rejected]


class ProviderError(Exception):
    """The call failed as a whole; ``retryable`` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status


@runtime_checkable
class DataProvider(Protocol):
    name: str  # recorded as the ``source`` of the rows it gave
    audience: str  # the provider's identifier: the ``aud`` of the receipts it accepts

    async def fetch(
        self,
        uscc: str,
        family: Family,
        first: date,
        last: date,
        receipt: str,
    ) -> FetchResult:
        """``receipt``: the signed authorization receipt covering ``uscc`` and ``family``."""
        ...

    async def aclose(self) -> None: ...


# --- the value columns of each family, read from the models -------------------------------------
@dataclass(frozen=True, slots=True)
class Column:
    name: str
    integer: bool  # int column; otherwise a Decimal with ``scale`` places
    scale: int
    limit: Decimal  # values must be below this


def _columns(model: type) -> tuple[Column, ...]:
    out = []
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.name in PROVENANCE_COLUMNS:
            continue
        if isinstance(col.type, Integer):
            out.append(Column(col.name, True, 0, Decimal(_INT_MAX) + 1))
        elif isinstance(col.type, Numeric):
            precision, scale = col.type.precision or 18, col.type.scale or 0
            out.append(Column(col.name, False, scale, Decimal(10) ** (precision - scale)))
        else:  # pragma: no cover - a new column type needs a rule here
            raise TypeError(f"no validation rule for {model.__name__}.{col.name}")
    return tuple(out)


VALUE_COLUMNS: dict[Family, tuple[Column, ...]] = {
    family: _columns(model) for family, model in SERIES_MODELS.items()
}
"""Every family's value columns with their types and limits, from ``SERIES_MODELS``."""


def month_of(text: object) -> date | None:
    """``"YYYY-MM"`` as the first day of that month; ``None`` if it is not one."""
    if not isinstance(text, str):
        return None
    match = _PERIOD_RE.match(text)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return date(year, month, 1)


def _value(column: Column, raw: Any) -> Decimal | int | str:
    """The validated value, or a string naming the broken rule."""
    if raw is None:
        return f"{column.name} is missing"
    if isinstance(raw, bool):
        return f"{column.name} is not a number"
    if column.integer:
        return _integer_value(column, raw)
    return _decimal_value(column, raw)


def _integer_value(column: Column, raw: Any) -> int | str:
    if not isinstance(raw, int):
        return f"{column.name} is not an integer"
    if raw < 0:
        return f"{column.name} is negative"
    if raw >= column.limit:
        return f"{column.name} is too large"
    return raw


def _decimal_value(column: Column, raw: Any) -> Decimal | str:
    number = _as_decimal(raw)
    if number is None:
        return f"{column.name} is not a number"
    if not number.is_finite():
        return f"{column.name} is not a finite number"
    if number < 0:
        return f"{column.name} is negative"
    if number >= column.limit:
        return f"{column.name} is too large"
    quantized = number.quantize(Decimal(1).scaleb(-column.scale))
    if quantized != number:
        return f"{column.name} has more than {column.scale} decimal places"
    return quantized.copy_abs()  # no "-0.00"


def _as_decimal(raw: Any) -> Decimal | None:
    """A JSON number or numeric string as a Decimal (floats by their shortest repr)."""
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip())
        except InvalidOperation:
            return None
    return None


def validate_items(
    family: Family,
    items: list[Any],
    first: date,
    last: date,
    *,
    provider: str,
) -> FetchResult:
    """Sort a provider's items into records and rejections.

    An item is rejected when it is not an object, its period is missing, malformed, outside
    ``first``..``last`` or repeated (every copy of a repeated period is rejected: the provider
    contradicted itself), its reference is missing, or a value column is missing, of the wrong
    type, negative, too precise or too large. Each rejection is logged without its values.
    """
    columns = VALUE_COLUMNS[family]
    seen = Counter(
        item["period"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("period"), str)
    )
    records: list[MonthlyRecord] = []
    rejected: list[Rejected] = []

    def reject(period: object, reason: str) -> None:
        shown = period if isinstance(period, str) and len(period) <= 16 else None
        log.warning(
            "provider_item_rejected",
            provider=provider,
            family=family.value,
            period=shown,
            reason=reason,
        )
        rejected.append(Rejected(period=shown, reason=reason))

    for item in items:
        if not isinstance(item, Mapping):
            reject(None, "item is not an object")
            continue
        raw_period = item.get("period")
        period = month_of(raw_period)
        if period is None:
            reject(raw_period, "period is missing or not a YYYY-MM month")
            continue
        if not first <= period <= last:
            reject(raw_period, "period is outside the requested range")
            continue
        if seen[raw_period] > 1:
            reject(raw_period, "period appears more than once in the response")
            continue
        ref = item.get("ref")
        if not isinstance(ref, str) or not ref.strip() or len(ref) > PROVIDER_REF_MAX:
            reject(raw_period, f"ref is missing or longer than {PROVIDER_REF_MAX} characters")
            continue
        values: dict[str, Decimal | int] = {}
        problem = None
        for column in columns:
            checked = _value(column, item.get(column.name))
            if isinstance(checked, str):
                problem = checked
                break
            values[column.name] = checked
        if problem is not None:
            reject(raw_period, problem)
            continue
        records.append(MonthlyRecord(family=family, period=period, values=values, provider_ref=ref))
    records.sort(key=lambda r: r.period)
    return FetchResult(records=records, rejected=rejected)
