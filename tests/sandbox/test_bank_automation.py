"""The sandbox bank reviews, decides and lends by itself, against a small fake of the platform's
bank API served over real sockets: a DPoP-bound token from ``private_key_jwt``, the profile
pulled, the review, the decision, the loan's events on the demo clock with stable keys; a 409
stops it and a platform hiccup is retried."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from joserfc.jwk import ECKey
from litestar import Litestar

from tests.sandbox.fake_platform import FakePlatform, create_fake_platform
from tests.serving import free_port, serve_in_thread
from xinyidai.sandbox.bank import create_bank_app
from xinyidai.sandbox.bank.lending import fate_of
from xinyidai.sandbox.process import sandbox_bank

CLIENT_ID = "bank-a-client"
USCC = "91440101MA5XXXXXX1"
PROFILE: dict[str, Any] = {
    "uscc": USCC,
    "score": {"grade": "A", "pd_band": "1%-2%"},
    "public_records": {"items": [], "latest_grades": {"tax_grade": "B"}},
    "families": {
        "tax": {"summary": {"months_last_12": 12, "vat_sales_last_12": "4000000.00"}},
    },
}


def application(app_id: str, platform: str, amount: str = "500000.00") -> dict[str, Any]:
    return {
        "id": app_id,
        "status": "submitted",
        "enterprise": {"uscc": USCC, "name": "广州测试有限公司"},
        "amount": amount,
        "term_months": 6,
        "grade": "A",
        "links": {
            "profile": f"{platform}/openapi/v1/profiles/{USCC}",
            "decision": f"{platform}/openapi/v1/applications/{app_id}/decision",
        },
    }


@dataclass
class Scene:
    fake: FakePlatform
    platform: str
    bank: str
    bank_app: Litestar | None = None

    def deliver(self, document: dict[str, Any], key: str) -> httpx.Response:
        fetched = httpx.post(
            f"{self.bank}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("xinyidai-platform", "sandbox-bank-intake-secret"),
        )
        headers = {
            "Authorization": f"Bearer {fetched.json()['access_token']}",
            "Idempotency-Key": key,
        }
        return httpx.post(f"{self.bank}/intake/applications", json=document, headers=headers)

    def story(self, app_id: str) -> dict[str, Any]:
        processing = httpx.get(f"{self.bank}/_sandbox/intake").json()["processing"]
        record: dict[str, Any] = processing.get(app_id, {})
        return record


def settled(
    scene: Scene, app_id: str, stages: tuple[str, ...] = ("done", "stopped", "failed")
) -> dict[str, Any]:
    """The application's story once it has come to an end (waiting for the bank's task)."""
    deadline = time.monotonic() + 60
    while (story := scene.story(app_id)).get("stage") not in stages:
        assert time.monotonic() < deadline, f"the bank did not finish: {story}"
        time.sleep(0.05)
    return story


@pytest.fixture
def scene() -> Iterator[Scene]:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    fake = FakePlatform(issuer="", client_id=CLIENT_ID, client_key=key)
    fake.profiles[USCC] = deepcopy(PROFILE)

    def platform_app(url: str) -> Litestar:
        fake.issuer = url
        return create_fake_platform(fake)

    with serve_in_thread(platform_app, name="fake-platform", ready_path="/_fake/ready") as (
        platform,
        _,
    ):
        bank_app = create_bank_app(
            platform_url=platform,
            client_id=CLIENT_ID,
            key=key,
            months_per_minute=60_000,  # a month a millisecond
            backoff=0.01,
        )
        with serve_in_thread(bank_app, name="auto-bank", ready_path="/_sandbox/intake") as (
            bank,
            _,
        ):
            yield Scene(fake, platform, bank, bank_app)


def app_id_with_fate(fate: str) -> str:
    """An application id whose loan has ``fate`` (the fates are fixed by the id)."""
    return next(f"app-{n}" for n in range(10_000) if fate_of(f"app-{n}") == fate)


def test_an_approved_application_is_reviewed_decided_and_lent_to_settlement(
    scene: Scene,
) -> None:
    app_id = app_id_with_fate("performing")
    scene.fake.applications[app_id] = "delivered"
    assert scene.deliver(application(app_id, scene.platform), "d-1").json()["accepted"] is True
    story = settled(scene, app_id)
    assert story["stage"] == "done", story
    assert story["decision"]["outcome"] == "approve"
    assert story["decision"]["amount"] == "500000.00"
    loan_id = f"loan-{app_id}"
    assert story["loan_id"] == loan_id
    posted = scene.fake.events[loan_id]
    kinds = [body["kind"] for _, body in posted]
    assert kinds == ["disbursed"] + ["repayment"] * 6 + ["settled"]
    assert [key for key, _ in posted] == [f"{loan_id}-{n}" for n in range(1, 9)]
    days = [body["occurred_on"] for _, body in posted]
    assert days == sorted(days)
    repaid = sum(Decimal(body["amount"]) for _, body in posted if body["kind"] == "repayment")
    assert repaid == Decimal("500000.00")
    calls = [c["call"] for c in scene.fake.calls]
    assert calls[:4] == ["token", "profile", "review", "decision"]
    assert all(c["dpop"] for c in scene.fake.calls)
    assert calls.count("token") == 1  # one DPoP-bound token, reused
    assert scene.fake.applications[app_id] == "approved"


def test_a_failing_policy_rejects_with_its_reason_and_lends_nothing(scene: Scene) -> None:
    scene.fake.profiles[USCC]["score"]["pd_band"] = "10%-20%"
    scene.fake.applications["app-r"] = "delivered"
    scene.deliver(application("app-r", scene.platform), "d-r")
    story = settled(scene, "app-r")
    assert story["stage"] == "done"
    assert story["decision"] == {"outcome": "reject", "reason": "debt_capacity", "note": ANY}
    assert scene.fake.events == {}
    assert scene.fake.applications["app-r"] == "rejected"


def test_an_application_decided_already_stops_the_bank_at_the_409(scene: Scene) -> None:
    scene.fake.applications["app-w"] = "withdrawn"
    scene.deliver(application("app-w", scene.platform), "d-w")
    story = settled(scene, "app-w")
    assert story["stage"] == "stopped"
    assert story["stopped"] == {"step": "review", "status": 409}
    assert [c["call"] for c in scene.fake.calls].count("decision") == 0


def test_platform_hiccups_are_retried_and_event_keys_replay_safely(scene: Scene) -> None:
    app_id = app_id_with_fate("performing")
    scene.fake.applications[app_id] = "delivered"
    scene.fake.fail_next.update(token=1, review=2, decision=1, events=2)
    scene.deliver(application(app_id, scene.platform), "d-h")
    story = settled(scene, app_id)
    assert story["stage"] == "done", story
    posted = scene.fake.events[f"loan-{app_id}"]
    assert len(posted) == 8
    assert len({key for key, _ in posted}) == 8  # no event twice
    assert [c["call"] for c in scene.fake.calls].count("review") == 3


def test_a_defaulting_loan_goes_overdue_and_defaults_with_the_principal_still_out(
    scene: Scene,
) -> None:
    app_id = app_id_with_fate("default")
    scene.fake.applications[app_id] = "delivered"
    scene.deliver(application(app_id, scene.platform), "d-d")
    story = settled(scene, app_id)
    assert story["stage"] == "done", story
    posted = [body for _, body in scene.fake.events[f"loan-{app_id}"]]
    kinds = [body["kind"] for body in posted]
    assert kinds == ["disbursed", "repayment", "repayment", "overdue", "overdue", "default"]
    repaid = sum(Decimal(b["amount"]) for b in posted if b["kind"] == "repayment")
    assert Decimal(posted[-1]["amount"]) == Decimal("500000.00") - repaid


def test_the_same_delivery_again_is_a_duplicate_and_processed_once(scene: Scene) -> None:
    scene.fake.applications["app-2"] = "delivered"
    httpx.post(
        f"{scene.bank}/_sandbox/faults", json={"endpoint": "intake", "duplicate_sensitive": True}
    )
    document = application("app-2", scene.platform, amount="99999999.00")
    assert scene.deliver(document, "d-2").json()["accepted"] is True
    assert scene.deliver(document, "d-2").json() == {"duplicate": True, "application_id": "app-2"}
    story = settled(scene, "app-2")
    assert story["decision"]["reason"] == "amount_too_high"
    counts = httpx.get(f"{scene.bank}/_sandbox/intake").json()
    assert (counts["accepted"], counts["duplicates"], counts["violations"]) == (1, 1, [])
    assert [c["call"] for c in scene.fake.calls].count("decision") == 1


@pytest.mark.slow
def test_the_started_sandbox_bank_decides_by_itself(tmp_path: Path) -> None:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    key_file = tmp_path / "bank-key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    fake = FakePlatform(issuer="", client_id=CLIENT_ID, client_key=key)
    fake.profiles[USCC] = deepcopy(PROFILE)
    fake.applications["app-p"] = "delivered"

    def platform_app(url: str) -> Litestar:
        fake.issuer = url
        return create_fake_platform(fake)

    with (
        serve_in_thread(platform_app, name="fake-platform", ready_path="/_fake/ready") as (
            platform,
            _,
        ),
        sandbox_bank(
            free_port(),
            platform_url=platform,
            client_id=CLIENT_ID,
            key_file=str(key_file),
            intake_client_id="relay",
            intake_client_secret="relay-secret",
            months_per_minute=60_000,
        ) as bank,
    ):
        token = httpx.post(
            f"{bank}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("relay", "relay-secret"),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "d-p"}
        delivered = httpx.post(
            f"{bank}/intake/applications",
            json=application("app-p", platform),
            headers=headers,
        )
        assert delivered.json()["accepted"] is True
        scene = Scene(fake, platform, bank)
        assert settled(scene, "app-p")["stage"] == "done"
        assert fake.applications["app-p"] == "approved"
        assert fake.events["loan-app-p"][-1][1]["kind"] in ("settled", "default")
