"""The simulated city's public credit records in the municipal system's export format.

The municipal public credit information system (公共信用信息) exports one row per record with
the columns of :data:`COLUMNS` (the import's canonical order; :data:`CHINESE_COLUMNS` are the
headers a Chinese export carries). Two sources of rows:

* :func:`record_rows`: the city's own records (:mod:`xinyidai.simulation.records`) as the
  system would export them on a day: decided by then, purged negative records left out,
  repaired ones marked ``repaired``. The demo city and the credit simulator load these.
* :func:`synthetic_rows`: any number of rows fast, for import tests and the import benchmark.
  The subjects are firms of the city's registry (:mod:`xinyidai.simulation.registry`, about
  five rows each); the records are drawn independently, with the record types in realistic
  proportions (licences and penalties common, serious-dishonesty listings rare), Chinese
  document numbers, authorities and contents, publication periods by severity,
  tax/customs/environmental grades, the odd repaired record, a few alternative date formats and
  tax grades left for the importer to read from the description: the variety an import must
  handle, which the latent records do not need. Every row is valid for
  :mod:`xinyidai.domain.credit_data.imports`. Deterministic for a given ``seed``.

:func:`write_csv` writes either as an import CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from xinyidai.dates import add_months_to_day
from xinyidai.domain.credit_data.imports import FIELDS
from xinyidai.simulation.records import SimRecord
from xinyidai.simulation.registry import DISTRICTS, firm_names, firm_usccs
from xinyidai.simulation.traits import city_traits

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


# --- the city's records -------------------------------------------------------------------------
def record_row(record: SimRecord, as_of: dt.date) -> dict[str, str]:
    """One record as an export row on ``as_of`` (``repaired`` once repaired by then)."""
    repaired = record.repaired_on is not None and record.repaired_on <= as_of
    return {
        "uscc": record.uscc,
        "name": record.subject_name,
        "record_type": record.record_type.value,
        "document_no": record.document_no,
        "decision_date": record.decision_date.isoformat(),
        "authority": record.authority,
        "severity": record.severity or "",
        "description": record.description,
        "publish_until": record.publish_until.isoformat() if record.publish_until else "",
        "grade": record.grade or "",
        "status": "repaired" if repaired else "active",
    }


def record_rows(records: Iterable[Iterable[SimRecord]], as_of: dt.date) -> Iterator[dict[str, str]]:
    """Every record decided by ``as_of`` as an export row, per firm in order; negative records
    past the five-year purge are left out."""
    for firm_records in records:
        for record in firm_records:
            if record.decision_date <= as_of and not record.purged(as_of):
                yield record_row(record, as_of)


# --- synthetic rows -----------------------------------------------------------------------------
def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


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


# Each kind's fields (document_no, authority, description, and where it has them severity,
# publish_until, grade, status) from (rng, sequence number, decision date, district name).
_Fields = dict[str, str]
_Kind = Callable[[random.Random, int, dt.date, str], _Fields]


def _until(decided: dt.date, months: int) -> str:
    return add_months_to_day(decided, months).isoformat()


def _licence(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    kind, prefix = rng.choice(_LICENCES)
    return {
        "document_no": f"{prefix}〔{decided.year}〕{seq}号",
        "authority": f"广州市{district}区行政审批局",
        "description": f"准予{kind}，许可有效期五年",
    }


def _penalty(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    authority, prefix, law, action = rng.choice(_PENALTIES)
    severity = _weighted(rng, (("minor", 45), ("general", 45), ("serious", 10)))
    amount = rng.choice((2000, 5000, 10000, 20000, 50000, 100000, 300000))
    return {
        "authority": authority.format(d=district),
        "document_no": f"{prefix.format(s=district[0])}〔{decided.year}〕{seq}号",
        "severity": severity,
        "description": f"违反{law}，{action}人民币{amount}元",
        "publish_until": _until(decided, {"minor": 3, "general": 12, "serious": 36}[severity]),
        "status": "repaired" if rng.random() < 0.04 else "",
    }


def _abnormal(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    return {
        "authority": f"广州市{district}区市场监督管理局",
        "document_no": f"穗{district[0]}市监异列〔{decided.year}〕{seq}号",
        "severity": "general",
        "description": f"列入经营异常名录，原因：{rng.choice(_ABNORMAL)}",
        "status": "repaired" if rng.random() < 0.15 else "",
    }


def _debtor(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    document_no = f"（{decided.year}）粤01{rng.randrange(3, 19):02d}执{seq}号"
    return {
        "authority": f"广州市{district}区人民法院",
        "document_no": document_no,
        "severity": _weighted(rng, (("general", 60), ("serious", 40))),
        "description": "有履行能力而拒不履行生效法律文书确定义务",
        "publish_until": _until(decided, 36),
    }


def _serious(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    authority = rng.choice(("广州市市场监督管理局", "国家税务总局广州市税务局"))
    listing = rng.choice(("重大税收违法失信", "严重违法失信企业", "拖欠农民工工资失信联合惩戒对象"))
    return {
        "authority": authority,
        "document_no": f"穗严失〔{decided.year}〕{seq}号",
        "severity": "serious",
        "description": "列入严重失信主体名单：" + listing,
        "publish_until": _until(decided, 36),
    }


def _red(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    honour, authority = rng.choice(_RED)
    return {
        "document_no": f"穗红〔{decided.year}〕{seq}号",
        "authority": authority,
        "description": f"获评{honour}",
        "publish_until": _until(decided, 24),
    }


def _tax(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    grade = _weighted(rng, _TAX_GRADES)
    return {
        "authority": "国家税务总局广州市税务局",
        "document_no": f"穗税信评〔{decided.year}〕{seq}号",
        "description": f"{decided.year - 1}年度纳税信用等级评定为{grade}级",
        "publish_until": _until(decided, 12),
        # Now and then no grade: the importer reads it from the description.
        "grade": "" if rng.random() < 0.1 else grade,
    }


def _customs(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    authority = rng.choice(("广州海关", "黄埔海关"))
    grade = _weighted(rng, _CUSTOMS_GRADES)
    return {
        "authority": authority,
        "grade": grade,
        "document_no": f"关信〔{decided.year}〕{seq}号",
        "description": f"海关企业信用等级认定为{grade}",
    }


def _environmental(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    grade = _weighted(rng, _ENV_GRADES)
    words = _ENV_WORDS[grade]
    return {
        "authority": "广州市生态环境局",
        "grade": grade,
        "document_no": f"穗环信〔{decided.year}〕{seq}号",
        "description": f"{decided.year - 1}年度企业环境信用评价结果：{words}（{grade}）",
        "publish_until": _until(decided, 12),
    }


def _commitment(rng: random.Random, seq: int, decided: dt.date, district: str) -> _Fields:
    return {
        "authority": f"广州市{district}区政务服务数据管理局",
        "document_no": f"穗承诺〔{decided.year}〕{seq}号",
        "description": f"{rng.choice(_COMMITMENTS)}，承诺内容真实并按期履行",
    }


_KINDS: dict[str, _Kind] = {
    "admin_licence": _licence,
    "admin_penalty": _penalty,
    "abnormal_operation": _abnormal,
    "dishonest_debtor": _debtor,
    "serious_dishonesty": _serious,
    "red_list": _red,
    "tax_grade": _tax,
    "customs_grade": _customs,
    "environmental_grade": _environmental,
    "credit_commitment": _commitment,
}


def subjects(n: int, seed: int) -> list[tuple[str, str]]:
    """The (USCC, name) of the first ``n`` firms of the city ``seed``."""
    usccs = firm_usccs(seed, 0, n)
    return list(zip(usccs, firm_names(city_traits(usccs, seed)), strict=True))


def synthetic_rows(n: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """``n`` valid import rows (keys: ``COLUMNS``) about the first ``n / 5`` firms of the city
    ``seed``, about five records per subject."""
    rng = random.Random(seed)
    pool = subjects(max(1, n // 5), seed)
    types = [t for t, _ in TYPE_WEIGHTS]
    weights = [w for _, w in TYPE_WEIGHTS]
    span = (LAST_DATE - FIRST_DATE).days
    district_names = [DISTRICTS[c] for c in _DISTRICT_CODES]
    for seq in range(1, n + 1):
        uscc, name = pool[rng.randrange(len(pool))]
        record_type = rng.choices(types, weights)[0]
        decided = FIRST_DATE + dt.timedelta(days=rng.randrange(span))
        district = rng.choice(district_names)
        fields = _KINDS[record_type](rng, seq, decided, district)
        yield {
            "uscc": uscc,
            "name": name,
            "record_type": record_type,
            "document_no": fields["document_no"],
            "decision_date": _date_text(rng, decided),
            "authority": fields["authority"],
            "severity": fields.get("severity", ""),
            "description": fields["description"],
            "publish_until": fields.get("publish_until", ""),
            "grade": fields.get("grade", ""),
            "status": fields.get("status", ""),
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
