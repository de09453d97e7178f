"""The ``xinyidai`` command: users, banks, the demo seed, the configuration table, the ML
plugins, and the layout rules of the CLI package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from xinyidai.cli import main
from xinyidai.models import Bank, Role, User
from xinyidai.settings import Settings, settings_table


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ENV", "test")
    return CliRunner()


def test_config_docs_prints_the_settings_table() -> None:
    result = CliRunner().invoke(main, ["config", "docs"])
    assert result.exit_code == 0
    assert result.output.strip() == settings_table().strip()


async def test_banks_and_bank_users_are_created_from_the_command_line(
    cli_env: CliRunner, db: AsyncSession
) -> None:
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


def test_the_demo_seed_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
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


async def test_run_serves_without_a_model_when_no_trainer_is_installed(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    db: AsyncSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import anyio.to_thread

    from xinyidai.cli import plugins
    from xinyidai.cli.run import ensure_model
    from xinyidai.domain.scoring import registry

    monkeypatch.setattr(plugins, "entry_points", lambda **_: [])  # the production image
    await anyio.to_thread.run_sync(ensure_model, settings)
    assert "no demo-model trainer is installed" in capsys.readouterr().err
    assert await registry.active_bundle(db) is None


def test_run_trains_its_demo_model_with_the_ml_projects_quick_trainer() -> None:
    from xinyidai.cli.plugins import demo_model_trainer
    from xinyidai_ml.train import train_quick_bundle

    assert demo_model_trainer() is train_quick_bundle


def test_the_ml_project_lends_the_model_commands() -> None:
    result = CliRunner().invoke(main, ["model", "--help"])
    assert result.exit_code == 0
    for name in ("register", "activate", "list", "train", "evaluate"):
        assert f"  {name} " in result.output


SRC = Path(__file__).resolve().parents[1] / "src" / "xinyidai"


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, at module level or inside functions."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offending(root: Path, prefix: str) -> list[str]:
    return [
        f"{path.relative_to(SRC)}: {name}"
        for path in sorted(root.rglob("*.py"))
        for name in imported_modules(path)
        if name == prefix or name.startswith(f"{prefix}.")
    ]


def test_the_domain_never_imports_the_command_line() -> None:
    assert offending(SRC / "domain", "xinyidai.cli") == []


def test_the_command_line_reaches_the_ml_code_only_through_plugins() -> None:
    assert offending(SRC / "cli", "xinyidai_ml") == []


def test_the_platform_never_imports_the_ml_project() -> None:
    """``ml/`` (``xinyidai_ml``) depends on ``xinyidai``, never the reverse: the production image
    ships without it."""
    assert offending(SRC, "xinyidai_ml") == []


async def test_a_user_is_deactivated_and_reactivated_from_the_command_line(
    cli_env: CliRunner, world: World, db: AsyncSession
) -> None:
    import anyio.to_thread

    user = await world.user("leaving@example.com", Role.OFFICE)
    off = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["users", "deactivate", "Leaving@Example.com"])
    )
    assert off.exit_code == 0, off.output
    await db.refresh(user)
    assert user.is_active is False
    on = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["users", "activate", "leaving@example.com"])
    )
    assert on.exit_code == 0, on.output
    await db.refresh(user)
    assert user.is_active is True
    unknown = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["users", "deactivate", "nobody@example.com"])
    )
    assert unknown.exit_code != 0 and "no user with this e-mail" in unknown.output
