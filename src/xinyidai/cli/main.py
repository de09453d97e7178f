"""The ``xinyidai`` command: the root group, and every command group added to it."""

from __future__ import annotations

import click

from xinyidai.cli.audit import audit_group
from xinyidai.cli.banks import banks_group
from xinyidai.cli.config import config_group
from xinyidai.cli.db import db_group
from xinyidai.cli.demo import demo_group
from xinyidai.cli.imports import import_group
from xinyidai.cli.model import model_group
from xinyidai.cli.monitoring import monitoring_group
from xinyidai.cli.oauth import oauth_group
from xinyidai.cli.plugins import model_commands
from xinyidai.cli.run import run
from xinyidai.cli.score import score_group
from xinyidai.cli.serve import serve
from xinyidai.cli.users import users_group
from xinyidai.cli.worker import worker


@click.group()
@click.version_option(package_name="xinyidai")
def main() -> None:
    """信易贷 Xinyidai: credit-first SME financing platform."""


main.add_command(run)
main.add_command(serve)
main.add_command(worker)
main.add_command(db_group)
main.add_command(users_group)
main.add_command(banks_group)
main.add_command(oauth_group)
main.add_command(demo_group)
main.add_command(config_group)
main.add_command(import_group)
main.add_command(model_group)
main.add_command(score_group)
main.add_command(audit_group)
main.add_command(monitoring_group)
# The offline commands (`model train`, `model evaluate`) come from the ML project, when installed.
for name, command in model_commands().items():
    model_group.add_command(command, name)
