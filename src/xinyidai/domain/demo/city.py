"""A deterministic small demo city: SMEs with valid codes across industries and districts."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from xinyidai.domain.enterprises.codes import (
    SECTIONS,
    USCC_ALPHABET,
    resident_id_check_char,
    uscc_check_char,
)

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
# Divisions SMEs commonly register under, weighted towards manufacturing, trade and services.
_DIVISIONS = (
    ["13", "14", "17", "18", "19", "21", "22", "26", "29", "33", "34", "35", "38", "39", "40"] * 2
    + ["51", "52", "51", "52"] * 2
    + [
        "47",
        "48",
        "50",
        "54",
        "58",
        "59",
        "61",
        "62",
        "64",
        "65",
        "65",
        "72",
        "73",
        "75",
        "01",
        "03",
        "70",
        "80",
        "83",
        "87",
    ]
)
_TRADE_WORDS = {
    "A": ["农业", "生态农场", "水产"],
    "C": ["电子", "精密机械", "服装", "家具", "塑料制品", "智能装备"],
    "E": ["建筑工程", "装饰工程"],
    "F": ["贸易", "商贸", "供应链"],
    "G": ["物流", "运输"],
    "H": ["餐饮管理", "酒店管理"],
    "I": ["信息科技", "软件", "网络科技"],
    "K": ["物业管理"],
    "L": ["商务咨询", "企业管理"],
    "M": ["检测技术", "设计"],
    "O": ["家政服务", "维修服务"],
    "P": ["教育科技"],
    "R": ["文化传播", "体育发展"],
}
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
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海波宁辉晓燕鹏飞")

BANKS = (
    ("ICBC_GZ", "中国工商银行广州分行（演示）", "Industrial and Commercial Bank, Guangzhou (demo)"),
    ("CCB_GZ", "中国建设银行广东省分行（演示）", "China Construction Bank, Guangdong (demo)"),
    ("ABC_GZ", "中国农业银行广州分行（演示）", "Agricultural Bank of China, Guangzhou (demo)"),
    ("GRCB", "广州农村商业银行（演示）", "Guangzhou Rural Commercial Bank (demo)"),
    ("CMB_GZ", "招商银行广州分行（演示）", "China Merchants Bank, Guangzhou (demo)"),
)


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_number: str
    registered_capital: Decimal
    founded_on: dt.date
    industry_division: str
    district_code: str


def org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) drawn from the USCC alphabet."""
    body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(rng: random.Random, district: str) -> str:
    first17 = "91" + district + org_code(rng)
    return first17 + uscc_check_char(first17)


def make_resident_id(rng: random.Random, district: str) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    first17 = district + birth.strftime("%Y%m%d") + f"{rng.randrange(0, 1000):03d}"
    return first17 + resident_id_check_char(first17)


def _section(division: str) -> str:
    number = int(division)
    return next(s.code for s in SECTIONS if s.first <= number <= s.last)


def demo_enterprises(count: int = 200, seed: int = 2026) -> list[DemoEnterprise]:
    rng = random.Random(seed)
    districts = sorted(DISTRICTS)
    seen: set[str] = set()
    result: list[DemoEnterprise] = []
    while len(result) < count:
        district = (
            districts[len(result) % len(districts)]
            if len(result) < len(districts)
            else rng.choice(districts)
        )
        division = rng.choice(_DIVISIONS)
        words = _TRADE_WORDS.get(_section(division), ["实业", "科技", "发展"])
        name = f"广州{rng.choice(PREFIXES)}{rng.choice(PREFIXES)}{rng.choice(words)}有限公司"
        uscc = make_uscc(rng, district)
        if name in seen or uscc in seen:
            continue
        seen |= {name, uscc}
        capital = Decimal(rng.choice([10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000])) * 10_000
        founded = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 25))
        result.append(
            DemoEnterprise(
                name=name,
                uscc=uscc,
                legal_rep_name=rng.choice(_SURNAMES)
                + "".join(rng.sample(_GIVEN, rng.choice([1, 2]))),
                legal_rep_id_number=make_resident_id(rng, district),
                registered_capital=capital,
                founded_on=founded,
                industry_division=division,
                district_code=district,
            )
        )
    return result
