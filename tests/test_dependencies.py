"""Every third-party library the code imports is declared in pyproject.toml.

A library that is only installed because another one depends on it can disappear with that
library's next release; importing it directly means declaring it.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pyproject(directory: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / directory / "pyproject.toml").read_text(encoding="utf-8"))


# Each checked tree, the project whose dependencies it may use, and the dependency groups of the
# root project it may use beyond them: the shipped code and its migrations only the runtime ones.
TREES: dict[str, tuple[str, tuple[str, ...]]] = {
    "src": (".", ()),
    "migrations": (".", ()),
    "bench": (".", ("dev",)),
    "tests": (".", ("dev",)),
    "ml/src": ("ml", ()),
    "ml/tests": ("ml", ("dev",)),
}

# The workspace's projects, by import name (editable installs do not list their modules).
WORKSPACE = {"xinyidai": "xinyidai", "xinyidai_ml": "xinyidai-ml"}

# Top-level names that are this repository's own code, not libraries.
LOCAL = {"bench", "tests", "migrations"}


def _normalise(name: str) -> str:
    """A distribution name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return _normalise(match.group())


def _declared(project: str, groups: tuple[str, ...]) -> set[str]:
    """The distributions a tree may import: its project, that project's dependencies and the
    root's named groups."""
    metadata = _pyproject(project)
    requirements = [metadata["project"]["name"], *metadata["project"]["dependencies"]]
    for group in groups:
        requirements += _pyproject(".")["dependency-groups"][group]
    return {_requirement_name(requirement) for requirement in requirements}


def _imported_modules(tree: Path) -> Iterator[tuple[str, Path]]:
    """The top-level name of every absolute import under a tree, with the file importing it."""
    for path in sorted(tree.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name.partition(".")[0], path
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.partition(".")[0], path


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_imported_library_is_declared(tree: str) -> None:
    declared = _declared(*TREES[tree])
    distributions = packages_distributions()
    undeclared: dict[str, str] = {}
    for module, path in _imported_modules(ROOT / tree):
        if module in sys.stdlib_module_names or module in LOCAL or module in undeclared:
            continue
        found = [WORKSPACE[module]] if module in WORKSPACE else distributions.get(module, [])
        providers = {_normalise(name) for name in found}
        if not providers:
            undeclared[module] = f"{path.relative_to(ROOT)}: no installed distribution"
        elif not providers & declared:
            names = ", ".join(sorted(providers))
            undeclared[module] = f"{path.relative_to(ROOT)}: {names} is not declared"
    assert not undeclared, undeclared
