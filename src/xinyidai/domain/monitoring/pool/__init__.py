"""The Guangzhou risk-compensation pool (风险补偿资金池, 穗金管规字〔2025〕1号).

Pool years with their caps, rule sets with validity dates (share bands, bonuses, the ceiling, the
loss-rate pause), the priority list, registration of eligible loans at disbursement, claims on
defaulted loans, recoveries paid back pro rata, and the double-entry ledger every movement is
written to. The design (chart of accounts, loss rate, cap refusals) is in ``ledger.py`` and
``claims.py`` and in the README's architecture section.
"""
