"""Bank catalogue endpoints."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.controllers import provide_accounts
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.banks.schemas import BankOut, BankUpdate, BankUserOut
from xinyidai.domain.banks.services import BankService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_banks(db: NamedDependency[AsyncSession]) -> BankService:
    return BankService(db)


class BankController(Controller):
    path = "/api/v1/banks"
    tags = ["banks"]
    security = SESSION_SECURITY
    dependencies = {"banks": Provide(provide_banks, sync_to_thread=False)}

    @get("/", summary="All banks on the platform", responses=problem_responses(401, 503))
    async def list_banks(
        self, principal: NamedDependency[Principal], banks: NamedDependency[BankService]
    ) -> list[BankOut]:
        return await banks.list()

    @get("/{bank_id:uuid}", summary="One bank", responses=problem_responses(400, 401, 404, 503))
    async def read(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        banks: NamedDependency[BankService],
    ) -> BankOut:
        return await banks.get(bank_id)

    @patch(
        "/{bank_id:uuid}",
        summary="Update the bank's own API URL and contact",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def update(
        self,
        bank_id: FromPath[UUID],
        data: JSONBody[BankUpdate],
        principal: NamedDependency[Principal],
        banks: NamedDependency[BankService],
    ) -> BankOut:
        return await banks.update(bank_id, data, principal)

    @get(
        "/{bank_id:uuid}/users",
        summary="The bank's users, newest first (its own users and admins only)",
        responses=problem_responses(400, 401, 403, 404, 503),
        dependencies={"accounts": Provide(provide_accounts, sync_to_thread=False)},
    )
    async def users(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        banks: NamedDependency[BankService],
        accounts: NamedDependency[AccountService],
    ) -> list[BankUserOut]:
        return await banks.users(bank_id, principal, accounts)
