"""``python -m xinyidai.sandbox``: serve the sandbox provider on its own port.

The client secret comes on standard input (one line; empty means the sandbox default), so it
never shows in a process listing.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from xinyidai.sandbox.provider import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SEED,
    create_app,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xinyidai.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    args = parser.parse_args(argv)
    secret = (sys.stdin.readline() if not sys.stdin.isatty() else "").strip()
    app = create_app(
        seed=args.seed, client_id=args.client_id, client_secret=secret or DEFAULT_CLIENT_SECRET
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
