"""The schema over the long table: each rule with a passing and a failing case (code, indicator, measure,
cell), the blank-total policy over the whole space of totals and parts, and one validation for all files."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consolidate.results import TABLE_COLUMNS
from consolidate.schema import number, validate

SHEET = "Biểu tổng hợp"
COLUMN = {"count": "D", "amount": "D", "text": "D", "people": "E", "note": "F"}


def record(form, file: str, unit: str | None, code: str, **values: object) -> dict:
    """One long-table row as the reader makes it: the template's layout (first row 7, D/E/F)."""
    row_no = 7 + [r.code for r in form.rows].index(code)
    rec = {c: None for c in TABLE_COLUMNS}
    rec.update(file=file, unit=unit, indicator=code, sheet=SHEET, count=np.nan, people=np.nan, amount=np.nan)
    for measure, value in values.items():
        rec[measure] = value
        rec[f"cell_{measure}"] = f"{COLUMN[measure]}{row_no}"
    return rec


def table(form, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for col in ("count", "people", "amount"):
        frame[col] = frame[col].astype("float64")
    for col in TABLE_COLUMNS:
        if col not in ("count", "people", "amount"):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def run(form, units, rows: list[dict]) -> tuple[pd.DataFrame, list]:
    return validate(table(form, rows), form, units)


def found(issues, code: str) -> list[tuple]:
    """(file, indicator, measure, cell, severity, value) of the issues with this code."""
    return [(i.file, i.indicator, i.measure, i.cell, i.severity, i.value) for i in issues if i.code == code]


# ------------------------------------------------------------------------------------------ per value

def test_value_negative(form, units):
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "2", count=0.0)])
    assert found(ok, "value-negative") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "2", count=-3.0)])
    assert found(bad, "value-negative") == [("a.xlsx", "2", "count", "D22", "error", "-3")]
    assert bad[0].message == ('a.xlsx, trang Biểu tổng hợp, ô D22 (hàng 2, Số lớp/số cuộc thi): "-3" là số âm; '
                              'cần một số nguyên không âm.')


def test_value_not_whole(form, units):
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "10.1", amount=1_200_000.0)])
    assert ok == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "10.1", amount=1_200_000.5)])
    assert found(bad, "value-not-whole") == [("a.xlsx", "10.1", "amount", "D45", "error", "1.200.000,5")]


def test_value_only_where_the_row_has_that_measure(form, units):
    # 1.1 has count and people; 1.0 has people only, 1 has count only
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "1.1", count=1.0, people=5.0)])
    assert found(ok, "value-not-allowed") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "1.0", people=5.0, count=2.0),
                               record(form, "a.xlsx", "X01", "2", text="ba tin")])
    assert found(bad, "value-not-allowed") == [
        ("a.xlsx", "1.0", "count", "D8", "error", "2"),
        ("a.xlsx", "2", "text", "D22", "error", "ba tin"),
    ]


def test_one_row_per_file_and_indicator(form, units):
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "2", count=1.0),
                              record(form, "b.xlsx", "X02", "2", count=1.0)])
    assert found(ok, "duplicate-record") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "2", count=1.0),
                               record(form, "a.xlsx", "X01", "2", count=4.0)])
    assert found(bad, "duplicate-record") == [("a.xlsx", "2", None, "D22", "error", None)]


def test_row_not_in_the_form_is_reported_and_dropped(form, units):
    out, issues = run(form, units, [record(form, "a.xlsx", "X01", "2", count=1.0)]
                      + [{**record(form, "a.xlsx", "X01", "3", count=7.0), "indicator": "99"}])
    assert found(issues, "row-unknown") == [("a.xlsx", "99", None, "D23", "warning", "99")]
    assert list(out["indicator"]) == ["2"]


# ------------------------------------------------------------------------------------------- totals

def test_total_equal_to_parts_passes(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "6", count=3.0),
                                  record(form, "a.xlsx", "X01", "6.1", count=1.0, people=10.0),
                                  record(form, "a.xlsx", "X01", "6.3", count=2.0, people=10.0)])
    assert issues == []


def test_total_mismatch_names_both_numbers_and_the_parts(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "6", count=4.0),
                                  record(form, "a.xlsx", "X01", "6.1", count=1.0, people=10.0),
                                  record(form, "a.xlsx", "X01", "6.3", count=2.0, people=10.0)])
    assert found(issues, "total-mismatch") == [("a.xlsx", "6", "count", "D34", "error", "4")]
    assert issues[0].message == (
        "a.xlsx, trang Biểu tổng hợp, ô D34: hàng 6 (Số lớp/số cuộc thi) ghi 4 nhưng tổng các hàng "
        "6.1 (1), 6.3 (2) là 3; số cuộc của mục 6 bằng tổng các loại (6.1 … 6.3).")


