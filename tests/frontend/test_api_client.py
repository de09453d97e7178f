"""The portals' API client is generated from the server's OpenAPI document and kept current."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from xinyidai.app import openapi_document

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
REGENERATE = "run `make api` and commit frontend/openapi.json and frontend/src/api/generated"


def test_the_committed_openapi_document_is_the_servers() -> None:
    committed = json.loads((FRONTEND / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(openapi_document()), (
        f"frontend/openapi.json is stale: {REGENERATE}"
    )


def _differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right)
    found = [f"only in one: {name}" for name in compared.left_only + compared.right_only]
    found += [f"differs: {name}" for name in compared.diff_files]
    for name, sub in compared.subdirs.items():
        found += [f"{name}/{item}" for item in _differences(Path(sub.left), Path(sub.right))]
    return found


def test_the_generated_client_matches_the_document(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (FRONTEND / "node_modules" / "@hey-api").is_dir():
        pytest.fail("Node and frontend/node_modules are needed: `make test` installs them")
    out = tmp_path / "generated"
    subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [node, "scripts/generate-api.mjs", str(out)], cwd=FRONTEND, check=True, timeout=120
    )
    differences = _differences(FRONTEND / "src" / "api" / "generated", out)
    assert not differences, f"frontend/src/api/generated is stale ({differences}): {REGENERATE}"
