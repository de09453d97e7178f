"""Free text from users: one rule for what may be stored."""

from __future__ import annotations

import unicodedata

from xinyidai.infra.errors import InvalidInput


def storable(value: str) -> bool:
    """PostgreSQL text takes valid UTF-8 without NUL; we also refuse other control characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return not any(unicodedata.category(ch) == "Cc" for ch in value)


def clean_text(field: str, value: str, *, min_length: int = 1) -> str:
    """Collapse whitespace and refuse blank, control or unencodable text, naming the field."""
    if not storable(value):
        raise InvalidInput.field(
            field, f"{field} contains control or invalid characters", "text_invalid"
        )
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    if len(cleaned) < min_length:
        raise InvalidInput.field(
            field, f"{field} needs at least {min_length} visible characters", "text_blank"
        )
    return cleaned
