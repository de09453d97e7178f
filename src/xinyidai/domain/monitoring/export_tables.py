"""What each kind of export writes: its title, its columns (Chinese headers with units) and
its rows. ``loans``: the loan ledger (``applications.ledger``), one row per loan. ``stat``: a
statistics table (``monitoring.stats``) as ``GET /api/v1/office/stats`` answers it, one row per
group and a total row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from xinyidai.domain.applications.ledger import LedgerFilter, LedgerRow
from xinyidai.domain.enterprises.codes import SECTION_BY_CODE
from xinyidai.domain.monitoring.dimensions import UNGRADED
from xinyidai.domain.monitoring.export_files import Column
from xinyidai.domain.monitoring.export_schemas import ExportQuery
from xinyidai.domain.monitoring.labels import DISTRICTS, PRODUCT_TYPES
from xinyidai.domain.monitoring.metrics import Metric
from xinyidai.domain.monitoring.schemas import StatQuery

METRIC_TITLES_ZH: dict[Metric, str] = {
    Metric.REGISTERED_SMES: "注册企业数",
    Metric.COVERAGE: "数据授权覆盖",
    Metric.NEEDS_PUBLISHED: "发布融资需求数",
    Metric.NEEDS_CLAIMED_SHARE: "融资需求对接率",
    Metric.APPLICATIONS: "贷款申请数",
    Metric.APPROVALS: "审批通过数",
    Metric.APPROVAL_RATE: "审批通过率",
    Metric.LOANS: "放款笔数",
    Metric.DISBURSED_AMOUNT: "放款金额",
    Metric.CREDIT_LOAN_SHARE: "信用贷款占比",
    Metric.FIRST_TIME_BORROWERS: "首贷户",
    Metric.AVERAGE_RATE: "平均年利率",
    Metric.RESPONSE_TIME: "银行响应时间",
    Metric.OVERDUE_RATE: "逾期率",
    Metric.DEFAULT_RATE: "违约率（按放款月份）",
}
DIMENSIONS_ZH = {
    "bank": "银行",
    "product_type": "产品类型",
    "industry": "行业门类",
    "district": "区县",
    "month": "月份",
    "grade": "信用等级",
}
# The statistics API's units (CONTRACT-17) as a file writes them: header suffix, column unit.
STAT_UNITS: dict[str, tuple[str, str]] = {
    "count": ("", "count"),
    "yuan": ("（元）", "yuan"),
    "ratio": ("（%）", "percent"),
    "annual_rate": ("（%）", "percent"),
    "working_days": ("（工作日）", "working_days"),
}


def _zh(names: Mapping[str, tuple[str, str]], value: str) -> str:
    return names.get(value, (value, value))[0]


def ledger_filter(query: ExportQuery) -> LedgerFilter:
    return LedgerFilter(
        first=query.from_,
        last=query.to,
        bank_id=query.bank,
        product_type=query.product_type,
        industry_section=query.industry,
        district_code=query.district,
        grade=None if query.grade == UNGRADED else query.grade,
        ungraded=query.grade == UNGRADED,
    )


def describe(query: ExportQuery, bank_name: str | None = None) -> str:
    """The query's filters in words (the file's third row)."""
    parts = [f"期间 {query.from_.isoformat()} 至 {query.to.isoformat()}"]
    if query.group_by:
        parts.append("分组 " + "、".join(DIMENSIONS_ZH[str(d)] for d in query.group_by))
    if query.bank is not None:
        parts.append(f"银行 {bank_name or query.bank}")
    if query.product_type is not None:
        parts.append(f"产品类型 {_zh(PRODUCT_TYPES, query.product_type)}")
    if query.industry is not None:
        section = SECTION_BY_CODE.get(query.industry)
        parts.append(f"行业门类 {query.industry} {section.zh if section else ''}".rstrip())
    if query.district is not None:
        parts.append(f"区县 {query.district} {_zh(DISTRICTS, query.district)}")
    if query.grade is not None:
        parts.append(f"信用等级 {'未评级' if query.grade == UNGRADED else query.grade}")
    return "；".join(parts)


LOAN_COLUMNS: tuple[Column, ...] = (
    Column("贷款编号"),
    Column("银行"),
    Column("企业名称"),
    Column("统一社会信用代码"),
    Column("产品类型"),
    Column("行业门类"),
    Column("区县代码"),
    Column("区县"),
    Column("信用等级"),
    Column("信用贷款", "flag"),
    Column("首贷户", "flag"),
    Column("批准金额（元）", "yuan"),
    Column("年利率（%）", "percent"),
    Column("期限（月）", "months"),
    Column("批准日期", "date"),
    Column("放款日期", "date"),
    Column("放款金额（元）", "yuan"),
    Column("已还本金（元）", "yuan"),
    Column("已付利息（元）", "yuan"),
    Column("贷款余额（元）", "yuan"),
    Column("逾期起始日期", "date"),
    Column("逾期金额（元）", "yuan"),
    Column("违约日期", "date"),
    Column("损失金额（元）", "yuan"),
    Column("结清日期", "date"),
)


def loan_cells(row: LedgerRow) -> list[Any]:
    """One ledger row as :data:`LOAN_COLUMNS` take it."""
    section = SECTION_BY_CODE.get(row.industry_section)
    return [
        str(row.loan_id),
        row.bank_name,
        row.enterprise_name,
        row.uscc,
        _zh(PRODUCT_TYPES, row.product_type),
        f"{row.industry_section} {section.zh}" if section else row.industry_section,
        row.district_code,
        _zh(DISTRICTS, row.district_code),
        row.grade,
        row.unsecured,
        row.first_time,
        row.amount,
        row.annual_rate,
        row.term_months,
        row.approved_on,
        row.disbursed_on,
        row.disbursed_amount,
        row.principal_repaid,
        row.interest_paid,
        row.outstanding,
        row.overdue_since,
        row.overdue_amount,
        row.defaulted_on,
        row.loss_amount,
        row.settled_on,
    ]


def stat_query(query: ExportQuery, metric: Metric | None = None) -> StatQuery:
    """The statistics' query for an export's (``metric`` in place of the export's own)."""
    chosen = metric or query.metric
    assert chosen is not None
    return StatQuery(
        metric=chosen,
        group_by=list(query.group_by),
        from_=query.from_,
        to=query.to,
        bank=query.bank,
        product_type=query.product_type,
        industry=query.industry,
        district=query.district,
        grade=query.grade,
    )


def metric_title(metric: Metric) -> str:
    return f"{METRIC_TITLES_ZH[metric]} ({metric.value})"


# --- statistics tables (the contract's JSON shape of ``StatTable``) ------------------------------
_CODED = ("industry", "district")  # dimensions that also get a code column


def stat_columns(table: Mapping[str, Any]) -> list[Column]:
    """Dimension columns (label, and code for industry and district), then one per value."""
    columns: list[Column] = []
    for dim in table["group_by"]:
        columns.append(Column(DIMENSIONS_ZH.get(dim, dim)))
        if dim in _CODED:
            columns.append(Column(f"{DIMENSIONS_ZH[dim]}代码"))
    for column in table["columns"]:
        suffix, unit = STAT_UNITS.get(column["unit"], ("", "text"))
        name = column["label_zh"]  # the statistics' labels may name the unit already
        columns.append(Column(name if suffix in name else f"{name}{suffix}", unit))
    return columns


def stat_rows(table: Mapping[str, Any]) -> Iterator[list[Any]]:
    """The groups' rows, then the ``合计`` row (when the table has a total and groups)."""
    keys = [c["key"] for c in table["columns"]]
    dims: Sequence[str] = table["group_by"]
    for row in table["rows"]:
        cells: list[Any] = []
        for dim in dims:
            label = (row.get("labels") or {}).get(dim) or {}
            cells.append(label.get("zh") or row["keys"].get(dim))
            if dim in _CODED:
                cells.append(row["keys"].get(dim))
        yield cells + [row["values"].get(k) for k in keys]
    total = table.get("total")
    if total and dims:
        width = len(dims) + sum(1 for d in dims if d in _CODED)
        yield ["合计"] + [None] * (width - 1) + [total.get(k) for k in keys]
