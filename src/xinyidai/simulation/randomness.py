"""Counter-based randomness of the simulated city: no generator state, so the same inputs give
the same values in any process and in any batch.

Each firm has a 64-bit **firm key** (the first 8 bytes of BLAKE2b over
``"<GENERATOR_VERSION>|<seed>|<USCC>"``, never Python's salted ``hash()``). Every draw is
``splitmix64(mix(firm key ^ purpose constant) + month index · γ)`` with a fixed *purpose id* per
quantity (:mod:`xinyidai.simulation.purposes`); the top 53 bits give a uniform in (0, 1) and
``scipy.special.ndtri`` turns it into a standard normal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]

GENERATOR_VERSION = 2
"""Part of every firm key: changing it changes every value."""

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0**-53


def _mix(z: U64) -> U64:
    """The splitmix64 finaliser (a bijection of 64-bit words with good avalanche)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def firm_key(uscc: str, seed: int) -> int:
    """The 64-bit key of firm ``uscc`` in the city ``seed``."""
    text = f"{GENERATOR_VERSION}|{seed}|{uscc.strip().upper()}"
    digest = hashlib.blake2b(text.encode(), digest_size=8, person=b"xinyidai-sim").digest()
    return int.from_bytes(digest, "big")


def firm_keys(usccs: Iterable[str], seed: int) -> U64:
    return np.fromiter((firm_key(u, seed) for u in usccs), dtype=np.uint64)


def _purpose_constant(purpose: int) -> np.uint64:
    return np.uint64((purpose * 0xD1B54A32D192ED03 + 0x8CB92BA72F3D8DD7) % 2**64)


def _bits(keys: U64, purpose: int, months: I64 | None) -> U64:
    base = _mix(keys ^ _purpose_constant(purpose))
    if months is None:
        return _mix(base + _GAMMA)
    counter = months.astype(np.uint64) * _GAMMA
    return _mix(base[:, None] + counter[None, :])


def uniforms(keys: U64, purpose: int, months: I64 | None = None) -> F64:
    """Uniforms in (0, 1): one per firm (``months`` None) or a firms × months matrix."""
    bits = _bits(keys, purpose, months)
    return ((bits >> _S11).astype(np.float64) + 0.5) * _TO_UNIT


def normals(keys: U64, purpose: int, months: I64 | None = None) -> F64:
    """Standard normals, like :func:`uniforms`."""
    return np.asarray(ndtri(uniforms(keys, purpose, months)), dtype=np.float64)


# Purpose ids: fixed forever (never renumber; add new ones at the end). 1-99 traits,
# 100-199 monthly draws; the credit simulator uses 1000 and up.
