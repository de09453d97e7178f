"""USCC (GB 32100-2015), resident ID (GB 11643-1999) and GB/T 4754 rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyidai.domain.enterprises.codes import (
    USCC_ALPHABET,
    CodeError,
    mask_resident_id,
    section_of_division,
    uscc_check_char,
    validate_district,
    validate_industry,
    validate_resident_id,
    validate_uscc,
)

prefixes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)

# The concrete cases (published codes of real companies, and broken codes with the rule each
# breaks) are shared with the portal's check (frontend/src/lib/uscc.test.ts).
USCC_CASES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "uscc_cases.json").read_text(encoding="utf-8")
)


@given(prefixes)
def test_any_prefix_with_its_computed_check_character_is_valid(prefix: str) -> None:
    code = prefix + uscc_check_char(prefix)
    assert validate_uscc(code) == code


@given(prefixes, st.integers(min_value=0, max_value=17), st.data())
def test_any_single_character_change_is_invalid(
    prefix: str, position: int, data: st.DataObject
) -> None:
    code = prefix + uscc_check_char(prefix)
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(CodeError) as err:
        validate_uscc(changed)
    assert err.value.rule == "uscc_check_character"


@given(prefixes, st.integers(min_value=0, max_value=17), st.sampled_from("IOZSV*a"))
def test_characters_outside_the_alphabet_are_named(prefix: str, position: int, bad: str) -> None:
    code = prefix + uscc_check_char(prefix)
    changed = code[:position] + bad + code[position + 1 :]
    if bad == "a":  # lower case is accepted and normalised only if it is a valid letter
        changed = changed.upper()
        if changed == code:
            return
    with pytest.raises(CodeError) as err:
        validate_uscc(changed)
    assert err.value.rule in {"uscc_alphabet", "uscc_check_character"}
    if bad in "IOZSV*":
        assert err.value.rule == "uscc_alphabet"
        assert f"character {position + 1}" in err.value.message


@pytest.mark.parametrize("case", USCC_CASES["valid"], ids=lambda c: repr(c["code"]))
def test_real_codes_are_accepted(case: dict[str, Any]) -> None:
    expected = case.get("normalised", case["code"])
    assert validate_uscc(case["code"]) == expected
    assert validate_uscc(" " + expected.lower() + " ") == expected


@pytest.mark.parametrize("case", USCC_CASES["invalid"], ids=lambda c: repr(c["code"]))
def test_broken_codes_name_the_rule_they_break(case: dict[str, Any]) -> None:
    with pytest.raises(CodeError) as err:
        validate_uscc(case["code"])
    assert err.value.rule == case["rule"]
    if "position" in case:
        assert f"character {case['position']} " in err.value.message
    if "expected" in case:
        assert f"gives {case['expected']!r}" in err.value.message


def test_resident_id_check_digit_and_masking() -> None:
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"
    with pytest.raises(CodeError) as err:
        validate_resident_id("110105194912310021")
    assert err.value.rule == "id_check_character"
    with pytest.raises(CodeError):
        validate_resident_id("110105194913310021")  # month 13
    assert mask_resident_id("11010519491231002X") == "110***********002X"


def test_divisions_map_to_their_gbt_4754_section() -> None:
    assert section_of_division("01") == "A"
    assert section_of_division("39") == "C"
    assert section_of_division("43") == "C"
    assert section_of_division("52") == "F"
    assert section_of_division("65") == "I"
    assert section_of_division("97") == "T"
    with pytest.raises(CodeError):
        section_of_division("98")
    with pytest.raises(CodeError) as err:
        validate_industry("F", "39")
    assert err.value.rule == "industry_section_mismatch"


def test_district_codes_need_a_real_province_prefix() -> None:
    assert validate_district("440106") == "440106"
    for bad in ("000000", "990101", "44010", "4401066", "44O106"):
        with pytest.raises(CodeError):
            validate_district(bad)
