"""Issue 14 as a property: whatever sequence of submissions a few units send (resends, blank templates,
another unit's template, renamed files, a "Đơn vị báo cáo" line naming two units), every merged total is the sum of the files that should count —
for each unit its newest own file with values — and a file whose evidence disagrees counts for nobody and
flags the units it names."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from consolidate.identity import IDENTITY_SHEET
from consolidate.merge import merge_folder
from consolidate.templates import COL_COUNT, COL_LABEL, make_templates

CODES = ("X01", "X02", "X03")
ROWS = ("2", "4.2", "10.1")  # rows with no total rule between them: any values are valid
T0 = dt.datetime(2021, 10, 10, 8, 0)
FORM_LAYOUT_UNIT_CELL = "A3"  # where templates.write_form_sheet puts "Đơn vị báo cáo: …"


@pytest.fixture(scope="module")
def templates(tmp_path_factory, campaign, form, units) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("templates14")
    result = make_templates(campaign, form, units, out, now=dt.datetime(2021, 9, 20, 8, 0))
    return {code: next(p for p in result.files if p.name.startswith(code + "_")) for code in CODES}


values_st = st.dictionaries(st.sampled_from(ROWS), st.integers(min_value=0, max_value=500), max_size=3)
submission_st = st.one_of(
    st.tuples(st.just("own"), st.sampled_from(CODES), st.none(), values_st, st.booleans()),
    st.tuples(st.just("blank"), st.sampled_from(CODES), st.none(), st.just({}), st.booleans()),
    st.tuples(st.just("swapped"), st.sampled_from(CODES), st.sampled_from(CODES), values_st, st.just(True)),
    st.tuples(st.just("renamed"), st.sampled_from(CODES), st.sampled_from(CODES), values_st, st.just(True)),
    # ``unit``'s own template and file name, its "Đơn vị báo cáo" line naming ``unit`` and ``other``
    st.tuples(st.just("two_titles"), st.sampled_from(CODES), st.sampled_from(CODES), values_st, st.just(True)),
)


def _write(template: Path, values: dict[str, int], saved_at: dt.datetime | None, dst: Path, form,  # noqa: ANN001
           title: str | None = None) -> None:
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    if title is not None:
        assert str(ws[FORM_LAYOUT_UNIT_CELL].value).startswith("Đơn vị báo cáo: ")
        ws[FORM_LAYOUT_UNIT_CELL] = f"Đơn vị báo cáo: {title}"
    rows = {str(ws.cell(r, COL_LABEL).value or "").strip(): r for r in range(1, ws.max_row + 1)}
    for code, value in values.items():
        ws.cell(rows[form.row(code).label], COL_COUNT).value = value
    if saved_at is not None:
        ident = wb[IDENTITY_SHEET]
        for r in range(1, ident.max_row + 1):
            if ident.cell(r, 1).value == "saved_at":
                ident.cell(r, 2).value = saved_at
    wb.save(dst)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(submission_st, min_size=1, max_size=6))
def test_every_total_is_the_sum_of_the_files_that_count(templates, campaign, form, units, subs):
    expected: dict[str, dict[str, int]] = {}  # the newest own file with values of each unit
    flagged: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "da_nhan"
        folder.mkdir()
        for i, (kind, unit, other, values, named) in enumerate(subs):
            saved = T0 + dt.timedelta(hours=i)
            if kind == "own":
                name = f"{unit}_lan{i}.xlsx" if named else f"bao_cao_{i}.xlsx"
                _write(templates[unit], values, saved, folder / name, form)
                if values:
                    expected[unit] = values
            elif kind == "blank":  # the template sent back untouched: never saved, newest copy of all
                shutil.copy(templates[unit], folder / (f"{unit}_mau_{i}.xlsx" if named else f"mau_{i}.xlsx"))
            elif kind == "swapped":  # ``unit`` fills ``other``'s template and names the file after itself
                _write(templates[other], values, saved, folder / f"{unit}_bao_cao_{i}.xlsx", form)
                if unit == other:
                    if values:
                        expected[unit] = values
                else:
                    flagged |= {unit, other}
            elif kind == "two_titles":
                names = units.get(unit).name if unit == other else f"{units.get(unit).name} và {units.get(other).name}"
                _write(templates[unit], values, saved, folder / f"{unit}_tieu_de_{i}.xlsx", form, names)
                if unit == other:
                    if values:
                        expected[unit] = values
                else:
                    flagged |= {unit, other}
            else:  # ``unit``'s own file renamed with ``other``'s code
                _write(templates[unit], values, saved, folder / f"{other}_{i}.xlsx", form)
                if unit == other:
                    if values:
                        expected[unit] = values
                else:
                    flagged |= {unit, other}
            stamp = (T0 + dt.timedelta(hours=i)).timestamp()
            os.utime(next(p for p in folder.iterdir() if p.name.endswith(f"{i}.xlsx")), (stamp, stamp))
        result = merge_folder(folder, campaign, form, units, Path(tmp) / "tong_hop.xlsx")
    run = result.run
    # every file whose evidence disagrees is "cần xác nhận", counted for nobody, and names its units
    named_by_pending = {c for f in run.files if f.status == "unconfirmed" for c in f.claims}
    assert named_by_pending == flagged
    assert all(f.unit is None for f in run.files if f.status == "unconfirmed")
    for code in CODES:
        status = run.unit_status[code].status
        if code in expected:
            assert status == "accepted", (code, status, [(f.file, f.status, f.issues) for f in run.files])
        else:
            assert status == ("unconfirmed" if code in flagged else "missing")
    for row in ROWS:
        measure = "amount" if row == "10.1" else "count"
        want = sum(v.get(row, 0) for v in expected.values())
        got = result.totals.at[row, measure] if row in result.totals.index else float("nan")
        if any(row in v for v in expected.values()):
            assert got == want, (row, got, want)
        else:
            assert not got == got or got == 0  # NaN: no counted unit reported the row
