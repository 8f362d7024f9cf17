"""End to end, as an office uses the tool: ``templates`` → units fill their forms (some wrong, some late,
one twice, some saved by LibreOffice as .xls/.ods, some never) → ``merge``; then the district summary is
merged again by a province with the same tool. Also: killing ``merge`` while it writes keeps the previous
summary intact."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from conftest import ROOT, SAMPLES, shown
from consolidate.cli import main
from consolidate.identity import IDENTITY_SHEET

CAMPAIGN = SAMPLES / "campaign.toml"
HYPERLINK = '=HYPERLINK("http://vi-du.example","bấm vào đây")'
RULES = {("1", "count"): [f"1.{i}" for i in range(1, 14)], ("1.0", "people"): [f"1.{i}" for i in range(1, 14)],
         ("5", "count"): [f"5.{i}" for i in range(1, 7)], ("6", "count"): ["6.1", "6.2", "6.3"]}
COMMUNE = {
    "1.5": {"count": 2, "people": 64}, "1.8": {"count": 3, "people": 155}, "2": {"count": 4},
    "3": {"count": 12}, "4.1": {"count": 6}, "4.2": {"count": 120}, "5.5": {"count": 2, "people": 90},
    "6.1": {"count": 2, "people": 160}, "9.2": {"count": 5}, "10.1": {"amount": 3_500_000},
    "10.2": {"amount": 1_200_000},
}
SCHOOL = {
    "1.7": {"count": 6, "people": 210}, "1.9": {"count": 2, "people": 38}, "2": {"count": 3},
    "4.2": {"count": 340}, "5.1": {"count": 1}, "5.4": {"count": 2, "people": 120},
    "6.2": {"count": 1, "people": 95}, "7.1": {"count": 1}, "10.1": {"amount": 2_000_000},
}


def scaled(values: dict, k: int, totals: bool = True) -> dict:
    """A unit's values times k, with its totals filled as a careful unit would (or left blank)."""
    out = {code: {m: v * k for m, v in d.items()} for code, d in values.items()}
    if totals:
        for (total, measure), parts in RULES.items():
            s = sum(out.get(p, {}).get(measure, 0) for p in parts)
            if s:
                out.setdefault(total, {})[measure] = s
    return out


def day(d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(2021, 10, d, h, 30)


# What each unit sends: (file name, values, identity save time, format). X04 and TH03 make mistakes,
# CS01 sends twice (the second corrects the first), MN01 is late; the other 15 units never send.
ACCEPTED = {
    "X01": scaled(COMMUNE, 1),
    "X02": scaled(COMMUNE, 2, totals=False) | {"3": {"count": 0}},  # blank totals, an explicit 0
    "X03": scaled(COMMUNE, 3),
    "X07": scaled(COMMUNE, 2),
    "MN01": scaled(SCHOOL, 1),
    "CS01": scaled(SCHOOL, 3),
}
X04_BAD = scaled(COMMUNE, 1) | {"1": {"count": 9}}  # the parts say 5
TH03_BAD = scaled(SCHOOL, 1)
TH03_BAD["1.9"] = {"count": 2, "people": "nhiều"}
CS01_FIRST = scaled(SCHOOL, 1)
CS01_FIRST["4.2"] = {"count": "mười"}


def fill(path: Path, values: dict, saved_at: dt.datetime, notes: dict | None = None) -> None:
    """Type values into a template's white cells, finding rows by label and columns by header, as a person
    would by eye; set the save time Excel caches for the identity sheet's =NOW()."""
    from consolidate.form import load_form

    form = load_form()
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 30) if ws.cell(r, 2).value == "Các hoạt động")
    cols = {}
    for r in (header, header + 1):
        for c in range(1, 10):
            text = str(ws.cell(r, c).value or "").strip()
            if text.startswith("Số lớp"):
                cols["count"] = cols["amount"] = cols["text"] = c
            elif text == "Người":
                cols["people"] = c
            elif text == "Ghi chú":
                cols["note"] = c
    rows = {form.label_keys.get(_fold(ws.cell(r, 2).value)): r for r in range(header + 2, header + 60)
            if ws.cell(r, 2).value}
    for code, measures in values.items():
        for measure, value in measures.items():
            cell = ws.cell(rows[code], cols[measure])
            assert cell.protection.locked is False, f"{path.name}: {cell.coordinate} is locked"
            cell.value = value
    for code, note in (notes or {}).items():
        cell = ws.cell(rows[code], cols["note"])
        cell.value = note
        cell.data_type = "s"  # what Excel stores for text typed after an apostrophe
    for row in wb[IDENTITY_SHEET].iter_rows():
        if row[0].value == "saved_at":
            row[1].value = saved_at
    wb.save(path)


