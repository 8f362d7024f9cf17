"""(Re)make the file-format fixtures: one unit's real template filled and saved by LibreOffice in each format
and page style a unit's office writes, plus the shapes other writers produce. The outputs are committed;
tests never regenerate them.

    python tests/files/formats/make_fixtures.py [NAME ...]   (only the named outputs; all without names)

What LibreOffice (7.4, headless, own profile) writes here:
  template_07_lo.{xls,xlsx,ods}   the project's template for X01, filled, with Excel's default 0.7" margins
  default_page_lo.{xls,xlsx,ods}  a small sheet with LibreOffice's default page style (2 cm margins)
  flat_lo.fods                    the filled template as a flat OpenDocument spreadsheet
  margins_lo.xls                  the filled template, its protected one-column sheet "Hướng dẫn" with custom
                                  0.6" margins (a RIGHTMARGIN of 0.6 once read as a 13,108 × 13,108 grid)
  short_sector_lo.xls             template_07_lo.xls as LibreOffice saves it, less its last 256 bytes (the two
                                  unused directory entries): the last sector is 256 bytes, as some writers leave it
Saved through LibreOffice's API (lo_uno.py, with Debian's python3-uno), for what its command line cannot do:
  encrypted_default_lo.xls        the filled template, "MS Excel 97" with the password "VelvetSweatshop" (Excel's
                                  default key: Excel opens it without asking)
  encrypted_lo.xls                the same with a real password ("matkhau2021"): refused
  macro_lo.ods                    the filled template with a Basic module (Basic/Standard/Module1.xml names an
                                  external DTD in its DOCTYPE, as every OpenOffice Basic module does)

What other writers do, made from LibreOffice's saves by changing only what those writers change:
  form_control.xlsx       Excel's markup for two form controls (<controls> anchors with <xdr:row>)
  rows_1048576.xlsx       empty styled rows with a custom height down to row 1,048,576
  no_cell_refs.xlsx       cells written without an r attribute (placed in sequence)
  workbook_renamed.xlsx   the workbook part at xl/book.xml, found through _rels/.rels and the content types
  backslash_names.xlsx    member names with "\\" separators and other letter cases (Windows zippers)
  whitespace.ods          content.xml indented between row and cell elements (KOffice and others)
  biff4.xls               an Excel 4.0 worksheet (BIFF4), written record by record

Written by pyxlsbwriter 0.1.0 (PyPI; installed by hand only to make it, not a dependency of the project):
  template_pyxlsbwriter.xlsb       the cached values of template_07_lo.xlsx, sheet by sheet from A1, the identity
                                   sheet hidden: a filled return as an .xlsb (no Excel here to save one)

Written by Microsoft Excel, copied (not made here: no Excel on this machine, and LibreOffice cannot save .xlsb)
from the test data of python-calamine 0.9.1 (PyPI sdist, tests/data/; MIT licence, Copyright (c) 2021 dimastbk,
full text in LICENSE-python-calamine.txt beside them):
  excel_base.xlsb          base.xlsb: Excel 16 (docProps/app.xml AppVersion 16.0300), four sheets, every cell type;
                           the values python-calamine's own test_xlsb_read expects
  excel_sheet_kinds.xlsb   any_sheets.xlsb: "Microsoft Excel" 16.0300; a visible, a hidden, a very hidden and a
                           chart sheet
  excel_password.xlsb      password.xlsb: an .xlsb encrypted with a password (a compound file), refused
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))


def _check_fixtures():  # noqa: ANN202
    """tests/files/check/make_fixtures.py (same module name as this one): the filled unit templates."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_fixtures", HERE.parent / "check" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

