"""schedule.py: times and dates as people write them, the "Lịch hoạt động" sheet, reading it back (and the
seed's retyped layout), the compiled "Lịch tuần lễ", and the newest-file rule of the two rounds."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from consolidate import narrative, parts, schedule, split
from consolidate.parts import ReadContext
from consolidate.reader import load_sheets, read_file
from consolidate.schedule import parse_date, parse_time
from consolidate.text import clean

ROOT = Path(__file__).resolve().parent.parent
DONG_DA = ROOT / "samples" / "dong-da-2024"
FILES = Path(__file__).resolve().parent / "files" / "schedule"
RETYPED = FILES / "lich_seed000_retyped.xlsx"

# The unit of the Đống Đa list that each "Đơn vị" text of the seed's schedule names.
SEED_UNIT = {
    "TT VH TT & TT Quận": "K01",
    "Hội Khuyến học phối hợp với Hội Cựu chiến binh phường Láng Hạ.": "P20",
    "Tiêu học Cát Linh": "TH01",
    "Hội Khuyến học và TTHTCĐ phường Trung Liệt": "P11",
    "MN Láng Thượng": "MN01",
    "Hội Khuyến học và TTHTCĐ phường Ô Chợ Dừa": "P21",
    "Tiểu học Kim Liên": "TH02",
    "Hội Khuyến học và TTHTCĐ phường Khương Thượng": "P18",
    "Hội Khuyến học và TTHTCĐ phường Văn Chương": "P19",
    "THCS Nguyễn Trường Tộ": "CS01",
    "MN Steame Đống Đa": "MN02",
    "Tiểu học Láng Thượng": "TH03",
    "THCS Lý Thường Kiệt": "CS02",
    "THCS Thịnh Quang": "CS03",
    "Hội Khuyến học và TTHTCĐ phường Phương Mai": "P16",
    "MN Ngã Tư Sở": "MN03",
}

# The compiled schedule: date, then time, then unit name; TT 1…16 once each (the seed numbers 5 twice).
EXPECTED = [
    (1, "8h30", "30/09", "K01"),
    (2, "8h15", "01/10", "TH01"),
    (3, "8h30", "01/10", "P20"),
    (4, "8h30", "02/10", "MN01"),
    (5, "8h30", "02/10", "TH02"),
    (6, "8h30", "02/10", "P18"),
    (7, "8h30", "02/10", "P21"),
    (8, "8h30", "02/10", "P11"),
    (9, "14h30", "02/10", "P19"),
    (10, "9h30", "03/10", "CS01"),
    (11, "8h15", "04/10", "CS03"),
    (12, "8h15", "04/10", "TH03"),
    (13, "8h30", "04/10", "MN02"),
    (14, "8h30", "04/10", "CS02"),
    (15, "14h30", "04/10", "P16"),
    (16, "8h30", "07/10", "MN03"),
]


def seed_rows() -> list[list[str]]:
    """The 16 activity rows of the seed's "LỊCH" (TT, Giờ, Ngày, Đơn vị, Nội dung), as the seed writes them."""
    lines = (FILES / "seed000_lich.tsv").read_text(encoding="utf-8").split("\n")
    return [line.split("\t") for line in lines[1:] if line.strip()]


@pytest.fixture(scope="module")
def dong_da():
    from consolidate.campaign import prepare

    campaign, form, units, issues = prepare(DONG_DA / "campaign.toml", None)
    assert not issues
    return campaign, form, units


def sheets_of(path: Path):
    sheets, issues = load_sheets(path.read_bytes(), path.name)
    assert sheets is not None, issues
    return sheets


def sheets_of_workbook(wb: Workbook, name: str = "x.xlsx"):
    buf = io.BytesIO()
    wb.save(buf)
    sheets, issues = load_sheets(buf.getvalue(), name)
    assert sheets is not None, issues
    return sheets