def _fold(text: object) -> str:
    from consolidate.text import fold

    return fold(str(text))


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """templates → the folder of returned files as the office receives it."""
    from conftest import convert

    base = tmp_path_factory.mktemp("e2e")
    code, out, err = cli("templates", "--campaign", CAMPAIGN, "-o", base / "mau")
    assert code == 0, err
    made = {p.name.split("_")[0]: p for p in (base / "mau").glob("*_*.xlsx") if p.name != "bieu_tong_hop.xlsx"}
    assert len(made) == 23
    inbox = base / "da_nhan"
    inbox.mkdir()
    work = base / "work"
    work.mkdir()

    def send(unit: str, values: dict, saved: dt.datetime, fmt: str = "xlsx", name: str | None = None,
             notes: dict | None = None) -> Path:
        src = work / (name or made[unit].name)
        shutil.copy(made[unit], src)
        fill(src, values, saved, notes)
        if fmt != "xlsx":
            src = convert(src, fmt, work / "conv")
        return Path(shutil.copy(src, inbox / src.name))

    send("X01", ACCEPTED["X01"], day(8), notes={"2": HYPERLINK})
    send("X02", ACCEPTED["X02"], day(9))
    send("X03", ACCEPTED["X03"], day(11), fmt="xls")
    send("X07", ACCEPTED["X07"], day(13), fmt="ods")
    send("X04", X04_BAD, day(12))
    send("MN01", ACCEPTED["MN01"], day(18, 14))  # three days after the deadline (15/10)
    send("TH03", TH03_BAD, day(13))
    first = send("CS01", CS01_FIRST, day(10), name="CS01 (lan 1).xlsx")
    second = send("CS01", ACCEPTED["CS01"], day(14), name="CS01 (lan 2 - da sua).xlsx")
    # the first copy is the newer file on disk: only the save time inside the workbooks may decide
    os.utime(second, (time.time() - 3600, time.time() - 3600))
    (inbox / "Cong van gui kem.txt").write_text("Kính gửi Phòng GD&ĐT", encoding="utf-8")
    (inbox / f"~${made['X01'].name}").write_bytes(b"\x0bNguyen Van A" + b"\x00" * 50)
    assert first.exists()
    return base, inbox


@pytest.fixture(scope="module")
def merged(district):
    base, inbox = district
    out = base / "tong_hop" / "Tong_hop_Quynh_Nhai_2021.xlsx"
    before = {p.name: p.read_bytes() for p in inbox.iterdir()}
    code, stdout, stderr = cli("merge", inbox, "--campaign", CAMPAIGN, "-o", out, "--json", base / "merge.json")
    assert {p.name: p.read_bytes() for p in inbox.iterdir()} == before  # inputs untouched
    return out, code, stdout, stderr, json.loads((base / "merge.json").read_text(encoding="utf-8"))


def expected_totals(form) -> dict[str, dict[str, int | None]]:
    """The district totals computed from what the accepted units typed."""
    out = {}
    for row in form.value_rows:
        if not row.numeric_measures:
            continue
        out[row.code] = {}
        for m in ("count", "people", "amount"):
            vals = [v[row.code][m] for v in ACCEPTED.values() if m in v.get(row.code, {})]
            out[row.code][m] = sum(vals) if vals and m in row.measures else None
    # X02 left its totals blank: the check takes them from its parts
    x02 = scaled(COMMUNE, 2)
    for (total, m) in RULES:
        if m in x02.get(total, {}):
            out[total][m] = (out[total][m] or 0) + x02[total][m]
    return out