def test_people_total_mismatch(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "1.0", people=1200.0),
                                  record(form, "a.xlsx", "X01", "1.5", count=1.0, people=35.0),
                                  record(form, "a.xlsx", "X01", "1.8", count=2.0, people=60.0)])
    assert found(issues, "total-mismatch") == [("a.xlsx", "1.0", "people", "E8", "error", "1.200")]
    assert "ghi 1.200 nhưng tổng các hàng 1.5 (35), 1.8 (60) là 95" in issues[0].message


def test_blank_total_is_taken_from_its_parts(form, units):
    out, issues = run(form, units, [record(form, "a.xlsx", "X01", "5", note="x"),
                                    record(form, "a.xlsx", "X01", "5.1", count=1.0),
                                    record(form, "a.xlsx", "X01", "5.4", count=2.0, people=40.0)])
    # the cell of the blank total: its own row (from the note), the count column of the file
    assert found(issues, "total-from-parts") == [("a.xlsx", "5", "count", "D27", "info", None)]
    assert issues[0].message == ("a.xlsx, trang Biểu tổng hợp, ô D27: hàng 5 (Số lớp/số cuộc thi) để trống, "
                                 "lấy bằng tổng các hàng 5.1 (1), 5.4 (2) = 3.")
    assert out.set_index("indicator").at["5", "count"] == 3.0
    # a total given stays as given
    out, issues = run(form, units, [record(form, "a.xlsx", "X01", "5", count=3.0),
                                    record(form, "a.xlsx", "X01", "5.1", count=3.0)])
    assert found(issues, "total-from-parts") == []


def test_blank_total_without_any_cell_on_its_row(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "1.0"),
                                  record(form, "a.xlsx", "X01", "1.1", count=1.0, people=20.0)])
    assert found(issues, "total-from-parts") == [("a.xlsx", "1.0", "people", None, "info", None)]
    assert issues[0].message == ("a.xlsx, trang Biểu tổng hợp: hàng 1.0 (Người) để trống, "
                                 "lấy bằng tổng các hàng 1.1 (20) = 20.")


def test_total_without_parts_is_a_warning(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "5", count=2.0)])
    assert found(issues, "total-without-parts") == [("a.xlsx", "5", "count", "D27", "warning", "2")]
    assert issues[0].message == ("a.xlsx, trang Biểu tổng hợp, ô D27: hàng 5 (Số lớp/số cuộc thi) = 2 nhưng "
                                 "các hàng chi tiết 5.1 … 5.6 đều để trống.")
    # a total of 0 needs no breakdown
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "5", count=0.0)])
    assert issues == []


@settings(max_examples=60, deadline=None)
@given(total=st.none() | st.integers(0, 500),
       parts=st.lists(st.none() | st.integers(0, 200), min_size=3, max_size=3))
def test_blank_total_policy_over_every_total_and_parts(form, units, total, parts):
    rows = [record(form, "a.xlsx", "X01", "6", **({} if total is None else {"count": float(total)}))]
    for code, value in zip(("6.1", "6.2", "6.3"), parts):
        rows.append(record(form, "a.xlsx", "X01", code,
                           **({} if value is None else {"count": float(value), "people": float(value)})))
    out, issues = run(form, units, rows)
    codes = {i.code for i in issues if i.indicator == "6" and i.code.startswith("total-")}
    filled = [p for p in parts if p is not None]
    if total is None and filled:
        assert codes == {"total-from-parts"}
        assert out.set_index("indicator").at["6", "count"] == sum(filled)
    elif total is None:
        assert codes == set()
        assert math.isnan(out.set_index("indicator").at["6", "count"])
    elif not filled:
        assert codes == ({"total-without-parts"} if total > 0 else set())
    elif total != sum(filled):
        assert codes == {"total-mismatch"}
        mismatch = next(i for i in issues if i.code == "total-mismatch")
        assert f"ghi {number(total)} nhưng" in mismatch.message
        assert f"là {number(sum(filled))};" in mismatch.message
    else:
        assert codes == set()
    assert all(i.severity == "error" for i in issues if i.code == "total-mismatch")


# ------------------------------------------------------------------------------------- plausibility

