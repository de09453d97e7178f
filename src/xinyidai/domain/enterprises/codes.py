"""Identifier and classification codes: USCC (GB 32100-2015), resident ID (GB 11643-1999),
industries (GB/T 4754-2017) and administrative divisions.

Pure functions; each validator returns the normalised value or raises ``CodeError`` naming the
rule that failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS


class CodeError(ValueError):
    """A code broke a rule; ``rule`` is a short machine-readable name of that rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are ``first17``."""
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Validate a 统一社会信用代码; returns it upper-cased and stripped."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise CodeError("uscc_length", f"a USCC has 18 characters, this one has {len(code)}")
    for pos, ch in enumerate(code, start=1):
        if ch not in _USCC_VALUE:
            raise CodeError(
                "uscc_alphabet",
                f"character {pos} ({ch!r}) is not allowed in a USCC "
                "(digits and upper-case letters except I, O, Z, S, V)",
            )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise CodeError(
            "uscc_check_character",
            f"the check character is {code[17]!r} but GB 32100-2015 gives {expected!r} "
            "for the first 17 characters",
        )
    return code


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]$")


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(raw: str) -> str:
    """Validate an 18-digit resident identity card number (居民身份证号码)."""
    code = raw.strip().upper()
    if not _ID_RE.match(code):
        raise CodeError(
            "id_format",
            "an ID number has 17 digits and a check digit or X, with a valid birth date",
        )
    if code[17] != resident_id_check_char(code[:17]):
        raise CodeError("id_check_character", "the ID number's check character is wrong")
    return code


def mask_resident_id(code: str) -> str:
    """Keep the first 3 and last 4 characters: 440***********123X."""
    return code[:3] + "*" * (len(code) - 7) + code[-4:]


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    first: int
    last: int
    zh: str
    en: str


# GB/T 4754-2017 sections (门类) with the divisions (大类) each one spans.
SECTIONS: tuple[Section, ...] = (
    Section("A", 1, 5, "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    Section("B", 6, 12, "采矿业", "Mining"),
    Section("C", 13, 43, "制造业", "Manufacturing"),
    Section(
        "D",
        44,
        46,
        "电力、热力、燃气及水生产和供应业",
        "Electricity, heat, gas and water production and supply",
    ),
    Section("E", 47, 50, "建筑业", "Construction"),
    Section("F", 51, 52, "批发和零售业", "Wholesale and retail trade"),
    Section("G", 53, 60, "交通运输、仓储和邮政业", "Transport, storage and postal services"),
    Section("H", 61, 62, "住宿和餐饮业", "Accommodation and catering"),
    Section(
        "I",
        63,
        65,
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and IT services",
    ),
    Section("J", 66, 69, "金融业", "Finance"),
    Section("K", 70, 70, "房地产业", "Real estate"),
    Section("L", 71, 72, "租赁和商务服务业", "Leasing and business services"),
    Section("M", 73, 75, "科学研究和技术服务业", "Scientific research and technical services"),
    Section(
        "N",
        76,
        79,
        "水利、环境和公共设施管理业",
        "Water conservancy, environment and public facilities management",
    ),
    Section("O", 80, 82, "居民服务、修理和其他服务业", "Resident, repair and other services"),
    Section("P", 83, 83, "教育", "Education"),
    Section("Q", 84, 85, "卫生和社会工作", "Health and social work"),
    Section("R", 86, 90, "文化、体育和娱乐业", "Culture, sports and entertainment"),
    Section(
        "S",
        91,
        96,
        "公共管理、社会保障和社会组织",
        "Public administration, social security and social organisations",
    ),
    Section("T", 97, 97, "国际组织", "International organisations"),
)
SECTION_BY_CODE = {s.code: s for s in SECTIONS}


def section_of_division(raw: str) -> str:
    """The section letter a two-digit GB/T 4754-2017 division belongs to."""
    division = raw.strip()
    if not re.fullmatch(r"\d{2}", division):
        raise CodeError("industry_division_format", "an industry division is two digits, e.g. '39'")
    number = int(division)
    for section in SECTIONS:
        if section.first <= number <= section.last:
            return section.code
    raise CodeError("industry_division_unknown", f"division {division} is not in GB/T 4754-2017")


def validate_industry(section: str | None, division: str) -> tuple[str, str]:
    """Validate a division (and, if given, that the section matches it)."""
    derived = section_of_division(division)
    if section is not None and section.strip().upper() != derived:
        raise CodeError(
            "industry_section_mismatch",
            f"division {division} belongs to section {derived}, not {section}",
        )
    return derived, division.strip()


_DISTRICT_RE = re.compile(r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-2])\d{4}$")


def validate_district(raw: str) -> str:
    """A six-digit administrative division code with a real province prefix (GB/T 2260)."""
    code = raw.strip()
    if not _DISTRICT_RE.match(code):
        raise CodeError(
            "district_format",
            "a district is a 6-digit administrative division code such as 440106",
        )
    return code
