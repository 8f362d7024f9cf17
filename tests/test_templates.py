"""The templates: one protected workbook per unit, the master template, the mailing list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from conftest import ROOT
from consolidate import outputs
from consolidate.form import load_form
from consolidate.identity import IDENTITY_SHEET, parse_identity
from consolidate.render import render_templates
from consolidate.templates import (
    AMOUNT_MAX, ERROR_AMOUNT, ERROR_NUMBER, INSTRUCTIONS_SHEET, MAILING_COLUMNS, MAILING_LIST_NAME, MASTER_NAME,
    PROMPT_AMOUNT, PROMPT_NUMBER, PROMPT_TOTAL, make_templates, write_form_sheet, write_master_template,
)
from consolidate.units import Unit, UnitList

NOW = dt.datetime(2021, 9, 20, 8, 30, 0)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, campaign, form, units):
    out = tmp_path_factory.mktemp("templates")
    return make_templates(campaign, form, units, out, now=NOW)


def layout_of(form):
    """The layout write_form_sheet produces (deterministic), to know where each value goes."""
    ws = Workbook().active
    return write_form_sheet(ws, form, title="t", subtitle="s", unit_line="Đơn vị báo cáo: x")


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


# --- files, names, opening -------------------------------------------------------------------------


def test_one_workbook_per_unit_named_by_code_and_ascii_name(generated, units):
    assert len(generated.files) == len(units) == 23
    names = [p.name for p in generated.files]
    assert names == [outputs.unit_file_name(u.code, u.name) for u in units]
    assert names[0] == "X01_UBND_xa_Muong_Giang.xlsx"
    assert all(n.isascii() for n in names)
    assert len({n.lower() for n in names}) == len(names)
    on_disk = sorted(p.name for p in generated.out_dir.iterdir())
    assert on_disk == sorted([*names, MASTER_NAME, MAILING_LIST_NAME])  # no temp file, no lock left


def test_every_template_opens_in_openpyxl_and_calamine_with_its_identity(generated, form, units):
    for path, unit in zip(generated.files, units):
        wb = load_workbook(path)
        assert wb.sheetnames == [form.sheet, INSTRUCTIONS_SHEET, IDENTITY_SHEET]
        assert wb.active.title == form.sheet
        assert wb[IDENTITY_SHEET].sheet_state == "hidden"
        assert wb[IDENTITY_SHEET].protection.sheet is True
        assert wb[form.sheet]["A3"].value == f"Đơn vị báo cáo: {unit.name}"
        cal = CalamineWorkbook.from_path(str(path))
        assert cal.sheet_names == [form.sheet, INSTRUCTIONS_SHEET, IDENTITY_SHEET]
        ident = parse_identity(cal.get_sheet_by_name(IDENTITY_SHEET).to_python())
        assert (ident.form_id, ident.form_version, ident.year) == ("tlhtsd-bieu-tong-hop", 1, 2021)
        assert (ident.unit_code, ident.unit_name) == (unit.code, unit.name)
        assert ident.generated_at == NOW
        assert ident.saved_at is None  # =NOW() has no cached value until Excel/LibreOffice saves it


def test_identity_values_are_text_and_saved_at_is_now_formula(generated):
    ws = load_workbook(generated.files[0])[IDENTITY_SHEET]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(1, ws.max_row + 1)}
    assert list(cells) == ["form_id", "form_version", "year", "unit_code", "unit_name", "generated_at", "saved_at"]
    for key in ("form_version", "year", "generated_at"):
        assert cells[key].data_type == "s" and isinstance(cells[key].value, str)
    assert cells["saved_at"].value == "=NOW()"


# --- the form sheet --------------------------------------------------------------------------------


def test_form_sheet_looks_like_the_official_form(generated, form):
    ws = load_workbook(generated.files[0])[form.sheet]
    assert ws["A1"].value == "BIỂU TỔNG HỢP"
    assert ws["A2"].value == "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021"
    assert [ws.cell(5, c).value for c in range(1, 7)] == ["STT", "Các hoạt động", "Đơn vị", "Số lượng", None, "Ghi chú"]
    assert [ws.cell(6, c).value for c in (4, 5)] == ["Số lớp/số cuộc thi", "Người"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A6", "B5:B6", "C5:C6", "D5:E5", "F5:F6", "A1:F1", "A2:F2", "A3:F3"} <= merged
    for i, row in enumerate(form.rows, start=7):
        assert (ws.cell(i, 1).value or "", ws.cell(i, 2).value, ws.cell(i, 3).value or "") == \
            (row.stt, row.label, row.unit)
        assert ws.cell(i, 2).font.name == "Times New Roman"
        assert ws.cell(i, 2).border.left.style == "thin"
    text_row = 7 + [r.code for r in form.rows].index("11")
    assert f"D{text_row}:E{text_row}" in merged
    footer = [ws.cell(r, c).value for r in range(text_row + 2, text_row + 5) for c in (1, 3)]
    assert footer == [None, "……, ngày …… tháng …… năm ……", "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ",
                      "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"]
    assert ws.freeze_panes == "A7"
    assert ws.print_title_rows == "$5:$6"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)


def test_unused_cells_are_grey_and_locked_inputs_white_and_unlocked(generated, form):
    ws = load_workbook(generated.files[0])[form.sheet]
    layout = layout_of(form)
    inputs = set(layout.input_cells())
    for code, r in layout.rows.items():
        for col in "DEF":
            ref = f"{col}{r}"
            if code == "11" and col == "E":
                assert ws[ref].protection.locked is False  # inside the merged text area D:E
                continue
            cell = ws[ref]
            if ref in inputs:
                assert cell.protection.locked is False, ref
                assert cell.fill.fgColor.rgb in (None, "00000000"), ref
            else:
                assert cell.protection.locked is True, ref
                assert cell.fill.fgColor.rgb == "00D9D9D9", ref
    # spot checks against FORM.md: 1 has count only, 1.0 people only, 1.1 both, 4 is a header, 10.1 đồng
    assert layout.cell("1", "count") == "D7" and layout.cell("1", "people") is None
    assert layout.cell("1.0", "people") == "E8" and layout.cell("1.0", "count") is None
    assert (layout.cell("1.1", "count"), layout.cell("1.1", "people"), layout.cell("1.1", "note")) == ("D9", "E9", "F9")
    assert layout.cell("4", "count") is None and layout.cell("4", "note") is None
    assert layout.cell("10.1", "amount") == f"D{layout.rows['10.1']}"
    assert layout.cell("11", "text") == f"D{layout.rows['11']}"
    assert len(inputs) == sum(len(r.numeric_measures) + ("text" in r.measures) + 1 for r in form.value_rows)


def test_sheet_is_protected_without_password_and_instructions_too(generated, form):
    wb = load_workbook(generated.files[0])
    ws = wb[form.sheet]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    assert ws["B9"].protection.locked is True  # a label cannot be typed over
    assert wb[INSTRUCTIONS_SHEET].protection.sheet is True
    assert wb.security.lockStructure is True  # no renaming, deleting or unhiding sheets by a slip
    assert not wb.security.workbookPassword


def test_instructions_sheet_says_how_to_fill_deadline_and_where_to_send(generated, units):
    rows = [r[0] for r in calamine_rows(generated.files[0], INSTRUCTIONS_SHEET)]
    text = "\n".join(str(r) for r in rows)
    assert rows[0] == "HƯỚNG DẪN ĐIỀN BIỂU TỔNG HỢP"
    assert f"Đơn vị: {units.units[0].name} (mã X01)" in rows
    assert "Chỉ nhập vào các ô màu trắng" in text
    assert "Ghi số nguyên không âm" in text
    assert "để trống ô đó" in text
    assert ("   – mục 1 (Số lớp/số cuộc thi) = tổng các hàng từ \"Bồi dưỡng nâng cao trình độ chuyên môn nghiệp vụ "
            "cho cán bộ, công chức, viên chức (các cấp)\" đến \"Các lớp bồi dưỡng, tập huấn khác\".") in rows
    assert "   – mục 6 (Số lớp/số cuộc thi) = tổng các hàng từ \"Hoạt động thể dục thể thao\" đến " \
           "\"Thăm quan, học tập tại bảo tàng, di tích lịch sử\"." in rows
    assert "Không đổi tên trang, không thêm, xóa hay di chuyển hàng, cột" in text
    assert "8. Hạn nộp: 15/10/2021; gửi về buithiyenqn@gmail.com." in rows


# --- filling it the way a person would ------------------------------------------------------------


def test_filled_template_reads_back_to_the_same_numbers(generated, form, tmp_path):
    path = generated.files[5]
    wb = load_workbook(path)
    ws = wb[form.sheet]
    layout = layout_of(form)
    typed = {("1", "count"): 5, ("1.0", "people"): 180, ("1.1", "count"): 2, ("1.1", "people"): 60,
             ("1.7", "count"): 3, ("1.7", "people"): 120, ("5.3", "people"): 45, ("7.1", "count"): 1,
             ("10.1", "amount"): 12_500_000, ("11", "text"): "Tổ chức ngày hội đọc sách",
             ("1.7", "note"): "Lớp kỹ năng sống"}
    for (code, measure), value in typed.items():
        cell = ws[layout.cell(code, measure)]
        assert cell.protection.locked is False, (code, measure)
        cell.value = value
    assert ws[f"E{layout.rows['1']}"].protection.locked is True
    assert ws.protection.sheet is True
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    grid = calamine_rows(filled, form.sheet)
    by_label = {row[1]: row for row in grid if len(row) > 1 and row[1]}
    col = {"count": 3, "people": 4, "amount": 3, "text": 3, "note": 5}
    got = {}
    for (code, measure) in typed:
        got[(code, measure)] = by_label[form.row(code).label][col[measure]]
    assert got == {k: (float(v) if isinstance(v, int) else v) for k, v in typed.items()}
    # untouched inputs stay blank, not zero
    assert by_label[form.row("1.2").label][3] == ""


# --- data validation --------------------------------------------------------------------------------

_OPS = {
    "between": lambda x, a, b: a <= x <= b,
    "notBetween": lambda x, a, b: not a <= x <= b,
    "equal": lambda x, a, b: x == a,
    "notEqual": lambda x, a, b: x != a,
    "greaterThan": lambda x, a, b: x > a,
    "lessThan": lambda x, a, b: x < a,
    "greaterThanOrEqual": lambda x, a, b: x >= a,
    "lessThanOrEqual": lambda x, a, b: x <= a,
}


def accepts(dv, value: object) -> bool:
    """What Excel does with a typed value under a validation rule of the kinds the templates emit."""
    if value is None or value == "":
        return bool(dv.allow_blank)
    if dv.type not in ("whole", "decimal"):
        raise AssertionError(f"evaluator does not know validation type {dv.type!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False  # Excel keeps typed text as text, which a number rule rejects
    if dv.type == "whole" and float(value) != int(value):
        return False
    a = float(dv.formula1)
    b = float(dv.formula2) if dv.formula2 is not None else None
    return _OPS[dv.operator or "between"](float(value), a, b)


def validation_of(ws, ref: str):
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1, ref
    return found[0]


def test_validation_read_back_rejects_negative_and_fraction(generated, form):
    ws = load_workbook(generated.files[0])[form.sheet]
    layout = layout_of(form)
    for ref in (layout.cell("1.1", "count"), layout.cell("1.1", "people"), layout.cell("7.1", "count")):
        dv = validation_of(ws, ref)
        assert [accepts(dv, v) for v in (-1, 2.5, "12 lớp", 0, 12, None)] == [False, False, False, True, True, True]
        assert (dv.showErrorMessage, dv.showInputMessage, dv.errorStyle in (None, "stop")) == (True, True, True)
        assert (dv.errorTitle, dv.error) == ("Số liệu không hợp lệ", ERROR_NUMBER)
        assert (dv.promptTitle, dv.prompt) == ("Số nguyên không âm", PROMPT_NUMBER)
    total = validation_of(ws, layout.cell("1", "count"))
    assert [accepts(total, v) for v in (-1, 2.5, 0, 12)] == [False, False, True, True]
    assert total.prompt == PROMPT_TOTAL
    assert validation_of(ws, layout.cell("1.0", "people")).prompt == PROMPT_TOTAL
    money = validation_of(ws, layout.cell("10.2", "amount"))
    assert [accepts(money, v) for v in (-1, 2.5, 0, 12, 1_200_000_000, AMOUNT_MAX, AMOUNT_MAX + 1)] == \
        [False, False, True, True, True, True, False]
    assert (money.error, money.prompt) == (ERROR_AMOUNT, PROMPT_AMOUNT)
    for dv in ws.data_validations.dataValidation:  # Excel refuses longer titles/messages
        assert len(dv.errorTitle) <= 32 and len(dv.promptTitle) <= 32
        assert len(dv.error) <= 255 and len(dv.prompt) <= 255
    # note and text cells carry no number rule
    assert not [dv for dv in ws.data_validations.dataValidation if layout.cell("1.1", "note") in dv.sqref]


# --- hostile names, mailing list, rendering -------------------------------------------------------


def test_unit_named_like_a_formula_stays_text(tmp_path, campaign, form):
    evil = '=HYPERLINK("http://x","y")'
    units = UnitList((Unit("F1", evil, "Xã", "a@b.vn"), Unit("F2", "+SUM(1,2)", "Xã", "c@d.vn")))
    result = make_templates(campaign, form, units, tmp_path / "out", now=NOW)
    wb = load_workbook(result.files[0])
    assert wb[form.sheet]["A3"].value == f"Đơn vị báo cáo: {evil}"
    name_cell = wb[IDENTITY_SHEET]["B5"]
    assert (name_cell.value, name_cell.data_type) == (evil, "s")
    with zipfile.ZipFile(result.files[0]) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert "HYPERLINK" not in xml.split("<f>")[-1] and xml.count("<f>") == 1  # the only formula is =NOW()
    ident = parse_identity(calamine_rows(result.files[0], IDENTITY_SHEET))
    assert ident.unit_name == evil
    rows = list(csv.reader(io.StringIO(result.mailing_list.read_text(encoding="utf-8-sig"))))
    assert rows[1][2] == "'" + evil and rows[2][2] == "'+SUM(1,2)"
    assert result.files[0].name == "F1_HYPERLINK_http_x_y.xlsx"


def test_mailing_list_has_one_row_per_unit_with_deadline_and_office_email(generated, units):
    raw = generated.mailing_list.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == MAILING_COLUMNS
    assert len(rows) == 1 + len(units)
    for row, unit, path in zip(rows[1:], units, generated.files):
        assert row[:4] == [unit.email, unit.code, unit.name, path.name]
        assert row[4] == f"Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — {unit.name}"
        assert row[5].startswith(f"Kính gửi: {unit.name},")
        assert "trước ngày 15/10/2021" in row[5] and "buithiyenqn@gmail.com" in row[5]
        assert path.name in row[5]


def test_render_templates(generated):
    text = render_templates(generated)
    assert text.splitlines() == [
        f"Đã tạo 23 biểu mẫu trong thư mục {generated.out_dir}",
        "Biểu mẫu trắng dùng chung: bieu_tong_hop.xlsx",
        f"Danh sách gửi thư (email, tệp đính kèm, tiêu đề, nội dung): {generated.mailing_list}",
        "Bước tiếp theo: gửi mỗi đơn vị tệp của mình (có thể trộn thư từ danh sách trên); "
        "khi nhận đủ, chép các tệp gửi về vào một thư mục và chạy: consolidate check THƯ_MỤC",
    ]


def test_render_templates_names_units_without_email(tmp_path, campaign, form):
    units = UnitList((Unit("A1", "Trường A", "THCS", ""), Unit("A2", "Trường B", "THCS", "b@x.vn")))
    text = render_templates(make_templates(campaign, form, units, tmp_path, now=NOW))
    assert ("Chưa có email của 1 đơn vị: A1 (Trường A); cần gửi biểu cho các đơn vị này bằng cách khác."
            in text.splitlines())


def test_colliding_names_are_made_distinct_and_master_name_is_reserved(tmp_path, campaign, form):
    units = UnitList((Unit("A", "Trường Ánh", "THCS", ""), Unit("a", "Truong Anh", "THCS", ""),
                      Unit("bieu", "tong hop", "THCS", "")))
    result = make_templates(campaign, form, units, tmp_path, now=NOW)
    assert [p.name for p in result.files] == ["A_Truong_Anh.xlsx", "a_Truong_Anh_2.xlsx", "bieu_tong_hop_2.xlsx"]
    assert load_workbook(tmp_path / "bieu_tong_hop.xlsx")[form.sheet]["A3"].value.startswith("Đơn vị báo cáo: ……")


def test_rerun_overwrites_and_a_live_lock_stops_the_run(tmp_path, campaign, form, units):
    from consolidate.issues import RunError

    make_templates(campaign, form, units, tmp_path, now=NOW)
    again = make_templates(campaign, form, units, tmp_path, now=NOW + dt.timedelta(days=1))
    ident = parse_identity(calamine_rows(again.files[0], IDENTITY_SHEET))
    assert ident.generated_at == NOW + dt.timedelta(days=1)
    (tmp_path / ".consolidate.lock").write_text(str(__import__("os").getpid()))
    with pytest.raises(RunError, match="đang được một lần chạy khác ghi"):
        make_templates(campaign, form, units, tmp_path, now=NOW)


def test_extra_sheet_writers_go_after_the_form_sheet(tmp_path, campaign, form, units):
    def schedule(wb, campaign_, form_, unit):
        wb.create_sheet("Lịch hoạt động")["A1"] = f"Lịch của {unit.name}"

    one = UnitList(units.units[:1])
    result = make_templates(campaign, form, one, tmp_path, now=NOW, extra_sheets=[schedule])
    wb = load_workbook(result.files[0])
    assert wb.sheetnames == [form.sheet, "Lịch hoạt động", INSTRUCTIONS_SHEET, IDENTITY_SHEET]
    assert wb["Lịch hoạt động"]["A1"].value == "Lịch của UBND xã Mường Giàng"
    assert wb.active.title == form.sheet


# --- the district summary reuses the form sheet ---------------------------------------------------


def test_form_sheet_with_values_for_the_summary(form):
    wb = Workbook()
    layout = write_form_sheet(wb.active, form, title="BIỂU TỔNG HỢP", subtitle="năm 2021",
                              unit_line="Đơn vị báo cáo: huyện Quỳnh Nhai", editable=False, footer_lines=[],
                              values={"1.1": {"count": 3, "people": 1200.0, "note": "=ghi chú"},
                                      "10.1": {"amount": 1_200_000}, "11": {"text": "Nội dung khác"},
                                      "1.2": {"count": float("nan")}})
    ws = wb.active
    assert ws[layout.cell("1.1", "count")].value == 3
    assert ws[layout.cell("1.1", "people")].value == 1200
    assert ws[layout.cell("1.1", "people")].number_format == "#,##0"
    assert (ws[layout.cell("1.1", "note")].value, ws[layout.cell("1.1", "note")].data_type) == ("=ghi chú", "s")
    assert ws[layout.cell("10.1", "amount")].value == 1_200_000
    assert ws[layout.cell("11", "text")].value == "Nội dung khác"
    assert ws[layout.cell("1.2", "count")].value is None  # NaN (blank) stays blank, never 0
    assert ws.protection.sheet is False
    assert not ws.data_validations.dataValidation
    assert ws.max_row == layout.last_row  # no signature block asked for
    assert (layout.header_row, layout.first_row, layout.unit_cell) == (5, 7, "A3")


# --- the committed master template ----------------------------------------------------------------


def master_content(path: Path, form_sheet: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(stt, label, unit, editable value columns) of every row below the header, read from the file."""
    grid = calamine_rows(path, form_sheet)
    header = next(i for i, row in enumerate(grid) if "Các hoạt động" in row)
    ws = load_workbook(path)[form_sheet]
    out = []
    for i, row in enumerate(grid[header + 2:], start=header + 3):
        if not row[1]:
            break
        unlocked = tuple(c for c in "DEF" if ws[f"{c}{i}"].protection.locked is False)
        out.append((str(row[0]), row[1], row[2], unlocked))
    return out


