"""Loan applications: submission with its consent and outbox row, delivery to the bank, the
lifecycle through decision and loan events, and post-loan warnings."""