def summary_sheet(entries, campaign) -> tuple:
    """"Lịch tuần lễ" written by XlsxWriter as merge writes it, opened again: (openpyxl sheet, file bytes)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    schedule.write_schedule_summary(wb, entries, campaign)
    wb.close()
    return load_workbook(io.BytesIO(buf.getvalue()))[schedule.SUMMARY_SHEET], buf.getvalue()


def as_table(entries) -> list[tuple]:
    return [(e.tt, e.time_text, e.date_text, e.unit_code, e.content) for e in entries]


# ---------------------------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("written, expected", [
    ("8h30", dt.time(8, 30)), ("8h", dt.time(8, 0)), ("14h00", dt.time(14, 0)), ("8:30", dt.time(8, 30)),
    ("14 giờ 30", dt.time(14, 30)), ("8g30", dt.time(8, 30)), ("08h15'", dt.time(8, 15)),
    ("14 giờ", dt.time(14, 0)), ("8 giờ 30 phút", dt.time(8, 30)), ("2h chiều", dt.time(14, 0)),
    ("8h30 sáng", dt.time(8, 30)), ("8h30 - 10h30", dt.time(8, 30)), ("14h30–16h", dt.time(14, 30)),
    (" 7H45 ", dt.time(7, 45)), ("9.30", dt.time(9, 30)),
    (0.3541666666666667, dt.time(8, 30)), (0.5, dt.time(12, 0)), (8, dt.time(8, 0)), (14.0, dt.time(14, 0)),
    (dt.time(14, 30), dt.time(14, 30)), (dt.datetime(1899, 12, 30, 8, 15), dt.time(8, 15)),
    (dt.timedelta(hours=9, minutes=5), dt.time(9, 5)),
])
def test_times_as_people_and_excel_write_them(written, expected):
    assert parse_time(written) == expected


@pytest.mark.parametrize("written", ["sáng sớm", "25h", "8h75", "abc", "", "8,5", 8.5, 24, -1, True, None,
                                     dt.timedelta(days=2), "tám giờ"])
def test_unreadable_times_are_none(written):
    assert parse_time(written) is None


@pytest.mark.parametrize("written, expected", [
    ("01/10", dt.date(2024, 10, 1)), ("2/10", dt.date(2024, 10, 2)), ("30/9", dt.date(2024, 9, 30)),
    ("02/10/2024", dt.date(2024, 10, 2)), ("2/10/24", dt.date(2024, 10, 2)), ("02-10-2024", dt.date(2024, 10, 2)),
    ("2.10", dt.date(2024, 10, 2)), ("Thứ Tư, 02/10", dt.date(2024, 10, 2)), ("ngày 2/10", dt.date(2024, 10, 2)),
    ("2 tháng 10", dt.date(2024, 10, 2)), ("ngày 2 tháng 10 năm 2024", dt.date(2024, 10, 2)),
    ("T4 (02/10)", dt.date(2024, 10, 2)), ("2024-10-02", dt.date(2024, 10, 2)),
    (dt.datetime(2024, 10, 2), dt.date(2024, 10, 2)), (dt.date(2024, 10, 2), dt.date(2024, 10, 2)),
    (45567, dt.date(2024, 10, 2)), (45567.0, dt.date(2024, 10, 2)),
])
def test_dates_as_people_and_excel_write_them_take_the_campaign_year(written, expected):
    assert parse_date(written, 2024) == expected


@pytest.mark.parametrize("written", ["31/9", "13/13", "abc", "", "0/10", "2/10/2024/1", 12, True, None, "10h"])
def test_unreadable_dates_are_none(written):
    assert parse_date(written, 2024) is None


def test_time_and_date_are_written_back_as_the_seed_writes_them():
    assert schedule.format_time(dt.time(8, 30)) == "8h30"
    assert schedule.format_time(dt.time(14, 0)) == "14h00"
    assert schedule.format_time(None) == ""
    assert schedule.format_date(dt.date(2024, 9, 30)) == "30/09"


# ---------------------------------------------------------------------------------------------- the sheet

def test_schedule_sheet_is_protected_with_only_inputs_open(dong_da):
    campaign, _form, _units = dong_da
    wb = Workbook()
    ws = schedule.write_schedule_sheet(wb, campaign, "Trường Tiểu học Cát Linh")
    assert ws.title == "Lịch hoạt động"
    assert ws.protection.sheet is True
    assert [ws.cell(6, c).value for c in range(1, 6)] == ["TT", "Giờ", "Ngày", "Nội dung", "Địa điểm"]
    assert ws["A3"].value == "Đơn vị báo cáo: Trường Tiểu học Cát Linh"
    first, last = 7, 6 + schedule.INPUT_ROWS
    for r in (first, last):
        assert ws.cell(r, 1).protection.locked is True  # TT is pre-numbered
        assert all(ws.cell(r, c).protection.locked is False for c in range(2, 6))
    assert ws.cell(first, 1).value == 1 and ws.cell(last, 1).value == schedule.INPUT_ROWS
    assert ws.cell(3, 1).protection.locked is True
    assert ws.cell(first, 2).number_format == "@"


def test_schedule_sheet_validates_the_date_against_the_window_and_explains_the_time(dong_da):
    campaign, _form, _units = dong_da
    wb = Workbook()
    ws = schedule.write_schedule_sheet(wb, campaign, "Trường Tiểu học Cát Linh")
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(buf)["Lịch hoạt động"]
    by_col = {str(dv.sqref).split(":")[0][0]: dv for dv in ws.data_validations.dataValidation}
    date_dv, time_dv = by_col["C"], by_col["B"]
    assert date_dv.type == "date" and date_dv.operator == "between"
    # Excel serials of 30/09/2024 (the opening) and 07/10/2024 (the end of the week)
    assert (date_dv.formula1, date_dv.formula2) == ("45565", "45572")
    assert str(date_dv.sqref) == f"C7:C{6 + schedule.INPUT_ROWS}"
    assert "30/09/2024" in date_dv.prompt and "07/10/2024" in date_dv.prompt
    assert time_dv.showInputMessage and "8h30" in time_dv.prompt and "14h00" in time_dv.prompt


def filled_template(tmp_path: Path, campaign, form, units, code: str, rows: list[tuple[object, ...]]) -> Path:
    """A unit's template as `templates` writes it, filled in the schedule sheet and saved."""
    from consolidate.templates import make_templates

    out = tmp_path / "bieu_mau"
    unit = units.get(code)
    result = make_templates(campaign, form, [unit], out,
                            extra_sheets=[narrative.template_writer, schedule.template_writer])
    path = result.files[0]
    wb = load_workbook(path)
    ws = wb["Lịch hoạt động"]
    for i, values in enumerate(rows):
        for c, value in enumerate(values, start=2):
            ws.cell(7 + i, c).value = value
    dest = tmp_path / "da_nhan" / path.name
    dest.parent.mkdir(exist_ok=True)
    wb.save(dest)
    return dest