def test_merge_exit_code_and_terminal_summary(merged):
    out, code, stdout, stderr, _ = merged
    assert code == 1  # two units have errors
    assert stderr == ""
    lines = stdout.splitlines()
    assert lines[0] == f"Đã tổng hợp 6/23 đơn vị vào tệp {out}"
    assert lines[1] == ("Toàn huyện: 72 lớp bồi dưỡng; 2.744 người tham gia; 36.000.000 đồng ngân sách; "
                        "9.600.000 đồng huy động khác.")
    assert lines[2].startswith("Chưa nộp (15): UBND xã Chiềng Khay (X05), UBND xã Mường Chiên (X06), ")
    assert lines[3] == ("Có lỗi, chưa được cộng (2): UBND xã Chiềng Khoang (X04, 1 lỗi), "
                        "Trường Tiểu học Chiềng Bằng (TH03, 1 lỗi)")
    assert lines[4] == ("3 tệp khác trong thư mục không được dùng: 1 bản cũ (đơn vị đã gửi bản mới hơn), "
                        "2 không phải báo cáo.")
    assert lines[5:] == [
        "Cảnh báo: Tổng hợp: UBND xã Mường Giàng ghi ở hàng 2 (ghi chú) nội dung dạng công thức Excel "
        f"\"{HYPERLINK}\"; biểu tổng hợp không in nội dung này, chỉ ghi lại ở đây.",
        "Xem chi tiết ở các trang \"Tình hình nộp báo cáo\" và \"Lỗi và cảnh báo\" của tệp tổng hợp.",
        "Bước tiếp theo: liên hệ các đơn vị chưa nộp hoặc có lỗi (chạy consolidate check THƯ_MỤC --feedback "
        "THƯ_MỤC_PHẢN_HỒI để gửi các ô cần sửa), rồi chạy lại consolidate merge."]


def test_every_total_equals_the_sum_of_what_accepted_units_typed(merged, form):
    out, _, _, _, doc = merged
    expected = expected_totals(form)
    assert expected["1"]["count"] == 5 * (1 + 2 + 3 + 2) + 8 * (1 + 3)  # communes 5 classes, schools 8, scaled
    assert doc["totals"] == expected
    ws = load_workbook(out)[form.sheet]
    rows = {ws.cell(r, 2).value: r for r in range(7, 60)}
    for row in form.value_rows:
        for m in row.numeric_measures:
            col = 5 if m == "people" else 4
            assert ws.cell(rows[row.label], col).value == expected[row.code][m], (row.code, m)


def test_every_unit_and_file_status(merged, units):
    _, _, _, _, doc = merged
    state = {code: (u["status"], u["file"]) for code, u in doc["units"].items()}
    assert state["X01"] == ("accepted", "X01_UBND_xa_Muong_Giang.xlsx")
    assert state["X03"] == ("accepted", "X03_UBND_xa_Chieng_Bang.xls")
    assert state["X07"] == ("accepted", "X07_UBND_xa_Muong_Sai.ods")
    assert state["CS01"] == ("accepted", "CS01 (lan 2 - da sua).xlsx")
    assert state["X04"] == ("rejected", "X04_UBND_xa_Chieng_Khoang.xlsx")
    assert state["TH03"] == ("rejected", "TH03_Truong_Tieu_hoc_Chieng_Bang.xlsx")
    assert [c for c, s in state.items() if s[0] == "missing"] == [
        u.code for u in units if u.code not in {"X01", "X02", "X03", "X04", "X07", "MN01", "TH03", "CS01"}]
    files = {f["file"]: f["status"] for f in doc["files"]}
    assert files["CS01 (lan 1).xlsx"] == "superseded"
    assert files["Cong van gui kem.txt"] == "not_a_report"
    assert files["~$X01_UBND_xa_Muong_Giang.xlsx"] == "not_a_report"
    assert sorted(f for f, s in files.items() if s == "accepted") == sorted(
        f for c, (s, f) in state.items() if s == "accepted")
    codes = {f["file"]: [i["code"] for i in f["issues"] if i["severity"] == "error"] for f in doc["files"]}
    assert codes["X04_UBND_xa_Chieng_Khoang.xlsx"] == ["total-mismatch"]
    # "nhiều" people cannot be read: that one error, not a second one for the total it is part of
    assert codes["TH03_Truong_Tieu_hoc_Chieng_Bang.xlsx"] == ["value-unreadable"]


