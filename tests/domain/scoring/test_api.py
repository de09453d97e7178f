"""The scoring endpoints: the score with reasons for the SME and the office (logged), reviews
in the office's queue, drift and the registry for the office only; everyone else gets 404."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.dates import china_today
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring import registry
from xinyidai.domain.scoring.services import REVIEW_DAYS, score_snapshot
from xinyidai.models import CreditScore, Enterprise, ProfileSnapshot, ScoreReview


@pytest.fixture
async def scored(db: AsyncSession, scene: Enterprise, model: str) -> tuple[Enterprise, CreditScore]:
    """SME A's profile scored by the active model."""
    snapshot = await snapshots.latest(db, scene.id)
    assert snapshot is not None
    stored = await score_snapshot(db, snapshot.id)
    assert stored is not None
    await db.commit()
    return scene, stored


def _urls(sme_id: UUID) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/v1/enterprises/{sme_id}/score"),
        ("POST", f"/api/v1/enterprises/{sme_id}/score/review"),
    ]


@pytest.mark.parametrize("email", ["other@example.com", "banker@example.com"])
async def test_other_smes_and_banks_get_404_and_the_office_desk_403(
    client: AsyncTestClient[Litestar], scored: tuple[Enterprise, CreditScore], email: str
) -> None:
    sme, _ = scored
    await login(client, email)
    for method, url in _urls(sme.id):
        response = await client.request(method, url, json={"reason": "请人工复核我的评分"})
        assert response.status_code == 404, url
        assert response.json()["detail"] == "no such enterprise"
    for url in (
        "/api/v1/office/score-reviews",
        "/api/v1/office/model/drift",
        "/api/v1/office/models",
    ):
        assert (await client.get(url)).status_code == 403, url
    review = await client.post(
        "/api/v1/office/score-reviews/01900000-0000-7000-8000-000000000000/resolve",
        json={"resolution": "upheld", "note": "评分维持不变"},
    )
    assert review.status_code == 403


async def test_the_owner_reads_the_score_with_reasons_and_history(
    client: AsyncTestClient[Litestar],
    db: AsyncSession,
    world: World,
    scored: tuple[Enterprise, CreditScore],
) -> None:
    sme, first = scored
    await login(client, "owner@example.com")
    body = (await client.get(f"/api/v1/enterprises/{sme.id}/score")).json()
    assert body["score_id"] == str(first.id)
    assert body["model_version"] == first.model_version
    assert body["snapshot_version"] == first.snapshot_version
    assert (body["score"], body["grade"]) == (first.score, first.grade)
    assert body["pd"] == pytest.approx(float(first.pd))
    assert body["current"] is True and body["review"] is None and body["history"] == []
    for reason in body["reasons"]:
        assert reason["text_zh"] and reason["text_en"] and reason["feature"]
    # A new record: a new snapshot, a new score; the first one becomes history.
    await world.record(sme.uscc, severity="serious")
    snapshot = await snapshots.rebuild(db, sme.id, "record_added")
    assert snapshot is not None
    second = await score_snapshot(db, snapshot.id)
    assert second is not None
    await db.commit()
    body = (await client.get(f"/api/v1/enterprises/{sme.id}/score")).json()
    assert body["score_id"] == str(second.id)
    assert body["snapshot_version"] == snapshot.version
    assert [h["score_id"] for h in body["history"]] == [str(first.id)]
    log = (await client.get(f"/api/v1/enterprises/{sme.id}/access-log")).json()
    assert log["total"] == 0  # the SME's own reads are not outside reads


async def test_office_reads_are_in_the_access_log(
    client: AsyncTestClient[Litestar], scored: tuple[Enterprise, CreditScore]
) -> None:
    sme, stored = scored
    await login(client, "office@example.com")
    read = await client.get(f"/api/v1/enterprises/{sme.id}/score")
    assert read.status_code == 200
    client.cookies.clear()
    await login(client, "owner@example.com")
    log = (await client.get(f"/api/v1/enterprises/{sme.id}/access-log")).json()
    assert [(i["resource"], i["actor_role"]) for i in log["items"]] == [("credit_score", "office")]
    assert stored.model_version in log["items"][0]["detail"]


