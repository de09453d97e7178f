"""Passwords: hashing with Argon2id (argon2-cffi; the cost is the ``PASSWORD_HASH_COST`` setting,
RFC 9106's low-memory profile outside tests) and the strength rule for new passwords (zxcvbn plus
a list of common, breached and published passwords), both off the event loop.

A stored hash names its own parameters, so it verifies whatever the current cost; a login
rehashes it when its cost differs (``needs_rehash``)."""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Iterable

import anyio.to_thread
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from xinyidai.domain.accounts.common_passwords import COMMON_PASSWORDS
from xinyidai.infra.errors import InvalidInput
from xinyidai.settings import PasswordHashCost

# The minimal cost keeps the standard salt and hash lengths: only the work is cut.
_PARAMETERS = {
    PasswordHashCost.STANDARD: profiles.RFC_9106_LOW_MEMORY,
    PasswordHashCost.MINIMAL: dataclasses.replace(profiles.CHEAPEST, salt_len=16, hash_len=32),
}
NO_PASSWORD = "!"  # noqa: S105 - a stored hash that no password verifies against


@functools.cache
def _hasher(cost: PasswordHashCost) -> PasswordHasher:
    return PasswordHasher.from_parameters(_PARAMETERS[cost])


@functools.cache
def _dummy_hash(cost: PasswordHashCost) -> str:
    """Verified against when the account does not exist, so both paths cost the same."""
    return _hasher(cost).hash("xinyidai-no-such-account-placeholder")


MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable", about 10^8 guesses or more
# zxcvbn's cost grows with the length (about 15 ms at 72 characters); it refuses longer input.
_SCORED_PREFIX = 72
# Words of the platform itself, which an attacker of this site tries first.
PLATFORM_WORDS = ("xinyidai", "信易贷", "xyd", "xinyidai.com")
# Passwords published by the platform: the demo seed's DEMO_PASSWORD (domain/demo/seed.py).
# A test keeps this list and the seed in step.
PUBLISHED_PASSWORDS = frozenset({"xinyidai-demo-2026"})
# zxcvbn keeps the user inputs of a call in a module-level dictionary: calls must not overlap.
_zxcvbn_lock = threading.Lock()


async def hash_password(password: str, cost: PasswordHashCost) -> str:
    return await anyio.to_thread.run_sync(_hasher(cost).hash, password)


def _verify(stored: str | None, password: str, cost: PasswordHashCost) -> bool:
    try:
        # verify() reads the parameters from the stored hash; only the dummy depends on ``cost``.
        return _hasher(cost).verify(stored or _dummy_hash(cost), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str, cost: PasswordHashCost) -> bool:
    return await anyio.to_thread.run_sync(_verify, stored, password, cost)


def needs_rehash(stored: str, cost: PasswordHashCost) -> bool:
    """Whether ``stored`` was hashed at another cost than ``cost`` (then a login rehashes it)."""
    return _hasher(cost).check_needs_rehash(stored)


# --- strength -------------------------------------------------------------------------------
def _weak(message: str) -> InvalidInput:
    return InvalidInput.field("password", message, "password_weak")


def _user_inputs(email: str, display_name: str) -> list[str]:
    """Words an attacker of this account tries first: its e-mail and name, in parts and joined,
    the platform's own words and its published passwords."""
    local, _, domain = email.partition("@")
    words = [email, local, *re.split(r"[^\w]+", local), "".join(re.split(r"[^\w]+", local))]
    words += [*domain.split("."), display_name, *display_name.split()]
    words += PLATFORM_WORDS
    words += PUBLISHED_PASSWORDS
    return list(dict.fromkeys(w for w in words if w))


def _bare(password: str) -> str:
    return "".join(ch for ch in password.lower() if ch.isalnum())


def _made_of_common(bare: str, known: frozenset[str] = frozenset(), pieces: int = 3) -> bool:
    """Whether ``bare`` is at most ``pieces`` listed passwords, ``known`` words (the account's
    own) and short digit runs, at least one of them a word, such as ``woaini1314`` + ``520`` or
    e-mail name + year: what guessers try right after the list itself."""
    if not bare or len(bare) > 64:
        return False
    # fewest[i][listed]: fewest pieces making bare[:i], with or without a listed password
    none = len(bare) + 1
    fewest = [[none, none] for _ in range(len(bare) + 1)]
    fewest[0][0] = 0
    for end in range(1, len(bare) + 1):
        for start in range(max(0, end - 40), end):
            piece = bare[start:end]
            listed = len(piece) >= 4 and (piece in COMMON_PASSWORDS or piece in known)
            if not listed and not (piece.isdigit() and len(piece) <= 4):
                continue
            for had in (0, 1):
                if fewest[start][had] < none:
                    now = had or int(listed)
                    fewest[end][now] = min(fewest[end][now], fewest[start][had] + 1)
    return fewest[len(bare)][1] <= pieces


def strength_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too weak for a new password, or None. Pure and CPU-bound."""
    if len(password) < MIN_LENGTH:
        return f"the password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password may have at most {MAX_LENGTH} characters"
    lowered = password.lower()
    user_inputs = list(user_inputs)
    known = frozenset(_bare(word) for word in user_inputs)
    if lowered in PUBLISHED_PASSWORDS or _bare(password) in {_bare(p) for p in PUBLISHED_PASSWORDS}:
        return "this password is published (the demo password); choose another"
    if lowered in COMMON_PASSWORDS or _made_of_common(_bare(password)):
        return "this password is on lists of common and breached passwords; choose another"
    if _made_of_common(_bare(password), known):
        return "the password is made of your e-mail, your name or the platform's name; add words"
    with _zxcvbn_lock:
        result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=user_inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    hints = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    hint = " ".join(h for h in hints if h) or "Add another word or two. Uncommon words are better."
    return f"the password is too easy to guess: {hint}"


async def check_strength(password: str, *, email: str = "", display_name: str = "") -> None:
    """Refuse a weak new password with 422 (field ``password``, code ``password_weak``)."""
    problem = await anyio.to_thread.run_sync(
        strength_problem, password, _user_inputs(email, display_name)
    )
    if problem:
        raise _weak(problem)
