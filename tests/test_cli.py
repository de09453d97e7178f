"""The ``xinyidai`` command: users, banks, the demo seed and the configuration table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from joserfc.jwk import ECKey
from sqlalchemy import select

from xinyidai.cli import main
from xinyidai.models import Bank, Role, User
from xinyidai.settings import settings_table


@pytest.fixture
def cli_env(monkeypatch, settings) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("ENV", "test")
    return CliRunner()


def test_config_docs_prints_the_settings_table() -> None:
    result = CliRunner().invoke(main, ["config", "docs"])
    assert result.exit_code == 0
    assert result.output.strip() == settings_table().strip()


async def test_banks_and_bank_users_are_created_from_the_command_line(cli_env, db) -> None:
    import anyio.to_thread

    bank = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(
            main, ["banks", "create", "--name", "测试银行", "--code", "TEST_BANK"]
        )
    )
    assert bank.exit_code == 0, bank.output
    user = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(
            main,
            [
                "users",
                "create",
                "--role",
                "bank",
                "--org",
                "TEST_BANK",
                "--email",
                "ops@test-bank.cn",
                "--password",
                "Bank-Pass-2026",
            ],
        )
    )
    assert user.exit_code == 0, user.output
    stored = await db.scalar(select(User).where(User.email == "ops@test-bank.cn"))
    assert stored is not None and stored.role == Role.BANK
    assert stored.bank_id == await db.scalar(select(Bank.id).where(Bank.short_code == "TEST_BANK"))
    unknown = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(
            main,
            [
                "users",
                "create",
                "--role",
                "bank",
                "--org",
                "NO_SUCH",
                "--email",
                "x@test-bank.cn",
                "--password",
                "Bank-Pass-2026",
            ],
        )
    )
    assert unknown.exit_code != 0
    assert "no bank with short code" in unknown.output


def test_the_demo_seed_is_refused_in_production(monkeypatch) -> None:
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATA_KEY", "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=")
    monkeypatch.setenv("SIGNING_KEY", ECKey.generate_key("P-256").as_pem(private=True).decode())
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("IDENTITY_URL", "https://elicence.example.gov.cn")
    monkeypatch.setenv("IDENTITY_CLIENT_SECRET", "i" * 40)
    result = CliRunner().invoke(main, ["demo", "seed"])
    assert result.exit_code != 0
    assert "refused" in result.output
