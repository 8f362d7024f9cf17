"""narrative.py: the Phụ lục 1 headings as data, the "Báo cáo" sheet, reading texts back (also from a report
retyped from Word), and the district's "Tổng hợp báo cáo"."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from consolidate import narrative, parts, schedule
from consolidate.narrative import load_narrative, read_narrative
from consolidate.parts import ReadContext
from consolidate.reader import load_sheets, read_file

FILES = Path(__file__).resolve().parent / "files" / "narrative"
RETYPED = FILES / "baocao_retyped.xlsx"
SEED_001 = [  # Phụ lục 1 of seeds/001, as printed
    ("I.1", "Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện."),
    ("I.2", "Lễ phát động Tuần lễ cấp huyện/xã."),
    ("I.3", "Nội dung các hoạt động đã triển khai trong Tuần lễ"),
    ("I.4", "Kinh phí tổ chức Tuần lễ"),
    ("II.1", "Những kết quả đã đạt được; bài học kinh nghiệm"),
    ("II.2", "Khó khăn, tồn tại"),
    ("II.3", "Kiến nghị, đề xuất"),
    ("II.4", "Bảng tổng hợp số liệu các hoạt động tổ chức Tuần lễ (thống kê theo Mẫu tổng hợp)."),
]


def sheets_of(data: bytes, name: str = "x.xlsx"):
    sheets, issues = load_sheets(data, name)
    assert sheets is not None, issues
    return sheets


def saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_headings_are_the_seeds_phu_luc_1(campaign):
    spec = load_narrative()
    assert campaign.district == "huyện Quỳnh Nhai"  # the seed's "cấp huyện/xã", filled from a huyện's campaign
    assert [(h.code, h.label_for(campaign)) for h in spec.headings] == SEED_001
    assert [(s.code, s.label) for s in spec.sections] == [("I", "TỔ CHỨC TRIỂN KHAI TUẦN LỄ"), ("II", "ĐÁNH GIÁ CHUNG")]
    assert spec.subtitle_for(2024) == "Tổng kết Tuần lễ học tập suốt đời năm 2024"
    i4 = spec.headings[3]
    assert (i4.amounts, spec.headings[2].schedule, spec.headings[7].form_table) == (("10.1", "10.2"), True, True)


def test_report_sheet_has_every_heading_with_an_open_text_box(campaign):
    wb = Workbook()
    ws = narrative.write_narrative_sheet(wb, campaign, "UBND xã Mường Giàng")
    assert ws.title == "Báo cáo" and ws.protection.sheet is True
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert texts[:3] == ["BÁO CÁO", "Tổng kết Tuần lễ học tập suốt đời năm 2021", "Đơn vị báo cáo: UBND xã Mường Giàng"]
    for code, label in SEED_001:
        number = code.split(".")[1]
        assert f"{number}. {label}" in texts
    assert "I. TỔ CHỨC TRIỂN KHAI TUẦN LỄ" in texts and "II. ĐÁNH GIÁ CHUNG" in texts
    boxes = [rng for rng in ws.merged_cells.ranges if rng.max_row - rng.min_row == narrative.TEXT_ROWS - 1]
    assert len(boxes) == len(SEED_001)
    for rng, (code, label) in zip(sorted(boxes, key=lambda b: b.min_row), SEED_001):
        top = ws.cell(rng.min_row, rng.min_col)
        assert (rng.min_col, rng.max_col) == (1, narrative.LAST_COL)
        assert top.protection.locked is False and top.alignment.wrap_text is True
        assert top.alignment.vertical == "top"
        # the box sits right under its heading, or under the heading's hint
        above = [ws.cell(rng.min_row - k, 1).value for k in (1, 2)]
        assert f"{code.split('.')[1]}. {label}" in above
    # every other cell stays locked
    assert ws["A1"].protection.locked is True and ws["A7"].protection.locked is True


def test_filled_template_reads_back_by_heading_with_empty_headings_as_info(campaign, form, units, tmp_path):
    from consolidate.templates import make_templates

    unit = units.get("X01")
    result = make_templates(campaign, form, [unit], tmp_path / "bieu_mau",
                            extra_sheets=[narrative.template_writer, schedule.template_writer])
    wb = load_workbook(result.files[0])
    ws = wb["Báo cáo"]
    boxes = sorted((r for r in ws.merged_cells.ranges if r.max_row - r.min_row == narrative.TEXT_ROWS - 1),
                   key=lambda r: r.min_row)
    texts = {0: "Ngày 24/9/2021 UBND xã ban hành Kế hoạch số 45/KH-UBND.\nGiao TTHTCĐ xã theo dõi.",
             3: "Ngân sách nhà nước 3.000.000 đồng.", 6: "=Đề nghị hỗ trợ tài liệu"}
    for i, text in texts.items():
        cell = ws.cell(boxes[i].min_row, 1)
        cell.value = text
        if text.startswith("="):
            cell.data_type = "s"
    path = tmp_path / "X01.xlsx"
    wb.save(path)
    rf = read_file(path, path.name, form, campaign, units)
    res = read_narrative(rf.sheets, ReadContext(path.name, campaign, rf.unit, unit.name, units))
    assert res.found and res.sheet == "Báo cáo"
    assert res.sections == {"I.1": texts[0], "I.4": texts[3], "II.3": texts[6]}
    assert res.cells["I.1"] == f"A{boxes[0].min_row}"
    assert [(i.code, i.severity, i.unit, i.message) for i in res.issues] == [
        ("narrative-empty", "info", "X01",
         "X01.xlsx, trang Báo cáo: các mục báo cáo để trống: I.2 Lễ phát động Tuần lễ cấp huyện/xã; "
         "I.3 Nội dung các hoạt động đã triển khai trong Tuần lễ; II.1 Những kết quả đã đạt được; bài học kinh "
         "nghiệm; II.2 Khó khăn, tồn tại."),
    ]


def test_report_retyped_from_word_is_read_with_text_after_the_heading_and_stops_at_the_form(campaign):
    res = read_narrative(sheets_of(RETYPED.read_bytes(), RETYPED.name), ReadContext(RETYPED.name, campaign))
    assert res.found and res.sheet == "Sheet1"
    assert res.sections == {
        "I.1": "UBND xã ban hành Kế hoạch số 45/KH-UBND ngày 24/9/2021.\n"
               "- Giao Trung tâm HTCĐ xã phối hợp các trường triển khai.",
        "I.2": "Lồng ghép lễ phát động vào buổi chào cờ ngày 01/10/2021, 120 người dự.",
        "I.3": "Tổ chức 2 lớp tập huấn kỹ năng sống; trưng bày sách tại nhà văn hóa bản.",
        "I.4": "- Ngân sách nhà nước: 3.000.000 đồng",
        "II.1": "Nhân dân hưởng ứng tích cực.",
        "II.3": "Đề nghị huyện hỗ trợ thêm tài liệu.\n(ưu tiên sách cho thiếu nhi)",
    }
    assert res.cells == {"I.1": "A7", "I.2": "A10", "I.3": "A12", "I.4": "A14", "II.1": "A17", "II.3": "A21"}
    assert [i.message for i in res.issues] == [
        "baocao_retyped.xlsx, trang Sheet1: các mục báo cáo để trống: II.2 Khó khăn, tồn tại."]


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_retyped_report_saved_by_libreoffice_reads_the_same(campaign, soffice_convert, tmp_path, fmt):
    src = tmp_path / RETYPED.name
    shutil.copy(RETYPED, src)
    out = soffice_convert(src, fmt, tmp_path / "out")
    original = read_narrative(sheets_of(RETYPED.read_bytes(), RETYPED.name), ReadContext("a", campaign))
    res = read_narrative(sheets_of(out.read_bytes(), out.name), ReadContext("a", campaign))
    assert res.sections == original.sections and len(original.sections) == 6


def test_text_that_starts_like_a_heading_stays_text_of_its_heading(campaign):
    wb = Workbook()
    ws = wb.active
    for line in ["4. Kinh phí tổ chức Tuần lễ", "Kinh phí tổ chức Tuần lễ là 5.000.000 đồng.",
                 "2. Khó khăn, tồn tại", "Thiếu sách."]:
        ws.append([line])
    res = read_narrative(sheets_of(saved(wb)), ReadContext("a.xlsx", campaign))
    assert res.sections == {"I.4": "Kinh phí tổ chức Tuần lễ là 5.000.000 đồng.", "II.2": "Thiếu sách."}


def test_one_heading_phrase_alone_is_not_a_report(campaign, form):
    from consolidate.templates import write_form_sheet

    wb = Workbook()
    write_form_sheet(wb.active, form, title=form.title, subtitle="", unit_line="Đơn vị báo cáo: X")
    ws = wb.create_sheet("Ghi chú")
    ws.append(["Kinh phí tổ chức Tuần lễ: xem mục 10"])
    res = read_narrative(sheets_of(saved(wb)), ReadContext("a.xlsx", campaign))
    assert (res.found, res.sections, res.issues) == (False, {}, [])


def test_over_long_text_is_cut_at_the_excel_limit_with_a_warning(campaign):
    wb = Workbook()
    ws = wb.active
    ws.append(["1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện."])
    ws.append(["a" * 20000])
    ws.append(["b" * 20000])
    ws.append(["2. Khó khăn, tồn tại"])
    res = read_narrative(sheets_of(saved(wb)), ReadContext("a.xlsx", campaign))
    assert len(res.sections["I.1"]) == 32767
    long = [i for i in res.issues if i.code == "text-too-long"]
    assert [(i.severity, i.cell, i.message) for i in long] == [
        ("warning", "A2", "a.xlsx, trang Sheet, ô A2: nội dung dài 40001 ký tự, vượt giới hạn 32.767 ký tự của "
                          "Excel; phần thừa bị cắt khi tổng hợp.")]


def test_compile_gathers_each_heading_in_unit_order():
    compiled = narrative.compile_narrative([
        ("UBND xã Mường Giàng", {"I.1": "Ban hành kế hoạch.", "II.2": "  "}),
        ("Trường Tiểu học Chiềng Ơn", {"I.1": "Họp hội đồng.", "II.3": "Thêm sách."}),
    ])
    assert list(compiled) == [code for code, _ in SEED_001]
    assert compiled["I.1"] == [("UBND xã Mường Giàng", "Ban hành kế hoạch."),
                               ("Trường Tiểu học Chiềng Ơn", "Họp hội đồng.")]
    assert compiled["II.2"] == [] and compiled["II.3"] == [("Trường Tiểu học Chiềng Ơn", "Thêm sách.")]


def test_summary_sheet_puts_every_units_text_under_each_heading(campaign):
    compiled = narrative.compile_narrative([
        ("UBND xã Mường Giàng", {"I.1": "Ban hành kế hoạch.", "II.3": "=1+1"}),
        ("Trường Tiểu học Chiềng Ơn", {"I.1": "Họp hội đồng."}),
    ])
    import xlsxwriter

    buf = io.BytesIO()
    out = xlsxwriter.Workbook(buf, {"in_memory": True})
    narrative.write_narrative_summary(out, compiled, campaign)
    out.close()
    ws = load_workbook(io.BytesIO(buf.getvalue()))["Tổng hợp báo cáo"]
    assert ws.title == "Tổng hợp báo cáo"
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=1, max_col=2)]
    assert rows[0][0] == "TỔNG HỢP BÁO CÁO CỦA CÁC ĐƠN VỊ — TỔNG KẾT TUẦN LỄ HỌC TẬP SUỐT ĐỜI NĂM 2021"
    at = rows.index(("1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện.", None))
    assert rows[at + 1: at + 3] == [("UBND xã Mường Giàng", "Ban hành kế hoạch."),
                                    ("Trường Tiểu học Chiềng Ơn", "Họp hội đồng.")]
    at2 = rows.index(("2. Lễ phát động Tuần lễ cấp huyện/xã.", None))
    assert rows[at2 + 1] == ("(Chưa có đơn vị nào viết mục này.)", None)
    formula_cell = next(r[1] for r in ws.iter_rows(max_col=2) if r[1].value == "=1+1")
    assert formula_cell.data_type == "s"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1: default
    assert ws.page_setup.fitToHeight == 0


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_filled_template_saved_by_libreoffice_keeps_texts_and_schedule(campaign, form, units, soffice_convert,
                                                                       tmp_path, fmt):
    from consolidate.templates import make_templates

    unit = units.get("X02")
    made = make_templates(campaign, form, [unit], tmp_path / "mau",
                          extra_sheets=[narrative.template_writer, schedule.template_writer])
    wb = load_workbook(made.files[0])
    ws = wb["Báo cáo"]
    boxes = sorted(r.min_row for r in ws.merged_cells.ranges if r.max_row - r.min_row == narrative.TEXT_ROWS - 1)
    ws.cell(boxes[1], 1).value = "Phát động dưới cờ ngày 01/10/2021.\nCó 150 người dự."
    lich = wb["Lịch hoạt động"]
    lich["B7"], lich["C7"], lich["D7"], lich["E7"] = "7h30", "01/10", "Lễ phát động", "Sân UBND xã"
    src = tmp_path / "X02.xlsx"
    wb.save(src)
    out = soffice_convert(src, fmt, tmp_path / "out")
    sheets = sheets_of(out.read_bytes(), out.name)
    ctx = ReadContext(out.name, campaign, "X02", unit.name, units)
    res = read_narrative(sheets, ctx)
    assert res.sections == {"I.2": "Phát động dưới cờ ngày 01/10/2021.\nCó 150 người dự."}
    sched = schedule.read_schedule(sheets, ctx)
    assert sched.issues == []
    assert [(schedule.format_time(a.time), a.date.isoformat(), a.content, a.place) for a in sched.rows] == [
        ("7h30", "2021-10-01", "Lễ phát động", "Sân UBND xã")]


class _Grid:
    """A reader.Sheet-like grid."""

    def __init__(self, rows):
        self.name, self.rows, self.hidden = "S", rows, False

    def address(self, r: int, c: int) -> str:
        return f"{chr(65 + c % 26)}{r + 1}"


_HEADING_TEXTS = [f"{h.number}. {label}" for h in load_narrative().headings for label in (h.label, *h.aliases)]
_cell = st.one_of(st.none(), st.booleans(), st.integers(-5, 3000), st.floats(allow_nan=True), st.dates(),
                  st.times(), st.text(max_size=20), st.just(""),
                  st.sampled_from(_HEADING_TEXTS + [h.hint for h in load_narrative().headings] +
                                  ["Kinh phí tổ chức Tuần lễ: 5 triệu", "KHÓ KHĂN, TỒN TẠI", "II. ĐÁNH GIÁ CHUNG",
                                   "Đơn vị báo cáo: UBND xã Mường Giàng", "x" * 300, "Kiến nghị " * 30]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cell, max_size=5), max_size=20))
def test_headings_found_by_set_operations_are_the_ones_found_cell_by_cell(rows):
    # most rows are ruled out by the set of the sheet's values (and what earlier sheets taught the memo)
    grid = _Grid(rows)
    memo = narrative._memo_for(load_narrative())
    assert narrative._marks(grid, memo, parts.cell_values(grid)) == narrative._marks(grid, memo, None)


def test_numbers_are_looked_at_when_a_heading_starts_with_a_digit():
    shipped = narrative._Memo(load_narrative())
    assert shipped.plain_types == {int, float, bool}  # every shipped heading starts with a letter
    headings = (narrative.Heading("I.1", "I", "1", "10"), narrative.Heading("I.2", "I", "2", "Kinh phí"))
    spec = narrative.Narrative("T", "S", "Báo cáo", (narrative.Section("I", "Một"),), headings)
    memo = narrative._Memo(spec)
    assert memo.plain_types == frozenset()
    grid = _Grid([["Kinh phí"], [True], [10.0], [1]])
    marks = narrative._marks(grid, memo, parts.cell_values(grid))
    assert marks == narrative._marks(grid, memo, None)
    assert [(r, h.code) for r, _c, h, _rest in marks] == [(0, "I.2"), (2, "I.1")]


def test_the_opening_heading_names_the_district_s_own_levels(campaign):
    from dataclasses import replace

    opening = {h.code: h for h in load_narrative().headings}["I.2"]
    quan = replace(campaign, district="quận Đống Đa")
    town = replace(campaign, district="thị xã Mường Lay", communes="phường/xã")
    assert opening.label_for(quan) == "Lễ phát động Tuần lễ cấp quận/phường."
    assert opening.label_for(town) == "Lễ phát động Tuần lễ cấp thị xã/phường/xã."
    assert opening.label_for(replace(campaign, communes="xã/thị trấn")) == "Lễ phát động Tuần lễ cấp huyện/xã/thị trấn."
    # a unit retyping its district's wording of the heading is read under it, with nothing left of the label
    for label in ("2. Lễ phát động Tuần lễ cấp quận/phường: đã tổ chức ngày 30/9.",
                  "2. Lễ phát động Tuần lễ cấp huyện/xã: đã tổ chức ngày 30/9."):
        found = narrative._match_heading(label, load_narrative())
        assert found is not None and found[0].code == "I.2" and found[1].strip(" :") == "đã tổ chức ngày 30/9."
