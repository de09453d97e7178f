"""Realistic synthetic public-credit rows, for tests and the import benchmark.

Rows look like a municipal public credit information system's export (公共信用信息): Guangzhou
subjects with valid USCCs, the record types in realistic proportions (licences and penalties
common, serious-dishonesty listings rare), Chinese document numbers, authorities and contents,
publication periods by severity, tax/customs/environmental grades, the odd repaired record and a
few alternative date formats. Every row is valid for :mod:`xinyidai.domain.credit_data.imports`.
Deterministic for a given ``seed``.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from xinyidai.domain.credit_data.imports import FIELDS
from xinyidai.domain.demo.city import DISTRICTS, PREFIXES, make_uscc

COLUMNS = FIELDS  # the import's canonical column order
CHINESE_COLUMNS = {
    "uscc": "统一社会信用代码",
    "name": "主体名称",
    "record_type": "信息类别",
    "document_no": "决定文书号",
    "decision_date": "决定日期",
    "authority": "决定机关",
    "severity": "失信程度",
    "description": "内容",
    "publish_until": "公示截止期",
    "grade": "信用等级",
    "status": "状态",
}

# (record type, weight per 1000 rows)
TYPE_WEIGHTS = (
    ("admin_licence", 400),
    ("admin_penalty", 250),
    ("tax_grade", 100),
    ("abnormal_operation", 80),
    ("credit_commitment", 70),
    ("red_list", 30),
    ("dishonest_debtor", 30),
    ("environmental_grade", 20),
    ("customs_grade", 15),
    ("serious_dishonesty", 5),
)
FIRST_DATE = dt.date(2020, 1, 1)
LAST_DATE = dt.date(2026, 10, 31)  # fixed, so that the rows never lie in the future

_DISTRICT_CODES = sorted(DISTRICTS)
_PREFIXES = PREFIXES
_TRADES = [
    "电子",
    "精密机械",
    "服装",
    "家具",
    "塑料制品",
    "智能装备",
    "建筑工程",
    "装饰工程",
    "贸易",
    "商贸",
    "供应链",
    "物流",
    "餐饮管理",
    "信息科技",
    "软件",
    "检测技术",
    "文化传播",
    "生物科技",
    "新材料",
    "食品",
]
_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
_LICENCES = (
    ("食品经营许可", "穗市监食许"),
    ("建筑施工企业安全生产许可", "粤建安许"),
    ("排污许可", "穗环许"),
    ("道路运输经营许可", "穗交运许"),
    ("危险化学品经营许可", "穗应急危化经"),
    ("印刷经营许可", "穗新出印许"),
    ("公共场所卫生许可", "穗卫公许"),
)
_PENALTIES = (
    ("广州市{d}区市场监督管理局", "穗{s}市监处罚", "《中华人民共和国广告法》第二十八条", "罚款"),
    (
        "广州市{d}区市场监督管理局",
        "穗{s}市监处罚",
        "《中华人民共和国食品安全法》第一百二十四条",
        "没收违法所得并罚款",
    ),
    (
        "国家税务总局广州市{d}区税务局",
        "穗{s}税罚",
        "《中华人民共和国税收征收管理法》第六十二条",
        "罚款",
    ),
    ("广州市生态环境局", "穗环罚", "《中华人民共和国大气污染防治法》第一百零八条", "罚款"),
    ("广州市{d}区应急管理局", "穗{s}应急罚", "《中华人民共和国安全生产法》第九十九条", "罚款"),
    (
        "广州市人力资源和社会保障局",
        "穗人社监罚",
        "《劳动保障监察条例》第二十六条",
        "责令支付并罚款",
    ),
    ("广州市消防救援支队", "穗消行罚决字", "《中华人民共和国消防法》第六十条", "罚款"),
)
_ABNORMAL = (
    "未按照规定期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在责令的期限内公示有关企业信息",
)
_RED = (
    ("广东省守合同重信用企业", "广东省市场监督管理局"),
    ("广州市诚信示范企业", "广州市发展和改革委员会"),
    ("纳税信用A级纳税人（连续三年）", "国家税务总局广州市税务局"),
    ("广州市劳动关系和谐企业", "广州市人力资源和社会保障局"),
)
_COMMITMENTS = (
    "申请行政许可告知承诺",
    "信用修复承诺",
    "证明事项告知承诺",
    "主动型信用承诺",
)
_TAX_GRADES = (("A", 5), ("B", 60), ("M", 20), ("C", 8), ("D", 7))
_CUSTOMS_GRADES = (("高级认证企业", 12), ("一般信用企业", 84), ("失信企业", 4))
_ENV_GRADES = (("绿牌", 20), ("蓝牌", 55), ("黄牌", 15), ("红牌", 8), ("黑牌", 2))
_ENV_WORDS = {
    "绿牌": "环保诚信",
    "蓝牌": "环保良好",
    "黄牌": "环保警示",
    "红牌": "环保不良",
    "黑牌": "环保严重失信",
}


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _date_text(rng: random.Random, day: dt.date) -> str:
    """Mostly ISO; some exports use slashes, compact digits or Chinese dates."""
    roll = rng.random()
    if roll < 0.90:
        return day.isoformat()
    if roll < 0.95:
        return day.strftime("%Y/%m/%d")
    if roll < 0.98:
        return day.strftime("%Y%m%d")
    return f"{day.year}年{day.month}月{day.day}日"


def subjects(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` distinct (USCC, name) pairs of Guangzhou enterprises."""
    seen: set[str] = set()
    result: list[tuple[str, str]] = []
    while len(result) < n:
        uscc = make_uscc(rng, rng.choice(_DISTRICT_CODES))
        if uscc in seen:
            continue
        seen.add(uscc)
        name = (
            "广州"
            + rng.choice(_PREFIXES)
            + rng.choice(_PREFIXES)
            + rng.choice(_TRADES)
            + rng.choice(_FORMS)
        )
        result.append((uscc, name))
    return result