def test_people_less_than_count(form, units):
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "6.1", count=2.0, people=2.0)])
    assert found(ok, "people-less-than-count") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "6.1", count=3.0, people=2.0)])
    assert found(bad, "people-less-than-count") == [("a.xlsx", "6.1", "people", "E35", "warning", "2")]
    assert bad[0].message == ("a.xlsx, trang Biểu tổng hợp, ô E35: hàng 6.1 có 2 người nhưng 3 lớp/cuộc; "
                              "số người ít hơn số lớp, hãy kiểm tra lại.")


def test_count_without_people(form, units):
    _, ok = run(form, units, [record(form, "a.xlsx", "X01", "6.1", count=0.0),
                              record(form, "a.xlsx", "X01", "2", count=4.0)])  # 2 has no people column
    assert found(ok, "people-missing") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "X01", "6.1", count=2.0, people=30.0),
                               record(form, "a.xlsx", "X01", "6.2", count=1.0)])
    # the blank people cell: row of 6.2, the people column the file uses
    assert found(bad, "people-missing") == [("a.xlsx", "6.2", "people", "E36", "warning", None)]


def test_school_over_limit(form, units):
    # MN01 is a "Mầm non" school, X01 a commune
    _, ok = run(form, units, [record(form, "a.xlsx", "MN01", "7.1", count=1.0),
                              record(form, "b.xlsx", "X01", "7.1", count=6.0)])
    assert found(ok, "over-limit") == []
    _, bad = run(form, units, [record(form, "a.xlsx", "MN01", "7.1", count=2.0)])
    assert found(bad, "over-limit") == [("a.xlsx", "7.1", "count", "D39", "warning", "2")]
    assert bad[0].message == ("a.xlsx, trang Biểu tổng hợp, ô D39: hàng 7.1 = 2, lớn hơn 1 đối với đơn vị loại "
                              "Mầm non (một trường chỉ tính chính mình là cơ sở giáo dục tổ chức Lễ khai mạc).")


def _communes(form, values: list[float], code: str = "2") -> list[dict]:
    return [record(form, f"X{k:02d}.xlsx", f"X{k:02d}", code, count=v) for k, v in enumerate(values, start=1)]


def test_outlier_against_units_of_the_same_type(form, units):
    _, ok = run(form, units, _communes(form, [2, 3, 3, 4, 2, 5]))
    assert found(ok, "outlier") == []
    _, bad = run(form, units, _communes(form, [2, 3, 3, 4, 2, 60]))
    assert found(bad, "outlier") == [("X06.xlsx", "2", "count", "D22", "warning", "60")]
    assert bad[0].message == ("X06.xlsx, trang Biểu tổng hợp, ô D22: hàng 2 (Số lớp/số cuộc thi) = 60, rất khác "
                              "các đơn vị cùng loại Xã (trung vị 3, so với 6 đơn vị: X01, X02, X03, X04, X05, X06).")


def test_outlier_when_most_units_report_the_same_value(form, units):
    # MAD is 0: the scale is at least 1, so 40 is far from 1 but 2 is not
    _, bad = run(form, units, _communes(form, [1, 1, 1, 1, 1, 40], code="7.1"))
    assert found(bad, "outlier") == [("X06.xlsx", "7.1", "count", "D39", "warning", "40")]
    _, ok = run(form, units, _communes(form, [1, 1, 1, 1, 1, 2], code="7.1"))
    assert found(ok, "outlier") == []
    # and at least a tenth of the median: five budgets of 2.000.000 đồng and one of 2.500.000 is no outlier
    budgets = [2e6, 2e6, 2e6, 2e6, 2e6]
    rows = [record(form, f"X{k:02d}.xlsx", f"X{k:02d}", "10.1", amount=v)
            for k, v in enumerate([*budgets, 2.5e6], start=1)]
    _, ok = run(form, units, rows)
    assert found(ok, "outlier") == []
    rows[-1]["amount"] = 90e6
    _, bad = run(form, units, rows)
    assert found(bad, "outlier") == [("X06.xlsx", "10.1", "amount", "D45", "warning", "90.000.000")]


def test_no_outlier_with_too_few_units_or_across_types(form, units):
    _, few = run(form, units, _communes(form, [2, 3, 2, 500]))  # form.outlier_min_units = 5
    assert found(few, "outlier") == []
    # four communes and one school: not five of one type
    rows = _communes(form, [2, 3, 2, 3]) + [record(form, "MN01.xlsx", "MN01", "2", count=900.0)]
    _, mixed = run(form, units, rows)
    assert found(mixed, "outlier") == []


def test_form_without_values_is_a_warning(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "2"), record(form, "a.xlsx", "X01", "3"),
                                  record(form, "b.xlsx", "X02", "2", count=1.0)])
    assert [(i.code, i.file, i.severity, i.indicator, i.cell) for i in issues] == [
        ("no-values", "a.xlsx", "warning", None, None)]
    assert issues[0].message == "a.xlsx: biểu không có số liệu nào."


