"""String enums shared by the models, the import's parser processes and the simulated city.

No ORM here: the import's parser processes and the generators import this module, and must
start without SQLAlchemy. A StrEnum member hashes and compares as its value, so a plain string
from a file or a database row may be looked up in these sets directly.
"""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    """A family of authorized monthly series (one table each)."""

    TAX = "tax"
    ELECTRICITY = "electricity"
    WATER = "water"
    GAS = "gas"
    SOCIAL_INSURANCE = "social_insurance"
    HOUSING_FUND = "housing_fund"


class RecordType(StrEnum):
    """The kind of a public credit record (公共信用信息)."""

    ADMIN_LICENCE = "admin_licence"  # 行政许可
    ADMIN_PENALTY = "admin_penalty"  # 行政处罚
    SERIOUS_DISHONESTY = "serious_dishonesty"  # 严重失信主体名单
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录
    RED_LIST = "red_list"  # 红名单 / 荣誉
    TAX_GRADE = "tax_grade"  # 纳税信用等级
    CUSTOMS_GRADE = "customs_grade"  # 海关信用等级
    ENVIRONMENTAL_GRADE = "environmental_grade"  # 环境信用等级
    CREDIT_COMMITMENT = "credit_commitment"  # 信用承诺


# Negative record types: each needs a severity.
NEGATIVE_TYPES = frozenset(
    {
        RecordType.ADMIN_PENALTY,
        RecordType.SERIOUS_DISHONESTY,
        RecordType.DISHONEST_DEBTOR,
        RecordType.ABNORMAL_OPERATION,
    }
)


class Severity(StrEnum):
    """How serious a negative record is (失信程度)."""

    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


class RecordStatus(StrEnum):
    """Where a public record stands."""

    ACTIVE = "active"
    DISPUTED = "disputed"  # flagged while a dispute is open; still shown, marked
    REPAIRED = "repaired"  # 信用修复: no longer shown or used
    EXPIRED = "expired"  # past its publication period
    WITHDRAWN = "withdrawn"  # a dispute found it wrong


# Statuses of records that are shown and used.
VISIBLE_STATUSES = (RecordStatus.ACTIVE, RecordStatus.DISPUTED)

__all__ = [
    "NEGATIVE_TYPES",
    "VISIBLE_STATUSES",
    "Family",
    "RecordStatus",
    "RecordType",
    "Severity",
]
