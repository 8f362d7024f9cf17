"""The district summary workbook (written by XlsxWriter): five sheets, text stays text, blank apart from 0,
print-ready."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from python_calamine import CalamineWorkbook

from consolidate.identity import IDENTITY_SHEET, parse_identity
from consolidate.summary import (
    BY_UNIT_SHEET, CHART_SHEET, FORMULA_MARK, ISSUES_SHEET, STATUS_SHEET, lateness, measure_label, write_summary,
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
    # the heading of an administrative document (Nghị định 30/2020/NĐ-CP)
    assert [ws["A1"].value, ws["C1"].value] == ["UBND HUYỆN QUỲNH NHAI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    assert [ws["A2"].value, ws["C2"].value] == ["PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN QUỲNH NHAI",
                                                "Độc lập - Tự do - Hạnh phúc"]
    assert ws["A2"].font.b and ws["C1"].font.b and not ws["A1"].font.b
    assert {"A1:B1", "C1:F1", "A2:B2", "C2:F2"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws["A4"].value == "BIỂU TỔNG HỢP"
    assert ws["A5"].value == "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021"
    assert ws["A6"].value == ("(Kèm theo Báo cáo số …… /BC-PGDĐT ngày …… tháng …… năm 2021 của Phòng Giáo dục và "
                              "Đào tạo huyện Quỳnh Nhai)")
    assert ws["A7"].value == "Đơn vị báo cáo: Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai"
    assert ws["A8"].value == "Tổng hợp từ 5/23 đơn vị (lập lúc 17:45 ngày 16/10/2021)"
    assert [ws.cell(9, c).value for c in range(1, 7)] == ["STT", "Các hoạt động", "Đơn vị", "Số lượng", None, "Ghi chú"]
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
    # a note that looks like a formula is never printed on the signed page: "Lỗi và cảnh báo" lists it
    assert at("Số tin bài về các hoạt động của Tuần lễ", 6).value == f"UBND xã Mường Giàng: {FORMULA_MARK}"
    assert at("Số tin bài về các hoạt động của Tuần lễ", 6).alignment.wrap_text
    assert ws.row_dimensions[rows["Các nội dung khác (nếu có)"]].height >= 2 * 16.5  # room for the text


def test_form_sheet_is_print_ready_a4_with_the_signature_block(written):
    ws = load_workbook(written[0])["Biểu tổng hợp"]
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$9:$10"  # the header repeats on every printed page
    values = [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert "Quỳnh Nhai, ngày 16 tháng 10 năm 2021" in values
    assert "TRƯỞNG PHÒNG" in values
    assert "(Ký tên, đóng dấu)" in values
    assert ws.protection.sheet is False  # the district edits its own summary freely


def test_include_invalid_puts_a_red_warning_under_the_title(written_invalid):
    ws = load_workbook(written_invalid[0], rich_text=True)["Biểu tổng hợp"]
    cell = ws["A8"].value
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
    assert (unit.font.b, unit.fill.fill_type, unit.font.name) == (False, None, "Times New Roman")
    assert (subtotal.font.b, subtotal.fill.fgColor.rgb[-6:]) == (True, "DDEBF7")
    assert (total.font.b, total.fill.fgColor.rgb[-6:]) == (True, "BDD7EE")
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
    assert [ws.cell(4, c).value for c in range(1, 13)] == [
        "STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng", "Tệp", "Thời điểm gửi (lưu tệp)", "Hạn nộp",
        "Số lỗi", "Số cảnh báo", "Email", "Ghi chú"]
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
    assert ws.auto_filter.ref == f"A4:L{4 + len(units)}"
    assert ws.freeze_panes == "D5"
    assert ws.print_title_rows == "$4:$4"
    assert ws["K5"].alignment.wrap_text  # a long email wraps, never runs over the next column
    rules = {str(rng.sqref): [r.formula for r in rng.rules] for rng in ws.conditional_formatting}
    assert rules["E5:E27"] == [['"đã nộp hợp lệ"'], ['"có lỗi"'], ['"chưa nộp"'], ['"cần xác nhận"']]


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


def test_a_units_note_names_a_few_identical_files_and_counts_the_rest():
    from consolidate.results import FileReport
    from consolidate.summary import _unit_note

    report = FileReport("a.xlsx", Path("a.xlsx"), "accepted", "X01", same_as=["b.xlsx", "c.xlsx"])
    assert _unit_note("X01", "accepted", {}, {}, report) == "Số liệu giống hệt tệp b.xlsx, c.xlsx của đơn vị khác."
    # a province's copies of one file: the note stays one readable line, not hundreds of names per row
    report.same_as = [f"{k:03d}.xlsx" for k in range(400)]
    assert _unit_note("X01", "accepted", {}, {}, report) == (
        "Số liệu giống hệt tệp 000.xlsx, 001.xlsx, 002.xlsx và 397 tệp khác của đơn vị khác.")
    # check keeps the first 20 names and counts them all: the note counts them all
    report.same_as, report.same_count = report.same_as[:20], 400
    assert _unit_note("X01", "accepted", {}, {}, report) == (
        "Số liệu giống hệt tệp 000.xlsx, 001.xlsx, 002.xlsx và 397 tệp khác của đơn vị khác.")


def test_status_sheet_lists_every_other_file_with_its_reason(written):
    ws = load_workbook(written[0])[STATUS_SHEET]
    start = rows_by_label(ws, 1)["CÁC TỆP KHÁC TRONG THƯ MỤC (3 tệp không được dùng để tổng hợp)"]
    # the same columns as the units above, under the same (repeated) header: STT, Tệp, Tình trạng, Đơn vị, Ghi chú
    got = [[ws.cell(r, c).value for c in (1, 6, 5, 3, 12)] for r in range(start + 1, start + 4)]
    assert got == [
        [1, "X03 (lan 1).xlsx", "đã có bản mới hơn", "UBND xã Chiềng Bằng",
         "X03 (lan 1).xlsx: đơn vị X03 đã gửi bản mới hơn (X03 (lan 2).ods); bản này không được dùng."],
        [2, "bao cao tuan le.xlsx", "chưa xác định đơn vị", None,
         "bao cao tuan le.xlsx: không xác định được đơn vị gửi báo cáo (không có dòng \"Đơn vị báo cáo\"). "
         "Hãy đổi tên tệp theo mã đơn vị hoặc ghi đúng dòng \"Đơn vị báo cáo:\"."],
        [3, "Anh le khai mac.jpg", "không phải báo cáo", None,
         "Anh le khai mac.jpg: không phải tệp báo cáo (ảnh JPEG), đã bỏ qua."],
    ]
    assert ws.max_row == start + 3


def test_lateness_against_the_deadline():
    deadline = dt.date(2021, 10, 15)
    assert lateness(dt.datetime(2021, 10, 15, 23, 59), deadline) == "Đúng hạn"
    assert lateness(dt.datetime(2021, 10, 16, 0, 1), deadline) == "Muộn 1 ngày"
    assert lateness(dt.datetime(2021, 10, 1), deadline) == "Đúng hạn"
    assert lateness(None, deadline) is None
    assert lateness(dt.datetime(2021, 10, 20), None) is None


# --- 4. Lỗi và cảnh báo ----------------------------------------------------------------------------------


def test_issues_sheet_errors_first_kind_in_vietnamese_code_last(written):
    path, result = written
    ws = load_workbook(path)[ISSUES_SHEET]
    expected = len(result.run.issues) + len(result.issues)
    assert ws["A1"].value == "LỖI VÀ CẢNH BÁO — Tuần lễ hưởng ứng học tập suốt đời năm 2021"
    assert [ws.cell(4, c).value for c in range(1, 13)] == [
        "STT", "Mức độ", "Loại", "Tệp", "Đơn vị", "Trang", "Ô", "Hàng", "Số liệu", "Giá trị", "Nội dung", "Mã lỗi"]
    assert ws.max_row == 4 + expected
    assert ws.auto_filter.ref == f"A4:L{4 + expected}"
    assert ws.print_title_rows == "$4:$4" and ws.freeze_panes == "A5"
    rows = [[ws.cell(r, c).value for c in range(1, 13)] for r in range(5, 5 + expected)]
    severities = [r[1] for r in rows]
    assert severities == sorted(severities, key=["Lỗi", "Cảnh báo", "Thông tin"].index)  # errors first
    assert [r[0] for r in rows] == list(range(1, expected + 1))
    th01 = rows[0]
    assert th01 == [1, "Lỗi", "Tổng không khớp" if th01[2] == "Tổng không khớp" else th01[2],
                    "TH01_Truong_Tieu_hoc_Muong_Giang.xlsx", "Trường Tiểu học Mường Giàng", "Biểu tổng hợp", "D7", "1",
                    "Số lớp/số cuộc thi", "9", th01[10], "total-mismatch"]
    assert th01[2] and th01[2] != "total-mismatch" and not th01[2].isascii()  # the kind, in Vietnamese
    formula = next(r for r in rows if r[11] == "merge-formula-text")
    assert formula[1:3] == ["Cảnh báo", "Nội dung dạng công thức"]
    assert (formula[4], formula[7], formula[8], formula[9]) == ("UBND xã Mường Giàng", "2", "Ghi chú", HYPERLINK)
    assert next(r for r in rows if r[11] == "merge-total-differs")[3] is None  # the merge's own: no file


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
    assert seen["Biểu tổng hợp"] == []  # listed in "Lỗi và cảnh báo" instead
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
        drawing = zf.read("xl/drawings/drawing1.xml").decode()
    assert '<c:barChart><c:barDir val="col"/><c:grouping val="stacked"/>' in xml
    assert "<c:f>'Biểu đồ'!$C$3</c:f>" in xml and "<c:f>'Biểu đồ'!$C$4:$C$7</c:f>" in xml  # series "Đã nộp hợp lệ"
    assert "<c:f>'Biểu đồ'!$A$4:$A$7</c:f>" in xml  # categories: the unit types
    # the charts one under the other: no two anchors share a row
    tops = [int(m) for m in re.findall(r"<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff>"
                                       r"<xdr:row>(\d+)</xdr:row>", drawing)]
    bottoms = [int(m) for m in re.findall(r"<xdr:to><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff>"
                                          r"<xdr:row>(\d+)</xdr:row>", drawing)]
    assert len(tops) == 3 and all(b < t for b, t in zip(bottoms, tops[1:]))


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


# --- texts a spreadsheet or XML would read as something else ---------------------------------------------------

TRICKY = {  # texts that XML or a spreadsheet would read as something else, if written carelessly
    "formula": "=SUM(D8:D9)",
    "escape": "Trường _x000a_ Mường Giàng",
    "cr": "dòng 1\r\ndòng 2\rdòng 3",
    "spaces": "  lề hai bên  ",
    "markup": "<b>&amp;</b> ]]>",
}


@pytest.fixture(scope="module")
def tricky(tmp_path_factory, campaign, form):
    """A summary (with --include-invalid) of units whose names, notes and texts are TRICKY."""
    from test_merge import NOW, make_run

    from consolidate.merge import MergeResult, formula_texts, merge_checks, per_unit, totals
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
    result = MergeResult(run, sums, per_unit(run), Path("t.xlsx"), True, NOW,
                         merge_checks(run, sums, True) + formula_texts(run, True))
    return write_summary(tmp_path_factory.mktemp("tricky") / "t.xlsx", result), result


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
    # XlsxWriter writes a CR as the standard escape _x000D_, which Excel and calamine read back (openpyxl does not)
    r = rows["Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ"]
    assert [ws.cell(r, c).value for c in range(4, 10)] == [2.5, 4, 6.5, 9, 9, 15.5]
    assert {ws.cell(r, c).number_format for c in range(4, 10)} == {"#,##0"}
    assert ws.cell(r, 5).value == 4 and isinstance(ws.cell(r, 5).value, int)
    notes = {tuple(row[1:4]) for row in by_unit if row[2] == "2"}
    assert notes == {(TRICKY["escape"], "2", TRICKY["formula"]), (TRICKY["formula"], "2", TRICKY["escape"]),
                     (TRICKY["spaces"], "2", TRICKY["spaces"])}
    status = cal[STATUS_SHEET]
    assert status[4][1:6] == ["X01", TRICKY["escape"], "Xã", "đã nộp hợp lệ", "X01_UBND_xa_x000a_.xlsx"]
    form = cal["Biểu tổng hợp"]
    notes_on_form = [v for row in form for v in row if isinstance(v, str) and TRICKY["escape"] in v]
    assert f"{TRICKY['formula']}: {TRICKY['escape']}" in notes_on_form[0]  # the unit named "=SUM…": its note
    assert not any(isinstance(v, str) and v.startswith("=") for row in form for v in row)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", zf.read(name)), name


def test_status_sheet_puts_files_that_need_confirmation_first_with_their_evidence(tmp_path, campaign, form, units):
    from test_merge import FILES, NOW, make_run

    from consolidate.identity import Evidence
    from consolidate.merge import MergeResult, merge_checks, per_unit, totals
    from consolidate.results import UnitStatus

    files = dict(FILES)
    files["X05_UBND_xa_Chieng_Khay.xlsx"] = (None, "unconfirmed", dt.datetime(2021, 10, 10, 9, 0), {"2": {"count": 1}})
    run = make_run(campaign, form, units, files=files)
    report = next(f for f in run.files if f.status == "unconfirmed")
    report.evidence = [Evidence("identity", "X06", "X06", "trang _dinh_danh"),
                       Evidence("filename", "X05", "X05_UBND_xa_Chieng_Khay.xlsx")]
    report.claims = ("X06", "X05")
    run.unit_status["X05"] = run.unit_status["X06"] = UnitStatus("unconfirmed")
    sums = totals(run)
    path = write_summary(tmp_path / "t.xlsx", MergeResult(run, sums, per_unit(run), tmp_path / "t.xlsx", False, NOW,
                                                          merge_checks(run, sums)))
    ws = load_workbook(path)[STATUS_SHEET]
    assert ws["A2"].value.startswith("23 đơn vị: 2 cần xác nhận, 5 đã nộp hợp lệ, 1 có lỗi, 15 chưa nộp.")
    by_code = {ws.cell(r, 2).value: r for r in range(5, 28)}
    assert ws.cell(by_code["X05"], 5).value == "cần xác nhận"
    assert ws.cell(by_code["X05"], 12).value == "Tệp cần xác nhận có thể của đơn vị này: X05_UBND_xa_Chieng_Khay.xlsx."
    sections = {ws.cell(r, 1).value: r for r in range(28, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, str)}
    first = sections["CÁC TỆP CẦN XÁC NHẬN ĐƠN VỊ GỬI (1 tệp, chưa được tính cho đơn vị nào)"]
    assert first < sections["CÁC TỆP KHÁC TRONG THƯ MỤC (3 tệp không được dùng để tổng hợp)"]  # first what to decide
    row = [ws.cell(first + 1, c).value for c in (1, 5, 6, 12)]
    assert row[:3] == [1, "cần xác nhận", "X05_UBND_xa_Chieng_Khay.xlsx"]
    assert row[3].splitlines() == [
        "trang ẩn _dinh_danh của biểu mẫu (trang _dinh_danh): \"X06\" → X06",
        "tên tệp: \"X05_UBND_xa_Chieng_Khay.xlsx\" → X05",
        "Xác nhận: thêm vào mục [xac_nhan] của tệp đợt báo cáo dòng \"X05_UBND_xa_Chieng_Khay.xlsx\" = \"X06\""]


def test_by_unit_turns_to_a_row_per_unit_at_province_size(tmp_path, monkeypatch, campaign, form, units):
    """Above UNITS_AS_ROWS_FROM merged units (a province), "Theo đơn vị" has a row per unit, the form's
    (row, measure) pairs as columns, an autofilter and frozen panes; subtotals per type and the total below."""
    import consolidate.summary as summary

    monkeypatch.setattr(summary, "UNITS_AS_ROWS_FROM", 2)
    result = make_result(campaign, form, units)
    path = write_summary(tmp_path / "tinh.xlsx", result)
    ws = load_workbook(path)[BY_UNIT_SHEET]
    assert [ws.cell(5, c).value for c in range(1, 6)] == ["STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng"]
    pairs = summary.value_columns(form.rows)
    heads = [(ws.cell(6, c).value, ws.cell(7, c).value) for c in range(6, 6 + len(pairs))]
    assert heads == [(row.label, measure_label(row, m)) for row, m in pairs]
    assert ws.cell(5, 6 + len(pairs)).value == "Ghi chú của đơn vị"
    rows = {ws.cell(r, 2).value: r for r in range(8, 8 + len(result.merged_units))}
    assert list(rows) == result.merged_units == ["X01", "X02", "X03", "X04", "MN01"]
    from openpyxl.utils import get_column_letter

    assert ws.auto_filter.ref == f"A7:{get_column_letter(6 + len(pairs))}12"
    assert ws.freeze_panes == "D8" and ws.print_title_rows == "$5:$7" and ws.print_title_cols == "$A:$C"
    col = {(row.code, m): 6 + k for k, (row, m) in enumerate(pairs)}
    assert ws.cell(rows["X01"], col["1.5", "count"]).value == 2
    assert ws.cell(rows["X01"], col["1.5", "people"]).value == 64
    assert ws.cell(rows["X02"], col["1.5", "count"]).value == 0  # 0 written, blank left blank
    assert ws.cell(rows["X03"], col["1.5", "count"]).value is None
    assert ws.cell(rows["X01"], col["11", "text"]).value == "Tổ chức 2 buổi tọa đàm ở bản"
    assert ws.cell(rows["X01"], 6 + len(pairs)).value == f"2: {HYPERLINK}"  # a note, as text
    assert ws.cell(rows["X01"], 6 + len(pairs)).data_type == "s"
    sums = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    assert list(sums) == ["Cộng Xã (4 đơn vị)", "Cộng Mầm non (1 đơn vị)", "Toàn huyện (5 đơn vị)"]
    assert ws.cell(sums["Toàn huyện (5 đơn vị)"], col["1", "count"]).value == 13
    assert ws.cell(sums["Cộng Xã (4 đơn vị)"], col["2", "count"]).value == 8


@given(st.text(alphabet=st.sampled_from("ab \nđ…"), max_size=300), st.one_of(st.none(), st.floats(0.5, 120)))
def test_a_wrapped_text_takes_one_line_per_column_width_of_each_paragraph(text, width):
    from consolidate.summary import _lines

    per_line = max(int(width or 8.43), 1)
    assert _lines(text, width) == sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))


def test_the_written_workbook_s_cells_are_freed_at_once(tmp_path, campaign, form, units):
    # XlsxWriter's worksheets hold their workbook in a reference cycle; left to the cyclic collector, a
    # province's 760,000 cells cost a collection pass of ~0.5 s after the write
    import gc

    result = make_result(campaign, form, units)
    gc.collect()
    gc.disable()
    try:
        path = write_summary(tmp_path / "x.xlsx", result)
        left = gc.collect()
    finally:
        gc.enable()
    book = CalamineWorkbook.from_path(str(path))
    cells = sum(value != "" for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
                for value in row)
    assert cells > 500 and left < cells / 10  # without the release: every cell, its row and its sheet
