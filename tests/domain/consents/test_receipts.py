"""The receipts the platform signs for data providers, and the keys it publishes to check them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.provider_fixtures import PLATFORM_SIGNER, authorization
from xinyidai.domain.consents.receipts import (
    RECEIPT_TYPE,
    DataSubject,
    ReceiptBook,
    issue_receipt,
)

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
AUDIENCE = "https://provider.example"


def open_receipt(token: str, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    verified = jws.deserialize_compact(token, keys, algorithms=["ES256"])
    return verified.headers(), json.loads(verified.payload or b"")


def test_a_receipt_states_who_authorized_what_for_whom_until_when() -> None:
    auth = authorization(["water", "tax"], purpose="申请信用贷款")
    auth.created_at = NOW - dt.timedelta(days=3)
    auth.expires_at = NOW + dt.timedelta(days=90)
    token = issue_receipt(
        PLATFORM_SIGNER,
        uscc="91440106MA59XXXX0X",
        legal_rep="王芳",
        authorization=auth,
        audience=AUDIENCE,
        now=NOW,
    )
    header, claims = open_receipt(token, PLATFORM_SIGNER.jwks())
    assert header == {"alg": "ES256", "kid": PLATFORM_SIGNER.kid, "typ": RECEIPT_TYPE}
    issued = int(NOW.timestamp())
    assert claims == {
        "iss": PLATFORM_SIGNER.issuer,
        "aud": AUDIENCE,
        "jti": claims["jti"],
        "iat": issued,
        "exp": issued + 15 * 60,
        "uscc": "91440106MA59XXXX0X",
        "legal_rep": "王芳",
        "families": ["tax", "water"],
        "purpose": "申请信用贷款",
        "authorization": {
            "id": str(auth.id),
            "reference": auth.reference,
            "granted_at": "2026-02-27T09:30:00Z",
            "expires_at": "2026-05-31T09:30:00Z",
        },
    }
    assert len(claims["jti"]) >= 16
    again = issue_receipt(
        PLATFORM_SIGNER, uscc="X", legal_rep="Y", authorization=auth, audience=AUDIENCE, now=NOW
    )
    assert open_receipt(again, PLATFORM_SIGNER.jwks())[1]["jti"] != claims["jti"]


def test_a_receipt_never_outlives_its_authorization() -> None:
    auth = authorization(["tax"])
    auth.expires_at = NOW + dt.timedelta(minutes=4)
    token = issue_receipt(
        PLATFORM_SIGNER, uscc="U", legal_rep="L", authorization=auth, audience=AUDIENCE, now=NOW
    )
    assert open_receipt(token, PLATFORM_SIGNER.jwks())[1]["exp"] == int(auth.expires_at.timestamp())


@pytest.mark.parametrize("ending", ["expired", "revoked"])
def test_no_receipt_is_issued_for_an_ended_authorization(ending: str) -> None:
    auth = authorization(["tax"])
    if ending == "expired":
        auth.expires_at = NOW
    else:
        auth.revoked_at = NOW - dt.timedelta(seconds=1)
    with pytest.raises(ValueError, match=ending):
        issue_receipt(
            PLATFORM_SIGNER, uscc="U", legal_rep="L", authorization=auth, audience=AUDIENCE, now=NOW
        )


def test_a_run_reuses_its_receipt_until_it_is_about_to_expire() -> None:
    book = ReceiptBook(PLATFORM_SIGNER, DataSubject(uscc="U", legal_rep="L"), AUDIENCE)
    one, other = authorization(["tax"]), authorization(["water"])
    first = book.receipt(one, NOW)
    assert book.receipt(one, NOW + dt.timedelta(minutes=13)) == first
    assert book.receipt(other, NOW) != first
    renewed = book.receipt(one, NOW + dt.timedelta(minutes=14, seconds=30))
    assert renewed != first
    claims = open_receipt(renewed, PLATFORM_SIGNER.jwks())[1]
    assert claims["iat"] == int((NOW + dt.timedelta(minutes=14, seconds=30)).timestamp())


async def test_the_platform_publishes_its_public_keys_and_nothing_else(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert response.headers["cache-control"] == "max-age=300, public"
    jwks = response.json()
    assert [key["kid"] for key in jwks["keys"]] == [app.state.signer.kid]
    assert all(set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"} for key in jwks["keys"])
    assert "set-cookie" not in response.headers

    token = issue_receipt(
        app.state.signer,
        uscc="U",
        legal_rep="L",
        authorization=authorization(["tax"]),
        audience=AUDIENCE,
        now=dt.datetime.now(dt.UTC),
    )
    assert open_receipt(token, jwks)[1]["uscc"] == "U"
