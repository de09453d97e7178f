"""All configuration, read from the environment in one place.

Every setting is declared once in ``FIELDS`` with its environment variable, default and meaning;
the README's configuration table is generated from it (``xinyidai config docs``) and a test keeps
the two in step. No other module reads ``os.environ``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any


class Env(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class PasswordHashCost(StrEnum):
    """How much work one Argon2id password hash costs (domain/accounts/passwords.py)."""

    STANDARD = "standard"  # RFC 9106's low-memory profile: 3 passes over 64 MiB, 4 lanes
    MINIMAL = "minimal"  # one pass over 8 KiB: for test suites only, refused in production


MAX_SESSION_AGE = 31 * 24 * 3600
"""The longest ``SESSION_MAX_AGE`` accepted: principal versions must outlive any session
(``accounts/sessions.py``, ``VERSION_TTL``)."""


class SettingsError(ValueError):
    """Raised when the environment holds an invalid or missing setting."""


_DEV_SECRET = "xinyidai-development-secret-do-not-use-in-production"  # noqa: S105


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"not a boolean: {raw!r}")


def _decimal(raw: str) -> Decimal:
    try:
        return Decimal(raw.strip())
    except ArithmeticError:
        raise SettingsError(f"not a number: {raw!r}") from None


def _opt_str(raw: str) -> str | None:
    return raw or None


def _meta(env: str, doc: str, parse: Callable[[str], Any] = str) -> dict[str, Any]:
    return {"env": env, "doc": doc, "parse": parse}


@dataclass(frozen=True, slots=True)
class Settings:
    env: Env = field(
        default=Env.DEVELOPMENT,
        metadata=_meta(
            "ENV",
            "`development`, `test` or `production`; production refuses development secrets "
            "and the demo seed",
            Env,
        ),
    )
    host: str = field(default="127.0.0.1", metadata=_meta("HOST", "Address `xinyidai run` binds"))
    port: int = field(default=8000, metadata=_meta("PORT", "Port `xinyidai run` binds", int))
    database_url: str | None = field(
        default=None,
        metadata=_meta(
            "DATABASE_URL",
            "PostgreSQL URL (`postgresql://…`); unset: embedded PostgreSQL under `DATA_DIR`",
            _opt_str,
        ),
    )
    redis_url: str | None = field(
        default=None,
        metadata=_meta(
            "REDIS_URL",
            "Redis URL (`redis://…` or `unix://…`); unset: embedded Redis under `DATA_DIR`",
            _opt_str,
        ),
    )
    data_dir: Path = field(
        default=Path(".data"),
        metadata=_meta("DATA_DIR", "Where embedded PostgreSQL and Redis keep their files", Path),
    )
    portal_dir: Path = field(
        default=Path(__file__).resolve().parents[2] / "frontend" / "dist",
        metadata=_meta(
            "PORTAL_DIR",
            "The built web portals (`npm run build` in `frontend/`), served at `/`",
            Path,
        ),
    )
    secret_key: str = field(
        default=_DEV_SECRET,
        metadata=_meta(
            "SECRET_KEY", "Signs CSRF tokens and device cookies; required outside development"
        ),
    )
    data_key: str | None = field(
        default=None,
        metadata=_meta(
            "DATA_KEY",
            "Base64 32-byte AES-256-GCM key for personal data at rest; required outside "
            "development (development derives one from `SECRET_KEY`)",
            _opt_str,
        ),
    )
    signing_key: str | None = field(
        default=None,
        metadata=_meta(
            "SIGNING_KEY",
            "The platform's EC P-256 private key (a JWK as JSON, or PEM) that signs "
            "authorization receipts (ES256, published at `/.well-known/jwks.json`); required "
            "outside development (development derives one from `SECRET_KEY`)",
            _opt_str,
        ),
    )
    signing_keys_retired: str | None = field(
        default=None,
        metadata=_meta(
            "SIGNING_KEYS_RETIRED",
            "Public JWKs (a JWKS document or a JSON list) of earlier signing keys, still "
            "published so receipts signed before a rotation verify",
            _opt_str,
        ),
    )
    public_url: str | None = field(
        default=None,
        metadata=_meta(
            "PUBLIC_URL",
            "The platform's public base URL, the `iss` of what it signs; unset: `http://HOST:PORT`",
            _opt_str,
        ),
    )
    session_max_age: int = field(
        default=8 * 3600,
        metadata=_meta("SESSION_MAX_AGE", "Seconds a login session lives without activity", int),
    )
    session_recheck_seconds: int = field(
        default=60,
        metadata=_meta(
            "SESSION_RECHECK_SECONDS",
            "Seconds a session trusts the user's role, organisation and active flag it holds "
            "before reading them again from the database. Changes made through the platform "
            "take effect at once (a per-user version in Redis); this bounds how long a change "
            "made behind its back (a hand-edited row) goes unseen",
            int,
        ),
    )
    cookie_secure: bool | None = field(
        default=None,
        metadata=_meta(
            "COOKIE_SECURE", "Send cookies only over HTTPS; unset: on outside development", _bool
        ),
    )
    login_max_failures: int = field(
        default=5,
        metadata=_meta(
            "LOGIN_MAX_FAILURES",
            "Failed logins for one account from one address, without a device cookie, before "
            "that address is locked out of the account for `LOGIN_LOCKOUT_SECONDS`",
            int,
        ),
    )
    login_untrusted_max_failures: int = field(
        default=100,
        metadata=_meta(
            "LOGIN_UNTRUSTED_MAX_FAILURES",
            "Failed logins for one account from all clients without a device cookie before "
            "such clients are locked out of it for `LOGIN_LOCKOUT_SECONDS` (browsers with a "
            "device cookie still log in)",
            int,
        ),
    )
    login_device_max_failures: int = field(
        default=10,
        metadata=_meta(
            "LOGIN_DEVICE_MAX_FAILURES",
            "Failed logins with one device cookie before it is no longer trusted for "
            "`LOGIN_LOCKOUT_SECONDS`",
            int,
        ),
    )
    login_lockout_seconds: int = field(
        default=900,
        metadata=_meta(
            "LOGIN_LOCKOUT_SECONDS",
            "Window in which failed logins are counted, and how long a lockout lasts",
            int,
        ),
    )
    login_device_max_age: int = field(
        default=365 * 86400,
        metadata=_meta(
            "LOGIN_DEVICE_MAX_AGE",
            "Seconds a browser keeps the device cookie issued at each successful login",
            int,
        ),
    )
    login_ip_limit: int = field(
        default=30,
        metadata=_meta(
            "LOGIN_IP_LIMIT", "Login attempts allowed from one address per `LOGIN_IP_WINDOW`", int
        ),
    )
    login_ip_window: int = field(
        default=300,
        metadata=_meta("LOGIN_IP_WINDOW", "Seconds of the per-address login window", int),
    )
    register_ip_limit: int = field(
        default=10,
        metadata=_meta(
            "REGISTER_IP_LIMIT",
            "Valid registrations allowed from one address per `REGISTER_IP_WINDOW`",
            int,
        ),
    )
    register_ip_window: int = field(
        default=3600,
        metadata=_meta("REGISTER_IP_WINDOW", "Seconds of the per-address registration window", int),
    )
    password_hash_cost: PasswordHashCost | None = field(
        default=None,
        metadata=_meta(
            "PASSWORD_HASH_COST",
            "Argon2id cost of new password hashes: `standard` (RFC 9106 low-memory profile) or "
            "`minimal` (refused in production); unset: `minimal` when `ENV=test`, `standard` "
            "otherwise. Stored hashes carry their own cost and verify whatever this says; a "
            "login rehashes one whose cost differs",
            PasswordHashCost,
        ),
    )
    log_level: str = field(default="INFO", metadata=_meta("LOG_LEVEL", "Log level"))
    log_json: bool | None = field(
        default=None,
        metadata=_meta("LOG_JSON", "JSON log lines; unset: on outside development", _bool),
    )
    db_pool_size: int = field(
        default=10,
        metadata=_meta(
            "DB_POOL_SIZE",
            "Database connections per process for steady load; the pool keeps as many again "
            "for bursts (2 x DB_POOL_SIZE in all)",
            int,
        ),
    )
    db_connect_timeout: float = field(
        default=5.0,
        metadata=_meta(
            "DB_CONNECT_TIMEOUT", "Seconds to open a database connection before giving up", float
        ),
    )
    db_pool_timeout: float = field(
        default=5.0,
        metadata=_meta(
            "DB_POOL_TIMEOUT",
            "Seconds a request waits for a free pooled connection (then 503)",
            float,
        ),
    )
    db_command_timeout: float = field(
        default=30.0,
        metadata=_meta(
            "DB_COMMAND_TIMEOUT",
            "Seconds one database statement may take before it is cancelled (a hung server "
            "then answers 503 instead of holding the request)",
            float,
        ),
    )
    provider_url: str | None = field(
        default=None,
        metadata=_meta(
            "PROVIDER_URL",
            "Base URL of the tax/utility/social-insurance data provider; unset: `xinyidai run` "
            "starts the sandbox provider on `SANDBOX_PORT`",
            _opt_str,
        ),
    )
    provider_client_id: str = field(
        default="xinyidai-platform",
        metadata=_meta("PROVIDER_CLIENT_ID", "OAuth client id the platform uses at the provider"),
    )
    provider_client_secret: str = field(
        default="sandbox-client-secret",
        metadata=_meta(
            "PROVIDER_CLIENT_SECRET", "OAuth client secret the platform uses at the provider"
        ),
    )
    provider_timeout: float = field(
        default=10.0,
        metadata=_meta("PROVIDER_TIMEOUT", "Seconds before a provider call times out", float),
    )
    provider_retries: int = field(
        default=3,
        metadata=_meta("PROVIDER_RETRIES", "Retries (with backoff) after a timeout or 5xx", int),
    )
    provider_audience: str | None = field(
        default=None,
        metadata=_meta(
            "PROVIDER_AUDIENCE",
            "The provider's identifier, the `aud` of the receipts the platform sends it; "
            "unset: `PROVIDER_URL`",
            _opt_str,
        ),
    )
    provider_concurrency: int = field(
        default=8,
        metadata=_meta(
            "PROVIDER_CONCURRENCY",
            "Calls one process has in flight at the data provider at most (an SME's families "
            "are fetched at once, under this bound)",
            int,
        ),
    )
    sync_concurrency: int = field(
        default=16,
        metadata=_meta(
            "SYNC_CONCURRENCY",
            "SMEs one process syncs at once at most when it syncs many (e.g. the demo city)",
            int,
        ),
    )
    sandbox_port: int = field(
        default=8100,
        metadata=_meta("SANDBOX_PORT", "Port of the sandbox provider `xinyidai run` starts", int),
    )
    simulation_seed: int = field(
        default=2026,
        metadata=_meta("SIMULATION_SEED", "Seed of the simulated city the sandbox serves", int),
    )
    identity_url: str | None = field(
        default=None,
        metadata=_meta(
            "IDENTITY_URL",
            "Issuer URL of the enterprise identity service (electronic business licence); "
            "unset: `xinyidai run` starts the sandbox identity service on "
            "`IDENTITY_SANDBOX_PORT`",
            _opt_str,
        ),
    )
    identity_client_id: str = field(
        default="xinyidai-platform",
        metadata=_meta(
            "IDENTITY_CLIENT_ID", "OAuth client id the platform uses at the identity service"
        ),
    )
    identity_client_secret: str = field(
        default="sandbox-identity-secret",
        metadata=_meta(
            "IDENTITY_CLIENT_SECRET",
            "OAuth client secret the platform uses at the identity service; required outside "
            "development",
        ),
    )
    identity_sandbox_port: int = field(
        default=8101,
        metadata=_meta(
            "IDENTITY_SANDBOX_PORT",
            "Port of the sandbox identity service `xinyidai run` starts",
            int,
        ),
    )
    worker_in_process: bool | None = field(
        default=None,
        metadata=_meta(
            "WORKER_IN_PROCESS",
            "Run the job worker inside the web process; unset: on outside production "
            "(production runs `xinyidai worker`)",
            _bool,
        ),
    )
    trusted_proxies: bool = field(
        default=False,
        metadata=_meta(
            "TRUSTED_PROXIES",
            "Take the client address from `X-Forwarded-For` (behind a proxy)",
            _bool,
        ),
    )
    oauth_token_seconds: int = field(
        default=600,
        metadata=_meta(
            "OAUTH_TOKEN_SECONDS",
            "Lifetime of the access tokens banks get (60 to 600 seconds, FAPI 2.0)",
            int,
        ),
    )
    bank_api_rate_limit: int = field(
        default=600,
        metadata=_meta(
            "BANK_API_RATE_LIMIT",
            "Requests one bank client may make to `/openapi/v1` per minute (across all processes)",
            int,
        ),
    )
    oauth_allow_secrets: bool = field(
        default=False,
        metadata=_meta(
            "OAUTH_ALLOW_SECRETS",
            "Let bank clients authenticate with `client_secret_basic` (development only; "
            "`private_key_jwt` is the only method in production)",
            _bool,
        ),
    )
    metrics_token: str | None = field(
        default=None,
        metadata=_meta(
            "METRICS_TOKEN",
            "Bearer token `/metrics` requires; unset: only loopback clients (with no forwarding "
            "headers) may scrape. Anyone else gets 404",
            _opt_str,
        ),
    )
    audit_stale_after: float = field(
        default=300.0,
        metadata=_meta(
            "AUDIT_STALE_AFTER",
            "Seconds an audit entry may wait for its link before `xinyidai audit verify` "
            "reports it (the chainer links within moments, its cron run every minute)",
            float,
        ),
    )
    webhook_allow_http: bool | None = field(
        default=None,
        metadata=_meta(
            "WEBHOOK_ALLOW_HTTP",
            "Accept `http://` bank webhook URLs (otherwise `https://` only); unset: on in "
            "development only; refused in production",
            _bool,
        ),
    )
    webhook_allow_private: bool = field(
        default=False,
        metadata=_meta(
            "WEBHOOK_ALLOW_PRIVATE",
            "Accept bank webhook URLs whose host is or resolves to a loopback, link-local "
            "(cloud metadata), private, shared or otherwise non-public address (a sandbox bank "
            "on this machine); refused in production",
            _bool,
        ),
    )
    webhook_timeout: float = field(
        default=10.0,
        metadata=_meta(
            "WEBHOOK_TIMEOUT",
            "Seconds one webhook delivery may take (connect, send, answer); at most 60",
            float,
        ),
    )
    webhook_backoff_base: float = field(
        default=30.0,
        metadata=_meta(
            "WEBHOOK_BACKOFF_BASE",
            "Seconds before the second attempt at a failed webhook; each later wait doubles "
            "(with jitter: between half and all of it) up to `WEBHOOK_BACKOFF_CAP`",
            float,
        ),
    )
    webhook_backoff_cap: float = field(
        default=3600.0,
        metadata=_meta(
            "WEBHOOK_BACKOFF_CAP", "The longest wait, in seconds, between webhook attempts", float
        ),
    )
    webhook_max_attempts: int = field(
        default=15,
        metadata=_meta(
            "WEBHOOK_MAX_ATTEMPTS",
            "Attempts at one webhook delivery before it is given up (`dead`)",
            int,
        ),
    )
    # --- the application relay (issue 16): delivering applications to the banks' intakes ------
    # (the intake URLs pass the same destination policy as webhook URLs: WEBHOOK_ALLOW_HTTP,
    # WEBHOOK_ALLOW_PRIVATE)
    relay_timeout: float = field(
        default=10.0,
        metadata=_meta(
            "RELAY_TIMEOUT",
            "Seconds each exchange of an application delivery may take (the bank's token "
            "endpoint, its intake); at most 60",
            float,
        ),
    )
    relay_backoff_base: float = field(
        default=30.0,
        metadata=_meta(
            "RELAY_BACKOFF_BASE",
            "Seconds before the second attempt at delivering an application; each later wait "
            "doubles (with jitter: between half and all of it) up to `RELAY_BACKOFF_CAP`",
            float,
        ),
    )
    relay_backoff_cap: float = field(
        default=1800.0,
        metadata=_meta(
            "RELAY_BACKOFF_CAP",
            "The longest wait, in seconds, between attempts at delivering an application",
            float,
        ),
    )
    relay_max_attempts: int = field(
        default=20,
        metadata=_meta(
            "RELAY_MAX_ATTEMPTS",
            "Attempts at delivering an application to its bank before it is given up (`dead`, "
            "listed for the credit office, which may requeue it)",
            int,
        ),
    )
    # --- applications and loans (lead) ---
    loan_event_future_days: int = field(
        default=0,
        metadata=_meta(
            "LOAN_EVENT_FUTURE_DAYS",
            "How many days after today a bank's loan event may be dated (0: none; the demo's "
            "sandbox banks run months in minutes, so `make run` allows their future dates)",
            int,
        ),
    )
    # --- the risk-compensation pool (issue 17) ---
    pool_alert_share: Decimal = field(
        default=Decimal("0.9"),
        metadata=_meta(
            "POOL_ALERT_SHARE",
            "The office is alerted when a pool year's exposure (compensation approved net of "
            "recoveries, plus claimed and undecided) reaches this share of its cap (0 to 1)",
            _decimal,
        ),
    )

    # --- the credit office's exports (issue 17) ----------------------------------------------
    export_retention_days: int = field(
        default=7,
        metadata=_meta(
            "EXPORT_RETENTION_DAYS",
            "Days an office export and its file are kept (in PostgreSQL) before the sweeper "
            "deletes them",
            int,
        ),
    )

    # --- the demo loop (issue 16): the sandbox banks `xinyidai run` starts ---------------------
    sandbox_bank_ports: str = field(
        default="8102,8103",
        metadata=_meta(
            "SANDBOX_BANK_PORTS",
            "Ports of the two sandbox banks `xinyidai run` starts outside production (the demo "
            "banks ICBC_GZ and CCB_GZ, each deciding and lending by itself through the bank API); "
            "`-` in a bank's place: none for that bank (`-,8103`: CCB_GZ only); `off`: none. A "
            "demo bank whose intake points elsewhere (a real bank) gets none",
        ),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                try:
                    values[f.name] = f.metadata["parse"](raw)
                except (ValueError, SettingsError) as exc:
                    raise SettingsError(f"{f.metadata['env']}: {exc}") from exc
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def _check_sessions(self) -> None:
        if not 60 <= self.session_max_age <= MAX_SESSION_AGE:
            raise SettingsError("SESSION_MAX_AGE must be between 60 seconds and 31 days")
        if self.session_recheck_seconds < 0:
            raise SettingsError("SESSION_RECHECK_SECONDS must not be negative")

    def _check_oauth(self) -> None:
        if self.bank_api_rate_limit < 1:
            raise SettingsError("BANK_API_RATE_LIMIT must be at least 1")
        if not 60 <= self.oauth_token_seconds <= 600:
            raise SettingsError("OAUTH_TOKEN_SECONDS must be between 60 and 600")
        if self.env is Env.PRODUCTION and self.oauth_allow_secrets:
            raise SettingsError(
                "OAUTH_ALLOW_SECRETS is for development: banks use private_key_jwt in production"
            )

    def _check_audit(self) -> None:
        if self.audit_stale_after <= 0:
            raise SettingsError("AUDIT_STALE_AFTER must be positive")

    def _check_webhooks(self) -> None:
        if self.env is Env.PRODUCTION and (self.webhook_allow_http or self.webhook_allow_private):
            raise SettingsError(
                "WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE are for development and tests: "
                "production sends webhooks over https to public addresses only"
            )
        if not 0 < self.webhook_timeout <= 60:
            raise SettingsError("WEBHOOK_TIMEOUT must be more than 0 and at most 60 seconds")
        if not 0 < self.webhook_backoff_base <= self.webhook_backoff_cap:
            raise SettingsError(
                "WEBHOOK_BACKOFF_BASE must be more than 0 and at most WEBHOOK_BACKOFF_CAP"
            )
        if not 1 <= self.webhook_max_attempts <= 50:
            raise SettingsError("WEBHOOK_MAX_ATTEMPTS must be between 1 and 50")
        if not 0 <= self.loan_event_future_days <= 36600:
            raise SettingsError("LOAN_EVENT_FUTURE_DAYS must be between 0 and 36600")
        if not (self.pool_alert_share.is_finite() and 0 < self.pool_alert_share <= 1):
            raise SettingsError("POOL_ALERT_SHARE must be more than 0 and at most 1")

    @property
    def sandbox_bank_port_list(self) -> tuple[int | None, ...]:
        """``SANDBOX_BANK_PORTS`` as ports, in the demo banks' order (``None``: that bank gets
        no sandbox); empty for ``off``."""
        raw = self.sandbox_bank_ports.strip().lower()
        if raw in {"off", "none", "0"}:
            return ()
        try:
            ports = tuple(None if part.strip() == "-" else int(part) for part in raw.split(","))
        except ValueError as exc:
            raise SettingsError(
                "SANDBOX_BANK_PORTS: ports (or `-`) separated by commas, or off"
            ) from exc
        given = [port for port in ports if port is not None]
        if not all(0 < port < 65536 for port in given) or len(set(given)) != len(given):
            raise SettingsError("SANDBOX_BANK_PORTS: distinct ports from 1 to 65535")
        return ports if given else ()

    def _check_relay(self) -> None:
        if not 0 < self.relay_timeout <= 60:
            raise SettingsError("RELAY_TIMEOUT must be more than 0 and at most 60 seconds")
        if not 0 < self.relay_backoff_base <= self.relay_backoff_cap:
            raise SettingsError(
                "RELAY_BACKOFF_BASE must be more than 0 and at most RELAY_BACKOFF_CAP"
            )
        if not 1 <= self.relay_max_attempts <= 100:
            raise SettingsError("RELAY_MAX_ATTEMPTS must be between 1 and 100")

    def _check_exports(self) -> None:
        if not 1 <= self.export_retention_days <= 366:
            raise SettingsError("EXPORT_RETENTION_DAYS must be between 1 and 366")

    def check(self) -> None:
        if self.env is not Env.DEVELOPMENT and self.env is not Env.TEST:
            if self.secret_key == _DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "SECRET_KEY must be set to at least 32 characters outside development"
                )
            if not self.data_key:
                raise SettingsError("DATA_KEY must be set outside development")
        if self.data_key:
            try:
                key = base64.b64decode(self.data_key, validate=True)
            except ValueError as exc:
                raise SettingsError("DATA_KEY is not valid base64") from exc
            if len(key) != 32:
                raise SettingsError("DATA_KEY must decode to 32 bytes")
        if self.env is not Env.DEVELOPMENT and self.env is not Env.TEST and not self.signing_key:
            raise SettingsError("SIGNING_KEY must be set outside development")
        self._check_sessions()
        self._check_oauth()
        self._check_audit()
        self._check_webhooks()
        self._check_relay()
        self._check_exports()
        self.sandbox_bank_port_list  # noqa: B018 - raises on a malformed value

        if self.provider_concurrency < 1 or self.sync_concurrency < 1:
            raise SettingsError("PROVIDER_CONCURRENCY and SYNC_CONCURRENCY must be at least 1")
        if self.env is Env.PRODUCTION and (not self.database_url or not self.redis_url):
            raise SettingsError(
                "production needs DATABASE_URL and REDIS_URL; the embedded "
                "engines are for development and tests"
            )
        if self.env is Env.PRODUCTION and self.password_hash_cost is PasswordHashCost.MINIMAL:
            raise SettingsError("PASSWORD_HASH_COST=minimal is for test suites, not production")
        if self.env is Env.PRODUCTION and (
            not self.identity_url or self.identity_client_secret == "sandbox-identity-secret"  # noqa: S105
        ):
            raise SettingsError(
                "production needs IDENTITY_URL and IDENTITY_CLIENT_SECRET: enterprises verify "
                "through the real identity service, never the sandbox"
            )

    @property
    def is_development(self) -> bool:
        return self.env is Env.DEVELOPMENT

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env is not Env.DEVELOPMENT

    @property
    def run_worker_in_process(self) -> bool:
        if self.worker_in_process is not None:
            return self.worker_in_process
        return self.env is not Env.PRODUCTION

    @property
    def webhooks_over_http(self) -> bool:
        """Whether bank webhook URLs may be ``http://`` (``WEBHOOK_ALLOW_HTTP`` resolved)."""
        if self.webhook_allow_http is not None:
            return self.webhook_allow_http
        return self.env is Env.DEVELOPMENT

    @property
    def hash_cost(self) -> PasswordHashCost:
        """The Argon2id cost of new password hashes (``PASSWORD_HASH_COST`` resolved)."""
        if self.password_hash_cost is not None:
            return self.password_hash_cost
        return PasswordHashCost.MINIMAL if self.env is Env.TEST else PasswordHashCost.STANDARD

    @property
    def json_logs(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.env is Env.PRODUCTION

    @property
    def issuer(self) -> str:
        """The platform's identifier in what it signs (``PUBLIC_URL``)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def identity_redirect_uri(self) -> str:
        """Where the identity service sends the legal representative back to: the SME portal's
        page, which completes the verification with ``GET /api/v1/verification/callback``."""
        return self.issuer + "/sme/claim/callback"

    @property
    def data_key_bytes(self) -> bytes:
        if self.data_key:
            return base64.b64decode(self.data_key)
        return hashlib.sha256(b"xinyidai-data-key:" + self.secret_key.encode()).digest()


def settings_table() -> str:
    """The README's configuration table, generated from the declarations above."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = f.default
        if f.name == "secret_key":
            shown = "development-only value"
        elif f.name == "portal_dir":
            shown = "`frontend/dist` of the source tree"
        elif default is None:
            shown = "unset"
        elif isinstance(default, StrEnum):
            shown = f"`{default.value}`"
        else:
            shown = f"`{default}`"
        lines.append(f"| `{f.metadata['env']}` | {shown} | {f.metadata['doc']} |")
    return "\n".join(lines)
