"""The app honours its own OpenAPI document for an SME's verified user
(the machinery: ``tests/openapi_contract.py``)."""

from __future__ import annotations

import pytest

from tests.openapi_contract import Arranged, arranged, every_operation_honours_the_document
from xinyidai.models import Role

__all__ = ["arranged"]  # the module's world (a module-scoped fixture)

pytestmark = pytest.mark.slow  # thousands of generated requests, a trained model


def test_every_operation_honours_the_document_as_sme(arranged: Arranged) -> None:
    every_operation_honours_the_document(Role.SME, arranged)
