"""The platform's signing key: where it comes from, its kid, and the public set it publishes."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, KeySet

from xinyidai.infra.signing import Signer, derive_key
from xinyidai.settings import Env, Settings, SettingsError

SECRET = "a-test-secret-of-more-than-thirty-two-characters"


def test_development_derives_the_same_key_from_the_same_secret() -> None:
    one = Signer.from_settings(Settings(env=Env.TEST, secret_key=SECRET))
    again = Signer.from_settings(Settings(env=Env.DEVELOPMENT, secret_key=SECRET))
    other = Signer.from_settings(Settings(env=Env.TEST, secret_key=SECRET + "!"))
    assert one.kid == again.kid and one.jwks() == again.jwks()
    assert other.kid != one.kid
    assert derive_key(SECRET).thumbprint() == one.kid


def test_the_kid_is_the_rfc_7638_thumbprint_and_only_public_parts_are_published() -> None:
    signer = Signer.from_settings(Settings(env=Env.TEST))
    [published] = signer.jwks()["keys"]
    assert set(published) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert "d" not in published
    # RFC 7638 §3.2: the required members of an EC key, sorted, no whitespace, SHA-256.
    members = json.dumps({m: published[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=")
    assert published["kid"] == signer.kid == expected.decode()
    assert (published["kty"], published["crv"], published["alg"]) == ("EC", "P-256", "ES256")


def test_what_it_signs_verifies_with_the_published_set() -> None:
    signer = Signer.from_settings(Settings(env=Env.TEST))
    token = signer.sign({"hello": "world"}, typ="example+jwt")
    keys = KeySet.import_key_set(signer.jwks())  # type: ignore[arg-type]
    verified = jws.deserialize_compact(token, keys, algorithms=["ES256"])
    assert json.loads(verified.payload or b"") == {"hello": "world"}
    assert verified.headers() == {"alg": "ES256", "kid": signer.kid, "typ": "example+jwt"}


@pytest.mark.parametrize("form", ["jwk", "pem"])
def test_signing_key_is_used_when_set(form: str) -> None:
    key = ECKey.generate_key("P-256")
    text = (
        json.dumps(key.as_dict(private=True))
        if form == "jwk"
        else key.as_pem(private=True).decode()
    )
    signer = Signer.from_settings(
        Settings(env=Env.TEST, signing_key=text, public_url="https://xyd.example/")
    )
    assert signer.kid == key.thumbprint()
    assert signer.issuer == "https://xyd.example"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a key", "not an EC key"),
        ('{"kty": "oct", "k": "c2VjcmV0"}', "not an EC key"),
        (json.dumps(ECKey.generate_key("P-256").as_dict(private=False)), "private key"),
        (json.dumps(ECKey.generate_key("P-384").as_dict(private=True)), "P-256"),
    ],
)
def test_an_unusable_signing_key_is_refused(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Signer.from_settings(Settings(env=Env.TEST, signing_key=text))


def test_retired_keys_are_published_after_the_current_one_and_never_sign() -> None:
    old, current = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    retired = json.dumps({"keys": [old.as_dict(private=True)]})  # private parts are dropped
    signer = Signer.from_settings(
        Settings(
            env=Env.TEST,
            signing_key=json.dumps(current.as_dict(private=True)),
            signing_keys_retired=retired,
        )
    )
    assert [k["kid"] for k in signer.jwks()["keys"]] == [current.thumbprint(), old.thumbprint()]
    assert all("d" not in k for k in signer.jwks()["keys"])
    header = jws.extract_compact(signer.sign({}, typ="x").encode()).headers()
    assert header["kid"] == current.thumbprint()


def test_production_never_derives_a_key() -> None:
    # (Settings.from_env refuses production without SIGNING_KEY before this: test_settings.)
    with pytest.raises(SettingsError, match="SIGNING_KEY"):
        Signer.from_settings(Settings(env=Env.PRODUCTION, secret_key=SECRET))
