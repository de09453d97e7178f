"""Purpose ids of the city's draws: the generator's (traits and monthly figures, below 1000)
and the rest (1000 and up).

Every draw is ``uniforms(keys, purpose, months)`` or ``normals(…)`` of
:mod:`xinyidai.simulation.generator`, with one fixed id per quantity, so adding a quantity
never shifts another. The registry's, the public records' and the credit simulator's own draws
(authorizations, loans, defaults) share this one table so that no two quantities share an id.
Never renumber an entry: every value of the city would change.
"""

from __future__ import annotations

GENERATOR_PURPOSES: dict[str, int] = {
    "profile": 1,
    "founded_tier": 2,
    "founded_month": 3,
    "sales_per_head": 4,
    "size": 5,
    "growth": 6,
    "discipline_tier": 7,
    "discipline": 8,
    "arrears": 9,
    "shock": 10,
    "shock_month": 11,
    "shock_depth": 12,
    "shock_recovery": 13,
    "shock_permanent": 14,
    "has_gas": 15,
    "has_housing_fund": 16,
    "season_amplitude": 17,
    "season_peak": 18,
    "cny_depth": 19,
    "macro": 20,
    "volatility": 21,
    "cycle_persistence": 22,
    "cycle_sd": 23,
    "tax_burden": 24,
    "invoice_value": 25,
    "purchase_ratio": 26,
    "kwh_per_k": 27,
    "base_load": 28,
    "cooling": 29,
    "electricity_price": 30,
    "water_per_k": 31,
    "water_price": 32,
    "gas_per_k": 33,
    "gas_price": 34,
    "headcount_elasticity": 35,
    "si_per_head": 36,
    "base_adjustment": 37,
    "hf_coverage": 38,
    "hf_per_head": 39,
    "founded_day": 40,
    "cycle": 100,
    "noise": 101,
    "turnover": 102,
    "tax_noise": 110,
    "tax_credit": 111,
    "tax_issued": 112,
    "tax_received": 113,
    "tax_arrears": 114,
    "tax_arrears_amount": 115,
    "power_noise": 120,
    "power_price": 121,
    "power_late": 122,
    "power_days": 123,
    "water_noise": 130,
    "water_late": 131,
    "water_days": 132,
    "gas_noise": 140,
    "gas_late": 141,
    "gas_days": 142,
    "si_noise": 150,
    "si_arrears": 151,
    "si_arrears_amount": 152,
    "hf_noise": 160,
}
"""The generator's draw ids (traits and monthly figures), all below 1000."""

PURPOSES: dict[str, int] = {
    # Hidden traits (records.py; the credit simulator reads them too).
    "compliance": 1000,
    "openness": 1001,
    "exporter": 1002,
    "polluter": 1003,
    # The registry (registry.py).
    "capital": 1004,
    "name": 1005,
    "district": 1006,  # reserved (the district comes from the USCC)
    "division": 1007,
    "customs_phase": 1008,  # records.py: the month of an exporter's customs grade
    # The credit simulator's learning draws (xinyidai_ml.simulator).
    "auth_noise": 1010,  # + family position (6)
    "loan": 1020,
    "loan_day": 1021,
    "loan_amount": 1022,
    "default": 1023,
    "auth_day": 1024,
    # Public records (records.py).
    "penalty": 1100,
    "penalty_severity": 1101,
    "penalty_kind": 1102,
    "abnormal": 1110,
    "abnormal_repair": 1111,
    "abnormal_reason": 1112,
    "debtor": 1120,
    "debtor_repair": 1121,
    "serious": 1130,
    "red": 1140,
    "red_kind": 1141,
    "commitment": 1150,
    "licence": 1160,
    "licence_kind": 1161,
    "tax_grade": 1170,  # + 1: the grading day
    "customs_grade": 1180,
    "environmental_grade": 1190,
    "record_day": 1199,
    # The legal representative (registry.py).
    "legal_rep_age": 1200,
    "legal_rep_order": 1201,
    "legal_rep_surname": 1202,
    "legal_rep_given": 1203,  # + 1: the second character
    "legal_rep_given_count": 1205,
}
