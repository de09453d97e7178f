"""The bank open API in a browser: the bank's user sets its webhook URL, a bank's site starts
the code flow, the SME approves on the consent screen, the bank pulls the profile, the SME sees
the read and revokes the consent on its bank-consents page, and the bank's next pull is refused;
the bank's user sees the signed ``consent.revoked`` delivered and its calls counted. The bank's
server is this test, with its own keys, speaking HTTP to the live platform; its webhook
receiver is the sandbox bank; the bank's site is a page the browser is given in place of
https://bank.example."""

from __future__ import annotations

import base64
import hashlib
import secrets
from contextlib import closing
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, Route, expect

from tests.bank_fixtures import RunningBank
from tests.e2e.browser import (
    login,
    photograph,
    settle,
)
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer
from tests.oauth_fixtures import client_assertion, dpop_proof, new_key, public_jwks

REDIRECT = "https://bank.example/xinyidai/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class BankServer:
    """What the bank runs on its side: its client keys, a DPoP key, and the calls it makes."""

    def __init__(self, server: LiveServer, client_id: str, key: Any) -> None:
        self.issuer = server.url
        self.client_id = client_id
        self.key = key
        self.dpop = new_key()
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def _auth(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(self.key, self.client_id, self.issuer),
        }

    def push(self, challenge: str, family: str) -> str:
        form = {
            **self._auth(),
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "profiles",
            "state": "walk",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "families": f"{family} score",
            "purpose": "need",
            "reference": "融资需求 N-2026-0042",
        }
        proof = dpop_proof(self.dpop, "POST", f"{self.issuer}/oauth/par")
        pushed = self.http.post("/oauth/par", data=form, headers={"DPoP": proof})
        assert pushed.status_code == 201, pushed.text
        return str(pushed.json()["request_uri"])

    def redeem(self, code: str, verifier: str) -> str:
        form = {
            **self._auth(),
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": REDIRECT,
        }
        proof = dpop_proof(self.dpop, "POST", f"{self.issuer}/oauth/token")
        token = self.http.post("/oauth/token", data=form, headers={"DPoP": proof})
        assert token.status_code == 200, token.text
        return str(token.json()["access_token"])

    def pull(self, access_token: str, uscc: str) -> httpx.Response:
        url = f"{self.issuer}/openapi/v1/profiles/{uscc}"
        proof = dpop_proof(self.dpop, "GET", url, access_token=access_token)
        return self.http.get(url, headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})


def _bank_site(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body="<html><body>bank</body></html>")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _register(server: LiveServer) -> BankServer:
    """A platform admin registers the bank's client with its public key."""
    key = new_key()
    with closing(server.api(DEMO_LOGINS["admin"])) as admin:
        bank = next(b for b in admin.get("/api/v1/banks").json() if b["short_code"] == "ICBC_GZ")
        created = admin.post(
            f"/api/v1/banks/{bank['id']}/clients",
            json={"jwks": public_jwks(key), "redirect_uris": [REDIRECT]},
        )
        assert created.status_code == 201, created.text
    return BankServer(server, created.json()["client_id"], key)


def _set_webhook(pages: Pages, server: LiveServer, receiver: RunningBank) -> Page:
    """The bank's user points the platform at the bank's receiver, on the webhooks page."""
    receiver.trust_uri(f"{server.url}/.well-known/jwks.json")
    page = pages.open()
    page.goto("/login")
    login(page, server, DEMO_LOGINS["bank"])
    page.goto("/bank/webhooks")
    settle(page)
    expect(page.get_by_test_id("bank-webhooks-current")).to_contain_text("还没有设置")
    page.get_by_test_id("bank-webhooks-url").fill(receiver.webhook_url)
    page.get_by_test_id("bank-webhooks-save").click()
    expect(page.get_by_test_id("bank-webhooks-notice")).to_be_visible()
    expect(page.get_by_test_id("bank-webhooks-current")).to_contain_text(receiver.webhook_url)
    return page


