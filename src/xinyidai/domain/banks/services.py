"""Banks: the catalogue every logged-in user can browse, and each bank's own contact details."""

from __future__ import annotations

import builtins
import re
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
import structlog
from advanced_alchemy.exceptions import DuplicateKeyError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import select

from xinyidai.domain.accounts.services import normalise_email
from xinyidai.domain.banks.schemas import BankOut, BankUpdate, BankUserOut
from xinyidai.infra.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.infra.urls import check_url
from xinyidai.models import Bank, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.domain.accounts.services import AccountService

log = structlog.get_logger(__name__)
_SHORT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,30}$")


class BankRepository(SQLAlchemyAsyncRepository[Bank]):
    model_type = Bank


def validate_api_url(url: str) -> str:
    """The bank's API base URL: https:// (http:// only on loopback), see ``infra/urls.py``."""
    return check_url("api_base_url", url, http_only_on_loopback=True, base=True)


def _contact_email(raw: str) -> str:
    """The contact's e-mail address, normalised; a refusal names the field ``contact_email``."""
    try:
        return normalise_email(raw)
    except InvalidInput as exc:
        raise InvalidInput.field(
            "contact_email", "this is not a valid e-mail address", "email_format"
        ) from exc


def to_out(bank: Bank) -> BankOut:
    """The API's view of a bank."""
    return BankOut(
        id=bank.id,
        name=bank.name,
        short_code=bank.short_code,
        api_base_url=bank.api_base_url,
        contact_name=bank.contact_name,
        contact_email=bank.contact_email,
        contact_phone=bank.contact_phone,
        created_at=bank.created_at,
        updated_at=bank.updated_at,
    )


class BankService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = BankRepository(session=session, auto_commit=False)

    async def create(
        self,
        *,
        name: str,
        short_code: str,
        api_base_url: str | None = None,
        contact_name: str | None = None,
        contact_email: str | None = None,
        contact_phone: str | None = None,
    ) -> Bank:
        """Add a bank to the catalogue (flushed, not committed): the CLI's and the demo's."""
        code = short_code.strip().upper()
        if not _SHORT_CODE.match(code):
            raise InvalidInput.field(
                "short_code",
                "a short code is 2-32 upper-case letters, digits or _ starting with a letter",
                "short_code_format",
            )
        bank = Bank(
            name=clean_text("name", name),
            short_code=code,
            api_base_url=validate_api_url(api_base_url) if api_base_url else None,
            contact_name=clean_text("contact_name", contact_name) if contact_name else None,
            contact_email=normalise_email(contact_email) if contact_email else None,
            contact_phone=contact_phone,
        )
        if await self.repo.exists(short_code=code):
            raise Conflict(f"a bank with short code {code} exists")
        try:
            return await self.repo.add(bank)
        except DuplicateKeyError as exc:
            raise Conflict(f"a bank with short code {code} exists") from exc

    async def list(self) -> list[BankOut]:
        """Every bank, by short code."""
        rows = await self.session.scalars(select(Bank).order_by(Bank.short_code))
        return [to_out(b) for b in rows]

    async def get(self, bank_id: UUID) -> BankOut:
        """One bank; NotFound if there is none."""
        bank = await self.repo.get_one_or_none(id=bank_id)
        if bank is None:
            raise NotFound("no such bank")
        return to_out(bank)

    async def update(self, bank_id: UUID, data: BankUpdate, principal: Principal) -> BankOut:
        """A bank's own users correct its API URL and contact details."""
        bank = await self.repo.get_one_or_none(id=bank_id)
        if bank is None:
            raise NotFound("no such bank")
        if principal.role is not Role.BANK or principal.bank_id != bank_id:
            raise Forbidden("only the bank's own users may change its details")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "api_base_url" in changes:
            bank.api_base_url = validate_api_url(changes["api_base_url"])
        if "contact_name" in changes:
            bank.contact_name = clean_text("contact_name", changes["contact_name"])
        if "contact_email" in changes:
            bank.contact_email = _contact_email(changes["contact_email"])
        if "contact_phone" in changes:
            if not _PHONE.match(changes["contact_phone"]):
                raise InvalidInput.field("contact_phone", "not a phone number", "phone_format")
            bank.contact_phone = changes["contact_phone"]
        if changes:
            await self.session.flush()
            await self.session.refresh(bank)
            log.info("bank_updated", bank_id=str(bank_id), fields=sorted(changes))
        return to_out(bank)

    async def users(
        self, bank_id: UUID, principal: Principal, accounts: AccountService
    ) -> builtins.list[BankUserOut]:
        """The bank's users, newest first: for the bank's own users and platform admins (a
        bank's staff list is no business of other banks, SMEs or the credit office)."""
        if principal.role is Role.BANK:
            if principal.bank_id != bank_id:
                raise Forbidden("only the bank's own users may list its users")
        elif principal.role is not Role.ADMIN:
            raise Forbidden("only the bank's own users may list its users")
        if not await self.repo.exists(id=bank_id):
            raise NotFound("no such bank")
        return [
            BankUserOut(
                id=user.id,
                display_name=user.display_name,
                email=user.email,
                role=Role(user.role),
                is_active=user.is_active,
                created_at=user.created_at,
                last_login_at=user.last_login_at,
            )
            for user in await accounts.bank_users(bank_id)
        ]
