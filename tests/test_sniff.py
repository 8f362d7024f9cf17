"""What a file really is, and the safety bounds checked before any parser (SECURITY.md)."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from consolidate import sniff as sniff_mod
from consolidate.sniff import (MAX_SHEETS, check_defusedxml, col_index, is_lock_file, ole_stream_names, sniff,
                               sniff_bytes)

FILES = Path(__file__).parent / "files" / "reader"
GOOD, BAD = FILES / "good", FILES / "bad"


def _sniff(path: Path):
    return sniff(path.read_bytes(), path.name)


def test_defusedxml_is_in_force() -> None:
    assert check_defusedxml() is True


@pytest.mark.parametrize("setting", ["True", "False"])
def test_defusedxml_check_agrees_with_openpyxl_without_importing_it(setting: str) -> None:
    # the check runs before openpyxl is imported (the reading workers never need it)
    code = ("import sys; from consolidate.sniff import check_defusedxml; before = check_defusedxml(); "
            "loaded = 'openpyxl' in sys.modules; import openpyxl; "
            "print(before, loaded, bool(openpyxl.DEFUSEDXML), check_defusedxml())")
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": setting}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [setting, "False", setting, setting]


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
    # calamine expands every table of an .ods at open (327 MB for this 801-byte file): it must not open
    # the file; the kept reader reads the other tables and this one is refused
    got = _sniff(BAD / "ods_repeat.ods")
    assert (got.kind, got.format, got.calamine_safe) == ("report", "ods", False)
    assert got.refused_sheets == {"Trang1": "vùng dữ liệu 100.000 hàng × 100 cột"}


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
    far record would abort the process (not an exception), so such a file never reaches calamine; the
    kept reader (xlrd) reads it by its cells, and a sheet whose cells span too much is refused."""
    from consolidate.sniff import CompoundFile, scan_biff

    good = scan_biff(CompoundFile((GOOD / "template_lo.xls").read_bytes()).stream("Workbook"))
    assert (good.version, good.refused, good.problem, good.dimensions_bad, good.encrypted) == (8, {}, None, False, False)
    far = _sniff(BAD / "far_corner.xls")
    assert (far.kind, far.calamine_safe, far.refused_sheets) == ("report", False, {"Sheet": "vùng dữ liệu 65.536 hàng × 256 cột"})
    bad = _sniff(BAD / "xls_bad_dimensions.xls")
    assert (bad.kind, bad.calamine_safe, bad.refused_sheets, bad.issues) == ("report", False, {}, [])


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


# ------------------------------------------------------------------------ fast paths = exact scans
#
# Each fast path only answers when the exact scan (kept in the module, the code that ran before them) would
# give the same verdict; these tests compare the two on generated and real inputs, exceptions included.



def _outcome(fn, *args) -> tuple:
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - its type is part of the verdict (corrupt: ValueError)
        return ("raise", type(exc).__name__, str(exc) if isinstance(exc, sniff_mod._Unsafe) else "")


_NUMBERS = st.one_of(st.integers(0, 30), st.integers(0, 12_000), st.integers(0, 2_000_000),
                     st.sampled_from([1_048_576, 16_384, 9_999, 10_000]))
_DIGITS = st.one_of(_NUMBERS.map(str), st.sampled_from(["007", "0", "9" * 5000, "1" * 20]))
_LETTERS = st.one_of(st.sampled_from(["A", "B", "F", "Z", "AA", "AZ", "XFD", "ZZZ", "a", "ABCD", ""]),
                     st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3))
_WS = st.sampled_from([" ", " ", " ", "\t", "\n", "\r", "  ", "\f", "\v"])
_PREFIX = st.sampled_from(["", "", "", "", "x:", "ns0:", "c:"])


@st.composite
def _xlsx_piece(draw, clean: bool) -> str:
    """A piece of worksheet XML; a clean one keeps to the shape of the fast path (which must still agree)."""
    kind = draw(st.sampled_from(["cell", "cell", "cell", "row", "row", "close", "junk", "other"]))
    pre, ws = ("", " ") if clean else (draw(_PREFIX), draw(_WS))
    if kind == "cell":
        ref = f'r="{draw(_LETTERS)}{draw(_DIGITS)}"'
        if clean:
            ref = f'r="{draw(st.sampled_from(["A", "B", "F", "Z", "AA", "XFD"]))}{draw(_NUMBERS)}"'
        attrs = draw(st.sampled_from(["", "", ' s="1"', ' t="inlineStr"', ' t="s" s="2"']))
        before = "" if clean else draw(st.sampled_from(["", "", "", ' t="s"', ' s="3"']))
        with_ref = clean or draw(st.booleans()) or draw(st.booleans())
        tag = f"<{pre}c{before}{ws + ref if with_ref else ''}{attrs}"
        end = draw(st.sampled_from(["/>", "><v>1</v></c>", "><is><t>x</t></is></c>", "><f>A1</f><v></v></c>",
                                    ">", ""]))
        return tag + end
    if kind == "row":
        ref = f'r="{draw(_NUMBERS if clean else _DIGITS)}"'
        before = "" if clean else draw(st.sampled_from(["", "", "", ' spans="1:3"', ' ht="15"']))
        with_ref = clean or draw(st.booleans()) or draw(st.booleans())
        after = draw(st.sampled_from(["", ' spans="1:6"']))
        return f"<{pre}row{before}{ws + ref if with_ref else ''}{after}{draw(st.sampled_from(['>', '/>', '']))}"
    if kind == "close":
        return draw(st.sampled_from(["</row>", "</c>", "</x:row>", "</sheetData>"]))
    if kind == "other" and clean:
        return draw(st.sampled_from(['<col min="1" max="3"/>', "<cols>", '<cfRule type="x"/>', "<rows>",
                                     '<dimension ref="A1:F51"/>', '<formula1>"a"</formula1>']))
    if kind == "other":
        return draw(st.sampled_from(['<col min="1" max="3"/>', "<cols>", '<cfRule type="x"/>', "<c-x r=\"A1\"/>",
                                     '<c:chart r="A9"/>', '<x14:cfRule r="B1">', '<row-x r="5">', "<rows>",
                                     '<dimension ref="A1:F51"/>', '<formula1>"a"</formula1>', "<c", "<row",
                                     "<c\u00e9 r=\"A1\">", '<mc:AlternateContent xmlns:mc="x">']))
    return draw(st.sampled_from(["<t>Ghi chú:cần</t>", ":c", ":row ", "<", ">", '"', " r=\"Z9\"", "text",
                                 "<v>1</v>", '<is><t xml:space="preserve"> :c</t></is>', "\u1ea1"]))