def read_returned(path: Path, campaign, form, units, rel: str | None = None):
    rf = read_file(path, rel or path.name, form, campaign, units)
    unit = units.get(rf.unit) if rf.unit else None
    ctx = ReadContext(rf.file, campaign, rf.unit, unit.name if unit else None, units)
    return schedule.read_schedule(rf.sheets, ctx)


def test_out_of_window_date_and_unreadable_time_are_reported_with_their_cells(dong_da, tmp_path):
    campaign, form, units = dong_da
    path = filled_template(tmp_path, campaign, form, units, "P11", [
        ("8h30", "15/10", "Hội thi kể chuyện theo sách"),
        ("sáng sớm", "02/10", "Tọa đàm văn hóa đọc"),
        ("14h00", "02/10", "Triển khai Tuần lễ"),
    ])
    res = read_returned(path, campaign, form, units)
    messages = [(i.code, i.severity, i.cell, i.message) for i in res.issues]
    assert messages == [
        ("schedule-out-of-window", "error", "C7",
         f"{path.name}, trang Lịch hoạt động, ô C7: ngày 15/10/2024 nằm ngoài thời gian Tuần lễ "
         "(30/09/2024 – 07/10/2024)."),
        ("schedule-bad-time", "error", "B8",
         f"{path.name}, trang Lịch hoạt động, ô B8: không đọc được giờ \"sáng sớm\" (viết như 8h30, 14h00 "
         "hoặc 8:30)."),
    ]
    assert all(i.unit == "P11" for i in res.issues)
    # only the readable row goes into the schedule
    assert [(a.unit_code, a.unit_name, a.date, a.time, a.content, a.row) for a in res.rows] == [
        ("P11", "UBND phường Trung Liệt", dt.date(2024, 10, 2), dt.time(14, 0), "Triển khai Tuần lễ", 9)]


def test_missing_content_missing_date_bad_date_and_duplicate(dong_da, tmp_path):
    campaign, form, units = dong_da
    path = filled_template(tmp_path, campaign, form, units, "TH01", [
        ("8h30", "02/10", None),
        ("8h30", None, "Hội sách"),
        ("9h", "31/9", "Giao lưu"),
        ("14h", "3/10", "Đọc sách cùng con"),
        ("14h00", "03/10/2024", "Đọc  sách cùng con"),
    ])
    res = read_returned(path, campaign, form, units)
    name = path.name
    assert [(i.code, i.severity, i.message) for i in res.issues] == [
        ("schedule-no-content", "error",
         f"{name}, trang Lịch hoạt động, hàng 7: có giờ/ngày nhưng không có nội dung hoạt động."),
        ("schedule-no-date", "error", f"{name}, trang Lịch hoạt động, ô C8: hoạt động chưa ghi ngày (viết như 02/10)."),
        ("schedule-bad-date", "error",
         f"{name}, trang Lịch hoạt động, ô C9: không đọc được ngày \"31/9\" (viết như 01/10 hoặc 01/10/2024)."),
        ("schedule-duplicate", "warning",
         f"{name}, trang Lịch hoạt động, ô D11: hoạt động \"Đọc sách cùng con\" đã ghi ở hàng 10; chỉ tính một lần."),
    ]
    assert [(a.date, a.time, a.content) for a in res.rows] == [(dt.date(2024, 10, 3), dt.time(14, 0), "Đọc sách cùng con")]