def expected_content(form) -> list[tuple[str, str, str, tuple[str, ...]]]:
    cols = {"count": "D", "people": "E", "amount": "D", "text": "DE"}  # text: the merged area D:E
    out = []
    for row in form.rows:
        used = sorted({c for m in row.measures for c in cols[m]} | ({"F"} if row.measures else set()))
        out.append((row.stt, row.label, row.unit, tuple(used)))
    return out


def test_committed_master_template_matches_the_definition(form):
    path = ROOT / "templates" / MASTER_NAME
    assert master_content(path, form.sheet) == expected_content(form)
    ident = parse_identity(calamine_rows(path, IDENTITY_SHEET))
    assert (ident.form_id, ident.form_version, ident.unit_code) == (form.id, form.version, "")
    wb = load_workbook(path)
    assert wb.sheetnames == [form.sheet, INSTRUCTIONS_SHEET, IDENTITY_SHEET]
    assert wb[form.sheet]["A3"].value == "Đơn vị báo cáo: " + "……" * 8


def test_master_follows_a_changed_definition(tmp_path):
    text = (ROOT / "consolidate" / "data" / "form.toml").read_text(encoding="utf-8")
    text = text.replace('label = "Xóa mù chữ"', 'label = "Xóa mù chữ và tái mù chữ"')
    text += '\n[[rows]]\ncode = "12"\nstt = "12"\nlabel = "Số câu lạc bộ đọc sách"\nunit = "CLB"\nmeasures = ["count", "people"]\n'
    custom = tmp_path / "form.toml"
    custom.write_text(text, encoding="utf-8")
    form = load_form(custom)
    path = write_master_template(tmp_path / "m.xlsx", form)
    content = master_content(path, form.sheet)
    assert content == expected_content(form)
    assert content[-1] == ("12", "Số câu lạc bộ đọc sách", "CLB", ("D", "E", "F"))
    assert ("", "Xóa mù chữ và tái mù chữ", "lớp/người", ("D", "E", "F")) in content