_XLSX_BODIES = st.booleans().flatmap(lambda clean: st.lists(_xlsx_piece(clean), max_size=40)).map(
    lambda parts: "".join(parts).encode()).flatmap(
    lambda body: st.sampled_from([body, b"<worksheet><sheetData>" + body + b"</sheetData></worksheet>",
                                  b"<worksheet><sheetData>" + body + b"</sheetData><dataValidations><dataValidation>"
                                  b"<formula1>1</formula1></dataValidation></dataValidations></worksheet>"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_XLSX_BODIES)
def test_the_fast_worksheet_bound_equals_the_exact_scan(body: bytes) -> None:
    assert _outcome(sniff_mod._xlsx_area, body) == _outcome(sniff_mod._xlsx_area_exact, body)


def _sheet_reference(body: bytes) -> tuple[str | None, set[str]]:
    """What _xlsx_bounds did per sheet: the exact bound, then the formula scan when "<f" is anywhere."""
    reason = sniff_mod._xlsx_area_exact(body)
    return reason, set() if reason or b"<f" not in body else sniff_mod._uncached_formulas(body)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_XLSX_BODIES)
def test_the_one_pass_sheet_check_equals_the_exact_scans(body: bytes) -> None:
    assert _outcome(sniff_mod._sheet_check, body) == _outcome(_sheet_reference, body)


@given(st.lists(st.tuples(st.integers(1, 1_200_000), st.sampled_from(["A", "F", "Z", "AA", "XFD"])),
                min_size=1, max_size=30),
       st.booleans())
def test_the_fast_worksheet_bound_on_plain_sheets_of_any_size(cells: list[tuple[int, str]], shuffle: bool) -> None:
    rows: dict[int, list[str]] = {}
    for row, col in cells:
        rows.setdefault(row, []).append(f'<c r="{col}{row}" t="inlineStr"><is><t>x</t></is></c>')
    order = sorted(rows, reverse=shuffle)  # rows out of order are still bounded by their extremes
    body = ("<worksheet><sheetData>" + "".join(f'<row r="{r}" spans="1:6">' + "".join(rows[r]) + "</row>"
                                               for r in order) + "</sheetData></worksheet>").encode()
    assert _outcome(sniff_mod._xlsx_area, body) == _outcome(sniff_mod._xlsx_area_exact, body)


@pytest.mark.parametrize("body", [
    b'<row r="1"><c r="A1"/></row><row r="1048576"><c r="XFD1048576"/></row>',  # refused by the plain path
    b'<row r="1"><c r="A1"/><c r="A' + b"9" * 5000 + b'"/></row>',  # int() fails in both (corrupt)
    b'<row r="' + b"9" * 5000 + b'"/>',
    b'<x:row r="1"><x:c r="A1"/><x:c r="XFD9"/></x:row>',
    b'<row r="1"><c t="s" r="XFD1"/><c r="A900"/></row>',  # r not first
    b'<row><c/><c/></row>' * 3,  # no references: placed in sequence
    b'<row r="2"><c\tr="A2"/><c\nr="XFD800"/></row>',
    b'<c:foo r="XFD1048576"/><c r="A1"/>',  # "<c" then ":" ends the name for the exact regex
    b"",
])
def test_the_fast_worksheet_bound_on_edge_cases(body: bytes) -> None:
    assert _outcome(sniff_mod._xlsx_area, body) == _outcome(sniff_mod._xlsx_area_exact, body)
    assert _outcome(sniff_mod._sheet_check, body) == _outcome(_sheet_reference, body)


_ODS_NUMBERS = st.one_of(st.integers(0, 5), st.integers(0, 20_000), st.sampled_from([16_384, 16_378, 1_048_576,
                                                                                        1_048_553, 100_000]))
_ODS_DIGITS = st.one_of(_ODS_NUMBERS.map(str), st.sampled_from(["007", "1" * 12, "9" * 4400]))


@st.composite
def _ods_piece(draw) -> str:
    kind = draw(st.sampled_from(["row", "row", "cell", "cell", "cell", "cell", "trailing", "trailing", "close",
                                 "column", "odd"]))
    if kind == "row":
        rep = f' table:number-rows-repeated="{draw(_ODS_DIGITS)}"' if draw(st.booleans()) else ""
        return f'<table:table-row table:style-name="ro1"{rep}{draw(st.sampled_from([">", ">", "/>"]))}'
    if kind == "cell":
        name = draw(st.sampled_from(["table-cell", "table-cell", "covered-table-cell"]))
        attrs = "".join(draw(st.lists(st.sampled_from([
            f' table:number-columns-repeated="{draw(_ODS_DIGITS)}"', ' office:value-type="float"',
            ' calcext:value-type="string"', ' table:style-name="ce1"', ' table:number-columns-spanned="2"']),
            max_size=3)))
        end = draw(st.sampled_from(["/>", "/>", "><text:p>x</text:p></table:" + name + ">", ">"]))
        return f"<table:{name}{attrs}{end}"
    if kind == "trailing":
        return f'<table:table-cell table:number-columns-repeated="{draw(_ODS_DIGITS)}"/></table:table-row>'
    if kind == "close":
        return draw(st.sampled_from(["</table:table-row>", "<table:table-header-rows>", "</table:table-header-rows>",
                                     "</table:table>", "<table:named-expressions/>"]))
    if kind == "column":
        return f'<table:table-column table:style-name="co1" table:number-columns-repeated="{draw(_ODS_DIGITS)}"/>'
    return draw(st.sampled_from([
        '<table:table-cell x="<table:table-cell table:number-columns-repeated="100000"/>',
        '<table:table-cell office:value-type="s" x="<table:table-cell table:number-columns-repeated="99999"/>',
        '<table:table-column x="<table:table-cell office:value-type="s" table:number-columns-repeated="9999"/>',
        '<table:table-row x="', "<table:table-cell", "<table:table-cells/>", "<table:table-rows>", ">", "<",
        '<table:table-row-group>', "<!-- <table:table-row> -->", "<text:p>value-type</text:p>"]))


_ODS_BODIES = st.lists(_ods_piece(), max_size=40).map(lambda parts: "".join(parts).encode())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ODS_BODIES)
def test_the_fast_ods_bound_equals_the_exact_scan(body: bytes) -> None:
    assert _outcome(sniff_mod._ods_area, body) == _outcome(sniff_mod._ods_area_exact, body)


