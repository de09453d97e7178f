"""A simulated city loads into the database through the platform's own paths, and the data
hub's snapshots then give the same features as the simulator's own: training on simulated
snapshots runs the serving feature code on what the hub would hold, without a database.

Registration through the enterprises service, public records through the public-credit import
of the CSV the simulator writes (and the daily expiry job as of that day), authorizations for
exactly the families each firm authorized, monthly series through the real sync from the
sandbox provider (which serves the same generator with the same seed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World, no_queue
from tests.provider_fixtures import PLATFORM_SIGNER, RunningSandbox
from xinyidai.domain.credit_data.imports import import_public_credit
from xinyidai.domain.credit_data.records import expire_and_purge
from xinyidai.domain.credit_data.sync import execute_sync, queue_sync
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.domain.scoring import features
from xinyidai.enums import NEGATIVE_TYPES, Family
from xinyidai.models import Enterprise, Role
from xinyidai.simulation.registry import Firm
from xinyidai_ml.simulator import Simulation, simulate

pytestmark = pytest.mark.slow  # loads a simulated city through the platform

CITY = 300  # firms simulated (all their records are imported)
N_FIRMS = 16  # firms registered, authorized and synced
AS_OF = dt.date(2025, 3, 14)  # a fixed day in the past: the sandbox serves no future months
NOW = dt.datetime.combine(AS_OF, dt.time(12, 0), tzinfo=dt.UTC)


def _pick(sim: Simulation) -> list[Firm]:
    """Firms with a record repaired by AS_OF, firms with a negative record shown on AS_OF, then
    the first firms of the city: N_FIRMS in all, in index order."""
    repaired = [
        f.index
        for f in sim.firms
        if any(
            r.repaired_on is not None and r.repaired_on <= AS_OF
            for r in sim.records[sim.local(f.index)]
        )
    ]
    negative = [
        f.index
        for f in sim.firms
        if any(
            r.record_type in NEGATIVE_TYPES and r.visible(AS_OF)
            for r in sim.records[sim.local(f.index)]
        )
    ]
    chosen = dict.fromkeys(repaired[:4] + negative[:4])
    for f in sim.firms:
        if len(chosen) >= N_FIRMS:
            break
        chosen[f.index] = None
    return [sim.firms[i] for i in sorted(chosen)]


def _months(content: dict[str, Any]) -> dict[str, Any]:
    return {
        name: family.get("months") if family["authorised"] else None
        for name, family in content["families"].items()
    }


async def test_a_simulated_city_loaded_through_the_platform_gives_the_simulators_features(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    tmp_path: Path,
) -> None:
    sim = simulate(CITY, seed=sandbox.seed, horizon=AS_OF)  # the sandbox's city
    firms = _pick(sim)

    # registration: the simulator's registration data through the enterprises service
    enterprises = []
    for firm in firms:
        enterprises.append(
            await world.enterprise(
                uscc=firm.uscc,
                name=firm.name,
                registered_capital=str(firm.registered_capital),
                founded_on=firm.founded_on.isoformat(),
                industry_division=firm.industry_division,
                district_code=firm.district_code,
            )
        )

    # public records: the import of the simulator's CSV, then the daily job as of AS_OF
    path = tmp_path / "simulated-records.csv"
    rows = sim.public_records_csv(path, as_of=AS_OF)
    report = await import_public_credit(db, path, filename=path.name, today=AS_OF)
    assert report.rejected == []
    assert report.accepted == rows
    await db.commit()
    await expire_and_purge(db, today=AS_OF)
    await db.commit()

    # authorizations and the sync of the authorized families from the sandbox
    for firm, enterprise in zip(firms, enterprises, strict=True):
        families = [f.value for f in sim.authorized_families(firm.index)]
        if not families:
            continue
        user = await world.user(f"owner{firm.index}@example.com", Role.SME, firm.uscc)
        await world.authorize(enterprise.id, families, user.id)
        run = await queue_sync(db, no_queue, enterprise.id, trigger="test")
        await db.commit()
        done = await execute_sync(
            sessions, sandbox_provider, run.id, now=NOW, signer=PLATFORM_SIGNER
        )
        assert done is not None and done.status == "done", done and done.error
        assert sorted(done.families) == sorted(families)

    # the hub's snapshot of each firm as of AS_OF against the simulator's
    seen_records = seen_months = 0
    repaired = expired = 0
    for firm, enterprise in zip(firms, enterprises, strict=True):
        row = await db.get(Enterprise, enterprise.id, populate_existing=True)
        assert row is not None
        hub = await snapshots.gather(db, row, AS_OF, NOW)
        own = sim.firm_snapshot(firm.index, AS_OF)
        assert hub["public_records"]["counts"] == own["public_records"]["counts"], firm.uscc
        assert hub["public_records"]["latest_grades"] == own["public_records"]["latest_grades"]
        assert _months(hub) == _months(own), firm.uscc
        assert np.array_equal(features.vector(hub), features.vector(own), equal_nan=True), (
            firm.uscc,
            [
                (name, a, b)
                for name, a, b in zip(
                    features.FEATURE_NAMES,
                    features.vector(hub),
                    features.vector(own),
                    strict=True,
                )
                if not (a == b or (a != a and b != b))
            ],
        )
        seen_records += len(own["public_records"]["items"])
        for r in sim.records[sim.local(firm.index)]:
            if r.decision_date <= AS_OF and not r.visible(AS_OF):
                repaired += r.repaired_on is not None and r.repaired_on <= AS_OF
                expired += r.publish_until is not None and r.publish_until < AS_OF
        seen_months += sum(len(m or []) for m in _months(own).values())
    # the comparison is not vacuous: records, several families and months were compared
    assert seen_records > 0 and seen_months > 0 and repaired > 0 and expired > 0
    assert {f for firm in firms for f in sim.authorized_families(firm.index)} >= {
        Family.TAX,
        Family.ELECTRICITY,
        Family.SOCIAL_INSURANCE,
    }
