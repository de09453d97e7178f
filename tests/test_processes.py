"""Two web processes (`xinyidai serve`) on one database and one Redis behave as one: a session
ended on one is ended on the other, the login throttle counts attempts made on either, and a
bank consent revoked through one refuses the bank's next pull through the other."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD, World
from tests.oauth_fixtures import Scene, client_assertion, dpop_proof
from xinyidai.models import Role
from xinyidai.settings import Settings

pytestmark = pytest.mark.slow  # starts web processes of its own

LOGIN_IP_LIMIT = 6  # attempts per address per window, on both processes
PUBLIC_URL = "https://platform.test"


@dataclass
class WebProcess:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _environment(settings: Settings) -> dict[str, str]:
    """What both processes share: the test's database and Redis, and one set of keys."""
    assert settings.database_url and settings.redis_url
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "ENV", "WEB_CONCURRENCY"}
    }
    env.update(
        ENV="test",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        DATA_KEY=base64.b64encode(settings.data_key_bytes).decode(),
        SIGNING_KEY=_signing_key(),
        COOKIE_SECURE="false",  # plain HTTP on loopback
        TRUSTED_PROXIES="true",  # the client address comes from X-Forwarded-For
        LOGIN_IP_LIMIT=str(LOGIN_IP_LIMIT),
        WORKER_IN_PROCESS="false",
        LOG_LEVEL="WARNING",
        PUBLIC_URL=PUBLIC_URL,  # one platform behind a balancer: one issuer, one set of URLs
    )
    return env