def synthetic_rows(
    n: int, seed: int = 7, usccs: Sequence[str] | None = None
) -> Iterator[dict[str, str]]:
    """``n`` valid import rows (keys: ``COLUMNS``), about five records per subject. With
    ``usccs``, the records are about those subjects (names are generated for them)."""
    rng = random.Random(seed)
    if usccs:
        pool = [
            (uscc, f"广州{rng.choice(_PREFIXES)}{rng.choice(_TRADES)}有限公司") for uscc in usccs
        ]
    else:
        pool = subjects(max(1, n // 5), rng)
    types = [t for t, _ in TYPE_WEIGHTS]
    weights = [w for _, w in TYPE_WEIGHTS]
    span = (LAST_DATE - FIRST_DATE).days
    district_names = [DISTRICTS[c] for c in _DISTRICT_CODES]
    for seq in range(1, n + 1):
        uscc, name = pool[rng.randrange(len(pool))]
        record_type = rng.choices(types, weights)[0]
        decided = FIRST_DATE + dt.timedelta(days=rng.randrange(span))
        year = decided.year
        district = rng.choice(district_names)
        severity = grade = ""
        until: dt.date | None = None
        status = ""
        if record_type == "admin_licence":
            kind, prefix = rng.choice(_LICENCES)
            document_no = f"{prefix}〔{year}〕{seq}号"
            authority = f"广州市{district}区行政审批局"
            description = f"准予{kind}，许可有效期五年"
        elif record_type == "admin_penalty":
            authority_t, prefix_t, law, action = rng.choice(_PENALTIES)
            authority = authority_t.format(d=district)
            document_no = f"{prefix_t.format(s=district[0])}〔{year}〕{seq}号"
            severity = _weighted(rng, (("minor", 45), ("general", 45), ("serious", 10)))
            amount = rng.choice((2000, 5000, 10000, 20000, 50000, 100000, 300000))
            description = f"违反{law}，{action}人民币{amount}元"
            until = _add_months(decided, {"minor": 3, "general": 12, "serious": 36}[severity])
            if rng.random() < 0.04:
                status = "repaired"
        elif record_type == "abnormal_operation":
            authority = f"广州市{district}区市场监督管理局"
            document_no = f"穗{district[0]}市监异列〔{year}〕{seq}号"
            severity = "general"
            description = f"列入经营异常名录，原因：{rng.choice(_ABNORMAL)}"
            if rng.random() < 0.15:
                status = "repaired"
        elif record_type == "dishonest_debtor":
            authority = f"广州市{district}区人民法院"
            document_no = f"（{year}）粤01{rng.randrange(3, 19):02d}执{seq}号"
            severity = _weighted(rng, (("general", 60), ("serious", 40)))
            description = "有履行能力而拒不履行生效法律文书确定义务"
            until = _add_months(decided, 36)
        elif record_type == "serious_dishonesty":
            authority = rng.choice(("广州市市场监督管理局", "国家税务总局广州市税务局"))
            document_no = f"穗严失〔{year}〕{seq}号"
            severity = "serious"
            description = "列入严重失信主体名单：" + rng.choice(
                ("重大税收违法失信", "严重违法失信企业", "拖欠农民工工资失信联合惩戒对象")
            )
            until = _add_months(decided, 36)
        elif record_type == "red_list":
            honour, authority = rng.choice(_RED)
            document_no = f"穗红〔{year}〕{seq}号"
            description = f"获评{honour}"
            until = _add_months(decided, 24)
        elif record_type == "tax_grade":
            authority = "国家税务总局广州市税务局"
            grade = _weighted(rng, _TAX_GRADES)
            document_no = f"穗税信评〔{year}〕{seq}号"
            description = f"{year - 1}年度纳税信用等级评定为{grade}级"
            until = _add_months(decided, 12)
            if rng.random() < 0.1:
                grade = ""  # the importer reads it from the description
        elif record_type == "customs_grade":
            authority = rng.choice(("广州海关", "黄埔海关"))
            grade = _weighted(rng, _CUSTOMS_GRADES)
            document_no = f"关信〔{year}〕{seq}号"
            description = f"海关企业信用等级认定为{grade}"
        elif record_type == "environmental_grade":
            authority = "广州市生态环境局"
            grade = _weighted(rng, _ENV_GRADES)
            document_no = f"穗环信〔{year}〕{seq}号"
            description = f"{year - 1}年度企业环境信用评价结果：{_ENV_WORDS[grade]}（{grade}）"
            until = _add_months(decided, 12)
        else:  # credit_commitment
            authority = f"广州市{district}区政务服务数据管理局"
            document_no = f"穗承诺〔{year}〕{seq}号"
            description = f"{rng.choice(_COMMITMENTS)}，承诺内容真实并按期履行"
        yield {
            "uscc": uscc,
            "name": name,
            "record_type": record_type,
            "document_no": document_no,
            "decision_date": _date_text(rng, decided),
            "authority": authority,
            "severity": severity,
            "description": description,
            "publish_until": until.isoformat() if until else "",
            "grade": grade,
            "status": status,
        }


def write_csv(
    path: Path | str,
    rows: Iterable[dict[str, str]],
    *,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> int:
    """Write ``rows`` as an import CSV (header from ``COLUMNS``, or the Chinese names); returns
    the number of data rows."""
    header = [CHINESE_COLUMNS[c] for c in COLUMNS] if chinese_headers else list(COLUMNS)
    count = 0
    with Path(path).open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(c, "") for c in COLUMNS])
            count += 1
    return count
