"""Resolve the database and Redis a command should use: the configured URLs, or embedded engines."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog

from xinyidai.infra.embedded import EmbeddedPostgres, EmbeddedRedis
from xinyidai.settings import Settings

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def engines(settings: Settings, *, need_redis: bool = True) -> Iterator[Settings]:
    """Yield settings whose ``database_url`` (and ``redis_url``) are set, starting embedded
    PostgreSQL / Redis under ``settings.data_dir`` for whichever is unset, and stopping on exit
    whatever was started here."""
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    overrides: dict[str, Any] = {}
    data_dir = Path(settings.data_dir)
    try:
        if not settings.database_url:
            pg = EmbeddedPostgres(data_dir / "pg")
            overrides["database_url"] = pg.start()
            started.append(pg)
            log.info("embedded_postgres", data=str(data_dir / "pg"))
        if need_redis and not settings.redis_url:
            redis = EmbeddedRedis(data_dir / "redis")
            overrides["redis_url"] = redis.start()
            started.append(redis)
            log.info("embedded_redis", data=str(data_dir / "redis"))
        yield dataclasses.replace(settings, **overrides)
    finally:
        for engine in reversed(started):
            engine.stop()
