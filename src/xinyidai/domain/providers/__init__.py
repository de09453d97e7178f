"""Connectors to external data providers: the interface and its implementations."""

from xinyidai.domain.providers.base import (
    DataProvider,
    FetchResult,
    MonthlyRecord,
    ProviderError,
    Rejected,
)

__all__ = ["DataProvider", "FetchResult", "MonthlyRecord", "ProviderError", "Rejected"]