async def test_an_enterprise_not_yet_scored_reads_null_not_an_error(
    client: AsyncTestClient[Litestar], scene: Enterprise, model: str
) -> None:
    await login(client, "owner@example.com")
    pending = await client.get(f"/api/v1/enterprises/{scene.id}/score")
    assert pending.status_code == 200
    assert pending.json() is None
    client.cookies.clear()
    await login(client, "office@example.com")
    assert (await client.get(f"/api/v1/enterprises/{scene.id}/score")).json() is None


async def test_no_score_and_no_model_are_told_apart(
    client: AsyncTestClient[Litestar], db: AsyncSession, scene: Enterprise
) -> None:
    await login(client, "owner@example.com")
    missing = await client.get(f"/api/v1/enterprises/{scene.id}/score")
    assert missing.status_code == 409
    assert "no scoring model is active" in missing.json()["detail"]
    review = await client.post(
        f"/api/v1/enterprises/{scene.id}/score/review", json={"reason": "请人工复核我的评分"}
    )
    assert review.status_code == 404
    client.cookies.clear()
    await login(client, "office@example.com")
    drift = await client.get("/api/v1/office/model/drift")
    assert drift.status_code == 409
    assert drift.headers["content-type"].startswith("application/problem+json")
    assert "no scoring model is active" in drift.json()["detail"]
    models = (await client.get("/api/v1/office/models")).json()
    assert models == {"active": None, "versions": [], "activations": []}


async def test_a_review_lands_in_the_office_queue_and_is_resolved(
    client: AsyncTestClient[Litestar], db: AsyncSession, scored: tuple[Enterprise, CreditScore]
) -> None:
    sme, stored = scored
    await login(client, "owner@example.com")
    asked = await client.post(
        f"/api/v1/enterprises/{sme.id}/score/review",
        json={"reason": "我们的电费从未逾期，请人工复核"},
    )
    assert asked.status_code == 201, asked.text
    review = asked.json()
    today = china_today()
    assert review["status"] == "open" and review["overdue"] is False
    assert review["due_on"] == (today + dt.timedelta(days=REVIEW_DAYS)).isoformat()
    assert review["score"]["score_id"] == str(stored.id)
    again = await client.post(
        f"/api/v1/enterprises/{sme.id}/score/review", json={"reason": "再次申请人工复核"}
    )
    assert again.status_code == 409
    short = await client.post(f"/api/v1/enterprises/{sme.id}/score/review", json={"reason": "?"})
    assert short.status_code == 400 or short.status_code == 422
    score = (await client.get(f"/api/v1/enterprises/{sme.id}/score")).json()
    assert score["review"]["id"] == review["id"]
    # The office may read the score but not ask for a review in the SME's name.
    client.cookies.clear()
    await login(client, "office@example.com")
    refused = await client.post(
        f"/api/v1/enterprises/{sme.id}/score/review", json={"reason": "代企业申请复核"}
    )
    assert refused.status_code == 404
    queue = (await client.get("/api/v1/office/score-reviews")).json()
    assert [q["id"] for q in queue] == [review["id"]]
    assert queue[0]["enterprise_name"] == sme.name
    assert queue[0]["score"]["reasons"] == [
        {k: r[k] for k in ("feature", "contribution", "value", "text_zh", "text_en")}
        for r in stored.reasons
    ]
    assert (await client.get("/api/v1/office/score-reviews?overdue=true")).json() == []
    # Past due: flagged and filtered.
    await db.execute(
        update(ScoreReview)
        .values(due_on=today - dt.timedelta(days=1))
        .where(ScoreReview.id == review["id"])
    )
    await db.commit()
    overdue = (await client.get("/api/v1/office/score-reviews?overdue=true")).json()
    assert [q["id"] for q in overdue] == [review["id"]] and overdue[0]["overdue"] is True
    resolved = await client.post(
        f"/api/v1/office/score-reviews/{review['id']}/resolve",
        json={"resolution": "rescored", "note": "按最新档案重新评分"},
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["resolution"], body["overdue"]) == ("resolved", "rescored", False)
    assert body["result"]["score_id"] == str(stored.id)  # the latest profile was already scored
    twice = await client.post(
        f"/api/v1/office/score-reviews/{review['id']}/resolve",
        json={"resolution": "upheld", "note": "维持原评分结果"},
    )
    assert twice.status_code == 409
    assert (await client.get("/api/v1/office/score-reviews?status=open")).json() == []
    # Resolved: the SME may ask again about the same score.
    client.cookies.clear()
    await login(client, "owner@example.com")
    anew = await client.post(
        f"/api/v1/enterprises/{sme.id}/score/review", json={"reason": "仍有疑问，再次申请复核"}
    )
    assert anew.status_code == 201


