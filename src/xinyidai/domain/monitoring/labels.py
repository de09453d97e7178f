"""What the values of each dimension are called, in Chinese and English."""

from __future__ import annotations

from xinyidai.domain.applications.vocabulary import NEEDS_OFFER
from xinyidai.domain.enterprises.codes import SECTION_BY_CODE
from xinyidai.domain.monitoring.dimensions import UNGRADED, Dimension
from xinyidai.domain.products.schemas import Grade, ProductType

D = Dimension

PRODUCT_TYPES: dict[str, tuple[str, str]] = {
    ProductType.CREDIT: ("信用贷", "Credit loan"),
    ProductType.TAX_BASED: ("税易贷（银税互动）", "Tax-based loan"),
    ProductType.UTILITY_BASED: ("水电气贷", "Utility-based loan"),
    ProductType.FIRST_LOAN: ("首贷", "First loan"),
    ProductType.RENEWAL: ("续贷", "Renewal"),
    ProductType.RECEIVABLES: ("应收账款融资", "Receivables financing"),
    ProductType.IP_PLEDGE: ("知识产权质押贷", "IP-pledge loan"),
    NEEDS_OFFER: ("融资需求撮合", "Offer on a published need"),
}
DISTRICTS: dict[str, tuple[str, str]] = {  # Guangzhou's districts (GB/T 2260)
    "440103": ("荔湾区", "Liwan"),
    "440104": ("越秀区", "Yuexiu"),
    "440105": ("海珠区", "Haizhu"),
    "440106": ("天河区", "Tianhe"),
    "440111": ("白云区", "Baiyun"),
    "440112": ("黄埔区", "Huangpu"),
    "440113": ("番禺区", "Panyu"),
    "440114": ("花都区", "Huadu"),
    "440115": ("南沙区", "Nansha"),
    "440117": ("从化区", "Conghua"),
    "440118": ("增城区", "Zengcheng"),
}
GRADES: frozenset[str] = frozenset({*(g.value for g in Grade), UNGRADED})


def label(dimension: Dimension, value: str, banks: dict[str, str]) -> tuple[str, str]:
    """(zh, en) for ``value`` of ``dimension``; ``banks`` maps bank ids to names."""
    if dimension is D.BANK:
        name = banks.get(value, value)
        return name, name
    if dimension is D.PRODUCT_TYPE:
        return PRODUCT_TYPES.get(value, (value, value))
    if dimension is D.INDUSTRY:
        section = SECTION_BY_CODE.get(value)
        return (section.zh, section.en) if section is not None else (value, value)
    if dimension is D.DISTRICT:
        return DISTRICTS.get(value, (value, value))
    if dimension is D.GRADE:
        return ("未评级", "Ungraded") if value == UNGRADED else (value, value)
    return value, value  # a month: YYYY-MM
