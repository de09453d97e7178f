"""Serving: scores computed with the active model and stored with the snapshot they score.

* ``score_snapshot`` scores one snapshot (the job queued whenever a snapshot is built).
* ``score_all`` scores the latest snapshot of every enterprise in batches (the nightly job;
  ``run_batch`` runs it on an engine of its own for ``xinyidai score all``): snapshots are read
  in keyset-paginated chunks, their features built and scored as one matrix off the event loop
  (a thread, or worker processes) while the next chunk is read, and each chunk's results
  written with one ``COPY`` and one merge.
* ``ScoreService`` answers the SME and the office: the latest score with reasons and history,
  and the human review of a score (PIPL Art.24).

A (snapshot, model version) pair is scored once: the unique key makes re-scoring a no-op, and
stored scores are immutable. Without an active model nothing is scored (and that is logged).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio.to_thread
import msgspec
import structlog
from sqlalchemy import Table, Text, bindparam, case, cast, exists, func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from uuid_utils.compat import uuid7  # the generator the primary keys use (advanced-alchemy[uuid])

from xinyidai.dates import china_today, utc_now
from xinyidai.domain.accounts.guards import (
    require_office,
    require_own_enterprise,
    require_readable_enterprise,
)
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.domain.scoring import batch, registry
from xinyidai.domain.scoring.batch import Scored
from xinyidai.domain.scoring.drift import drift_report
from xinyidai.domain.scoring.schemas import (
    DriftOut,
    ModelsOut,
    ReviewBrief,
    ReviewCreate,
    ReviewedScore,
    ReviewOut,
    ReviewResolve,
    ScoreOut,
    ScoreReason,
    ScoreSummary,
)
from xinyidai.infra.db import create_engine, driver_connection, session_factory, unit_of_work
from xinyidai.infra.errors import Conflict, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    CreditScore,
    Enterprise,
    ProfileSnapshot,
    ReviewResolution,
    ReviewStatus,
    ScoreReview,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.domain.scoring.bundle import ModelBundle, ScoreResult
    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)
REVIEW_DAYS = 20  # answered like a dispute (征信业管理条例 Art.25); PIPL Art.24 sets no term
HISTORY = 50
BATCH_SIZE = 2000
_SCORES: Table = CreditScore.__table__  # type: ignore[assignment]


def _row(
    snapshot_id: UUID, enterprise_id: UUID, version: int, model: str, r: ScoreResult
) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "snapshot_id": snapshot_id,
        "snapshot_version": version,
        "model_version": model,
        "pd": Decimal(f"{r.pd:.8f}"),
        "score": r.score,
        "grade": r.grade,
        "reasons": [msgspec.structs.asdict(reason) for reason in r.reasons],
        "features": r.features,
    }


# --- one snapshot -------------------------------------------------------------------------------
async def score_snapshot(
    session: AsyncSession, snapshot_id: UUID, *, bundle: ModelBundle | None = None
) -> CreditScore | None:
    """Score ``snapshot_id`` with the active model (or ``bundle``) and store it; return the
    stored score (the existing one when this pair was scored before), or None when no model is
    active or the snapshot is gone."""
    bundle = bundle or await registry.active_bundle(session)
    if bundle is None:
        log.info("scoring_skipped", reason="no active model", snapshot_id=str(snapshot_id))
        return None
    existing = await _stored(session, snapshot_id, bundle.version)
    if existing is not None:
        return existing
    snapshot = await session.get(ProfileSnapshot, snapshot_id)
    if snapshot is None:
        log.info("scoring_skipped", reason="no such snapshot", snapshot_id=str(snapshot_id))
        return None
    result = await anyio.to_thread.run_sync(bundle.score, snapshot.content)
    await session.execute(
        insert(_SCORES)
        .values(_row(snapshot.id, snapshot.enterprise_id, snapshot.version, bundle.version, result))
        .on_conflict_do_nothing(index_elements=["snapshot_id", "model_version"])
    )
    stored = await _stored(session, snapshot_id, bundle.version)
    log.info(
        "snapshot_scored",
        snapshot_id=str(snapshot_id),
        model_version=bundle.version,
        grade=result.grade,
    )
    return stored


async def _stored(session: AsyncSession, snapshot_id: UUID, model: str) -> CreditScore | None:
    return await session.scalar(
        select(CreditScore)
        .where(CreditScore.snapshot_id == snapshot_id, CreditScore.model_version == model)
        .execution_options(populate_existing=True)
    )


# --- every enterprise ---------------------------------------------------------------------------
class BatchReport(msgspec.Struct, kw_only=True):
    model_version: str | None
    enterprises: int  # enterprises with a snapshot, seen
    scored: int  # new scores stored
    unchanged: int  # latest snapshots the model had already scored
    seconds: float

    @property
    def rate(self) -> float:
        """Enterprises per second."""
        return self.enterprises / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class _Latest:
    snapshot_id: UUID
    enterprise_id: UUID
    version: int
    content: str | None  # JSON text; None when the model already scored it


async def _latest_chunk(
    session: AsyncSession, model: str, after: UUID | None, limit: int, recompute: bool
) -> list[_Latest]:
    """The latest snapshot of the next ``limit`` enterprises (by descending id, after
    ``after``), with its JSON unless the model already scored it (or ``recompute``)."""
    ps = ProfileSnapshot.__table__
    latest = select(ps.c.id, ps.c.enterprise_id, ps.c.version)
    if after is not None:
        latest = latest.where(ps.c.enterprise_id < after)
    chosen = (
        latest.ext(distinct_on(ps.c.enterprise_id))
        .order_by(ps.c.enterprise_id.desc(), ps.c.version.desc())
        .limit(limit)
        .cte("latest")
    )
    body = ps.alias("body")
    scored = (
        exists()
        .where(_SCORES.c.snapshot_id == chosen.c.id, _SCORES.c.model_version == model)
        .correlate(chosen)
    )
    content = cast(body.c.content, Text)
    rows = await session.execute(
        select(
            chosen.c.id,
            chosen.c.enterprise_id,
            chosen.c.version,
            # Only the snapshots to score are turned into JSON text and sent.
            content if recompute else case((scored, None), else_=content),
        )
        .join_from(chosen, body, body.c.id == chosen.c.id)
        .order_by(chosen.c.enterprise_id.desc())
    )
    return [_Latest(r[0], r[1], r[2], r[3]) for r in rows]


_COPY_COLUMNS = (
    "id",
    "enterprise_id",
    "snapshot_id",
    "snapshot_version",
    "model_version",
    "pd",
    "score",
    "grade",
    "reasons",
    "features",
    "created_at",
    "updated_at",
)
_STAGE = "credit_score_stage"
_CREATE_STAGE = (
    f"CREATE TEMPORARY TABLE {_STAGE} ON COMMIT DROP AS "  # noqa: S608 - constants
    f"SELECT {', '.join(_COPY_COLUMNS)} FROM credit_scores WITH NO DATA"
)
_MERGE_STAGE = (
    f"INSERT INTO credit_scores ({', '.join(_COPY_COLUMNS)}) "  # noqa: S608 - constants
    f"SELECT {', '.join(_COPY_COLUMNS)} FROM {_STAGE} "
    "ON CONFLICT (snapshot_id, model_version) DO NOTHING"
)


async def _write(
    session: AsyncSession, model: str, todo: Sequence[_Latest], scored: Sequence[Scored]
) -> int:
    """COPY a chunk's scores into a temporary table and insert the new ones: the data crosses
    in one stream, and the unique key still makes a pair stored meanwhile (by the job) a
    no-op. Returns the number of scores stored."""
    if not todo:
        return 0
    driver = await driver_connection(session)
    now = utc_now()
    await driver.execute(_CREATE_STAGE)
    await driver.copy_records_to_table(
        _STAGE,
        columns=_COPY_COLUMNS,
        records=[
            (
                uuid7(),
                item.enterprise_id,
                item.snapshot_id,
                item.version,
                model,
                Decimal(f"{pd:.8f}"),
                score,
                grade,
                reasons,
                features,
                now,
                now,
            )
            for item, (pd, score, grade, reasons, features) in zip(todo, scored, strict=True)
        ],
    )
    status = await driver.execute(_MERGE_STAGE)
    await driver.execute(f"DROP TABLE {_STAGE}")
    return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 <rows>"


def _pool(bundle: ModelBundle, processes: int) -> ProcessPoolExecutor:
    """Worker processes that each load the bundle once (spawned: the parent runs threads)."""
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=batch.init,
        initargs=(bundle.model_text, bundle.manifest),
    )


async def score_all(
    sessions: async_sessionmaker[AsyncSession],
    *,
    batch_size: int = BATCH_SIZE,
    recompute: bool = False,
    processes: int = 0,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Score the latest snapshot of every enterprise with the active model, skipping those it
    already scored (``recompute``: score them again and offer the results; the unique key
    keeps the stored ones). One transaction per chunk.

    Chunks are read one after the other (keyset pagination) while earlier ones are scored:
    in a thread (``processes=0``), or in that many worker processes, each a chunk at a time,
    which is what lets the batch use more than one core. Results are written in order."""
    started = time.perf_counter()
    async with unit_of_work(sessions) as session:
        bundle = await registry.active_bundle(session)
        total = int(
            await session.scalar(select(func.count(func.distinct(ProfileSnapshot.enterprise_id))))
            or 0
        )
    if bundle is None:
        log.info("batch_scoring_skipped", reason="no active model")
        return BatchReport(model_version=None, enterprises=0, scored=0, unchanged=0, seconds=0.0)
    if on_start:
        on_start(total)
    pipeline = _Pipeline(
        sessions,
        bundle,
        batch_size=batch_size,
        recompute=recompute,
        processes=processes,
        on_progress=on_progress,
    )
    await pipeline.run()
    seen, stored = pipeline.seen, pipeline.stored
    report = BatchReport(
        model_version=bundle.version,
        enterprises=seen,
        scored=stored,
        unchanged=seen - stored,
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info(
        "batch_scored",
        model_version=bundle.version,
        enterprises=seen,
        scored=stored,
        unchanged=seen - stored,
        per_second=round(report.rate),
        processes=processes,
    )
    return report


async def run_batch(
    settings: Settings,
    *,
    batch_size: int = BATCH_SIZE,
    recompute: bool = False,
    processes: int = 0,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """``score_all`` on an engine of its own, disposed of at the end: for a process with no
    application or worker to borrow sessions from (``xinyidai score all``, ``xinyidai run``)."""
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        return await score_all(
            session_factory(engine),
            batch_size=batch_size,
            recompute=recompute,
            processes=processes,
            on_start=on_start,
            on_progress=on_progress,
        )
    finally:
        await engine.dispose()


class _Pipeline:
    """One batch run: chunks read one after the other, scored off the event loop (a thread, or
    worker processes) while the next is read, and written in the order they were read. At most
    ``max(processes, 1)`` chunks are in flight before the oldest is written."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bundle: ModelBundle,
        *,
        batch_size: int,
        recompute: bool,
        processes: int,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.sessions = sessions
        self.bundle = bundle
        self.model = bundle.version
        self.batch_size = batch_size
        self.recompute = recompute
        self.processes = processes
        self.on_progress = on_progress
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight: deque[tuple[int, list[_Latest], asyncio.Future[list[Scored]]]] = deque()
        self.seen = 0  # enterprises whose chunk is written
        self.stored = 0  # new scores stored

    async def run(self) -> None:
        """Read, score and write every chunk; stop the worker processes whatever happens."""
        self.pool = _pool(self.bundle, self.processes) if self.processes > 0 else None
        try:
            after: UUID | None = None
            while True:
                chunk = await self._fetch(after)
                if chunk:
                    todo = [item for item in chunk if item.content is not None]
                    self.in_flight.append((len(chunk), todo, self._compute(todo)))
                last = len(chunk) < self.batch_size
                while self.in_flight and (last or len(self.in_flight) > max(self.processes, 1)):
                    await self._write_oldest()
                if last:
                    break
                after = chunk[-1].enterprise_id
        finally:
            for _, _, future in self.in_flight:
                future.cancel()
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    async def _fetch(self, after: UUID | None) -> list[_Latest]:
        async with unit_of_work(self.sessions) as session:
            return await _latest_chunk(session, self.model, after, self.batch_size, self.recompute)

    def _compute(self, todo: list[_Latest]) -> asyncio.Future[list[Scored]]:
        texts = [item.content for item in todo if item.content is not None]
        if self.pool is not None:
            return asyncio.get_running_loop().run_in_executor(self.pool, batch.compute, texts)
        return asyncio.ensure_future(anyio.to_thread.run_sync(batch.compute, texts, self.bundle))

    async def _write_oldest(self) -> None:
        size, todo, future = self.in_flight.popleft()
        scored = await future
        async with unit_of_work(self.sessions) as session:
            self.stored += await _write(session, self.model, todo, scored)
        self.seen += size
        if self.on_progress:
            self.on_progress(self.seen)


# --- what the SME and the office see ------------------------------------------------------------
def _reasons(stored: list[dict[str, Any]]) -> list[ScoreReason]:
    return [msgspec.convert(r, ScoreReason) for r in stored]


def _summary(s: CreditScore) -> ScoreSummary:
    return ScoreSummary(
        score_id=s.id,
        score=s.score,
        grade=s.grade,
        pd=float(s.pd),
        model_version=s.model_version,
        snapshot_version=s.snapshot_version,
        scored_at=s.created_at,
    )


def _brief(r: ScoreReview) -> ReviewBrief:
    return ReviewBrief(
        id=r.id,
        status=ReviewStatus(r.status),
        resolution=ReviewResolution(r.resolution) if r.resolution else None,
        requested_at=r.created_at,
        due_on=r.due_on,
    )


def review_out(
    r: ScoreReview,
    enterprise_name: str,
    score: CreditScore,
    result: CreditScore | None,
    today: dt.date,
) -> ReviewOut:
    """The API's view of a review, with the score under review and the result."""
    return ReviewOut(
        id=r.id,
        enterprise_id=r.enterprise_id,
        enterprise_name=enterprise_name,
        reason=r.reason,
        requested_at=r.created_at,
        due_on=r.due_on,
        overdue=r.status == ReviewStatus.OPEN and r.due_on < today,
        status=ReviewStatus(r.status),
        resolution=ReviewResolution(r.resolution) if r.resolution else None,
        note=r.note,
        resolved_at=r.resolved_at,
        score=ReviewedScore(
            score_id=score.id,
            score=score.score,
            grade=score.grade,
            pd=float(score.pd),
            model_version=score.model_version,
            snapshot_version=score.snapshot_version,
            scored_at=score.created_at,
            reasons=_reasons(score.reasons),
        ),
        result=_summary(result) if result is not None else None,
    )


_LATEST_SCORES = (
    select(
        CreditScore,
        registry.ACTIVE_VERSION.scalar_subquery().label("active_model"),
        select(ProfileSnapshot.id)
        .where(ProfileSnapshot.enterprise_id == bindparam("enterprise_id"))
        .order_by(ProfileSnapshot.version.desc())
        .limit(1)
        .scalar_subquery()
        .label("latest_snapshot_id"),
        select(ScoreReview.id)
        .where(ScoreReview.score_id == CreditScore.id)
        .order_by(ScoreReview.created_at.desc())
        .limit(1)
        .correlate(CreditScore)
        .scalar_subquery()
        .label("review_id"),
    )
    .where(CreditScore.enterprise_id == bindparam("enterprise_id"))
    .order_by(
        CreditScore.snapshot_version.desc(), CreditScore.created_at.desc(), CreditScore.id.desc()
    )
    .limit(HISTORY + 1)
)
"""An enterprise's latest scores, each with the active model, the enterprise's latest snapshot
and the score's latest review: the score page in one round trip."""


class ScoreService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _scores(self, enterprise_id: UUID, limit: int) -> list[CreditScore]:
        rows = await self.session.scalars(
            select(CreditScore)
            .where(CreditScore.enterprise_id == enterprise_id)
            .order_by(
                CreditScore.snapshot_version.desc(),
                CreditScore.created_at.desc(),
                CreditScore.id.desc(),
            )
            .limit(limit)
        )
        return list(rows)

    async def latest_for(self, enterprise_id: UUID, principal: Principal) -> ScoreOut | None:
        """The latest score (of the latest scored snapshot) with reasons and the earlier ones,
        in one statement (a second one only to describe a review, when there is one); None
        while none has been computed (a new enterprise's normal state, not an error)."""
        require_readable_enterprise(principal, enterprise_id)
        rows = (await self.session.execute(_LATEST_SCORES, {"enterprise_id": enterprise_id})).all()
        if not rows:
            if await registry.active_version(self.session) is None:
                raise Conflict("no score yet: no scoring model is active")
            return None
        scores = [row.CreditScore for row in rows]
        latest, active, snapshot_id, review_id = rows[0]
        review = await self.session.get(ScoreReview, review_id) if review_id else None
        await AccessLog(self.session).record(
            enterprise_id,
            principal,
            resource="credit_score",
            detail=f"model {latest.model_version}, snapshot version {latest.snapshot_version}",
        )
        return ScoreOut(
            enterprise_id=enterprise_id,
            score_id=latest.id,
            score=latest.score,
            grade=latest.grade,
            pd=float(latest.pd),
            model_version=latest.model_version,
            snapshot_id=latest.snapshot_id,
            snapshot_version=latest.snapshot_version,
            scored_at=latest.created_at,
            reasons=_reasons(latest.reasons),
            active_model=active,
            current=latest.model_version == active and snapshot_id == latest.snapshot_id,
            review=_brief(review) if review is not None else None,
            history=[_summary(s) for s in scores[1:]],
        )

    # --- human review (PIPL Art.24) -------------------------------------------------------------
    async def request_review(
        self,
        enterprise_id: UUID,
        data: ReviewCreate,
        principal: Principal,
        today: dt.date | None = None,
    ) -> ReviewOut:
        """The SME asks a person to review its latest score; one open review per score."""
        require_own_enterprise(principal, enterprise_id)
        today = today or china_today()
        enterprise = await self.session.scalar(
            select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update()
        )
        if enterprise is None:
            raise NotFound("no such enterprise")
        scores = await self._scores(enterprise_id, 1)
        if not scores:
            raise NotFound("there is no score to review yet")
        score = scores[0]
        open_review = await self.session.scalar(
            select(ScoreReview.id).where(
                ScoreReview.score_id == score.id, ScoreReview.status == ReviewStatus.OPEN
            )
        )
        if open_review is not None:
            raise Conflict("a review of this score is already open")
        review = ScoreReview(
            enterprise_id=enterprise_id,
            score_id=score.id,
            requested_by=principal.user_id,
            reason=clean_text("reason", data.reason, min_length=5),
            due_on=today + dt.timedelta(days=REVIEW_DAYS),
            status=ReviewStatus.OPEN,
        )
        self.session.add(review)
        await self.session.flush()
        log.info("score_review_requested", review_id=str(review.id), score_id=str(score.id))
        return review_out(review, enterprise.name, score, None, today)

    async def review_queue(
        self,
        principal: Principal,
        *,
        status: ReviewStatus | None,
        overdue_only: bool,
        today: dt.date | None = None,
    ) -> list[ReviewOut]:
        """The office's queue, soonest due first, each with the reasons it is about."""
        require_office(principal)
        today = today or china_today()
        stmt = (
            select(ScoreReview, Enterprise.name, CreditScore)
            .join(Enterprise, Enterprise.id == ScoreReview.enterprise_id)
            .join(CreditScore, CreditScore.id == ScoreReview.score_id)
        )
        if status is not None:
            stmt = stmt.where(ScoreReview.status == status)
        if overdue_only:
            stmt = stmt.where(ScoreReview.status == ReviewStatus.OPEN, ScoreReview.due_on < today)
        rows = (
            await self.session.execute(stmt.order_by(ScoreReview.due_on, ScoreReview.created_at))
        ).all()
        results = await self._results([r[0].result_score_id for r in rows])
        return [
            review_out(r, name, score, results.get(r.result_score_id), today)
            for r, name, score in rows
        ]

    # --- the model, for the office ---------------------------------------------------------------
    async def drift(self, principal: Principal) -> DriftOut:
        """PSI of the active model's last 30 days of scores and top features (the office)."""
        return await drift_report(self.session, principal)

    async def models(self, principal: Principal) -> ModelsOut:
        """Registered model versions, the active one and the activations (the office)."""
        return await registry.overview_for(self.session, principal)

    async def _results(self, ids: list[UUID | None]) -> dict[UUID | None, CreditScore]:
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return {}
        rows = await self.session.scalars(select(CreditScore).where(CreditScore.id.in_(wanted)))
        return {s.id: s for s in rows}

    async def resolve_review(
        self, review_id: UUID, data: ReviewResolve, principal: Principal
    ) -> ReviewOut:
        """Close a review. ``rescored`` and ``corrected`` attach the active model's score of
        the latest snapshot (computed now if the jobs have not yet), ``upheld`` keeps it."""
        require_office(principal)
        review = await self.session.scalar(
            select(ScoreReview).where(ScoreReview.id == review_id).with_for_update()
        )
        if review is None:
            raise NotFound("no such review")
        if review.status != ReviewStatus.OPEN:
            raise Conflict("this review is already resolved")
        result: CreditScore | None = None
        if data.resolution is not ReviewResolution.UPHELD:
            bundle = await registry.require_active_bundle(self.session)
            snapshot = await snapshots.latest(self.session, review.enterprise_id)
            if snapshot is None:  # pragma: no cover - a scored enterprise has snapshots
                raise Conflict("the enterprise has no profile to score")
            result = await score_snapshot(self.session, snapshot.id, bundle=bundle)
        now = utc_now()
        review.status = ReviewStatus.RESOLVED
        review.resolution = data.resolution
        review.note = clean_text("note", data.note, min_length=5)
        review.result_score_id = result.id if result is not None else None
        review.resolved_by, review.resolved_at = principal.user_id, now
        await self.session.flush()
        score = await self.session.get(CreditScore, review.score_id)
        enterprise = await self.session.get(Enterprise, review.enterprise_id)
        assert score is not None and enterprise is not None
        log.info(
            "score_review_resolved", review_id=str(review_id), resolution=data.resolution.value
        )
        return review_out(review, enterprise.name, score, result, china_today())


async def overdue_review_count(session: AsyncSession, today: dt.date | None = None) -> int:
    """Open human-review requests past their due date (the office's alerts; the same rule as
    the queue's ``overdue``)."""
    count = await session.scalar(
        select(func.count())
        .select_from(ScoreReview)
        .where(
            ScoreReview.status == ReviewStatus.OPEN, ScoreReview.due_on < (today or china_today())
        )
    )
    return int(count or 0)


async def latest_score(
    session: AsyncSession, enterprise_id: UUID
) -> tuple[ScoreSummary, list[ScoreReason]] | None:
    """The enterprise's latest stored score and its reasons (for the bank API's profile, which
    writes its own access-log line)."""
    row = await session.scalar(
        select(CreditScore)
        .where(CreditScore.enterprise_id == enterprise_id)
        .order_by(CreditScore.created_at.desc())
        .limit(1)
    )
    return (_summary(row), _reasons(row.reasons)) if row is not None else None