@contextmanager
def web_process(name: str, env: dict[str, str], logs: Path) -> Iterator[WebProcess]:
    """``xinyidai serve`` with one worker on a free port, until the block ends."""
    port = _free_port()
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "xinyidai", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    web = WebProcess(name, f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"{name} exited:\n{web.output()}"
            try:
                if httpx.get(f"{web.url}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{name} did not start:\n{web.output()}"
            time.sleep(0.2)
        yield web
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def two_processes(settings: Settings, tmp_path: Path) -> Iterator[tuple[WebProcess, WebProcess]]:
    env = _environment(settings)
    with ExitStack() as stack:
        a = stack.enter_context(web_process("a", env, tmp_path))
        b = stack.enter_context(web_process("b", env, tmp_path))
        assert a.process.pid != b.process.pid
        yield a, b


def _login(web: WebProcess, email: str, password: str, address: str) -> httpx.Response:
    return httpx.post(
        f"{web.url}/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=30,
    )


async def test_a_logout_on_one_process_ends_the_session_on_the_other(
    world: World, two_processes: tuple[WebProcess, WebProcess]
) -> None:
    a, b = two_processes
    await world.user("owner@example.com", Role.SME, (await world.enterprise()).uscc)

    async with httpx.AsyncClient(timeout=30) as http:
        login = await http.post(
            f"{a.url}/api/v1/auth/login",
            json={"email": "owner@example.com", "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        cookies = dict(login.cookies)
        http.cookies.clear()  # each request below names the cookies it sends
        assert {"xyd_session", "xyd_csrf"} <= cookies.keys()
        cookie = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
        on_b = await http.get(f"{b.url}/api/v1/me", headers=cookie)
        assert on_b.status_code == 200, on_b.text
        assert on_b.json()["email"] == "owner@example.com"

        logout = await http.post(
            f"{a.url}/api/v1/auth/logout",
            headers={**cookie, "X-CSRF-Token": cookies["xyd_csrf"]},
        )
        assert logout.status_code == 204, logout.text

        for web in (b, a):
            after = await http.get(f"{web.url}/api/v1/me", headers=cookie)
            assert after.status_code == 401, (web.name, after.text)


def _attempts_until_throttled(targets: list[WebProcess], address: str) -> tuple[int, list[str]]:
    """Failed logins from ``address``, taking ``targets`` in turn, until one answers 429: the
    number of attempts answered before it, and which processes answered them."""
    answered: list[str] = []
    for n in range(3 * LOGIN_IP_LIMIT):
        web = targets[n % len(targets)]
        # A new e-mail each time: only the per-address limit can stop these attempts.
        response = _login(web, f"nobody{n}@example.com", "Wrong-Password-1", address)
        if response.status_code == 429:
            assert response.headers.get("retry-after"), response.headers
            return len(answered), answered
        assert response.status_code == 401, (web.name, response.text)
        answered.append(web.name)
    raise AssertionError(f"no 429 after {len(answered)} attempts")


def test_the_login_limit_counts_the_attempts_on_both_processes(
    two_processes: tuple[WebProcess, WebProcess],
) -> None:
    a, b = two_processes
    alone, _ = _attempts_until_throttled([a], "10.0.0.2")
    spread, where = _attempts_until_throttled([a, b], "10.0.0.3")
    assert alone == spread == LOGIN_IP_LIMIT
    assert where.count("a") == LOGIN_IP_LIMIT // 2 and where.count("b") == LOGIN_IP_LIMIT // 2
    # The address is now refused by either process.
    for web in (a, b):
        assert _login(web, "nobody@example.com", "x" * 12, "10.0.0.3").status_code == 429


def _requests_counted(web: WebProcess, route: str, status: int) -> float:
    text = httpx.get(f"{web.url}/metrics", timeout=10).text  # loopback: no token needed
    line = f'xinyidai_http_requests_total{{method="GET",route="{route}",status="{status}"}} '
    counted = [float(row[len(line) :]) for row in text.splitlines() if row.startswith(line)]
    return counted[0] if counted else 0.0


def test_a_scrape_of_either_process_counts_the_requests_of_both(
    two_processes: tuple[WebProcess, WebProcess],
) -> None:
    a, b = two_processes
    for web, times in ((a, 3), (b, 4)):
        for _ in range(times):
            assert httpx.get(f"{web.url}/api/v1/me", timeout=10).status_code == 401
    # B shares its series within metrics_share.SHARE_INTERVAL; a scrape shares the scraped
    # process's own at once. Wait for B's, whatever the machine's load.
    deadline = time.monotonic() + 60
    while _requests_counted(a, "/api/v1/me", 401) < 7 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _requests_counted(a, "/api/v1/me", 401) == 7
    assert _requests_counted(b, "/api/v1/me", 401) == 7


async def test_a_consent_revoked_on_one_process_refuses_the_next_pull_on_the_other(
    bank_scene: Scene, two_processes: tuple[WebProcess, WebProcess]
) -> None:
    a, b = two_processes
    bank = bank_scene.bank_a
    async with httpx.AsyncClient(timeout=30) as http:
        login = await http.post(
            f"{a.url}/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        )
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        banks = (await http.get(f"{a.url}/api/v1/banks")).json()
        bank_id = next(x["id"] for x in banks if x["short_code"] == bank.bank_code)
        granted = await http.post(
            f"{a.url}/api/v1/enterprises/{bank_scene.sme.id}/bank-consents",
            json={"bank_id": bank_id, "families": ["tax"], "purpose": "need", "reference": "N-1"},
            headers=csrf,
        )
        assert granted.status_code == 201, granted.text

        token_url = f"{PUBLIC_URL}/oauth/token"
        form = {
            "grant_type": "client_credentials",
            "scope": "profiles",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(bank.key, bank.client_id, PUBLIC_URL),
        }
        issued = await http.post(
            f"{b.url}/oauth/token",
            data=form,
            headers={"DPoP": dpop_proof(bank.dpop, "POST", token_url)},
        )
        assert issued.status_code == 200, issued.text
        access = issued.json()["access_token"]
        path = f"/openapi/v1/profiles/{bank_scene.sme.uscc}"

        async def pull() -> httpx.Response:
            proof = dpop_proof(bank.dpop, "GET", PUBLIC_URL + path, access_token=access)
            return await http.get(
                b.url + path, headers={"Authorization": f"DPoP {access}", "DPoP": proof}
            )

        assert (await pull()).status_code == 200
        revoked = await http.delete(
            f"{a.url}/api/v1/enterprises/{bank_scene.sme.id}/bank-consents/{granted.json()['id']}",
            headers=csrf,
        )
        assert revoked.status_code == 200
        refused = await pull()
        assert refused.status_code == 403 and "no live consent" in refused.json()["detail"]
