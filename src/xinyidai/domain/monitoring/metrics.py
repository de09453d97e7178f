"""The office's metrics: what each one's columns are, their units, how each is computed from
summed rollup figures, and which dimensions it may be grouped or filtered by.

Definitions (the day a figure belongs to, in China time, decides which period and month it
counts in):

* ``applications``: applications submitted (day of submission).
* ``approvals``: applications approved, and the amount approved (day of decision).
* ``approval_rate``: approvals / decisions (approved + rejected; withdrawn ones are not
  decisions), day of decision.
* ``loans``, ``disbursed_amount``: loans paid out and the amount paid (day of disbursement).
* ``credit_loan_share``: unsecured (credit) loans / loans, and their amount / amount paid out.
* ``first_time_borrowers``: loans that were the borrower's first (首贷户: first loan paid out on
  the platform, no earlier bank credit reported), their amount, and their share of loans.
* ``average_rate``: Σ(annual rate × amount paid out) / Σ amount paid out.
* ``response_time``: median and 90th percentile of the working days from submission to decision
  (day of decision), nearest rank.
* ``overdue_rate``: loans of the cohort (disbursed in the period) ever reported overdue / loans of
  the cohort; by amount: the amount paid out of those loans / amount paid out.
* ``default_rate``: loans of the cohort that defaulted / loans of the cohort; by amount: the
  principal lost at default / amount paid out.
* ``registered_smes``: SMEs whose legal representative verified them (day of verification), and
  the total registered at the end of the period (of each month, grouped by month).
* ``coverage``: SMEs registered at the end of the period, and those with a live authorization
  of each data family then (count and share).
* ``needs_published``, ``needs_claimed_share``: financing needs published (day published), and
  those a bank claimed (any claim, at any time) / needs published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from xinyidai.domain.monitoring.dimensions import Dimension
from xinyidai.enums import Family

D = Dimension
CENT = Decimal("0.01")
SIX = Decimal("0.000001")


class Metric(StrEnum):
    REGISTERED_SMES = "registered_smes"
    COVERAGE = "coverage"
    NEEDS_PUBLISHED = "needs_published"
    NEEDS_CLAIMED_SHARE = "needs_claimed_share"
    APPLICATIONS = "applications"
    APPROVALS = "approvals"
    APPROVAL_RATE = "approval_rate"
    LOANS = "loans"
    DISBURSED_AMOUNT = "disbursed_amount"
    CREDIT_LOAN_SHARE = "credit_loan_share"
    FIRST_TIME_BORROWERS = "first_time_borrowers"
    AVERAGE_RATE = "average_rate"
    RESPONSE_TIME = "response_time"
    OVERDUE_RATE = "overdue_rate"
    DEFAULT_RATE = "default_rate"


class Unit(StrEnum):
    COUNT = "count"  # an integer
    YUAN = "yuan"  # a decimal string, 2 places
    RATIO = "ratio"  # a fraction 0–1, decimal string, 6 places
    ANNUAL_RATE = "annual_rate"  # a fraction, decimal string, 6 places
    WORKING_DAYS = "working_days"  # a decimal string, 2 places


Value = int | str | None
Sums = dict[str, int | Decimal]


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> str | None:
    """``numerator / denominator`` to 6 places (half up); none without a denominator."""
    if not denominator:
        return None
    quotient = Decimal(numerator) / Decimal(denominator)
    return str(quotient.quantize(SIX, rounding=ROUND_HALF_UP))


def yuan(value: int | Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    unit: Unit
    value: Callable[[Sums], Value]


def _count(name: str) -> Callable[[Sums], Value]:
    return lambda s: int(s[name])


def _yuan(name: str) -> Callable[[Sums], Value]:
    return lambda s: yuan(s[name])


def _ratio(numerator: str, denominator: str) -> Callable[[Sums], Value]:
    return lambda s: ratio(s[numerator], s[denominator])


def _c(key: str, zh: str, en: str, measure: str | None = None) -> Column:
    return Column(key, zh, en, Unit.COUNT, _count(measure or key))


def _y(key: str, zh: str, en: str, measure: str | None = None) -> Column:
    return Column(key, zh, en, Unit.YUAN, _yuan(measure or key))


def _r(key: str, zh: str, en: str, numerator: str, denominator: str) -> Column:
    return Column(key, zh, en, Unit.RATIO, _ratio(numerator, denominator))


LOANS = _c("loans", "放款笔数", "Loans")
DISBURSED = _y("disbursed_amount", "放款金额（元）", "Amount disbursed (yuan)")
DECISIONS = _c("decisions", "答复笔数", "Decisions")
APPROVALS = _c("approvals", "获批笔数", "Approvals")

ROLLUP_COLUMNS: dict[Metric, tuple[Column, ...]] = {
    Metric.APPLICATIONS: (_c("applications", "申请笔数", "Applications"),),
    Metric.APPROVALS: (
        APPROVALS,
        _y("approved_amount", "获批金额（元）", "Amount approved (yuan)"),
    ),
    Metric.APPROVAL_RATE: (
        DECISIONS,
        APPROVALS,
        _r("approval_rate", "审批通过率", "Approval rate", "approvals", "decisions"),
    ),
    Metric.LOANS: (LOANS, DISBURSED),
    Metric.DISBURSED_AMOUNT: (DISBURSED, LOANS),
    Metric.CREDIT_LOAN_SHARE: (
        LOANS,
        _c("unsecured_loans", "信用贷款笔数", "Credit (unsecured) loans"),
        _r(
            "unsecured_share",
            "信用贷款占比（笔数）",
            "Credit loan share (count)",
            "unsecured_loans",
            "loans",
        ),
        DISBURSED,
        _y("unsecured_amount", "信用贷款金额（元）", "Credit loan amount (yuan)"),
        _r(
            "unsecured_amount_share",
            "信用贷款占比（金额）",
            "Credit loan share (amount)",
            "unsecured_amount",
            "disbursed_amount",
        ),
    ),
    Metric.FIRST_TIME_BORROWERS: (
        _c("first_time_borrowers", "首贷户数", "First-time borrowers", "first_time_loans"),
        _y("first_time_amount", "首贷金额（元）", "First-loan amount (yuan)"),
        LOANS,
        _r(
            "first_time_share",
            "首贷户占比（笔数）",
            "First-time share (count)",
            "first_time_loans",
            "loans",
        ),
    ),
    Metric.AVERAGE_RATE: (
        Column(
            "average_rate",
            "加权平均年利率",
            "Average annual rate (amount-weighted)",
            Unit.ANNUAL_RATE,
            _ratio("rate_amount", "disbursed_amount"),
        ),
        DISBURSED,
        LOANS,
    ),
    Metric.OVERDUE_RATE: (
        LOANS,
        _c("overdue_loans", "逾期笔数", "Loans overdue"),
        _r("overdue_rate", "逾期率（笔数）", "Overdue rate (count)", "overdue_loans", "loans"),
        DISBURSED,
        _y("overdue_amount", "逾期贷款放款金额（元）", "Amount disbursed of loans overdue (yuan)"),
        _r(
            "overdue_amount_rate",
            "逾期率（金额）",
            "Overdue rate (amount)",
            "overdue_amount",
            "disbursed_amount",
        ),
    ),
    Metric.DEFAULT_RATE: (
        LOANS,
        _c("defaulted_loans", "违约笔数", "Loans defaulted"),
        _r("default_rate", "不良率（笔数）", "Default rate (count)", "defaulted_loans", "loans"),
        DISBURSED,
        _y("defaulted_amount", "违约本金损失（元）", "Principal lost at default (yuan)"),
        _r(
            "default_amount_rate",
            "不良率（金额）",
            "Default rate (amount)",
            "defaulted_amount",
            "disbursed_amount",
        ),
    ),
}


BASIS: dict[Metric, str] = {
    Metric.APPLICATIONS: "applications",
    Metric.APPROVALS: "decisions",
    Metric.APPROVAL_RATE: "decisions",
}
"""What a group must have counted to be a row of a rollup metric (default: loans)."""


def basis(metric: Metric) -> str:
    return BASIS.get(metric, "loans")


def _no_value(_: Sums) -> Value:  # percentiles are computed from the histogram
    return None


RESPONSE_COLUMNS = (
    DECISIONS,
    Column(
        "median",
        "响应时间中位数（工作日）",
        "Median response (working days)",
        Unit.WORKING_DAYS,
        _no_value,
    ),
    Column(
        "p90",
        "响应时间90分位（工作日）",
        "90th percentile response (working days)",
        Unit.WORKING_DAYS,
        _no_value,
    ),
)

FAMILY_NAMES: dict[Family, tuple[str, str]] = {
    Family.TAX: ("纳税", "tax"),
    Family.ELECTRICITY: ("用电", "electricity"),
    Family.WATER: ("用水", "water"),
    Family.GAS: ("用气", "gas"),
    Family.SOCIAL_INSURANCE: ("社保", "social insurance"),
    Family.HOUSING_FUND: ("公积金", "housing fund"),
}
REGISTERED = _c("registered_smes", "新注册企业数", "SMEs registered")
REGISTERED_TOTAL = _c("registered_total", "累计注册企业数", "SMEs registered (total)")
SME_COLUMNS: dict[Metric, tuple[Column, ...]] = {
    Metric.REGISTERED_SMES: (REGISTERED, REGISTERED_TOTAL),
    Metric.COVERAGE: (
        REGISTERED_TOTAL,
        *(
            column
            for family, (zh, en) in FAMILY_NAMES.items()
            for column in (
                _c(f"{family}", f"已授权{zh}数据企业数", f"SMEs authorizing {en} data"),
                _r(
                    f"{family}_share",
                    f"{zh}数据授权覆盖率",
                    f"Coverage: {en}",
                    f"{family}",
                    "registered_total",
                ),
            )
        ),
    ),
    Metric.NEEDS_PUBLISHED: (_c("needs_published", "发布融资需求数", "Needs published"),),
    Metric.NEEDS_CLAIMED_SHARE: (
        _c("needs_published", "发布融资需求数", "Needs published"),
        _c("needs_claimed", "被银行抢单需求数", "Needs claimed by a bank"),
        _r("claimed_share", "抢单率", "Share claimed", "needs_claimed", "needs_published"),
    ),
}

ALL_DIMENSIONS = frozenset(Dimension)
SME_DIMENSIONS = frozenset({D.INDUSTRY, D.DISTRICT, D.MONTH})


def columns(metric: Metric) -> tuple[Column, ...]:
    if metric is Metric.RESPONSE_TIME:
        return RESPONSE_COLUMNS
    return ROLLUP_COLUMNS.get(metric) or SME_COLUMNS[metric]


def dimensions(metric: Metric) -> frozenset[Dimension]:
    """What ``metric`` may be grouped and filtered by."""
    if metric is Metric.COVERAGE:  # a state at the end of the period: no month
        return frozenset({D.INDUSTRY, D.DISTRICT})
    if metric in SME_COLUMNS:
        return SME_DIMENSIONS
    return ALL_DIMENSIONS
