"""What a file really is, and the safety bounds checked before any parser (SECURITY.md)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from consolidate.sniff import (MAX_SHEETS, check_defusedxml, col_index, is_lock_file, ole_stream_names, sniff,
                               sniff_bytes)

FILES = Path(__file__).parent / "files" / "reader"
GOOD, BAD = FILES / "good", FILES / "bad"


def _sniff(path: Path):
    return sniff(path.read_bytes(), path.name)


def test_defusedxml_is_in_force() -> None:
    assert check_defusedxml() is True


@pytest.mark.parametrize(("name", "fmt"), [
    ("template_openpyxl.xlsx", "xlsx"),
    ("template_lo.xlsx", "xlsx"),
    ("template_lo.xls", "xls"),
    ("template_lo.ods", "ods"),
    ("xls_renamed.xlsx", "xls"),  # content decides, not the extension
    ("moved_nfd.xlsx", "xlsx"),
])
def test_spreadsheets_are_detected_by_content(name: str, fmt: str) -> None:
    got = _sniff(GOOD / name)
    assert (got.kind, got.format, got.issues) == ("report", fmt, [])
    assert got.data == (GOOD / name).read_bytes()


def test_an_xlsx_renamed_xls_or_ods_is_still_xlsx() -> None:
    data = (GOOD / "template_openpyxl.xlsx").read_bytes()
    assert sniff(data, "bao cao.xls").format == "xlsx"
    assert sniff(data, "bao cao.ods").format == "xlsx"


# (file, kind, code, words the Vietnamese message must contain)
BAD_CASES = [
    ("zip_bomb.xlsx", "unreadable", "unsafe-file", "nén với tỉ lệ bất thường"),
    ("duplicate_members.xlsx", "unreadable", "unsafe-file", "'xl/worksheets/sheet1.xml' xuất hiện hai lần"),
    ("dotdot.xlsx", "unreadable", "unsafe-file", "đường dẫn không an toàn '../../thu_muc_khac/evil.xml'"),
    ("doctype.xlsx", "unreadable", "unsafe-file", "có khai báo DOCTYPE/ENTITY"),
    ("bzip2.xlsx", "unreadable", "unsafe-file", "phương thức nén không hỗ trợ (12)"),
    ("string_count.xlsx", "unreadable", "unsafe-file", "bảng chuỗi khai báo 4.000.000.000 chuỗi"),
    ("truncated.xlsx", "unreadable", "corrupt", "tệp bị hỏng hoặc chưa tải về đủ"),
    ("empty.xlsx", "unreadable", "empty-file", "tệp rỗng (0 byte)"),
    ("encrypted.xlsx", "unreadable", "encrypted", "tệp được đặt mật khẩu"),
    ("web_page.xls", "unreadable", "wrong-format", "trang web (HTML) mang đuôi bảng tính"),
    ("comma_text.xls", "unreadable", "wrong-format", "văn bản phân tách bằng dấu phẩy (CSV)"),
    ("spreadsheetml_2003.xls", "unreadable", "wrong-format", "bảng tính XML 2003 (SpreadsheetML)"),
    ("many_sheets.xlsx", "unreadable", "too-many-sheets", f"tệp có 250 trang, vượt giới hạn {MAX_SHEETS}"),
    ("far_corner.xls", "unreadable", "sheet-too-large", "trang Sheet: trang có vùng dữ liệu 65.536 hàng × 256 cột"),
    ("xls_bad_dimensions.xls", "unreadable", "corrupt",
     "(trang _dinh_danh: kích thước trang ghi trong tệp không hợp lệ)"),
    ("bao_cao.pdf", "not_a_report", "not-a-report", "tệp PDF, không phải bảng tính"),
    ("anh_khai_mac.jpg", "not_a_report", "not-a-report", "ảnh JPEG"),
    ("cong_van.docx", "not_a_report", "not-a-report", "văn bản Word (.docx)"),
    ("cong_van.doc", "not_a_report", "not-a-report", "văn bản Word (.doc)"),
    ("ghi_chu.txt", "not_a_report", "not-a-report", "tệp văn bản"),
    ("~$MN01_Truong_Mam_non_Muong_Giang.xlsx", "not_a_report", "lock-file", "tệp khóa tạm của Excel/LibreOffice"),
]


@pytest.mark.parametrize(("name", "kind", "code", "words"), BAD_CASES)
def test_bad_files_are_refused_with_a_vietnamese_reason(name: str, kind: str, code: str, words: str) -> None:
    got = _sniff(BAD / name)
    assert got.kind == kind
    assert [i.code for i in got.issues] == [code]
    assert got.issues[0].message.startswith((f"{name}: ", f"{name}, "))
    assert words in got.issues[0].message
    assert got.data == b""  # nothing is handed to a parser


def test_the_full_messages_of_some_refusals() -> None:
    assert _sniff(BAD / "encrypted.xlsx").issues[0].message == (
        "encrypted.xlsx: tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu "
        "(Tệp → Thông tin → Bảo vệ sổ làm việc) và gửi lại.")
    assert _sniff(BAD / "web_page.xls").issues[0].message == (
        "web_page.xls: tệp là trang web (HTML) mang đuôi bảng tính, không phải tệp Excel thật. "
        "Hãy mở tệp bằng Excel và lưu lại dạng .xlsx rồi gửi lại.")


def test_a_far_corner_cell_refuses_that_sheet_before_calamine() -> None:
    got = _sniff(BAD / "far_corner.xlsx")
    assert got.kind == "report"
    assert got.refused_sheets == {"Trang 1": "vùng dữ liệu 1.048.576 hàng × 16.384 cột"}


def test_ods_repeated_rows_times_columns_are_bounded() -> None:
    # calamine expands every table of an .ods at open (327 MB for this 801-byte file): the whole file goes
    got = _sniff(BAD / "ods_repeat.ods")
    assert got.kind == "unreadable"
    assert [i.message for i in got.issues] == [
        "ods_repeat.ods, trang Trang1: trang có vùng dữ liệu 100.000 hàng × 100 cột, vượt giới hạn an toàn; không đọc."]


def test_libreoffice_trailing_repeats_are_not_counted() -> None:
    # LibreOffice writes 1,048,5xx empty repeated rows and 1,0xx empty columns in every .ods
    got = _sniff(GOOD / "template_lo.ods")
    assert got.refused_sheets == {}


def test_uncached_formulas_are_found_in_the_sheet_xml() -> None:
    assert _sniff(GOOD / "problems.xlsx").uncached == {"Biểu tổng hợp": {"D8", "D40"}}
    assert _sniff(GOOD / "template_lo.xlsx").uncached == {}


def test_ole_directory_names() -> None:
    assert "Workbook" in ole_stream_names((GOOD / "template_lo.xls").read_bytes())
    assert "WordDocument" in ole_stream_names((BAD / "cong_van.doc").read_bytes())
    assert ole_stream_names((BAD / "encrypted.xlsx").read_bytes())[:3] == ["Root Entry", "EncryptionInfo",
                                                                          "EncryptedPackage"]
    truncated = (GOOD / "template_lo.xls").read_bytes()[:600]
    assert ole_stream_names(truncated) is None
    assert sniff_bytes(truncated, "x.xls").issues[0].code == "corrupt"


def test_lock_file_names() -> None:
    assert is_lock_file("~$bao cao.xlsx")
    assert is_lock_file(".~lock.bao cao.xlsx#")
    assert not is_lock_file("bao cao ~$.xlsx")
    got = sniff_bytes(b"x", ".~lock.MN01.xlsx#")
    assert (got.kind, [i.code for i in got.issues]) == ("not_a_report", ["lock-file"])


def test_other_content_named_as_spreadsheets() -> None:
    assert sniff_bytes(b"STT\tC\xc3\xa1c ho\xe1\xba\xa1t \xc4\x91\xe1\xbb\x99ng\n1\t2\n", "a.xls").issues[0].message \
        == "a.xls: tệp là văn bản phân tách bằng dấu tab (TSV), không phải tệp Excel thật. Hãy mở tệp bằng " \
           "Excel và lưu lại dạng .xlsx rồi gửi lại."
    assert sniff_bytes(b"\x89PNG\r\n\x1a\n....", "anh.xlsx").issues[0].message == \
        "anh.xlsx: không phải tệp báo cáo (ảnh PNG), đã bỏ qua."
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("a.txt", "x")
    assert sniff_bytes(plain_zip.getvalue(), "bao cao.zip").kind == "not_a_report"
    assert sniff_bytes(plain_zip.getvalue(), "bao cao.xlsx").issues[0].code == "wrong-format"


def test_column_letters() -> None:
    assert [col_index(c) for c in ("A", "Z", "AA", "XFD")] == [0, 25, 26, 16383]


def test_an_xls_is_bounded_before_calamine_opens_it() -> None:
    """calamine parses every sheet of an .xls at open and reserves the DIMENSIONS area: an inverted or
    far record would abort the process (not an exception), so the whole file is refused first."""
    from consolidate.sniff import CompoundFile, biff_problems

    good = CompoundFile((GOOD / "template_lo.xls").read_bytes())
    assert biff_problems(good.stream("Workbook")) == ({}, None)
    far = CompoundFile((BAD / "far_corner.xls").read_bytes())
    assert biff_problems(far.stream("Workbook")) == ({"Sheet": "vùng dữ liệu 65.536 hàng × 256 cột"}, None)
    bad = CompoundFile((BAD / "xls_bad_dimensions.xls").read_bytes())
    assert biff_problems(bad.stream("Workbook")) == (
        {}, ("corrupt", "trang _dinh_danh: kích thước trang ghi trong tệp không hợp lệ"))


def test_a_doctype_after_a_long_prolog_in_a_part_read_only_to_its_root() -> None:
    """Themes and styles are read only up to their root element; a DOCTYPE can only stand before it."""
    src = (GOOD / "template_openpyxl.xlsx").read_bytes()
    padded = (b'<?xml version="1.0"?>' + b"<!-- " + b"x" * 10_000 + b" -->"
              + b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><styleSheet>&e;</styleSheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, padded if info.filename == "xl/styles.xml" else zin.read(info))
    got = sniff(out.getvalue(), "styles.xlsx")
    assert [i.message for i in got.issues] == [
        "styles.xlsx: tệp bị từ chối vì lý do an toàn (thành phần xl/styles.xml có khai báo DOCTYPE/ENTITY). "
        "Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."]
