"""Purpose ids of the city's draws beyond the monthly figures (the generator's are below 1000).

Every draw is ``uniforms(keys, purpose, months)`` or ``normals(…)`` of
:mod:`xinyidai.simulation.generator`, with one fixed id per quantity, so adding a quantity
never shifts another. The registry's, the public records' and the credit simulator's own draws
(authorizations, loans, defaults) share this one table so that no two quantities share an id.
Never renumber an entry: every value of the city would change.
"""

from __future__ import annotations

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
