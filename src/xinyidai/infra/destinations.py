"""Where the platform may send requests on someone else's say-so (a bank's webhook URL).

A URL a bank registers is an instruction to the platform to connect somewhere: left unchecked,
it could point the platform at its own database, the cloud's metadata service
(``169.254.169.254``; Alibaba Cloud's ``100.100.100.200``) or another internal host (SSRF).
:class:`DestinationPolicy` says what is allowed:

* the scheme: ``https`` only, unless ``allow_http`` (``WEBHOOK_ALLOW_HTTP``, development);
* the addresses: every address the host resolves to must be public. Refused, each named in the
  refusal: loopback, link-local (cloud metadata among them), private (RFC 1918), shared
  (RFC 6598, carrier-grade NAT), unspecified, multicast, broadcast, reserved and documentation
  ranges, IPv6 unique-local and site-local, and IPv4 addresses embedded in IPv6 (mapped,
  NAT64, 6to4) whose IPv4 part is any of these; anything else the ``ipaddress`` module does not
  call global. ``allow_private`` (``WEBHOOK_ALLOW_PRIVATE``, never in production) lifts this.

Checked twice: :func:`check_destination` at registration (syntax, scheme, then DNS and every
address), and at each delivery by :class:`GuardedTransport`, whose connections resolve the
host themselves, check every address, and connect to an address they checked. A name whose
records change between the check and the connection (DNS rebinding) cannot slip through: the
check is made on the very address the socket is opened to. Name resolution runs off the event
loop (``loop.getaddrinfo`` uses the default thread pool) and is bounded in time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpcore
import httpx

from xinyidai.infra.urls import check_url

if TYPE_CHECKING:
    from xinyidai.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``await resolve(host, port)``: the addresses of ``host`` as text; raises
:class:`Unresolvable` when it has none."""

RESOLVE_TIMEOUT = 5.0

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# (network, what it is): the first match names the refusal. Order matters only for names.
_REFUSED: tuple[tuple[_V4 | _V6, str], ...] = (
    (_V4("169.254.169.254/32"), "link-local (the cloud metadata service)"),
    (_V4("100.100.100.200/32"), "shared (Alibaba Cloud's metadata service)"),
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("100.64.0.0/10"), "shared (carrier-grade NAT)"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "reserved (documentation)"),
    (_V4("198.51.100.0/24"), "reserved (documentation)"),
    (_V4("203.0.113.0/24"), "reserved (documentation)"),
    (_V4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("ff00::/8"), "multicast"),
    (_V6("2001:db8::/32"), "reserved (documentation)"),
    (_V6("100::/64"), "reserved (discard)"),
    (_V6("2001::/23"), "reserved (IETF protocol assignments)"),
)
_NAT64 = _V6("64:ff9b::/96")
_IPV4_COMPATIBLE = _V6("::/96")


class DestinationError(Exception):
    """A URL the platform will not send to; ``message`` says why, in words for the bank."""

    code = "destination_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unresolvable(DestinationError):
    """The host has no address (or the resolver did not answer in time)."""

    code = "destination_unresolvable"


def refusal(address: IPAddress) -> str | None:
    """What kind of non-public address ``address`` is, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} (IPv4 {embedded} inside IPv6)" if inner else None
    for network, name in _REFUSED:
        if address.version == network.version and address in network:
            return name
    if not address.is_global:
        return "not publicly routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped (``::ffff:a.b.c.d``), NAT64
    (``64:ff9b::a.b.c.d``), 6to4 (``2002:AABB:CCDD::``) or IPv4-compatible (``::a.b.c.d``)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver, off the event loop, within
    ``RESOLVE_TIMEOUT`` seconds."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except TimeoutError:
        raise Unresolvable(f"the host {host} did not resolve in time") from None
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unresolvable(f"the host {host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Unresolvable(f"the host {host} has no address")
    return addresses


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)


@dataclass(frozen=True)
class DestinationPolicy:
    """What a destination URL may be; the strict policy unless told otherwise."""

    allow_http: bool = False
    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(
        cls, settings: Settings, resolver: Resolver | None = None
    ) -> DestinationPolicy:
        """The deployment's policy for bank webhooks."""
        return cls(
            allow_http=settings.webhooks_over_http,
            allow_private=settings.webhook_allow_private,
            resolver=resolver or system_resolver,
        )

    def check_syntax(self, url: str, field_name: str = "url") -> str:
        """``url`` in normal form, or :class:`~xinyidai.infra.errors.InvalidInput` naming
        ``field_name``: an absolute http(s) URL without user information (``infra/urls.py``),
        ``https`` unless ``allow_http``."""
        from xinyidai.infra.errors import InvalidInput

        normal = check_url(field_name, url, http_only_on_loopback=False, base=False)
        if normal.startswith("http://") and not self.allow_http:
            raise InvalidInput.field(
                field_name, f"{field_name}: use https:// (http:// is not accepted)", "url_invalid"
            )
        return normal

    async def addresses(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, each checked; :class:`DestinationError` if any is not
        public (unless ``allow_private``), :class:`Unresolvable` if there are none."""
        host = host.strip("[]")
        try:
            found = [_address(host)]
        except ValueError:
            found = [_address(a) for a in await self.resolver(host, port)]
        if not found:
            raise Unresolvable(f"the host {host} has no address")
        if not self.allow_private:
            for address in found:
                why = refusal(address)
                if why is not None:
                    shown = "" if str(address) == host else f" resolves to {address}, which"
                    raise DestinationError(f"the host {host}{shown} is a {why} address")
        return [str(a) for a in found]


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, parts.port or (443 if parts.scheme == "https" else 80)


async def check_destination(policy: DestinationPolicy, url: str, field_name: str = "url") -> str:
    """``url`` in normal form if the platform may send to it now: syntax and scheme
    (:meth:`DestinationPolicy.check_syntax`), then every address its host resolves to.
    Refusals are 422 problems naming ``field_name`` (codes ``url_invalid``,
    ``destination_refused``, ``destination_unresolvable``)."""
    from xinyidai.infra.errors import InvalidInput

    normal = policy.check_syntax(url, field_name)
    host, port = _host_port(normal)
    try:
        await policy.addresses(host, port)
    except DestinationError as exc:
        raise InvalidInput.field(field_name, f"{field_name}: {exc.message}", exc.code) from None
    return normal


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the policy's address check at every connection: the
    host is resolved here, every address checked, and the socket opened to a checked one."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.policy.addresses(host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationError("Unix sockets are not a destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool whose connections go through
    :class:`GuardedBackend`; never through a proxy from the environment. A refused or
    unresolvable destination raises :class:`DestinationError` from the request."""

    def __init__(self, policy: DestinationPolicy, *, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=10)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def guarded_client(policy: DestinationPolicy, *, timeout: float) -> httpx.AsyncClient:
    """An HTTP client for requests to outside destinations: the policy checked at every
    connection, ``timeout`` seconds for each phase, redirects never followed, no proxies or
    credentials taken from the environment."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
