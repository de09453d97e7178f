"""The simulated city's firm registry: who the firms are.

Firm ``i`` of the city ``seed`` has a valid USCC (a district of Guangzhou and an organisation
code derived bijectively from ``i``: :func:`firm_usccs`), a Chinese name, an industry (a
GB/T 4754 division matching its activity profile), a registered capital loosely tied to its
size, the founding date of its first activity and a legal representative with a valid resident
ID number (a local, 23 to 58 years old at the founding). Everything is a pure function of
``(seed, i)``: firm ``i`` is the same firm in a city of ten and in a city of a million, and its
monthly figures (:mod:`xinyidai.simulation.generator`) and public records
(:mod:`xinyidai.simulation.records`) are those of the same USCC and seed. Names are not unique
across the city (a registration authority would refuse a taken one): take distinct ones where
that matters, as the demo city does.

:func:`make_uscc` and :func:`make_resident_id` draw loose valid codes from a ``random.Random``,
for tests and hand-made data outside the city.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from xinyidai.dates import period_of
from xinyidai.domain.enterprises.codes import (
    USCC_ALPHABET,
    resident_id_check_char,
    section_of_division,
    uscc_check_char,
)
from xinyidai.simulation.purposes import PURPOSES as _P
from xinyidai.simulation.randomness import normals, uniforms
from xinyidai.simulation.traits import PROFILE_NAMES, TraitArrays, city_traits

# Guangzhou's districts (GB/T 2260).
DISTRICTS = {
    "440103": "荔湾",
    "440104": "越秀",
    "440105": "海珠",
    "440106": "天河",
    "440111": "白云",
    "440112": "黄埔",
    "440113": "番禺",
    "440114": "花都",
    "440115": "南沙",
    "440117": "从化",
    "440118": "增城",
}
_DISTRICTS = tuple(DISTRICTS.items())
# The first parts of a firm's name (字号), two of them after 广州.
PREFIXES = [
    "穗",
    "粤",
    "珠江",
    "羊城",
    "华南",
    "南粤",
    "花城",
    "越秀",
    "岭南",
    "五羊",
    "白云",
    "云山",
    "天河",
    "番禺",
    "南沙",
    "东湖",
    "荔湾",
    "黄埔",
    "金穗",
    "宏达",
    "恒信",
    "永盛",
    "创新",
    "鸿运",
    "嘉和",
    "锦程",
    "瑞丰",
    "盛世",
    "腾飞",
    "启明",
]
# Industries by activity profile: (division, name word).
INDUSTRIES: dict[str, tuple[tuple[str, str], ...]] = {
    "manufacturing": (
        ("13", "食品"), ("17", "纺织"), ("18", "服装"), ("19", "皮具"), ("21", "家具"),
        ("22", "纸品"), ("26", "化工"), ("29", "塑料制品"), ("33", "五金制品"),
        ("34", "精密机械"), ("35", "智能装备"), ("38", "电器"), ("39", "电子"),
        ("40", "仪器仪表"),
    ),
    "trade": (("51", "贸易"), ("51", "供应链"), ("52", "商贸"), ("52", "百货")),
    "services": (
        ("54", "物流"), ("59", "仓储"), ("64", "网络科技"), ("65", "软件"), ("65", "信息科技"),
        ("72", "企业管理"), ("73", "检测技术"), ("75", "科技发展"), ("80", "家政服务"),
        ("87", "文化传播"),
    ),
    "catering": (("62", "餐饮管理"), ("61", "酒店管理"), ("62", "饮食")),
    "construction": (("47", "建筑工程"), ("48", "市政工程"), ("50", "装饰工程")),
}  # fmt: skip
_CAPITALS = np.array([10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000]) * 10_000
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海波宁辉晓燕鹏飞"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class Firm:
    """A firm's registration (what the public registry holds), duck-typing the ``Enterprise``
    row that ``build_content`` reads."""

    index: int
    id: uuid.UUID
    uscc: str
    name: str
    founded_on: dt.date
    registered_capital: Decimal
    industry_section: str
    industry_division: str
    district_code: str
    legal_rep_name: str
    legal_rep_id_number: str
    status: str = "active"


def stable_uuid(*parts: object) -> uuid.UUID:
    """A UUID that is a pure function of ``parts`` (BLAKE2b, never Python's salted hash)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


# --- codes --------------------------------------------------------------------------------------
def _with_org_check(body: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _org_code_of(n: int) -> str:
    """A 9-character organisation code (GB 11714) whose body encodes ``n`` bijectively."""
    body = ""
    for _ in range(8):
        n, digit = divmod(n, 31)
        body += USCC_ALPHABET[digit]
    return _with_org_check(body)


def _resident_id(district: str, birth: dt.date, order: int) -> str:
    first17 = district + birth.strftime("%Y%m%d") + f"{order:03d}"
    return first17 + resident_id_check_char(first17)


def firm_usccs(seed: int, start: int, stop: int) -> list[str]:
    """The USCCs of firms ``start`` … ``stop - 1`` of the city ``seed`` (distinct)."""
    space = 31**8
    offset = int.from_bytes(hashlib.blake2b(f"uscc|{seed}".encode(), digest_size=8).digest())
    out = []
    for i in range(start, stop):
        h = int.from_bytes(hashlib.blake2b(f"{seed}|{i}".encode(), digest_size=2).digest())
        district = _DISTRICTS[h % len(_DISTRICTS)][0]
        code = _org_code_of((i * 1_000_003 + offset) % space)  # 1,000,003 is prime, not 31
        first17 = "91" + district + code
        out.append(first17 + uscc_check_char(first17))
    return out


def org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) drawn from the USCC alphabet."""
    return _with_org_check("".join(rng.choice(USCC_ALPHABET) for _ in range(8)))


def make_uscc(rng: random.Random, district: str) -> str:
    """A random valid USCC of an enterprise registered in ``district`` (not a city firm)."""
    first17 = "91" + district + org_code(rng)
    return first17 + uscc_check_char(first17)


def make_resident_id(rng: random.Random, district: str) -> str:
    """A random valid resident ID number from ``district``, born 1960 to 1999."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    return _resident_id(district, birth, rng.randrange(0, 1000))


# --- the registry -------------------------------------------------------------------------------
def firm_names(traits: TraitArrays) -> list[str]:
    """The registered names of the firms of ``traits``."""
    return _names_and_divisions(traits)[0]


def _names_and_divisions(traits: TraitArrays) -> tuple[list[str], list[str]]:
    """Each firm's (name, division)."""
    u_name = uniforms(traits.keys, _P["name"])
    u_division = uniforms(traits.keys, _P["division"])
    names, divisions = [], []
    for i in range(len(traits)):
        options = INDUSTRIES[PROFILE_NAMES[int(traits.profile[i])]]
        division, word = options[int(u_division[i] * len(options))]
        code = int(u_name[i] * len(PREFIXES) ** 2)
        first, second = PREFIXES[code // len(PREFIXES)], PREFIXES[code % len(PREFIXES)]
        names.append(f"广州{first}{second}{word}有限公司")
        divisions.append(division)
    return names, divisions


def _legal_reps(traits: TraitArrays, founded_on: list[dt.date]) -> list[tuple[str, str]]:
    """Each firm's legal representative: (name, resident ID number)."""
    keys = traits.keys
    age = 23 + 35 * uniforms(keys, _P["legal_rep_age"])
    order = uniforms(keys, _P["legal_rep_order"])
    surname = uniforms(keys, _P["legal_rep_surname"])
    given = [uniforms(keys, _P["legal_rep_given"] + k) for k in range(2)]
    two = uniforms(keys, _P["legal_rep_given_count"]) < 0.7
    out = []
    for i, (uscc, founded) in enumerate(zip(traits.usccs, founded_on, strict=True)):
        name = _SURNAMES[int(surname[i] * len(_SURNAMES))]
        name += "".join(_GIVEN[int(g[i] * len(_GIVEN))] for g in given[: 1 + int(two[i])])
        birth = founded - dt.timedelta(days=int(age[i] * 365.25))
        out.append((name, _resident_id(uscc[2:8], birth, int(order[i] * 1000))))
    return out


def registrations(traits: TraitArrays, seed: int, first_firm: int = 0) -> list[Firm]:
    """The registrations of the firms of ``traits`` (firms ``first_firm`` … of the city
    ``seed``, or any USCCs of it)."""
    capital = traits.size * np.exp(0.2 + 0.8 * normals(traits.keys, _P["capital"]))
    ladder = np.log(_CAPITALS)
    capital_step = np.abs(np.log(capital)[:, None] - ladder[None, :]).argmin(axis=1)
    names, divisions = _names_and_divisions(traits)
    founded_on = [
        period_of(int(month)).replace(day=int(day))
        for month, day in zip(traits.founded.tolist(), traits.founded_day.tolist(), strict=True)
    ]
    reps = _legal_reps(traits, founded_on)
    return [
        Firm(
            index=first_firm + i,
            id=stable_uuid("enterprise", seed, uscc),
            uscc=uscc,
            name=names[i],
            founded_on=founded_on[i],
            registered_capital=Decimal(int(_CAPITALS[capital_step[i]])).quantize(Decimal("0.01")),
            industry_section=section_of_division(divisions[i]),
            industry_division=divisions[i],
            district_code=uscc[2:8],
            legal_rep_name=reps[i][0],
            legal_rep_id_number=reps[i][1],
        )
        for i, uscc in enumerate(traits.usccs)
    ]


def registry(n_firms: int, seed: int, first_firm: int = 0) -> list[Firm]:
    """Firms ``first_firm`` … ``first_firm + n_firms - 1`` of the city ``seed``."""
    usccs = firm_usccs(seed, first_firm, first_firm + n_firms)
    return registrations(city_traits(usccs, seed), seed, first_firm)
