"""The browser tests' platform: ``xinyidai run`` itself (embedded engines under ``DATA_DIR``,
migrations, the sandbox provider and identity service, the demo city verified, synced and
scored, then the Granian server), with one change: instead of training the quick scoring model
it installs a bundle already trained (the suite's shared ``bundle_dir``).

    python -m tests.e2e.server BUNDLE_DIR [xinyidai run options]

Settings come from the environment as for ``xinyidai run`` (``tests/e2e/live.py`` sets them).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from unittest import mock

from xinyidai.cli import run as run_command
from xinyidai.cli.plugins import DemoModelTrainer


def _installer(bundle: Path) -> DemoModelTrainer:
    def install(out_dir: Path) -> Path:
        shutil.copytree(bundle, out_dir)
        return out_dir

    return install


def main(argv: list[str]) -> None:
    bundle = Path(argv[0])
    if not (bundle / "manifest.json").exists():
        raise SystemExit(f"no model bundle in {bundle}")
    # ``xinyidai run`` asks for the ML project's trainer only when no model is active.
    with mock.patch.object(run_command, "demo_model_trainer", return_value=_installer(bundle)):
        run_command.run.main(args=argv[1:], prog_name="xinyidai run", standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])