@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 700), st.booleans()), max_size=8),
                max_size=40),
       st.integers(1, 1_048_576), st.sampled_from([16_384, 1_024, 1]))
def test_the_fast_ods_bound_on_libreoffice_shaped_tables(rows: list, trailing_rows: int, width: int) -> None:
    """Rows of (empty cells before, repeat, used) the way LibreOffice writes them, up to a used cell far out."""
    out = ['<table:table-column table:style-name="co1" table:number-columns-repeated="3"/>',
           f'<table:table-column table:number-columns-repeated="{width}"/>']
    for cells in rows:
        rep = f' table:number-rows-repeated="{len(cells) + 1}"' if len(cells) % 3 == 2 else ""
        out.append(f'<table:table-row table:style-name="ro1"{rep}>')
        used_to = 0
        for empty, repeat, used in cells:
            if empty:
                out.append(f'<table:covered-table-cell table:number-columns-repeated="{empty}"/>')
            out.append(f'<table:table-cell office:value-type="float" table:number-columns-repeated="{repeat}">'
                       "<text:p>1</text:p></table:table-cell>" if used else "<table:table-cell/>")
            used_to += empty + (repeat if used else 1)
        out.append(f'<table:table-cell table:number-columns-repeated="{max(width - used_to, 1)}"/></table:table-row>')
    out.append(f'<table:table-row table:number-rows-repeated="{trailing_rows}"><table:table-cell '
               f'table:number-columns-repeated="{width}"/></table:table-row></table:table>')
    body = "".join(out).encode()
    assert _outcome(sniff_mod._ods_area, body) == _outcome(sniff_mod._ods_area_exact, body)


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, body, method in members:
            zf.writestr(name, body, compress_type=method)
    return out.getvalue()


def _prolog_reference(parts: sniff_mod._Parts) -> None:
    """check_the_rest as it was: every XML part not read in full through zipfile."""
    for name, info in parts.infos.items():
        if name not in parts.full and name.lower().endswith(sniff_mod._XMLISH):
            parts._check_prolog(name, info)


def _read_reference(parts: sniff_mod._Parts, name: str) -> bytes:
    """_Parts.read as it was: zipfile in full, then the DOCTYPE search."""
    name = sniff_mod._member_key(name)
    info = parts.infos.get(name)
    body = parts.zf.read(info) if info is not None else b""
    if sniff_mod._DOCTYPE.search(body):
        raise sniff_mod._Unsafe(name)
    return body


_PROLOG_DOCTYPE = st.sampled_from([b"", b"", b'<!DOCTYPE a [<!ENTITY e "x">]>', b"<!ENTITY x>", b"<! doctype y>"])


@st.composite
def _xml_member(draw) -> bytes:
    decl = draw(st.sampled_from([b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', b""]))
    comments = b"".join(b"<!-- " + b"x" * n + b" -->" if pi else b"<?pi " + b"y" * n + b"?>"
                        for n, pi in draw(st.lists(st.tuples(st.sampled_from([0, 5, 4000, 4090, 5000, 12_000]),
                                                             st.booleans()), max_size=3)))
    doctype, where = draw(_PROLOG_DOCTYPE), draw(st.sampled_from(["before", "after", "far"]))
    filler = b"<a>" + bytes(draw(st.binary(max_size=30))).replace(b"<", b"") * draw(st.integers(0, 400)) + b"</a>"
    if where == "before":
        return decl + comments + doctype + b"<root>" + filler + b"</root>"
    if where == "after":
        return decl + comments + b"<root>" + doctype + filler + b"</root>"
    return decl + comments + b"<root>" + filler + b"x" * 5000 + doctype + b"</root>"


@st.composite
def _archive(draw) -> bytes:
    methods = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
    members = [(f"xl/part{i}.xml", draw(_xml_member()), draw(methods)) for i in range(draw(st.integers(1, 4)))]
    members.append(("docProps/app.xml", b"", zipfile.ZIP_DEFLATED))
    data = bytearray(_zip(members))
    damage = draw(st.sampled_from(["none", "none", "flip", "flip", "truncate", "header"]))
    if damage == "flip":
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=3)):
            data[at] ^= draw(st.integers(1, 255))
    elif damage == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif damage == "header":  # a byte of some local header (flags, name, lengths)
        at = draw(st.sampled_from([i for i in range(len(data) - 4) if data[i:i + 4] == b"PK\x03\x04"]))
        data[at + draw(st.integers(4, 40))] ^= draw(st.sampled_from([0x01, 0x08, 0x20, 0x40, 0xFF]))
    return bytes(data)


def _open_zip(data: bytes) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except sniff_mod._ZIP_ERRORS:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_archive())
def test_the_fast_prolog_check_equals_reading_through_zipfile(data: bytes) -> None:
    zf = _open_zip(data)
    assume(zf is not None)
    fast, exact = sniff_mod._Parts(zf, data), sniff_mod._Parts(zf, data)
    assert _outcome(fast.check_the_rest) == _outcome(_prolog_reference, exact)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_archive())
def test_the_fast_full_read_equals_zipfile(data: bytes) -> None:
    zf = _open_zip(data)
    assume(zf is not None)
    for name in [i.filename for i in zf.infolist()] + ["absent.xml"]:
        fast, exact = sniff_mod._Parts(zf, data), sniff_mod._Parts(zf, data)
        assert _outcome(fast.read, name) == _outcome(_read_reference, exact, name)


