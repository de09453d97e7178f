"""The pool's values, free of the ORM: claim statuses, ledger entry kinds, why a loan was not
registered."""

from __future__ import annotations

from enum import StrEnum


class PoolClaimStatus(StrEnum):
    PENDING = "pending"  # filed, waiting for the office
    PAUSED = "paused"  # filed while the bank's loss rate exceeds the pause threshold
    APPROVED = "approved"  # compensated: a ledger entry moved the money
    REJECTED = "rejected"  # refused with a reason (the bank may file again)


OPEN_POOL_CLAIMS = frozenset({PoolClaimStatus.PENDING, PoolClaimStatus.PAUSED})


class PoolEntryKind(StrEnum):
    ALLOCATION = "allocation"  # the city allocates (or takes back) part of a year's cap
    COMPENSATION = "compensation"  # an approved claim: the pool compensates the bank
    RECOVERY = "recovery"  # a recovery after compensation: the bank pays the pool back


class Ineligible(StrEnum):
    """Why a disbursed loan was not registered in the pool."""

    ENTERPRISE_INACTIVE = "enterprise_inactive"  # not active in the registry
    OUTSIDE_CITY = "outside_city"  # its district is not in Guangzhou (4401xx)
    SECURED = "secured"  # not a credit loan (nor an IP-pledge loan)
    NO_RULES = "no_rules"  # no rule set in force on the disbursement date
    ABOVE_BANDS = "above_bands"  # larger than the largest share band


GUANGZHOU_PREFIX = "4401"
"""Administrative division codes of Guangzhou's districts start with these four digits."""
