"""The application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from xinyidai.domain.accounts.controllers import AuthController
from xinyidai.domain.accounts.guards import authenticate_early, provide_principal
from xinyidai.domain.accounts.sessions import SESSION_COOKIE, SessionStore
from xinyidai.domain.applications.controllers import (
    ApplicationController,
    BankApplicationController,
)
from xinyidai.domain.applications.intake_controllers import BankIntakeController
from xinyidai.domain.applications.office_controllers import OfficeDeliveryController
from xinyidai.domain.applications.warning_controllers import LoanWarningController
from xinyidai.domain.banks.controllers import BankController
from xinyidai.domain.consents.controllers import (
    AuthorizationController,
    BankConsentController,
    HeldConsentController,
)
from xinyidai.domain.consents.keys import jwks
from xinyidai.domain.credit_data.controllers import CreditDataController
from xinyidai.domain.credit_data.office_controllers import OfficeController
from xinyidai.domain.enterprises.controllers import EnterpriseController
from xinyidai.domain.health.controllers import HealthController
from xinyidai.domain.matching.controllers import MatchController
from xinyidai.domain.monitoring.controllers import OfficeStatsController
from xinyidai.domain.monitoring.export_controllers import OfficeExportController
from xinyidai.domain.monitoring.pool.controllers import BankPoolController, OfficePoolController
from xinyidai.domain.monitoring.service_controllers import (
    BankServiceLevelController,
    OfficeAlertController,
    OfficeServiceLevelController,
)
from xinyidai.domain.needs.controllers import (
    BankClaimController,
    NeedController,
    NeedsPoolController,
)
from xinyidai.domain.notifications.controllers import NotificationController
from xinyidai.domain.oauth.consent_controllers import (
    BankClientController,
    ConsentRequestController,
)
from xinyidai.domain.oauth.controllers import OAuthController, server_metadata
from xinyidai.domain.oauth.keys import KeyStore
from xinyidai.domain.openapi_bank.app import create_bank_api, mount
from xinyidai.domain.openapi_bank.portal_controllers import ApiUsageController
from xinyidai.domain.products.controllers import BankProductController, CatalogueController
from xinyidai.domain.profiles.controllers import ProfileController
from xinyidai.domain.scoring.controllers import ScoreController
from xinyidai.domain.scoring.office_controllers import OfficeScoringController
from xinyidai.domain.verification.controllers import (
    ClaimController,
    OfficeVerificationController,
)
from xinyidai.domain.verification.identity import IdentityClient
from xinyidai.domain.webhooks.controllers import WebhookController
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.db import (
    RequestSessions,
    create_probe_engine,
    drop_closed,
    provide_transaction,
    sqlalchemy_config,
)
from xinyidai.infra.destinations import DestinationPolicy
from xinyidai.infra.http import (
    CheckedRequest,
    Metrics,
    RequestContext,
    SwaggerPage,
    problem_handler,
)
from xinyidai.infra.logging import configure_logging
from xinyidai.infra.metrics_share import MetricsShare
from xinyidai.infra.portal import Portal
from xinyidai.infra.queue import InProcessWorker, create_queue, create_worker
from xinyidai.infra.redis import create_redis
from xinyidai.infra.signing import Signer
from xinyidai.settings import Env, Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar.handlers import HTTPRouteHandler
    from litestar.types import Method
    from litestar.types.internal_types import PathParameterDefinition

__version__ = "0.1.0"
log = structlog.get_logger(__name__)


def operation_id(
    handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]
) -> str:
    """``<controller><Handler>`` in camelCase (``claimShow``, ``officeScoringReviews``): the
    names the portals' generated API client gives its functions."""
    qualname = getattr(handler.fn, "__qualname__", handler.handler_name)
    owner = qualname.rpartition(".")[0] if "." in qualname else ""
    prefix = owner.removesuffix("Controller") if owner.endswith("Controller") else ""
    name = "".join(part.title() for part in handler.handler_name.split("_"))
    if len(handler.http_methods) > 1:
        name = method.title() + name
    joined = prefix + name
    return joined[:1].lower() + joined[1:]


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="信易贷 Xinyidai API",
        version=__version__,
        description="Credit-first SME financing: registry, accounts, authorized credit data, "
        "scoring, matching and the bank API.",
        path="/schema",
        render_plugins=[
            SwaggerPage(
                path="/",
                js_url="/schema-assets/swagger-ui-bundle.js",
                css_url="/schema-assets/swagger-ui.css",
                standalone_preset_js_url="/schema-assets/swagger-ui-standalone-preset.js",
            )
        ],
        components=Components(
            security_schemes={
                "session": SecurityScheme(
                    type="apiKey",
                    name=SESSION_COOKIE,
                    security_scheme_in="cookie",
                    description="Session cookie set by /api/v1/auth/login",
                ),
            }
        ),
        create_examples=False,
        operation_id_creator=operation_id,
    )


