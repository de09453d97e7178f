"""One validator for URLs taken from outside (a bank's API base URL, and any later one).

``urllib.parse`` is lenient on some inputs and raises ``ValueError`` on others (an unclosed IPv6
bracket, a port that is not a number or out of range); :func:`check_url` turns every refusal into
a 422 problem naming the field, code ``url_invalid``, and returns the URL in a normal form.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from xinyidai.infra.errors import InvalidInput

MAX_URL_LENGTH = 500
LOOPBACK_NAMES = frozenset({"localhost"})
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput.field(field, f"{field}: {message}", "url_invalid")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_host(field: str, host: str) -> None:
    """A DNS name (ASCII; an internationalised name in its xn-- form), IPv4 or a bracketed IPv6."""
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _refuse(field, "the host is not a valid IPv6 address") from None
        return
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refuse(field, "the host is not a valid host name")
    if labels[-1].isdigit():  # 1.2.3 or 999.1.1.1: not a name, and not an IPv4 address
        raise _refuse(field, "the host is not a valid IPv4 address")


def check_url(
    field: str,
    value: str,
    *,
    max_length: int = MAX_URL_LENGTH,
    http_only_on_loopback: bool = True,
    base: bool = True,
) -> str:
    """``value`` as a normal absolute http(s) URL, or a 422 naming ``field``.

    Refused: more than ``max_length`` characters; whitespace, control or non-ASCII characters
    (write an internationalised host in its xn-- form and percent-encode the path); a scheme
    other than http or https (http only for a loopback host unless ``http_only_on_loopback`` is
    False); no host; user information (``user:password@``); a port outside 1-65535; and, for a
    ``base`` URL, a query or fragment. The scheme and host are lower-cased; a base URL loses its
    trailing slashes.
    """
    if not isinstance(value, str):
        raise _refuse(field, "a URL is text")
    text = value.strip(" ")
    if len(text) > max_length:
        raise _refuse(field, f"a URL has at most {max_length} characters")
    if not text.isascii() or not _URL_CHARS.fullmatch(text):
        raise _refuse(
            field,
            "the URL contains spaces, control or non-ASCII characters (percent-encode them; "
            "write an internationalised host name in its xn-- form)",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # unclosed IPv6 bracket, a port that is not 0-65535
        raise _refuse(field, f"the URL cannot be parsed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise _refuse(field, "the URL must start with https:// or http://")
    netloc = parts.netloc
    if "@" in netloc:
        raise _refuse(field, "the URL may not carry user information (user:password@)")
    host_port = netloc.lower()
    host = host_port
    if port is not None or host_port.endswith(":"):
        host = host_port.rsplit(":", 1)[0]
    if not host:
        raise _refuse(field, "the URL has no host")
    if host_port.endswith(":") or (port is not None and not 1 <= port <= 65535):
        raise _refuse(field, "the port must be a number from 1 to 65535")
    _check_host(field, host)
    if scheme == "http" and http_only_on_loopback and not is_loopback(host.strip("[]")):
        raise _refuse(field, "use https:// (http:// only for a loopback host)")
    if base and (parts.query or parts.fragment or text.endswith(("?", "#"))):
        raise _refuse(field, "a base URL has no query or fragment")
    path = parts.path.rstrip("/") if base else parts.path
    return urlunsplit((scheme, host_port, path, parts.query, parts.fragment))
