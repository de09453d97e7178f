"""The application document: what a bank's intake receives from the relay and what
``GET /openapi/v1/applications`` lists (CONTRACT §1). One function, so the two never differ."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import select

from xinyidai.models import BankConsent, Enterprise, ProductVersion

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.models import Application


def _z(at: dt.datetime) -> str:
    """An instant as RFC 3339 in UTC with a ``Z``, to the second."""
    return at.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def product_name(content: dict[str, Any]) -> str:
    """A product version's name as the bank wrote it (Chinese first, as the banks do)."""
    name = content.get("name_zh") or content.get("name_en") or content.get("name") or ""
    return str(name)


async def application_document(
    session: AsyncSession, application: Application, base_url: str
) -> dict[str, Any]:
    """The application as its bank sees it: JSON-ready (money as decimal strings, yuan;
    instants in UTC with ``Z``), with links to the enterprise's profile and the decision
    endpoint under ``base_url`` (the platform's public URL, ``Settings.issuer``). Reads the
    enterprise, the product version and the consent (one statement)."""
    row = (
        await session.execute(
            select(
                Enterprise.uscc,
                Enterprise.name,
                ProductVersion.product_id,
                ProductVersion.version,
                ProductVersion.content,
                BankConsent.id.label("consent_id"),
                BankConsent.families,
                BankConsent.expires_at,
            )
            .select_from(Enterprise)
            .join(ProductVersion, ProductVersion.id == application.product_version_id)
            .join(BankConsent, BankConsent.id == application.consent_id)
            .where(Enterprise.id == application.enterprise_id)
        )
    ).one()
    base = base_url.rstrip("/")
    unmet = application.eligibility.get("unmet", []) if application.eligibility else []
    return {
        "id": str(application.id),
        "status": str(application.status),
        "submitted_at": _z(application.created_at),
        "enterprise": {"uscc": row.uscc, "name": row.name},
        "product": {
            "id": str(row.product_id),
            "version": row.version,
            "name": product_name(row.content),
            "type": str(row.content.get("type", "")),
        },
        "amount": f"{application.amount:.2f}",
        "term_months": application.term_months,
        "purpose": str(application.purpose),
        "note": application.note,
        "eligibility": {"eligible": application.eligible, "unmet": list(unmet)},
        "grade": application.grade,
        "consent": {
            "id": str(row.consent_id),
            "families": list(row.families),
            "expires_at": _z(row.expires_at),
        },
        "links": {
            "profile": f"{base}/openapi/v1/profiles/{quote(row.uscc, safe='')}",
            "decision": f"{base}/openapi/v1/applications/{application.id}/decision",
        },
    }
