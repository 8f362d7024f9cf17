"""Make the sample folder of returned reports, ``da_nhan/``, as a district office receives it.

The files are committed; this script is how they were made (run it again to regenerate; it needs
LibreOffice for the .xls and .ods saves). Each unit fills its own template the way a person would, only in
the white cells, and some make the mistakes offices really see: a total that does not match its parts, a
number written in words, a resubmission, a file retyped from the plan without the template, an .xls
renamed .xlsx, and things that are not reports at all.

    python samples/quynh-nhai-2021/make_returns.py
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from truth import SentFile, write_expected  # noqa: E402

from consolidate import narrative, schedule  # noqa: E402
from consolidate.campaign import load_campaign  # noqa: E402
from consolidate.identity import IDENTITY_SHEET  # noqa: E402
from consolidate.templates import make_templates  # noqa: E402
from consolidate.units import load_units  # noqa: E402

OUT = HERE / "da_nhan"
EXPECTED = HERE / "expected.json"

# What each unit reports: {code: {measure: value}}; totals (1, 1.0, 5, 6) are filled by the unit too.
COMMUNE = {
    "1.5": {"count": 2, "people": 64}, "1.8": {"count": 3, "people": 155},
    "1.13": {"count": 1, "people": 30},
    "2": {"count": 4}, "3": {"count": 12}, "4.1": {"count": 6}, "4.2": {"count": 120},
    "5.5": {"count": 2, "people": 90}, "5.6": {"count": 1, "people": 45},
    "6.1": {"count": 2, "people": 160}, "6.2": {"count": 1, "people": 80},
    "8": {"count": 1}, "9.1": {"count": 2}, "9.2": {"count": 5},
    "10.1": {"amount": 3_500_000}, "10.2": {"amount": 1_200_000},
}
SCHOOL = {
    "1.7": {"count": 6, "people": 210}, "1.9": {"count": 2, "people": 38},
    "2": {"count": 3}, "3": {"count": 5}, "4.1": {"count": 12}, "4.2": {"count": 340},
    "5.1": {"count": 1}, "5.2": {"count": 1}, "5.4": {"count": 2, "people": 120},
    "6.1": {"count": 1, "people": 150}, "6.2": {"count": 1, "people": 95},
    "7.1": {"count": 1}, "9.2": {"count": 3},
    "10.1": {"amount": 2_000_000},
}
RULES = {("1", "count"): [f"1.{i}" for i in range(1, 14)], ("1.0", "people"): [f"1.{i}" for i in range(1, 14)],
         ("5", "count"): [f"5.{i}" for i in range(1, 7)], ("6", "count"): ["6.1", "6.2", "6.3"]}


def with_totals(values: dict[str, dict[str, float]], unit: str | None = None) -> dict[str, dict[str, float]]:
    """A unit's own values (the base figures varied per unit, as real units differ) with the totals filled in
    as a careful unit would."""
    rng = random.Random(unit)
    out: dict[str, dict[str, float]] = {}
    for code, measures in values.items():
        factor = 1.0 if unit is None or code == "7.1" else rng.uniform(0.6, 1.6)
        out[code] = {m: (round(v * factor, -5) or 100_000) if m == "amount" else max(1, round(v * factor))
                     for m, v in measures.items()}
    for (total, measure), parts in RULES.items():
        s = sum(out.get(p, {}).get(measure, 0) for p in parts)
        if s:
            out.setdefault(total, {})[measure] = s
    return out


def fill(path: Path, values: dict[str, dict[str, object]], saved_at: dt.datetime,
         notes: dict[str, str] | None = None) -> None:
    """Type values into a template's white cells, finding rows by label as a person would by eye."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 30) if any(
        str(ws.cell(r, c).value or "").strip() == "Các hoạt động" for c in range(1, 8)))
    label_col = next(c for c in range(1, 8) if str(ws.cell(header, c).value or "").strip() == "Các hoạt động")
    cols = {}
    for r in (header, header + 1):
        for c in range(1, 10):
            text = str(ws.cell(r, c).value or "")
            if text.startswith("Số lớp"):
                cols["count"] = cols["amount"] = c
            elif text.strip() == "Người":
                cols["people"] = c
            elif text.strip() == "Ghi chú":
                cols["note"] = c
    from consolidate.form import load_form

    form = load_form()
    rows = {}
    for r in range(header + 2, header + 80):
        label = ws.cell(r, label_col).value
        for row in form.rows:
            if label == row.label:
                rows[row.code] = r
    for code, measures in values.items():
        for measure, value in measures.items():
            col = cols["count"] if measure in ("count", "amount", "text") else cols[measure]
            if measure == "people" and form.row(code).single_numeric == "people":
                col = cols["people"]
            cell = ws.cell(rows[code], col)
            assert cell.protection.locked is False, f"{path.name}: {cell.coordinate} is locked"
            cell.value = value
    for code, note in (notes or {}).items():
        cell = ws.cell(rows[code], cols["note"])
        cell.value = note
        cell.data_type = "s"
    ident = wb[IDENTITY_SHEET]
    for row in ident.iter_rows():
        if row[0].value == "saved_at":
            row[1].value = saved_at  # what Excel caches for =NOW() when the unit saves
    wb.save(path)


