"""(Re)make the legacy-encoding fixtures: Unicode originals retyped in the old fonts, as an office that still
uses them returns them. The outputs are committed; tests never regenerate them.

    python tests/files/legacy/make_fixtures.py

Each text cell of the original is written as the old font stores it (``legacy_text.encode``) with that
font on the cell: ``.VnTime`` (TCVN3), ``.VnTimeH`` for a text in capitals, ``VNI-Times`` (VNI). A capital
with a tone mark inside a lower-case text cannot be typed in ``.VnTime``: the typist switches that letter
to ``.VnTimeH``, which makes the cell rich text of two fonts, written so here.

form_vntime.xlsx        the retyped commune form (reader/good/Bieu tong hop … Chieng Khay.xlsx) in .VnTime
form_vntime_lo.xls      the same saved by LibreOffice as .xls (its FONT/XF records carry the fonts)
form_vntime_lo.ods      the same saved by LibreOffice as .ods
form_vni.xlsx           the same form retyped in VNI-Times (form_vni_lo.xls: saved by LibreOffice as .xls)
units_vni.xlsx          the sample unit list in VNI-Times
units_vni.csv           the same as a CSV of the font's bytes (Windows-1252)
baocao_vntimeh.xlsx     the retyped "Báo cáo" (narrative/baocao_retyped.xlsx): headings in .VnTimeH
baocao_vntimeh_lo.xls   the same saved by LibreOffice as .xls (and .ods)
lich_vntime.xlsx        the retyped schedule (schedule/lich_seed000_retyped.xlsx) in .VnTime
lich_vntime_lo.xls      the same saved by LibreOffice as .xls (and .ods); a rich-text cell: .VnTimeH "Ứ" + .VnTime
unicode_rare.xlsx       a Unicode file with rare letters and other languages, in Unicode fonts
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import uuid
from pathlib import Path

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from consolidate.legacy_text import encode  # noqa: E402

FILES = ROOT / "tests" / "files"
FORM = FILES / "reader" / "good" / "Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx"
NARRATIVE = FILES / "narrative" / "baocao_retyped.xlsx"
SCHEDULE = FILES / "schedule" / "lich_seed000_retyped.xlsx"
UNITS = ROOT / "samples" / "quynh-nhai-2021" / "units.csv"

# Ơ, ư, ỹ and other scripts: a reader must leave every one of these as it is
RARE = [
    "Ơn", "ư", "ỹ", "Mỹ Đức", "Chiềng Ơn", "Trường Tiểu học Sỹ Tùng", "Lý do", "Ghi chú", "Các", "Phò", "Cô",
    "Là où il est", "Les élèves ont été présents à la réunion de l'école", "naïve café crème",
    "Größe der Übersicht für Müller", "Señor José Martínez", "Привет, школа", "中文学校报告", "Ελληνικά",
    "ÂÊÔ", "Å", "© 2024 ®", "½ ¼ ¾", "±5 °C", "Œuvre — «citation»", "Tổng số: 12", "€ 100",
]


def _capital_toned(ch: str) -> bool:
    return ch.isupper() and unicodedata.normalize("NFD", ch) != ch and ch not in "ĂÂÊÔƠƯĐ"


def _font(cell, name: str) -> Font:  # noqa: ANN001
    f = cell.font
    return Font(name=name, size=f.sz, bold=f.b, italic=f.i, underline=f.u, color=f.color)


def tcvn3_cell(cell) -> None:  # noqa: ANN001
    """Retype a text cell in .VnTime (capitals in .VnTimeH; a toned capital alone as a .VnTimeH run)."""
    text = cell.value
    if not isinstance(text, str) or not text.strip():
        return
    if text == text.upper() and text != text.lower():
        cell.value = encode(text, "tcvn3h")
        cell.font = _font(cell, ".VnTimeH")
        return
    cell.font = _font(cell, ".VnTime")
    if not any(_capital_toned(ch) for ch in text):
        cell.value = encode(text, "tcvn3")
        return
    blocks, plain = [], ""
    for ch in text:
        if _capital_toned(ch):
            if plain:
                blocks.append(TextBlock(InlineFont(rFont=".VnTime"), encode(plain, "tcvn3")))
                plain = ""
            blocks.append(TextBlock(InlineFont(rFont=".VnTimeH"), encode(ch, "tcvn3h")))
        else:
            plain += ch
    if plain:
        blocks.append(TextBlock(InlineFont(rFont=".VnTime"), encode(plain, "tcvn3")))
    cell.value = CellRichText(blocks)


def vni_cell(cell) -> None:  # noqa: ANN001
    """Retype a text cell in VNI-Times (VNI has every capital)."""
    if isinstance(cell.value, str) and cell.value.strip():
        cell.value = encode(cell.value, "vni")
        cell.font = _font(cell, "VNI-Times")


def retype(src: Path, dst: Path, how) -> None:  # noqa: ANN001
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                how(cell)
    wb.save(dst)


def soffice(src: Path, fmt: str, out: Path) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    profile = Path(tempfile.gettempdir()) / f"lo-profile-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                            "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=180)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        shutil.copyfile(Path(tmp) / (src.stem + "." + fmt), out)


def units_vni() -> None:
    with UNITS.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sach"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, encode(value, "vni"))
            cell.font = Font(name="VNI-Times", size=12, bold=r == 1)
    wb.save(HERE / "units_vni.xlsx")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([[encode(v, "vni") for v in row] for row in rows])
    (HERE / "units_vni.csv").write_bytes(buf.getvalue().encode("cp1252"))


def unicode_rare() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Chữ hiếm"
    for r, text in enumerate(RARE, start=1):
        ws.cell(r, 1, text).font = Font(name="Times New Roman")
        ws.cell(r, 2, text).font = Font(name="Arial")
    wb.save(HERE / "unicode_rare.xlsx")


def main() -> None:
    retype(FORM, HERE / "form_vntime.xlsx", tcvn3_cell)
    soffice(HERE / "form_vntime.xlsx", "xls", HERE / "form_vntime_lo.xls")
    soffice(HERE / "form_vntime.xlsx", "ods", HERE / "form_vntime_lo.ods")
    retype(FORM, HERE / "form_vni.xlsx", vni_cell)
    soffice(HERE / "form_vni.xlsx", "xls", HERE / "form_vni_lo.xls")
    retype(NARRATIVE, HERE / "baocao_vntimeh.xlsx", tcvn3_cell)
    soffice(HERE / "baocao_vntimeh.xlsx", "xls", HERE / "baocao_vntimeh_lo.xls")
    soffice(HERE / "baocao_vntimeh.xlsx", "ods", HERE / "baocao_vntimeh_lo.ods")
    retype(SCHEDULE, HERE / "lich_vntime.xlsx", tcvn3_cell)
    soffice(HERE / "lich_vntime.xlsx", "xls", HERE / "lich_vntime_lo.xls")
    soffice(HERE / "lich_vntime.xlsx", "ods", HERE / "lich_vntime_lo.ods")
    units_vni()
    unicode_rare()


if __name__ == "__main__":
    main()
