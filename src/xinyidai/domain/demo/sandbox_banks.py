"""Wiring a demo bank to a sandbox bank (``xinyidai run``, development only): the bank's OAuth
``private_key_jwt`` client at the platform with the sandbox's public key, and the bank's intake
(where the relay delivers its applications) at the sandbox, with a fresh secret for the relay at
the sandbox's token endpoint. Done again on every start, idempotently: one client per bank,
found by its name and given the current key; the intake set again.

A demo bank whose intake points anywhere but a sandbox on this machine is a real bank someone
configured: it is left alone (and gets no sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import select

from xinyidai.domain.applications.intakes import BankIntakes, intake_of
from xinyidai.domain.applications.relay_schemas import IntakeIn
from xinyidai.domain.demo.city import BANKS
from xinyidai.domain.oauth.clients import ClientService, check_jwks
from xinyidai.models import Bank, OAuthClient

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.destinations import DestinationPolicy

SANDBOX_BANK_CODES = (BANKS[0][0], BANKS[1][0])
"""The demo banks that get a sandbox: those with demo logins (``bank@`` and ``bank2@``)."""
SANDBOX_CLIENT_NAME = "沙箱银行 Sandbox bank (xinyidai run)"
INTAKE_PATH = "/intake/applications"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True, slots=True)
class Wired:
    code: str
    bank_id: UUID
    client_id: str
    """The bank's ``private_key_jwt`` client at the platform (what the sandbox signs as)."""
    external: str | None = None
    """The intake URL of a real bank, when the bank has one: then nothing was wired."""


def is_sandbox_intake(url: str) -> bool:
    """Whether an intake URL is a sandbox bank's on this machine (``xinyidai run``'s)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK and parts.path == INTAKE_PATH


async def wire_sandbox_bank(
    session: AsyncSession,
    cipher: FieldCipher,
    policy: DestinationPolicy,
    code: str,
    *,
    public_jwks: dict[str, Any],
    bank_url: str,
    intake_client_id: str,
    intake_secret: str,
) -> Wired | None:
    """Register (or refresh) the bank ``code``'s sandbox client and point its intake at the
    sandbox at ``bank_url``; None when there is no such bank. Does not commit."""
    bank = await session.scalar(select(Bank).where(Bank.short_code == code))
    if bank is None:
        return None
    existing = await intake_of(session, bank.id)
    if existing is not None and not is_sandbox_intake(existing.intake_url):
        return Wired(code, bank.id, "", external=existing.intake_url)
    client_id = await _client(session, bank, public_jwks)
    base = bank_url.rstrip("/")
    await BankIntakes(session, cipher, policy).configure(
        bank.id,
        IntakeIn(
            intake_url=base + INTAKE_PATH,
            token_url=base + TOKEN_PATH,
            client_id=intake_client_id,
            client_secret=intake_secret,
        ),
    )
    return Wired(code, bank.id, client_id)


async def _client(session: AsyncSession, bank: Bank, public_jwks: dict[str, Any]) -> str:
    """The bank's sandbox client id: the one registered before (its keys replaced by
    ``public_jwks`` if they differ, enabled again if it was disabled), else a new one."""
    row = await session.scalar(
        select(OAuthClient)
        .where(OAuthClient.bank_id == bank.id, OAuthClient.name == SANDBOX_CLIENT_NAME)
        .order_by(OAuthClient.created_at)
        .limit(1)
    )
    if row is None:
        registered = await ClientService(session).create(
            bank.short_code, jwks=public_jwks, redirect_uris=[], name=SANDBOX_CLIENT_NAME
        )
        return registered.client.client_id
    checked = check_jwks(public_jwks)
    if row.jwks != checked:
        row.jwks = checked
    row.disabled_at = None
    await session.flush()
    return row.client_id
