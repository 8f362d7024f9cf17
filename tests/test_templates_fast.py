"""Issue 7: the fast paths give the same results as the plain ones.

* ``make_templates`` patches each unit into a stencil zip: its XML must be byte for byte what openpyxl
  writes for that unit (but for the workbook's created/modified stamps).
* ``read_folder`` with a process pool gives the same check as reading serially.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import zipfile

import pytest

from consolidate import narrative, reader, schedule, templates
from consolidate.check import check_folder
from conftest import SAMPLES

NOW = dt.datetime(2021, 9, 1, 8, 0)
EXTRA = [narrative.template_writer, schedule.template_writer]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", zf.read(n)) for n in zf.namelist()}


def _openpyxl_bytes(campaign, form, unit) -> bytes:  # noqa: ANN001
    wb = templates.unit_workbook(campaign, form, unit, NOW, EXTRA)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_stencilled_workbook_is_openpyxls(campaign, form, units):
    stencils: dict = {}
    base = units.units[0]
    odd = [dataclasses.replace(base, code="A&B<1>", name="TT VH TT & TT <Quận> Đống Đa"),
           dataclasses.replace(base, code="Z9", name="X" * 300)]
    odd += [dataclasses.replace(base, code="K" * k, name=("Trường " + "Ơ" * n)[:n]) for n in range(1, 260, 23)
            for k in (1, 12)]
    for unit in [*units, *odd]:
        fast = templates._unit_bytes(stencils, campaign, form, unit, NOW, EXTRA)
        assert fast is not None, unit
        assert _members(fast) == _members(_openpyxl_bytes(campaign, form, unit)), unit.code
    assert len(stencils) < len(units) + len(odd)  # stencils are shared


@pytest.mark.parametrize("name", [" leading space", "a \"quoted\" name", "tab\there", "Trường_x0041_"])
def test_names_openpyxl_would_write_differently_are_built_with_it(campaign, form, units, name):
    unit = dataclasses.replace(units.units[0], name=name)
    assert templates._unit_bytes({}, campaign, form, unit, NOW, EXTRA) is None


def test_a_name_like_a_formula_stays_text_in_the_stencil(campaign, form, units):
    unit = dataclasses.replace(units.units[0], name="=SUM(A1) Trường")
    fast = templates._unit_bytes({}, campaign, form, unit, NOW, EXTRA)
    assert fast is not None
    assert _members(fast) == _members(_openpyxl_bytes(campaign, form, unit))


def test_writer_without_declared_fields_is_never_stencilled(campaign, form, units, tmp_path):
    def writer(wb, campaign, form, unit):  # noqa: ANN001, ARG001
        wb.create_sheet(unit.email[:20] or "x")

    res = templates.make_templates(campaign, form, units, tmp_path, now=NOW, extra_sheets=[writer])
    import openpyxl

    wb = openpyxl.load_workbook(res.files[0])
    assert units.units[0].email[:20] in wb.sheetnames


def test_make_templates_files_read_back_as_their_units(campaign, form, units, tmp_path):
    res = templates.make_templates(campaign, form, units, tmp_path / "t", now=NOW, extra_sheets=EXTRA)
    for unit, path in zip(res.units, res.files):
        rf = reader.read_file(path, path.name, form, campaign, units)
        assert rf.unit == unit.code and rf.identity_source == "identity" and rf.form_found


def test_pooled_read_gives_the_serial_check(campaign, form, units, monkeypatch):
    folder = SAMPLES / "da_nhan"
    monkeypatch.setenv(reader.WORKERS_ENV, "1")
    serial = check_folder(folder, campaign, form, units)
    monkeypatch.setenv(reader.WORKERS_ENV, "2")
    monkeypatch.setattr(reader, "POOL_CHUNK", 3)
    if reader._pool_plan(len(reader.list_files(folder)))[0] < 2:
        pytest.skip("one core only")
    pooled = check_folder(folder, campaign, form, units)
    assert json.dumps(pooled.to_dict(), default=str, sort_keys=True) == \
        json.dumps(serial.to_dict(), default=str, sort_keys=True)
    assert pooled.table.equals(serial.table)


def test_broken_pool_falls_back_to_serial(campaign, form, units, monkeypatch):
    folder = SAMPLES / "da_nhan"
    monkeypatch.setenv(reader.WORKERS_ENV, "1")
    serial = check_folder(folder, campaign, form, units)

    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise OSError("no processes here")

    import concurrent.futures

    monkeypatch.setenv(reader.WORKERS_ENV, "2")
    monkeypatch.setattr(reader, "POOL_CHUNK", 3)
    monkeypatch.setattr(reader, "_pool_plan", lambda n: (2, "fork"))
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", broken)
    again = check_folder(folder, campaign, form, units)
    assert json.dumps(again.to_dict(), default=str, sort_keys=True) == \
        json.dumps(serial.to_dict(), default=str, sort_keys=True)
