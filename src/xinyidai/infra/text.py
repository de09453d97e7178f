"""Text from outside: one rule for what may be stored, and one way to store what we did not write.

* :func:`clean_text` is for names and free text typed by users: it refuses control characters,
  text that does not encode and bidirectional controls (which can make a name read differently
  from what it is), removes invisible format characters, and refuses what is then blank.
* :func:`storable_text` is for text the platform records but did not choose (an exception's
  message, a provider's reason): it never refuses, it replaces what PostgreSQL would refuse and
  bounds the length, so that recording a failure cannot fail in its turn.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from xinyidai.infra.errors import InvalidInput

# Unicode bidirectional controls: embeddings, overrides, isolates and the implicit marks.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
)
ZWJ = "\u200d"
# Characters that are not format characters (Cf) but show nothing on their own.
_BLANK_LOOKING = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # Braille pattern blank
    "\u034f"  # combining grapheme joiner
    "\u17b4\u17b5"  # Khmer inherent vowels
)
_EMOJI_BEFORE_ZWJ = frozenset({"So", "Sk"})


def storable(value: str) -> bool:
    """PostgreSQL text takes valid UTF-8 without NUL; we also refuse other control characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return not any(unicodedata.category(ch) == "Cc" for ch in value)


def _joins_emoji(value: str, index: int) -> bool:
    """Whether the ZWJ at ``index`` joins two emoji (👩‍💻, ❤️‍🔥), as in an emoji ZWJ sequence."""
    if index == 0 or index + 1 >= len(value):
        return False
    before, after = value[index - 1], value[index + 1]
    return (
        unicodedata.category(before) in _EMOJI_BEFORE_ZWJ or before == "\ufe0f"
    ) and unicodedata.category(after) == "So"


def _visible(ch: str) -> bool:
    return (
        not ch.isspace()
        and ch not in _BLANK_LOOKING
        and unicodedata.category(ch) not in {"Cf", "Mn", "Me"}  # marks alone show nothing
    )


def clean_text(
    field: str, value: str, *, min_length: int = 1, kind: Literal["name", "text"] = "name"
) -> str:
    """``value`` as stored: NFC, invisible format characters removed, whitespace collapsed.

    Refused (422 naming ``field``): control characters or text that does not encode
    (``text_invalid``), bidirectional controls (``text_bidi``), and fewer than ``min_length``
    visible characters (``text_blank``). Format characters (zero-width space and non-joiner,
    word joiner, BOM, soft hyphen, tag characters…) are removed; ``kind="text"`` (free text) keeps
    the zero-width joiner inside emoji sequences, where it is part of the character people see.
    """
    if not storable(value):
        raise InvalidInput.field(
            field, f"{field} contains control or invalid characters", "text_invalid"
        )
    if any(ch in BIDI_CONTROLS for ch in value):
        raise InvalidInput.field(
            field,
            f"{field} contains bidirectional control characters (U+202A-U+202E, U+2066-U+2069, "
            "U+200E, U+200F, U+061C), which can disguise text",
            "text_bidi",
        )
    normal = unicodedata.normalize("NFC", value)
    kept = "".join(
        ch
        for i, ch in enumerate(normal)
        if unicodedata.category(ch) != "Cf"
        or (kind == "text" and ch == ZWJ and _joins_emoji(normal, i))
    )
    cleaned = " ".join(kept.split())
    if sum(1 for ch in cleaned if _visible(ch)) < min_length:
        raise InvalidInput.field(
            field, f"{field} needs at least {min_length} visible characters", "text_blank"
        )
    return cleaned


def storable_text(value: object, *, limit: int = 2000) -> str:
    """``value`` as text PostgreSQL takes, at most ``limit`` characters: NUL and other control
    characters (but newline and tab) become U+FFFD, lone surrogates become ``\\udcxx`` escapes."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:  # no need to clean what will be cut
        text = text[: limit * 4]
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(
        "\ufffd" if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else ch for ch in text
    )
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