# ------------------------------------------------------------------------------------ whole folder

def test_one_validation_reports_every_file(form, units):
    rows = [record(form, "b.xlsx", "X02", "6", count=9.0), record(form, "b.xlsx", "X02", "6.1", count=1.0, people=5.0),
            record(form, "a.xlsx", "X01", "2", count=-1.0), record(form, "a.xlsx", "X01", "6.1", count=3.0),
            record(form, "c.xlsx", None, "7.1", count=2.5)]
    out, issues = run(form, units, rows)
    assert [(i.file, i.code, i.indicator, i.measure, i.cell, i.unit) for i in issues] == [
        ("a.xlsx", "value-negative", "2", "count", "D22", "X01"),
        ("a.xlsx", "people-missing", "6.1", "people", None, "X01"),
        ("b.xlsx", "total-mismatch", "6", "count", "D34", "X02"),
        ("c.xlsx", "value-not-whole", "7.1", "count", "D39", None),
    ]
    assert list(out.columns) == TABLE_COLUMNS
    assert len(out) == len(rows)


def test_rows_of_a_file_need_not_come_together(form, units):
    # a.xlsx's rows on both sides of b.xlsx's, under an index that is not 0..n-1: the total still adds up
    # every part of its own file
    rows = [record(form, "a.xlsx", "X01", "6", count=9.0), record(form, "a.xlsx", "X01", "6.1", count=1.0, people=5.0),
            record(form, "b.xlsx", "X02", "2", count=1.0), record(form, "a.xlsx", "X01", "6.3", count=2.0, people=10.0)]
    frame = table(form, rows)
    frame.index = [30, 20, 10, 0]
    out, issues = validate(frame, form, units)
    assert [(i.file, i.code, i.indicator, i.cell) for i in issues] == [("a.xlsx", "total-mismatch", "6", "D34")]
    assert "ghi 9 nhưng tổng các hàng 6.1 (1), 6.3 (2) là 3;" in issues[0].message
    assert list(out["indicator"]) == ["6", "6.1", "2", "6.3"] and list(out.index) == [0, 1, 2, 3]


def test_blanks_written_as_nan_are_blanks(form, units):
    # a table whose blank strings are NaN rather than None: the same issues, the cell of a blank value
    # still found from the file's other cells
    rows = [record(form, "a.xlsx", "X01", "5", note="x"), record(form, "a.xlsx", "X01", "5.1", count=1.0),
            record(form, "a.xlsx", "X01", "5.4", count=2.0, people=40.0),
            record(form, "a.xlsx", "X01", "6.2", count=1.0)]
    as_none = table(form, rows)
    as_nan = as_none.copy()
    for col in TABLE_COLUMNS:
        if col not in ("count", "people", "amount"):
            as_nan[col] = as_none[col].where(as_none[col].notna(), np.nan)
    _, issues = validate(as_nan, form, units)
    assert [(i.code, i.cell) for i in issues] == [("total-from-parts", "D27"), ("people-missing", "E36")]
    assert issues == validate(as_none, form, units)[1]


def test_empty_table(form, units):
    out, issues = run(form, units, [])
    assert issues == [] and out.empty and list(out.columns) == TABLE_COLUMNS


@pytest.mark.parametrize(("value", "text"), [(1200000.0, "1.200.000"), (0.0, "0"), (2.5, "2,5"), (1234.25, "1.234,25")])
def test_number_written_the_vietnamese_way(value, text):
    assert number(value) == text


def test_a_value_in_error_is_not_also_an_outlier(form, units):
    _, issues = run(form, units, _communes(form, [2, 3, 3, 4, 2, -60]))
    assert [(i.code, i.file) for i in issues] == [("value-negative", "X06.xlsx")]


def test_checks_follow_the_form_definition(tmp_path, units):
    """Another district's form: a rule and a limit changed in form.toml, no code changed."""
    from consolidate.form import DEFAULT_FORM, load_form

    text = DEFAULT_FORM.read_text(encoding="utf-8")
    text = text.replace('types = ["Mầm non", "Tiểu học", "THCS", "Liên cấp", "THPT"]', 'types = ["Xã"]')
    text += '\n[[rules]]\ntotal = "4.2"\nmeasure = "count"\nparts = ["4.1"]\nmeaning = "thử"\n'
    path = tmp_path / "form.toml"
    path.write_text(text, encoding="utf-8")
    other = load_form(path)
    rows = [record(other, "a.xlsx", "X01", "7.1", count=3.0), record(other, "b.xlsx", "MN01", "7.1", count=3.0),
            record(other, "a.xlsx", "X01", "4.1", count=2.0), record(other, "a.xlsx", "X01", "4.2", count=5.0)]
    _, issues = validate(table(other, rows), other, units)
    assert [(i.code, i.file, i.indicator, i.cell) for i in issues] == [
        ("over-limit", "a.xlsx", "7.1", "D39"),
        ("total-mismatch", "a.xlsx", "4.2", "D26"),
    ]
    assert issues[1].message.endswith("ghi 5 nhưng tổng các hàng 4.1 (2) là 2; thử.")


