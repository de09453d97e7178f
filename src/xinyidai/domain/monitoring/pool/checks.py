"""Checks of the numbers the office sends: amounts in yuan and shares (fractions), each a 422
naming the field (msgspec cannot bound a Decimal in the schema)."""

from __future__ import annotations

from decimal import Decimal

from xinyidai.infra.errors import InvalidInput

MAX_YUAN = Decimal("1000000000000")


def yuan(field: str, value: Decimal, *, positive: bool = False) -> Decimal:
    """0 (more than 0 if ``positive``) to a trillion yuan, at most 2 decimals."""
    if not value.is_finite() or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput.field(field, "yuan with at most 2 decimals", "cents")
    if value < 0 or (positive and value == 0) or value > MAX_YUAN:
        raise InvalidInput.field(field, "more than 0 and at most 10^12 yuan", "amount_range")
    return value.quantize(Decimal("0.01"))


def share(field: str, value: Decimal, *, positive: bool = False) -> Decimal:
    """A fraction from 0 (more than 0 if ``positive``) to 1, at most 4 decimals."""
    if not value.is_finite() or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InvalidInput.field(field, "a fraction with at most 4 decimals", "share_places")
    if value < 0 or (positive and value == 0) or value > 1:
        raise InvalidInput.field(field, "a fraction from 0 to 1", "share_range")
    return value.quantize(Decimal("0.0001"))