def test_a_date_misread_month_first_by_excel_is_read_as_meant_with_a_warning(dong_da, tmp_path):
    campaign, form, units = dong_da
    # a month-first Excel turns "02/10" typed by the unit into 10 February; a real date now, not text
    path = filled_template(tmp_path, campaign, form, units, "TH02", [
        ("8h30", dt.datetime(2024, 2, 10), "Hoạt động trải nghiệm"),
        ("8h30", dt.datetime(2024, 10, 3), "Ngày hội đọc sách"),
    ])
    res = read_returned(path, campaign, form, units)
    assert [(i.code, i.severity, i.message) for i in res.issues] == [
        ("schedule-date-swapped", "warning",
         f"{path.name}, trang Lịch hoạt động, ô C7: máy ghi ngày 10/02/2024, ngoài Tuần lễ; đã hiểu là "
         "02/10/2024 (ngày và tháng bị đảo). Hãy kiểm tra lại."),
    ]
    assert [a.date for a in res.rows] == [dt.date(2024, 10, 2), dt.date(2024, 10, 3)]


def test_a_formula_looking_activity_stays_text(dong_da, tmp_path):
    campaign, form, units = dong_da
    path = filled_template(tmp_path, campaign, form, units, "CS01", [("8h30", "02/10", None)])
    wb = load_workbook(path)
    cell = wb["Lịch hoạt động"]["D7"]
    cell.value, cell.data_type = "=HYPERLINK(\"http://x\")", "s"
    wb.save(path)
    res = read_returned(path, campaign, form, units)
    entries = schedule.compile_schedule(res.rows)
    ws, _ = summary_sheet(entries, campaign)
    assert ws["E5"].value == "=HYPERLINK(\"http://x\")" and ws["E5"].data_type == "s"


# ---------------------------------------------------------------------------------------------- the seed

def test_seed_schedule_through_templates_and_returns_compiles_in_order_numbered_once(dong_da, tmp_path):
    campaign, form, units = dong_da
    from consolidate.templates import make_templates

    rows = seed_rows()
    assert len(rows) == 16 and [r[0] for r in rows].count("5") == 2  # the seed's own slip
    codes = [SEED_UNIT[r[3]] for r in rows]
    assert len(set(codes)) == 16
    result = make_templates(campaign, form, units, tmp_path / "bieu_mau",
                            extra_sheets=[narrative.template_writer, schedule.template_writer])
    by_code = dict(zip([u.code for u in units], result.files))
    returned = tmp_path / "da_nhan"
    returned.mkdir()
    for (_tt, time_, date_, _unit, content), code in zip(rows, codes):
        wb = load_workbook(by_code[code])
        ws = wb["Lịch hoạt động"]
        ws["B7"], ws["C7"], ws["D7"] = time_, date_, content  # exactly as the seed writes them
        wb.save(returned / by_code[code].name)
    activities, issues = [], []
    for path in sorted(returned.iterdir()):
        res = read_returned(path, campaign, form, units)
        assert res.found and res.sheet == "Lịch hoạt động"
        activities += res.rows
        issues += res.issues
    # the seed's own inconsistency: its table opens the week at 8h30, its text (the campaign) at 14h00
    assert [(i.code, i.file, i.cell) for i in issues] == [
        ("schedule-opening-differs", "K01_TT_VH_TT_TT_quan_Dong_Da.xlsx", "B7")]
    entries = schedule.compile_schedule(activities)
    assert [(e.tt, e.time_text, e.date_text, e.unit_code) for e in entries] == EXPECTED
    assert [e.tt for e in entries] == list(range(1, 17))
    expected_content = {(SEED_UNIT[r[3]], clean(r[4])) for r in rows}
    assert {(e.unit_code, e.content) for e in entries} == expected_content
    assert entries[0].unit_name == "TT VH TT & TT quận Đống Đa"

    # the same rows retyped in the seed's own layout give the same table
    retyped = schedule.read_schedule(sheets_of(RETYPED), ReadContext(RETYPED.name, campaign, units=units))
    assert as_table(schedule.compile_schedule(retyped.rows)) == as_table(entries)

    # and the compiled "Lịch tuần lễ" reads back as the same table (a district summary is itself readable)
    _, data = summary_sheet(entries, campaign)
    sheets, problems = load_sheets(data, "tong_hop.xlsx")
    assert sheets is not None, problems
    back = schedule.read_schedule(sheets, ReadContext("tong_hop.xlsx", campaign, units=units))
    assert [(i.code, i.cell) for i in back.issues] == [("schedule-opening-differs", "B5")]  # the seed's 8h30
    assert as_table(schedule.compile_schedule(back.rows)) == as_table(entries)


