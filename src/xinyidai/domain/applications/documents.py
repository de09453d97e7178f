"""The application document as JSON: what a bank's intake receives from the relay, built by
the same function (``views.documents``) as what ``GET /openapi/v1/applications`` lists, so the
two never differ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from xinyidai.domain.applications import views

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.models import Application


async def application_document(
    session: AsyncSession, application: Application, base_url: str
) -> dict[str, Any]:
    """The application as its bank sees it, JSON-ready (money as decimal strings, yuan;
    instants in UTC), with links to the enterprise's profile and the decision endpoint under
    ``base_url`` (the platform's public URL, ``Settings.issuer``)."""
    (document,) = await views.documents(session, [application], base_url)
    built: dict[str, Any] = msgspec.to_builtins(document)
    return built
