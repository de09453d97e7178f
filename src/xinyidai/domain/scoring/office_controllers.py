"""The credit office's side of scoring: the review queue, model drift and the model registry."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.scoring.controllers import provide_scores
from xinyidai.domain.scoring.schemas import DriftOut, ModelsOut, ReviewOut, ReviewResolve
from xinyidai.domain.scoring.services import ScoreService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import ReviewStatus


class OfficeScoringController(Controller):
    path = "/api/v1/office"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"scores": Provide(provide_scores, sync_to_thread=False)}

    @get(
        "/score-reviews",
        summary="Score review queue, soonest due first, with the reasons under review",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def reviews(
        self,
        principal: NamedDependency[Principal],
        scores: NamedDependency[ScoreService],
        status: Annotated[ReviewStatus | None, QueryParameter()] = None,
        overdue: Annotated[bool, QueryParameter(description="Only open reviews past due")] = False,
    ) -> list[ReviewOut]:
        return await scores.review_queue(principal, status=status, overdue_only=overdue)

    @post(
        "/score-reviews/{review_id:uuid}/resolve",
        status_code=200,
        summary="Resolve a score review: upheld, rescored or corrected",
        description="`rescored` and `corrected` attach the active model's score of the "
        "enterprise's latest profile (409 when no model is active).",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def resolve(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[ReviewResolve],
        principal: NamedDependency[Principal],
        scores: NamedDependency[ScoreService],
    ) -> ReviewOut:
        return await scores.resolve_review(review_id, data, principal)

    @get(
        "/model/drift",
        summary="PSI of the active model's last 30 days of scores and top features",
        description="Against the training sample's distributions in the model's manifest; "
        "a PSI above 0.25 is flagged. 409 when no model is active.",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def drift(
        self, principal: NamedDependency[Principal], scores: NamedDependency[ScoreService]
    ) -> DriftOut:
        return await scores.drift(principal)

    @get(
        "/models",
        summary="Registered model versions, the active one and the activation history",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def models(
        self, principal: NamedDependency[Principal], scores: NamedDependency[ScoreService]
    ) -> ModelsOut:
        return await scores.models(principal)
