"""The applications' values: statuses and the one transition table, who acts, decisions' reason
codes, loan events, delivery states and warning kinds. Free of the ORM and of other
capabilities, so the models, the sandbox bank and the pages' vocabulary can all use them."""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # written with its outbox row; not yet at the bank
    DELIVERED = "delivered"  # the bank's intake acknowledged it (or the bank polled it)
    UNDER_REVIEW = "under_review"  # the bank says it is looking at it
    APPROVED = "approved"  # a loan is offered: amount, annual rate, term
    REJECTED = "rejected"  # with a reason code
    DISBURSED = "disbursed"  # the money was paid out
    REPAYING = "repaying"  # the first repayment arrived
    SETTLED = "settled"  # repaid in full
    DEFAULTED = "defaulted"  # the bank declared a default
    WITHDRAWN = "withdrawn"  # the SME took it back before a decision


S = ApplicationStatus

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.SUBMITTED: frozenset({S.DELIVERED, S.UNDER_REVIEW, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.DELIVERED: frozenset({S.UNDER_REVIEW, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.DISBURSED}),
    S.REJECTED: frozenset(),
    S.DISBURSED: frozenset({S.REPAYING, S.SETTLED, S.DEFAULTED}),
    S.REPAYING: frozenset({S.SETTLED, S.DEFAULTED}),
    S.SETTLED: frozenset(),
    S.DEFAULTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
"""Where each status may go: the only place the lifecycle is written down. A bank may decide on
an application it has not acknowledged yet (a polling bank, or a decision racing the intake's
acknowledgement), so ``submitted`` goes straight to a decision too."""

UNDECIDED = frozenset({S.SUBMITTED, S.DELIVERED, S.UNDER_REVIEW})
"""Statuses an SME may withdraw from and a bank may decide in."""

LIVE_LOAN = frozenset({S.DISBURSED, S.REPAYING})
"""A loan whose money is out: what post-loan warnings watch."""


# The monitoring "product type" of an application made from a needs-pool claim (no product).
NEEDS_OFFER = "needs_offer"


class Actor(StrEnum):
    """Who made a transition."""

    SME = "sme"  # a verified user of the enterprise
    BANK = "bank"  # a user of the bank in the portal
    BANK_API = "bank_api"  # the bank's server over /openapi/v1 (actor id: its client id)
    PLATFORM = "platform"  # the relay, a job


class RejectReason(StrEnum):
    """Why a bank declined (a published list, ``GET /openapi/v1/reason-codes``)."""

    CREDIT_GRADE = "credit_grade"  # 信用等级不满足
    DEBT_CAPACITY = "debt_capacity"  # 偿债能力不足
    AMOUNT_TOO_HIGH = "amount_too_high"  # 申请金额超出可贷额度
    NEGATIVE_RECORDS = "negative_records"  # 存在不良公共信用记录
    INSUFFICIENT_DATA = "insufficient_data"  # 经营数据不足
    INDUSTRY_POLICY = "industry_policy"  # 行业政策限制
    OPERATING_HISTORY = "operating_history"  # 经营年限不足
    EXISTING_EXPOSURE = "existing_exposure"  # 现有负债过高
    INCOMPLETE_DOCUMENTS = "incomplete_documents"  # 材料不全
    OTHER = "other"  # 其他（附说明）


class LoanEventKind(StrEnum):
    """What a bank reports about a loan (``POST /openapi/v1/loans/{id}/events``)."""

    DISBURSED = "disbursed"
    REPAYMENT = "repayment"
    OVERDUE = "overdue"
    DEFAULT = "default"
    SETTLED = "settled"
    RECOVERY = "recovery"  # principal recovered after a default


class OutboxStatus(StrEnum):
    """Where an application's delivery to its bank stands."""

    PENDING = "pending"  # not attempted yet
    FAILED = "failed"  # the last attempt failed; another is due at next_attempt_at
    DELIVERED = "delivered"  # the bank's intake answered 2xx, or the bank polled it
    DEAD = "dead"  # given up after the attempts allowed; the office may requeue it
    POLL = "poll"  # the bank has no intake URL: it waits for the bank's poll


OUTBOX_OPEN = (OutboxStatus.PENDING, OutboxStatus.FAILED)


class WarningKind(StrEnum):
    """What a post-loan warning (贷后预警) is about."""

    PUBLIC_RECORD = "public_record"  # a new negative public record
    TAX_ARREARS = "tax_arrears"  # a month with tax arrears
    SOCIAL_INSURANCE_ARREARS = "social_insurance_arrears"  # a month with social-insurance arrears
    GRADE_DROP = "grade_drop"  # the grade fell two or more steps
