"""Each bank client has a per-minute allowance on the bank API, shared by every process
(counted in Redis); every answer says what is left, and the call past it gets 429."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from tests.oauth_fixtures import ISSUER, Scene, call, consent, token
from xinyidai.app import create_app
from xinyidai.settings import Settings


async def test_a_client_past_its_allowance_gets_429_with_retry_after(
    oauth_settings: Settings, bank_scene: Scene
) -> None:
    limited = dataclasses.replace(oauth_settings, bank_api_rate_limit=2)
    async with AsyncTestClient(app=create_app(limited), base_url=ISSUER) as app:
        await consent(app, bank_scene.sme, bank_scene.bank_a, ["tax"])
        access = await token(app, bank_scene.bank_a, "profiles consents")
        first = await call(app, bank_scene.bank_a, access, "/consents")
        assert (first.headers["ratelimit-limit"], first.headers["ratelimit-remaining"]) == (
            "2",
            "1",
        )
        second = await call(app, bank_scene.bank_a, access, f"/profiles/{bank_scene.sme.uscc}")
        assert second.status_code == 200 and second.headers["ratelimit-remaining"] == "0"
        third = await call(app, bank_scene.bank_a, access, "/consents")
        assert third.status_code == 429
        assert 0 < int(third.headers["retry-after"]) <= 61
        other = await token(app, bank_scene.bank_b, "consents")  # another client's own allowance
        assert (await call(app, bank_scene.bank_b, other, "/consents")).status_code == 200
