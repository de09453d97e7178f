"""``python -m xinyidai.sandbox``: serve the sandbox provider on its own port.

``python -m xinyidai.sandbox identity …`` serves the sandbox identity service instead, and
``python -m xinyidai.sandbox bank …`` the sandbox bank (webhooks; see ``sandbox/bank.py``).

The client secret comes on standard input (one line; empty means the sandbox default), so it
never shows in a process listing. The platform's public keys, which its authorization receipts
must verify against, come from ``--platform-jwks FILE`` (a JWK Set), ``--platform-jwks-uri URL``
(fetched when needed), or a second line of standard input holding the JWK Set as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys

import uvicorn

from xinyidai.sandbox.provider import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SEED,
    create_app,
)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["identity"]:
        identity_main(argv[1:])
        return
    if argv[:1] == ["bank"]:
        bank_main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m xinyidai.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--platform-jwks", metavar="FILE", help="the platform's JWK Set (JSON)")
    parser.add_argument("--platform-jwks-uri", metavar="URL", help="where the platform serves it")
    parser.add_argument("--audience", help="this provider's id in receipts (default: its URL)")
    args = parser.parse_args(argv)
    piped = not sys.stdin.isatty()
    secret = (sys.stdin.readline() if piped else "").strip()
    jwks_line = (sys.stdin.readline() if piped else "").strip()
    try:
        if args.platform_jwks:
            with open(args.platform_jwks, encoding="utf-8") as file:
                jwks = json.load(file)
        else:
            jwks = json.loads(jwks_line) if jwks_line else None
    except (OSError, ValueError) as exc:
        parser.error(f"the platform's JWK Set cannot be read: {exc}")
    app = create_app(
        seed=args.seed,
        client_id=args.client_id,
        client_secret=secret or DEFAULT_CLIENT_SECRET,
        platform_jwks=jwks,
        platform_jwks_uri=args.platform_jwks_uri,
        audience=args.audience,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def identity_main(argv: list[str]) -> None:
    """Serve the sandbox identity service (the electronic business licence stand-in)."""
    from xinyidai.sandbox.identity import DEFAULT_IDENTITY_CLIENT_SECRET, create_identity_app

    parser = argparse.ArgumentParser(prog="python -m xinyidai.sandbox identity")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--issuer", required=True, help="the service's public base URL")
    parser.add_argument("--client-id", required=True)
    parser.add_argument(
        "--redirect-uri", action="append", required=True, help="registered exactly; repeatable"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    secret = (sys.stdin.readline() if not sys.stdin.isatty() else "").strip()
    app = create_identity_app(
        issuer=args.issuer,
        client_id=args.client_id,
        client_secret=secret or DEFAULT_IDENTITY_CLIENT_SECRET,
        redirect_uris=args.redirect_uri,
        seed=args.seed,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def bank_main(argv: list[str]) -> None:
    """Serve the sandbox bank (receives the platform's webhooks at ``/webhooks``)."""
    from xinyidai.sandbox.bank import DEFAULT_MAX_AGE, create_bank_app

    parser = argparse.ArgumentParser(prog="python -m xinyidai.sandbox bank")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--platform-jwks", metavar="FILE", help="the platform's JWK Set (JSON)")
    parser.add_argument("--platform-jwks-uri", metavar="URL", help="where the platform serves it")
    parser.add_argument("--bank-id", help="this bank's id at the platform (the webhooks' aud)")
    parser.add_argument("--max-age", type=int, default=DEFAULT_MAX_AGE, help="seconds of iat")
    args = parser.parse_args(argv)
    if not args.platform_jwks and not args.platform_jwks_uri:
        parser.error("give --platform-jwks FILE or --platform-jwks-uri URL")
    jwks = None
    if args.platform_jwks:
        try:
            with open(args.platform_jwks, encoding="utf-8") as file:
                jwks = json.load(file)
        except (OSError, ValueError) as exc:
            parser.error(f"the platform's JWK Set cannot be read: {exc}")
    app = create_bank_app(
        platform_jwks=jwks,
        platform_jwks_uri=args.platform_jwks_uri,
        bank_id=args.bank_id,
        max_age=args.max_age,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