def test_retyped_seed_layout_catches_the_repeated_item_number(dong_da):
    campaign, _form, units = dong_da
    res = schedule.read_schedule(sheets_of(RETYPED), ReadContext(RETYPED.name, campaign, units=units))
    assert res.found and res.sheet == "LICH"
    assert [(i.code, i.severity, i.cell, i.message) for i in res.issues] == [
        ("schedule-opening-differs", "warning", "B6",
         "lich_seed000_retyped.xlsx, trang LICH, ô B6: \"Khai mạc “Tuần lễ hưởng ứng học tập suốt đời” năm 2024\" "
         "ghi lúc 8h30 ngày 30/09, nhưng kế hoạch (tệp đợt báo cáo) ghi Lễ khai mạc lúc 14h00 ngày 30/09/2024. "
         "Hãy thống nhất một thời gian trước khi gửi lịch."),
        ("schedule-tt-repeated", "warning", "A11",
         "lich_seed000_retyped.xlsx, trang LICH, ô A11: số thứ tự 5 đã dùng ở hàng 10; "
         "lịch tổng hợp đánh số lại từ 1."),
    ]
    assert len(res.rows) == 16
    # the blank line of the seed (between items 13 and 14) is skipped, rows keep their Excel numbers
    assert [a.row for a in res.rows][-3:] == [19, 21, 22]


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_retyped_seed_schedule_saved_by_libreoffice_reads_the_same(dong_da, soffice_convert, tmp_path, fmt):
    campaign, _form, units = dong_da
    src = tmp_path / RETYPED.name
    shutil.copy(RETYPED, src)
    converted = soffice_convert(src, fmt, tmp_path / "out")
    original = schedule.read_schedule(sheets_of(RETYPED), ReadContext(RETYPED.name, campaign, units=units))
    res = schedule.read_schedule(sheets_of(converted), ReadContext(converted.name, campaign, units=units))
    assert as_table(schedule.compile_schedule(res.rows)) == as_table(schedule.compile_schedule(original.rows))


def test_a_unit_the_list_does_not_know_keeps_its_written_name_with_a_warning(dong_da):
    campaign, _form, units = dong_da
    wb = Workbook()
    ws = wb.active
    ws.append(["TT", "Giờ", "Ngày", "Đơn vị", "Nội dung"])
    ws.append([1, "8h30", "02/10", "Hội Cựu giáo chức quận", "Giao lưu văn hóa đọc"])
    ws.append([2, "9h", "02/10", "Láng Thượng", "Đọc sách"])  # a bare place: three units share it
    ws.append([3, "9h", "03/10", "MN Láng Thượng", "Kể chuyện"])
    res = schedule.read_schedule(sheets_of_workbook(wb), ReadContext("lich.xlsx", campaign, units=units))
    assert [(i.code, i.cell, i.value) for i in res.issues] == [
        ("schedule-unit-unknown", "D2", "Hội Cựu giáo chức quận"),
        ("schedule-unit-unknown", "D3", "Láng Thượng"),
    ]
    assert res.issues[0].message == ("lich.xlsx, trang Sheet, ô D2: không nhận ra đơn vị \"Hội Cựu giáo chức quận\" "
                                     "trong danh sách đơn vị; lịch tổng hợp giữ nguyên tên như đã ghi.")
    assert [(a.unit_code, a.unit_name) for a in res.rows] == [
        (None, "Hội Cựu giáo chức quận"), (None, "Láng Thượng"), ("MN01", "Trường Mầm non Láng Thượng")]


def test_a_sheet_without_date_and_content_headers_is_not_a_schedule(dong_da, tmp_path):
    campaign, form, units = dong_da
    from consolidate.templates import make_templates

    # a plain template (form, instructions, identity) holds no schedule table
    result = make_templates(campaign, form, [units.get("P01")], tmp_path)
    res = schedule.read_schedule(sheets_of(result.files[0]), ReadContext("x.xlsx", campaign))
    assert (res.found, res.rows, res.issues) == (False, [], [])


# ---------------------------------------------------------------------------------------------- compiling

def test_compile_orders_by_date_time_unit_then_content_and_puts_untimed_last():
    a = schedule.Activity
    d1, d2 = dt.date(2024, 10, 1), dt.date(2024, 10, 2)
    acts = [a("B", "Trường B", d2, dt.time(8), "y"), a("A", "Trường A", d2, None, "z"),
            a("A", "Trường A", d2, dt.time(8), "x"), a("C", "Trường C", d1, dt.time(14), "w"),
            a("A", "Trường A", d2, dt.time(8), "b")]
    entries = schedule.compile_schedule(acts)
    assert [(e.tt, e.date, e.time_text, e.unit_name, e.content) for e in entries] == [
        (1, d1, "14h00", "Trường C", "w"), (2, d2, "8h00", "Trường A", "b"), (3, d2, "8h00", "Trường A", "x"),
        (4, d2, "8h00", "Trường B", "y"), (5, d2, "", "Trường A", "z")]
    assert schedule.compile_schedule([]) == []


