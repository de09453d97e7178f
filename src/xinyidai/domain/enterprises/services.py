"""The SME registry: registration, reads scoped to who may see them, and updates by the SME."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from advanced_alchemy.exceptions import DuplicateKeyError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, or_, select

from xinyidai.domain.accounts.guards import require_office, require_readable_enterprise
from xinyidai.domain.enterprises import codes
from xinyidai.domain.enterprises.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    EnterprisePage,
    EnterpriseUpdate,
    Industry,
    check_founding_date,
)
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.errors import Conflict, FieldError, InvalidInput, NotFound
from xinyidai.infra.text import clean_text, storable
from xinyidai.models import Enterprise

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)


class EnterpriseRepository(SQLAlchemyAsyncRepository[Enterprise]):
    model_type = Enterprise


def _field_error(field: str, exc: codes.CodeError) -> InvalidInput:
    return InvalidInput(
        exc.message, errors=[FieldError(field=field, message=exc.message, code=exc.rule)]
    )


def _check(field: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except codes.CodeError as exc:
        raise _field_error(field, exc) from exc


_MAX_CAPITAL = Decimal("9999999999999999.99")


def _check_capital(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > _MAX_CAPITAL:
        raise InvalidInput.field(
            "registered_capital",
            "registered capital is an amount in yuan from 0 to 10^16",
            "money_range",
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise InvalidInput.field(
            "registered_capital", "money has at most 2 decimal places", "money_precision"
        )
    return value.quantize(Decimal("0.01"))


def to_out(e: Enterprise) -> EnterpriseOut:
    """The API's view of a registered enterprise."""
    section = codes.SECTION_BY_CODE[e.industry_section]
    return EnterpriseOut(
        id=e.id,
        name=e.name,
        uscc=e.uscc,
        legal_rep_name=e.legal_rep_name,
        legal_rep_id_masked=e.legal_rep_id_masked,
        registered_capital=e.registered_capital,
        founded_on=e.founded_on,
        industry=Industry(
            section=section.code,
            division=e.industry_division,
            section_name_zh=section.zh,
            section_name_en=section.en,
        ),
        district_code=e.district_code,
        status=e.status,
        verified_at=e.verified_at,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


class EnterpriseService:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self.session = session
        self.repo = EnterpriseRepository(session=session, auto_commit=False)
        self.cipher = cipher

    def _seal_id(self, uscc: str, id_number: str) -> tuple[bytes, str]:
        valid = _check("legal_rep_id_number", codes.validate_resident_id, id_number)
        return self.cipher.encrypt(
            valid, f"enterprise:{uscc}:legal_rep_id"
        ), codes.mask_resident_id(valid)

    def details(self, data: EnterpriseCreate) -> dict[str, Any]:
        """Validate registration details: the registry's columns, normalised, with the legal
        representative's ID number sealed. Pure: reads and writes nothing."""
        uscc = _check("uscc", codes.validate_uscc, data.uscc)
        section, division = _check(
            "industry_division", codes.validate_industry, None, data.industry_division
        )
        district = _check("district_code", codes.validate_district, data.district_code)
        founded_on = check_founding_date(data.founded_on)
        cipher, masked = self._seal_id(uscc, data.legal_rep_id_number)
        return {
            "uscc": uscc,
            "name": clean_text("name", data.name, min_length=2),
            "legal_rep_name": clean_text("legal_rep_name", data.legal_rep_name),
            "legal_rep_id_cipher": cipher,
            "legal_rep_id_masked": masked,
            "registered_capital": _check_capital(data.registered_capital),
            "founded_on": founded_on,
            "industry_section": section,
            "industry_division": division,
            "district_code": district,
        }

    async def register(self, data: EnterpriseCreate) -> Enterprise:
        """Add an enterprise to the registry (flushed, not committed). The registry is fed by
        the office and the demo seed; an SME's own registration is a claim (``verification``)."""
        details = self.details(data)
        uscc = details["uscc"]
        if await self.repo.exists(uscc=uscc):
            raise Conflict(f"an enterprise with USCC {uscc} is already registered")
        try:
            return await self.repo.add(Enterprise(**details))
        except DuplicateKeyError as exc:  # a concurrent registration won the race
            raise Conflict(f"an enterprise with USCC {uscc} is already registered") from exc

    async def _visible(self, enterprise_id: UUID, principal: Principal) -> Enterprise:
        """The enterprise if ``principal`` may read it; else NotFound, as if it did not exist."""
        require_readable_enterprise(principal, enterprise_id)
        enterprise = await self.repo.get_one_or_none(id=enterprise_id)
        if enterprise is None:
            raise NotFound("no such enterprise")
        return enterprise

    async def get(self, enterprise_id: UUID, principal: Principal) -> EnterpriseOut:
        """One enterprise, for its own users and the office (whose read is logged)."""
        enterprise = await self._visible(enterprise_id, principal)
        await AccessLog(self.session).record(enterprise_id, principal, resource="registration")
        return to_out(enterprise)

    async def update(
        self, enterprise_id: UUID, data: EnterpriseUpdate, principal: Principal
    ) -> EnterpriseOut:
        """The SME corrects its own registration data."""
        enterprise = await self._visible(enterprise_id, principal)
        if not principal.may_edit_enterprise(enterprise_id):
            # The office may read but not change an SME's registration.
            raise NotFound("no such enterprise")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "name" in changes:
            enterprise.name = clean_text("name", changes["name"], min_length=2)
        if "legal_rep_name" in changes:
            enterprise.legal_rep_name = clean_text("legal_rep_name", changes["legal_rep_name"])
        if "legal_rep_id_number" in changes:
            enterprise.legal_rep_id_cipher, enterprise.legal_rep_id_masked = self._seal_id(
                enterprise.uscc, changes["legal_rep_id_number"]
            )
        if "registered_capital" in changes:
            enterprise.registered_capital = _check_capital(changes["registered_capital"])
        if "founded_on" in changes:
            enterprise.founded_on = check_founding_date(changes["founded_on"])
        if "industry_division" in changes:
            enterprise.industry_section, enterprise.industry_division = _check(
                "industry_division", codes.validate_industry, None, changes["industry_division"]
            )
        if "district_code" in changes:
            enterprise.district_code = _check(
                "district_code", codes.validate_district, changes["district_code"]
            )
        if changes:
            await self.session.flush()
            await self.session.refresh(enterprise)
            log.info(
                "enterprise_updated",
                enterprise_id=str(enterprise_id),
                fields=sorted(changes),
                by=str(principal.user_id),
            )
        return to_out(enterprise)

    async def search(
        self,
        principal: Principal,
        *,
        q: str | None,
        district: str | None,
        section: str | None,
        limit: int,
        offset: int,
    ) -> EnterprisePage:
        """The registry as the credit office sees it."""
        require_office(principal)
        stmt = select(Enterprise)
        if q and not storable(q):
            raise InvalidInput.field("q", "the search text has invalid characters", "text_invalid")
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(or_(Enterprise.name.ilike(pattern), Enterprise.uscc.ilike(pattern)))
        if district:
            stmt = stmt.where(Enterprise.district_code == district)
        if section:
            stmt = stmt.where(Enterprise.industry_section == section.upper())
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.scalars(
            stmt.order_by(Enterprise.name, Enterprise.id).limit(limit).offset(offset)
        )
        log.info(
            "data_access",
            resource="enterprise_registry",
            reader_id=str(principal.user_id),
            reader_role=principal.role.value,
            count=total,
        )
        return EnterprisePage(
            items=[to_out(e) for e in rows], total=int(total or 0), limit=limit, offset=offset
        )

    async def by_uscc(self, uscc: str) -> Enterprise | None:
        """The registered enterprise with this USCC, if any."""
        return await self.repo.get_one_or_none(uscc=uscc)
