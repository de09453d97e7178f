"""Fixtures that start the sandbox data provider (filled in with the provider itself)."""
