"""(Re)make the check/feedback fixtures: real per-unit templates (templates.unit_workbook) filled as units
return them, plus LibreOffice .xls/.ods saves. The outputs are committed; tests never regenerate them.

    python tests/files/check/make_fixtures.py

clean/   three units, every value consistent: check exits 0
faulty/  one problem or more per file, all reported in one run (see FAULTY below)
macro/   a unit's template saved as a macro-enabled workbook (.xlsm) with one error

The .xlsm is the template's package with a vbaProject part added the way Excel stores one (content type,
relationship, ``xl/vbaProject.bin``); its bytes are a placeholder, since nothing may ever run them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from consolidate.campaign import load_campaign  # noqa: E402
from consolidate.form import load_form  # noqa: E402
from consolidate.identity import IDENTITY_SHEET  # noqa: E402
from consolidate.templates import COL_COUNT, COL_LABEL, COL_NOTE, COL_PEOPLE, set_text, unit_workbook  # noqa: E402
from consolidate.units import load_units  # noqa: E402

FORM = load_form()
CAMPAIGN = load_campaign(ROOT / "samples" / "quynh-nhai-2021" / "campaign.toml")
UNITS, _ = load_units(ROOT / "samples" / "quynh-nhai-2021" / "units.csv")
GENERATED = dt.datetime(2021, 9, 20, 8, 0)

# A commune's values, consistent: 1 = 1.5 + 1.8, 1.0 = people of 1.5 + 1.8, 5 = 5.2 + 5.6, 6 = 6.1.
COMMUNE = {
    "1": {"count": 3}, "1.0": {"people": 95},
    "1.5": {"count": 1, "people": 35}, "1.8": {"count": 2, "people": 60},
    "2": {"count": 2}, "3": {"count": 1200}, "4.1": {"count": 4}, "4.2": {"count": 85},
    "5": {"count": 2}, "5.2": {"count": 1}, "5.6": {"count": 1, "people": 40},
    "6": {"count": 1}, "6.1": {"count": 1, "people": 120},
    "10.1": {"amount": 2_500_000}, "11": {"text": "Tuyên truyền trên loa truyền thanh xã"},
}
# A school's values, consistent.
SCHOOL = {
    "1": {"count": 8}, "1.0": {"people": 248},
    "1.7": {"count": 6, "people": 210}, "1.9": {"count": 2, "people": 38},
    "2": {"count": 3}, "3": {"count": 5}, "4.1": {"count": 12}, "4.2": {"count": 340},
    "5": {"count": 4}, "5.1": {"count": 1}, "5.2": {"count": 1}, "5.4": {"count": 2, "people": 120},
    "6": {"count": 2}, "6.1": {"count": 1, "people": 150}, "6.2": {"count": 1, "people": 95},
    "7.1": {"count": 1}, "9.2": {"count": 3}, "10.1": {"amount": 2_000_000},
}


def changed(base: dict, **rows: dict | None) -> dict:
    """A copy of ``base`` with some rows replaced (None removes the row); codes with "_" for ".": r1_0."""
    out = {k: dict(v) for k, v in base.items()}
    for key, vals in rows.items():
        code = key[1:].replace("_", ".")
        if vals is None:
            out.pop(code, None)
        else:
            out[code] = vals
    return out


def filled(code: str, values: dict, saved_at: dt.datetime, unit_line: str | None = None):  # noqa: ANN201
    """A unit's own generated template with values typed in, saved by Excel at ``saved_at``."""
    unit = UNITS.get(code)
    wb = unit_workbook(CAMPAIGN, FORM, unit, GENERATED)
    ws = wb[FORM.sheet]
    rows = {ws.cell(r, COL_LABEL).value: r for r in range(1, ws.max_row + 1)}
    for row_code, vals in values.items():
        r = rows[FORM.row(row_code).label]
        for measure, value in vals.items():
            col = {"people": COL_PEOPLE, "note": COL_NOTE}.get(measure, COL_COUNT)
            set_text(ws.cell(r, col), value)
    if unit_line is not None:
        set_text(ws["A3"], unit_line)
    # what Excel stores when it saves: the cached value of =NOW()
    ident = wb[IDENTITY_SHEET]
    for r in range(1, ident.max_row + 1):
        if ident.cell(r, 1).value == "saved_at":
            ident.cell(r, 2).value = saved_at
    return wb


