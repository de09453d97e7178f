"""What a bank may read through its API: a consented profile, and the consents it holds.

Every profile pull is checked against the bank's live consents at that moment (read from the
database, never cached) and written to the SME's access log with the bank, the client, the
consents and the families read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import Principal, require_bank_user
from xinyidai.domain.audit.services import AuditLog
from xinyidai.domain.consents.bank_consents import SCORE, BankConsentService
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.enterprises.codes import validate_uscc
from xinyidai.domain.openapi_bank.schemas import BankProfile, BankScore
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.domain.scoring.services import latest_score
from xinyidai.enums import Family
from xinyidai.infra.errors import Forbidden, NotFound
from xinyidai.infra.logging import REQUEST_ID
from xinyidai.models import ActorKind, BankConsent, Enterprise

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.openapi_bank.auth import BankCaller

# Upper bounds of the PD bands a bank sees (the raw model figure stays on the platform).
_PD_BANDS = (
    (Decimal("0.005"), "<0.5%"),
    (Decimal("0.01"), "0.5%-1%"),
    (Decimal("0.02"), "1%-2%"),
    (Decimal("0.05"), "2%-5%"),
    (Decimal("0.10"), "5%-10%"),
    (Decimal("0.20"), "10%-20%"),
)


def pd_band(pd: float) -> str:
    """The band a probability of default falls in, as banks see it."""
    value = Decimal(str(pd))
    for upper, label in _PD_BANDS:
        if value < upper:
            return label
    return ">=20%"


def _missing_consent(uscc: str) -> Forbidden:
    return Forbidden(
        f"your bank holds no live consent from the enterprise {uscc}: ask the SME to grant one "
        "(it may have expired or been revoked)"
    )


class BankPulls:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _enterprise(self, uscc: str) -> Enterprise:
        try:
            code = validate_uscc(uscc)
        except ValueError:
            raise NotFound("no such enterprise") from None
        enterprise = await self.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
        if enterprise is None:
            raise NotFound("no such enterprise")
        return enterprise

    async def _consents(
        self, caller: BankCaller, enterprise: Enterprise, now: dt.datetime
    ) -> list[BankConsent]:
        consents = await BankConsentService(self.session).live_for(
            caller.bank_id, enterprise.id, now
        )
        if caller.consent_id is not None:  # a code-flow token reads under its own consent only
            consents = [c for c in consents if c.id == caller.consent_id]
        if not consents:
            raise _missing_consent(enterprise.uscc)
        return consents

    async def audit(
        self,
        caller: BankCaller,
        action: str,
        status: int,
        *,
        enterprise_id: UUID | None = None,
        consent_id: UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """One entry of the hash-chained audit log for this call (``domain/audit``)."""
        await AuditLog(self.session).append(
            action=action,
            actor_kind=ActorKind.BANK_CLIENT,
            actor_id=caller.client_id,
            status=status,
            bank_id=caller.bank_id,
            client_id=caller.client_id,
            enterprise_id=enterprise_id,
            consent_id=consent_id,
            request_id=REQUEST_ID.get(),
            detail=detail,
        )

    async def profile(
        self, caller: BankCaller, uscc: str, asked: list[SharedData] | None
    ) -> tuple[BankProfile, str]:
        """The profile and its entity tag; 403 naming the missing consent or family. Refusals
        are audited too."""
        try:
            return await self._profile(caller, uscc, asked)
        except (Forbidden, NotFound) as refused:
            await self.audit(
                caller, "openapi.profile.read", refused.status, detail={"uscc": uscc[:32]}
            )
            raise

    async def _profile(
        self, caller: BankCaller, uscc: str, asked: list[SharedData] | None
    ) -> tuple[BankProfile, str]:
        now = utc_now()
        enterprise = await self._enterprise(uscc)
        consents = await self._consents(caller, enterprise, now)
        profile, etag, wanted, version = await self._cut(enterprise, consents, asked)
        await self._log(caller, enterprise, consents, wanted, version)
        await self.audit(
            caller,
            "openapi.profile.read",
            200,
            enterprise_id=enterprise.id,
            consent_id=consents[0].id,
            detail={
                "consents": [str(c.id) for c in consents],
                "families": wanted,
                "snapshot_version": version,
            },
        )
        return profile, etag

    async def _cut(
        self, enterprise: Enterprise, consents: list[BankConsent], asked: list[SharedData] | None
    ) -> tuple[BankProfile, str, list[str], int]:
        """The latest profile cut to what ``consents`` cover (403 if ``asked`` goes beyond),
        its entity tag, the families read and the snapshot's version."""
        shared = sorted({f for c in consents for f in c.families})
        wanted = sorted({a.value for a in asked}) if asked else shared
        outside = [f for f in wanted if f not in shared]
        if outside:
            raise Forbidden(
                f"the enterprise's consents to your bank do not cover {', '.join(outside)}"
            )
        snapshot = await snapshots.latest(self.session, enterprise.id)
        if snapshot is None:
            raise NotFound("the enterprise has no profile yet")
        content: dict[str, Any] = snapshot.content
        families = {
            family.value: (
                content["families"].get(family.value, {"authorised": False})
                if family.value in wanted
                else {"consented": False}
            )
            for family in Family
        }
        score = None
        if SCORE in wanted:
            latest = await latest_score(self.session, enterprise.id)
            if latest is not None:
                summary, reasons = latest
                score = BankScore(
                    score=summary.score,
                    grade=summary.grade,
                    pd_band=pd_band(summary.pd),
                    model_version=summary.model_version,
                    scored_at=summary.scored_at,
                    reasons=reasons,
                )
        profile = BankProfile(
            uscc=enterprise.uscc,
            snapshot_version=snapshot.version,
            as_of=snapshot.as_of,
            consent_ids=[c.id for c in consents],
            shared=[SharedData(f) for f in wanted],
            enterprise=content["enterprise"],
            public_records=content["public_records"],
            families=families,
            score=score,
        )
        tag_source = f"{snapshot.id}|{score.scored_at if score else ''}|{','.join(wanted)}"
        etag = hashlib.sha256(tag_source.encode()).hexdigest()[:32]
        return profile, etag, wanted, snapshot.version

    async def for_bank_user(
        self, principal: Principal, bank_id: UUID, enterprise_id: UUID, reason: str
    ) -> BankProfile:
        """What a bank's user sees in the portal (an application's consented profile): the
        same cut as the bank API's, under the bank's live consents, written to the SME's access
        log with the user and ``reason`` and audited as the user's read."""
        require_bank_user(principal, bank_id, "read profiles its consents cover")
        enterprise = await self.session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound("no such enterprise")
        consents = await BankConsentService(self.session).live_for(
            bank_id, enterprise.id, utc_now()
        )
        if not consents:
            raise _missing_consent(enterprise.uscc)
        profile, _, wanted, version = await self._cut(enterprise, consents, None)
        await AccessLog(self.session).record(
            enterprise.id,
            principal,
            resource="bank_portal_profile",
            purpose=reason,
            detail=f"consent {', '.join(str(c.id) for c in consents)}; snapshot version "
            f"{version}; {', '.join(wanted)}",
        )
        await AuditLog(self.session).append(
            action="portal.profile.read",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            bank_id=bank_id,
            enterprise_id=enterprise.id,
            consent_id=consents[0].id,
            request_id=REQUEST_ID.get(),
            detail={"families": wanted, "snapshot_version": version, "reason": reason[:100]},
        )
        return profile

    async def _log(
        self,
        caller: BankCaller,
        enterprise: Enterprise,
        consents: list[BankConsent],
        families: list[str],
        version: int,
    ) -> None:
        newest = consents[0]
        purpose = newest.purpose + (f": {newest.reference}" if newest.reference else "")
        await AccessLog(self.session).record_bank_call(
            enterprise.id,
            caller.bank_id,
            purpose=purpose,
            resource="bank_api_profile",
            detail=(
                f"client {caller.client_id}; consent {', '.join(str(c.id) for c in consents)}; "
                f"snapshot version {version}; {', '.join(families)}"
            ),
        )
