"""Reading returned workbooks as they really arrive: openpyxl, xlsxwriter and LibreOffice files, the seed
retyped, moved and renamed forms, Vietnamese numbers, identity, bad files, two submissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consolidate.identity import claims
from consolidate import reader
from consolidate.reader import (LabelMatcher, ReadFile, Sheet, column_letters, match_units, read_file,
                                read_folder, records_frame)
from consolidate.results import TABLE_COLUMNS
from test_sniff import _num, _row, _with_part, _xlsb_sheet

FILES = Path(__file__).parent / "files" / "reader"
GOOD, IDENT, BAD = FILES / "good", FILES / "identity", FILES / "bad"
SEED_FILE = "Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx"


def _read(path: Path, form, campaign, units, rel: str | None = None) -> ReadFile:
    return read_file(path, rel or path.name, form, campaign, units)


def _values(rf: ReadFile) -> dict[str, dict[str, object]]:
    """Filled values per indicator, with the cells they came from."""
    out: dict[str, dict[str, object]] = {}
    for rec in rf.records:
        got = {k: v for k, v in rec.items()
               if k in ("count", "people", "amount", "text", "note", "cell_count", "cell_people", "cell_amount",
                        "cell_text", "cell_note") and v is not None and not (isinstance(v, float) and math.isnan(v))}
        if got:
            out[rec["indicator"]] = got
    return out


def _codes(rf: ReadFile) -> list[str]:
    return [i.code for i in rf.issues]


TEMPLATE_VALUES = {
    "1": {"count": 8.0, "cell_count": "D8"},
    "1.0": {"people": 248.0, "cell_people": "E9"},
    "1.7": {"count": 6.0, "people": 210.0, "cell_count": "D16", "cell_people": "E16"},
    "1.9": {"count": 2.0, "people": 38.0, "cell_count": "D18", "cell_people": "E18"},
    "2": {"count": 3.0, "cell_count": "D23"},
    "3": {"count": 5.0, "cell_count": "D24"},
    "4.1": {"count": 12.0, "cell_count": "D26"},
    "4.2": {"count": 340.0, "cell_count": "D27"},
    "5": {"count": 4.0, "cell_count": "D28"},
    "5.1": {"count": 1.0, "cell_count": "D29"},
    "5.2": {"count": 1.0, "cell_count": "D30"},
    "5.4": {"count": 2.0, "people": 120.0, "cell_count": "D32", "cell_people": "E32"},
    "6": {"count": 2.0, "cell_count": "D35"},
    "6.1": {"count": 1.0, "people": 150.0, "cell_count": "D36", "cell_people": "E36"},
    "6.2": {"count": 1.0, "people": 95.0, "cell_count": "D37", "cell_people": "E37"},
    "7.1": {"count": 1.0, "cell_count": "D40"},
    "9.2": {"count": 3.0, "cell_count": "D44"},
    "10.1": {"amount": 2_000_000.0, "cell_amount": "D46"},
    "11": {"text": "Tổ chức ngày hội đọc sách cho học sinh", "cell_text": "D48"},
}


# ------------------------------------------------------------------------------ three writers, formats

@pytest.mark.parametrize("name", ["template_openpyxl.xlsx", "template_lo.xlsx", "template_lo.xls",
                                  "template_lo.ods", "xls_renamed.xlsx", "template_macro.xlsm"])
def test_the_same_form_from_every_writer_and_format_reads_the_same(name, form, campaign, units) -> None:
    rf = _read(GOOD / name, form, campaign, units)
    assert (rf.kind, rf.unit, rf.identity_source, rf.form_found, rf.form_sheet) == (
        "report", "MN01", "identity", True, "Biểu tổng hợp")
    assert rf.issues == []
    assert len(rf.records) == len(form.value_rows) == 37
    assert _values(rf) == TEMPLATE_VALUES
    assert rf.saved_at == dt.datetime(2021, 10, 12, 9, 30)  # the identity sheet's, not the file's mtime
    assert rf.identity is not None and rf.identity.year == 2021
    assert [(s.name, s.hidden) for s in rf.sheets] == [("Biểu tổng hợp", False), ("_dinh_danh", True)]
    assert all(rec["unit"] == "MN01" and rec["file"] == name for rec in rf.records)


def test_the_seed_retyped_by_a_unit_without_the_template(form, campaign, units) -> None:
    """xlsxwriter; the seed's own labels with its typos and its row 5 wrapped over two rows; values as
    text the way people type them; the unit from the "Đơn vị báo cáo:" line."""
    rf = _read(GOOD / SEED_FILE, form, campaign, units)
    assert (rf.unit, rf.identity_source, rf.identity) == ("X05", "title", None)
    assert [i.message for i in rf.issues] == [
        f"{SEED_FILE}: đơn vị X05 được xác định theo dòng \"Đơn vị báo cáo\" (ô A1)."]
    assert _values(rf) == {
        "1": {"count": 3.0, "cell_count": "D8"},  # "3 lớp"
        "1.0": {"people": 95.0, "cell_people": "E9"},  # "95 người"
        "1.5": {"count": 1.0, "people": 35.0, "cell_count": "D14", "cell_people": "E14"},
        "1.8": {"count": 2.0, "people": 60.0, "cell_count": "D17", "cell_people": "E17"},
        "2": {"count": 2.0, "cell_count": "D23"},
        "3": {"count": 1200.0, "cell_count": "D24"},  # "1.200"
        "4.1": {"count": 4.0, "cell_count": "D26"},
        "4.2": {"count": 85.0, "cell_count": "D27"},
        "5": {"count": 2.0, "cell_count": "D28"},  # "Tổ chức các thi, …" wrapped, an empty row between
        "5.2": {"count": 1.0, "cell_count": "D32"},  # "Trung bày"
        "5.6": {"count": 1.0, "people": 40.0, "cell_count": "D36", "cell_people": "E36"},
        "6": {"count": 1.0, "cell_count": "D37"},
        "6.1": {"count": 1.0, "people": 120.0, "cell_count": "D38", "cell_people": "E38"},
        "10.1": {"amount": 2_500_000.0, "cell_amount": "D48"},  # "2,5 triệu"
        "10.2": {"amount": 1_500_000.0, "cell_amount": "E49"},  # "1.500.000 đ" typed in the Người column
    }
    assert rf.received_at is not None and rf.saved_at == rf.received_at  # no identity sheet: the mtime


def test_a_moved_renamed_nfd_form_with_inserted_rows(form, campaign, units) -> None:
    """Header at C12 of a sheet named "Bao cao", NFD (Mac) and accent-less labels, a numbered label,
    no "Ghi chú" column, an empty and an added row; numbers as text."""
    rf = _read(GOOD / "moved_nfd.xlsx", form, campaign, units)
    assert (rf.unit, rf.identity_source, rf.form_sheet) == ("TH02", "title", "Bao cao")
    assert _values(rf) == {
        "1.7": {"count": 6.0, "people": 210.0, "cell_count": "F21", "cell_people": "G21"},
        "1.9": {"count": 2.0, "people": 38.0, "cell_count": "F23", "cell_people": "G23"},
        "2": {"count": 1200.0, "cell_count": "F28"},  # "1 200"
        "3": {"count": 7.0, "cell_count": "G29"},  # typed in the Người column of a one-measure row
        "6.1": {"count": 1.0, "people": 150.0, "cell_count": "F43", "cell_people": "G43"},  # "150 người"
        "10.1": {"amount": 1_200_000.0, "cell_amount": "F49"},  # "1.200.000đ"
    }
    assert [i.message for i in rf.issues] == [
        "moved_nfd.xlsx: đơn vị TH02 được xác định theo dòng \"Đơn vị báo cáo\" (ô C2).",
        "moved_nfd.xlsx, trang Bao cao, ô D31: hàng \"Hoạt động do trường tự thêm\" không có trong biểu mẫu, "
        "số liệu của hàng này không được tính.",
        "moved_nfd.xlsx, trang Bao cao: không thấy hàng 8 \"Tổ chức hội thảo/sinh hoạt chuyên đề\"; coi như để trống.",
        "moved_nfd.xlsx, trang Bao cao: không thấy hàng 9.1 \"Tập thể\"; coi như để trống.",
        "moved_nfd.xlsx, trang Bao cao: không thấy hàng 9.2 \"Cá nhân\"; coi như để trống.",
    ]


def test_values_that_must_become_issues(form, campaign, units) -> None:
    rf = _read(GOOD / "problems.xlsx", form, campaign, units)
    f, s = "problems.xlsx", "problems.xlsx, trang Biểu tổng hợp"
    assert [(i.severity, i.code, i.message) for i in rf.issues] == [
        ("warning", "row-unknown", f"{s}, ô B60: hàng \"Hoạt động ngoại khóa khác\" không có trong biểu mẫu, "
                                   "số liệu của hàng này không được tính."),
        ("error", "value-unreadable", f"{s}, ô E18 (hàng 1.9, Người): không đọc được giá trị \"1.5\" thành số."),
        ("error", "value-conflict", f"{s}, hàng 2: cùng một số liệu được ghi hai lần khác nhau "
                                    "(3 ở ô D23 và 4 ở ô E23)."),
        ("error", "value-not-allowed", f"{s}, ô D25: hàng 4 không có số liệu \"Số lớp/số cuộc thi\" nhưng ô có "
                                       "giá trị \"5\"."),
        ("error", "value-unreadable", f"{s}, ô D27 (hàng 4.2, Số lớp/số cuộc thi): không đọc được giá trị "
                                      "\"mười\" thành số."),
        ("error", "value-unreadable", f"{s}, ô D29 (hàng 5.1, Số lớp/số cuộc thi): không đọc được giá trị "
                                      "\"nhiều\" thành số."),
        ("error", "value-unreadable", f"{s}, ô D30 (hàng 5.2, Số lớp/số cuộc thi): không đọc được giá trị "
                                      "\"x\" thành số."),
        ("error", "formula-no-value", f"{s}, ô D40 (hàng 7.1): ô có công thức nhưng tệp không lưu kết quả; "
                                      "hãy mở tệp bằng Excel, lưu lại và gửi lại."),
        ("error", "value-not-whole", f"{s}, ô D44 (hàng 9.2, Số lớp/số cuộc thi): \"2,5\" không phải số nguyên; "
                                     "cần một số nguyên không âm."),
        ("warning", "text-too-long", f"{s}, ô D48: nội dung dài 32.767 ký tự, vượt giới hạn 32.767 ký tự của "
                                     "Excel; phần thừa bị cắt khi tổng hợp."),
        ("error", "row-duplicate", f"{s}, ô B61: hàng 6.1 xuất hiện lần thứ hai (lần đầu ở ô B36)."),
        ("warning", "row-missing", f"{s}: không thấy hàng 8 \"Tổ chức hội thảo/sinh hoạt chuyên đề\"; "
                                   "coi như để trống."),
    ]
    assert all(i.file == f and i.unit == "CS02" for i in rf.issues)
    values = _values(rf)
    # the uncached total (=SUM) is left blank without an issue: the schema computes it from its parts
    assert "1" not in values and "7.1" not in values
    assert values["1.0"] == {"people": 248.0, "cell_people": "D9"}  # people typed in the count column
    assert values["3"] == {"count": 12.0, "cell_count": "D24"}  # typed twice, the same number
    assert values["9.1"]["count"] == -1.0  # for the schema to report
    assert "count" not in values.get("9.2", {})  # "2,5" typed as text: reported as written, never read as 2.5
    assert values["10.1"]["amount"] == 2_500_000.0
    assert values["2"]["note"] == "=HYPERLINK(\"http://vi-du.example\",\"bấm\")"  # text, never a formula
    assert values["11"]["text"].startswith("Nội dung đảo chiều xxx")  # bidi override stripped
    assert "1.9" in values and "people" not in values["1.9"]  # unreadable is blank, never 0


def test_formulas_count_by_their_cached_value(form, campaign, units) -> None:
    """The same workbook saved by LibreOffice: every formula now stores its result."""
    rf = _read(GOOD / "problems_lo.ods", form, campaign, units)
    values = _values(rf)
    assert values["1"] == {"count": 8.0, "cell_count": "D8"}
    assert values["7.1"] == {"count": 1.0, "cell_count": "D40"}
    assert "formula-no-value" not in _codes(rf)


def test_a_real_generated_template_filled_by_openpyxl(tmp_path, form, campaign, units) -> None:
    from consolidate.templates import make_templates

    made = make_templates(campaign, form, units, tmp_path / "mau", now=dt.datetime(2021, 9, 20, 8, 0))
    src = next(p for p in made.files if p.name.startswith("TH02_"))
    blank = _read(src, form, campaign, units)
    assert (blank.unit, blank.identity_source, blank.issues, _values(blank)) == ("TH02", "identity", [], {})
    wb = openpyxl.load_workbook(src)
    ws = wb[form.sheet]
    header = next((c.row, c.column) for row in ws.iter_rows(max_row=30) for c in row if c.value == "Các hoạt động")
    cols = {str(c.value).strip(): c.column for r in (header[0], header[0] + 1) for c in ws[r] if c.value}
    rows = {ws.cell(r, header[1]).value: r for r in range(header[0] + 2, header[0] + 60)}
    ws.cell(rows[form.row("1.7").label], cols["Số lớp/số cuộc thi"], 4)
    ws.cell(rows[form.row("1.7").label], cols["Người"], 130)
    ws.cell(rows[form.row("10.1").label], cols["Số lớp/số cuộc thi"], 1_500_000)
    ws.cell(rows[form.row("2").label], cols["Ghi chú"], "Đăng trên trang của trường")
    ident = wb["_dinh_danh"]
    for row in ident.iter_rows():
        if row[0].value == "saved_at":
            row[1].value = dt.datetime(2021, 10, 9, 10, 0)
    filled = tmp_path / "TH02_filled.xlsx"
    wb.save(filled)
    rf = _read(filled, form, campaign, units)
    assert (rf.unit, rf.identity_source, rf.saved_at) == ("TH02", "identity", dt.datetime(2021, 10, 9, 10, 0))
    assert rf.issues == []
    got = _values(rf)
    assert {k: {m: v for m, v in d.items() if not m.startswith("cell_")} for k, d in got.items()} == {
        "1.7": {"count": 4.0, "people": 130.0}, "10.1": {"amount": 1_500_000.0},
        "2": {"note": "Đăng trên trang của trường"}}


# ------------------------------------------------------------------------------------------ identity

@pytest.mark.parametrize(("name", "unit", "code", "message"), [
    ("wrong_year.xlsx", "MN02", "wrong-year", "wrong_year.xlsx: biểu của năm 2020, không phải năm 2021 của đợt báo cáo này."),
    ("wrong_form.xlsx", "MN02", "wrong-form", "wrong_form.xlsx: đây là biểu \"bieu-khac\", không phải biểu "
                                             "\"tlhtsd-bieu-tong-hop\"."),
    # the hidden sheet and the "Đơn vị báo cáo" line disagree: booked under neither until the clerk says
    ("mismatch.xlsx", None, "unit-unconfirmed",
     "mismatch.xlsx: cần xác nhận đơn vị gửi — các dấu hiệu không khớp nhau: trang ẩn _dinh_danh của biểu mẫu"
     ": \"MN01\" → MN01; dòng \"Đơn vị báo cáo\" (ô A1): \"Trường Tiểu học Mường Giàng\" → "
     "TH01; tên tệp: \"mismatch.xlsx\" → không khớp đơn vị nào. Tệp chưa được tính cho đơn vị nào (MN01, TH01). "
     "Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], dòng \"mismatch.xlsx\" = \"MN01\" "
     "(thay mã cho đúng) rồi chạy lại."),
    ("unknown_code.xlsx", None, "unit-unknown",
     "unknown_code.xlsx: không xác định được đơn vị gửi báo cáo (mã đơn vị \"ZZ99\" trong tệp mẫu không có trong "
     "danh sách; không có dòng \"Đơn vị báo cáo:\" ghi tên đơn vị; tên tệp không chứa mã hay tên đơn vị). Hãy đổi "
     "tên tệp theo mã đơn vị hoặc ghi đúng dòng \"Đơn vị báo cáo:\"."),
])
def test_identity_problems(name, unit, code, message, form, campaign, units) -> None:
    rf = _read(IDENT / name, form, campaign, units)
    assert rf.unit == unit
    assert [(i.code, i.message) for i in rf.issues] == [(code, message)]
    assert len(rf.records) == 37  # values are still read, for the clerk to see


@pytest.mark.parametrize(("file_name", "unit"), [
    ("MN01.xlsx", "MN01"),
    ("MN01_Truong_Mam_non_Muong_Giang.xlsx", "MN01"),  # the templates' naming
    ("Bao cao TLHTSD - Truong Mam non Muong Giang.xls", "MN01"),
    ("truong tieu hoc muong giang.xlsx", "TH01"),
    ("UBND xa Chieng On.xlsx", "X02"),
    ("Truong PTDTBT Tieu hoc Chieng On.xlsx", "TH02"),
    ("MN02/bao cao.xlsx", "MN02"),  # a unit's folder
])
def test_unit_from_the_file_name(tmp_path, file_name, unit, form, campaign, units) -> None:
    target = tmp_path / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(GOOD / "seed_retyped_no_name.xlsx", target)
    rf = _read(target, form, campaign, units, rel=file_name)
    assert (rf.unit, rf.identity_source) == (unit, "filename")
    assert [i.message for i in rf.issues] == [f"{file_name}: đơn vị {unit} được xác định theo tên tệp."]


@pytest.mark.parametrize(("file_name", "code", "message"), [
    ("Chieng On.xlsx", "unit-unknown", None),  # a place name alone names no unit
    ("Muong Giang.xlsx", "unit-unknown", None),
    ("bao cao MN01 va TH01.xlsx", "unit-ambiguous",
     "bao cao MN01 va TH01.xlsx: tên tệp khớp với nhiều đơn vị (MN01, TH01); không tự đoán, tệp chưa được tính "
     "cho đơn vị nào. Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], dòng "
     "\"bao cao MN01 va TH01.xlsx\" = \"MN01\" (thay mã cho đúng) rồi chạy lại."),
])
def test_unit_never_guessed(tmp_path, file_name, code, message, form, campaign, units) -> None:
    target = tmp_path / file_name
    shutil.copy(GOOD / "seed_retyped_no_name.xlsx", target)
    rf = _read(target, form, campaign, units)
    assert rf.unit is None
    assert _codes(rf) == [code]
    if message:
        assert rf.issues[0].message == message


@pytest.mark.parametrize(("text", "expected"), [
    ("UBND xã Chiềng Ơn", ["X02"]),
    ("Trường PTDTBT Tiểu học Chiềng Ơn", ["TH02"]),
    ("Trường Tiểu học Chiềng Ơn", ["TH02"]),  # PTDTBT left out
    ("Trường Mầm non Mường Giàng", ["MN01"]),
    ("Trường Tiểu học Mường Giàng", ["TH01"]),
    ("TRUONG MN MUONG GIANG", ["MN01"]),
    ("xã Chiềng Khay", ["X05"]),
    ("Chiềng Ơn", []),
    ("Mường Giàng", []),
    ("Trường Mường Giàng", []),
    ("", []),
])
def test_unit_names_sharing_a_place_are_never_confused(text, expected, units) -> None:
    assert match_units(text, units) == expected


# --------------------------------------------------------------------------------------- row matching

@pytest.mark.parametrize(("label", "code"), [
    ("Trung bày, triển lãm sách báo, tư liệu", "5.2"),
    ("Tổ chức các thi, các buổi tọa đàm về khuyến đọc, khuyến học và xây dựng xã hội học tập", "5"),
    ("XOA MU CHU", "1.12"),
    ("Tập thể", "9.1"),
    ("Cá nhân", "9.2"),
    ("1.3. Bồi dưỡng nâng cao trình độ tin học cho cán bộ, công chức, viên chức (các cấp)", "1.3"),
    ("Bồi dưỡng nâng cao trình độ tin học", "1.3"),  # a unique beginning
    ("Bồi dưỡng nâng cao trình độ", None),  # the beginning of three rows: never a guess
    ("Hoạt động", None),
    ("Kinh phí hỗ trợ", "10.2"),  # a unique beginning of 12 letters
    ("Học nghề", None),  # too short to trust as a beginning
    ("Tổ chức", None),
])
def test_label_matching(label, code, form) -> None:
    assert LabelMatcher(form).match(label) == code


def test_sheet_addresses_are_true_excel_addresses() -> None:
    sheet = Sheet("x", [[1, 2], [3, 4]], first_row=4, first_col=2)
    assert [sheet.address(0, 0), sheet.address(1, 1)] == ["C5", "D6"]
    assert [column_letters(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]


# ------------------------------------------------------------------------------------------- folder

def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


EXPECTED_BAD = {  # file → (kind, issue codes, words of the Vietnamese reason)
    "anh_khai_mac.jpg": ("not_a_report", ["not-a-report"], "ảnh JPEG"),
    "bao_cao.pdf": ("not_a_report", ["not-a-report"], "tệp PDF"),
    "bzip2.xlsx": ("unreadable", ["unsafe-file"], "phương thức nén không hỗ trợ"),
    "comma_text.xls": ("unreadable", ["wrong-format"], "dấu phẩy (CSV)"),
    "cong_van.doc": ("not_a_report", ["not-a-report"], "văn bản Word (.doc)"),
    "cong_van.docx": ("not_a_report", ["not-a-report"], "văn bản Word (.docx)"),
    "doctype.xlsx": ("unreadable", ["unsafe-file"], "DOCTYPE/ENTITY"),
    "dotdot.xlsx": ("unreadable", ["unsafe-file"], "đường dẫn không an toàn"),
    "duplicate_members.xlsx": ("unreadable", ["unsafe-file"], "xuất hiện hai lần"),
    "empty.xlsx": ("unreadable", ["empty-file"], "tệp rỗng (0 byte)"),
    "encrypted.xlsx": ("unreadable", ["encrypted"], "đặt mật khẩu"),
    "far_corner.xlsx": ("report", ["sheet-too-large", "unit-unknown", "form-not-found"],
                        "1.048.576 hàng × 16.384 cột, vượt giới hạn an toàn"),
    "ghi_chu.txt": ("not_a_report", ["not-a-report"], "tệp văn bản"),
    # calamine must not open these (it would allocate from the far cell or the inverted DIMENSIONS and abort):
    # the kept reader (xlrd, odfpy) reads them by their cells, refusing only the oversized sheet
    "far_corner.xls": ("report", ["sheet-too-large", "unit-unknown", "form-not-found"], "65.536 hàng × 256 cột"),
    "xls_damaged.xls": ("unreadable", ["corrupt"], "cấu trúc bảng tính không đọc được: PanicException"),
    "many_sheets.xlsx": ("unreadable", ["too-many-sheets"], "250 trang"),
    "ods_repeat.ods": ("report", ["sheet-too-large", "unit-unknown", "form-not-found"], "100.000 hàng × 100 cột"),
    "spreadsheetml_2003.xls": ("unreadable", ["wrong-format"], "SpreadsheetML"),
    "string_count.xlsx": ("unreadable", ["unsafe-file"], "bảng chuỗi khai báo 4.000.000.000 chuỗi"),
    "truncated.xlsx": ("unreadable", ["corrupt"], "bị cắt cụt"),
    "web_page.xls": ("unreadable", ["wrong-format"], "trang web (HTML)"),
    "zip_bomb.xlsx": ("unreadable", ["unsafe-file"], "tỉ lệ bất thường"),
    "~$MN01_Truong_Mam_non_Muong_Giang.xlsx": ("not_a_report", ["lock-file"], "tệp khóa tạm"),
}


def test_a_folder_of_bad_files_and_good_ones(tmp_path, form, campaign, units) -> None:
    folder = tmp_path / "da_nhan"
    shutil.copytree(BAD, folder)
    (folder / "truong").mkdir()
    shutil.copy(GOOD / "template_openpyxl.xlsx", folder / "truong" / "MN01.xlsx")
    shutil.copy(GOOD / SEED_FILE, folder / SEED_FILE)
    before = _digest(folder)
    calls: list[tuple[int, int]] = []
    files = read_folder(folder, form, campaign, units, progress=lambda done, total: calls.append((done, total)))
    assert _digest(folder) == before  # inputs byte-identical after reading
    names = [f.file for f in files]
    assert names == sorted(before)  # every file, recursively, sorted, forward slashes
    assert calls == [(i, len(names)) for i in range(1, len(names) + 1)]
    by_name = {f.file: f for f in files}
    for name, (kind, codes, words) in EXPECTED_BAD.items():
        got = by_name[name]
        assert (got.kind, _codes(got)) == (kind, codes), name
        assert words in got.issues[0].message, name
        assert got.records == []
    # the run went on: the good files between the bad ones are read in full; the inverted DIMENSIONS
    # (which readers ignore) no longer costs the unit its return
    assert (by_name["xls_bad_dimensions.xls"].unit, len(by_name["xls_bad_dimensions.xls"].records)) == ("MN01", 37)
    assert (by_name["truong/MN01.xlsx"].unit, len(by_name["truong/MN01.xlsx"].records)) == ("MN01", 37)
    assert by_name[SEED_FILE].unit == "X05" and by_name[SEED_FILE].records


def test_one_failing_file_never_stops_the_batch(tmp_path, monkeypatch, form, campaign, units) -> None:
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        shutil.copy(GOOD / "template_openpyxl.xlsx", tmp_path / name)
    real = reader.read_file

    def flaky(path, rel, *args):
        if rel == "b.xlsx":
            raise RuntimeError("lỗi giả lập")
        return real(path, rel, *args)

    monkeypatch.setattr(reader, "read_file", flaky)
    files = read_folder(tmp_path, form, campaign, units)
    assert [(f.file, f.kind) for f in files] == [("a.xlsx", "report"), ("b.xlsx", "unreadable"), ("c.xlsx", "report")]
    assert [i.message for i in files[1].issues] == [
        "b.xlsx: không đọc được tệp (lỗi khi đọc: RuntimeError: lỗi giả lập)."]


def test_two_submissions_from_one_unit_the_newest_is_used(tmp_path, form, campaign, units) -> None:
    shutil.copy(IDENT / "lan_1.xlsx", tmp_path / "lan_1.xlsx")
    shutil.copy(IDENT / "lan_2_da_sua.xlsx", tmp_path / "lan_2_da_sua.xlsx")  # saved earlier, despite its name
    files = {f.file: f for f in read_folder(tmp_path, form, campaign, units)}
    assert files["lan_1.xlsx"].superseded_by is None
    assert files["lan_2_da_sua.xlsx"].superseded_by == "lan_1.xlsx"
    assert [(i.severity, i.code, i.message) for i in files["lan_2_da_sua.xlsx"].issues] == [
        ("info", "superseded", "lan_2_da_sua.xlsx: đơn vị TH03 đã gửi bản mới hơn (lan_1.xlsx); bản này không được dùng.")]


def test_without_identity_the_newest_by_modification_time(tmp_path, form, campaign, units) -> None:
    import os

    for name, when in (("X05 lan dau.xlsx", 1_633_000_000), ("X05 sua lai.xlsx", 1_633_900_000)):
        shutil.copy(GOOD / SEED_FILE, tmp_path / name)
        os.utime(tmp_path / name, (when, when))
    files = {f.file: f for f in read_folder(tmp_path, form, campaign, units)}
    assert files["X05 lan dau.xlsx"].superseded_by == "X05 sua lai.xlsx"
    assert files["X05 sua lai.xlsx"].superseded_by is None
    assert files["X05 sua lai.xlsx"].saved_at == dt.datetime.fromtimestamp(1_633_900_000)


def test_records_frame_is_the_long_table(form, campaign, units) -> None:
    files = [_read(GOOD / "template_openpyxl.xlsx", form, campaign, units),
             _read(GOOD / SEED_FILE, form, campaign, units)]
    frame = records_frame(files)
    assert list(frame.columns) == TABLE_COLUMNS
    assert len(frame) == 74
    assert {str(frame[c].dtype) for c in ("count", "people", "amount")} == {"float64"}
    row = frame[(frame.unit == "X05") & (frame.indicator == "10.2")].iloc[0]
    assert (row["amount"], row["cell_amount"], row["sheet"]) == (1_500_000.0, "E49", "Sheet1")
    blank = frame[(frame.unit == "MN01") & (frame.indicator == "1.1")].iloc[0]
    assert math.isnan(blank["count"]) and blank["cell_count"] is None and blank["note"] is None
    empty = records_frame([])
    assert list(empty.columns) == TABLE_COLUMNS and len(empty) == 0


# ---------------------------------------------------------------------------------------------- fuzz

SEEDS = {name: (GOOD / name).read_bytes() for name in ("template_openpyxl.xlsx", "template_lo.xls",
                                                        "template_lo.ods", SEED_FILE)}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SEEDS)), seed=st.integers(min_value=0, max_value=2**32 - 1),
       how=st.sampled_from(["flip", "truncate", "splice", "zero"]))
def test_mutated_bytes_only_ever_give_a_readfile(name, seed, how, form, campaign, units) -> None:
    data = bytearray(SEEDS[name])
    rnd = random.Random(seed)
    if how == "flip":
        for _ in range(rnd.randint(1, 20)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    elif how == "truncate":
        data = data[: rnd.randrange(len(data))]
    elif how == "splice":
        at = rnd.randrange(len(data))
        data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 200)))
    else:
        at = rnd.randrange(len(data))
        data[at:at + rnd.randint(1, 4000)] = b"\x00" * 64
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(bytes(data))
        rf = read_file(path, name, form, campaign, units)  # unguarded: no exception may escape
    assert isinstance(rf, ReadFile)
    assert rf.kind in ("report", "not_a_report", "unreadable")
    assert rf.kind == "report" or rf.issues


def test_the_run_stops_without_defusedxml(tmp_path, monkeypatch, form, campaign, units) -> None:
    from consolidate.issues import RunError

    monkeypatch.setattr(reader, "check_defusedxml", lambda: False)
    reader.ensure_safe_xml.cache_clear()
    try:
        with pytest.raises(RunError, match="Thiếu thư viện defusedxml"):
            read_folder(tmp_path, form, campaign, units)
    finally:
        reader.ensure_safe_xml.cache_clear()


def test_an_unknown_template_code_resolved_by_the_file_name_is_said(tmp_path, form, campaign, units) -> None:
    target = tmp_path / "MN03_Truong_Mam_non_Chieng_Khoang.xlsx"
    shutil.copy(IDENT / "unknown_code.xlsx", target)
    rf = _read(target, form, campaign, units)
    assert (rf.unit, rf.identity_source) == ("MN03", "filename")
    assert [(i.code, i.message) for i in rf.issues] == [
        ("identity-source", f"{target.name}: đơn vị MN03 được xác định theo tên tệp."),
        ("unit-mismatch", f"{target.name}: mã đơn vị \"ZZ99\" trong tệp mẫu không có trong danh sách; dùng đơn vị "
                          "MN03 theo tên tệp."),
    ]


def test_a_parser_panic_is_an_issue_and_stays_off_the_terminal(capfd, form, campaign, units) -> None:
    rf = _read(BAD / "xls_damaged.xls", form, campaign, units)
    assert (rf.kind, _codes(rf)) == ("unreadable", ["corrupt"])
    assert rf.issues[0].message.startswith(
        "xls_damaged.xls: tệp bị hỏng hoặc chưa tải về đủ (cấu trúc bảng tính không đọc được: PanicException: ")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_file_that_cannot_be_opened(tmp_path, form, campaign, units) -> None:
    rf = _read(tmp_path / "MN01.xlsx", form, campaign, units)  # removed between listing and reading
    assert (rf.kind, [i.message for i in rf.issues]) == ("unreadable", [
        "MN01.xlsx: không mở được tệp (tệp không còn trong thư mục); có thể tệp đang được mở hoặc đang chép dở."])


def test_a_broken_file_named_for_a_unit_says_whose_it_is(tmp_path, form, campaign, units) -> None:
    target = tmp_path / "MN01_Truong_Mam_non_Muong_Giang.xlsx"
    shutil.copy(BAD / "truncated.xlsx", target)
    rf = _read(target, form, campaign, units)
    assert (rf.kind, rf.unit, rf.identity_source, _codes(rf), rf.records) == (
        "unreadable", "MN01", "filename", ["corrupt"], [])


@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=2, max_value=8))
def test_pool_tasks_keep_file_order_and_shrink_toward_the_end(n_files, workers):
    items = [(i, f"f{i}.xlsx", f"f{i}.xlsx") for i in range(n_files)]
    tasks = reader._chunks(items, workers)
    assert [item for task in tasks for item in task] == items
    sizes = [len(task) for task in tasks]
    assert all(1 <= s <= reader.POOL_CHUNK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    # the last task a worker may still be reading while the others wait is a single file
    assert sizes[-1] == 1


# ------------------------------------------------------------------------- every format a unit sends

FORMATS = Path(__file__).parent / "files" / "formats"  # see tests/files/formats/make_fixtures.py


@pytest.mark.parametrize("name", [
    "template_07_lo.xls",  # the project's template saved by LibreOffice with Excel's 0.7" margins
    "template_07_lo.xlsx",
    "template_07_lo.ods",
    "form_control.xlsx",  # <xdr:row> of form-control anchors are not sheet rows
    "no_cell_refs.xlsx",  # cells placed in sequence
    "rows_1048576.xlsx",  # styled empty rows down to 1,048,576 are not in the used range
    "workbook_renamed.xlsx",  # the workbook part found through _rels/.rels (calamine fails: openpyxl reads it)
    "backslash_names.xlsx",  # "xl\\Worksheets\\sheet1.xml" as Windows zippers write it
    "whitespace.ods",  # whitespace between row and cell elements (calamine fails: odfpy reads it)
    "margins_lo.xls",  # "Hướng dẫn" protected with 0.6" margins (RIGHTMARGIN once read as a 13,108² grid)
    "short_sector_lo.xls",  # the last sector 256 bytes long
    "encrypted_default_lo.xls",  # LibreOffice's save with Excel's default key "VelvetSweatshop": decrypted
    "macro_lo.ods",  # a Basic module, whose XML names an external DTD
    "template_pyxlsbwriter.xlsb",  # the filled return as an Excel binary workbook (pyxlsbwriter)
])
def test_every_format_of_the_filled_template_is_read(name: str, form, campaign, units) -> None:
    got = read_file(FORMATS / name, name, form, campaign, units)
    assert (got.kind, got.unit, got.form_found, len(got.records)) == ("report", "X01", True, 37)
    assert [i.code for i in got.issues if i.severity != "info"] == []


def test_real_writer_shapes_keep_every_sheet_and_the_input_unchanged() -> None:
    for name in ("margins_lo.xls", "short_sector_lo.xls", "encrypted_default_lo.xls", "macro_lo.ods"):
        before = hashlib.sha256((FORMATS / name).read_bytes()).hexdigest()
        sheets, kind, issues = reader.open_sheets(FORMATS / name, name)
        assert (kind, issues) == ("report", []), name
        assert [s.name for s in sheets] == ["Biểu tổng hợp", "Hướng dẫn", "_dinh_danh"], name
        assert hashlib.sha256((FORMATS / name).read_bytes()).hexdigest() == before
    # the protected guide sheet with 0.6" margins is read whole, as the same sheet saved with default margins
    guide = {name: next(s for s in reader.open_sheets(FORMATS / name, name)[0] if s.name == "Hướng dẫn")
             for name in ("margins_lo.xls", "template_07_lo.xls")}
    assert guide["margins_lo.xls"].rows == guide["template_07_lo.xls"].rows != []
    # the short last sector is read by the kept .xls reader too
    kept, issues = reader._FALLBACKS["xls"]((FORMATS / "short_sector_lo.xls").read_bytes(), "a.xls", {}, None)
    assert (issues, [s.name for s in kept]) == ([], ["Biểu tổng hợp", "Hướng dẫn", "_dinh_danh"])
    assert len((FORMATS / "short_sector_lo.xls").read_bytes()) % 512 == 256


def test_an_xls_saved_with_a_real_password_is_refused_with_what_to_do(form, campaign, units) -> None:
    got = read_file(FORMATS / "encrypted_lo.xls", "encrypted_lo.xls", form, campaign, units)
    assert (got.kind, [i.message for i in got.issues]) == ("unreadable", [
        "encrypted_lo.xls: tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp → Thông tin → "
        "Bảo vệ sổ làm việc) và gửi lại."])


@pytest.mark.parametrize("suffix", ["xls", "xlsx", "ods"])
def test_libreoffice_default_page_style_is_read(suffix: str) -> None:
    sheets, kind, issues = reader.open_sheets(FORMATS / f"default_page_lo.{suffix}", f"default_page_lo.{suffix}")
    assert (kind, issues) == ("report", [])
    assert sheets[0].rows == [["Đơn vị", "Số lượng"], ["Trường Mầm non Mường Giàng", 12.0],
                              ["Trường Tiểu học Chiềng On", 7.0]]


@pytest.mark.parametrize(("name", "message"), [
    ("biff4.xls", "biff4.xls: bảng tính Excel 4.0 trở về trước: đề nghị lưu lại dạng .xlsx (mở bằng Excel hoặc "
                  "LibreOffice, chọn Lưu thành… → Sổ làm việc Excel .xlsx) rồi gửi lại."),
    ("flat_lo.fods", "flat_lo.fods: bảng tính OpenDocument dạng XML phẳng (.fods): đề nghị lưu lại dạng .xlsx (mở "
                     "bằng Excel hoặc LibreOffice, chọn Lưu thành… → Sổ làm việc Excel .xlsx) rồi gửi lại."),
])
def test_spreadsheets_we_do_not_read_are_named_with_what_to_do(name: str, message: str) -> None:
    sheets, kind, issues = reader.open_sheets(FORMATS / name, name)
    assert (sheets, kind, [i.message for i in issues]) == (None, "unreadable", [message])


def test_an_excel_binary_workbook_is_read_with_its_values() -> None:
    """excel_base.xlsb, written by Excel 16 (python-calamine's test data): the values its own test expects."""
    sheets, kind, issues = reader.open_sheets(FORMATS / "excel_base.xlsb", "excel_base.xlsb")
    assert (kind, issues) == ("report", [])
    assert [(s.name, s.hidden, s.first_row, s.first_col) for s in sheets] == [
        ("Sheet1", False, 1, 0), ("Sheet2", False, 0, 0), ("Sheet3", False, 1, 1), ("Merged Cells", False, 0, 0)]
    assert sheets[0].rows == [["String", 1.0, 1.1, True, False, dt.date(2010, 10, 10),
                               dt.datetime(2010, 10, 10, 10, 10, 10), dt.time(10, 10, 10),
                               dt.timedelta(hours=10, minutes=10, seconds=10, microseconds=100000),
                               dt.timedelta(hours=255, minutes=10, seconds=10)]]
    assert sheets[0].address(0, 0) == "A2"
    assert sheets[2].rows == [["line1"] * 3, ["line2"] * 3, ["line3"] * 3]
    assert sheets[2].address(2, 2) == "D4"
    assert sheets[1].rows == sheets[3].rows == []


def test_an_xlsb_keeps_hidden_sheets_and_skips_its_chart_sheet() -> None:
    sheets, kind, issues = reader.open_sheets(FORMATS / "excel_sheet_kinds.xlsb", "excel_sheet_kinds.xlsb")
    assert (kind, issues) == ("report", [])
    assert [(s.name, s.hidden) for s in sheets] == [("Visible", False), ("Hidden", True), ("VeryHidden", True)]
    assert sheets[0].rows[:3] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def test_xlsb_rows_out_of_order_are_read_where_they_stand(tmp_path) -> None:
    sheet = _xlsb_sheet(_row(4), _num(0, 1.0), _row(1), _num(1, 2.0), dims=(0, 0, 0, 0))
    target = tmp_path / "back.xlsb"
    target.write_bytes(_with_part((FORMATS / "excel_base.xlsb").read_bytes(), "xl/worksheets/sheet1.bin", sheet))
    sheets, kind, issues = reader.open_sheets(target, "back.xlsb")
    assert (kind, issues) == ("report", [])
    assert (sheets[0].address(0, 0), sheets[0].rows) == ("A2", [["", 2.0], ["", ""], ["", ""], [1.0, ""]])


def test_an_xlsb_sheet_too_large_is_skipped_and_the_others_read(tmp_path) -> None:
    far = _xlsb_sheet(_row(0), _num(0, 1.0), _row(900_000), _num(3, 2.0), dims=(0, 0, 0, 0))
    target = tmp_path / "far.xlsb"
    target.write_bytes(_with_part((FORMATS / "excel_base.xlsb").read_bytes(), "xl/worksheets/sheet1.bin", far))
    sheets, kind, issues = reader.open_sheets(target, "far.xlsb")
    assert kind == "report"
    assert [i.message for i in issues] == [
        "far.xlsb, trang Sheet1: trang có vùng dữ liệu 900.001 hàng × 4 cột, vượt giới hạn an toàn; không đọc."]
    assert [s.name for s in sheets] == ["Sheet2", "Sheet3", "Merged Cells"]


@pytest.mark.parametrize("name", ["template_lo.xls", "template_07_lo.xlsx", "template_07_lo.ods"])
def test_the_kept_readers_give_calamines_grid(name: str) -> None:
    """The fallback readers (xlrd, openpyxl, odfpy) read the same bounded grid, types and anchor as calamine."""
    path = GOOD / name if (GOOD / name).exists() else FORMATS / name
    data = path.read_bytes()
    by_calamine, _ = reader.load_sheets(data, name)
    kept, issues = reader._FALLBACKS[name.rsplit(".", 1)[1]](data, name, {}, None)
    assert issues == []
    assert [(s.name, s.first_row, s.first_col, s.hidden, s.rows) for s in kept] == \
        [(s.name, s.first_row, s.first_col, s.hidden, s.rows) for s in by_calamine]


def test_a_sheet_calamine_cannot_read_is_read_by_the_kept_reader(monkeypatch) -> None:
    data = (FORMATS / "template_07_lo.xlsx").read_bytes()
    real = reader._calamine_sheets

    def one_fails(*args):  # noqa: ANN202
        sheets, issues, failed = real(*args)
        return [s for s in sheets if s.name != "Hướng dẫn"], issues, {"Hướng dẫn": "PanicException"}

    monkeypatch.setattr(reader, "_calamine_sheets", one_fails)
    sheets, issues = reader.load_sheets(data, "a.xlsx", fmt="xlsx")
    assert issues == []
    assert sorted(s.name for s in sheets) == ["Biểu tổng hợp", "Hướng dẫn", "_dinh_danh"]


# ------------------------------------------------- fixed examples of FORM.md "Identity" (issue 19)

def test_a_title_line_naming_two_units_is_reported_not_guessed_from_the_file_name(tmp_path, form, campaign,
                                                                                  units) -> None:
    """FORM.md: a workbook that matches two units is reported, never guessed silently — even when its file
    name alone would name one of them. Either design reports it: no unit ("cần xác nhận"), or the file
    name's unit with a warning or error that names both units of the title line."""
    from openpyxl import load_workbook

    target = tmp_path / "MN01_Truong_Mam_non_Muong_Giang.xlsx"
    wb = load_workbook(GOOD / "seed_retyped_no_name.xlsx")
    wb.worksheets[0]["A1"] = "Đơn vị báo cáo: Trường Mầm non Mường Giàng và Trường Tiểu học Mường Giàng"
    wb.save(target)
    rf = _read(target, form, campaign, units)
    said = [i for i in rf.issues if i.severity != "info" and "MN01" in i.message and "TH01" in i.message]
    assert said, [i.message for i in rf.issues]
    # the design chosen (identity.reconcile): a piece naming two units claims both → "cần xác nhận"
    assert (rf.unit, rf.unconfirmed, claims(rf.evidence)) == (None, True, ("MN01", "TH01"))
    assert [(i.code, i.severity, i.message) for i in rf.issues if i.code.startswith(("unit-", "identity-"))] == [(
        "unit-unconfirmed", "error",
        "MN01_Truong_Mam_non_Muong_Giang.xlsx: cần xác nhận đơn vị gửi — các dấu hiệu không khớp nhau: "
        "dòng \"Đơn vị báo cáo\" (ô A1): \"Trường Mầm non Mường Giàng và Trường Tiểu học Mường Giàng\" → nhiều "
        "đơn vị (MN01, TH01); tên tệp: \"MN01_Truong_Mam_non_Muong_Giang.xlsx\" → MN01. Tệp chưa được tính cho "
        "đơn vị nào (MN01, TH01). Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], dòng "
        "\"MN01_Truong_Mam_non_Muong_Giang.xlsx\" = \"MN01\" (thay mã cho đúng) rồi chạy lại.")]
    assert all(r["unit"] is None for r in rf.records)  # counted for nobody until the clerk says


@pytest.mark.parametrize(("title", "file_name", "unit", "unconfirmed"), [
    ("Trường Mầm non Mường Giàng", "MN01_Truong_Mam_non_Muong_Giang.xlsx", "MN01", False),  # agreement
    ("Trường Mầm non Mường Giàng", "bao cao.xlsx", "MN01", False),
    ("Trường Mầm non Mường Giàng và Trường Tiểu học Mường Giàng", "bao cao.xlsx", None, True),
    ("Trường Mầm non Mường Giàng và Trường Tiểu học Mường Giàng", "TH01.xlsx", None, True),
    ("Trường Tiểu học Mường Giàng", "MN01.xlsx", None, True),  # two pieces, two units
])
def test_every_unit_a_piece_names_counts_as_a_claim(tmp_path, title, file_name, unit, unconfirmed, form,
                                                    campaign, units) -> None:
    from openpyxl import load_workbook

    target = tmp_path / file_name
    wb = load_workbook(GOOD / "seed_retyped_no_name.xlsx")
    wb.worksheets[0]["A1"] = f"Đơn vị báo cáo: {title}"
    wb.save(target)
    rf = _read(target, form, campaign, units)
    assert (rf.unit, rf.unconfirmed) == (unit, unconfirmed)
