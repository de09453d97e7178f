"""``xinyidai audit verify`` and ``xinyidai audit chain`` from the command line."""

from __future__ import annotations

import datetime as dt
import json

import anyio.to_thread
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.domain.audit.conftest import append, append_committed, chained, tamper
from xinyidai.cli import main


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ENV", "test")
    return CliRunner()


async def run(cli: CliRunner, *args: str) -> Result:
    return await anyio.to_thread.run_sync(lambda: cli.invoke(main, ["audit", *args]))


async def test_chain_links_and_verify_passes(
    cli: CliRunner, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    empty = await run(cli, "verify")
    assert empty.exit_code == 0, empty.output
    assert "no entry linked yet" in empty.output
    await append_committed(audit_sessions, 3)

    chain = await run(cli, "chain")

    assert chain.exit_code == 0, chain.output
    assert "linked 3 entries" in chain.output
    verify = await run(cli, "verify")
    assert verify.exit_code == 0, verify.output
    assert "audit chain intact" in verify.output and "links checked: 3" in verify.output
    as_json = await run(cli, "verify", "--json")
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["ok"] is True and report["linked"] == 3 and report["first_break"] is None


async def test_verify_names_the_broken_link_and_fails(cli: CliRunner, engine: AsyncEngine) -> None:
    linked = await chained(engine, 4)
    await tamper(
        engine,
        "UPDATE audit_entries SET action = 'openapi.consents.list' WHERE seq = :seq",
        seq=linked[1]["seq"],
    )

    human = await run(cli, "verify")

    assert human.exit_code == 1
    assert f"broken at seq {linked[1]['seq']}" in human.output
    assert str(linked[1]["id"]) in human.output and "edited" in human.output
    machine = await run(cli, "verify", "--json")
    assert machine.exit_code == 1
    broken = json.loads(machine.output)["first_break"]
    assert (broken["seq"], broken["id"], broken["kind"]) == (
        linked[1]["seq"],
        str(linked[1]["id"]),
        "edited",
    )


async def test_verify_reports_stale_entries_with_its_own_exit_status(
    cli: CliRunner, engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chained(engine, 1)
    async with audit_sessions() as session:
        await append(session, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
        await session.commit()

    stale = await run(cli, "verify", "--stale-after", "60")

    assert stale.exit_code == 3, stale.output
    assert "unlinked for more than 60 s" in stale.output
    patient = await run(cli, "verify", "--stale-after", "3600")
    assert patient.exit_code == 0, patient.output
    refused = await run(cli, "verify", "--stale-after", "0")
    assert refused.exit_code == 2  # a usage error
