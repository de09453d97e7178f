"""Reading an enterprise's credit profile (the latest snapshot) and its access log.

Snapshots are built in ``snapshots.py``; every read of an SME's data by someone other than its
own users is written to the access log (``access.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinyidai.domain.accounts.guards import require_readable_enterprise
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.domain.profiles.schemas import AccessLogPage, ProfileOut
from xinyidai.infra.errors import NotFound

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal


class ProfileService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.access = AccessLog(session)

    async def latest(self, enterprise_id: UUID, principal: Principal) -> ProfileOut:
        """The latest snapshot, for the SME's own users and the credit office (whose read is
        logged); NotFound until one is built."""
        require_readable_enterprise(principal, enterprise_id)
        snapshot = await snapshots.latest(self.session, enterprise_id)
        if snapshot is None:
            raise NotFound("no profile has been built for this enterprise yet")
        await self.access.record(
            enterprise_id, principal, resource="profile", detail=f"version {snapshot.version}"
        )
        return ProfileOut(
            enterprise_id=enterprise_id,
            version=snapshot.version,
            format=snapshot.format,
            content_hash=snapshot.content_hash,
            as_of=snapshot.as_of,
            built_at=snapshot.created_at,
            reason=snapshot.reason,
            content=snapshot.content,
        )

    async def access_log(
        self, enterprise_id: UUID, principal: Principal, *, limit: int, offset: int
    ) -> AccessLogPage:
        """Who read the enterprise's data, newest first (its own users only)."""
        return await self.access.for_enterprise(
            enterprise_id, principal, limit=limit, offset=offset
        )