def test_json_holds_each_units_values_blank_apart_from_zero(merged):
    _, _, _, _, doc = merged
    x02 = doc["units"]["X02"]["values"]
    assert x02["3"] == {"count": 0, "people": None, "amount": None}
    assert x02["1"] == {"count": 10, "people": None, "amount": None}  # taken from its parts
    assert x02["7.1"] == {"count": None, "people": None, "amount": None}
    assert doc["units"]["X04"]["values"]["1"]["count"] == 9  # read, though not merged
    assert doc["units"]["X05"]["values"] is None
    assert doc["merge"]["merged_units"] == ["X01", "X02", "X03", "X07", "MN01", "CS01"]


def test_status_sheet_shows_lateness_resubmission_and_other_files(merged):
    out = merged[0]
    ws = load_workbook(out)["Tình hình nộp báo cáo"]
    by_code = {ws.cell(r, 2).value: [shown(ws.cell(r, c).value) for c in range(1, 12)] for r in range(5, 28)}
    assert by_code["MN01"][4:8] == ["đã nộp hợp lệ", "MN01_Truong_Mam_non_Muong_Giang.xlsx", day(18, 14),
                                    "Muộn 3 ngày"]
    assert by_code["X03"][4:8] == ["đã nộp hợp lệ", "X03_UBND_xa_Chieng_Bang.xls", day(11), "Đúng hạn"]
    assert by_code["CS01"][5] == "CS01 (lan 2 - da sua).xlsx"
    assert by_code["TH03"][4] == "có lỗi" and by_code["TH03"][8] == 1
    assert by_code["X05"][4] == "chưa nộp"
    others = [shown(ws.cell(r, 6).value) for r in range(30, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)]
    assert others == ["CS01 (lan 1).xlsx", "Cong van gui kem.txt", "~$X01_UBND_xa_Muong_Giang.xlsx"]
    first = next(r for r in range(30, ws.max_row + 1) if ws.cell(r, 6).value == "CS01 (lan 1).xlsx")
    # why it is left out is that a newer one came, not the error it had
    assert [ws.cell(first, c).value for c in (5, 3, 12)] == [
        "đã có bản mới hơn", "Trường THCS Mường Giàng",
        "CS01 (lan 1).xlsx: đơn vị CS01 đã gửi bản mới hơn (CS01 (lan 2 - da sua).xlsx); bản này không được dùng."]


def test_a_units_formula_like_note_stays_visible_text_in_every_sheet(merged):
    out = merged[0]
    cal = CalamineWorkbook.from_path(str(out))
    found = {name: [v for row in cal.get_sheet_by_name(name).to_python() for v in row
                    if isinstance(v, str) and "HYPERLINK" in v] for name in cal.sheet_names}
    assert found["Biểu tổng hợp"] == []  # the signed page names it; "Lỗi và cảnh báo" shows it
    assert HYPERLINK in found["Lỗi và cảnh báo"]
    assert found["Theo đơn vị"] == [HYPERLINK]
    wb = load_workbook(out)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)


def test_the_summary_read_back_by_the_reader_gives_the_same_numbers(merged, form, campaign):
    """The province use: the district's summary is itself a readable return."""
    from consolidate.reader import read_file
    from consolidate.units import Unit, UnitList

    out, _, _, _, doc = merged
    province = UnitList((Unit("QN", "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai", "Huyện", ""),
                         Unit("ML", "Phòng Giáo dục và Đào tạo huyện Mường La", "Huyện", "")))
    rf = read_file(out, out.name, form, campaign, province)
    assert rf.kind == "report" and rf.form_found and rf.unit == "QN"
    assert [i for i in rf.issues if i.severity == "error"] == []
    got = {}
    for rec in rf.records:
        if rec["indicator"] in doc["totals"]:
            got[rec["indicator"]] = {m: (None if rec[m] is None or math.isnan(rec[m]) else int(rec[m]))
                                     for m in ("count", "people", "amount")}
    assert got == doc["totals"]


