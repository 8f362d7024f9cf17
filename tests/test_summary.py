"""The district summary workbook: five sheets, text stays text, blank apart from 0, print-ready."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from python_calamine import CalamineWorkbook

from consolidate.identity import IDENTITY_SHEET, parse_identity
from consolidate.summary import (
    BY_UNIT_SHEET, CHART_SHEET, ISSUES_SHEET, STATUS_SHEET, build_workbook, lateness, measure_label, write_summary,
)
from conftest import shown
from test_merge import HYPERLINK, make_result

SHEETS = ["Biểu tổng hợp", BY_UNIT_SHEET, STATUS_SHEET, ISSUES_SHEET, CHART_SHEET]


@pytest.fixture(scope="module")
def written(tmp_path_factory, campaign, form, units):
    """The summary of the synthetic run, written once, and the MergeResult it came from."""
    result = make_result(campaign, form, units)
    path = tmp_path_factory.mktemp("summary") / "tong_hop.xlsx"
    write_summary(path, result)
    return path, result


@pytest.fixture(scope="module")
def written_invalid(tmp_path_factory, campaign, form, units):
    result = make_result(campaign, form, units, include_invalid=True)
    path = tmp_path_factory.mktemp("summary_invalid") / "tong_hop.xlsx"
    write_summary(path, result)
    return path, result


def rows_by_label(ws, col: int = 2) -> dict[str, int]:
    """Sheet row of each form label (first occurrence)."""
    out: dict[str, int] = {}
    for r in range(1, ws.max_row + 1):
        v = ws.cell(r, col).value
        if isinstance(v, str):
            out.setdefault(v, r)
    return out


def test_five_sheets_in_order_form_first_and_active(written):
    wb = load_workbook(written[0])
    assert wb.sheetnames == [*SHEETS, IDENTITY_SHEET]
    assert [ws.sheet_state for ws in wb] == ["visible"] * 5 + ["hidden"]
    assert wb.active.title == "Biểu tổng hợp"


def test_identity_sheet_lets_a_province_check_form_year_and_save_time(written):
    cal = CalamineWorkbook.from_path(str(written[0]))
    ident = parse_identity(cal.get_sheet_by_name(IDENTITY_SHEET).to_python())
    assert (ident.form_id, ident.form_version, ident.year) == ("tlhtsd-bieu-tong-hop", 1, 2021)
    # the district's own code (campaign code) and its pedigree: 5 of 23 units, no unchecked data (issue 14)
    assert (ident.unit_code, ident.unit_name) == ("QNH", "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai")
    assert (ident.kind, ident.units_merged, ident.units_total, ident.include_invalid) == ("summary", 5, 23, False)
    assert ident.generated_at == ident.saved_at == dt.datetime(2021, 10, 16, 17, 45)


# --- 1. Biểu tổng hợp ------------------------------------------------------------------------------------


def test_form_sheet_holds_the_district_totals_in_the_official_layout(written, form):
    ws = load_workbook(written[0])["Biểu tổng hợp"]
    assert ws["A1"].value == "BIỂU TỔNG HỢP"
    assert ws["A2"].value == "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021"
    assert ws["A3"].value == "Đơn vị báo cáo: Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai"
    assert ws["A4"].value == "Tổng hợp từ 5/23 đơn vị (lập lúc 17:45 ngày 16/10/2021)"
    assert [ws.cell(5, c).value for c in range(1, 7)] == ["STT", "Các hoạt động", "Đơn vị", "Số lượng", None, "Ghi chú"]
    rows = rows_by_label(ws)
    assert list(rows)[1:1 + len(form.rows)] == [r.label for r in form.rows]  # same labels, same order
    at = lambda label, col: ws.cell(rows[label], col)  # noqa: E731
    assert at("Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ", 4).value == 13
    assert at("Tổng số người tham gia, trong đó:", 5).value == 274
    assert at("Học nghề cho lao động nông thôn", 4).value == 2
    assert at("Học nghề cho lao động nông thôn", 5).value == 64
    assert at("Số tin bài về các hoạt động của Tuần lễ", 4).value == 8
    assert at("Ngân sách nhà nước", 4).value == 5_500_000
    assert at("Ngân sách nhà nước", 4).number_format == "#,##0"
    assert at("Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có)", 4).value is None  # nobody reported
    assert at("Các nội dung khác (nếu có)", 4).value == "UBND xã Mường Giàng: Tổ chức 2 buổi tọa đàm ở bản"
    assert at("Số tin bài về các hoạt động của Tuần lễ", 6).value == f"UBND xã Mường Giàng: {HYPERLINK}"


def test_form_sheet_is_print_ready_a4_with_the_signature_block(written):
    ws = load_workbook(written[0])["Biểu tổng hợp"]
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$5:$6"  # the header repeats on every printed page
    values = [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert "Quỳnh Nhai, ngày 16 tháng 10 năm 2021" in values
    assert "TRƯỞNG PHÒNG" in values
    assert "(Ký tên, đóng dấu)" in values
    assert ws.protection.sheet is False  # the district edits its own summary freely


def test_include_invalid_puts_a_red_warning_under_the_title(written_invalid):
    ws = load_workbook(written_invalid[0], rich_text=True)["Biểu tổng hợp"]
    cell = ws["A4"].value
    assert isinstance(cell, CellRichText)
    first, warn = cell
    assert first.text == "Tổng hợp từ 6/23 đơn vị (lập lúc 17:45 ngày 16/10/2021)"
    assert warn.text == ("\nLƯU Ý: biểu này có cộng cả số liệu CHƯA KIỂM TRA của các đơn vị có lỗi "
                         "(tổng hợp với --include-invalid): Trường Tiểu học Mường Giàng.")
    assert warn.font.color.rgb.endswith("C00000") and warn.font.b
    assert ws[f"D{rows_by_label(ws)['Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ']}"].value == 22
    by_unit = load_workbook(written_invalid[0])[BY_UNIT_SHEET]
    assert by_unit["A3"].value.startswith("LƯU Ý: biểu này có cộng cả số liệu CHƯA KIỂM TRA")
    assert by_unit["A3"].font.color.rgb.endswith("C00000")


def test_without_include_invalid_no_warning_line(written):
    wb = load_workbook(written[0])
    assert wb[BY_UNIT_SHEET]["A3"].value is None
    assert not any("CHƯA KIỂM TRA" in str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row)


# --- 2. Theo đơn vị ----------------------------------------------------------------------------------------


def test_by_unit_columns_grouped_by_type_with_subtotals(written):
    ws = load_workbook(written[0])[BY_UNIT_SHEET]
    types = [ws.cell(5, c).value for c in range(4, ws.max_column + 1)]
    assert [t for t in types if t] == ["Xã", "Mầm non", "Toàn huyện"]  # list order; types with no unit left out
    names = [ws.cell(6, c).value for c in range(4, ws.max_column + 1)]
    assert names == ["UBND xã Mường Giàng", "UBND xã Chiềng Ơn", "UBND xã Chiềng Bằng", "UBND xã Chiềng Khoang",
                     "Cộng Xã", "Trường Mầm non Mường Giàng", "Cộng Mầm non", "Tổng cộng"]
    codes = [ws.cell(7, c).value for c in range(4, ws.max_column + 1)]
    assert codes == ["X01", "X02", "X03", "X04", "4 đơn vị", "MN01", "1 đơn vị", "5 đơn vị"]
    assert ws.freeze_panes == "D8"


def test_by_unit_keeps_blank_apart_from_zero_and_sums_per_type(written):
    ws = load_workbook(written[0])[BY_UNIT_SHEET]
    rows = rows_by_label(ws)
    r = rows["Học nghề cho lao động nông thôn"]
    assert [ws.cell(r, 3).value, ws.cell(r + 1, 3).value] == ["lớp", "người"]
    assert [ws.cell(r, c).value for c in range(4, 12)] == [2, 0, None, None, 2, None, None, 2]
    assert [ws.cell(r + 1, c).value for c in range(4, 12)] == [64, 0, None, None, 64, None, None, 64]
    r = rows["Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ"]
    assert [ws.cell(r, c).value for c in range(4, 12)] == [2, 0, None, 5, 7, 6, 6, 13]
    r = rows["Số tin bài về các hoạt động của Tuần lễ"]
    assert ws.cell(r, 3).value == "Tin, bài/ cuộc"
    assert [ws.cell(r, c).value for c in range(4, 12)] == [4, 1, 3, None, 8, None, None, 8]
    r = rows["Ngân sách nhà nước"]
    assert ws.cell(r, 3).value == "đồng"
    assert ws.cell(r, 11).value == 5_500_000 and ws.cell(r, 11).number_format == "#,##0"
    r = rows["Các nội dung khác (nếu có)"]
    assert ws.cell(r, 4).value == "Tổ chức 2 buổi tọa đàm ở bản"
    r = rows["Số tin bài về các hoạt động của Tuần lễ"]
    unit, subtotal, total = ws.cell(r, 4), ws.cell(r, 8), ws.cell(r, 11)
    assert (unit.font.b, unit.fill.fgColor.rgb, unit.font.name) == (False, "00000000", "Times New Roman")
    assert (subtotal.font.b, subtotal.fill.fgColor.rgb) == (True, "00DDEBF7")
    assert (total.font.b, total.fill.fgColor.rgb) == (True, "00BDD7EE")
    assert ws.cell(6, 4).font.b and ws.cell(6, 4).alignment.wrap_text


def test_by_unit_lists_the_units_notes_as_text(written):
    ws = load_workbook(written[0])[BY_UNIT_SHEET]
    r = rows_by_label(ws)["UBND xã Mường Giàng"]
    assert [ws.cell(r, c).value for c in range(1, 5)] == [1, "UBND xã Mường Giàng", "2", HYPERLINK]
    assert ws.cell(r, 4).data_type == "s"


def test_measure_label_splits_the_forms_unit_column(form):
    assert measure_label(form.row("1.5"), "count") == "lớp"
    assert measure_label(form.row("5.3"), "people") == "người"
    assert measure_label(form.row("4.2"), "count") == "Quyển"
    assert measure_label(form.row("11"), "text") == "Nội dung"


# --- 3. Tình hình nộp báo cáo -----------------------------------------------------------------------------


def test_status_sheet_lists_every_unit_with_state_time_and_lateness(written, units):
    ws = load_workbook(written[0])[STATUS_SHEET]
    assert [ws.cell(4, c).value for c in range(1, 12)] == [
        "STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng", "Tệp", "Thời điểm gửi (lưu tệp)", "Hạn nộp",
        "Số lỗi", "Số cảnh báo", "Email"]
    table = {ws.cell(r, 2).value: [shown(ws.cell(r, c).value) for c in range(1, 12)]
             for r in range(5, 5 + len(units))}
    assert list(table) == [u.code for u in units]
    assert table["X01"] == [1, "X01", "UBND xã Mường Giàng", "Xã", "đã nộp hợp lệ", "X01_UBND_xa_Muong_Giang.xlsx",
                            dt.datetime(2021, 10, 8, 9, 30), "Đúng hạn", 0, 0, "ubnd.muonggiang@quynhnhai.example"]
    assert table["X03"][4:8] == ["đã nộp hợp lệ", "X03 (lan 2).ods", dt.datetime(2021, 10, 11, 8), "Đúng hạn"]
    assert table["X04"][8:10] == [0, 1]
    assert table["MN01"][7] == "Muộn 3 ngày"
    assert table["TH01"][4:10] == ["có lỗi", "TH01_Truong_Tieu_hoc_Muong_Giang.xlsx", dt.datetime(2021, 10, 11, 10),
                                   "Đúng hạn", 1, 0]
    assert table["X05"][4:10] == ["chưa nộp", None, None, None, None, None]
    foot = ws.cell(5 + len(units), 1).value
    assert foot.startswith("Hạn nộp được so với thời điểm đơn vị lưu tệp ghi trong biểu mẫu")
    assert ws.auto_filter.ref == f"A4:K{4 + len(units)}"
    assert ws.freeze_panes == "D5"
    rules = {str(rng.sqref): [r.formula for r in rng.rules] for rng in ws.conditional_formatting}
    assert rules["E5:E27"] == [['"đã nộp hợp lệ"'], ['"có lỗi"'], ['"chưa nộp"']]


def test_lateness_needs_the_units_own_save_time():
    from consolidate.results import FileReport
    from consolidate.summary import unit_saved_at

    copied = dt.datetime(2021, 10, 20, 8, 0)
    assert unit_saved_at(FileReport("a.xlsx", Path("a.xlsx"), "accepted", "X01", saved_at=copied,
                                    received_at=copied)) is None  # only the copy's time: not judged
    saved = dt.datetime(2021, 10, 14, 22, 0)
    assert unit_saved_at(FileReport("a.xlsx", Path("a.xlsx"), "accepted", "X01", saved_at=saved,
                                    received_at=copied)) == saved
    assert unit_saved_at(None) is None


def test_status_sheet_lists_every_other_file_with_its_reason(written):
    ws = load_workbook(written[0])[STATUS_SHEET]
    start = rows_by_label(ws, 1)["CÁC TỆP KHÁC TRONG THƯ MỤC (3 tệp không được dùng để tổng hợp)"]
    assert [ws.cell(start + 1, c).value for c in (1, 2, 4, 6, 7)] == ["STT", "Tệp", "Tình trạng", "Đơn vị", "Lý do"]
    got = [[ws.cell(r, c).value for c in (1, 2, 4, 6, 7)] for r in range(start + 2, start + 5)]
    assert got == [
        [1, "X03 (lan 1).xlsx", "đã có bản mới hơn", "UBND xã Chiềng Bằng",
         "X03 (lan 1).xlsx: đơn vị X03 đã gửi bản mới hơn (X03 (lan 2).ods); bản này không được dùng."],
        [2, "bao cao tuan le.xlsx", "chưa xác định đơn vị", None,
         "bao cao tuan le.xlsx: không xác định được đơn vị gửi báo cáo (không có dòng \"Đơn vị báo cáo\"). "
         "Hãy đổi tên tệp theo mã đơn vị hoặc ghi đúng dòng \"Đơn vị báo cáo:\"."],
        [3, "Anh le khai mac.jpg", "không phải báo cáo", None,
         "Anh le khai mac.jpg: không phải tệp báo cáo (ảnh JPEG), đã bỏ qua."],
    ]


def test_lateness_against_the_deadline():
    deadline = dt.date(2021, 10, 15)
    assert lateness(dt.datetime(2021, 10, 15, 23, 59), deadline) == "Đúng hạn"
    assert lateness(dt.datetime(2021, 10, 16, 0, 1), deadline) == "Muộn 1 ngày"
    assert lateness(dt.datetime(2021, 10, 1), deadline) == "Đúng hạn"
    assert lateness(None, deadline) is None
    assert lateness(dt.datetime(2021, 10, 20), None) is None


# --- 4. Lỗi và cảnh báo ----------------------------------------------------------------------------------


def test_issues_sheet_one_row_per_issue_with_autofilter(written):
    path, result = written
    ws = load_workbook(path)[ISSUES_SHEET]
    expected = len(result.run.issues) + len(result.issues)
    assert ws.max_row == 1 + expected
    assert ws.auto_filter.ref == f"A1:K{1 + expected}"
    rows = [[ws.cell(r, c).value for c in range(1, 12)] for r in range(2, 2 + expected)]
    th01 = next(r for r in rows if r[4] == "total-mismatch")
    assert th01[1:9] == ["TH01_Truong_Tieu_hoc_Muong_Giang.xlsx", "Trường Tiểu học Mường Giàng", "Lỗi",
                         "total-mismatch", "Biểu tổng hợp", "D7", "1", "Số lớp/số cuộc thi"]
    hyper = next(r for r in rows if r[4] == "value-unreadable")
    assert hyper[9] == HYPERLINK
    assert rows[-1][3:5] == ["Cảnh báo", "merge-total-differs"]
    assert rows[-1][1] is None


# --- every sheet: unit text stays text -----------------------------------------------------------------------


def test_no_formula_anywhere_and_unit_text_reads_back_as_text(written):
    path = written[0]
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", zf.read(name)), name
    cal = CalamineWorkbook.from_path(str(path))
    seen = {}
    for name in cal.sheet_names:
        cells = [v for row in cal.get_sheet_by_name(name).to_python() for v in row]
        seen[name] = [v for v in cells if isinstance(v, str) and "HYPERLINK" in v]
    assert seen["Biểu tổng hợp"] == [f"UBND xã Mường Giàng: {HYPERLINK}"]
    assert seen[BY_UNIT_SHEET] == [HYPERLINK]
    assert HYPERLINK in seen[ISSUES_SHEET]


# --- 5. chart --------------------------------------------------------------------------------------------------


def test_chart_sheet_has_native_bar_charts_over_a_table_by_unit_type(written):
    path = written[0]
    ws = load_workbook(path)[CHART_SHEET]
    table = [[ws.cell(r, c).value for c in range(1, 8)] for r in range(3, 8)]
    assert table == [
        ["Loại đơn vị", "Số đơn vị", "Đã nộp hợp lệ", "Có lỗi", "Chưa nộp", "Số lớp bồi dưỡng (mục 1)",
         "Số người tham gia (mục 1)"],
        ["Xã", 11, 4, 0, 7, 7, 64],
        ["Mầm non", 4, 1, 0, 3, 6, 210],
        ["Tiểu học", 4, 0, 1, 3, 0, 0],  # TH01 has errors: its numbers are not in the merge
        ["THCS", 4, 0, 0, 4, 0, 0],
    ]
    with zipfile.ZipFile(path) as zf:
        charts = sorted(n for n in zf.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 3
        xml = zf.read(charts[0]).decode()
    assert '<barChart><barDir val="col"/><grouping val="stacked"/>' in xml
    assert "<f>'Biểu đồ'!C3</f>" in xml and "<f>'Biểu đồ'!$C$4:$C$7</f>" in xml  # series: "Đã nộp hợp lệ"
    assert "<f>'Biểu đồ'!$A$4:$A$7</f>" in xml  # categories: the unit types


# --- LibreOffice ----------------------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_opens_the_summary_and_prints_it(written, soffice_convert, tmp_path):
    pdf = soffice_convert(written[0], "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 5  # every sheet printed


def test_write_summary_returns_the_path(tmp_path, campaign, form, units):
    path = write_summary(tmp_path / "x.xlsx", make_result(campaign, form, units))
    assert path == tmp_path / "x.xlsx" and Path(path).stat().st_size > 0


def test_long_texts_are_cut_to_what_an_excel_cell_holds(tmp_path, campaign, form):
    from consolidate.merge import MergeResult, merge_checks, per_unit, totals
    from consolidate.summary import CUT_MARK
    from consolidate.units import Unit, UnitList
    from test_merge import NOW, make_run

    two = UnitList((Unit("X01", "UBND xã Mường Giàng", "", ""), Unit("X02", "UBND xã Chiềng Ơn", "", "")))
    long = "Nội dung rất dài. " * 1200  # 21,600 characters each, 43,000+ together
    files = {"X01.xlsx": ("X01", "accepted", None, {"11": {"text": long}, "2": {"count": 1}}),
             "X02.xlsx": ("X02", "accepted", None, {"11": {"text": long}, "2": {"count": 2}})}
    run = make_run(campaign, form, two, files=files)
    sums = totals(run)
    path = write_summary(tmp_path / "t.xlsx", MergeResult(run, sums, per_unit(run), tmp_path / "t.xlsx", False,
                                                          NOW, merge_checks(run, sums)))
    wb = load_workbook(path)
    ws = wb["Biểu tổng hợp"]
    text = ws.cell(rows_by_label(ws)["Các nội dung khác (nếu có)"], 4).value
    assert len(text) == 32_767 and text.endswith(CUT_MARK)
    assert text.startswith("UBND xã Mường Giàng: Nội dung rất dài.")
    by_unit = wb[BY_UNIT_SHEET]
    assert by_unit.cell(5, 4).value == "(chưa ghi loại)"  # a list with a blank type
    assert by_unit.cell(6, 6).value == "Cộng (chưa ghi loại)"
    r = rows_by_label(by_unit)["Các nội dung khác (nếu có)"]
    assert by_unit.cell(r, 4).value == long  # one unit's text fits


# --- the sheets whose cells summary.py writes as XML itself ---------------------------------------------------

TRICKY = {  # texts that XML or a spreadsheet would read as something else, if written carelessly
    "formula": "=SUM(D8:D9)",
    "escape": "Trường _x000a_ Mường Giàng",
    "cr": "dòng 1\r\ndòng 2\rdòng 3",
    "spaces": "  lề hai bên  ",
    "markup": "<b>&amp;</b> ]]>",
}


@pytest.fixture(scope="module")
def tricky(tmp_path_factory, campaign, form):
    """A summary (with --include-invalid) of units whose names, notes and texts are TRICKY, saved twice:
    by write_summary and by openpyxl alone (build_workbook(…).save)."""
    from test_merge import NOW, make_run

    from consolidate.merge import MergeResult, merge_checks, per_unit, totals
    from consolidate.units import Unit, UnitList

    units = UnitList((Unit("X01", TRICKY["escape"], "Xã", "a@b.example"), Unit("X02", TRICKY["formula"], "Xã", ""),
                      Unit("MN01", TRICKY["spaces"], "Mầm non", ""), Unit("X05", "UBND xã Chưa Nộp", "Xã", "")))
    files = {
        "X01_UBND_xa_x000a_.xlsx": ("X01", "accepted", dt.datetime(2021, 10, 8, 9, 30), {
            "1": {"count": 2.5}, "2": {"count": 3, "note": TRICKY["formula"]}, "11": {"text": TRICKY["cr"]}}),
        "X02.xlsx": ("X02", "accepted", dt.datetime(2021, 10, 9, 9, 30), {
            "1": {"count": 4}, "2": {"count": 1, "note": TRICKY["escape"]}, "11": {"text": TRICKY["markup"]}}),
        "TH01_Truong_Tieu_hoc_Muong_Giang.xlsx": ("MN01", "rejected", dt.datetime(2021, 10, 11, 10, 0), {
            "1": {"count": 9}, "2": {"note": TRICKY["spaces"]}}),
        "bao cao tuan le.xlsx": (None, "unknown_unit", None, {"2": {"count": 7}}),
    }
    run = make_run(campaign, form, units, files=files)
    sums = totals(run, True)
    result = MergeResult(run, sums, per_unit(run), Path("t.xlsx"), True, NOW, merge_checks(run, sums, True))
    folder = tmp_path_factory.mktemp("tricky")
    fast = write_summary(folder / "fast.xlsx", result)
    plain = folder / "openpyxl.xlsx"
    build_workbook(result).save(plain)
    return fast, plain


def _cell_facts(cell) -> tuple:
    return (cell.value, cell.data_type, cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.border),
            repr(cell.alignment), repr(cell.protection))


def _facts(path: Path) -> dict:
    """What a reader sees of every sheet: cells with their styles, merges, sizes, panes, rules, used range."""
    wb = load_workbook(path)
    with zipfile.ZipFile(path) as zf:
        dimensions = [re.search(rb'<dimension ref="([^"]+)"', zf.read(f"xl/worksheets/sheet{i}.xml")).group(1)
                      for i in range(1, len(wb.sheetnames) + 1)]
    out: dict = {"sheets": [(ws.title, ws.sheet_state) for ws in wb], "dimensions": dimensions}
    for ws in wb:
        out[ws.title] = {
            "cells": {key: _cell_facts(ws.cell(*key)) for key in sorted(ws._cells)},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "rows": {r: dict(d) for r, d in ws.row_dimensions.items()},
            "cols": {c: dict(d) for c, d in ws.column_dimensions.items()},
            "freeze": ws.freeze_panes,
            "rules": [(str(r.sqref), [(x.type, x.operator, x.formula, repr(x.dxf)) for x in r.rules])
                      for r in ws.conditional_formatting],
            "print": (ws.print_title_rows, ws.print_title_cols, ws.print_area, ws.auto_filter.ref),
        }
    cal = CalamineWorkbook.from_path(str(path))
    out["calamine"] = {name: cal.get_sheet_by_name(name).to_python() for name in cal.sheet_names}
    return out


def test_written_xml_reads_back_as_openpyxl_would_have_written_it(tricky):
    fast, plain = _facts(tricky[0]), _facts(tricky[1])
    assert fast.keys() == plain.keys()
    for key in fast:
        assert fast[key] == plain[key], key


def test_tricky_unit_texts_stay_exactly_as_written(tricky):
    path = tricky[0]
    ws = load_workbook(path)[BY_UNIT_SHEET]
    cal = {name: sheet.to_python() for name, sheet in
           ((n, CalamineWorkbook.from_path(str(path)).get_sheet_by_name(n)) for n in SHEETS)}
    by_unit = cal[BY_UNIT_SHEET]
    assert by_unit[5][3:6] == [TRICKY["escape"], TRICKY["formula"], "Cộng Xã"]  # unit names, read back literally
    assert ws.cell(6, 5).data_type == "s"  # "=SUM(…)" as a unit name: text, not a formula
    assert by_unit[5][6] == TRICKY["spaces"] + " (có lỗi)"
    rows = rows_by_label(ws)
    r = rows["Các nội dung khác (nếu có)"]
    assert by_unit[r - 1][3:5] == [TRICKY["cr"], TRICKY["markup"]]  # a carriage return stays one
    r = rows["Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ"]
    assert [ws.cell(r, c).value for c in range(4, 10)] == [2.5, 4, 6.5, 9, 9, 15.5]
    assert {ws.cell(r, c).number_format for c in range(4, 10)} == {"#,##0"}
    assert ws.cell(r, 5).value == 4 and isinstance(ws.cell(r, 5).value, int)
    notes = {tuple(row[1:4]) for row in by_unit if row[2] == "2"}
    assert notes == {(TRICKY["escape"], "2", TRICKY["formula"]), (TRICKY["formula"], "2", TRICKY["escape"]),
                     (TRICKY["spaces"], "2", TRICKY["spaces"])}
    status = cal[STATUS_SHEET]
    assert status[4][1:6] == ["X01", TRICKY["escape"], "Xã", "đã nộp hợp lệ", "X01_UBND_xa_x000a_.xlsx"]
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", zf.read(name)), name


def test_merging_kept_cells_borders_them_as_openpyxl_does(tmp_path):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    from consolidate.summary import _Book, _font, _put
    from consolidate.templates import BORDER

    book = _Book()
    sheet = book.create_sheet("S")
    plain_wb = Workbook()
    plain = plain_wb.create_sheet("S")

    def both(row: int, col: int, value: object, border: bool) -> None:
        _put(sheet, row, col, value, border=border, wrap=True)
        cell = plain.cell(row, col)
        cell.value = value
        cell.font = _font()
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if border:
            cell.border = BORDER

    both(1, 1, "a", True)
    both(2, 1, None, True)  # bordered corners: the merged cells get the outer edges
    both(4, 2, "b", True)
    both(4, 3, "lost", True)  # a value inside a merge is dropped
    both(6, 1, "c", False)
    both(10, 1, "d", True)
    both(11, 1, None, True)
    both(13, 2, "e", True)
    for rng in ((1, 1, 2, 1), (4, 2, 4, 9), (3, 1, 3, 5), (6, 1, 7, 3), (8, 2, 9, 4), (10, 1, 11, 1), (13, 2, 13, 9)):
        sheet.merge(*rng)
        plain.merge_cells(start_row=rng[0], start_column=rng[1], end_row=rng[2], end_column=rng[3])
    assert len(book.merged_styles) == 3  # the last two merges are styled as the first two were
    book.wb.remove(book.wb.active)
    plain_wb.remove(plain_wb.active)
    book.save(tmp_path / "kept.xlsx")
    plain_wb.save(tmp_path / "plain.xlsx")
    kept, expected = _facts(tmp_path / "kept.xlsx"), _facts(tmp_path / "plain.xlsx")
    assert kept == expected
    assert expected["S"]["cells"][4, 9][5] != expected["S"]["cells"][3, 5][5]  # the case is not trivial


def test_a_run_of_numbers_is_written_as_its_cells_one_by_one():
    from consolidate.summary import _Book, _put

    values = np.array([3.0, np.nan, 2.5, -0.0, 1e17, 2.0 ** 53, 2.0 ** 53 - 1, -7.0, 0.1 + 0.2, np.inf, -np.inf,
                       1234567890123.0, np.nan])
    book = _Book()
    run, cells = book.create_sheet("run"), book.create_sheet("cells")
    for sheet in (run, cells):
        _put(sheet, 2, 1, 1.0, number=True)
    run.put_numbers(2, 2, values, run.rows[2][1][2])
    for c, v in enumerate(values.tolist(), start=2):
        _put(cells, 2, c, v, number=True)
    assert list(run.rows_xml()) == list(cells.rows_xml())
    assert run.dimension() == cells.dimension() == "A2:N2"
    run.to_openpyxl()
    cells.to_openpyxl()
    read = [[(c.value, type(c.value), c.data_type, c.style_id) for c in ws[2]] for ws in (run.ws, cells.ws)]
    assert read[0] == read[1]