def _delivered(page: Page, event: str) -> None:
    """The delivery log shows ``event`` delivered (the worker sends it moments after)."""
    for _ in range(30):
        page.goto("/bank/webhooks")
        settle(page)
        log = page.get_by_test_id("bank-webhooks-deliveries")
        if log.count() and log.get_by_text(event).count() and log.get_by_text("已送达").count():
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"{event} was not shown delivered on the webhooks page")


def test_a_banks_site_gets_consent_pulls_and_is_refused_after_revocation(
    pages: Pages, live_server: LiveServer, sandbox_bank: RunningBank
) -> None:
    bank = _register(live_server)
    bank_page = _set_webhook(pages, live_server, sandbox_bank)
    with closing(live_server.api(DEMO_LOGINS["sme"])) as sme_api:
        enterprise_id = sme_api.get("/api/v1/me").json()["organisation"]["id"]
        uscc = sme_api.get(f"/api/v1/enterprises/{enterprise_id}").json()["uscc"]
        granted = sme_api.get(f"/api/v1/enterprises/{enterprise_id}/data-authorizations").json()
    family = next(f for a in granted if a["live"] for f in a["families"])  # one it authorised
    verifier, challenge = _pkce()
    request_uri = bank.push(challenge, family)

    page = pages.open()
    page.route("https://bank.example/**", _bank_site)
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS["sme"])
    page.goto(f"/oauth/authorize?client_id={bank.client_id}&request_uri={request_uri}")
    page.wait_for_url("**/sme/oauth-consent/**")
    expect(page.get_by_test_id("oauth-consent-bank")).to_contain_text("中国工商银行")
    expect(page.get_by_test_id("oauth-consent-data")).to_contain_text("信用评分")
    expect(page.get_by_test_id("oauth-consent-unavailable")).to_have_count(0)
    photograph(page, "sme-oauth-consent")
    page.get_by_test_id("oauth-consent-approve").click()
    page.wait_for_url("https://bank.example/**")
    answer = parse_qs(urlsplit(page.url).query)
    assert answer["iss"] == [live_server.url] and answer["state"] == ["walk"]

    access = bank.redeem(answer["code"][0], verifier)
    pulled = bank.pull(access, uscc)
    assert pulled.status_code == 200, pulled.text
    (consent_id,) = pulled.json()["consent_ids"]

    page.goto("/sme/bank-consents")
    settle(page)
    expect(page.get_by_test_id(f"bank-consents-pulls-{consent_id}")).to_contain_text("1 次")
    photograph(page, "sme-bank-consents-with-a-consent")
    page.get_by_test_id(f"bank-consents-revoke-{consent_id}").click()
    page.get_by_test_id("bank-consents-revoke-confirm").click()
    expect(page.get_by_test_id("bank-consents-notice")).to_be_visible()
    expect(page.get_by_test_id(f"bank-consents-state-{consent_id}")).to_have_text("已撤销")

    refused = bank.pull(access, uscc)
    assert refused.status_code == 403 and "no live consent" in refused.json()["detail"]

    _delivered(bank_page, "consent.revoked")
    told = [e["event"] for e in sandbox_bank.received("accepted")]
    assert [(e["type"], e["data"]["consent_id"]) for e in told] == [("consent.revoked", consent_id)]
    bank_page.get_by_test_id("bank-webhooks-deliveries").get_by_role("button").first.click()
    expect(bank_page.get_by_test_id("bank-webhooks-attempts")).to_contain_text("HTTP 200")
    photograph(bank_page, "bank-webhooks-delivered")
    bank_page.keyboard.press("Escape")

    bank_page.goto("/bank/open-api")
    settle(bank_page)
    expect(bank_page.get_by_test_id("bank-open-api-usage-totals")).to_contain_text(
        "已应答 1 次，拒绝 1 次"
    )
    photograph(bank_page, "bank-open-api-usage")
