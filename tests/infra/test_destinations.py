"""Where the platform may send on a bank's say-so: https only, public addresses only (each
non-public class refused by name), checked after DNS and again on the connection itself."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from tests.bank_fixtures import RunningBank
from xinyidai.infra.destinations import (
    DestinationError,
    DestinationPolicy,
    Unresolvable,
    check_destination,
    guarded_client,
)
from xinyidai.infra.errors import InvalidInput
from xinyidai.settings import Env, Settings, SettingsError


def names(table: dict[str, list[str]]) -> DestinationPolicy:
    """A strict policy whose DNS answers from ``table`` (a name not in it does not resolve)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise Unresolvable(f"the host {host} does not resolve")
        return table[host]

    return DestinationPolicy(resolver=resolve)


async def refused(policy: DestinationPolicy, url: str) -> tuple[str, str]:
    """The code and message of the 422 that ``url`` gets."""
    with pytest.raises(InvalidInput) as caught:
        await check_destination(policy, url)
    errors = caught.value.errors
    assert errors is not None
    assert errors[0].field == "url"
    return str(errors[0].code), errors[0].message


async def test_https_is_required_unless_the_setting_allows_http() -> None:
    public = names({"hooks.bank.example.com": ["93.184.216.34"]})
    code, message = await refused(public, "http://hooks.bank.example.com/xyd")
    assert code == "url_invalid"
    assert "https://" in message
    relaxed = dataclasses.replace(public, allow_http=True)
    assert await check_destination(relaxed, "http://hooks.bank.example.com/xyd") == (
        "http://hooks.bank.example.com/xyd"
    )
    assert await check_destination(public, "HTTPS://Hooks.Bank.Example.com/xyd?v=1") == (
        "https://hooks.bank.example.com/xyd?v=1"
    )
    for bad in ("ftp://hooks.bank.example.com/", "https://user:pw@hooks.bank.example.com/"):
        assert (await refused(public, bad))[0] == "url_invalid"


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.8.8", "loopback"),
        ("[::1]", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.10.1", "link-local"),
        ("[fe80::1]", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - a refused destination, nothing binds
        ("[::]", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("[ff02::1]", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "reserved"),
        ("[2001:db8::1]", "reserved"),
        ("[fc00::1]", "unique-local"),
        ("[fd00:ec2::254]", "unique-local"),
        ("[fec0::1]", "site-local"),
        ("[::ffff:127.0.0.1]", "loopback (IPv4 127.0.0.1 inside IPv6)"),
        ("[64:ff9b::a00:1]", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("[2002:c0a8:101::1]", "private (IPv4 192.168.1.1 inside IPv6)"),
    ],
)
async def test_each_non_public_address_class_is_refused_by_name(host: str, kind: str) -> None:
    code, message = await refused(DestinationPolicy(), f"https://{host}/hook")
    assert code == "destination_refused"
    assert kind in message


async def test_public_addresses_and_names_are_accepted() -> None:
    policy = names({"hooks.bank.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})
    for url in (
        "https://93.184.216.34/hook",
        "https://[2606:4700:4700::1111]:8443/hook",
        "https://hooks.bank.example.com/hook",
    ):
        assert await check_destination(policy, url) == url


async def test_a_public_name_resolving_to_a_private_address_is_refused() -> None:
    policy = names({"hooks.bank.example.com": ["93.184.216.34", "10.0.0.7"]})
    code, message = await refused(policy, "https://hooks.bank.example.com/xyd")
    assert code == "destination_refused"
    assert "resolves to 10.0.0.7" in message
    assert "private" in message


async def test_a_name_that_does_not_resolve_is_a_clear_refusal() -> None:
    code, message = await refused(names({}), "https://nowhere.bank.example.com/xyd")
    assert code == "destination_unresolvable"
    assert "nowhere.bank.example.com" in message


async def test_localhost_resolves_through_the_system_and_is_loopback() -> None:
    code, message = await refused(DestinationPolicy(), "https://localhost:8443/xyd")
    assert code == "destination_refused"
    assert "loopback" in message


async def test_the_development_settings_allow_loopback_and_http() -> None:
    strict = DestinationPolicy.from_settings(Settings(env=Env.TEST))
    assert not strict.allow_http
    assert not strict.allow_private
    development = DestinationPolicy.from_settings(Settings(env=Env.DEVELOPMENT))
    assert development.allow_http  # WEBHOOK_ALLOW_HTTP unset: on in development only
    assert not development.allow_private
    relaxed = DestinationPolicy.from_settings(
        Settings(env=Env.TEST, webhook_allow_http=True, webhook_allow_private=True)
    )
    url = "http://127.0.0.1:8102/webhooks"
    assert await check_destination(relaxed, url) == url
    assert await check_destination(relaxed, "http://localhost:8102/webhooks")


def test_production_refuses_the_relaxing_settings() -> None:
    production = {
        "ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATA_KEY": "A" * 43 + "=",
        "SIGNING_KEY": "unused",
        "DATABASE_URL": "postgresql://db/xyd",
        "REDIS_URL": "redis://redis:6379/0",
        "IDENTITY_URL": "https://identity.example.com",
        "IDENTITY_CLIENT_SECRET": "not-the-sandbox-one",
    }
    for name in ("WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_ALLOW_HTTP"):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**production, name: "true"})
    with pytest.raises(SettingsError, match="WEBHOOK_BACKOFF_BASE"):
        Settings.from_env({"WEBHOOK_BACKOFF_BASE": "7200"})


async def test_the_connection_is_checked_again_on_the_address_it_opens(
    sandbox_bank: RunningBank,
) -> None:
    """The client resolves the name itself when it connects: a name now pointing at a
    loopback address is refused by the strict policy, and reached, on the very address that
    was checked, when private addresses are allowed."""
    port = sandbox_bank.url.rsplit(":", 1)[1]
    rebound = names({"hooks.bank.example.com": ["127.0.0.1"]})
    async with guarded_client(dataclasses.replace(rebound, allow_http=True), timeout=5) as client:
        with pytest.raises(DestinationError, match=r"to 127\.0\.0\.1, which is a loopback"):
            await client.post(f"http://hooks.bank.example.com:{port}/webhooks", content=b"{}")
    allowed = dataclasses.replace(rebound, allow_http=True, allow_private=True)
    async with guarded_client(allowed, timeout=5) as client:
        response = await client.post(
            f"http://hooks.bank.example.com:{port}/webhooks", content=b"{}"
        )
    assert response.status_code == 401  # reached the bank, which wants a signature
    assert sandbox_bank.received()[-1]["outcome"] == "refused"


async def test_redirects_are_not_followed_and_the_environment_names_no_proxy(
    sandbox_bank: RunningBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would fail every request if used
    sandbox_bank.faults.arm("redirect")
    policy = DestinationPolicy(allow_http=True, allow_private=True)
    async with guarded_client(policy, timeout=5) as client:
        response = await client.post(sandbox_bank.webhook_url, content=b"{}")
    assert response.status_code == 302
    assert isinstance(response.next_request, httpx.Request)  # offered, not taken
    assert len(sandbox_bank.received()) == 1
