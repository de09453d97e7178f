"""The bank API rows (``bank_profile``, ``bank_token``): HTTP rows whose every request needs
something fresh, so wrk cannot send static headers.

A profile pull needs a new DPoP proof each time (a unique ``jti``, an ``iat`` within the
platform's 60 s window, the access token's hash in ``ath``, the exact URL in ``htu``); a token
request needs a new proof and a new ``private_key_jwt`` client assertion (unique ``jti``).
So, just before each wrk run, this module makes enough of them for that run (the rate of the
side's warm-up × the run's seconds × 1.5) into a file, one request per line, and wrk's
``one_each.lua`` sends each line once. The baseline gets the same script, headers and kind of
lines, so both sides pay the same client cost; a run that used up its lines is measured again
with twice as many, and a generator too slow for the proofs' window stops the row.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from bench.bank_seed import BankSeed, bank_seed
from bench.harness import BENCH_DIR, BenchError, console
from bench.http_rows import (
    WARMUP_SECONDS,
    Row,
    WrkResult,
    best,
    parse_wrk,
    print_run,
    wrk_output,
)
from bench.scenarios import Scenario
from bench.servers import BASELINES, Context, Server, start_app

LUA_SCRIPT = BENCH_DIR / "one_each.lua"
# The platform's DPoP window (``domain/oauth/dpop.WINDOW_SECONDS``): a proof older than this is
# refused. Every line must be sent within it, counted from when it was made.
PROOF_WINDOW_SECONDS = 60
WINDOW_MARGIN_SECONDS = 5
WARMUP_CEILING_RPS = 8_000  # the warm-up's lines: its seconds × this (faster than any side)
MARGIN = 1.5  # the measured run's lines: the warm-up's rate × its seconds × this
MIN_LINES = 2_000
ATTEMPTS = 2
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM = "application/x-www-form-urlencoded"
_USED_RE = re.compile(r"^one_each: (\d+) lines, (\d+) sent again", re.MULTILINE)


# --------------------------------------------------------------------------------------------
# What a bank's server signs
# --------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dpop_proof(key: ECKey, method: str, url: str, now: int, access_token: str | None = None) -> str:
    """A DPoP proof (RFC 9449) by ``key`` for one request, with a fresh ``jti``."""
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": now,
    }
    if access_token is not None:
        claims["ath"] = _b64(hashlib.sha256(access_token.encode()).digest())
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def client_assertion(key: ECKey, client_id: str, audience: str, now: int) -> str:
    """A ``private_key_jwt`` client assertion (RFC 7523) with a fresh ``jti``, for 60 s."""
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + PROOF_WINDOW_SECONDS,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])


class Prepared(Protocol):
    """Requests made ahead of each run and sent once each by a wrk script (the bank rows'
    :class:`Load`; ``app_submit``'s in bench/application_rows.py)."""

    @property
    def kind(self) -> str: ...  # names the run's file of requests

    @property
    def method(self) -> str: ...

    @property
    def script(self) -> Path: ...  # the wrk script sending each line once

    @property
    def warmup_rps(self) -> int: ...  # the warm-up's lines: its seconds × this

    def prepare(self, lines: int, path: Path, seconds: int) -> tuple[str, ...]:
        """Write ``lines`` requests to ``path`` for a run of ``seconds``; the static headers."""
        ...


@dataclass(frozen=True, slots=True)
class Load:
    """What one bank row sends: ``profile`` (GET the SME's profile with the bank's token) or
    ``token`` (POST a client-credentials token request), signed for the app's URLs."""

    kind: str
    seed: BankSeed
    issuer: str  # the app's public URL (its own loopback address, bench/servers.py)
    script: ClassVar[Path] = LUA_SCRIPT
    warmup_rps: ClassVar[int] = WARMUP_CEILING_RPS

    @property
    def method(self) -> str:
        return "GET" if self.kind == "profile" else "POST"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/oauth/token"

    def token_form(self, now: int) -> dict[str, str]:
        assertion = client_assertion(self.seed.client_key, self.seed.client_id, self.issuer, now)
        return {
            "grant_type": "client_credentials",
            "scope": "profiles",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }

    def access_token(self) -> str:
        """A fresh DPoP-bound access token from the app (client credentials), as a bank's
        server gets one; not measured."""
        now = int(time.time())
        proof = dpop_proof(self.seed.dpop_key, "POST", self.token_url, now)
        response = httpx.post(
            self.token_url, data=self.token_form(now), headers={"DPoP": proof}, timeout=10.0
        )
        if response.status_code != 200:
            raise BenchError(
                f"the app refused the bench bank a token ({response.status_code}): "
                f"{response.text[:300]}"
            )
        return str(response.json()["access_token"])

    def line(self, now: int, token: str) -> str:
        """One request: its proof, and for a token request its form body after a tab."""
        if self.kind == "profile":
            url = self.issuer + self.seed.profile_path()
            return dpop_proof(self.seed.dpop_key, "GET", url, now, token)
        proof = dpop_proof(self.seed.dpop_key, "POST", self.token_url, now)
        return f"{proof}\t{urlencode(self.token_form(now))}"

    def prepare(self, lines: int, path: Path, seconds: int) -> tuple[str, ...]:
        """Write ``lines`` requests to ``path`` for a run of ``seconds``; the static headers."""
        token = self.access_token() if self.kind == "profile" else ""
        started = time.monotonic()
        made: list[str] = []
        now = int(time.time())
        for i in range(lines):
            if i % 500 == 0:  # each line's iat: when it was made
                now = int(time.time())
            made.append(self.line(now, token))
        path.write_text("\n".join(made) + "\n")
        spent = time.monotonic() - started
        if spent + seconds > PROOF_WINDOW_SECONDS - WINDOW_MARGIN_SECONDS:
            raise BenchError(
                f"making {lines:,} signed requests took {spent:.1f} s: with a {seconds} s run the "
                f"last ones would be sent outside the platform's {PROOF_WINDOW_SECONDS} s proof "
                "window, so the generator cannot keep ahead (lower BENCH_DURATION)"
            )
        console.print(
            f"[dim]  made {lines:,} {self.kind} requests in {spent:.1f} s "
            f"({spent / lines * 1e6:.0f} µs each)[/dim]"
        )
        if self.kind == "profile":
            return (f"Authorization: DPoP {token}",)
        return (f"Content-Type: {FORM}",)

    def check(self, server: Server, path: str) -> None:
        """One request to ``server``, as wrk will send them; a warning unless it is a 2xx."""
        token = self.access_token() if self.kind == "profile" else ""
        proof, _, body = self.line(int(time.time()), token).partition("\t")
        headers = {"DPoP": proof}
        if self.kind == "profile":
            headers["Authorization"] = f"DPoP {token}"
        else:
            headers["Content-Type"] = FORM
        response = httpx.request(
            self.method, server.base_url + path, headers=headers, content=body, timeout=10.0
        )
        if response.status_code // 100 != 2:
            console.print(
                f"[yellow]warning: {server.name} {path} answers {response.status_code}: "
                f"{response.text[:300]}[/yellow]"
            )


# --------------------------------------------------------------------------------------------
# The runs
# --------------------------------------------------------------------------------------------


def signed_run(
    wrk: str, server: Server, path: str, seconds: int, load: Prepared, lines: int, file: Path
) -> tuple[WrkResult, int]:
    """One wrk run sending ``lines`` pre-made requests; its result and how many it sent again
    after running out (0 when the lines sufficed)."""
    headers = load.prepare(lines, file, seconds)
    script = (str(load.script), str(file), load.method)
    output = wrk_output(wrk, server.base_url + path, seconds, headers, script)
    used = _USED_RE.search(output)
    if used is None:
        raise BenchError(f"wrk's script did not report its lines:\n{output}")
    return parse_wrk(output), int(used.group(2))


def measure_signed(
    wrk: str, server: Server, path: str, seconds: int, load: Prepared, workdir: Path
) -> WrkResult:
    """A warm-up run (discarded; its rate sizes the next), then the measured run."""
    file = workdir / f"{load.kind}-{server.name}.lines"
    try:
        warm, _ = signed_run(
            wrk, server, path, WARMUP_SECONDS, load, WARMUP_SECONDS * load.warmup_rps, file
        )
        lines = max(int(warm.rps * seconds * MARGIN), MIN_LINES)
        for _ in range(ATTEMPTS):
            result, over = signed_run(wrk, server, path, seconds, load, lines, file)
            if not over:
                print_run(server, path, result)
                return result
            console.print(
                f"[yellow]  {server.name}: the {lines:,} requests made ahead ran out "
                f"({over:,} sent again); measuring again with twice as many[/yellow]"
            )
            lines *= 2
    finally:
        file.unlink(missing_ok=True)
    raise BenchError(f"{server.name} {path}: the requests made ahead ran out twice")


def run_bank_scenario(ctx: Context, wrk: str, scenario: Scenario, seconds: int) -> Row:
    console.print(
        f"[bold]{scenario.name}[/bold]: app {scenario.app_path} vs {scenario.baseline} "
        f"{scenario.baseline_path}, {scenario.rounds} round(s), every request signed ahead "
        f"({scenario.signed})"
    )
    if scenario.signed not in ("profile", "token"):
        raise BenchError(f"{scenario.name}: unknown signed kind {scenario.signed!r}")
    seed = bank_seed(ctx)  # before the row's servers start
    app_path = scenario.app_path.format(uscc=seed.uscc)
    baseline_path = scenario.baseline_path.format(uscc=seed.uscc)
    baseline_server = BASELINES[scenario.baseline](ctx, scenario.workers)
    app_server = start_app(ctx, scenario.workers)
    load = Load(scenario.signed, seed, app_server.base_url)
    load.check(app_server, app_path)
    load.check(baseline_server, baseline_path)
    baseline_runs: list[WrkResult] = []
    app_runs: list[WrkResult] = []
    for _ in range(scenario.rounds):
        baseline_runs.append(
            measure_signed(wrk, baseline_server, baseline_path, seconds, load, ctx.workdir)
        )
        app_runs.append(measure_signed(wrk, app_server, app_path, seconds, load, ctx.workdir))
    pairs = tuple(a.rps / b.rps for a, b in zip(app_runs, baseline_runs, strict=True) if b.rps)
    return Row(scenario, app=best(app_runs), baseline=best(baseline_runs), pair_ratios=pairs)
