"""Playing the legal representative at the sandbox identity service, headlessly.

What a person does in the browser (open the verification link, enter the licence holder's ID
number, approve) done over HTTP, for the demo seed and the tests. It returns where the service
sends the browser back: the platform's callback URL with ``code`` and ``state`` (or ``error``).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx


class NotConfirmed(RuntimeError):
    """The identity service did not send the browser back (it refused the person)."""


async def confirm(
    http: httpx.AsyncClient,
    authorization_url: str,
    *,
    uscc: str,
    id_number: str,
    decision: str = "approve",
) -> str:
    opened = await http.get(authorization_url, headers={"accept": "application/json"})
    if opened.is_redirect:  # the service refused the request itself and sends the error back
        return opened.headers["location"]
    if opened.status_code != 200:
        raise NotConfirmed(f"the identity service answered {opened.status_code}")
    request_id = opened.json()["request_id"]
    parts = urlsplit(authorization_url)
    action = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    answered = await http.post(
        action,
        data={
            "request_id": request_id,
            "uscc": uscc,
            "legal_rep_id_number": id_number,
            "decision": decision,
        },
        headers={"accept": "application/json"},
    )
    if not answered.is_redirect:
        raise NotConfirmed(f"the identity service refused: {answered.text[:200]}")
    return answered.headers["location"]
