"""(Re)make the reader's test fixtures: small real files from openpyxl, xlsxwriter and LibreOffice saves,
and hostile files of every kind in SECURITY.md. The outputs are committed; tests never regenerate them.

    python tests/files/reader/make_fixtures.py

good/      forms as units return them (template-like, seed retyped, moved/renamed/NFD, value problems)
identity/  who sent it: wrong year, wrong form, identity vs "Đơn vị báo cáo", two submissions
bad/       what is not a readable report, one file per threat

The encrypted workbook is an OLE2 compound file written by hand (``_cfb``): no installed tool writes an
encrypted OOXML package, and the reader only looks at the stream names ``EncryptionInfo`` and
``EncryptedPackage``, which is exactly what Excel's "Encrypt with password" produces.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata
import uuid
import warnings
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.styles import Alignment

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from consolidate.form import load_form  # noqa: E402
from consolidate.identity import IDENTITY_SHEET, identity_rows  # noqa: E402
from consolidate.text import strip_accents  # noqa: E402

FORM = load_form()
GOOD, IDENT, BAD = HERE / "good", HERE / "identity", HERE / "bad"

# A school's values, typed as numbers (totals consistent with their parts).
SCHOOL = {
    "1": {"count": 8}, "1.0": {"people": 248},
    "1.7": {"count": 6, "people": 210}, "1.9": {"count": 2, "people": 38},
    "2": {"count": 3}, "3": {"count": 5}, "4.1": {"count": 12}, "4.2": {"count": 340},
    "5": {"count": 4}, "5.1": {"count": 1}, "5.2": {"count": 1}, "5.4": {"count": 2, "people": 120},
    "6": {"count": 2}, "6.1": {"count": 1, "people": 150}, "6.2": {"count": 1, "people": 95},
    "7.1": {"count": 1}, "9.2": {"count": 3}, "10.1": {"amount": 2_000_000},
    "11": {"text": "Tổ chức ngày hội đọc sách cho học sinh"},
}

# The seed's Phụ lục 2 as a unit retyped it (001_e15dd902a50f8f03.txt): its labels, its typos
# ("các thi", "Trung bày"), its row 5 wrapped over two rows with an empty row between; values as people
# type them. (The seed's text puts the label of 1.13 in the STT column; a person retyping puts it where
# the other labels are.)
SEED_ROWS = [
    ("1", "Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ", "lớp", "3 lớp", None),
    ("", "Tổng số người tham gia, trong đó:", "người", None, "95 người"),
    ("", "Bồi dưỡng nâng cao trình độ chuyên môn nghiệp vụ cho cán bộ, công chức, viên chức (các cấp)", "lớp/người", None, None),
    ("", "Bồi dưỡng nâng cao trình độ ngoại ngữ cho cán bộ, công chức, viên chức (các cấp)", "lớp/người", None, None),
    ("", "Bồi dưỡng nâng cao trình độ tin học cho cán bộ, công chức, viên chức (các cấp)", "lớp/người", None, None),
    ("", "Bồi dưỡng nâng cao tay nghề cho công nhân lao động", "lớp/người", None, None),
    ("", "Học nghề cho lao động nông thôn", "lớp/người", "1", "35"),
    ("", "Nâng cao trình độ văn hóa cho cán bộ công chức cấp xã, người lao động trong các khu công nghiệp, khu chế xuất", "lớp/người", None, None),
    ("", "Giáo dục kỹ năng sống cho học sinh", "lớp/người", None, None),
    ("", "Phổ biến kiến thức khoa học, kiến thức pháp luật cho người lao động", "lớp/người", "2", "60"),
    ("", "Bồi dưỡng thường xuyên cho giáo viên", "lớp/người", None, None),
    ("", "Bồi dưỡng, tập huấn cho cán bộ quản lý, báo cáo viên TTHTCD", "lớp/người", None, None),
    ("", "Phổ cập giáo dục (tiểu học, THCS)", "lớp/người", None, None),
    ("", "Xóa mù chữ", "lớp/người", None, None),
    ("", "Các lớp bồi dưỡng, tập huấn khác", "lớp/người", None, None),
    ("2", "Số tin bài về các hoạt động của Tuần lễ", "Tin, bài/ cuộc", "2", None),
    ("3", "Ấn phẩm thông tin (tờ rơi, áp phích, băng rôn, khẩu hiệu)", "quyển/ tờ", "1.200", None),
    ("4", "Phát động phong trào và tổ chức quyên góp sách giúp xây dựng tủ sách lớp học, xây dựng thư viện trường học", "", None, None),
    ("", "Số tập thể/ cá nhân tặng sách", "Tập thể/cá nhân", "4", None),
    ("", "Số sách đã huy động tặng các trường học, thư viện", "Quyển", "85", None),
    ("5", "Tổ chức các thi, các buổi tọa đàm về", "Số cuộc", "2", None),
    None,  # the seed's empty line inside row 5
    ("", "khuyến đọc, khuyến học và xây dựng xã hội học tập", "", None, None),
    ("", "Hội sách, đường sách, phố sách", "Số cuộc", None, None),
    ("", "Trung bày, triển lãm sách báo, tư liệu", "Số cuộc", "1", None),
    ("", "Thi tìm hiểu, học tập lịch sử, văn hóa địa phương tại các bảo tàng, di tích", "Số cuộc/người", None, None),
    ("", "Thi về sách (thi xếp sách nghệ thuật, thi vẽ tranh theo sách, thi tìm hiểu kiến thức qua sách báo, thi thiếu nhi kể chuyện theo sách, thi viết cảm nhận qua việc đọc sách)", "Số cuộc/người", None, None),
    ("", "Sinh hoạt chuyên đề học tập suốt đời, xây dựng xã hội học tập", "Số cuộc/người", None, None),
    ("", "Các cuộc thi khác", "Số cuộc/người", "1", "40 người"),
    ("6", "Tổ chức hoạt động văn nghệ, thể thao, thăm quan, sinh hoạt chuyên đề", "Số cuộc", "1", None),
    ("", "Hoạt động thể dục thể thao", "Số cuộc/người", "1", "120"),
    ("", "Hoạt động văn nghệ", "Số cuộc/người", None, None),
    ("", "Thăm quan, học tập tại bảo tàng, di tích lịch sử", "Số cuộc/người", None, None),
    ("7", "Tổ chức Lễ khai mạc Tuần lễ", "", None, None),
    ("", "Số cơ sở giáo dục tổ chức Lễ khai mạc Tuần lễ", "Trường", None, None),
    ("8", "Tổ chức hội thảo/sinh hoạt chuyên đề", "cuộc", None, None),
    ("9", "Khen thưởng về tổ chức Tuần lễ", "", None, None),
    ("", "Tập thể", "Đơn vị", None, None),
    ("", "Cá nhân", "Người", None, None),
    ("10", "Kinh phí", "", None, None),
    ("", "Ngân sách nhà nước", "đồng", "2,5 triệu", None),
    ("", "Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có)", "đồng", None, "1.500.000 đ"),
    ("11", "Các nội dung khác (nếu có)", "", None, None),
]


def soffice(src: Path, fmt: str, out_dir: Path) -> Path:
    """Save a copy with LibreOffice headless (own profile, so it never clashes with a running office)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed to make the fixtures")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.gettempdir()) / f"lo-fixtures-{uuid.uuid4().hex}"
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(out_dir), str(src)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out_dir / f"{src.stem}.{fmt}"


