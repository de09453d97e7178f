"""SME authorizations of its data sources: grant (≤ 12 months), list, revoke."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from sqlalchemy import select, update

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_own_enterprise
from xinyidai.domain.consents.schemas import AuthorizationCreate, AuthorizationOut
from xinyidai.domain.profiles import snapshots
from xinyidai.enums import Family
from xinyidai.infra.bounds import check_datetime
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import DataAuthorization

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)
MAX_MONTHS = 12


def latest_expiry(now: dt.datetime) -> dt.datetime:
    """Twelve calendar months from ``now`` (clamped to the month's last day)."""
    month_index = now.month - 1 + MAX_MONTHS
    year, month = now.year + month_index // 12, month_index % 12 + 1
    for day in (now.day, 30, 29, 28):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def to_out(
    auth: DataAuthorization, now: dt.datetime, job_id: UUID | None = None
) -> AuthorizationOut:
    """The API's view of an authorization; live at ``now``."""
    return AuthorizationOut(
        id=auth.id,
        reference=auth.reference,
        families=[Family(f) for f in auth.families],
        purpose=auth.purpose,
        granted_at=auth.created_at,
        expires_at=auth.expires_at,
        revoked_at=auth.revoked_at,
        live=auth.is_live(now),
        sync_job_id=job_id,
    )


class AuthorizationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def grant(
        self,
        enterprise_id: UUID,
        data: AuthorizationCreate,
        principal: Principal,
        now: dt.datetime | None = None,
    ) -> DataAuthorization:
        """The SME authorizes the platform to fetch data families, for at most 12 months."""
        require_own_enterprise(principal, enterprise_id)
        now = now or utc_now()
        families = sorted({f.value for f in data.families})
        if len(families) != len(data.families):
            raise InvalidInput.field("families", "a family is named twice", "families_duplicate")
        expires = check_datetime("expires_at", data.expires_at)  # in UTC, cannot overflow
        if expires <= now + dt.timedelta(minutes=5):
            raise InvalidInput.field(
                "expires_at", "the expiry must be in the future", "expiry_past"
            )
        if expires > latest_expiry(now):
            raise InvalidInput.field(
                "expires_at", "an authorization lasts at most 12 months", "expiry_too_far"
            )
        auth = DataAuthorization(
            enterprise_id=enterprise_id,
            reference="AUTH-" + secrets.token_hex(12).upper(),
            families=families,
            purpose=clean_text("purpose", data.purpose, min_length=2, kind="text"),
            expires_at=expires,
            granted_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(auth)
        await self.session.flush()
        await snapshots.rebuild(self.session, enterprise_id, "authorisation_granted", now)
        log.info(
            "authorisation_granted",
            enterprise_id=str(enterprise_id),
            authorization_id=str(auth.id),
            families=families,
        )
        return auth

    async def authorized_enterprises(self, now: dt.datetime) -> list[UUID]:
        """Every enterprise with at least one live authorization at ``now``."""
        rows = await self.session.scalars(
            select(DataAuthorization.enterprise_id)
            .distinct()
            .where(DataAuthorization.revoked_at.is_(None), DataAuthorization.expires_at > now)
        )
        return list(rows)

    async def list(self, enterprise_id: UUID, principal: Principal) -> list[AuthorizationOut]:
        """The SME's authorizations, live and past, newest first."""
        require_own_enterprise(principal, enterprise_id)
        rows = await self.session.scalars(
            select(DataAuthorization)
            .where(DataAuthorization.enterprise_id == enterprise_id)
            .order_by(DataAuthorization.created_at.desc())
        )
        now = utc_now()
        return [to_out(a, now) for a in rows]

    async def revoke(
        self,
        enterprise_id: UUID,
        authorization_id: UUID,
        principal: Principal,
        now: dt.datetime | None = None,
    ) -> AuthorizationOut:
        """The SME ends one of its authorizations."""
        require_own_enterprise(principal, enterprise_id)
        now = now or utc_now()
        auth = await self.session.scalar(
            select(DataAuthorization)
            .where(
                DataAuthorization.id == authorization_id,
                DataAuthorization.enterprise_id == enterprise_id,
            )
            .with_for_update()
        )
        if auth is None:
            raise NotFound("no such authorization")
        if auth.revoked_at is not None:
            raise Conflict("this authorization is already revoked")
        auth.revoked_at, auth.revoked_by = now, principal.user_id
        await self.session.flush()
        await snapshots.rebuild(self.session, enterprise_id, "authorisation_revoked", now)
        log.info(
            "authorisation_revoked",
            enterprise_id=str(enterprise_id),
            authorization_id=str(authorization_id),
        )
        return to_out(auth, utc_now())

    async def revoke_all(
        self, enterprise_id: UUID, principal: Principal, *, now: dt.datetime
    ) -> int:
        """End every live authorization of an enterprise (its verification was revoked).
        Returns how many; the caller rebuilds the snapshot."""
        result = await self.session.execute(
            update(DataAuthorization)
            .where(
                DataAuthorization.enterprise_id == enterprise_id,
                DataAuthorization.revoked_at.is_(None),
                DataAuthorization.expires_at > now,
            )
            .values(revoked_at=now, revoked_by=principal.user_id, updated_at=now)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        log.info("authorizations_revoked_all", enterprise_id=str(enterprise_id), count=count)
        return count