def test_module_main_regenerates_the_master(tmp_path, form):
    from consolidate.templates import main

    assert main([str(tmp_path / "x.xlsx")]) == 0
    assert master_content(tmp_path / "x.xlsx", form.sheet) == expected_content(form)


# --- LibreOffice round trips (slow: few) ----------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_libreoffice_save_keeps_hidden_identity_and_form(generated, form, units, soffice_convert, tmp_path, fmt):
    layout = layout_of(form)
    wb = load_workbook(generated.files[2])
    typed = {("1.1", "count"): 2, ("1.1", "people"): 60, ("10.2", "amount"): 2_500_000_000,
             ("11", "text"): "Ngày hội đọc sách", ("1.1", "note"): "=ghi chú"}
    for (code, measure), value in typed.items():
        ws = wb[form.sheet]
        ws[layout.cell(code, measure)].value = value
        if isinstance(value, str):
            ws[layout.cell(code, measure)].data_type = "s"
    src = tmp_path / generated.files[2].name
    wb.save(src)
    out = soffice_convert(src, fmt, tmp_path / "lo")
    data = out.read_bytes()
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data)) if fmt != "xls" else CalamineWorkbook.from_path(str(out))
    assert form.sheet in wb.sheet_names and IDENTITY_SHEET in wb.sheet_names
    ident = parse_identity(wb.get_sheet_by_name(IDENTITY_SHEET).to_python())
    unit = units.units[2]
    assert (ident.form_id, ident.form_version, ident.year) == (form.id, form.version, 2021)
    assert (ident.unit_code, ident.unit_name, ident.generated_at) == (unit.code, unit.name, NOW)
    assert isinstance(ident.saved_at, dt.datetime)  # LibreOffice computed and cached =NOW()
    grid = wb.get_sheet_by_name(form.sheet).to_python()
    assert [r[1] for r in grid[6:6 + len(form.rows)]] == [r.label for r in form.rows]
    assert any(f"Đơn vị báo cáo: {unit.name}" == r[0] for r in grid[:4])
    col = {"count": 3, "people": 4, "amount": 3, "text": 3, "note": 5}
    for (code, measure), value in typed.items():
        assert grid[layout.rows[code] - 1][col[measure]] == value, (code, measure)
    if fmt != "xls":  # hidden state is visible to openpyxl for xlsx; check ods through the manifest
        if fmt == "xlsx":
            saved = load_workbook(out)
            assert saved[IDENTITY_SHEET].sheet_state == "hidden"
            assert saved[form.sheet].protection.sheet is True
            assert saved[form.sheet][layout.cell("1.2", "count")].protection.locked is False
            assert saved[form.sheet][f"B{layout.rows['1.2']}"].protection.locked is True
        else:
            with zipfile.ZipFile(out) as z:
                assert 'table:display="false"' in z.read("styles.xml").decode() + z.read("content.xml").decode()