# ------------------------------------------------------------------------------------- good files

def write_template(path: Path, unit_code: str, unit_name: str, values: dict, *, year: int = 2021,
                   form_id: str | None = None, title_name: str | None = None,
                   saved_at: dt.datetime = dt.datetime(2021, 10, 12, 9, 30),
                   formulas: dict[tuple[str, str], str] | None = None) -> None:
    """A template-like workbook (openpyxl) following the identity contract, filled by a unit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = FORM.sheet
    ws["A1"] = f"Đơn vị báo cáo: {unit_name if title_name is None else title_name}"
    ws["B3"] = FORM.title
    ws["B4"] = FORM.subtitle_for(year)
    for col, text in zip("ABCDEF", ["STT", "Các hoạt động", "Đơn vị", "Số lượng", None, "Ghi chú"]):
        ws[f"{col}6"] = text
    ws["D7"], ws["E7"] = "Số lớp/số cuộc thi", "Người"
    for rng in ("A6:A7", "B6:B7", "C6:C7", "D6:E6", "F6:F7"):
        ws.merge_cells(rng)
    r = 8
    cols = {"count": 4, "amount": 4, "text": 4, "people": 5}
    for row in FORM.rows:
        ws.cell(r, 1, row.stt or None)
        ws.cell(r, 2, row.label).alignment = Alignment(wrap_text=True)
        ws.cell(r, 3, row.unit or None)
        for measure, value in values.get(row.code, {}).items():
            col = cols[measure]
            if row.single_numeric == "people":
                col = 5
            ws.cell(r, col, value)
        for (code, measure), formula in (formulas or {}).items():
            if code == row.code:
                ws.cell(r, cols[measure], formula)
        r += 1
    ident = wb.create_sheet(IDENTITY_SHEET)
    for i, (key, value) in enumerate(identity_rows(form_id or FORM.id, FORM.version, year, unit_code, unit_name,
                                                   dt.datetime(2021, 9, 20, 8, 0)), start=1):
        ident.cell(i, 1, key)
        ident.cell(i, 2, value).data_type = "s"
    ident.cell(7, 1, "saved_at")
    ident.cell(7, 2, saved_at)  # what Excel caches for =NOW() when the unit saves
    ident.sheet_state = "hidden"
    wb.save(path)


def write_seed_retyped(path: Path, unit_name: str) -> None:
    """A unit that ignored the template and retyped the seed's table (xlsxwriter)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write(0, 0, f"Đơn vị báo cáo: {unit_name}")
    ws.write(2, 1, "BIỂU TỔNG HỢP")
    ws.write(3, 1, "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021")
    ws.write_row(5, 0, ["STT", "Các hoạt động", "Đơn vị", "Số lượng", "", "Ghi chú"])
    ws.write_row(6, 0, ["", "", "", "Số lớp/số cuộc thi", "Người", ""])
    for i, row in enumerate(SEED_ROWS, start=7):
        if row is None:
            continue
        stt, label, unit, a, b = row
        ws.write_row(i, 0, [stt, label, unit])
        if a is not None:
            ws.write_string(i, 3, a)
        if b is not None:
            ws.write_string(i, 4, b)
    wb.close()