def soffice(src: Path, fmt: str, out_dir: Path) -> Path:
    """Save a copy in another format with LibreOffice headless."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    profile = Path(tempfile.gettempdir()) / f"lo-{uuid.uuid4().hex}"
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(out_dir), str(src)], check=True, capture_output=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    return out_dir / f"{src.stem}.{fmt}"


SEED_RETYPED = [  # the seed's Phụ lục 2 as a unit retyped it: its labels, its typos, its wrapped row 5
    ("1", "Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ", "lớp", "3 lớp", None),
    ("", "Tổng số người tham gia, trong đó:", "người", None, "95 người"),
    ("", "Học nghề cho lao động nông thôn", "lớp/người", "1", "35"),
    ("", "Phổ biến kiến thức khoa học, kiến thức pháp luật cho người lao động", "lớp/người", "2", "60"),
    ("2", "Số tin bài về các hoạt động của Tuần lễ", "Tin, bài/ cuộc", "2", None),
    ("3", "Ấn phẩm thông tin (tờ rơi, áp phích, băng rôn, khẩu hiệu)", "quyển/ tờ", "1.200", None),
    ("4", "Phát động phong trào và tổ chức quyên góp sách giúp xây dựng tủ sách lớp học, xây dựng thư viện trường học", None, None, None),
    ("", "Số tập thể/ cá nhân tặng sách", "Tập thể/cá nhân", "4", None),
    ("", "Số sách đã huy động tặng các trường học, thư viện", "Quyển", "85", None),
    ("5", "Tổ chức các thi, các buổi tọa đàm về", "Số cuộc", "2", None),
    ("", "khuyến đọc, khuyến học và xây dựng xã hội học tập", None, None, None),
    ("", "Trung bày, triển lãm sách báo, tư liệu", "Số cuộc", "1", None),
    ("", "Các cuộc thi khác", "Số cuộc/người", "1", "40 người"),
    ("6", "Tổ chức hoạt động văn nghệ, thể thao, thăm quan, sinh hoạt chuyên đề", "Số cuộc", "1", None),
    ("", "Hoạt động thể dục thể thao", "Số cuộc/người", "1", "120"),
    ("10", "Kinh phí", None, None, None),
    ("", "Ngân sách nhà nước", "đồng", "2,5 triệu", None),
    ("", "Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có)", "đồng", None, "1.500.000 đ"),
]


# What the unit meant by SEED_RETYPED, read by a person ("3 lớp" is 3 classes, "2,5 triệu" 2 500 000 đồng,
# "1.500.000 đ" typed in the "Người" column of a money row is still the 10.2 amount).
RETYPED_MEANT = {
    "1": {"count": 3}, "1.0": {"people": 95}, "1.5": {"count": 1, "people": 35}, "1.8": {"count": 2, "people": 60},
    "2": {"count": 2}, "3": {"count": 1200}, "4.1": {"count": 4}, "4.2": {"count": 85}, "5": {"count": 2},
    "5.2": {"count": 1}, "5.6": {"count": 1, "people": 40}, "6": {"count": 1}, "6.1": {"count": 1, "people": 120},
    "10.1": {"amount": 2_500_000}, "10.2": {"amount": 1_500_000},
}


def write_retyped(path: Path, unit_name: str) -> None:
    """A unit that ignored the template and retyped the seed's table (xlsxwriter, as other tools write)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write(0, 0, f"Đơn vị báo cáo: {unit_name}")
    ws.write(2, 1, "BIỂU TỔNG HỢP")
    ws.write(3, 1, "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021")
    ws.write_row(5, 0, ["STT", "Các hoạt động", "Đơn vị", "Số lượng", "", "Ghi chú"])
    ws.write_row(6, 0, ["", "", "", "Số lớp/số cuộc thi", "Người", ""])
    for i, (stt, label, unit, a, b) in enumerate(SEED_RETYPED, start=7):
        ws.write_row(i, 0, [stt, label, unit or ""])
        if a is not None:
            ws.write_string(i, 3, a)
        if b is not None:
            ws.write_string(i, 4, b)
    wb.close()


