"""``python -m xinyidai.sandbox``: serve the sandbox provider on its own port.

``python -m xinyidai.sandbox identity …`` serves the sandbox identity service instead, and
``python -m xinyidai.sandbox bank …`` the sandbox bank (webhooks, intake, automated decisions
and loans; see ``sandbox/bank/``).

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

# Each service imports only its own modules: the provider's (the city simulator, scipy) cost
# the bank and the identity service a good part of their start-up.


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["identity"]:
        identity_main(argv[1:])
        return
    if argv[:1] == ["bank"]:
        bank_main(argv[1:])
        return
    from xinyidai.sandbox.provider import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_SEED,
        create_app,
    )

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
    from xinyidai.sandbox.provider import DEFAULT_SEED

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
    """Serve the sandbox bank: webhooks at ``/webhooks``, its token endpoint and intake, and,
    given the platform and its client there, the automated review, decisions and loans."""
    import logging

    from xinyidai.sandbox.bank import (
        DEFAULT_INTAKE_CLIENT_ID,
        DEFAULT_INTAKE_CLIENT_SECRET,
        DEFAULT_MAX_AGE,
        create_bank_app,
    )
    from xinyidai.sandbox.bank.platform import DEFAULT_SCOPE, load_key

    # Its calls to the platform are its own business: `xinyidai run`'s console shows warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m xinyidai.sandbox bank")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--platform-jwks", metavar="FILE", help="the platform's JWK Set (JSON)")
    parser.add_argument(
        "--platform-jwks-uri",
        metavar="URL",
        help="where the platform serves it (default: <platform-url>/.well-known/jwks.json)",
    )
    parser.add_argument("--bank-id", help="this bank's id at the platform (the webhooks' aud)")
    parser.add_argument("--max-age", type=int, default=DEFAULT_MAX_AGE, help="seconds of iat")
    parser.add_argument("--platform-url", help="where the platform is reached")
    parser.add_argument("--issuer", help="the platform's issuer (default: --platform-url)")
    parser.add_argument("--client-id", help="this bank's private_key_jwt client at the platform")
    parser.add_argument("--key-file", help="that client's private key (a JWK, JSON)")
    parser.add_argument("--scope", default=DEFAULT_SCOPE)
    parser.add_argument("--intake-client-id", default=DEFAULT_INTAKE_CLIENT_ID)
    parser.add_argument(
        "--intake-client-secret",
        help="the relay's secret at the bank's /oauth/token (default: the first line of "
        "standard input, else the sandbox default)",
    )
    parser.add_argument("--months-per-minute", type=float, default=2.0, help="the demo clock")
    args = parser.parse_args(argv)
    jwks_uri = args.platform_jwks_uri
    if not jwks_uri and args.platform_url:
        jwks_uri = f"{args.platform_url.rstrip('/')}/.well-known/jwks.json"
    if not args.platform_jwks and not jwks_uri:
        parser.error("give --platform-url, --platform-jwks FILE or --platform-jwks-uri URL")
    automated = [args.platform_url, args.client_id, args.key_file]
    if any(automated) and not all(automated):
        parser.error("automation needs --platform-url, --client-id and --key-file together")
    secret = args.intake_client_secret
    if secret is None:
        secret = (sys.stdin.readline() if not sys.stdin.isatty() else "").strip()
    jwks = None
    if args.platform_jwks:
        try:
            with open(args.platform_jwks, encoding="utf-8") as file:
                jwks = json.load(file)
        except (OSError, ValueError) as exc:
            parser.error(f"the platform's JWK Set cannot be read: {exc}")
    try:
        key = load_key(args.key_file) if args.key_file else None
    except (OSError, ValueError) as exc:
        parser.error(f"the client's key cannot be read: {exc}")
    app = create_bank_app(
        platform_jwks=jwks,
        platform_jwks_uri=jwks_uri,
        bank_id=args.bank_id,
        max_age=args.max_age,
        intake_client_id=args.intake_client_id,
        intake_client_secret=secret or DEFAULT_INTAKE_CLIENT_SECRET,
        platform_url=args.platform_url,
        client_id=args.client_id,
        key=key,
        issuer=args.issuer,
        scope=args.scope,
        months_per_minute=args.months_per_minute,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
