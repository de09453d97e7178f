"""Faults a sandbox service is told to suffer, for tests: a queue of named kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Self


@dataclass
class FaultQueue:
    """``pending`` is consumed one kind per use, in order; once it is empty, ``persistent`` (if
    set) applies every time. Subclasses name the kinds their service knows."""

    KINDS: ClassVar[frozenset[str]] = frozenset()

    pending: list[str] = field(default_factory=list)
    persistent: str | None = None

    def check(self, kind: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(self.KINDS)}")

    def arm(self, kind: str, times: int = 1) -> Self:
        self.check(kind)
        self.pending.extend([kind] * times)
        return self

    def always(self, kind: str | None) -> Self:
        if kind is not None:
            self.check(kind)
        self.persistent = kind
        return self

    def take(self) -> str | None:
        if self.pending:
            return self.pending.pop(0)
        return self.persistent

    def clear(self) -> None:
        self.pending.clear()
        self.persistent = None
