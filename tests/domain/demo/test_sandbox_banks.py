"""Wiring a demo bank to its sandbox bank, as ``xinyidai run`` does on every start: one
``private_key_jwt`` client per bank (the same one again, given the current key), the intake
pointed at the sandbox with the new secret; a bank whose intake is a real bank's is left
alone. And ``SANDBOX_BANK_PORTS``."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from xinyidai.cli.sandbox_banks import DEMO_FUTURE_DAYS, bank_key, demo_settings
from xinyidai.domain.applications.intakes import credentials, intake_of, secret_binding
from xinyidai.domain.demo.sandbox_banks import is_sandbox_intake, wire_sandbox_bank
from xinyidai.infra.destinations import DestinationPolicy
from xinyidai.models import BankIntake, OAuthClient
from xinyidai.settings import Env, Settings, SettingsError

POLICY = DestinationPolicy(allow_http=True, allow_private=True)


def _jwks() -> dict[str, Any]:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return {"keys": [key.as_dict(private=False)]}


async def _wire(world: World, db: AsyncSession, jwks: dict[str, Any], secret: str) -> Any:
    wired = await wire_sandbox_bank(
        db,
        world.cipher,
        POLICY,
        "ICBC_GZ",
        public_jwks=jwks,
        bank_url="http://127.0.0.1:8102",
        intake_client_id="xinyidai-platform",
        intake_secret=secret,
    )
    await db.commit()
    return wired


async def test_each_start_wires_the_same_client_with_the_current_key_and_a_new_secret(
    world: World, db: AsyncSession
) -> None:
    bank = await world.bank("ICBC_GZ")
    first = await _wire(world, db, _jwks(), "first-secret-123")
    assert first.external is None and first.bank_id == bank.id
    newer = _jwks()
    second = await _wire(world, db, newer, "second-secret-456")
    assert second.client_id == first.client_id  # the same client, not a new one each start
    clients = (await db.scalars(select(OAuthClient).where(OAuthClient.bank_id == bank.id))).all()
    assert len(clients) == 1
    assert clients[0].auth_method == "private_key_jwt"
    assert [k["x"] for k in clients[0].jwks["keys"]] == [newer["keys"][0]["x"]]
    intake = await intake_of(db, bank.id)
    assert intake is not None
    assert intake.intake_url == "http://127.0.0.1:8102/intake/applications"
    assert intake.token_url == "http://127.0.0.1:8102/oauth/token"
    assert credentials(intake, world.cipher).client_secret == "second-secret-456"
    assert await _wire_missing(world, db) is None


async def _wire_missing(world: World, db: AsyncSession) -> Any:
    return await wire_sandbox_bank(
        db,
        world.cipher,
        POLICY,
        "NO_SUCH_BANK",
        public_jwks=_jwks(),
        bank_url="http://127.0.0.1:8102",
        intake_client_id="x",
        intake_secret="secret-789",
    )


async def test_a_bank_with_a_real_intake_is_left_alone(world: World, db: AsyncSession) -> None:
    bank = await world.bank("ICBC_GZ")

    db.add(
        BankIntake(
            bank_id=bank.id,
            intake_url="https://api.icbc.example.com/intake",
            token_url="https://api.icbc.example.com/token",
            client_id="platform",
            client_secret=world.cipher.encrypt("theirs-1234", secret_binding(bank.id)),
        )
    )
    await db.commit()
    wired = await _wire(world, db, _jwks(), "ours-12345678")
    assert wired.external == "https://api.icbc.example.com/intake"
    intake = await intake_of(db, bank.id)
    assert intake is not None and intake.intake_url == "https://api.icbc.example.com/intake"
    assert not await db.scalar(select(func.count()).select_from(OAuthClient))


def test_sandbox_intake_urls_are_loopback_http_only() -> None:
    assert is_sandbox_intake("http://127.0.0.1:8102/intake/applications")
    assert is_sandbox_intake("http://localhost:9000/intake/applications")
    assert not is_sandbox_intake("https://127.0.0.1:8102/intake/applications")
    assert not is_sandbox_intake("http://bank.example.com/intake/applications")
    assert not is_sandbox_intake("http://127.0.0.1:8102/other")


def test_the_key_is_made_once_and_kept_private(tmp_path: Any) -> None:
    path, public = bank_key(tmp_path, "ICBC_GZ")
    again, same = bank_key(tmp_path, "ICBC_GZ")
    assert again == path and same == public
    assert path.stat().st_mode & 0o077 == 0
    assert "d" not in public["keys"][0]


def test_sandbox_bank_ports_and_what_the_run_changes_for_them() -> None:
    assert Settings().sandbox_bank_port_list == (8102, 8103)
    assert Settings(sandbox_bank_ports="off").sandbox_bank_port_list == ()
    assert Settings(sandbox_bank_ports="-,8103").sandbox_bank_port_list == (None, 8103)
    assert Settings(sandbox_bank_ports="-,-").sandbox_bank_port_list == ()
    for bad in ("8102,x", "8102,8102", "70000"):
        with pytest.raises(SettingsError):
            Settings.from_env({"SANDBOX_BANK_PORTS": bad})
    changed = demo_settings(Settings())
    assert changed.webhook_allow_private and changed.webhooks_over_http
    assert changed.loan_event_future_days == DEMO_FUTURE_DAYS
    assert demo_settings(Settings(sandbox_bank_ports="off")).loan_event_future_days == 0
    production = Settings(env=Env.PRODUCTION)  # never: no sandbox banks there
    assert demo_settings(production) == production
