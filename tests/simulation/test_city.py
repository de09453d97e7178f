"""One city: the registry, the records and the demo city are the simulator's, seed for seed."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from xinyidai.domain.credit_data.imports import ParsedRow, parse_rows
from xinyidai.domain.demo.city import HISTORY_START, demo_enterprises, demo_public_records
from xinyidai.domain.enterprises.codes import validate_resident_id, validate_uscc
from xinyidai.simulation.exports import write_csv
from xinyidai.simulation.records import city_records
from xinyidai.simulation.registry import firm_usccs, registry
from xinyidai_ml.simulator import simulate

SEED = 2026


def test_a_firm_is_the_same_in_any_slice_of_the_registry() -> None:
    whole = registry(40, SEED)
    assert registry(10, SEED, first_firm=30) == whole[30:]
    assert [f.uscc for f in whole] == firm_usccs(SEED, 0, 40)
    assert registry(40, SEED + 1) != whole
    for firm in whole:
        assert validate_uscc(firm.uscc) == firm.uscc
        assert validate_resident_id(firm.legal_rep_id_number)
        assert firm.legal_rep_id_number[:6] == firm.district_code == firm.uscc[2:8]
        born = dt.date.fromisoformat(
            "-".join((firm.legal_rep_id_number[6:10], firm.legal_rep_id_number[10:12],
                      firm.legal_rep_id_number[12:14]))
        )  # fmt: skip
        assert 22 <= (firm.founded_on - born).days / 365.25 <= 59


def test_the_demo_city_is_the_simulators_city() -> None:
    demo = demo_enterprises(30)
    sim = simulate(max(f.index for f in demo) + 1, seed=SEED)
    assert sim.panel.periods[0] == HISTORY_START  # the simulator's default history
    records = city_records(demo, SEED, HISTORY_START, sim.horizon)
    for firm, own in zip(demo, records, strict=True):
        assert firm == sim.firms[firm.index]
        assert own == sim.records[firm.index]


def test_the_demo_records_load_through_the_import_format(tmp_path: Path) -> None:
    today = dt.date(2026, 11, 2)
    path = tmp_path / "demo.csv"
    count = write_csv(path, demo_public_records(demo_enterprises(50), today), chinese_headers=True)
    assert count > 200
    rows = list(parse_rows(path, path.name, today=today))
    assert len(rows) == count
    assert [r for r in rows if not isinstance(r, ParsedRow)] == []
    kinds = {r.record_type for r in rows if isinstance(r, ParsedRow)}
    assert {"admin_penalty", "tax_grade", "admin_licence"} <= kinds


def test_the_simulation_does_not_import_the_ml_package() -> None:
    """The platform ships ``xinyidai.simulation``; the offline ``ml`` code depends on it, never
    the reverse."""
    script = (
        "import sys, xinyidai.simulation.exports, xinyidai.simulation.records,"
        " xinyidai.simulation.registry, xinyidai.domain.demo.city;"
        "print(sorted(m for m in sys.modules if m.startswith('xinyidai_ml')))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
