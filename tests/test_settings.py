"""Configuration comes from the environment, is validated, and is documented in the README."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from joserfc.jwk import ECKey

from xinyidai.settings import Env, Settings, SettingsError, settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_are_development_with_embedded_engines() -> None:
    settings = Settings.from_env({})
    assert settings.env is Env.DEVELOPMENT
    assert settings.database_url is None and settings.redis_url is None
    assert settings.port == 8000
    assert not settings.secure_cookies


def test_values_are_parsed_and_bad_ones_named() -> None:
    settings = Settings.from_env({"PORT": "9001", "COOKIE_SECURE": "yes", "ENV": "test"})
    assert settings.port == 9001 and settings.secure_cookies and settings.env is Env.TEST
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
    with pytest.raises(SettingsError, match="ENV"):
        Settings.from_env({"ENV": "staging"})


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ENV": "production"})
    key = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(SettingsError, match="DATA_KEY"):
        Settings.from_env({"ENV": "production", "SECRET_KEY": "s" * 40})
    with pytest.raises(SettingsError, match="32 bytes"):
        Settings.from_env(
            {
                "ENV": "production",
                "SECRET_KEY": "s" * 40,
                "DATA_KEY": base64.b64encode(b"short").decode(),
            }
        )
    with pytest.raises(SettingsError, match="SIGNING_KEY"):
        Settings.from_env({"ENV": "production", "SECRET_KEY": "s" * 40, "DATA_KEY": key})
    signing_key = ECKey.generate_key("P-256").as_pem(private=True).decode()
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env(
            {
                "ENV": "production",
                "SECRET_KEY": "s" * 40,
                "DATA_KEY": key,
                "SIGNING_KEY": signing_key,
            }
        )
    engines = {"DATABASE_URL": "postgresql://db/x", "REDIS_URL": "redis://r"}
    secrets = {"ENV": "production", "SECRET_KEY": "s" * 40, "DATA_KEY": key}
    with pytest.raises(SettingsError, match="IDENTITY_URL"):  # never the sandbox's
        Settings.from_env({**secrets, "SIGNING_KEY": signing_key, **engines})
    production = Settings.from_env(
        {
            **secrets,
            "SIGNING_KEY": signing_key,
            **engines,
            "IDENTITY_URL": "https://elicence.example.gov.cn",
            "IDENTITY_CLIENT_SECRET": "i" * 40,
        }
    )
    assert production.secure_cookies and production.json_logs
    assert production.data_key_bytes == b"k" * 32


def test_the_readme_configuration_table_matches_settings() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", text, re.S
    )
    assert match, "README lacks the generated settings table"
    assert match.group(1).strip() == settings_table().strip(), (
        "README settings table is stale: paste the output of `xinyidai config docs`"
    )