def test_a_province_merges_district_summaries_with_the_same_tool(merged, tmp_path):
    out, _, _, _, doc = merged
    folder = tmp_path / "tinh"
    folder.mkdir()
    shutil.copy(out, folder / "Quynh Nhai.xlsx")
    units = tmp_path / "huyen.csv"
    units.write_text("Mã đơn vị,Tên đơn vị,Loại,Email\n"
                     "QN,Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai,Huyện,pgd.quynhnhai@sonla.example\n"
                     "ML,Phòng Giáo dục và Đào tạo huyện Mường La,Huyện,pgd.muongla@sonla.example\n", encoding="utf-8")
    code, stdout, stderr = cli("merge", folder, "--campaign", CAMPAIGN, "--units", units, "-o",
                               tmp_path / "tinh.xlsx", "--json", tmp_path / "tinh.json")
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[0] == f"Đã tổng hợp 1/2 đơn vị vào tệp {tmp_path / 'tinh.xlsx'}"
    prov = json.loads((tmp_path / "tinh.json").read_text(encoding="utf-8"))
    assert prov["units"]["QN"]["status"] == "accepted" and prov["units"]["ML"]["status"] == "missing"
    assert prov["totals"] == doc["totals"]

    # a summary of another year is refused by the province, by the year the summary carries
    code, stdout, _ = cli("merge", folder, "--campaign", CAMPAIGN, "--units", units, "--year", "2022", "-o",
                          tmp_path / "tinh_2022.xlsx", "--json", tmp_path / "tinh_2022.json")
    prov = json.loads((tmp_path / "tinh_2022.json").read_text(encoding="utf-8"))
    assert code == 1 and prov["units"]["QN"]["status"] == "rejected"
    assert [i["code"] for i in prov["files"][0]["issues"] if i["severity"] == "error"] == ["wrong-year"]


def test_include_invalid_adds_the_units_with_errors_and_says_so(district, form):
    base, inbox = district
    out = base / "tong_hop_tat_ca.xlsx"
    code, stdout, _ = cli("merge", inbox, "--campaign", CAMPAIGN, "-o", out, "--include-invalid",
                          "--json", base / "all.json")
    assert code == 1
    assert stdout.splitlines()[1] == (
        "LƯU Ý (--include-invalid): đã cộng cả số liệu chưa kiểm tra của 2 đơn vị có lỗi: UBND xã Chiềng Khoang, "
        "Trường Tiểu học Chiềng Bằng; biểu tổng hợp có ghi rõ điều này.")
    doc = json.loads((base / "all.json").read_text(encoding="utf-8"))
    strict = expected_totals(form)
    assert doc["totals"]["1"]["count"] == strict["1"]["count"] + 9 + TH03_BAD["1"]["count"]
    assert doc["totals"]["4.2"]["count"] == strict["4.2"]["count"] + 120 + 340
    assert "CHƯA KIỂM TRA" in str(load_workbook(out, rich_text=True)[form.sheet]["A8"].value)


# --- killed during the write ---------------------------------------------------------------------------------


def _temp_files(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".~tmp-")]


def test_killing_merge_while_it_writes_keeps_the_previous_summary(district, tmp_path):
    """SIGKILL the moment the temporary summary appears: the previous summary stays byte-identical, and the
    next run replaces it normally (the dead run's lock is stale)."""
    base, inbox = district
    out_dir = tmp_path / "ket_qua"
    out = out_dir / "tong_hop.xlsx"
    code, _, _ = cli("merge", inbox, "--campaign", CAMPAIGN, "-o", out)
    assert code == 1 and out.exists()
    previous = out.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "consolidate", "merge", str(inbox), "--campaign", str(CAMPAIGN), "-o", str(out),
           "--include-invalid"]  # another content than the previous summary
    killed = False
    for _ in range(5):  # the write takes a fraction of a second; if the run got through it, try again
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            if _temp_files(out_dir):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed = True
            break
        out.write_bytes(previous)  # this run finished before it could be killed: put the old one back
    assert killed, "merge never observed while writing"
    assert out.read_bytes() == previous
    assert load_workbook(out)["Biểu tổng hợp"]["A8"].value.startswith("Tổng hợp từ 6/23 đơn vị")
    assert _temp_files(out_dir)  # the dead run's half-written file is beside it, never at its place

    code, stdout, stderr = cli("merge", inbox, "--campaign", CAMPAIGN, "-o", out, "--include-invalid")
    assert code == 1 and stderr == ""
    assert "CHƯA KIỂM TRA" in str(load_workbook(out, rich_text=True)["Biểu tổng hợp"]["A8"].value)
    assert _temp_files(out_dir) == []  # the next run cleared the dead run's leftovers
    assert not (out_dir / ".consolidate.lock").exists()
