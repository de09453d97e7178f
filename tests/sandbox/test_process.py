"""The sandbox services run as processes of their own (as `xinyidai run` starts them)."""

from __future__ import annotations

import base64
import hashlib
import socket

import httpx
import pytest

from xinyidai.domain.demo.city import demo_enterprises
from xinyidai.sandbox.process import sandbox_identity, sandbox_provider

pytestmark = pytest.mark.slow  # starts the sandbox services as processes

REDIRECT_URI = "http://127.0.0.1:9/sme/claim/callback"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_provider_process_serves_with_the_secret_from_standard_input() -> None:
    with sandbox_provider(free_port(), seed=2026, client_id="c", client_secret="s-1") as url:
        response = httpx.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("c", "s-1"),
        )
        assert response.status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sandbox/calls", timeout=1)


def test_the_identity_process_completes_a_flow_for_a_demo_enterprise() -> None:
    firm = demo_enterprises(200, 2031)[3]
    issuer = "https://id.sandbox.example"
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    with (
        sandbox_identity(
            free_port(),
            issuer=issuer,
            client_id="platform",
            client_secret="s-2",
            redirect_uris=["https://elsewhere.example/cb", REDIRECT_URI],
            seed=2031,
        ) as url,
        httpx.Client(base_url=url, timeout=5) as http,
    ):
        assert http.get("/.well-known/openid-configuration").json()["issuer"] == issuer
        started = http.get(
            "/authorize",
            params={
                "response_type": "code",
                "client_id": "platform",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid licence",
                "state": "st",
                "nonce": "nc",
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            },
            headers={"Accept": "application/json"},
        )
        approved = http.post(
            "/authorize",
            data={
                "request_id": started.json()["request_id"],
                "uscc": firm.uscc,
                "legal_rep_id_number": firm.legal_rep_id_number,
                "decision": "approve",
            },
        )
        assert approved.status_code == 303
        code = httpx.URL(approved.headers["location"]).params["code"]
        token = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=("platform", "s-2"),
        )
        assert token.status_code == 200, token.text
        assert token.json()["id_token"].count(".") == 2