# ---------------------------------------------------------------------------------------------- print (issue 15)

def test_instructions_fit_a4_portrait_without_scaling(generated):
    """LibreOffice never scales a one-column sheet to the page width: the column itself must fit."""
    from consolidate import templates

    ws = load_workbook(generated.files[0])["Hướng dẫn"]
    margins = ws.page_margins.left + ws.page_margins.right
    width_in = (ws.column_dimensions["A"].width * 7 + 5) / 96  # Excel: Calibri 11 digits of 7 px at 96 dpi
    assert width_in <= 8.27 - margins  # A4 portrait
    assert ws.page_setup.orientation in (None, "portrait")  # A4 portrait, the default
    # each line's row is tall enough for the lines it wraps to in that column
    for r in range(1, ws.max_row + 1):
        text = ws.cell(r, 1).value or ""
        lines = max(1, -(-len(text) // templates.INSTRUCTIONS_CHARS_PER_LINE))
        assert ws.row_dimensions[r].height >= lines * templates.LINE_HEIGHT


def test_a_unit_written_on_two_lines_gets_a_row_tall_enough(generated, form):
    ws = load_workbook(generated.files[0])[form.sheet]
    layout = layout_of(form)
    row = layout.rows["4.1"]
    assert ws.cell(row, 3).value == "Tập thể/cá nhân" and ws.cell(row, 3).alignment.wrap_text
    assert ws.row_dimensions[row].height >= 2 * 16.5


def test_report_text_boxes_have_a_border(tmp_path, campaign, form, units):
    from consolidate import narrative

    made = make_templates(campaign, form, [units.get("X01")], tmp_path, now=NOW,
                          extra_sheets=[narrative.template_writer])
    wb = load_workbook(made.files[0])
    ws = wb["Báo cáo"]
    boxes = [r for r in ws.merged_cells.ranges if r.max_row - r.min_row == narrative.TEXT_ROWS - 1]
    assert boxes
    for box in boxes:
        top, bottom = box.min_row, box.max_row
        assert all(ws.cell(top, c).border.top.style == "thin" for c in range(box.min_col, box.max_col + 1))
        assert all(ws.cell(bottom, c).border.bottom.style == "thin" for c in range(box.min_col, box.max_col + 1))
        assert all(ws.cell(r, box.min_col).border.left.style == "thin" for r in range(top, bottom + 1))
        assert all(ws.cell(r, box.max_col).border.right.style == "thin" for r in range(top, bottom + 1))