def write_moved(path: Path) -> None:
    """Header at C12 on a renamed sheet, NFD (Mac) and accent-less labels, numbering in labels, no "Ghi
    chú" column, blank and inserted rows, numbers as text (xlsxwriter)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Bao cao")
    ws.write(1, 2, unicodedata.normalize("NFD", "Đơn vị báo cáo:"))
    ws.write(1, 3, unicodedata.normalize("NFD", "Trường PTDTBT Tiểu học Chiềng Ơn"))
    ws.write_row(11, 2, ["STT", unicodedata.normalize("NFD", "Các hoạt động"), "Đơn vị",
                         "Số lớp/ số cuộc thi", "Người"])
    r = 12
    for row in FORM.rows:
        if row.code in ("8", "9", "9.1", "9.2"):  # the unit left these out
            continue
        label = row.label
        if row.code.startswith("1."):
            label = unicodedata.normalize("NFD", label)
        elif row.code.startswith("6"):
            label = strip_accents(label)  # typed without diacritics
        elif row.code == "2":
            label = "2. " + label  # numbering typed into the label
        ws.write(r, 2, row.stt)
        ws.write(r, 3, label)
        values = {"1.7": ("6", "210"), "1.9": ("2", " 38 "), "2": ("1 200", None), "3": (None, "7"),
                  "6.1": ("1", "150 người"), "10.1": ("1.200.000đ", None)}.get(row.code)
        if values:
            if values[0] is not None:
                ws.write_string(r, 5, values[0])
            if values[1] is not None:
                ws.write_string(r, 6, values[1])
        if row.code == "3":
            r += 2  # an empty row, then a row the unit added
            ws.write(r, 3, "Hoạt động do trường tự thêm")
            ws.write_string(r, 5, "3")
        r += 1
    wb.close()


def write_problems(path: Path) -> None:
    """Values that must become issues, and formulas with and without a stored result (openpyxl)."""
    values = {
        "2": {"count": 3}, "3": {"count": 12},
        "1.9": {"count": 2, "people": "1.5"}, "4.2": {"count": "mười"},
        "5.1": {"count": "nhiều"}, "5.2": {"count": "x"}, "9.1": {"count": "-1"}, "9.2": {"count": "2,5"},
        "10.1": {"amount": "2,5 triệu"}, "1.7": {"count": 6, "people": 210},
        "11": {"text": "Nội dung \u202eđảo chiều\u202c " + "x" * 33000},
    }
    write_template(path, "CS02", "Trường THCS Chiềng Ơn", values,
                   formulas={("1", "count"): "=SUM(D10:D22)", ("7.1", "count"): "=1+0"})
    wb = openpyxl.load_workbook(path)
    ws = wb[FORM.sheet]
    rows = {ws.cell(r, 2).value: r for r in range(8, 60)}
    ws.cell(rows[FORM.row("2").label], 5, 4)  # count typed twice, differently
    ws.cell(rows[FORM.row("3").label], 5, 12)  # count typed twice, the same
    ws.cell(rows[FORM.row("4").label], 4, 5)  # a value on a header row
    ws.cell(rows[FORM.row("1.0").label], 4, 248)  # people typed in the count column
    note = ws.cell(rows[FORM.row("2").label], 6, "=HYPERLINK(\"http://vi-du.example\",\"bấm\")")
    note.data_type = "s"
    # an unknown row with a value, inserted after 6.3; and row 6.1 a second time
    last = max(rows.values()) + 1
    ws.cell(last, 2, "Hoạt động ngoại khóa khác")
    ws.cell(last, 4, 3)
    ws.cell(last + 1, 2, FORM.row("6.1").label)
    ws.cell(last + 1, 4, 9)
    # row 8 deleted by the unit: its label cleared
    ws.cell(rows[FORM.row("8").label], 2).value = None
    wb.save(path)


# ------------------------------------------------------------------------------------- bad files

def _rezip(src: bytes, extra: list[tuple[str, bytes]] = (), method: int = zipfile.ZIP_DEFLATED,
           replace: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", method) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info))
            zout.writestr(info.filename, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the duplicate member is the point
            for name, data in extra:
                zout.writestr(name, data)
    return out.getvalue()


def _raw_xlsx(sheet_xml: bytes, n_sheets: int = 1) -> bytes:
    """A minimal xlsx written by hand (for what no writer produces: far cells, hundreds of sheets)."""
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
          b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
          b'sheet.main+xml"/>'
          + b"".join(b'<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.'
                     b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % i
                     for i in range(1, n_sheets + 1)) + b"</Types>")
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
          b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
          b'relationships"><sheets>'
          + b"".join(b'<sheet name="Trang %d" sheetId="%d" r:id="rId%d"/>' % (i, i, i)
                     for i in range(1, n_sheets + 1)) + b"</sheets></workbook>")
    wbrels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
              b'package/2006/relationships">'
              + b"".join(b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/'
                         b'2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i, i)
                         for i in range(1, n_sheets + 1)) + b"</Relationships>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wbrels)
        for i in range(1, n_sheets + 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml)
    return out.getvalue()


def _sheet_xml(cells: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode()


def _cfb(stream_names: list[str]) -> bytes:
    """A minimal OLE2 compound file whose directory lists the given (empty) streams."""
    sector = 512
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", header, 32, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<i", header, 48, 1)  # directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<i", header, 60, -2)  # no mini FAT
    struct.pack_into("<i", header, 68, -2)  # no DIFAT sectors
    difat = [0] + [-1] * 108
    struct.pack_into("<109i", header, 76, *difat)
    fat = [-3, -2] + [-1] * (sector // 4 - 2)  # sector 0 = FAT, sector 1 = directory (end of chain)
    fat_bytes = struct.pack(f"<{sector // 4}i", *fat)
    entries = [("Root Entry", 5)] + [(n, 2) for n in stream_names]
    directory = bytearray(sector)
    for i, (name, kind) in enumerate(entries[:4]):
        off = i * 128
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[off:off + len(raw)] = raw
        struct.pack_into("<HBB", directory, off + 64, len(raw), kind, 1)
        struct.pack_into("<iii", directory, off + 68, -1, i + 2 if i + 1 < len(entries) else -1,
                         1 if i == 0 else -1)
        struct.pack_into("<iI", directory, off + 116, -2, 0)
    return bytes(header) + fat_bytes + bytes(directory)


def _ods_repeat() -> bytes:
    """An ODS whose one valued cell is repeated 100 columns × 100,000 rows (10 million cells)."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Trang1">'
               '<table:table-row table:number-rows-repeated="100000">'
               '<table:table-cell table:number-columns-repeated="100" office:value-type="float" '
               'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
                'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_bad(template: bytes, work: Path) -> None:
    BAD.mkdir(exist_ok=True)
    (BAD / "zip_bomb.xlsx").write_bytes(_rezip(template, [("xl/media/pad.bin", b"\x00" * (20 * 1024 * 1024))]))
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        sheet1 = z.read("xl/worksheets/sheet1.xml")
    (BAD / "duplicate_members.xlsx").write_bytes(_rezip(template, [("xl/worksheets/sheet1.xml", sheet1)]))
    (BAD / "dotdot.xlsx").write_bytes(_rezip(template, [("../../thu_muc_khac/evil.xml", b"<x/>")]))
    decl_end = sheet1.index(b"?>") + 2 if sheet1.startswith(b"<?xml") else 0
    bomb = (sheet1[:decl_end] + b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            + sheet1[decl_end:])
    (BAD / "doctype.xlsx").write_bytes(_rezip(template, replace={"xl/worksheets/sheet1.xml": bomb}))
    (BAD / "bzip2.xlsx").write_bytes(_rezip(template, method=zipfile.ZIP_BZIP2))
    (BAD / "truncated.xlsx").write_bytes(template[: len(template) * 6 // 10])
    (BAD / "empty.xlsx").write_bytes(b"")
    (BAD / "encrypted.xlsx").write_bytes(_cfb(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]))
    (BAD / "web_page.xls").write_text(
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>Các hoạt động</td><td>Người</td></tr>"
        "</table></body></html>", encoding="utf-8")
    (BAD / "comma_text.xls").write_text("STT,Các hoạt động,Đơn vị,Số lớp/số cuộc thi,Người\n1,Xóa mù chữ,lớp,1,20\n",
                                        encoding="utf-8")
    (BAD / "spreadsheetml_2003.xls").write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-'
        'microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>\n', encoding="utf-8")
    (BAD / "bao_cao.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    (BAD / "anh_khai_mac.jpg").write_bytes(bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"))
    (BAD / "~$MN01_Truong_Mam_non_Muong_Giang.xlsx").write_bytes(b"\x0bNguyen Van A" + b"\x00" * 150)
    (BAD / "ghi_chu.txt").write_text("Gửi kèm báo cáo của trường.\n", encoding="utf-8")
    import docx

    doc = docx.Document()
    doc.add_paragraph("Công văn gửi kèm báo cáo Tuần lễ hưởng ứng học tập suốt đời năm 2021.")
    doc.save(BAD / "cong_van.docx")
    shutil.copy(soffice(BAD / "cong_van.docx", "doc", work / "doc"), BAD / "cong_van.doc")
    (BAD / "many_sheets.xlsx").write_bytes(_raw_xlsx(_sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'), 250))
    (BAD / "far_corner.xlsx").write_bytes(_raw_xlsx(_sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Các hoạt động</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')))
    (BAD / "ods_repeat.ods").write_bytes(_ods_repeat())
    # an .xls whose second sheet's DIMENSIONS record is inverted (first row 11008 > last row 7), as one
    # damaged byte leaves it: calamine would reserve 343 GB and abort the whole process
    xls = (GOOD / "template_lo.xls").read_bytes()
    dims = bytes.fromhex("00020e00" "00000000" "07000000" "0000" "0200" "0000")
    assert xls.count(dims) == 1
    (BAD / "xls_bad_dimensions.xls").write_bytes(xls.replace(dims, bytes.fromhex("00020e00002b000007000000000002000000")))
    # a shared-string table declaring four billion strings: calamine reserves 96 GB for them and aborts
    lo_xlsx = (GOOD / "template_lo.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(lo_xlsx)) as z:
        sst = z.read("xl/sharedStrings.xml")
    sst = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', sst, count=1)
    (BAD / "string_count.xlsx").write_bytes(_rezip(lo_xlsx, replace={"xl/sharedStrings.xml": sst}))
    # its last sectors zeroed, as a cut download leaves it: calamine panics (a Rust panic, not an error)
    (BAD / "xls_damaged.xls").write_bytes(xls[:14148] + b"\x00" * 64)
    far = openpyxl.Workbook()
    far.active["A1"] = "Các hoạt động"
    far.active["IV65536"] = 1  # the last cell of an .xls sheet
    far.save(work / "far_corner_xls.xlsx")
    shutil.copy(soffice(work / "far_corner_xls.xlsx", "xls", work / "far"), BAD / "far_corner.xls")


def main() -> None:
    for d in (GOOD, IDENT, BAD):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
    with tempfile.TemporaryDirectory() as tmp_name:
        work = Path(tmp_name)
        tpl = GOOD / "template_openpyxl.xlsx"
        write_template(tpl, "MN01", "Trường Mầm non Mường Giàng", SCHOOL)
        for fmt in ("xls", "ods", "xlsx"):
            out = soffice(tpl, fmt, work / fmt)
            shutil.copy(out, GOOD / f"template_lo.{fmt}")
        shutil.copy(GOOD / "template_lo.xls", GOOD / "xls_renamed.xlsx")
        # a macro-enabled workbook (.xlsm): its content type and a VBA project part; macros never run
        with zipfile.ZipFile(tpl) as z:
            ct = z.read("[Content_Types].xml").replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        (GOOD / "template_macro.xlsm").write_bytes(_rezip(tpl.read_bytes(), [("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 508)],
                                                          replace={"[Content_Types].xml": ct}))
        write_seed_retyped(GOOD / "Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx", "UBND xã Chiềng Khay")
        write_seed_retyped(GOOD / "seed_retyped_no_name.xlsx", "")
        write_moved(GOOD / "moved_nfd.xlsx")
        write_problems(GOOD / "problems.xlsx")
        shutil.copy(soffice(GOOD / "problems.xlsx", "ods", work / "p"), GOOD / "problems_lo.ods")

        write_template(IDENT / "wrong_year.xlsx", "MN02", "Trường Mầm non Chiềng Ơn", SCHOOL, year=2020)
        write_template(IDENT / "wrong_form.xlsx", "MN02", "Trường Mầm non Chiềng Ơn", SCHOOL, form_id="bieu-khac")
        write_template(IDENT / "mismatch.xlsx", "MN01", "Trường Mầm non Mường Giàng", SCHOOL,
                       title_name="Trường Tiểu học Mường Giàng")
        write_template(IDENT / "unknown_code.xlsx", "ZZ99", "Trường Không Có", SCHOOL, title_name="")
        write_template(IDENT / "lan_1.xlsx", "TH03", "Trường Tiểu học Chiềng Bằng", SCHOOL,
                       saved_at=dt.datetime(2021, 10, 14, 16, 0))
        write_template(IDENT / "lan_2_da_sua.xlsx", "TH03", "Trường Tiểu học Chiềng Bằng", SCHOOL,
                       saved_at=dt.datetime(2021, 10, 10, 8, 0))  # named "lần 2" but saved earlier
        make_bad(tpl.read_bytes(), work)
    for d in (GOOD, IDENT, BAD):
        for p in sorted(d.iterdir()):
            print(f"{p.relative_to(HERE)}  {p.stat().st_size:,} B")


if __name__ == "__main__":
    main()
