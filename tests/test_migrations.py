"""Every revision applies from empty and reverts, and the models match the migrations."""

from __future__ import annotations

import anyio.to_thread
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from tests.engines import SuiteEngines, with_database
from xinyidai.infra import migrate
from xinyidai.infra.db import async_url
from xinyidai.models import metadata

pytestmark = pytest.mark.slow  # every revision, up and down


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def test_every_revision_upgrades_from_empty_and_downgrades_back(
    engines: SuiteEngines,
) -> None:
    conn = await engines.admin()
    await conn.execute('DROP DATABASE IF EXISTS "xyd_migrations" WITH (FORCE)')
    await conn.execute('CREATE DATABASE "xyd_migrations"')
    await conn.close()
    url = with_database(engines.database_url, "xyd_migrations")
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions, "no migrations found"
    for revision in revisions:  # one step at a time, so each revision is exercised alone
        await anyio.to_thread.run_sync(migrate.upgrade, url, revision)
    assert {"users", "enterprises", "banks"} <= await _tables(url)
    for _ in revisions:
        await anyio.to_thread.run_sync(migrate.downgrade, url, "-1")
    assert await _tables(url) == {"alembic_version"}
    await anyio.to_thread.run_sync(migrate.upgrade, url, "head")
    assert {"users", "enterprises", "banks"} <= await _tables(url)


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_accounts_registered_before_verification_start_unverified(
    engines: SuiteEngines,
) -> None:
    """Revision 0005 turns each SME account's enterprise into a pending claim of it."""
    conn = await engines.admin()
    await conn.execute('DROP DATABASE IF EXISTS "xyd_migration_claims" WITH (FORCE)')
    await conn.execute('CREATE DATABASE "xyd_migration_claims"')
    await conn.close()
    url = with_database(engines.database_url, "xyd_migration_claims")
    await anyio.to_thread.run_sync(migrate.upgrade, url, "0004")
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as db:
            await db.exec_driver_sql(
                "INSERT INTO enterprises (id, name, uscc, legal_rep_name, legal_rep_id_cipher,"
                " legal_rep_id_masked, registered_capital, founded_on, industry_section,"
                " industry_division, district_code, status, created_at, updated_at) VALUES"
                " ('00000000-0000-0000-0000-00000000000e', '老企业', '91440101MA5C00000X', '张伟',"
                " '\\x00', '110***********0021', 100, '2015-01-01', 'C', '39', '440101',"
                " 'active', now(), now())"
            )
            await db.exec_driver_sql(
                "INSERT INTO users (id, email, display_name, password_hash, role, enterprise_id,"
                " is_active, created_at, updated_at) VALUES"
                " ('00000000-0000-0000-0000-00000000000a', 'old@example.com', 'old', 'x', 'sme',"
                " '00000000-0000-0000-0000-00000000000e', true, now(), now())"
            )
        await anyio.to_thread.run_sync(migrate.upgrade, url, "0005")
        async with engine.connect() as db:
            user = (
                await db.exec_driver_sql(
                    "SELECT enterprise_id FROM users WHERE email = 'old@example.com'"
                )
            ).one()
            claim = (
                await db.exec_driver_sql(
                    "SELECT status, uscc, name, legal_rep_name FROM enterprise_claims"
                )
            ).one()
            verified = (await db.exec_driver_sql("SELECT verified_at FROM enterprises")).one()
    finally:
        await engine.dispose()
    assert user.enterprise_id is None
    assert tuple(claim) == ("pending", "91440101MA5C00000X", "老企业", "张伟")
    assert verified.verified_at is None