def main() -> None:
    campaign = load_campaign(HERE / "campaign.toml")
    form = campaign.form()
    units, issues = load_units(HERE / "units.csv")
    assert units and not issues
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        made = make_templates(campaign, form, units, tmp / "mau", now=dt.datetime(2021, 9, 20, 8, 0),
                              extra_sheets=[narrative.template_writer, schedule.template_writer])
        by_code = {p.name.split("_")[0]: p for p in made.files}
        day = lambda d, h=9: dt.datetime(2021, 10, d, h, 30)  # noqa: E731

        sent: list[SentFile] = []

        def put(code: str, values, saved: dt.datetime, fmt: str = "xlsx", name: str | None = None,
                notes: dict[str, str] | None = None, status: str = "accepted", why: str = "") -> Path:
            src = tmp / "work" / by_code[code].name
            src.parent.mkdir(exist_ok=True)
            shutil.copy(by_code[code], src)
            fill(src, values, saved, notes)
            if fmt != "xlsx":
                src = soffice(src, fmt, tmp / "conv")
            target = OUT / (name or src.name)
            shutil.copy(src, target)
            sent.append(SentFile(target.name, status, code, values, why))
            return target

        put("X01", with_totals(COMMUNE, "X01"), day(8))
        put("X02", with_totals(COMMUNE, "X02"), day(9),
            notes={"11": "=HYPERLINK(\"http://vi-du.example\",\"bấm vào đây\")", "2": "Đăng trên trang xã"})
        put("X03", with_totals(COMMUNE, "X03"), day(11), fmt="xls")
        bad_total = with_totals(COMMUNE, "X04")
        bad_total["1"]["count"] += 3  # the parts say 3 fewer
        put("X04", bad_total, day(12), status="rejected", why="total 1 is 3 more than its parts")
        write_retyped(OUT / "Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx", "UBND xã Chiềng Khay")
        sent.append(SentFile("Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx", "accepted", "X05", RETYPED_MEANT,
                             "retyped from the plan, no template; unit named on its \"Đơn vị báo cáo\" line"))
        put("X07", with_totals(COMMUNE, "X07"), day(13), fmt="ods")
        first = with_totals(COMMUNE, "X08")
        first["4.2"]["count"] = "mười"
        put("X08", first, day(10), name="X08_UBND_xa_Ca_Nang (lan 1).xlsx", status="superseded",
            why="a count in words; sent again corrected")
        put("X08", with_totals(COMMUNE, "X08"), day(14), name="X08_UBND_xa_Ca_Nang (lan 2 - da sua).xlsx")
        put("X10", with_totals(COMMUNE, "X10"), dt.datetime(2021, 10, 18, 16, 5), why="after the deadline")
        put("MN01", with_totals(SCHOOL, "MN01"), day(8, 14))
        too_many = with_totals(SCHOOL, "MN02")
        too_many["7.1"]["count"] = 3
        put("MN02", too_many, day(12), why="a school reporting three opening ceremonies (a warning)")
        put("MN04", with_totals(SCHOOL, "MN04"), day(15, 7))
        put("TH01", with_totals(SCHOOL, "TH01"), day(11))
        xls = put("TH02", with_totals(SCHOOL, "TH02"), day(12), fmt="xls")
        xls.rename(xls.with_suffix(".xlsx"))  # an .xls renamed .xlsx, as mail clients and people do
        sent[-1].name, sent[-1].why = xls.with_suffix(".xlsx").name, "an .xls renamed .xlsx"
        words = with_totals(SCHOOL, "TH03")
        words["1.9"]["people"] = "nhiều"
        put("TH03", words, day(13), status="rejected", why="people of 1.9 written as a word")
        put("CS01", with_totals(SCHOOL, "CS01"), day(9))
        no_people = with_totals(SCHOOL, "CS02")
        no_people["1.0"]["people"] -= no_people["1.9"].pop("people")
        put("CS02", no_people, day(14), why="people of 1.9 left blank (a warning)")
        put("CS03", with_totals(SCHOOL, "CS03"), day(15, 10), fmt="ods")
        # a filled form whose sender cannot be told: no template, no "Đơn vị báo cáo" name, vague file name
        write_retyped(OUT / "bao cao tuan le.xlsx", "")
        sent.append(SentFile("bao cao tuan le.xlsx", "unknown_unit", None, RETYPED_MEANT, "no unit can be told"))
        # things that are not reports
        (OUT / "~$MN01_Truong_Mam_non_Muong_Giang.xlsx").write_bytes(b"\x0bNguyen Van A" + b"\x00" * 150)
        (OUT / "Anh le khai mac.jpg").write_bytes(
            bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"))
        (OUT / "Bieu tong hop (luu dang trang web).xls").write_text(
            "<html><body><table><tr><td>Các hoạt động</td></tr></table></body></html>", encoding="utf-8")
        import docx

        doc = docx.Document()
        doc.add_paragraph("Công văn gửi kèm báo cáo Tuần lễ hưởng ứng học tập suốt đời năm 2021.")
        doc.save(OUT / "Cong van gui kem.docx")
        sent += [SentFile("~$MN01_Truong_Mam_non_Muong_Giang.xlsx", "not_a_report", why="Excel's lock file"),
                 SentFile("Anh le khai mac.jpg", "not_a_report", why="a photo"),
                 SentFile("Bieu tong hop (luu dang trang web).xls", "unreadable", why="a web page named .xls"),
                 SentFile("Cong van gui kem.docx", "not_a_report", why="a Word letter")]
        assert sorted(f.name for f in sent) == sorted(p.name for p in OUT.iterdir())
        write_expected(EXPECTED, [u.code for u in units], sent)
    print(f"{len(list(OUT.iterdir()))} files in {OUT}")


if __name__ == "__main__":
    main()
