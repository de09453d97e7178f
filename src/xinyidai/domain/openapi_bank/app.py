"""The bank API as an app of its own, mounted at ``/openapi/v1`` of the platform: it shares
the platform's state (database sessions, Redis, keys) but has its own OpenAPI document at
``/openapi/v1/schema/openapi.json``, separate from the portal's."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, asgi
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.types import Receive, Scope, Send

from xinyidai.domain.applications.openapi_controllers import BankApplicationApiController
from xinyidai.domain.openapi_bank.auth import MOUNT
from xinyidai.domain.openapi_bank.controllers import BankApiController
from xinyidai.infra.db import provide_transaction
from xinyidai.infra.http import CheckedRequest, problem_handler


def create_bank_api(state: State, version: str) -> Litestar:
    return Litestar(
        route_handlers=[BankApiController, BankApplicationApiController],
        dependencies={"db": Provide(provide_transaction)},
        exception_handlers={Exception: problem_handler},
        request_class=CheckedRequest,
        state=state,
        openapi_config=OpenAPIConfig(
            title="Xinyidai bank API",
            version=version,
            description="For banks' servers. Tokens come from the platform's OAuth server "
            "(`/.well-known/oauth-authorization-server`): client credentials with "
            "`private_key_jwt`, bound to a DPoP key; send `Authorization: DPoP <token>` and a "
            "fresh `DPoP` proof with every call.",
            path="/schema",
            servers=[Server(url=MOUNT)],
            render_plugins=[JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "dpop": SecurityScheme(
                        type="http",
                        scheme="DPoP",
                        description="A DPoP-bound JWT access token (RFC 9449) with a proof",
                    )
                }
            ),
            create_examples=False,
        ),
        debug=False,
        request_max_body_size=64 * 1024,
    )


def mount(bank_api: Litestar) -> Any:
    @asgi(MOUNT, is_mount=True, copy_scope=True, include_in_schema=False)
    async def bank_api_mount(scope: Scope, receive: Receive, send: Send) -> None:
        await bank_api(scope, receive, send)

    return bank_api_mount
