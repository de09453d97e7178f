"""SME → bank consents: which bank may read which of an SME's data, why, and until when.

A consent covers families the platform holds a live authorization for (a bank cannot be given
what the platform may not fetch) and, separately, the SME's ``score``. Only a verified user of
the enterprise grants or revokes one, and the consent records who. It is read from the
database on every bank request, never cached, so a revocation takes effect on the bank's very
next request in every process.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from sqlalchemy import select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_own_enterprise
from xinyidai.domain.consents.schemas import BankConsentCreate, BankConsentOut, SharedData
from xinyidai.domain.consents.services import latest_expiry
from xinyidai.domain.webhooks import (
    CONSENT_EXPIRED,
    CONSENT_REVOKED,
    PROFILE_UPDATED,
    WebhookEvent,
    Webhooks,
)
from xinyidai.infra.bounds import check_datetime
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    Bank,
    BankConsent,
    ConsentChannel,
    ConsentPurpose,
    DataAuthorization,
    Enterprise,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)
DEFAULT_DAYS = 90
SCORE = SharedData.SCORE.value


def to_out(consent: BankConsent, bank_name: str, now: dt.datetime) -> BankConsentOut:
    return BankConsentOut(
        id=consent.id,
        enterprise_id=consent.enterprise_id,
        bank_id=consent.bank_id,
        bank_name=bank_name,
        families=[SharedData(f) for f in consent.families],
        purpose=ConsentPurpose(consent.purpose),
        reference=consent.reference,
        channel=ConsentChannel(consent.channel),
        client_id=consent.client_id,
        granted_at=consent.created_at,
        granted_by=consent.granted_by,
        expires_at=consent.expires_at,
        revoked_at=consent.revoked_at,
        live=consent.is_live(now),
    )


class BankConsentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def authorised_families(self, enterprise_id: UUID, now: dt.datetime) -> set[str]:
        """The families the platform may fetch for the enterprise now."""
        rows = await self.session.scalars(
            select(DataAuthorization.families).where(
                DataAuthorization.enterprise_id == enterprise_id,
                DataAuthorization.revoked_at.is_(None),
                DataAuthorization.expires_at > now,
            )
        )
        return {family for families in rows for family in families}

    async def grant(
        self,
        enterprise_id: UUID,
        data: BankConsentCreate,
        principal: Principal,
        *,
        channel: ConsentChannel = ConsentChannel.PORTAL,
        client_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> BankConsentOut:
        require_own_enterprise(principal, enterprise_id)
        now = now or utc_now()
        bank = await self.session.get(Bank, data.bank_id)
        if bank is None:
            raise InvalidInput.field("bank_id", "no such bank", "bank_unknown")
        families = sorted({f.value for f in data.families})
        if len(families) != len(data.families):
            raise InvalidInput.field("families", "a family is named twice", "families_duplicate")
        held = await self.authorised_families(enterprise_id, now)
        missing = [f for f in families if f != SCORE and f not in held]
        if missing:
            raise InvalidInput.field(
                "families",
                f"the platform holds no live authorization for {', '.join(missing)}: "
                "authorise the platform to fetch it first",
                "family_not_authorised",
            )
        reference = (
            clean_text("reference", data.reference, min_length=2, kind="text")
            if data.reference is not None
            else None
        )
        if data.purpose is ConsentPurpose.GENERAL and reference is None:
            raise InvalidInput.field(
                "reference", "a general consent says what it is for", "reference_missing"
            )
        if data.expires_at is None:
            expires = now + dt.timedelta(days=DEFAULT_DAYS)
        else:
            expires = check_datetime("expires_at", data.expires_at)
            if expires <= now + dt.timedelta(minutes=5):
                raise InvalidInput.field(
                    "expires_at", "the expiry must be in the future", "expiry_past"
                )
            if expires > latest_expiry(now):
                raise InvalidInput.field(
                    "expires_at", "a consent lasts at most 12 months", "expiry_too_far"
                )
        consent = BankConsent(
            enterprise_id=enterprise_id,
            bank_id=bank.id,
            families=families,
            purpose=data.purpose.value,
            reference=reference,
            channel=channel.value,
            client_id=client_id,
            expires_at=expires,
            granted_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(consent)
        await self.session.flush()
        log.info(
            "bank_consent_granted",
            enterprise_id=str(enterprise_id),
            bank_id=str(bank.id),
            consent_id=str(consent.id),
            families=families,
            channel=channel.value,
        )
        return to_out(consent, bank.name, now)

    async def of_enterprise(
        self, enterprise_id: UUID, principal: Principal
    ) -> list[BankConsentOut]:
        """The SME's consents, live and past, newest first."""
        require_own_enterprise(principal, enterprise_id)
        rows = await self.session.execute(
            select(BankConsent, Bank.name)
            .join(Bank, Bank.id == BankConsent.bank_id)
            .where(BankConsent.enterprise_id == enterprise_id)
            .order_by(BankConsent.created_at.desc())
        )
        now = utc_now()
        return [to_out(consent, name, now) for consent, name in rows.all()]

    async def revoke(
        self, enterprise_id: UUID, consent_id: UUID, principal: Principal
    ) -> BankConsentOut:
        require_own_enterprise(principal, enterprise_id)
        now = utc_now()
        consent = await self.session.scalar(
            select(BankConsent)
            .where(BankConsent.id == consent_id, BankConsent.enterprise_id == enterprise_id)
            .with_for_update()
        )
        if consent is None:
            raise NotFound("no such consent")
        if consent.revoked_at is not None:
            raise Conflict("this consent is already revoked")
        consent.revoked_at, consent.revoked_by = now, principal.user_id
        await self.session.flush()
        await self._tell_bank(consent, CONSENT_REVOKED)
        bank = await self.session.get(Bank, consent.bank_id)
        log.info(
            "bank_consent_revoked",
            enterprise_id=str(enterprise_id),
            consent_id=str(consent_id),
            bank_id=str(consent.bank_id),
        )
        return to_out(consent, bank.name if bank else "", now)

    async def revoke_all(
        self, enterprise_id: UUID, principal: Principal, *, now: dt.datetime
    ) -> int:
        """End every live consent of an enterprise (its verification was revoked: nobody may
        speak for it), telling each bank. Returns how many."""
        rows = await self.session.scalars(
            select(BankConsent)
            .where(
                BankConsent.enterprise_id == enterprise_id,
                BankConsent.revoked_at.is_(None),
                BankConsent.expires_at > now,
            )
            .with_for_update()
        )
        ended = 0
        for consent in rows:
            consent.revoked_at, consent.revoked_by = now, principal.user_id
            await self.session.flush()
            await self._tell_bank(consent, CONSENT_REVOKED)
            ended += 1
        return ended

    async def live_for(
        self, bank_id: UUID, enterprise_id: UUID, now: dt.datetime
    ) -> list[BankConsent]:
        """The bank's live consents on the enterprise, newest first (read on every pull)."""
        rows = await self.session.scalars(
            select(BankConsent)
            .where(
                BankConsent.bank_id == bank_id,
                BankConsent.enterprise_id == enterprise_id,
                BankConsent.revoked_at.is_(None),
                BankConsent.expires_at > now,
            )
            .order_by(BankConsent.created_at.desc())
        )
        return list(rows)

    async def held_by(self, bank_id: UUID) -> list[BankConsentOut]:
        """Every consent a bank holds, live and past, newest first, naming the enterprise."""
        rows = await self.session.execute(
            select(BankConsent, Bank.name, Enterprise.name, Enterprise.uscc)
            .join(Bank, Bank.id == BankConsent.bank_id)
            .join(Enterprise, Enterprise.id == BankConsent.enterprise_id)
            .where(BankConsent.bank_id == bank_id)
            .order_by(BankConsent.created_at.desc())
        )
        now = utc_now()
        out = []
        for consent, bank_name, enterprise_name, uscc in rows.all():
            item = to_out(consent, bank_name, now)
            item.enterprise_name, item.enterprise_uscc = enterprise_name, uscc
            out.append(item)
        return out

    async def _tell_bank(self, consent: BankConsent, event: WebhookEvent) -> None:
        """The bank's webhook (if it has one): which consent ended and how."""
        enterprise = await self.session.get(Enterprise, consent.enterprise_id)
        await Webhooks(self.session).emit(
            consent.bank_id,
            event,
            {
                "consent_id": str(consent.id),
                "uscc": enterprise.uscc if enterprise else None,
                "families": list(consent.families),
                "expires_at": consent.expires_at.isoformat(),
                "revoked_at": consent.revoked_at.isoformat() if consent.revoked_at else None,
            },
            event_id=f"{event.value}:{consent.id}",
        )

    async def notify_expired(self, *, within: dt.timedelta) -> int:
        """Tell each bank about its consents that expired in the last ``within`` (a job runs
        this; an event already sent is not sent again: its id is the consent's)."""
        now = utc_now()
        rows = await self.session.scalars(
            select(BankConsent).where(
                BankConsent.revoked_at.is_(None),
                BankConsent.expires_at <= now,
                BankConsent.expires_at > now - within,
            )
        )
        told = 0
        for consent in rows:
            await self._tell_bank(consent, CONSENT_EXPIRED)
            told += 1
        return told

    async def notify_profile(self, enterprise_id: UUID, version: int, snapshot_id: UUID) -> int:
        """Tell every bank holding a live consent on the enterprise that its profile has a new
        version (only that it exists: the bank pulls it under its consent)."""
        now = utc_now()
        banks = await self.session.scalars(
            select(BankConsent.bank_id)
            .distinct()
            .where(
                BankConsent.enterprise_id == enterprise_id,
                BankConsent.revoked_at.is_(None),
                BankConsent.expires_at > now,
            )
        )
        enterprise = await self.session.get(Enterprise, enterprise_id)
        told = 0
        for bank_id in banks:
            await Webhooks(self.session).emit(
                bank_id,
                PROFILE_UPDATED,
                {"uscc": enterprise.uscc if enterprise else None, "snapshot_version": version},
                event_id=f"profile.updated:{snapshot_id}",
            )
            told += 1
        return told