async def test_the_registry_as_the_office_sees_it(
    client: AsyncTestClient[Litestar], model: str, scene: Enterprise
) -> None:
    await login(client, "office@example.com")
    body = (await client.get("/api/v1/office/models")).json()
    assert body["active"] == model
    assert [(v["version"], v["active"], v["compatible"]) for v in body["versions"]] == [
        (model, True, True)
    ]
    assert [(a["version"], a["previous_version"]) for a in body["activations"]] == [(model, None)]


# --- drift --------------------------------------------------------------------------------------
def _sample(
    reference: dict[str, Any], n: int, rng: random.Random, *, integer: bool
) -> list[float | None]:
    """``n`` values spread over the reference's bins in its proportions (and missing share)."""
    edges = reference["edges"]
    missing = float(reference.get("missing", 0.0))
    values: list[float | None] = [None] * round(n * missing)
    for i, share in enumerate(reference["proportions"]):
        if i < len(edges):
            value = math.floor(edges[i]) if integer else edges[i]  # bins are (e[i-1], e[i]]
            if i > 0 and value <= edges[i - 1]:
                continue
        else:
            value = math.floor(edges[-1]) + 1 if edges else 0
        values += [value] * round(n * (1 - missing) * share)
    values = (values + values)[:n]
    rng.shuffle(values)
    return values


async def _recent_scores(
    db: AsyncSession,
    enterprise_id: UUID,
    model: str,
    scores: Sequence[float | None],
    features: list[list[float | None]],
    first_version: int,
) -> None:
    """Stored scores of the active model, one per snapshot version (arranged directly)."""
    now = dt.datetime.now(dt.UTC)
    ids: list[ProfileSnapshot] = []
    for i in range(len(scores)):
        row = ProfileSnapshot(
            enterprise_id=enterprise_id,
            version=first_version + i,
            format="xinyidai.profile/1",
            content_hash=f"{i:064d}",
            as_of=now.date(),
            reason="test",
            content={},
        )
        db.add(row)
        ids.append(row)
    await db.flush()
    rows: list[dict[str, Any]] = []
    for snap, score, vector in zip(ids, scores, features, strict=True):
        assert score is not None, "the score sample has no missing share"
        rows.append(
            {
                "enterprise_id": enterprise_id,
                "snapshot_id": snap.id,
                "snapshot_version": snap.version,
                "model_version": model,
                "pd": 0.02,
                "score": int(score),
                "grade": "BBB",
                "reasons": [],
                "features": vector,
            }
        )
    await db.execute(insert(CreditScore), rows)
    await db.commit()


async def test_drift_flags_a_shifted_score_distribution(
    client: AsyncTestClient[Litestar], db: AsyncSession, scene: Enterprise, model: str
) -> None:
    bundle = await registry.active_bundle(db)
    assert bundle is not None
    reference = bundle.manifest["reference"]
    names = bundle.manifest["features"]
    n, rng = 400, random.Random(5)
    columns = {
        name: _sample(reference["features"][name], n, rng, integer=False)
        for name in reference["top_features"]
    }
    features = [[columns[name][i] if name in columns else None for name in names] for i in range(n)]
    steady = _sample(reference["score"], n, rng, integer=True)
    await _recent_scores(db, scene.id, model, steady, features, first_version=100)
    await login(client, "office@example.com")
    calm = (await client.get("/api/v1/office/model/drift")).json()
    assert calm["model_version"] == model
    assert calm["sample_size"] == n and calm["reference_size"] > 0
    assert calm["threshold"] == 0.25
    assert calm["score"]["psi"] < 0.1 and calm["flagged"] is False, calm
    assert [f["name"] for f in calm["features"]] == reference["top_features"]
    assert all(f["psi"] < 0.1 and not f["flagged"] for f in calm["features"]), calm
    # The same inputs, but every score now sits at the bottom of the scale.
    await db.execute(delete(CreditScore).where(CreditScore.enterprise_id == scene.id))
    await db.commit()
    await _recent_scores(db, scene.id, model, [300] * n, features, first_version=1000)
    shifted = (await client.get("/api/v1/office/model/drift")).json()
    assert shifted["sample_size"] == n
    assert shifted["score"]["psi"] > 0.25 and shifted["score"]["flagged"] is True
    assert shifted["flagged"] is True
    assert not any(f["flagged"] for f in shifted["features"])