def test_summary_sheet_is_the_seed_layout_print_ready(dong_da):
    campaign, _form, _units = dong_da
    e = schedule.ScheduleEntry
    entries = [e(1, dt.time(8, 30), dt.date(2024, 9, 30), "TT VH TT & TT quận Đống Đa", "Khai mạc"),
               e(2, None, dt.date(2024, 10, 1), "Trường Tiểu học Cát Linh", "Giáo dục địa phương", "Sân trường")]
    ws, _ = summary_sheet(entries, campaign)
    assert ws.title == "Lịch tuần lễ"
    assert ws["A1"].value == "LỊCH “TUẦN LỄ HƯỞNG ỨNG HỌC TẬP SUỐT ĐỜI NĂM 2024”"
    assert ws["A2"].value == "(Từ ngày 01/10 đến ngày 07/10 năm 2024; khai mạc ngày 30/09)"
    assert [c.value for c in ws[4]] == ["TT", "Giờ", "Ngày", "Đơn vị", "Nội dung", "Địa điểm"]
    assert [c.value for c in ws[5]] == [1, "8h30", dt.datetime(2024, 9, 30), "TT VH TT & TT quận Đống Đa",
                                        "Khai mạc", None]
    assert ws["C5"].number_format == "dd/mm" and ws["B6"].value is None and ws["F6"].value == "Sân trường"
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1: default
    assert ws.page_setup.fitToHeight == 0
    assert ws["E5"].alignment.wrap_text


def test_empty_summary_says_no_unit_sent_a_schedule(dong_da):
    campaign, _form, _units = dong_da
    ws, _ = summary_sheet([], campaign)
    assert ws["A5"].value == "(Chưa có đơn vị nào gửi lịch hoạt động.)"
    assert [c.value for c in ws[4]] == ["TT", "Giờ", "Ngày", "Đơn vị", "Nội dung"]


# ---------------------------------------------------------------------------------------------- two rounds

def test_newest_file_of_each_part_is_used_per_unit():
    t = dt.datetime
    items = [
        ("X01", "schedule", t(2021, 9, 28, 8), "lich_cu.xlsx"),
        ("X01", "schedule", t(2021, 9, 29, 9), "lich_moi.xlsx"),
        ("X01", "form", t(2021, 10, 14), "bao_cao.xlsx"),
        ("X01", "narrative", t(2021, 10, 14), "bao_cao.xlsx"),
        ("X02", "form", None, "khong_ro_gio.xlsx"),
        ("X02", "form", t(2021, 10, 10), "co_gio.xlsx"),
        ("X03", "form", t(2021, 10, 10), "a.xlsx"),
        ("X03", "form", t(2021, 10, 10), "b.xlsx"),
    ]
    assert parts.pick_newest(items) == {
        ("X01", "schedule"): "lich_moi.xlsx",
        ("X01", "form"): "bao_cao.xlsx",
        ("X01", "narrative"): "bao_cao.xlsx",
        ("X02", "form"): "co_gio.xlsx",
        ("X03", "form"): "b.xlsx",
    }


# ---------------------------------------------------------------------------------------------- a folder, two rounds

