"""The CPU side of batch scoring: JSON snapshots in, rows to store out.

Kept apart from ``services`` so that worker processes (``score_all(processes=N)``) import only
this, the feature code and the bundle: no database, no web framework. A worker loads the
bundle once, from the same stored bytes the parent serves with (``init``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring.bundle import ModelBundle

# (pd, score, grade, reasons as JSON text, features with None for missing)
Scored = tuple[float, int, str, str, list[float | None]]

_bundle: ModelBundle | None = None


def init(model_text: str, manifest: dict[str, Any]) -> None:
    """Worker-process initializer: load the bundle once."""
    global _bundle
    _bundle = ModelBundle.from_files(model_text, manifest)


def compute(texts: Sequence[str], bundle: ModelBundle | None = None) -> list[Scored]:
    """Decode the snapshots, build their feature matrix, and score it (reasons included)."""
    model = bundle or _bundle
    if model is None:  # pragma: no cover - init() runs first in every worker
        raise RuntimeError("no bundle loaded in this process")
    if not texts:
        return []
    decode = msgspec.json.Decoder().decode
    encode = msgspec.json.encode
    X = fx.matrix(decode(text) for text in texts)
    return [
        (r.pd, r.score, r.grade, encode(r.reasons).decode(), r.features)
        for r in model.score_matrix(X)
    ]