def create_app(settings: Settings) -> Litestar:
    """Build the platform's ASGI app. ``settings`` must name the database and Redis."""
    if not settings.database_url or not settings.redis_url:
        raise ValueError(
            "create_app needs settings with database_url and redis_url; "
            "`xinyidai run` starts embedded engines when they are unset"
        )
    import swagger_ui_bundle

    configure_logging(settings.log_level, json=settings.json_logs)
    redis = create_redis(settings.redis_url)
    metrics = Metrics()
    metrics.share = MetricsShare(metrics, redis)  # one scrape counts every worker of the host
    queue = create_queue(settings.redis_url)
    alchemy = sqlalchemy_config(settings, settings.database_url)
    db_sessions = RequestSessions(drop_closed(alchemy.get_engine()), enqueue=queue.enqueue)
    identity = IdentityClient.from_settings(settings)  # no network until first used
    db_probe = create_probe_engine(settings, settings.database_url)
    portal = Portal(settings.portal_dir)
    cipher = FieldCipher(settings.data_key_bytes)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        log.info("startup", env=settings.env.value)
        await queue.connect()
        worker = None
        if settings.run_worker_in_process:
            worker = InProcessWorker(create_worker(settings, queue))
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            await queue.disconnect()
            if identity is not None:
                await identity.aclose()
            await redis.aclose()
            await db_probe.dispose()
            log.info("shutdown")

    state = State(
        {
            "settings": settings,
            "redis": redis,
            "metrics": metrics,
            "alchemy": alchemy,
            "db_sessions": db_sessions,  # where requests take their sessions
            "db_probe": db_probe,
            "queue": queue,
            "sessions": SessionStore(redis, settings.session_max_age),
            "cipher": cipher,
            "oauth_keys": KeyStore(db_sessions.write, cipher),  # access-token keys
            "identity": identity,
            "signer": Signer.from_settings(settings),  # receipts; published at jwks
            # bank webhook URLs, and the URLs of banks' intakes (issue 16)
            "webhook_policy": DestinationPolicy.from_settings(settings),
        }
    )
    bank_api = create_bank_api(state, __version__)

    app = Litestar(
        route_handlers=[
            *portal.route_handlers(),
            HealthController,
            jwks,
            OAuthController,
            ConsentRequestController,
            BankClientController,
            mount(bank_api),
            server_metadata,
            AuthController,
            EnterpriseController,
            BankController,
            WebhookController,
            BankIntakeController,
            OfficeDeliveryController,
            OfficePoolController,
            BankPoolController,
            OfficeStatsController,
            ApiUsageController,
            BankProductController,
            CatalogueController,
            MatchController,
            NotificationController,
            NeedController,
            NeedsPoolController,
            BankClaimController,
            ApplicationController,
            BankApplicationController,
            LoanWarningController,
            AuthorizationController,
            BankConsentController,
            HeldConsentController,
            CreditDataController,
            ProfileController,
            ScoreController,
            OfficeController,
            OfficeExportController,
            OfficeScoringController,
            ClaimController,
            OfficeVerificationController,
            OfficeServiceLevelController,
            OfficeAlertController,
            BankServiceLevelController,
            create_static_files_router(
                path="/schema-assets",
                directories=[swagger_ui_bundle.swagger_ui_path],
                include_in_schema=False,
                send_as_attachment=False,
            ),
        ],
        plugins=[SQLAlchemyPlugin(config=alchemy)],
        dependencies={
            "db": Provide(provide_transaction),
            "principal": Provide(provide_principal),
        },
        exception_handlers={NotFoundException: portal.not_found, Exception: problem_handler},
        # Sessions are checked before bodies are read; bodies are checked as they are read.
        before_request=authenticate_early,
        request_class=CheckedRequest,
        lifespan=[lifespan],
        openapi_config=_openapi(),
        state=state,
        debug=False,
        request_max_body_size=2 * 1024 * 1024,
    )
    # Requests take their sessions from provide_transaction, never from the plugin's hook.
    app.before_send = [hook for hook in app.before_send if hook is not alchemy.before_send_handler]
    # Outermost layer, so that even responses for unknown routes carry a request id.
    app.asgi_handler = RequestContext(app.asgi_handler, metrics)
    return app


def openapi_document() -> str:
    """The OpenAPI document as stable, indented JSON. Building the app opens no connection,
    so placeholder URLs serve."""
    import json

    settings = Settings(
        env=Env.TEST,
        database_url="postgresql+asyncpg://schema@127.0.0.1/schema",
        redis_url="redis://127.0.0.1:6379/0",
    )
    schema = create_app(settings).openapi_schema.to_schema()
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True)


def create_app_from_env() -> Litestar:
    """Factory for ASGI servers (``uvicorn --factory xinyidai.app:create_app_from_env``)."""
    return create_app(Settings.from_env())