def test_two_rounds_of_the_dong_da_sample_split_into_parts_newest_per_part(dong_da):
    from consolidate.reader import read_folder

    campaign, form, units = dong_da
    files = read_folder(DONG_DA / "da_nhan", form, campaign, units)
    folder = split.split_parts(files, campaign, units)
    by_name = {rf.file: rf for rf in files}
    parts = folder.parts
    # round 1: schedule-only files are schedules, not reports with missing numbers
    assert parts["CS02_Truong_THCS_Ly_Thuong_Kiet_lich.xlsx"] == ("schedule",)
    assert [i.code for i in by_name["CS02_Truong_THCS_Ly_Thuong_Kiet_lich.xlsx"].issues] == []
    # round 2: numbers and narrative; a unit's report does not supersede its schedule sent before the week
    assert parts["CS01_Truong_THCS_Nguyen_Truong_To.xlsx"] == ("form", "narrative")
    assert by_name["CS01_Truong_THCS_Nguyen_Truong_To_lich.xlsx"].superseded_by is None
    # TH02 moved its activity in its report file: that schedule is newer, the round-1 file is superseded
    assert parts["TH02_Truong_Tieu_hoc_Kim_Lien.xlsx"] == ("form", "narrative", "schedule")
    old = by_name["TH02_Truong_Tieu_hoc_Kim_Lien_lich.xlsx"]
    assert old.superseded_by == "TH02_Truong_Tieu_hoc_Kim_Lien.xlsx"
    assert [i.message for i in old.issues] == [
        "TH02_Truong_Tieu_hoc_Kim_Lien_lich.xlsx: đơn vị TH02 đã gửi bản mới hơn "
        "(TH02_Truong_Tieu_hoc_Kim_Lien.xlsx); bản này không được dùng."]
    # a resubmitted report supersedes the first one
    assert by_name["P12_UBND_phuong_Phuong_Lien (lan 1).xlsx"].superseded_by == "P12_UBND_phuong_Phuong_Lien (lan 2).xlsx"
    # the compiled schedule: the seed's 16 activities, TH02's moved one in its new place
    table = [(e.tt, e.time_text, e.date_text, e.unit_code) for e in folder.schedule]
    assert table == [
        (1, "8h30", "30/09", "K01"), (2, "8h15", "01/10", "TH01"), (3, "8h30", "01/10", "P20"),
        (4, "8h30", "02/10", "MN01"), (5, "8h30", "02/10", "P18"), (6, "8h30", "02/10", "P21"),
        (7, "8h30", "02/10", "P11"), (8, "14h30", "02/10", "P19"), (9, "9h30", "03/10", "CS01"),
        (10, "14h00", "03/10", "TH02"), (11, "8h15", "04/10", "CS03"), (12, "8h15", "04/10", "TH03"),
        (13, "8h30", "04/10", "MN02"), (14, "8h30", "04/10", "CS02"), (15, "14h30", "04/10", "P16"),
        (16, "8h30", "07/10", "MN03"),
    ]
    assert folder.schedule[9].content == "Hoạt động trải nghiệm của học sinh khối 5 (dời lịch)"
    assert folder.schedule[9].place == "Sân trường"
    # the narrative: every reporting unit's text under each heading, in the unit list's order
    reporting = [u.name for u in units if any(f.startswith(u.code + "_") and "form" in parts.get(f, ())
                                              for f in parts)]
    assert [name for name, _ in folder.narrative["I.1"]] == reporting
    assert len(reporting) == 25


def test_real_excel_times_and_dates_in_a_retyped_schedule(dong_da):
    campaign, _form, units = dong_da
    wb = Workbook()
    ws = wb.active
    ws.append(["STT", "Thời gian", "Ngày tháng", "Đơn vị tổ chức", "Nội dung hoạt động", "Địa điểm"])
    ws.append([1, dt.time(8, 30), dt.datetime(2024, 10, 2), "MN Láng Thượng", "Ngày hội sách", "Sân trường"])
    ws.append([2, 0.6041666666666666, 45568, "Tiểu học Kim Liên", "Trải nghiệm", None])
    ws["B3"].number_format, ws["C3"].number_format = "h:mm", "dd/mm/yyyy"
    res = schedule.read_schedule(sheets_of_workbook(wb), ReadContext("lich.xlsx", campaign, units=units))
    assert res.issues == []
    assert [(a.unit_code, a.date, a.time, a.content, a.place) for a in res.rows] == [
        ("MN01", dt.date(2024, 10, 2), dt.time(8, 30), "Ngày hội sách", "Sân trường"),
        ("TH02", dt.date(2024, 10, 3), dt.time(14, 30), "Trải nghiệm", ""),
    ]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.floats(allow_nan=True), st.integers(), st.none(), st.booleans(),
                 st.datetimes(), st.dates(), st.times(), st.timedeltas()))
def test_time_and_date_parsing_never_raise(value):
    t = parse_time(value)
    d = parse_date(value, 2024)
    assert t is None or isinstance(t, dt.time)
    assert d is None or isinstance(d, dt.date)


class _Grid:
    """A reader.Sheet-like grid for property tests."""

    def __init__(self, rows):
        self.name, self.rows, self.hidden = "S", rows, False

    def address(self, r: int, c: int) -> str:
        return f"{chr(65 + c % 26)}{r + 1}"


_cell = st.one_of(st.none(), st.text(max_size=30), st.floats(allow_nan=True), st.integers(-10, 100000),
                  st.dates(), st.times(), st.sampled_from(["Giờ", "Ngày", "Nội dung", "Đơn vị", "TT", "8h30",
                                                           "02/10", "30/9", "1. Khó khăn, tồn tại",
                                                           "2. Kiến nghị, đề xuất", "II. ĐÁNH GIÁ CHUNG"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cell, max_size=6), max_size=12))
