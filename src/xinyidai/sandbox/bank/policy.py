"""The sandbox bank's credit policy: a pure function of the application and the pulled profile.

:func:`decide` reads the application document (CONTRACT §1) and the profile the bank pulled
from ``links.profile`` (``None`` when the pull was refused, e.g. no live consent), and checks,
in this order, the first failing rule giving the reject reason:

1. ``insufficient_data``: no profile, no grade (neither the profile's score nor the
   application's ``grade``), or fewer than :data:`MIN_TAX_MONTHS` of the last 12 months of
   tax figures (the consented ``tax`` family's ``summary.months_last_12``);
2. ``credit_grade``: the grade (the profile's score first, else the application's) is not one
   of :data:`APPROVED_GRADES` (AAA … BB), or the latest tax credit grade on the public record
   is not one of :data:`TAX_GRADES` (A, B, M);
3. ``negative_records``: more than :data:`MAX_NEGATIVE_RECORDS` negative public records that
   are not disputed;
4. ``debt_capacity``: the PD band's upper bound is above :data:`MAX_PD` (5 %), or the latest
   month shows tax arrears;
5. ``amount_too_high``: the requested amount is above :data:`REVENUE_MULTIPLE` (0.3) × the
   annual revenue (VAT sales of the last 12 months, scaled to 12 when fewer are present).

Otherwise it approves for the term asked, the amount capped at :data:`MAX_APPROVED`
(5 000 000 yuan), at the annual rate of :data:`RATES` for the grade. Money is ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from xinyidai.domain.applications.vocabulary import RejectReason

APPROVED_GRADES = ("AAA", "AA", "A", "BBB", "BB")
TAX_GRADES = frozenset({"A", "B", "M"})
MIN_TAX_MONTHS = 6
MAX_NEGATIVE_RECORDS = 1
MAX_PD = Decimal("0.05")
REVENUE_MULTIPLE = Decimal("0.30")
MAX_APPROVED = Decimal("5000000.00")
RATES = {
    "AAA": Decimal("0.0345"),
    "AA": Decimal("0.0385"),
    "A": Decimal("0.0435"),
    "BBB": Decimal("0.0520"),
    "BB": Decimal("0.0610"),
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Decision:
    outcome: str  # "approve" | "reject"
    term_months: int
    amount: Decimal | None = None
    annual_rate: Decimal | None = None
    reason: RejectReason | None = None
    note: str | None = None

    def body(self) -> dict[str, Any]:
        """The body of ``POST /openapi/v1/applications/{id}/decision`` (CONTRACT §2)."""
        if self.outcome == "approve":
            return {
                "outcome": "approve",
                "amount": str(self.amount),
                "annual_rate": str(self.annual_rate),
                "term_months": self.term_months,
                "note": self.note,
            }
        return {"outcome": "reject", "reason": str(self.reason), "note": self.note}


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def pd_upper(band: str | None) -> Decimal | None:
    """The upper bound of a PD band as the bank API shows it (``<0.5%``, ``1%-2%``,
    ``>=20%``), as a fraction; ``None`` when unreadable."""
    if not band:
        return None
    text = band.strip().removesuffix("%")
    if text.startswith(">="):
        return Decimal(1)
    upper = _decimal(text.lstrip("<").rpartition("-")[2].removesuffix("%"))
    return None if upper is None else upper / 100


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def annual_revenue(profile: Mapping[str, Any]) -> Decimal | None:
    """VAT sales of the last 12 months (scaled to 12 when fewer are present), or ``None`` when
    the tax family is not shared or has fewer than :data:`MIN_TAX_MONTHS` months."""
    summary = _mapping(_mapping(_mapping(profile.get("families")).get("tax")).get("summary"))
    months = summary.get("months_last_12")
    sales = _decimal(summary.get("vat_sales_last_12"))
    if not isinstance(months, int) or months < MIN_TAX_MONTHS or sales is None:
        return None
    return (sales * 12 / months).quantize(CENT)


def _grade(application: Mapping[str, Any], profile: Mapping[str, Any]) -> str | None:
    score = _mapping(profile.get("score"))
    grade = score.get("grade") or application.get("grade")
    return grade if isinstance(grade, str) else None


def _negative_records(profile: Mapping[str, Any]) -> int:
    items = _mapping(profile.get("public_records")).get("items")
    if not isinstance(items, list):
        return 0
    return sum(
        1 for r in items if isinstance(r, Mapping) and r.get("negative") and not r.get("disputed")
    )


def _reject(term: int, reason: RejectReason, note: str) -> Decision:
    return Decision("reject", term, reason=reason, note=note)


def decide(application: Mapping[str, Any], profile: Mapping[str, Any] | None) -> Decision:
    """The bank's decision on ``application`` given the pulled ``profile``."""
    term = int(application["term_months"])
    requested = Decimal(str(application["amount"]))
    grade = _grade(application, profile or {})
    revenue = annual_revenue(profile) if profile is not None else None
    if profile is None or grade is None or revenue is None:
        return _reject(term, RejectReason.INSUFFICIENT_DATA, "no profile, grade or tax figures")
    tax_grade = _mapping(_mapping(profile.get("public_records")).get("latest_grades")).get(
        "tax_grade"
    )
    if grade not in APPROVED_GRADES:
        return _reject(term, RejectReason.CREDIT_GRADE, f"grade {grade} is below BB")
    if tax_grade is not None and tax_grade not in TAX_GRADES:
        return _reject(term, RejectReason.CREDIT_GRADE, f"tax credit grade {tax_grade}")
    negatives = _negative_records(profile)
    if negatives > MAX_NEGATIVE_RECORDS:
        return _reject(term, RejectReason.NEGATIVE_RECORDS, f"{negatives} negative records")
    pd = pd_upper(_mapping(profile.get("score")).get("pd_band"))
    if pd is not None and pd > MAX_PD:
        return _reject(term, RejectReason.DEBT_CAPACITY, f"PD up to {pd:%} is above {MAX_PD:%}")
    tax = _mapping(_mapping(_mapping(profile.get("families")).get("tax")).get("summary"))
    arrears = _decimal(tax.get("arrears_latest"))
    if arrears is not None and arrears > 0:
        return _reject(term, RejectReason.DEBT_CAPACITY, f"tax arrears of {arrears} yuan")
    limit = (revenue * REVENUE_MULTIPLE).quantize(CENT)
    if requested > limit:
        return _reject(
            term, RejectReason.AMOUNT_TOO_HIGH, f"{requested} is above {limit} (0.3 × revenue)"
        )
    amount = min(requested, MAX_APPROVED).quantize(CENT)
    note = f"capped at {MAX_APPROVED}" if amount < requested else None
    return Decision("approve", term, amount=amount, annual_rate=RATES[grade], note=note)
