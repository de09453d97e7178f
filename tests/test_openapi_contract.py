"""The app honours its own OpenAPI document for a caller without a login, and the document
covers the API (the machinery: ``tests/openapi_contract.py``; one module per caller)."""

from __future__ import annotations

import pytest

from tests.openapi_contract import (
    DOCUMENT,
    Arranged,
    arranged,
    every_operation_honours_the_document,
)

__all__ = ["arranged"]  # the module's world (a module-scoped fixture)

pytestmark = pytest.mark.slow  # thousands of generated requests, a trained model


def test_the_document_covers_every_api_route() -> None:
    paths = set(DOCUMENT["paths"])
    assert {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/enterprises/{enterprise_id}",
        "/api/v1/applications",
        "/health/ready",
    } <= paths


def test_every_operation_honours_the_document_without_a_login(arranged: Arranged) -> None:
    every_operation_honours_the_document(None, arranged)
