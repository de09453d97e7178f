"""The needs pool's values: purposes, statuses, offer conditions. Free of the ORM and of other
capabilities, so the models can import them."""

from __future__ import annotations

from enum import StrEnum


class NeedPurpose(StrEnum):
    WORKING_CAPITAL = "working_capital"  # 流动资金
    EQUIPMENT = "equipment"  # 设备购置
    EXPANSION = "expansion"  # 扩大经营
    ORDERS = "orders"  # 订单生产
    RENEWAL = "renewal"  # 续贷 / 转贷
    OTHER = "other"


class NeedStatus(StrEnum):
    OPEN = "open"  # in the pool; banks may claim it
    ACCEPTED = "accepted"  # the SME accepted one claim
    WITHDRAWN = "withdrawn"  # the SME took it back
    EXPIRED = "expired"  # past its deadline with no claim accepted


class NeedClaimStatus(StrEnum):
    OPEN = "open"  # the bank's offer stands; the SME may accept it
    ACCEPTED = "accepted"  # the SME accepted it: this bank now sees who the SME is
    LOST = "lost"  # the SME accepted another bank's claim
    WITHDRAWN = "withdrawn"  # the bank took it back
    CANCELLED = "cancelled"  # the SME withdrew the need
    EXPIRED = "expired"  # not accepted within its response time, or the need expired


class ClaimCondition(StrEnum):
    """Conditions a bank may attach to an offer (a controlled list, no free text)."""

    SETTLEMENT_ACCOUNT = "settlement_account"  # 在本行开立结算账户
    TURNOVER_TO_BANK = "turnover_to_bank"  # 结算流水归集本行
    SITE_VISIT = "site_visit"  # 实地走访
    FINANCIAL_STATEMENTS = "financial_statements"  # 提供近期财务报表
    TAX_AUTHORIZATION = "tax_authorization"  # 授权纳税数据
    GUARANTOR = "guarantor"  # 追加保证人
    COLLATERAL = "collateral"  # 追加抵质押
    INSURANCE = "insurance"  # 投保贷款保证保险
    LEGAL_REP_GUARANTEE = "legal_rep_guarantee"  # 法定代表人连带责任保证
