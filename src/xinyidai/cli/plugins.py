"""Commands and helpers that other installed projects lend the ``xinyidai`` command.

The offline ML work (simulator, training, evaluation) is its own project that depends on
``xinyidai``, never the reverse, and the production image ships without it. It plugs in through
package entry points, found here at run time:

* ``xinyidai.model_commands``: each entry point is a click command added to ``xinyidai model``
  (``train``, ``evaluate``), under the entry point's name.
* ``xinyidai.demo_model``, entry point ``train``: a callable ``(out_dir: Path) -> Path`` that
  trains the quick demo model bundle into ``out_dir`` and returns its directory; ``xinyidai
  run`` uses it when no model is active.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import click

from xinyidai.cli.common import console

MODEL_COMMANDS = "xinyidai.model_commands"
DEMO_MODEL = "xinyidai.demo_model"

DemoModelTrainer = Callable[[Path], Path]


def model_commands() -> dict[str, click.Command]:
    """The installed ``model`` subcommands, by entry point name. One that fails to load is
    reported and left out, so that the serving commands keep working."""
    commands: dict[str, click.Command] = {}
    for entry in entry_points(group=MODEL_COMMANDS):
        if entry.name in commands:  # the first one installed wins
            continue
        try:
            command = entry.load()
        except Exception as exc:  # a broken plugin must not take the whole command down
            console.print(f"[yellow]plugin {entry.name} ({entry.value}) not loaded:[/] {exc}")
            continue
        if not isinstance(command, click.Command):
            console.print(f"[yellow]plugin {entry.name} ({entry.value}) is not a click command[/]")
            continue
        commands[entry.name] = command
    return commands


def demo_model_trainer() -> DemoModelTrainer | None:
    """The installed demo-model trainer, or ``None`` when no ML project is installed."""
    for entry in entry_points(group=DEMO_MODEL, name="train"):
        # The entry point's documented contract; only its callability can be checked here.
        trainer: DemoModelTrainer = entry.load()
        if not callable(trainer):
            raise click.ClickException(f"{DEMO_MODEL} entry point {entry.value} is not callable")
        return trainer
    return None
