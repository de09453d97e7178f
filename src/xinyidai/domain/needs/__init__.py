"""The needs pool (融资需求): SMEs post financing needs, banks browse them anonymised (k ≥ 5 over
the registry, ``anonymise.py``) and claim them with offers, the SME accepts one and consents
to that bank, which alone then learns who the SME is."""
