"""What the sandbox bank does with an application it accepted: review, decide, lend.

:meth:`Automation.start` runs :meth:`Automation.process` as a task on the bank's own event loop
(the server's), after the intake answered. The task:

1. pulls the profile at the document's ``links.profile`` (a refusal, e.g. no live consent,
   leaves the profile ``None``, which the policy rejects as ``insufficient_data``);
2. marks the application under review (``POST /openapi/v1/applications/{id}/review``);
3. decides by :func:`~.policy.decide` (the policy is documented there) and posts the decision
   to ``links.decision``;
4. after an approval answered with a ``loan_id``, posts the loan's events on a demo clock
   of its own starting today (:mod:`.lending`).

A 409 from the platform (the application was already decided, or withdrawn) stops it, as does
any other refusal; network errors, 429 and 5xx are retried by the client
(:class:`~.platform.PlatformClient`). ``progress`` keeps each application's story
(``GET /_sandbox/intake``): ``stage`` (``pulling``, ``reviewing``, ``deciding``, ``lending``,
``done``, ``stopped``, ``failed``), the decision, the loan id, the posted event keys.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog

from xinyidai.sandbox.bank.lending import DemoClock, plan_loan, run_loan
from xinyidai.sandbox.bank.platform import PlatformClient, PlatformUnavailable
from xinyidai.sandbox.bank.policy import decide

log = structlog.get_logger(__name__)


@dataclass
class Automation:
    client: PlatformClient
    clock: DemoClock
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self, application: dict[str, Any]) -> None:
        """Process ``application`` in the background (on the running loop)."""
        task = asyncio.get_running_loop().create_task(self.process(application))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def idle(self) -> None:
        """Wait for every running task (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def cancel(self) -> None:
        for task in list(self.tasks):  # from any thread: the tasks run on the server's loop
            task.get_loop().call_soon_threadsafe(task.cancel)
        self.progress.clear()

    async def process(self, application: dict[str, Any]) -> None:
        app_id = str(application["id"])
        record: dict[str, Any] = {"stage": "pulling", "events": []}
        self.progress[app_id] = record
        try:
            await self._process(application, app_id, record)
        except PlatformUnavailable as exc:
            record.update(stage="failed", error=str(exc))
        except Exception as exc:  # a background task must not end unseen
            log.exception("sandbox_bank_processing_failed", application_id=app_id)
            record.update(stage="failed", error=f"{type(exc).__name__}: {exc}")

    def _stopped(self, record: dict[str, Any], step: str, status: int) -> None:
        record.update(stage="stopped", stopped={"step": step, "status": status})

    async def _process(
        self, application: dict[str, Any], app_id: str, record: dict[str, Any]
    ) -> None:
        links = application.get("links") or {}
        pulled = await self.client.call("GET", str(links["profile"]))
        record["profile_status"] = pulled.status_code
        profile = pulled.json() if pulled.status_code == 200 else None
        record["stage"] = "reviewing"
        review = await self.client.call("POST", f"/openapi/v1/applications/{app_id}/review")
        if review.status_code != 200:
            self._stopped(record, "review", review.status_code)
            return
        record["stage"] = "deciding"
        decision = decide(application, profile)
        record["decision"] = decision.body()
        decision_link = links.get("decision") or f"/openapi/v1/applications/{app_id}/decision"
        answer = await self.client.call("POST", str(decision_link), json_body=decision.body())
        if answer.status_code != 200:
            self._stopped(record, "decision", answer.status_code)
            return
        loan_id = answer.json().get("loan_id")
        record["loan_id"] = loan_id
        if decision.outcome == "approve" and loan_id:
            record["stage"] = "lending"
            # Each loan runs on a calendar of its own from today (China time, as the platform
            # dates its approval): its dates run ahead by its term at most, however long the
            # bank has been up (within LOAN_EVENT_FUTURE_DAYS).
            clock = DemoClock(
                self.clock.months_per_minute, started=self.clock.now(), now=self.clock.now
            )
            plan = plan_loan(
                str(loan_id),
                app_id,
                decision.amount or Decimal(0),
                decision.annual_rate or Decimal(0),
                decision.term_months,
                clock.today(),
            )
            await run_loan(self.client, str(loan_id), plan, clock, record)
            if "stopped" in record:
                record["stage"] = "stopped"
                return
        record["stage"] = "done"
