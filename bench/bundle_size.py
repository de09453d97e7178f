"""The ``bundle_sme`` row of ``make bench`` (and ``tests/frontend/test_bundle_size.py``): the
gzipped JavaScript a browser downloads to show the SME dashboard (``/sme``) on a first visit.

That is the entry chunk with every chunk it imports statically, plus the dashboard page's chunk
with its static imports (the router loads the page on arrival), each counted once; dynamic
imports (other pages, ECharts on pages that use it) are not. The chunks come from Vite's build
manifest (``frontend/dist/.vite/manifest.json``, ``build.manifest`` in ``vite.config.ts``); each
file is gzipped at zlib's default level, as a server compressing on the fly would. Sizes are in
kB of 1,000 bytes, as Vite's build output prints them. Budget: 400 kB.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import ROOT, BenchError, Log

FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
MANIFEST = Path(".vite") / "manifest.json"
ENTRY = "index.html"
SME_DASHBOARD = "src/pages/sme/dashboard/Page.vue"  # the page of the route /sme
BUDGET_KB = 400.0


@dataclass(frozen=True, slots=True)
class Chunk:
    file: str  # under dist/
    bytes: int
    gzip_bytes: int


@dataclass(frozen=True, slots=True)
class RouteBundle:
    """The JavaScript of one route's first load."""

    page: str
    chunks: tuple[Chunk, ...]

    @property
    def gzip_kb(self) -> float:
        return sum(c.gzip_bytes for c in self.chunks) / 1000

    @property
    def raw_kb(self) -> float:
        return sum(c.bytes for c in self.chunks) / 1000

    def describe(self) -> str:
        """One line per chunk, largest first."""
        lines = [
            f"{c.gzip_bytes / 1000:8.1f} kB gz {c.bytes / 1000:8.1f} kB  {c.file}"
            for c in sorted(self.chunks, key=lambda c: -c.gzip_bytes)
        ]
        return "\n".join(lines)


def read_manifest(dist: Path = DIST) -> dict[str, Any]:
    """Vite's build manifest; BenchError when the portal was built without it (or not at all)."""
    path = dist / MANIFEST
    if not path.exists():
        raise BenchError(f"no {path}: build the portal with `make portal` (build.manifest on)")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def static_closure(manifest: dict[str, Any], keys: list[str]) -> list[str]:
    """The manifest keys ``keys`` with everything they import statically, transitively, in the
    order first reached (each once; import cycles, e.g. back to the entry, are fine)."""
    seen: list[str] = []
    pending = list(keys)
    while pending:
        key = pending.pop(0)
        if key in seen:
            continue
        if key not in manifest:
            raise BenchError(f"the build manifest has no chunk {key!r}")
        seen.append(key)
        pending.extend(manifest[key].get("imports", []))
    return seen


def route_bundle(dist: Path = DIST, page: str = SME_DASHBOARD) -> RouteBundle:
    """The JavaScript of the first load of the route whose page is ``page`` (a manifest key)."""
    manifest = read_manifest(dist)
    if manifest.get(ENTRY, {}).get("isEntry") is not True:
        raise BenchError(f"the build manifest has no entry {ENTRY!r}")
    files = []
    for key in static_closure(manifest, [ENTRY, page]):
        file = manifest[key]["file"]
        if file.endswith(".js") and file not in files:
            files.append(file)
    chunks = []
    for file in files:
        data = (dist / file).read_bytes()
        chunks.append(Chunk(file, len(data), len(gzip.compress(data, mtime=0))))
    return RouteBundle(page, tuple(chunks))


def build_portal(log: Log) -> None:
    """``make portal``: builds ``frontend/dist`` when it is missing or older than a source."""
    log("make portal (builds frontend/dist when stale)")
    try:
        subprocess.run(["make", "portal"], cwd=ROOT, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        output = getattr(exc, "stderr", "") or getattr(exc, "stdout", "") or str(exc)
        raise BenchError(
            f"`make portal` failed (Node and npm are needed):\n{output[-2000:]}"
        ) from exc


class SizeRow:
    """A size against an absolute budget (smaller is better); reported beside the scoring rows,
    which have absolute targets too."""

    def __init__(self, name: str, bundle: RouteBundle, budget_kb: float = BUDGET_KB) -> None:
        self.name = name
        self.bundle = bundle
        self.budget_kb = budget_kb

    @property
    def passed(self) -> bool:
        return self.bundle.gzip_kb <= self.budget_kb

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def cells(self) -> list[str]:
        reference = f"{self.bundle.raw_kb:,.1f} kB before gzip, {len(self.bundle.chunks)} files"
        return [self.name, f"{self.bundle.gzip_kb:,.1f} kB gz", f"≤ {self.budget_kb:g}",
                reference, self.verdict]  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "kind": "bundle",
            "value": round(self.bundle.gzip_kb, 1),
            "unit": "kB (gzip)",
            "target": self.budget_kb,
            "higher_is_better": False,
            "reference": None,
            "details": {
                "page": self.bundle.page,
                "raw_kb": round(self.bundle.raw_kb, 1),
                "chunks": [
                    {"file": c.file, "bytes": c.bytes, "gzip_bytes": c.gzip_bytes}
                    for c in self.bundle.chunks
                ],
            },
            "passed": self.passed,
        }


def run_bundle_scenario(name: str, log: Log, budget_kb: float = BUDGET_KB) -> SizeRow:
    """Build the portal if stale, then measure the SME dashboard's first load."""
    build_portal(log)
    bundle = route_bundle()
    log(f"{name}: {bundle.gzip_kb:.1f} kB gzipped JavaScript for /sme\n{bundle.describe()}")
    return SizeRow(name, bundle, budget_kb)
