"""The SME dashboard's first load stays within its JavaScript budget: 400 kB gzipped (the same
computation as the ``bundle_sme`` row of ``make bench``, bench/bundle_size.py). Sizes are
deterministic for a build, so this is a test, not only a bench row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.bundle_size import BUDGET_KB, DIST, MANIFEST, route_bundle, static_closure
from bench.harness import BenchError


def test_the_sme_dashboard_loads_at_most_400_kb_of_gzipped_javascript() -> None:
    if not (DIST / MANIFEST).exists():
        pytest.fail(f"no {DIST / MANIFEST}: `make test` builds the portal (`make portal`)")
    bundle = route_bundle()
    files = [c.file for c in bundle.chunks]
    assert any(f.startswith("assets/index-") for f in files), files  # the entry is counted
    assert bundle.gzip_kb <= BUDGET_KB, (
        f"/sme loads {bundle.gzip_kb:.1f} kB of gzipped JavaScript, over the {BUDGET_KB:g} kB "
        f"budget:\n{bundle.describe()}"
    )


def _manifest(tmp_path: Path, manifest: dict[str, object], files: dict[str, bytes]) -> Path:
    (tmp_path / MANIFEST).parent.mkdir(parents=True)
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_the_figure_counts_static_imports_once_and_leaves_dynamic_ones_out(
    tmp_path: Path,
) -> None:
    manifest = {
        "index.html": {
            "file": "assets/index.js",
            "isEntry": True,
            "imports": ["_vendor.js"],
            "dynamicImports": ["src/pages/sme/dashboard/Page.vue", "src/pages/other/Page.vue"],
            "css": ["assets/index.css"],
        },
        "_vendor.js": {"file": "assets/vendor.js"},
        "_charts.js": {"file": "assets/charts.js", "imports": ["_vendor.js"]},
        "src/pages/sme/dashboard/Page.vue": {
            "file": "assets/dashboard.js",
            "imports": ["_vendor.js", "_charts.js", "index.html"],  # a cycle back to the entry
            "isDynamicEntry": True,
        },
        "src/pages/other/Page.vue": {"file": "assets/other.js", "isDynamicEntry": True},
    }
    files = {
        "assets/index.js": b"i" * 1000,
        "assets/vendor.js": b"v" * 2000,
        "assets/charts.js": bytes(range(256)) * 40,
        "assets/dashboard.js": b"d" * 10,
        "assets/other.js": bytes(range(256)) * 400,
        "assets/index.css": bytes(range(256)) * 400,
    }
    bundle = route_bundle(_manifest(tmp_path, manifest, files))
    assert sorted(c.file for c in bundle.chunks) == [
        "assets/charts.js",
        "assets/dashboard.js",
        "assets/index.js",
        "assets/vendor.js",
    ]
    assert bundle.raw_kb == (1000 + 2000 + 256 * 40 + 10) / 1000
    assert 0 < bundle.gzip_kb < bundle.raw_kb


def test_a_missing_chunk_or_manifest_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="make portal"):
        route_bundle(tmp_path)
    with pytest.raises(BenchError, match=r"_gone\.js"):
        static_closure({"index.html": {"file": "a.js", "imports": ["_gone.js"]}}, ["index.html"])