def test_a_member_inflating_past_its_declared_size_goes_through_zipfile() -> None:
    data = bytearray(_zip([("xl/a.xml", b"<a>" + b"x" * 5000 + b"</a>", zipfile.ZIP_DEFLATED)]))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.infolist()[0]
    info.file_size = 100  # a lying central directory
    parts = sniff_mod._Parts(zf, bytes(data))
    assert parts._inflate_all(info) is None
    assert _outcome(parts.read, "xl/a.xml") == _outcome(_read_reference, sniff_mod._Parts(zf, bytes(data)), "xl/a.xml")


def _no_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff_mod._Parts, "_payload", lambda self, info: None)
    monkeypatch.setattr(sniff_mod, "_xlsx_area", sniff_mod._xlsx_area_exact)
    monkeypatch.setattr(sniff_mod, "_ods_area", sniff_mod._ods_area_exact)
    monkeypatch.setattr(sniff_mod, "_attrs", sniff_mod._parse_attrs)


def _verdict(got: sniff_mod.Sniffed) -> tuple:
    return got.kind, got.format, [i.message for i in got.issues], got.refused_sheets, got.uncached


REAL_FILES = sorted(p for p in list((Path(__file__).parent / "files").rglob("*"))
                    + list((Path(__file__).parent.parent / "samples").glob("*/da_nhan/*")) if p.is_file())


def test_every_real_file_gets_the_same_verdict_without_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = {p: _verdict(sniff_bytes(p.read_bytes(), p.name)) for p in REAL_FILES}
    _no_fast_paths(monkeypatch)
    exact = {p: _verdict(sniff_bytes(p.read_bytes(), p.name)) for p in REAL_FILES}
    assert len(REAL_FILES) > 30
    assert fast == exact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["template_openpyxl.xlsx", "template_lo.xlsx", "template_lo.ods", "problems.xlsx",
                             "problems_lo.ods"]),
       at=st.floats(0, 1), how=st.sampled_from(["flip", "truncate", "bit"]))
def test_damaged_templates_get_the_same_verdict_without_the_fast_paths(name: str, at: float, how: str) -> None:
    data = bytearray((GOOD / name).read_bytes())
    pos = min(int(at * len(data)), len(data) - 1)
    if how == "flip":
        data[pos] ^= 0xFF
    elif how == "bit":
        data[pos] ^= 0x04
    else:
        data = data[:pos]
    fast = _verdict(sniff_bytes(bytes(data), name))
    with pytest.MonkeyPatch.context() as mp:
        _no_fast_paths(mp)
        assert _verdict(sniff_bytes(bytes(data), name)) == fast