def test_reading_any_grid_never_raises(rows):
    from consolidate.campaign import load_campaign

    campaign = load_campaign(DONG_DA / "campaign.toml")
    ctx = ReadContext("x.xlsx", campaign)
    res = schedule.read_schedule([_Grid(rows)], ctx)
    assert all(isinstance(a, schedule.Activity) for a in res.rows)
    assert all(campaign.window[0] <= a.date <= campaign.window[1] for a in res.rows)
    narr = narrative.read_narrative([_Grid(rows)], ctx)
    assert all(isinstance(v, str) and v for v in narr.sections.values())


def test_a_retyped_district_schedule_without_a_unit_counts_for_the_units_it_names(dong_da, tmp_path):
    from consolidate.reader import read_folder

    campaign, form, units = dong_da
    shutil.copy(RETYPED, tmp_path / RETYPED.name)
    files = read_folder(tmp_path, form, campaign, units)
    folder = split.split_parts(files, campaign, units)
    assert folder.parts == {RETYPED.name: ("schedule",)}
    assert [i.code for i in files[0].issues] == ["unit-unknown", "schedule-opening-differs",
                                                 "schedule-tt-repeated"]  # no form-not-found
    assert [(e.tt, e.time_text, e.date_text, e.unit_code) for e in folder.schedule] == EXPECTED


_header_cell = st.one_of(_cell, st.booleans(), st.just(""), st.sampled_from(
    ["NGÀY", "Ngày tháng", "Nội dung hoạt động", "stt", "Thời gian", "Địa điểm", "Tên đơn vị", "Ngày\u00a0", 1.0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_header_cell, max_size=6), max_size=45))
def test_header_found_by_set_operations_is_the_one_found_row_by_row(rows):
    # find_header rules rows out by the set of the sheet's values; reading every row must agree
    grid = _Grid(rows)
    assert schedule.find_header(grid) == schedule._header_row(rows[:schedule.HEADER_SCAN_ROWS], None)


def test_rows_without_time_date_or_content_are_passed_over_short_rows_too(dong_da):
    campaign, _form, units = dong_da
    rows = [["TT", "Giờ", "Ngày", "Nội dung", "Địa điểm", "Đơn vị"],
            [1.0, "", "", "", "", ""], [2.0, "", "", "", "Sân", "UBND"], [3.0, None, "", None, "", ""], [4.0],
            [5.0, "8h30", "", "", "", ""], [6.0, "", False, "", "", ""], [7.0, 0.0, "", ""]]
    res = schedule.read_schedule([_Grid(rows)], ReadContext("x.xlsx", campaign, units=units))
    assert res.rows == []
    assert [(i.code, i.cell) for i in res.issues if i.code != "schedule-no-content"] == [
        ("schedule-no-date", "C6"), ("schedule-bad-date", "C7"), ("schedule-no-date", "C8")]
    assert len([i for i in res.issues if i.code == "schedule-no-content"]) == 3


@pytest.mark.parametrize("when, start, content, expected", [
    (dt.date(2024, 9, 30), dt.time(8, 30), "Khai mạc Tuần lễ", ("8h30 ngày 30/09", "14h00 ngày 30/09/2024")),
    (dt.date(2024, 10, 1), dt.time(14, 0), "Lễ phát động Tuần lễ", ("14h00 ngày 01/10", "14h00 ngày 30/09/2024")),
    (dt.date(2024, 10, 1), None, "LỄ KHAI MẠC", ("ngày 01/10", "14h00 ngày 30/09/2024")),
    (dt.date(2024, 9, 30), dt.time(14, 0), "Khai mạc Tuần lễ", None),  # as planned
    (dt.date(2024, 9, 30), None, "Khai mạc Tuần lễ", None),  # no hour written: the day agrees
    (dt.date(2024, 9, 30), dt.time(8, 30), "Hội sách thiếu nhi", None),  # not the opening
])
def test_an_opening_entry_is_checked_against_the_campaign(dong_da, when, start, content, expected):
    campaign = dong_da[0]
    assert (campaign.opening, campaign.opening_time) == (dt.date(2024, 9, 30), dt.time(14, 0))
    assert schedule.opening_differs(campaign, when, start, content) == expected


def test_an_opening_hour_only_on_the_day_is_checked_when_the_campaign_gives_one(dong_da):
    from dataclasses import replace

    campaign = replace(dong_da[0], opening_time=None)
    assert schedule.opening_differs(campaign, dt.date(2024, 9, 30), dt.time(8, 30), "Khai mạc") is None
    assert schedule.opening_differs(campaign, dt.date(2024, 10, 2), dt.time(8, 30), "Khai mạc") == (
        "8h30 ngày 02/10", "ngày 30/09/2024")
