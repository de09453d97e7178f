"""The sandbox banks ``xinyidai run`` starts outside production: one process per demo bank in
``SANDBOX_BANK_PORTS`` (the demo banks with logins), each wired to the platform
(``domain/demo/sandbox_banks.py``) so that the demo loop runs by itself: an SME applies, the
relay delivers to the bank's intake, the bank pulls the profile, reviews, decides and lends over
``/openapi/v1`` on a demo clock of :data:`MONTHS_PER_MINUTE`.

Each bank's private key lives under ``DATA_DIR/sandbox-banks/`` so that a restart signs with the
same key (and the platform's client for it stays the same). The platform's settings change with
them: intake URLs on loopback over http are allowed (``WEBHOOK_ALLOW_PRIVATE``,
``WEBHOOK_ALLOW_HTTP``), and loan events may be dated :data:`DEMO_FUTURE_DAYS` ahead
(``LOAN_EVENT_FUTURE_DAYS``: the demo clock runs months in minutes)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xinyidai.cli.common import console, in_session
from xinyidai.settings import Env, Settings

MONTHS_PER_MINUTE = 2.0
DEMO_FUTURE_DAYS = 3660
"""Ten years: each loan runs on a demo calendar of its own from its approval, so its events are
dated at most its term (and a month) ahead; the demo products lend for five years at most."""
INTAKE_CLIENT_ID = "xinyidai-platform"


def demo_settings(settings: Settings) -> Settings:
    """The platform's settings while sandbox banks run beside it (unchanged when none will)."""
    if settings.env is Env.PRODUCTION or not settings.sandbox_bank_port_list:
        return settings
    return dataclasses.replace(
        settings,
        webhook_allow_http=True,
        webhook_allow_private=True,
        loan_event_future_days=max(settings.loan_event_future_days, DEMO_FUTURE_DAYS),
    )


def bank_key(data_dir: Path, code: str) -> tuple[Path, dict[str, Any]]:
    """The sandbox bank ``code``'s private key file (made on first use) and its public JWK Set."""
    from xinyidai.sandbox.bank.platform import load_key

    path = data_dir / "sandbox-banks" / f"{code.lower()}.jwk.json"
    if not path.exists():
        from joserfc.jwk import ECKey

        key = ECKey.generate_key("P-256", private=True)
        key.ensure_kid()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(key.as_dict(private=True), file)
    loaded = load_key(path)
    return path, {"keys": [loaded.as_dict(private=False)]}


@contextlib.contextmanager
def sandbox_banks(settings: Settings, platform_url: str) -> Iterator[list[str]]:
    """Wire and start the sandbox banks (none in production, with ``SANDBOX_BANK_PORTS=off``,
    or for a demo bank that delivers to an intake of its own); yield their URLs; stop them on
    exit. ``settings`` are :func:`demo_settings`'s; ``platform_url`` is where the banks reach
    the platform."""
    ports = settings.sandbox_bank_port_list
    if settings.env is Env.PRODUCTION or not ports:
        yield []
        return
    from xinyidai.domain.demo.sandbox_banks import SANDBOX_BANK_CODES, Wired, wire_sandbox_bank
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.destinations import DestinationPolicy
    from xinyidai.sandbox.process import sandbox_bank

    planned = []
    for code, port in zip(SANDBOX_BANK_CODES, ports, strict=False):
        if port is None:
            continue
        key_file, public = bank_key(Path(settings.data_dir), code)
        planned.append((code, port, key_file, public, secrets.token_urlsafe(24)))

    async def wire(session: Any, _: Any) -> list[Wired | None]:
        cipher = FieldCipher(settings.data_key_bytes)
        policy = DestinationPolicy.from_settings(settings)
        return [
            await wire_sandbox_bank(
                session,
                cipher,
                policy,
                code,
                public_jwks=public,
                bank_url=f"http://127.0.0.1:{port}",
                intake_client_id=INTAKE_CLIENT_ID,
                intake_secret=secret,
            )
            for code, port, _, public, secret in planned
        ]

    wired = in_session(settings, wire)
    urls = []
    with contextlib.ExitStack() as stack:
        for (code, port, key_file, _, secret), done in zip(planned, wired, strict=True):
            if done is None:
                continue
            if done.external is not None:
                console.print(f"{code} delivers to its own intake ({done.external}): no sandbox")
                continue
            url = stack.enter_context(
                sandbox_bank(
                    port,
                    bank_id=str(done.bank_id),
                    platform_url=platform_url,
                    issuer=settings.issuer,
                    client_id=done.client_id,
                    key_file=str(key_file),
                    intake_client_id=INTAKE_CLIENT_ID,
                    intake_client_secret=secret,
                    months_per_minute=MONTHS_PER_MINUTE,
                )
            )
            console.print(
                f"[bold]sandbox bank[/] {code} {url} (decides and lends by itself; "
                f"{MONTHS_PER_MINUTE:g} demo months a minute)"
            )
            urls.append(url)
        yield urls
