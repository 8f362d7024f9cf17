"""Feedback copies: each problem cell highlighted with a Vietnamese comment, a first sheet listing the
problems, a mailing list; readable by openpyxl, calamine and LibreOffice; originals untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from consolidate.check import check_folder
from consolidate.feedback import (FEEDBACK_SHEET, MAILING_LIST_NAME, REVIEW_SHEET, mark_cells, short_message,
                                  write_feedback)
from consolidate.identity import IDENTITY_SHEET
from consolidate.issues import make
from consolidate.render import render_feedback

from conftest import FILES

FAULTY = FILES / "check" / "faulty"
SHEET = "Biểu tổng hợp"
RED, YELLOW, BLUE = "00FFC7CE", "00FFEB9C", "00DDEBF7"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def written(tmp_path_factory, campaign, form, units):
    before = _hashes(FAULTY)
    result = check_folder(FAULTY, campaign, form, units)
    out = tmp_path_factory.mktemp("phan_hoi")
    feedback = write_feedback(result, out)
    return before, result, feedback, out


def test_originals_are_byte_identical(written):
    before, _result, _feedback, _out = written
    assert _hashes(FAULTY) == before


def test_one_copy_per_file_with_errors_or_warnings(written):
    _before, _result, feedback, out = written
    assert [(f.report.file, f.path.name, f.converted, f.marked) for f in feedback.files] == [
        ("MN01_Mam_non_Muong_Giang.xlsx", "MN01_Mam_non_Muong_Giang_can_sua.xlsx", False, 2),
        ("X02_Chieng_On.xlsx", "X02_Chieng_On_can_sua.xlsx", False, 1),
        ("X03_Chieng_Bang.xlsx", "X03_Chieng_Bang_can_sua.xlsx", False, 2),
        ("X05_Chieng_Khay.xls", "X05_Chieng_Khay_can_sua.xlsx", True, 1),
        ("X06_Muong_Chien.ods", "X06_Muong_Chien_can_sua.xlsx", True, 1),
        ("bao_cao_tuan_le.xlsx", "bao_cao_tuan_le_can_sua.xlsx", False, 0),
    ]
    assert feedback.skipped == []
    assert sorted(p.name for p in out.iterdir()) == sorted([f.path.name for f in feedback.files] + [MAILING_LIST_NAME])


def test_copy_highlights_and_explains_each_problem_cell(written):
    _before, _result, feedback, _out = written
    wb = openpyxl.load_workbook(feedback.files[1].path)  # X02
    assert wb.sheetnames == [FEEDBACK_SHEET, SHEET, "Hướng dẫn", IDENTITY_SHEET]
    assert wb.active.title == FEEDBACK_SHEET
    ws = wb[SHEET]
    cell = ws["D7"]
    assert cell.value == 5
    assert cell.fill.fgColor.rgb == RED
    # rows named as the form prints them, not by codes such as 1.5 that appear nowhere on it
    assert cell.comment.text == (
        "Lỗi: Trang Biểu tổng hợp, ô D7: mục 1 “Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần…” (Số lớp/số cuộc "
        "thi) ghi 5 nhưng tổng các hàng “Học nghề cho lao động nông thôn” (1), “Phổ biến kiến thức khoa học, kiến "
        "thức pháp…” (2) là 3; số lớp của Tuần lễ bằng tổng số lớp theo loại (“Bồi dưỡng nâng cao trình độ chuyên "
        "môn nghiệp…” … “Các lớp bồi dưỡng, tập huấn khác”).")
    # the part rows the total must equal are blue: 1.1 … 1.13, count column
    assert [ws[f"D{r}"].fill.fgColor.rgb for r in (9, 13, 16, 21)] == [BLUE] * 4
    assert ws["E13"].fill.fgColor.rgb != BLUE and ws["D22"].fill.fgColor.rgb != BLUE
    notes = [r[0] for r in wb[FEEDBACK_SHEET].iter_rows(max_col=1, values_only=True) if r[0]]
    assert "Ô tô xanh: các hàng chi tiết mà hàng tổng (ô tô đỏ hoặc vàng) phải bằng tổng của chúng." in notes
    assert cell.comment.author == "Phòng GD&ĐT"
    # the sheet stays protected, the problem cell can be changed
    assert ws.protection.sheet and cell.protection.locked is False
    assert ws["D8"].comment is None and ws["D8"].fill.fgColor.rgb != RED
    assert wb[IDENTITY_SHEET].sheet_state == "hidden"
    assert wb[IDENTITY_SHEET]["B4"].value == "X02"


def test_problem_sheet_lists_every_problem(written):
    _before, _result, feedback, _out = written
    wb = openpyxl.load_workbook(feedback.files[0].path)  # MN01: two warnings
    # warnings only: nothing to correct, so neither the sheet nor its title says "lỗi cần sửa"
    assert wb.sheetnames[0] == REVIEW_SHEET and FEEDBACK_SHEET not in wb.sheetnames
    rows = [r for r in wb[REVIEW_SHEET].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0][0] == "CÁC ĐIỂM CẦN XEM LẠI"
    assert rows[1][0] == "Đơn vị: Trường Mầm non Mường Giàng (MN01) — tệp đã gửi: MN01_Mam_non_Muong_Giang.xlsx"
    assert rows[2][0] == "Có 2 điểm cần xem lại (ô tô vàng), không có lỗi; di chuột vào ô để xem ghi chú."
    assert rows[3][0] == "Nếu các số liệu cần xem lại là đúng thì không cần gửi lại."
    assert rows[4] == ("STT", "Mức độ", "Trang", "Ô", "Nội dung")
    assert [r[:4] for r in rows[5:]] == [(1, "Cảnh báo", SHEET, "E36"), (2, "Cảnh báo", SHEET, "D39")]
    assert rows[6][4].startswith("Trang Biểu tổng hợp, ô D39: hàng “Số cơ sở giáo dục tổ chức Lễ khai mạc Tuần lễ” "
                                 "= 3, lớn hơn 1 đối với đơn vị loại Mầm non")
    assert not any("CẦN SỬA" in str(v) for r in rows for v in r)
    assert wb[SHEET]["D39"].fill.fgColor.rgb == YELLOW
    assert wb[SHEET]["E36"].fill.fgColor.rgb == YELLOW


def test_errors_listed_before_warnings_and_unreadable_text_quoted(written):
    _before, _result, feedback, _out = written
    wb = openpyxl.load_workbook(feedback.files[2].path)  # X03
    rows = [r for r in wb[FEEDBACK_SHEET].iter_rows(min_row=7, values_only=True) if r[0] is not None]
    assert [r[1:4] for r in rows] == [("Lỗi", SHEET, "D25"), ("Lỗi", SHEET, "D26")]
    assert wb[SHEET]["D25"].value == "mười"
    assert 'không đọc được giá trị "mười" thành số' in wb[SHEET]["D25"].comment.text


def test_xls_and_ods_are_rebuilt_from_the_units_template_and_say_so(written, form):
    from consolidate.templates import WIDTHS

    _before, _result, feedback, _out = written
    assert [(f.converted, f.from_template) for f in feedback.files[3:5]] == [(True, True), (True, True)]
    wb = openpyxl.load_workbook(feedback.files[4].path)  # X06 from .ods
    assert wb.sheetnames == [FEEDBACK_SHEET, SHEET, "Báo cáo", "Lịch hoạt động", "Hướng dẫn", IDENTITY_SHEET]
    notes = [r[0] for r in wb[FEEDBACK_SHEET].iter_rows(max_col=1, values_only=True) if r[0]]
    assert ('Tệp gốc "X06_Muong_Chien.ods" là dạng .ods (không phải .xlsx) nên bản này được làm lại từ biểu mẫu '
            "của đơn vị với các số liệu đã đọc được từ tệp gốc. Đơn vị có thể sửa ngay trên bản này (lưu dạng .xlsx) hoặc trên tệp "
            "gốc của mình theo danh sách dưới đây rồi gửi lại.") in notes
    ws = wb[SHEET]
    # the template's widths, protection and validation, not a values-only grid
    assert [ws.column_dimensions[c].width for c in "ABCDEF"] == [WIDTHS[i] for i in range(1, 7)]
    assert ws.protection.sheet and wb.security.lockStructure
    assert ws["D12"].protection.locked is False and ws["B12"].protection.locked is not False
    assert len(ws.data_validations.dataValidation) >= 3
    assert ws["A3"].value == "Đơn vị báo cáo: UBND xã Mường Chiên"
    assert ws["D34"].value == 4 and ws["D34"].fill.fgColor.rgb == RED
    assert ws["B35"].value == "Hoạt động thể dục thể thao"
    # a unit's text that looks like a formula stays text
    assert ws["F35"].value == '=HYPERLINK("http://example.invalid","xem ảnh")'
    assert ws["F35"].data_type == "s"
    ident = wb[IDENTITY_SHEET]
    assert ident.sheet_state == "hidden"
    assert (ident["A4"].value, ident["B4"].value) == ("unit_code", "X06")
    assert (ident["A7"].value, ident["B7"].value) == ("saved_at", "=NOW()")


def test_copy_reads_back_in_calamine(written):
    _before, _result, feedback, _out = written
    for f in feedback.files:
        wb = CalamineWorkbook.from_path(str(f.path))
        assert wb.sheet_names[0] == (FEEDBACK_SHEET if f.report.errors else REVIEW_SHEET)
        assert SHEET in wb.sheet_names
    wb = CalamineWorkbook.from_path(str(feedback.files[3].path))  # X05 from .xls
    grid = wb.get_sheet_by_name(SHEET).to_python()
    start = wb.get_sheet_by_name(SHEET).start or (0, 0)
    assert grid[27 - 1 - start[0]][4 - 1 - start[1]] == 2.0  # D27: row 5 = 2


def test_a_corrected_copy_is_read_as_the_same_unit(tmp_path, written, campaign, form, units):
    """The unit returns the copy with its problem sheet: the reader is not confused by it."""
    _before, _result, feedback, _out = written
    folder = tmp_path / "lan2"
    folder.mkdir()
    wb = openpyxl.load_workbook(feedback.files[1].path)
    wb[SHEET]["D7"].value = 3  # the fix
    wb.save(folder / "X02_Chieng_On_can_sua.xlsx")
    wb = openpyxl.load_workbook(feedback.files[4].path)  # rebuilt from .ods, unchanged
    wb.save(folder / "X06_Muong_Chien_can_sua.xlsx")
    result = check_folder(folder, campaign, form, units)
    got = {f.file: (f.unit, f.status, [(i.code, i.cell) for i in f.issues if i.severity != "info"])
           for f in result.files}
    assert got == {"X02_Chieng_On_can_sua.xlsx": ("X02", "accepted", []),
                   "X06_Muong_Chien_can_sua.xlsx": ("X06", "rejected", [("total-mismatch", "D34")])}


def test_mailing_list(written, units):
    _before, _result, feedback, out = written
    raw = (out / MAILING_LIST_NAME).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Email", "Mã đơn vị", "Tên đơn vị", "Tệp đính kèm", "Tiêu đề", "Nội dung"]
    by_file = {r[3]: r for r in rows[1:]}
    x02 = by_file["X02_Chieng_On_can_sua.xlsx"]
    assert x02[:5] == [units.get("X02").email, "X02", "UBND xã Chiềng Ơn", "X02_Chieng_On_can_sua.xlsx",
                       "Đề nghị sửa và gửi lại Biểu tổng hợp — UBND xã Chiềng Ơn"]
    assert x02[5].splitlines() == [
        "Kính gửi: UBND xã Chiềng Ơn,",
        "",
        "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai đã kiểm tra tệp \"X02_Chieng_On.xlsx\" đơn vị gửi về: "
        "có 1 lỗi cần sửa và 0 điểm cần xem lại.",
        "Tệp đính kèm X02_Chieng_On_can_sua.xlsx là bản sao của tệp đó: các ô cần sửa được tô màu và có ghi chú, "
        "danh sách ở trang đầu \"Các lỗi cần sửa\".",
        "Đề nghị đơn vị sửa và gửi lại tệp về buithiyenqn@gmail.com trước ngày 15/10/2021.",
        "",
        "Trân trọng cảm ơn.",
        "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai",
    ]
    assert by_file["MN01_Mam_non_Muong_Giang_can_sua.xlsx"][4] == ("Đề nghị xem lại Biểu tổng hợp — "
                                                                   "Trường Mầm non Mường Giàng")
    assert by_file["bao_cao_tuan_le_can_sua.xlsx"][:3] == ["", "", ""]  # nobody to send it to
    assert len(rows) == 1 + len(feedback.files)


def test_render_feedback(written):
    _before, _result, feedback, out = written
    assert render_feedback(feedback).splitlines() == [
        f"Đã ghi 6 bản sao đánh dấu các ô cần sửa vào thư mục {out}",
        "2 tệp gốc dạng .xls/.ods được làm lại từ biểu mẫu của đơn vị (.xlsx) với các số liệu đã đọc được: "
        "X05_Chieng_Khay.xls, X06_Muong_Chien.ods",
        f"Danh sách gửi thư (email, đơn vị, tệp đính kèm, tiêu đề, nội dung): {out / MAILING_LIST_NAME}",
        "Chưa có email để gửi 1 tệp (không rõ đơn vị hoặc đơn vị chưa có email): bao_cao_tuan_le.xlsx",
    ]


def test_nothing_to_send_back(tmp_path, campaign, form, units):
    result = check_folder(FILES / "check" / "clean", campaign, form, units)
    feedback = write_feedback(result, tmp_path / "out")
    assert feedback.files == [] and feedback.mailing_list is None
    assert list((tmp_path / "out").iterdir()) == []
    assert render_feedback(feedback) == "Không tệp nào có lỗi hay điểm cần xem lại; không cần gửi lại cho đơn vị nào."


def test_an_uncopyable_file_is_skipped_with_a_reason(tmp_path, campaign, form, units):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "X02_Chieng_On.xlsx").write_bytes((FAULTY / "X02_Chieng_On.xlsx").read_bytes())
    result = check_folder(folder, campaign, form, units)
    # replaced after the check by a package openpyxl cannot load
    with zipfile.ZipFile(folder / "X02_Chieng_On.xlsx", "w") as zf:
        zf.writestr("xl/workbook.xml", "không phải XML")
    feedback = write_feedback(result, tmp_path / "out")
    assert feedback.files == [] and [f for f, _ in feedback.skipped] == ["X02_Chieng_On.xlsx"]
    assert render_feedback(feedback).splitlines()[-1].startswith(
        "Không tạo được bản sao cho X02_Chieng_On.xlsx: không mở được tệp để chép (")


def test_short_message_drops_the_file_name(written):
    _before, result, _feedback, _out = written
    unknown = next(f for f in result.files if f.file == "bao_cao_tuan_le.xlsx").issues[0]
    assert short_message(unknown).startswith("Không xác định được đơn vị gửi báo cáo (")


@pytest.mark.libreoffice
def test_copy_opens_in_libreoffice_with_highlights_and_comments(written, tmp_path, soffice_convert):
    _before, _result, feedback, _out = written
    for f in (feedback.files[1], feedback.files[4]):  # an openpyxl copy and a rebuilt one
        ods = soffice_convert(f.path, "ods", tmp_path / "ods")
        back = soffice_convert(ods, "xlsx", tmp_path / "xlsx")
        wb = openpyxl.load_workbook(back)
        assert wb.sheetnames[0] == FEEDBACK_SHEET
        ws = wb[SHEET]
        ref = "D7" if f.report.unit == "X02" else "D34"
        assert ws[ref].fill.fgColor.rgb.endswith("FFC7CE")
        assert "nhưng tổng các hàng" in ws[ref].comment.text
        listed = [r[3] for r in wb[FEEDBACK_SHEET].iter_rows(values_only=True)]
        assert ref in listed


def test_macro_workbook_copy_keeps_no_macro(tmp_path, campaign, form, units):
    folder = FILES / "check" / "macro"
    before = _hashes(folder)
    result = check_folder(folder, campaign, form, units)
    feedback = write_feedback(result, tmp_path / "out")
    assert _hashes(folder) == before
    [copy] = feedback.files
    assert (copy.report.file, copy.path.name, copy.converted) == ("X08_Ca_Nang.xlsm", "X08_Ca_Nang_can_sua.xlsx", False)
    with zipfile.ZipFile(copy.path) as zf:
        assert not any("vba" in name.lower() for name in zf.namelist())
        types = zf.read("[Content_Types].xml")
    assert b"macroEnabled" not in types and b"vbaProject" not in types
    wb = openpyxl.load_workbook(copy.path)
    assert wb[SHEET]["E8"].fill.fgColor.rgb == RED
    assert ("ghi 500 nhưng tổng các hàng “Học nghề cho lao động nông thôn” (35), “Phổ biến kiến thức khoa học, "
            "kiến thức pháp…” (60) là 95") in wb[SHEET]["E8"].comment.text


def test_mark_cells_merged_area_and_several_problems_on_one_cell():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.merge_cells("D47:E47")
    ws["D47"] = "văn bản"
    ws["D22"] = -2.5
    issues = [make("value-negative", file="a.xlsx", sheet=SHEET, cell="D22", indicator="2", measure="count",
                   value="-2,5"),
              make("value-not-whole", file="a.xlsx", sheet=SHEET, cell="D22", indicator="2", measure="count",
                   value="-2,5"),
              make("people-missing", file="a.xlsx", sheet=SHEET, cell="E47", indicator="11", count=1),
              make("row-missing", file="a.xlsx", sheet=SHEET, indicator="3", label="Ấn phẩm"),
              make("total-mismatch", file="a.xlsx", sheet="Trang khác", cell="A1")]
    assert mark_cells(wb, issues) == 2
    assert ws["D22"].fill.fgColor.rgb == RED
    assert ws["D22"].comment.text.splitlines() == [
        'Lỗi: Trang Biểu tổng hợp, ô D22 (hàng 2, Số lớp/số cuộc thi): "-2,5" là số âm; cần một số nguyên không âm.',
        'Lỗi: Trang Biểu tổng hợp, ô D22 (hàng 2, Số lớp/số cuộc thi): "-2,5" không phải số nguyên; '
        "cần một số nguyên không âm.",
    ]
    # E47 is inside the merged D47:E47: the mark goes on D47, which holds the value
    assert ws["D47"].fill.fgColor.rgb == YELLOW
    assert ws["D47"].comment.text.startswith("Cảnh báo: Trang Biểu tổng hợp, ô E47: hàng 11 có 1 lớp/cuộc")


def test_feedback_of_a_feedback_copy_has_one_problem_sheet(tmp_path, written, campaign, form, units):
    _before, _result, feedback, _out = written
    folder = tmp_path / "lan2"
    folder.mkdir()
    (folder / "X02_Chieng_On_can_sua.xlsx").write_bytes(feedback.files[1].path.read_bytes())
    again = write_feedback(check_folder(folder, campaign, form, units), tmp_path / "out")
    wb = openpyxl.load_workbook(again.files[0].path)
    assert wb.sheetnames == [FEEDBACK_SHEET, SHEET, "Hướng dẫn", IDENTITY_SHEET]
    assert wb[SHEET]["D7"].comment.text.startswith("Lỗi: Trang Biểu tổng hợp, ô D7: mục 1 “Các lớp")


def test_feedback_over_hostile_files(tmp_path, campaign, form, units):
    folder = FILES / "reader" / "bad"
    before = _hashes(folder)
    result = check_folder(folder, campaign, form, units)
    feedback = write_feedback(result, tmp_path / "out")
    assert _hashes(folder) == before
    # unreadable files and non-reports get no copy; the readable ones with problems do
    copied = {f.report.file for f in feedback.files}
    assert copied == {f.file for f in result.files if f.status == "unknown_unit"}
    assert feedback.skipped == []
    for f in feedback.files:
        assert openpyxl.load_workbook(f.path).sheetnames[0] == (FEEDBACK_SHEET if f.report.errors else REVIEW_SHEET)


def test_rebuilt_copy_is_readable(written):
    _before, _result, feedback, _out = written
    ws = openpyxl.load_workbook(feedback.files[4].path)[SHEET]  # X06 from .ods
    assert ws["B31"].alignment.wrap_text  # the long labels, wrapped as in the template
    assert ws.print_title_rows == "$5:$6"


def test_a_rebuilt_file_that_no_longer_reads_is_skipped_with_the_readers_reason(tmp_path, campaign, form, units):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "X06_Muong_Chien.ods").write_bytes((FAULTY / "X06_Muong_Chien.ods").read_bytes())
    result = check_folder(folder, campaign, form, units)
    (folder / "X06_Muong_Chien.ods").write_bytes(b"")  # emptied after the check
    feedback = write_feedback(result, tmp_path / "out")
    assert feedback.skipped == [("X06_Muong_Chien.ods",
                                 "X06_Muong_Chien.ods: tệp rỗng (0 byte). Đề nghị đơn vị gửi lại.")]


def test_problem_sheet_prints_on_a4_landscape_with_its_header_on_every_page(written):
    _before, _result, feedback, _out = written
    ws = openpyxl.load_workbook(feedback.files[1].path)[FEEDBACK_SHEET]
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")
    assert ws.print_title_rows == f"${head}:${head}"
    assert (int(ws.page_setup.paperSize), ws.page_setup.orientation) == (9, "landscape")  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage) == (
        1, 0, True)
    assert ws.print_area == f"'{FEEDBACK_SHEET}'!$A$1:$E${head + 1}"
    assert ws.cell(head + 1, 5).alignment.wrap_text and ws.cell(head + 1, 5).border.left.style == "thin"


@pytest.mark.parametrize("message, named", [
    ("ô E17: hàng 1.9 có 2 lớp/cuộc nhưng để trống số người.",
     "ô E17: hàng “Bồi dưỡng thường xuyên cho giáo viên” có 2 lớp/cuộc nhưng để trống số người."),
    ("ô E17 (hàng 1.9, Người): không đọc được giá trị \"12\" thành số.",
     "ô E17 (hàng “Bồi dưỡng thường xuyên cho giáo viên”, Người): không đọc được giá trị \"12\" thành số."),
    ("ô D27: hàng 5 (Số lớp/số cuộc thi) = 2 nhưng các hàng chi tiết 5.1 … 5.6 đều để trống.",
     "ô D27: mục 5 “Tổ chức các cuộc thi, các buổi tọa đàm về…” (Số lớp/số cuộc thi) = 2 nhưng các hàng chi "
     "tiết “Hội sách, đường sách, phố sách” … “Các cuộc thi khác” đều để trống."),
    ("ô D13: hàng 3 (Số lớp/số cuộc thi) = 1.200, rất khác (trung vị 13, so với 8 đơn vị: X05, X01).",
     "ô D13: mục 3 “Ấn phẩm thông tin (tờ rơi, áp phích, băng rôn…” (Số lớp/số cuộc thi) = 1.200, rất khác "
     "(trung vị 13, so với 8 đơn vị: X05, X01)."),
    ("hàng 99 không có trong biểu.", "hàng 99 không có trong biểu."),  # not a row of the form: left alone
])
def test_rows_are_named_by_their_label(form, message, named):
    from consolidate.feedback import name_rows

    assert name_rows(message, form) == named


@pytest.mark.libreoffice
def test_an_ods_of_no_known_unit_gets_a_new_values_copy_written_by_xlsxwriter(tmp_path, campaign, form, units,
                                                                              soffice_convert):
    """Nobody's template to lay it out on: the values the reader saw, cell for cell, in a new workbook."""
    from consolidate.identity import IDENTITY_SHEET as IDENT

    wb = openpyxl.load_workbook(FAULTY / "X02_Chieng_On.xlsx")
    wb[SHEET]["A3"].value = "Đơn vị báo cáo:"
    for row in wb[IDENT].iter_rows():
        if row[0].value in ("unit_code", "unit_name"):
            row[1].value = ""
    wb[SHEET]["F12"].value = '=HYPERLINK("http://example.invalid","xem")'
    wb[SHEET]["F12"].data_type = "s"
    wb.save(tmp_path / "bao_cao_xa.xlsx")
    folder = tmp_path / "in"
    soffice_convert(tmp_path / "bao_cao_xa.xlsx", "ods", folder)
    result = check_folder(folder, campaign, form, units)
    [report] = result.files
    assert (report.status, report.unit) == ("unknown_unit", None)
    feedback = write_feedback(result, tmp_path / "out")
    [copy] = feedback.files
    assert (copy.converted, copy.from_template, copy.path.name) == (True, False, "bao_cao_xa_can_sua.xlsx")
    with zipfile.ZipFile(copy.path) as zf:  # a new workbook: XlsxWriter's, not openpyxl's
        assert b"Openpyxl" not in zf.read("docProps/app.xml") and b"openpyxl" not in zf.read("docProps/core.xml")
    back = openpyxl.load_workbook(copy.path)
    assert back.sheetnames == [FEEDBACK_SHEET, SHEET, "Hướng dẫn", IDENTITY_SHEET]
    ws = back[SHEET]
    assert ws["D7"].value == 5 and ws["D7"].fill.fgColor.rgb[2:] == RED[2:]
    assert ws["D7"].comment.text.startswith("Lỗi: Trang Biểu tổng hợp, ô D7: mục 1 “Các lớp bồi dưỡng")
    assert [ws[f"D{r}"].fill.fgColor.rgb[2:] for r in (9, 13, 16)] == [BLUE[2:]] * 3  # the parts it must equal
    assert ws["F12"].value == '=HYPERLINK("http://example.invalid","xem")' and ws["F12"].data_type == "s"
    ident = back[IDENTITY_SHEET]
    assert ident.sheet_state == "hidden"
    assert [r[1].value for r in ident.iter_rows() if r[0].value == "saved_at"] == ["=NOW()"]
    problems = back[FEEDBACK_SHEET]
    notes = [r[0] for r in problems.iter_rows(max_col=1, values_only=True) if isinstance(r[0], str)]
    assert notes[0] == "CÁC LỖI CẦN SỬA"
    assert ('Tệp gốc "bao_cao_xa.ods" là dạng .ods (không phải .xlsx) nên bản này chỉ chép lại các giá trị sang .xlsx '
            "(không giữ định dạng). Đơn vị có thể sửa ngay trên tệp gốc của mình theo danh sách dưới đây rồi gửi lại.") in notes
    head = next(r for r in range(1, 20) if problems.cell(r, 1).value == "STT")
    assert problems.print_title_rows == f"${head}:${head}" and problems.page_setup.orientation == "landscape"
    assert render_feedback(feedback).splitlines()[1] == (
        "1 tệp gốc dạng .xls/.ods được chép lại giá trị sang .xlsx (không giữ định dạng): bao_cao_xa.ods")
