"""The demo city: firms of the simulated city, their public records, and five demo banks.

The demo's enterprises are the first firms of the simulated registry
(:mod:`xinyidai.simulation.registry`) of the city ``seed``, the city the sandbox provider
serves (``SIMULATION_SEED``, 2026 by default), so a demo SME's registration, the monthly
figures the provider serves for it and its public records are those of one simulated firm:
the credit simulator (``xinyidai_ml.simulator``) knows the same firm by the same USCC. Their
public records are the simulated ones (:mod:`xinyidai.simulation.records`) in the municipal
export format (:mod:`xinyidai.simulation.exports`), as the credit office would import them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from xinyidai.simulation.exports import record_rows
from xinyidai.simulation.records import city_records
from xinyidai.simulation.registry import Firm, registry

DEMO_SEED = 2026
# The first month of the records' history: the credit simulator's default too (its first
# loans in January 2021, four years of history before), so both draw the same records.
HISTORY_START = dt.date(2017, 1, 1)

BANKS = (
    ("ICBC_GZ", "中国工商银行广州分行（演示）", "Industrial and Commercial Bank, Guangzhou (demo)"),
    ("CCB_GZ", "中国建设银行广东省分行（演示）", "China Construction Bank, Guangdong (demo)"),
    ("ABC_GZ", "中国农业银行广州分行（演示）", "Agricultural Bank of China, Guangzhou (demo)"),
    ("GRCB", "广州农村商业银行（演示）", "Guangzhou Rural Commercial Bank (demo)"),
    ("CMB_GZ", "招商银行广州分行（演示）", "China Merchants Bank, Guangzhou (demo)"),
)


def demo_enterprises(count: int = 200, seed: int = DEMO_SEED) -> list[Firm]:
    """The first ``count`` firms of the city ``seed`` with distinct names: a firm whose name an
    earlier firm already bears is left out, as a registration authority refuses a taken name.
    The first ``k`` of a longer list are the list of ``k``."""
    firms: list[Firm] = []
    names: set[str] = set()
    start = 0
    while len(firms) < count:
        block = registry(max(count, 16), seed, first_firm=start)
        start += len(block)
        for firm in block:
            if firm.name not in names and len(firms) < count:
                names.add(firm.name)
                firms.append(firm)
    return firms


def demo_public_records(
    firms: Sequence[Firm], as_of: dt.date, seed: int = DEMO_SEED
) -> Iterator[dict[str, str]]:
    """The public records of ``firms`` (of the city ``seed``) as the municipal system would
    export them on ``as_of``."""
    return record_rows(city_records(firms, seed, HISTORY_START, as_of), as_of)
