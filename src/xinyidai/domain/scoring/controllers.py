"""An enterprise's credit score with its reasons, and the SME's request for a human review."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.scoring.schemas import ReviewCreate, ReviewOut, ScoreOut
from xinyidai.domain.scoring.services import ScoreService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_scores(db: NamedDependency[AsyncSession]) -> ScoreService:
    return ScoreService(db)


class ScoreController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}"
    tags = ["scoring"]
    security = SESSION_SECURITY
    dependencies = {"scores": Provide(provide_scores, sync_to_thread=False)}

    @get(
        "/score",
        summary="The latest credit score, grade and PD, with reasons (zh-CN, English) and history",
        description="For the SME's own users and the credit office; the office's reads are "
        "written to the SME's access log. `null` until the enterprise's first score is "
        "computed; 409 when no scoring model is active (nothing can score it).",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def score(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        scores: NamedDependency[ScoreService],
    ) -> ScoreOut | None:
        return await scores.latest_for(enterprise_id, principal)

    @post(
        "/score/review",
        status_code=201,
        summary="Ask for a human review of the latest score (PIPL Art.24)",
        description="For the SME's own users. The review lands in the credit office's queue "
        "with the score's reasons and is answered within 20 days; one open review per score.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def review(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[ReviewCreate],
        principal: NamedDependency[Principal],
        scores: NamedDependency[ScoreService],
    ) -> ReviewOut:
        return await scores.request_review(enterprise_id, data, principal)
