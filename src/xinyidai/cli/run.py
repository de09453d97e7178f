"""``xinyidai run``: engines, migrations, the demo city and its model, the sandbox banks, then the
server (the same Granian server as ``xinyidai serve``, one web process unless told; outside
production each web process also runs a job worker, which relays applications to the banks)."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from typing import Any

import click

from xinyidai.cli.common import (
    configure_logging,
    console,
    identity_or_sandbox,
    in_session,
    load_settings,
    provider_or_sandbox,
)
from xinyidai.cli.demo import print_seed, seed_city, sync_city, verify_city
from xinyidai.cli.plugins import DEMO_MODEL, demo_model_trainer
from xinyidai.cli.sandbox_banks import demo_settings, sandbox_banks
from xinyidai.cli.score import score_with_progress
from xinyidai.cli.serve import announce, serve_app, server_options
from xinyidai.infra.engines import engines
from xinyidai.settings import Env, Settings


@click.command("run")
@server_options
@click.option("--seed/--no-seed", default=True, help="Seed the demo city into an empty database.")
def run(host: str | None, port: int | None, seed: bool, workers: int) -> None:
    """Start embedded engines as needed, migrate, seed the demo city, and serve."""
    from xinyidai.infra import migrate

    base = load_settings()
    configure_logging(base)  # LOG_LEVEL holds for the set-up too, not only the server
    # During the set-up SIGTERM becomes KeyboardInterrupt, as Ctrl-C is, so that the engines and
    # the sandboxes this command started are stopped on either.
    signal.signal(signal.SIGTERM, _interrupt)
    with (
        engines(base) as started,
        provider_or_sandbox(started) as with_provider,
        identity_or_sandbox(with_provider) as with_identity,
    ):
        settings = demo_settings(with_identity)  # what the sandbox banks need of the platform
        assert settings.database_url
        console.print("[bold]migrating[/] the database …")
        migrate.upgrade(settings.database_url)
        if seed and settings.env is not Env.PRODUCTION:
            ensure_model(settings)
            report = seed_city(settings)
            print_seed(report)
            authorized = verify_city(settings)
            if report.created or authorized:
                sync_city(settings)
            _score_city(settings)
        bind_host, bind_port = host or settings.host, port or settings.port
        with sandbox_banks(settings, f"http://{_reach(bind_host)}:{bind_port}"):
            announce(bind_host, bind_port, workers)
            # Granian handles SIGINT and SIGTERM itself: it stops its workers and returns, and
            # the blocks above stop the sandboxes and the engines.
            serve_app(settings, bind_host, bind_port, workers)
    console.print("stopped")


def _reach(host: str) -> str:
    """The address this machine's processes reach a server bound to ``host`` at."""
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def ensure_model(settings: Settings) -> None:
    """Development: when no scoring model is active (or the active one was trained with other
    feature code, so it cannot be served), train a quick one on a simulated city, register and
    activate it, so that the demo SMEs get scores.

    The training comes from the ML project's ``xinyidai.demo_model`` plugin; without it (the
    production image) this says so and the platform serves without a model."""
    from xinyidai.domain.scoring import registry

    async def active(session: Any, _: Any) -> str | None:
        bundle = await registry.active_bundle(session)
        return bundle.version if bundle is not None else None

    if in_session(settings, active) is not None:
        return
    train = demo_model_trainer()
    if train is None:
        console.print(
            "[yellow]no scoring model is active[/] and no demo-model trainer is installed "
            f"(the ML project's `{DEMO_MODEL}` entry point): serving without scores; "
            "`xinyidai model register DIR` and `xinyidai model activate VERSION` add one"
        )
        return
    console.print("[bold]training[/] a quick scoring model on a simulated city (none is active) …")
    with tempfile.TemporaryDirectory(prefix="xyd-model-") as tmp:
        directory = train(Path(tmp) / "bundle")

        async def install(session: Any, _: Any) -> str:
            registered = await registry.register(session, directory, "xinyidai run")
            await registry.activate(
                session, registered.version, "xinyidai run", "development: no model was active"
            )
            return registered.version

        version = in_session(settings, install)
    console.print(f"active scoring model: {version}")


def _score_city(settings: Settings) -> None:
    """Score what is not scored yet, then tell the SMEs that now qualify for a product (the
    server's worker does both from here on, as data and products change)."""
    from xinyidai.domain.notifications.qualify import find_new_qualifiers

    report = score_with_progress(settings, batch_size=2000, recompute=False, quiet=True)
    if report.scored:
        console.print(f"scored {report.scored} SMEs with model {report.model_version}")

    async def check(session: Any, _: Any) -> int:
        return await find_new_qualifiers(session)

    told = in_session(settings, check)
    if told:
        console.print(f"{told} notices sent: SMEs that now qualify for a product")
