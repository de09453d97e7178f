"""How many series calls a sandbox provider is answering at once, for tests.

``ConcurrencyProbe`` counts the calls in progress and keeps the highest count seen (``peak``).
Armed with ``gather(parties)``, the next ``parties`` calls each wait until all of them have
arrived (or ``timeout`` seconds have passed), so calls a client sends together are seen
together, however the scheduler orders them: a client that sends them one after another waits
the timeout once per call instead, and the peak shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class ConcurrencyProbe:
    in_flight: int = 0
    peak: int = 0
    parties: int = 0  # calls still expected at the gathering point (0: none armed)
    timeout: float = 5.0
    _arrived: asyncio.Event | None = field(default=None, repr=False)

    def gather(self, parties: int, timeout: float = 5.0) -> None:
        """The next ``parties`` calls wait for each other (at most ``timeout`` seconds)."""
        if parties < 1 or timeout <= 0:
            raise ValueError("parties must be at least 1 and timeout positive")
        self.parties, self.timeout, self._arrived = parties, timeout, None

    def clear(self) -> None:
        self.in_flight = self.peak = self.parties = 0
        self._arrived = None

    @asynccontextmanager
    async def call(self) -> AsyncIterator[None]:
        """One call, counted while it runs (and held at the gathering point if one is armed)."""
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.parties:
                await self._gather()
            yield
        finally:
            self.in_flight -= 1

    async def _gather(self) -> None:
        if self._arrived is None:
            self._arrived = asyncio.Event()  # made here: on the sandbox's own event loop
        arrived = self._arrived
        self.parties -= 1
        if self.parties == 0:
            arrived.set()
        try:
            async with asyncio.timeout(self.timeout):
                await arrived.wait()
        except TimeoutError:
            pass
