"""The demo city: deterministic, valid, varied, and its logins work."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from xinyidai.domain.demo.city import DISTRICTS, demo_enterprises
from xinyidai.domain.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo
from xinyidai.domain.enterprises.codes import (
    section_of_division,
    validate_resident_id,
    validate_uscc,
)
from xinyidai.infra.errors import Forbidden
from xinyidai.models import Bank, Enterprise, Role, User
from xinyidai.settings import Env


def test_the_city_is_the_same_every_time_and_its_codes_are_valid() -> None:
    city = demo_enterprises()
    assert city == demo_enterprises()
    assert len(city) == 200
    assert len({e.uscc for e in city}) == 200
    assert len({e.name for e in city}) == 200
    for firm in city:
        assert validate_uscc(firm.uscc) == firm.uscc
        assert validate_resident_id(firm.legal_rep_id_number)
        assert firm.uscc[2:8] == firm.district_code
    assert set(Counter(e.district_code for e in city)) == set(DISTRICTS)
    assert len({section_of_division(e.industry_division) for e in city}) >= 8


async def test_seeding_creates_the_city_once_and_its_logins_work(
    client, db, redis, settings
) -> None:
    report = await seed_demo(db, redis, settings)
    await db.commit()
    assert report.created and report.enterprises == 200 and report.banks == 5
    assert await db.scalar(select(func.count()).select_from(Enterprise)) == 200
    assert await db.scalar(select(func.count()).select_from(Bank)) == 5
    roles = Counter((await db.scalars(select(User.role))).all())
    assert roles == {Role.SME: 2, Role.BANK: 2, Role.OFFICE: 1, Role.ADMIN: 1}
    again = await seed_demo(db, redis, settings)
    assert not again.created
    for demo in demo_logins():
        client.cookies.clear()
        body = await login(client, demo.email, DEMO_PASSWORD)
        assert body["user"]["role"] == demo.role.value


async def test_the_seed_is_refused_in_production(db, redis, settings) -> None:
    import dataclasses

    with pytest.raises(Forbidden):
        await seed_demo(db, redis, dataclasses.replace(settings, env=Env.PRODUCTION))
