"""Loan products: a bank-managed catalogue of immutable product versions with structured
eligibility rules (``schemas.Eligibility``), validated against a published JSON Schema."""
