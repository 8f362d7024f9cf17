"""The unit list: headers in either language, row-by-row checks, and the CLI refusing a bad list.

Fixtures in tests/files: units_vi_title.xlsx (openpyxl: a title above the header, header in column B
onwards, upper-case accented headers, a numeric code), units_vi_title.ods (the same saved by LibreOffice),
units_en.xlsx (xlsxwriter: English headers with odd case and spaces), units_semicolon.csv (UTF-8 with
BOM, ';' separated, unaccented headers, a quoted name holding ';'), units_bad.csv, units_missing_email.csv,
units_header_only.csv.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FILES, SAMPLES
from consolidate.cli import main
from consolidate.units import Unit, UnitList, load_units


def summary(units: UnitList) -> list[tuple[str, str, str, str, int]]:
    return [(u.code, u.name, u.type, u.email, u.row) for u in units]


def test_sample_unit_list(units):
    assert len(units) == 23
    assert units.types == ["Xã", "Mầm non", "Tiểu học", "THCS"]
    assert units.units[0] == Unit("X01", "UBND xã Mường Giàng", "Xã", "ubnd.muonggiang@quynhnhai.example", 2)


@pytest.mark.parametrize("name", ["units_vi_title.xlsx", "units_vi_title.ods"])
def test_vietnamese_headers_below_a_title_any_case_and_spacing(name):
    units, issues = load_units(FILES / name)
    assert issues == []
    assert summary(units) == [
        ("101", "Trường THCS Mường Giàng", "THCS", "thcs.mg@quynhnhai.example", 6),
        ("X02", "UBND xã Chiềng Ơn", "Xã", "ubnd.co@quynhnhai.example", 7),
        ("MN03", "Trường Mầm non Cà Nàng", "Mầm non", "", 8),
    ]


def test_english_headers():
    units, issues = load_units(FILES / "units_en.xlsx")
    assert issues == []
    assert summary(units) == [("A1", "Trường Tiểu học Chiềng Bằng", "Tiểu học", "th.cb@quynhnhai.example", 2),
                              ("A2", "UBND xã Nậm Ét", "Xã", "ubnd.ne@quynhnhai.example", 3)]


def test_semicolon_csv_with_bom_and_unaccented_headers():
    units, issues = load_units(FILES / "units_semicolon.csv")
    assert issues == []
    assert [u.name for u in units] == ["UBND xã Mường Giàng", "UBND xã Chiềng Ơn; huyện Quỳnh Nhai"]


def test_windows_vietnamese_csv(tmp_path):
    # Excel's "CSV" on a Vietnamese Windows is cp1258: ơ, ư, ă, â … are one byte, tone marks are combining
    import unicodedata

    tones = "\u0300\u0301\u0303\u0309\u0323"

    def cp1258(ch: str) -> bytes:
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        return (base + "".join(c for c in decomposed if c in tones)).encode("cp1258")

    text = "Mã đơn vị,Tên đơn vị,Loại,Email\nX09,UBND xã Nậm Ét,Xã,a@b.vn\n"
    path = tmp_path / "ds.csv"
    path.write_bytes(b"".join(cp1258(ch) for ch in text))
    units, issues = load_units(path)
    assert issues == []
    assert summary(units) == [("X09", "UBND xã Nậm Ét", "Xã", "a@b.vn", 2)]


def test_bad_rows_are_each_reported_with_their_row_number():
    units, issues = load_units(FILES / "units_bad.csv")
    assert units is None
    assert [(i.code, i.severity, i.message) for i in issues] == [
        ("units-duplicate-code", "error", "Danh sách đơn vị units_bad.csv, hàng 4: mã đơn vị 'x01' đã có ở hàng 2."),
        ("units-empty-name", "error", "Danh sách đơn vị units_bad.csv, hàng 5: thiếu tên đơn vị (mã X04)."),
        ("units-bad-email", "error",
         "Danh sách đơn vị units_bad.csv, hàng 6: email 'ubnd.namet@@quynhnhai' không hợp lệ."),
        ("units-empty-code", "error", "Danh sách đơn vị units_bad.csv, hàng 8: thiếu mã đơn vị."),
    ]


def test_duplicate_name(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_text("code,name,type,email\nA,Trường Á,THCS,\nB,truong a,THCS,\n", encoding="utf-8")
    units, issues = load_units(path)
    assert units is None
    assert [i.message for i in issues] == [
        "Danh sách đơn vị dv.csv, hàng 3: tên 'truong a' trùng với hàng 2; không thể phân biệt hai đơn vị."]


def test_missing_column():
    units, issues = load_units(FILES / "units_missing_email.csv")
    assert units is None
    assert [(i.code, i.message) for i in issues] == [(
        "units-missing-column",
        ("Danh sách đơn vị units_missing_email.csv: thiếu cột Email "
         "(hàng tiêu đề phải có: Mã đơn vị | Tên đơn vị | Loại | Email)."))]


def test_no_header_at_all(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    units, issues = load_units(path)
    assert units is None and [i.code for i in issues] == ["units-missing-column"]


def test_header_only_is_an_empty_list():
    units, issues = load_units(FILES / "units_header_only.csv")
    assert units is None
    assert [i.message for i in issues] == ["Danh sách đơn vị units_header_only.csv: không có đơn vị nào."]


def test_missing_and_corrupt_files_are_issues_not_tracebacks(tmp_path):
    units, issues = load_units(tmp_path / "khong_co.csv")
    assert units is None
    assert [i.message for i in issues] == ["Không đọc được danh sách đơn vị khong_co.csv: không tìm thấy tệp."]
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    units, issues = load_units(broken)
    assert units is None
    assert [i.code for i in issues] == ["units-unreadable"]
    assert issues[0].message.startswith("Không đọc được danh sách đơn vị hong.xlsx: ")


def test_get_by_code_exact_then_case_insensitive(units):
    assert units.get("MN02").name == "Trường Mầm non Chiềng Ơn"
    assert units.get("mn02").name == "Trường Mầm non Chiềng Ơn"
    assert units.get("ZZ") is None


# --- through the command line ---------------------------------------------------------------------


def run_templates(tmp_path: Path, units_file: Path) -> tuple[object, Path]:
    out = tmp_path / "bieu_mau"
    result = CliRunner().invoke(main, ["templates", "--campaign", str(SAMPLES / "campaign.toml"),
                                       "--units", str(units_file), "-o", str(out)])
    return result, out


def test_cli_bad_unit_list_one_line_per_problem_exit_1_nothing_written(tmp_path):
    result, out = run_templates(tmp_path, FILES / "units_bad.csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Lỗi: Danh sách đơn vị units_bad.csv, hàng 4: mã đơn vị 'x01' đã có ở hàng 2.",
        "Lỗi: Danh sách đơn vị units_bad.csv, hàng 5: thiếu tên đơn vị (mã X04).",
        "Lỗi: Danh sách đơn vị units_bad.csv, hàng 6: email 'ubnd.namet@@quynhnhai' không hợp lệ.",
        "Lỗi: Danh sách đơn vị units_bad.csv, hàng 8: thiếu mã đơn vị.",
        "Chưa ghi tệp nào. Hãy sửa danh sách đơn vị rồi chạy lại.",
    ]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_missing_column_names_it(tmp_path):
    result, out = run_templates(tmp_path, FILES / "units_missing_email.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Lỗi: Danh sách đơn vị units_missing_email.csv: thiếu cột Email "
        "(hàng tiêu đề phải có: Mã đơn vị | Tên đơn vị | Loại | Email).")
    assert not out.exists()


def test_cli_good_unit_list_writes_templates(tmp_path):
    result, out = run_templates(tmp_path, FILES / "units_en.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Đã tạo 2 biểu mẫu trong thư mục {out}"
    assert sorted(p.name for p in out.iterdir()) == [
        "A1_Truong_Tieu_hoc_Chieng_Bang.xlsx", "A2_UBND_xa_Nam_Et.xlsx", "bieu_tong_hop.xlsx", "danh_sach_gui_thu.csv"]