def test_a_value_that_could_not_be_read_is_not_a_blank(form, units):
    # 1.9 people was written ("nhiều") but unreadable: the reader's error says so; 1.0 (people) and the
    # people-missing rule must not add false errors built on it being blank
    rows = [record(form, "a.xlsx", "X01", "1.0", people=250.0),
            record(form, "a.xlsx", "X01", "1.7", count=2.0, people=210.0),
            record(form, "a.xlsx", "X01", "1.9", count=2.0)]
    _, judged = run(form, units, rows)
    assert [i.code for i in judged] == ["total-mismatch", "people-missing"]
    _, unread = validate(table(form, rows), form, units, frozenset({("a.xlsx", "1.9", "people")}))
    assert unread == []
    # only that file and that measure: a readable part elsewhere is still judged
    other = [dict(r, file="b.xlsx") for r in rows]
    _, both = validate(table(form, rows + other), form, units, frozenset({("a.xlsx", "1.9", "people")}))
    assert [(i.file, i.code) for i in both] == [("b.xlsx", "total-mismatch"), ("b.xlsx", "people-missing")]


def test_pandera_is_imported_without_its_hypothesis_strategies_and_hypothesis_stays_importable():
    # a fresh process, as the console command is: pandera's data-synthesis strategies are not loaded
    # (their hypothesis import cost 0.1 s), validation works, and hypothesis can still be imported after
    import subprocess
    import sys

    code = ("import sys, consolidate.schema as s; s.warm_up(); "
            "import pandera.strategies.base_strategies as b; print(b.HAS_HYPOTHESIS, 'hypothesis' in sys.modules); "
            "import hypothesis; print(hypothesis.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "hypothesis"]


# --------------------------------------------------- fixed examples: a total smaller than its parts
#
# The Hypothesis test above covers the space; these are the fixed cases a reviewer reads (issue 19): for
# each rule of FORM.md, a total written smaller than the sum of its filled parts is an error naming both.

@pytest.mark.parametrize(("total", "measure", "parts", "cell", "expected"), [
    ("1", "count", {"1.5": {"count": 2.0, "people": 60.0}, "1.8": {"count": 3.0, "people": 90.0}}, "D7", "5"),
    ("1.0", "people", {"1.5": {"count": 2.0, "people": 60.0}, "1.8": {"count": 3.0, "people": 90.0}}, "E8", "150"),
    ("5", "count", {"5.1": {"count": 2.0}, "5.5": {"count": 1.0, "people": 30.0}}, "D27", "3"),
    ("6", "count", {"6.1": {"count": 1.0, "people": 10.0}, "6.3": {"count": 2.0, "people": 10.0}}, "D34", "3"),
])
def test_a_total_smaller_than_its_parts_is_an_error(form, units, total, measure, parts, cell, expected):
    rows = [record(form, "a.xlsx", "X01", total, **{measure: 1.0})]
    rows += [record(form, "a.xlsx", "X01", code, **values) for code, values in parts.items()]
    _, issues = run(form, units, rows)
    assert found(issues, "total-mismatch") == [("a.xlsx", total, measure, cell, "error", "1")]
    assert [i.code for i in issues] == ["total-mismatch"]
    assert "ghi 1 nhưng tổng các hàng" in issues[0].message and f" là {expected};" in issues[0].message


def test_the_people_total_smaller_than_its_parts_names_both_numbers(form, units):
    _, issues = run(form, units, [record(form, "a.xlsx", "X01", "1.0", people=90.0),
                                  record(form, "a.xlsx", "X01", "1.5", count=1.0, people=35.0),
                                  record(form, "a.xlsx", "X01", "1.8", count=2.0, people=60.0)])
    assert [i.message for i in issues] == [
        "a.xlsx, trang Biểu tổng hợp, ô E8: hàng 1.0 (Người) ghi 90 nhưng tổng các hàng 1.5 (35), 1.8 (60) là 95; "
        "tổng số người tham gia bằng tổng số người theo loại (1.1 … 1.13)."]