_MEMBER_BODIES = st.sampled_from([b"", b"<a/>", b'<?xml version="1.0"?><root>' + b"x" * 300 + b"</root>",
                                  b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', b"<!-- " + b"y" * 5000 + b" --><r/>"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_MEMBER_BODIES, method=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
       field=st.sampled_from(["CRC", "file_size", "compress_type", "none"]), delta=st.integers(1, 6000))
def test_the_member_memos_answer_what_the_member_says_now(body: bytes, method: int, field: str, delta: int) -> None:
    """The same stored bytes under another CRC, size or method (a lying central directory) after the memos
    have seen them honest: the answers still equal zipfile's."""
    data = _zip([("xl/a.xml", body, method)])
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.infolist()[0]
    _outcome(sniff_mod._Parts(zf, data).read, "xl/a.xml")  # the memos see the honest member first
    _outcome(sniff_mod._Parts(zf, data).check_the_rest)
    if field == "CRC":
        info.CRC ^= delta
    elif field == "file_size":
        info.file_size = max(info.file_size - delta, 0) if delta % 2 else info.file_size + delta
    elif field == "compress_type":
        info.compress_type = zipfile.ZIP_STORED if method == zipfile.ZIP_DEFLATED else zipfile.ZIP_DEFLATED
    fast, exact = sniff_mod._Parts(zf, data), sniff_mod._Parts(zf, data)
    assert _outcome(fast.read, "xl/a.xml") == _outcome(_read_reference, exact, "xl/a.xml")
    fast, exact = sniff_mod._Parts(zf, data), sniff_mod._Parts(zf, data)
    assert _outcome(fast.check_the_rest) == _outcome(_prolog_reference, exact)


def _record(rtype: int, body: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(body)) + body


@st.composite
def _biff_stream(draw) -> bytes:
    """A BIFF8 workbook stream: globals with sheet entries and a string table, then sheet substreams of
    cells, runs and DIMENSIONS; sheet offsets on a BOF, on another record, off the chain or past the end;
    cells after the last one; then some damage (a record length changed, a truncation)."""
    u16, u32 = st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
    small = st.one_of(st.integers(0, 40), u16)
    n_sheets = draw(st.integers(0, 4))
    records: list[tuple[int, bytes]] = [(sniff_mod._BIFF_BOF, b"\x00\x06\x05\x00" + b"\x00" * 12)]
    sheet_at = []
    for i in range(n_sheets):
        sheet_at.append(len(records))
        name = draw(st.sampled_from([b"Sheet", b"T\x00r\x00", b"x" * 40]))
        flags = 1 if b"\x00" in name else 0
        records.append((sniff_mod._BIFF_SHEET, b"\x00" * 6 + bytes([len(name) // (2 if flags else 1), flags]) + name))
    if draw(st.booleans()):
        records.append((sniff_mod._BIFF_SST, struct.pack("<II", 3, draw(st.one_of(st.integers(0, 50), u32)))))
    if draw(st.booleans()):  # a cell among the globals
        records.append((0x0203, struct.pack("<HHH", draw(small), draw(small), 0) + b"\x00" * 8))
    records.append((sniff_mod._BIFF_EOF, b""))
    for _ in range(draw(st.integers(0, 5))):
        records.append((sniff_mod._BIFF_BOF, b"\x00\x06\x10\x00" + b"\x00" * 12))
        for _ in range(draw(st.integers(0, 12))):
            kind = draw(st.sampled_from(["cell", "cell", "run", "dim", "short", "other", "bof", "eof", "sheet"]))
            if kind == "cell":
                rtype = draw(st.sampled_from(sorted(sniff_mod._BIFF_CELLS[8] | {0x0027, 0x0002, 0x0003, 0x0406})))
                records.append((rtype, struct.pack("<HH", draw(small), draw(small)) + b"\x00" * draw(st.integers(0, 10))))
            elif kind == "run":
                rtype = draw(st.sampled_from(sorted(sniff_mod._BIFF_RUNS)))
                cols = b"".join(struct.pack("<H", draw(small)) for _ in range(draw(st.integers(0, 3))))
                records.append((rtype, struct.pack("<HH", draw(small), draw(small)) + cols))
            elif kind == "dim":
                body = (struct.pack("<IIHHH", draw(st.one_of(small, u32)), draw(st.one_of(small, u32)), draw(small),
                                    draw(small), 0) if draw(st.booleans())
                        else struct.pack("<HHHH", draw(small), draw(small), draw(small), draw(small)))
                records.append((sniff_mod._BIFF_DIM, body[:draw(st.sampled_from([len(body), len(body), 7, 11]))]))
            elif kind == "short":
                records.append((draw(st.sampled_from(sorted(sniff_mod._BIFF_CELLS[8] | sniff_mod._BIFF_RUNS))),
                                b"\x01" * draw(st.integers(0, 5))))
            elif kind == "other":
                records.append((draw(st.sampled_from([0x0208, 0x00E0, 0x007D, 0x0000])), b"\x00" * draw(st.integers(0, 9))))
            elif kind == "sheet":  # a BOUNDSHEET after the globals: the exact scan ignores it
                records.append((sniff_mod._BIFF_SHEET, b"\x00" * 6 + b"\x01\x00z"))
            else:
                records.append((sniff_mod._BIFF_BOF if kind == "bof" else sniff_mod._BIFF_EOF, b""))
        if draw(st.booleans()):
            records.append((sniff_mod._BIFF_EOF, b""))
    for _ in range(draw(st.integers(0, 3))):  # cells after the last substream, outside any sheet
        records.append((0x0203, struct.pack("<HH", draw(small), draw(small)) + b"\x00" * 10))
    positions, pos = [], 0
    for rtype, body in records:
        positions.append(pos)
        pos += 4 + len(body)
    out = bytearray(b"".join(_record(rtype, body) for rtype, body in records))
    for i in sheet_at:  # where each BOUNDSHEET points: usually a BOF of the chain
        target = draw(st.one_of(st.sampled_from(positions), st.integers(0, len(out) + 8)))
        struct.pack_into("<I", out, positions[i] + 4, target)
    if draw(st.booleans()):  # a record length changed: the chain takes another way from there
        at = draw(st.sampled_from(positions))
        struct.pack_into("<H", out, at + 2, draw(st.one_of(st.integers(0, 20), u16)))
    if draw(st.booleans()):
        out = out[:draw(st.integers(0, len(out)))]
    return bytes(out)


def _biff_reference(stream: bytes) -> dict[str, str]:
    """What a reader that knows only the cell records sees: for each BOUNDSHEET, the grid its substream's
    BIFF8 cells span (the globals walked to their EOF; each substream from its BOF to its EOF)."""
    sheets, pos = [], 0
    while pos + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if rtype == 0x000A:
            break
        if rtype == 0x0085 and len(body) >= 8:
            sheets.append((struct.unpack_from("<I", body)[0], body))
    refused = {}
    for offset, body in sheets:
        cells = []
        walk, at = [], offset
        while at + 4 <= len(stream):
            rtype, length = struct.unpack_from("<HH", stream, at)
            walk.append((at, rtype, stream[at + 4:at + 4 + length]))
            at += 4 + length
        for i, (_, rtype, b) in enumerate(walk):
            if rtype == 0x000A or (rtype == 0x0809 and i > 0):
                break
            if rtype in (0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD) and len(b) >= 4:
                cells.append(struct.unpack_from("<HH", b))
            elif rtype in (0x00BD, 0x00BE) and len(b) >= 6:
                r, c = struct.unpack_from("<HH", b)
                cells += [(r, c), (r, struct.unpack_from("<H", b, len(b) - 2)[0])]
        if cells:
            h = max(r for r, _ in cells) - min(r for r, _ in cells) + 1
            w = max(c for _, c in cells) - min(c for _, c in cells) + 1
            if h * w > 500_000:
                name = sniff_mod._biff_sheet_name(body[6:], 8, 1252)
                refused.setdefault(name, f"vùng dữ liệu {h:,} hàng × {w:,} cột".replace(",", "."))
    return refused


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_biff_stream())
def test_the_biff_walk_never_raises_and_bounds_what_the_cells_span(stream: bytes) -> None:
    scan = sniff_mod.scan_biff(stream)  # any bytes: a verdict, never an exception
    if scan.problem is None and not scan.encrypted and scan.version == 8:
        assert scan.refused == _biff_reference(stream)


@pytest.mark.parametrize("margin", [0.7, 0.75, 2 / 2.54, 1.0, 0.5])
@pytest.mark.parametrize("rtype", [0x0026, 0x0027, 0x0028, 0x0029])  # LEFT/RIGHT/TOP/BOTTOMMARGIN
def test_page_margins_are_not_cells(margin: float, rtype: int) -> None:
    """0x0027 (RIGHTMARGIN) is an 8-byte double in every BIFF version; its bytes once read as a cell at row
    and column ~26,000 and refused every LibreOffice-saved .xls."""
    stream = _biff_book([[(0x0203, struct.pack("<HHHd", 3, 2, 15, 5.0)), (rtype, struct.pack("<d", margin))]])
    scan = sniff_mod.scan_biff(stream)
    assert (scan.refused, scan.problem, scan.dimensions_bad) == ({}, None, False)


@pytest.mark.parametrize("rtype", [0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0007, 0x0206, 0x0406])
def test_biff2_to_4_cell_ids_are_not_cells_in_a_biff8_stream(rtype: int) -> None:
    far = struct.pack("<HH", 60_000, 200) + b"\x00" * 11
    scan = sniff_mod.scan_biff(_biff_book([[(0x0203, struct.pack("<HHHd", 0, 0, 15, 1.0)), (rtype, far)]]))
    assert scan.refused == {}


@pytest.mark.parametrize(("version", "refused"), [(8, True), (5, False)])
def test_labelsst_is_a_cell_in_biff8_only(version: int, refused: bool) -> None:
    cells = [(0x0203, struct.pack("<HHHd", 0, 0, 15, 1.0)), (0x00FD, struct.pack("<HHHI", 60_000, 200, 15, 0))]
    scan = sniff_mod.scan_biff(_biff_book([cells], version=version))
    assert bool(scan.refused) is refused


def _biff_book(sheets: list[list[tuple[int, bytes]]], version: int = 8, names: list[bytes] | None = None,
               codepage: int | None = None, filepass: bool = False) -> bytes:
    """A workbook stream: globals (BOF, [FILEPASS], [CODEPAGE], BOUNDSHEETs, EOF), then one substream per sheet."""
    bof = _record(0x0809, struct.pack("<HH", 0x0600 if version == 8 else 0x0500, 0x0005) + b"\x00" * (12 if version == 8 else 4))
    names = names or [f"Sheet{i + 1}".encode() for i in range(len(sheets))]

    def boundsheet(offset: int, name: bytes) -> bytes:
        if version == 8:
            return _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name)
        return _record(0x0085, struct.pack("<IBBB", offset, 0, 0, len(name)) + name)

    head = bof + (_record(0x002F, b"\x01\x00" + b"\x00" * 52) if filepass else b"")
    head += _record(0x0042, struct.pack("<H", codepage)) if codepage else b""
    globals_len = len(head) + sum(len(boundsheet(0, n)) for n in names) + 4
    subs, offsets, at = [], [], globals_len
    for cells in sheets:
        sub = bof.replace(b"\x05\x00", b"\x10\x00", 1) + b"".join(_record(t, b) for t, b in cells) + _record(0x000A, b"")
        offsets.append(at)
        subs.append(sub)
        at += len(sub)
    return head + b"".join(boundsheet(o, n) for o, n in zip(offsets, names)) + _record(0x000A, b"") + b"".join(subs)


def test_biff5_sheet_names_are_decoded_in_the_file_code_page() -> None:
    name = "Báo cáo".encode("cp1252")
    big = [(0x0203, struct.pack("<HHHd", 0, 0, 15, 1.0)), (0x0203, struct.pack("<HHHd", 60_000, 200, 15, 1.0))]
    scan = sniff_mod.scan_biff(_biff_book([big], version=5, names=[name], codepage=1252))
    assert (scan.version, list(scan.refused)) == (5, ["Báo cáo"])
    scan = sniff_mod.scan_biff(_biff_book([big], version=5, names=["Bieu".encode()] , codepage=1258))
    assert list(scan.refused) == ["Bieu"]


def test_filepass_means_encrypted_and_old_biff_is_named() -> None:
    assert sniff_mod.scan_biff(_biff_book([[]], filepass=True)).encrypted is True
    assert sniff_mod.scan_biff(bytes.fromhex("0904060000001000") + b"\x00" * 8).version == 4


_BASIC_MODULE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD '
                 b'OfficeDocument 1.0//EN" "module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/script" '
                 b'script:name="Module1" script:language="StarBasic">Sub Main\nEnd Sub\n</script:module>\n')


def _with_member(src: bytes, name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr(name, body)
    return out.getvalue()


def test_a_doctype_naming_only_an_external_dtd_is_not_a_threat() -> None:
    """OpenOffice writes this DOCTYPE in every Basic module of an .ods; only an internal subset or an entity
    declaration can expand, so only those are refused."""
    ods = (FILES.parent / "formats" / "template_07_lo.ods").read_bytes()
    got = sniff(_with_member(ods, "Basic/Standard/Module1.xml", _BASIC_MODULE), "macro.ods")
    assert (got.kind, got.format, got.issues) == ("report", "ods", [])
    subset = _BASIC_MODULE.replace(b'"module.dtd">', b'"module.dtd" [<!ENTITY a "aaaa">]>')
    got = sniff(_with_member(ods, "Basic/Standard/Module1.xml", subset), "macro.ods")
    assert [i.message for i in got.issues] == [
        "macro.ods: tệp bị từ chối vì lý do an toàn (thành phần basic/standard/module1.xml có khai báo "
        "DOCTYPE/ENTITY). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."]


@pytest.mark.parametrize("name", ["workbook_renamed.xlsx", "backslash_names.xlsx", "rows_1048576.xlsx",
                                  "form_control.xlsx", "no_cell_refs.xlsx"])
def test_xlsx_parts_are_found_as_readers_find_them_and_bounded_by_cells(name: str) -> None:
    got = sniff((FILES.parent / "formats" / name).read_bytes(), name)
    assert (got.kind, got.format, got.issues, got.refused_sheets) == ("report", "xlsx", [], {})


# ------------------------------------------------------------------------------------------ .xlsb

FORMATS = FILES.parent / "formats"


def _brt(rtype: int, body: bytes = b"") -> bytes:
    """One [MS-XLSB] record: type (1–2 bytes) and size (1–4 bytes), 7 bits a byte, high bit = more."""
    head = bytes([rtype]) if rtype < 0x80 else bytes([rtype & 0x7F | 0x80, rtype >> 7])
    size, out = len(body), bytearray()
    while True:
        out.append(size & 0x7F | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return head + bytes(out) + body


def _row(r: int) -> bytes:
    return _brt(0x0000, struct.pack("<IIHBBB", r, 0, 300, 0, 0, 0) + b"\x00" * 4)


def _num(col: int, value: float) -> bytes:
    return _brt(0x0005, struct.pack("<IId", col, 0, value))  # BrtCellReal: column, style, value


def _xlsb_sheet(*cells: bytes, dims: tuple[int, int, int, int] = (1, 2, 0, 1)) -> bytes:
    """A worksheet part: BrtBeginSheet, BrtWsDim (first row, last row, first column, last column), the sheet
    data, BrtEndSheet."""
    return (_brt(0x0081) + _brt(0x0094, struct.pack("<4I", *dims)) + _brt(0x0091) + b"".join(cells)
            + _brt(0x0092) + _brt(0x0082))


def _with_part(data: bytes, member: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, body if item.filename == member else zin.read(item))
    return out.getvalue()


def _excel_xlsb_with(sheet1: bytes) -> bytes:
    return _with_part((FORMATS / "excel_base.xlsb").read_bytes(), "xl/worksheets/sheet1.bin", sheet1)


def test_an_excel_binary_workbook_is_a_report_bounded_by_its_cells() -> None:
    for name in ("excel_base.xlsb", "excel_sheet_kinds.xlsb"):
        got = sniff((FORMATS / name).read_bytes(), name)
        assert (got.kind, got.format, got.issues, got.refused_sheets, got.calamine_safe) == \
            ("report", "xlsb", [], {}, True)


def test_an_xlsb_sheet_is_bounded_by_its_cells_never_by_its_declared_range() -> None:
    # BrtWsDim says A1:XFD1048576; the cells are two
    lying = _xlsb_sheet(_row(1), _num(0, 1.0), _num(1, 2.0), dims=(0, 1_048_575, 0, 16_383))
    assert sniff(_excel_xlsb_with(lying), "a.xlsb").refused_sheets == {}
    # a cell far below the first (row 1,000,001) makes a grid of 1,000,000 rows: that sheet alone is refused
    far = _xlsb_sheet(_row(1), _num(0, 1.0), _row(1_000_000), _num(1, 2.0))
    got = sniff(_excel_xlsb_with(far), "a.xlsb")
    assert (got.kind, got.issues) == ("report", [])
    assert got.refused_sheets == {"Sheet1": "vùng dữ liệu 1.000.000 hàng × 2 cột"}
    # rows out of order span from the lowest to the highest (calamine 0.37 places them so)
    back = _xlsb_sheet(_row(1_000_000), _num(0, 1.0), _row(1), _num(1, 2.0))
    assert sniff(_excel_xlsb_with(back), "a.xlsb").refused_sheets == {"Sheet1": "vùng dữ liệu 1.000.000 hàng × 2 cột"}
    # blank cells (BrtCellBlank) are not in calamine's grid
    blank = _xlsb_sheet(_row(1), _num(0, 1.0), _row(1_000_000), _brt(0x0001, struct.pack("<II", 5, 0)))
    assert sniff(_excel_xlsb_with(blank), "a.xlsb").refused_sheets == {}


_CUT = 6  # BrtEndSheetData and BrtEndSheet, three bytes each, end every _xlsb_sheet


@pytest.mark.parametrize(("sheet1", "reason"), [
    # a row past Excel's last (calamine ends the sheet there without a word)
    (_xlsb_sheet(_row(1), _num(0, 1.0), _row(2_000_000), _num(0, 2.0)),
     "trang \"Sheet1\" có hàng 2.000.001, ngoài trang tính Excel"),
    (_xlsb_sheet(_row(1), _num(70_000, 1.0)), "trang \"Sheet1\" có ô ở cột 70.001, ngoài trang tính Excel"),
    # a record whose size (4 bytes, the deepest) declares 268 MB inside a part of a few bytes
    (_xlsb_sheet(_row(1), b"\x05\xff\xff\xff\x7f" + b"\x00" * 16),
     "bản ghi bị cắt cụt trong xl/worksheets/sheet1.bin (khai báo 268.435.455 byte, còn 22)"),
    # the part cut in the middle of a cell record (16 bytes of body, 10 left)
    (_xlsb_sheet(_row(1), _num(0, 1.0))[:-_CUT - 6],
     "bản ghi bị cắt cụt trong xl/worksheets/sheet1.bin (khai báo 16 byte, còn 10)"),
    # cut inside a record's size
    (_xlsb_sheet(_row(1))[:-_CUT] + b"\x05\x90", "bản ghi bị cắt cụt trong xl/worksheets/sheet1.bin"),
], ids=["row-past-excel", "column-past-excel", "deep-size", "cut-body", "cut-size"])
def test_hostile_xlsb_sheets_are_refused_before_calamine(sheet1: bytes, reason: str) -> None:
    got = sniff(_excel_xlsb_with(sheet1), "a.xlsb")
    assert (got.kind, [i.message for i in got.issues]) == (
        "unreadable", [f"a.xlsb: tệp bị hỏng hoặc chưa tải về đủ ({reason}). Đề nghị đơn vị gửi lại."])


def test_an_xlsb_size_that_calamine_reads_from_inside_another_record_is_bounded() -> None:
    """calamine 0.37 reads xl/styles.bin, and the defined names of xl/workbook.bin, type by type: inside the
    body of a record it skips, the bytes E9 84 read as BrtBeginCellXFs and the next four as a size of 256 MB,
    which it allocates. A record walk would call this body harmless; the refusal follows calamine's reads."""
    base = (FORMATS / "excel_base.xlsb").read_bytes()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        styles, workbook = z.read("xl/styles.bin"), z.read("xl/workbook.bin")
    hidden = _brt(0x000A, b"\xe9\x84\xff\xff\xff\x7f")  # a record of 6 bytes, intact as a record
    got = sniff(_with_part(base, "xl/styles.bin", styles[:3] + hidden + styles[3:]), "a.xlsb")
    assert [i.message for i in got.issues] == [
        f"a.xlsb: tệp bị hỏng hoặc chưa tải về đủ (bản ghi bị cắt cụt trong xl/styles.bin (khai báo 268.435.455 "
        f"byte, còn {sniff_mod._dotted(len(styles) - 3)})). Đề nghị đơn vị gửi lại."]
    at = workbook.index(_brt(0x0090)) + 3  # after BrtEndBundleShs: BrtName (0x27) read out of a body
    got = sniff(_with_part(base, "xl/workbook.bin", workbook[:at] + _brt(0x000A, b"\x27\xff\xff\xff\x7f")
                           + workbook[at:]), "a.xlsb")
    assert [i.message for i in got.issues] == [
        f"a.xlsb: tệp bị hỏng hoặc chưa tải về đủ (bản ghi bị cắt cụt trong xl/workbook.bin (khai báo 268.435.455 "
        f"byte, còn {sniff_mod._dotted(len(workbook) - at)})). Đề nghị đơn vị gửi lại."]
    # the same bytes before BrtEndBundleShs are a body calamine skips whole: read
    at = workbook.index(_brt(0x0090))
    got = sniff(_with_part(base, "xl/workbook.bin", workbook[:at] + _brt(0x000A, b"\x27\xff\xff\xff\x7f")
                           + workbook[at:]), "a.xlsb")
    assert (got.kind, got.issues) == ("report", [])


def test_an_xlsb_string_table_declaring_more_strings_than_it_can_hold_is_refused() -> None:
    base = (FORMATS / "excel_base.xlsb").read_bytes()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        strings = z.read("xl/sharedStrings.bin")
    assert strings[:3] == b"\x9f\x01\x08"  # BrtBeginSst: total, unique
    lying = strings[:3] + struct.pack("<II", 4_000_000_000, 4_000_000_000) + strings[11:]
    got = sniff(_with_part(base, "xl/sharedStrings.bin", lying), "a.xlsb")
    assert [i.message for i in got.issues] == [
        f"a.xlsb: tệp bị từ chối vì lý do an toàn (bảng chuỗi khai báo 4.000.000.000 chuỗi trong {len(lying)} byte)."
        " Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."]


def test_an_xlsb_walk_has_one_record_budget_for_the_whole_file(monkeypatch) -> None:
    monkeypatch.setattr(sniff_mod, "MAX_XLSB_RECORDS", 50)
    got = sniff(_excel_xlsb_with(_xlsb_sheet(*[_row(r) + _num(0, r) for r in range(30)])), "a.xlsb")
    assert [i.message for i in got.issues] == [
        "a.xlsb: tệp bị từ chối vì lý do an toàn (tệp có hơn 50 bản ghi). Đề nghị đơn vị mở bằng Excel, lưu lại và "
        "gửi lại."]


def test_an_xlsb_whose_workbook_part_calamine_cannot_find_is_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Override PartName="/xl/book.bin" ContentType="application/'
                                          'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        z.writestr("_rels/.rels", '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                                  'officeDocument/2006/relationships/officeDocument" Target="xl/book.bin"/>'
                                  '</Relationships>')
        z.writestr("xl/book.bin", b"\x83\x01\x00")
    assert [i.message for i in sniff(out.getvalue(), "so.xlsb").issues] == [
        "so.xlsb: sổ Excel nhị phân (.xlsb) có phần sổ làm việc mang tên khác (xl/book.bin), chương trình chưa đọc "
        "dạng này: đề nghị lưu lại dạng .xlsx (mở bằng Excel hoặc LibreOffice, chọn Lưu thành… → Sổ làm việc Excel "
        ".xlsx) rồi gửi lại."]


def test_an_xlsb_with_a_real_password_asks_for_the_file_without_it() -> None:
    got = sniff((FORMATS / "excel_password.xlsb").read_bytes(), "excel_password.xlsb")
    assert [i.message for i in got.issues] == [
        "excel_password.xlsb: tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp → Thông tin "
        "→ Bảo vệ sổ làm việc) và gửi lại."]


_XLSB_PARTS = ("xl/worksheets/sheet1.bin", "xl/worksheets/sheet3.bin", "xl/workbook.bin", "xl/sharedStrings.bin",
               "xl/styles.bin")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part=st.sampled_from(_XLSB_PARTS), seed=st.integers(min_value=0, max_value=2**32 - 1),
       how=st.sampled_from(["flip", "truncate", "splice", "big"]))
def test_mutated_xlsb_records_are_refused_or_read_never_a_crash(part: str, seed: int, how: str) -> None:
    """Damaged records inside an intact zip: sniff refuses them or calamine reads them within the bounds;
    whatever calamine then raises or panics on becomes an issue (an abort would end this test run)."""
    import random

    from consolidate.reader import MAX_COLS, MAX_ROWS, load_sheets

    base = (FORMATS / "excel_base.xlsb").read_bytes()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        body = bytearray(z.read(part))
    rnd = random.Random(seed)
    if how == "flip":
        for _ in range(rnd.randint(1, 8)):
            body[rnd.randrange(len(body))] = rnd.randrange(256)
    elif how == "truncate":
        body = body[:rnd.randrange(len(body))]
    elif how == "splice":
        at = rnd.randrange(len(body))
        body[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
    else:  # a far row or column written into a row header or cell
        at = rnd.randrange(max(len(body) - 4, 1))
        body[at:at + 4] = struct.pack("<I", rnd.choice([1_048_575, 1_048_576, 16_383, 16_384, 2**31, 2**32 - 1]))
    got = sniff(_with_part(base, part, bytes(body)), "a.xlsb")
    assert got.kind in ("report", "unreadable")
    if got.kind == "unreadable":
        assert [i.code for i in got.issues] in (["corrupt"], ["unsafe-file"], ["too-many-sheets"],
                                                 ["unsupported-format"])
        return
    sheets, issues = load_sheets(got.data, "a.xlsb", got.refused_sheets, got.uncached, fmt=got.format,
                                 calamine_safe=got.calamine_safe)
    assert sheets is not None or [i.code for i in issues] == ["corrupt"]
    for sheet in sheets or []:
        assert len(sheet.rows) <= MAX_ROWS and all(len(r) <= MAX_COLS for r in sheet.rows)


def test_a_zip_member_without_a_name_is_no_traceback() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        nameless = zipfile.ZipInfo("x")
        nameless.filename = ""  # ZipInfo.is_dir() indexes filename[-1]
        zf.writestr(nameless, b"du lieu")
    got = sniff_mod.sniff_bytes(buf.getvalue(), "t.xlsx")
    assert (got.kind, [i.code for i in got.issues]) == ("unreadable", ["wrong-format"])
