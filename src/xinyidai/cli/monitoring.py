"""``xinyidai monitoring``: the credit office's statistics rollups."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import click

from xinyidai.cli.common import console, in_session, load_settings
from xinyidai.infra.engines import engines

if TYPE_CHECKING:
    from xinyidai.domain.monitoring.rebuild import Rebuilt


REBUILD_TIMEOUT = 3600.0
"""Seconds a statement of the rebuild may take."""


@click.group("monitoring")
def monitoring_group() -> None:
    """The credit office's statistics."""


@monitoring_group.command("rebuild")
def rebuild_command() -> None:
    """Recompute every statistics rollup from the applications, loans and loan events (after
    a bulk load, or as a repair); one transaction, events wait while it runs."""
    from xinyidai.domain.monitoring.rebuild import rebuild

    with engines(load_settings(), need_redis=False) as started:
        # At city scale its statements take minutes, not a request's few seconds.
        settings = dataclasses.replace(
            started, db_command_timeout=max(started.db_command_timeout, REBUILD_TIMEOUT)
        )

        async def work(session: Any, _: Any) -> Rebuilt:
            return await rebuild(session)

        rebuilt = in_session(settings, work)
    console.print(
        f"[bold]rollups rebuilt[/]: {rebuilt.daily_rows} daily rows, "
        f"{rebuilt.response_rows} response-time rows"
    )
