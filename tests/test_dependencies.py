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

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Each checked tree and the dependency groups it may use beyond the project's own
# dependencies: the shipped code and its migrations only the runtime ones.
TREES: dict[str, tuple[str, ...]] = {
    "src": (),
    "migrations": (),
    "bench": ("dev",),
    "tests": ("dev",),
}

# Top-level names that are this repository's own code, not libraries.
LOCAL = {"xinyidai", "bench", "tests", "migrations"}


def _normalise(name: str) -> str:
    """A distribution name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return _normalise(match.group())


def _declared(groups: tuple[str, ...]) -> set[str]:
    requirements = list(PYPROJECT["project"]["dependencies"])
    for group in groups:
        requirements += PYPROJECT["dependency-groups"][group]
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
    declared = _declared(TREES[tree])
    distributions = packages_distributions()
    undeclared: dict[str, str] = {}
    for module, path in _imported_modules(ROOT / tree):
        if module in sys.stdlib_module_names or module in LOCAL or module in undeclared:
            continue
        providers = {_normalise(name) for name in distributions.get(module, [])}
        if not providers:
            undeclared[module] = f"{path.relative_to(ROOT)}: no installed distribution"
        elif not providers & declared:
            names = ", ".join(sorted(providers))
            undeclared[module] = f"{path.relative_to(ROOT)}: {names} is not declared"
    assert not undeclared, undeclared