def soffice(src: Path, fmt: str, out_dir: Path) -> Path:
    """Save a copy with LibreOffice headless (own profile)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed to make the fixtures")
    profile = Path(tempfile.gettempdir()) / f"lo-fixtures-{uuid.uuid4().hex}"
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(out_dir), str(src)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out_dir / f"{src.stem}.{fmt}"


SAVED = dt.datetime(2021, 10, 12, 9, 30)
NOTE_FORMULA = '=HYPERLINK("http://example.invalid","xem ảnh")'

# file name → (unit, values, saved_at, unit line override); what each one must produce is in the tests
FAULTY = {
    "X01_Muong_Giang.xlsx": ("X01", COMMUNE, SAVED, None),  # accepted, no issue
    # 1 = 5 but 1.5 + 1.8 = 3: total-mismatch (error)
    "X02_Chieng_On.xlsx": ("X02", changed(COMMUNE, r1={"count": 5}), SAVED, None),
    # 4.1 unreadable ("mười"), 4.2 negative: two errors
    "X03_Chieng_Bang.xlsx": ("X03", changed(COMMUNE, r4_1={"count": "mười"}, r4_2={"count": -85}), SAVED, None),
    # the first of two submissions of X04 (superseded), then the newer one with 1.0 blank (info)
    "X04_Chieng_Khoang_lan1.xlsx": ("X04", changed(COMMUNE, r1={"count": 9}), dt.datetime(2021, 10, 10, 8, 0), None),
    "X04_Chieng_Khoang_lan2.xlsx": ("X04", changed(COMMUNE, r1_0={}), dt.datetime(2021, 10, 11, 16, 0), None),
    # a school with 7.1 = 3 (over-limit) and 6.2 people < count: warnings only, accepted
    "MN01_Mam_non_Muong_Giang.xlsx": ("MN01", changed(SCHOOL, r7_1={"count": 3}, r6_2={"count": 1, "people": 0},
                                                      r6_1={"count": 1, "people": 245}), SAVED, None),
}


def as_xlsm(src: Path, dst: Path) -> None:
    """Repackage an .xlsx as a macro-enabled workbook holding a (placeholder) VBA project."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"<Default Extension=\"xml\"",
                                    b"<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
                                    b"<Default Extension=\"xml\"")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>",
                                    b"<Relationship Id=\"rIdVba\" Type=\"http://schemas.microsoft.com/office/2006/"
                                    b"relationships/vbaProject\" Target=\"vbaProject.bin\"/></Relationships>")
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 placeholder, never executed")


def main() -> None:
    clean = HERE / "clean"
    faulty = HERE / "faulty"
    macro = HERE / "macro"
    for d in (clean, faulty, macro):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    filled("X01", COMMUNE, SAVED).save(clean / "X01_Muong_Giang.xlsx")
    # not the same numbers as X01: two units with identical values are pointed out (issue 14)
    filled("X02", changed(COMMUNE, r4_2={"count": 60}), SAVED).save(clean / "X02_Chieng_On.xlsx")
    filled("TH01", SCHOOL, SAVED).save(clean / "TH01_Tieu_hoc_Muong_Giang.xlsx")
    for name, (code, values, saved, line) in FAULTY.items():
        filled(code, values, saved, line).save(faulty / name)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        # X05 as LibreOffice .xls: 5 = 2 with its parts blank → total-without-parts (warning)
        src = tmp_dir / "X05_Chieng_Khay.xlsx"
        filled("X05", changed(COMMUNE, r5_2=None, r5_6=None), SAVED).save(src)
        soffice(src, "xls", faulty)
        # X06 as LibreOffice .ods: 6 = 4 but 6.1 = 1 → total-mismatch (error); a note that looks like a formula
        src = tmp_dir / "X06_Muong_Chien.xlsx"
        filled("X06", changed(COMMUNE, r6={"count": 4}, r6_1={"count": 1, "people": 120, "note": NOTE_FORMULA}),
               SAVED).save(src)
        soffice(src, "ods", faulty)
    # a form whose unit cannot be told: X07's template with the identity sheet removed and the unit line blank
    wb = filled("X07", COMMUNE, SAVED, unit_line="Đơn vị báo cáo: ")
    del wb[IDENTITY_SHEET]
    wb.save(faulty / "bao_cao_tuan_le.xlsx")
    # X08 as .xlsm: 1.0 = 500 but 1.5 + 1.8 have 95 people → total-mismatch (error)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "X08_Ca_Nang.xlsx"
        filled("X08", changed(COMMUNE, r1_0={"people": 500}), SAVED).save(src)
        as_xlsm(src, macro / "X08_Ca_Nang.xlsm")
    # not a report: a note someone dropped in the folder
    (faulty / "ghi_chu.txt").write_text("Đã nhận đủ báo cáo của các xã chưa?\n", encoding="utf-8")


if __name__ == "__main__":
    main()
