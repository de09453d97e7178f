"""A bank's intake: the URL the relay delivers the bank's applications to, and the bank's own
OAuth token endpoint and client that guard it (CONTRACT §1).

Both URLs pass the destination policy of bank webhook URLs (``infra/destinations.py``: https
unless ``WEBHOOK_ALLOW_HTTP``, public addresses unless ``WEBHOOK_ALLOW_PRIVATE``) when they
are set, and again at every delivery. The client secret is write-only: encrypted at rest with
the platform's data key, bound to the bank's intake row (``FieldCipher``'s associated data),
and never returned. A bank without an intake polls ``/openapi/v1/applications`` instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from sqlalchemy import select

from xinyidai.domain.accounts.guards import require_bank_user
from xinyidai.domain.applications.relay_schemas import IntakeIn, IntakeOut
from xinyidai.infra.destinations import DestinationPolicy, check_destination
from xinyidai.infra.errors import InvalidInput, NotFound
from xinyidai.models import Bank, BankIntake

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.infra.crypto import FieldCipher

log = structlog.get_logger(__name__)


def secret_binding(bank_id: UUID) -> str:
    """The associated data the secret is encrypted under: it decrypts for this bank's intake
    row only (a ciphertext copied to another bank's row does not verify)."""
    return f"bank_intakes:{bank_id}:client_secret"


@dataclass(frozen=True)
class IntakeCredentials:
    """A bank's intake with its secret decrypted: what the relay needs to deliver."""

    bank_id: UUID
    intake_url: str
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None


def intake_out(intake: BankIntake) -> IntakeOut:
    return IntakeOut(
        bank_id=intake.bank_id,
        intake_url=intake.intake_url,
        token_url=intake.token_url,
        client_id=intake.client_id,
        scope=intake.scope,
        created_at=intake.created_at,
        updated_at=intake.updated_at,
    )


async def intake_of(session: AsyncSession, bank_id: UUID) -> BankIntake | None:
    intake: BankIntake | None = await session.scalar(
        select(BankIntake).where(BankIntake.bank_id == bank_id)
    )
    return intake


def credentials(intake: BankIntake, cipher: FieldCipher) -> IntakeCredentials:
    """The intake with its secret decrypted (``ValueError`` if it does not verify)."""
    return IntakeCredentials(
        bank_id=intake.bank_id,
        intake_url=intake.intake_url,
        token_url=intake.token_url,
        client_id=intake.client_id,
        client_secret=cipher.decrypt(intake.client_secret, secret_binding(intake.bank_id)),
        scope=intake.scope,
    )


class BankIntakes:
    """Reading, setting and removing banks' intakes: for the bank's own users (the portal) and
    for the platform's operators (the CLI: ``configure``/``remove`` without a principal)."""

    def __init__(
        self, session: AsyncSession, cipher: FieldCipher, policy: DestinationPolicy | None = None
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.policy = policy or DestinationPolicy()

    async def _bank(self, bank_id: UUID) -> None:
        if await self.session.get(Bank, bank_id) is None:
            raise NotFound("no such bank")

    async def show(self, bank_id: UUID, principal: Principal) -> IntakeOut | None:
        """The bank's intake; None when it has none (it polls): a state, not a missing thing."""
        require_bank_user(principal, bank_id, "read its intake")
        await self._bank(bank_id)
        intake = await intake_of(self.session, bank_id)
        return None if intake is None else intake_out(intake)

    async def set(self, bank_id: UUID, data: IntakeIn, principal: Principal) -> IntakeOut:
        require_bank_user(principal, bank_id, "set its intake")
        out = await self.configure(bank_id, data)
        log.info("bank_intake_set", bank_id=str(bank_id), by=str(principal.user_id))
        return out

    async def remove(self, bank_id: UUID, principal: Principal) -> None:
        require_bank_user(principal, bank_id, "remove its intake")
        await self.unconfigure(bank_id)
        log.info("bank_intake_removed", bank_id=str(bank_id), by=str(principal.user_id))

    async def configure(self, bank_id: UUID, data: IntakeIn) -> IntakeOut:
        """Set the bank's intake once both URLs pass the destination policy (else 422 naming
        the field). The secret may be left out to keep the stored one."""
        await self._bank(bank_id)
        intake_url = await check_destination(self.policy, data.intake_url, "intake_url")
        token_url = await check_destination(self.policy, data.token_url, "token_url")
        client_id = data.client_id.strip()
        if not client_id or not client_id.isprintable():
            raise InvalidInput.field("client_id", "client_id: printable text", "client_id_invalid")
        scope = data.scope.strip() if data.scope else None
        if scope is not None and (not scope.isprintable() or not scope):
            raise InvalidInput.field("scope", "scope: printable text", "scope_invalid")
        secret = data.client_secret
        if secret is not None and (not secret.isprintable() or secret != secret.strip()):
            raise InvalidInput.field(
                "client_secret",
                "client_secret: printable text without surrounding spaces",
                "client_secret_invalid",
            )
        intake = await intake_of(self.session, bank_id)
        if intake is None:
            if secret is None:
                raise InvalidInput.field(
                    "client_secret",
                    "client_secret: required when the intake is first set",
                    "client_secret_required",
                )
            intake = BankIntake(
                bank_id=bank_id,
                intake_url=intake_url,
                token_url=token_url,
                client_id=client_id,
                client_secret=self.cipher.encrypt(secret, secret_binding(bank_id)),
                scope=scope,
            )
            self.session.add(intake)
        else:
            intake.intake_url, intake.token_url = intake_url, token_url
            intake.client_id, intake.scope = client_id, scope
            if secret is not None:
                intake.client_secret = self.cipher.encrypt(secret, secret_binding(bank_id))
        await self.session.flush()
        await self.session.refresh(intake)
        return intake_out(intake)

    async def unconfigure(self, bank_id: UUID) -> None:
        """Remove the bank's intake: its applications wait for its polls from now on (open
        deliveries turn to ``poll`` at their next attempt)."""
        await self._bank(bank_id)
        intake = await intake_of(self.session, bank_id)
        if intake is None:
            raise NotFound("the bank has no intake")
        await self.session.delete(intake)
        await self.session.flush()
