"""Use cases that span capabilities, starting from an SME's authorization."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from xinyidai.dates import utc_now
from xinyidai.domain.consents.schemas import AuthorizationCreate, AuthorizationOut
from xinyidai.domain.consents.services import AuthorizationService, to_out
from xinyidai.domain.credit_data.sync import queue_sync

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.infra.db import Enqueue


class GrantFlow:
    """Granting an authorization fetches what it authorizes: the grant (consents) and a sync
    run (credit data) are written in one transaction, the sync's job queued at its commit."""

    def __init__(self, session: AsyncSession, enqueue: Enqueue) -> None:
        self.session = session
        self.enqueue = enqueue
        self.authorizations = AuthorizationService(session)

    async def grant(
        self, enterprise_id: UUID, data: AuthorizationCreate, principal: Principal
    ) -> AuthorizationOut:
        """Grant the authorization, then queue a sync of the families it covers."""
        auth = await self.authorizations.grant(enterprise_id, data, principal)
        run = await queue_sync(
            self.session,
            self.enqueue,
            enterprise_id,
            trigger="authorisation",
            requested_by=principal.user_id,
        )
        return to_out(auth, utc_now(), run.id)