def soffice(args: list[str], profile: Path) -> None:
    """Run LibreOffice headless in the given throwaway profile."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed to make the fixtures")
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", *args],
                   check=True, capture_output=True, timeout=90)


def convert(src: Path, fmt: str, out_dir: Path, profile: Path, infilter: str | None = None) -> Path:
    """Save a copy of ``src`` with LibreOffice (``fmt`` as --convert-to takes it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    soffice([*([f"--infilter={infilter}"] if infilter else []), "--convert-to", fmt, "--outdir", str(out_dir),
             str(src)], profile)
    return out_dir / f"{src.stem}.{fmt.split(':')[0]}"


def rezip(src: Path, dst: Path, edit=None, rename=None) -> None:  # noqa: ANN001
    """Copy a package member by member, changing contents with ``edit(name, data)`` and names with ``rename``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if edit:
                data = edit(item.filename, data)
            name = rename(item.filename) if rename else item.filename
            info = zipfile.ZipInfo(name, item.date_time)
            info.compress_type = zipfile.ZIP_STORED if item.filename == "mimetype" else zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


_CONTROLS = (
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="x14"><controls>{}</controls></mc:Choice></mc:AlternateContent>')
_CONTROL = (
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="x14"><control shapeId="{id}" r:id="rIdCtrl{id}" name="Check Box {id}">'
    '<controlPr defaultSize="0" autoFill="0" autoLine="0" autoPict="0"><anchor moveWithCells="1">'
    '<from><xdr:col>6</xdr:col><xdr:colOff>76200</xdr:colOff><xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></from>'
    '<to><xdr:col>7</xdr:col><xdr:colOff>304800</xdr:colOff><xdr:row>{row2}</xdr:row><xdr:rowOff>38100</xdr:rowOff></to>'
    '</anchor></controlPr></control></mc:Choice></mc:AlternateContent>')


def form_control(name: str, data: bytes) -> bytes:
    """Excel's <controls> block (checkboxes anchored beside rows 10 and 40000) before </worksheet>."""
    if name != "xl/worksheets/sheet1.xml":
        return data
    if b"xmlns:xdr=" not in data[:2000]:
        data = data.replace(b"<worksheet ", b'<worksheet xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
                            b'spreadsheetDrawing" ', 1)
    controls = "".join(_CONTROL.format(id=1025 + i, row=row, row2=row + 1) for i, row in enumerate((9, 39999)))
    block = _CONTROLS.format(controls).encode()
    return data.replace(b"</worksheet>", block + b"</worksheet>")


def tall_rows(name: str, data: bytes) -> bytes:
    """Empty rows with a custom height after the last row, the last at 1,048,576, as LibreOffice writes them."""
    if name != "xl/worksheets/sheet1.xml":
        return data
    last = max(int(r) for r in re.findall(rb"<row r=\"(\d+)\"", data))
    rows = "".join(f'<row r="{r}" customFormat="false" ht="15" hidden="false" customHeight="true" '
                   f'outlineLevel="0" collapsed="false"/>' for r in [*range(last + 1, last + 200), 1048576])
    return data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")


def no_refs(name: str, data: bytes) -> bytes:
    """Cells without r (allowed by the schema: a cell without r follows the previous one)."""
    if not name.startswith("xl/worksheets/sheet"):
        return data
    return re.sub(rb'(<c) r="[A-Z]+\d+"', rb"\1", data)


def renamed_workbook(name: str, data: bytes) -> bytes:
    """Point the package relationship and the content type at xl/book.xml."""
    if name in ("_rels/.rels", "[Content_Types].xml"):
        return data.replace(b"/xl/workbook.xml", b"/xl/book.xml").replace(b"xl/workbook.xml", b"xl/book.xml")
    return data


def windows_name(name: str) -> str:
    """A Windows zipper's names: backslashes, and the worksheet folder in capitals."""
    if name.startswith("xl/worksheets/"):
        name = name.replace("xl/worksheets/", "xl/Worksheets/")
    return name.replace("/", "\\") if name.startswith("xl/") and "_rels" not in name else name


def indented(name: str, data: bytes) -> bytes:
    """Whitespace between table, row and cell elements."""
    if name != "content.xml":
        return data
    data = re.sub(rb"(<table:table-row\b[^>]*>)", rb"\n   \1\n    ", data)
    data = re.sub(rb"(</table:table-cell>|<table:table-cell\b[^>]*/>|<table:covered-table-cell\b[^>]*/>)",
                  rb"\1\n    ", data)
    return data


def biff4() -> bytes:
    """An Excel 4.0 worksheet: BOF (BIFF4), a label, two numbers, EOF; as Excel 4.0 writes a one-sheet file."""
    def rec(rtype: int, body: bytes) -> bytes:
        return struct.pack("<HH", rtype, len(body)) + body

    label = "Bieu tong hop".encode("latin-1")
    return b"".join([
        rec(0x0409, struct.pack("<HHI", 0x0000, 0x0010, 0)),  # BOF: BIFF4, worksheet
        rec(0x0042, struct.pack("<H", 1252)),  # CODEPAGE
        rec(0x0000 | 0x0200, struct.pack("<HHHHH", 0, 3, 0, 2, 0)),  # DIMENSIONS
        rec(0x0204, struct.pack("<HHHH", 0, 0, 15, len(label)) + label),  # LABEL A1
        rec(0x0203, struct.pack("<HHHd", 1, 1, 15, 5.0)),  # NUMBER B2
        rec(0x0203, struct.pack("<HHHd", 2, 1, 15, 12.0)),  # NUMBER B3
        rec(0x000A, b""),  # EOF
    ])


def uno_save(jobs: list[dict], work: Path, profile: Path) -> None:
    """Save with LibreOffice's API (lo_uno.py) under the Python that has LibreOffice's uno module."""
    import json

    python = next((p for p in ("/usr/bin/python3", shutil.which("python3")) if p and subprocess.run(
        [p, "-c", "import uno"], capture_output=True).returncode == 0), None)
    if python is None:
        raise SystemExit("LibreOffice's Python bridge (Debian: python3-uno) is needed for these fixtures")
    (work / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    subprocess.run([python, str(HERE / "lo_uno.py"), str(work / "jobs.json"), str(profile)], check=True,
                   capture_output=True, timeout=300)


def xlsb_copy(src: Path, out: Path) -> None:
    """The cached values of ``src``, each sheet from A1 (hidden sheets kept hidden), written by pyxlsbwriter."""
    import openpyxl

    try:
        from pyxlsbwriter import XlsbWriter
    except ImportError:
        raise SystemExit("pyxlsbwriter is needed for template_pyxlsbwriter.xlsb (pip install pyxlsbwriter==0.1.0)")
    wb = openpyxl.load_workbook(src, data_only=True)
    with XlsbWriter(str(out)) as writer:
        for ws in wb.worksheets:
            writer.add_sheet(ws.title, hidden=ws.sheet_state != "visible")
            writer.write_sheet([[cell.value for cell in row] for row in ws.iter_rows()])


def short_last_sector(data: bytes) -> bytes:
    """A LibreOffice .xls with its trailing unused directory entries cut off: the last sector is 256 bytes."""
    tail = data[-256:]
    # two unused entries: no name, type 0 (unknown), and their child/sibling ids (-1) only
    assert len(data) % 512 == 0 and tail[:64] == b"\x00" * 64 and tail[66] == 0 and tail[128 + 66] == 0
    return data[:-256]


def main(only: set[str] | None = None) -> None:
    def put(src: Path | bytes, name: str) -> None:
        if only is None or name in only:
            if isinstance(src, bytes):
                (HERE / name).write_bytes(src)
            else:
                shutil.copy(src, HERE / name)

    with tempfile.TemporaryDirectory() as tmp_name:
        work = Path(tmp_name)
        profile = Path(tempfile.gettempdir()) / f"lo-fixtures-{uuid.uuid4().hex}"
        try:
            check = _check_fixtures()
            wb = check.filled("X01", check.COMMUNE, check.SAVED)
            for ws in wb.worksheets:
                ws.page_margins.left = ws.page_margins.right = 0.7
                ws.page_margins.top = ws.page_margins.bottom = 0.75
            src = work / "template_07_lo.xlsx"
            wb.save(src)
            for fmt in ("xls", "xlsx", "ods"):
                put(convert(src, fmt, work / fmt, profile), f"template_07_lo.{fmt}")
            put(convert(src, "fods", work / "fods", profile), "flat_lo.fods")
            put(short_last_sector((work / "xls" / "template_07_lo.xls").read_bytes()), "short_sector_lo.xls")
            xlsb_copy(work / "xlsx" / "template_07_lo.xlsx", work / "template_pyxlsbwriter.xlsb")
            put(work / "template_pyxlsbwriter.xlsb", "template_pyxlsbwriter.xlsb")
            uno_save([
                {"src": str(src), "out": str(work / "encrypted_default_lo.xls"), "filter": "MS Excel 97",
                 "password": "VelvetSweatshop"},
                {"src": str(src), "out": str(work / "encrypted_lo.xls"), "filter": "MS Excel 97",
                 "password": "matkhau2021"},
                {"src": str(src), "out": str(work / "macro_lo.ods"), "filter": "calc8",
                 "basic": 'Sub Main\n  MsgBox "Xin chào"\nEnd Sub\n'},
            ], work, profile)
            for name in ("encrypted_default_lo.xls", "encrypted_lo.xls", "macro_lo.ods"):
                put(work / name, name)
            guide = wb["Hướng dẫn"]
            guide.protection.sheet = True
            for side in ("left", "right", "top", "bottom"):
                setattr(guide.page_margins, side, 0.6)
            margins = work / "margins_lo.xlsx"
            wb.save(margins)
            put(convert(margins, "xls", work / "margins", profile), "margins_lo.xls")
            csv = work / "default_page_lo.csv"
            csv.write_text("Đơn vị,Số lượng\nTrường Mầm non Mường Giàng,12\nTrường Tiểu học Chiềng On,7\n",
                           encoding="utf-8")
            for fmt in ("xls", "xlsx", "ods"):
                put(convert(csv, fmt, work / f"d{fmt}", profile, "CSV:44,34,76"), f"default_page_lo.{fmt}")
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    if only is not None:
        return
    lo_xlsx = HERE / "template_07_lo.xlsx"
    rezip(lo_xlsx, HERE / "form_control.xlsx", edit=form_control)
    rezip(lo_xlsx, HERE / "rows_1048576.xlsx", edit=tall_rows)
    rezip(lo_xlsx, HERE / "no_cell_refs.xlsx", edit=no_refs)
    rezip(lo_xlsx, HERE / "workbook_renamed.xlsx", edit=renamed_workbook,
          rename=lambda n: "xl/book.xml" if n == "xl/workbook.xml" else
          "xl/_rels/book.xml.rels" if n == "xl/_rels/workbook.xml.rels" else n)
    rezip(lo_xlsx, HERE / "backslash_names.xlsx", rename=windows_name)
    rezip(HERE / "template_07_lo.ods", HERE / "whitespace.ods", edit=indented)
    (HERE / "biff4.xls").write_bytes(biff4())
    for p in sorted(HERE.iterdir()):
        if p.suffix != ".py":
            print(f"{p.name}  {p.stat().st_size:,} B")


if __name__ == "__main__":
    main(set(sys.argv[1:]) or None)
