"""Issue 14, played through the command line as a clerk meets it: who sent what, which file counts, and
nothing dropped. The units' files are the tool's own templates, filled with openpyxl and saved by
LibreOffice (one soffice call for all of them); every scenario asserts the exact totals or the exact flag."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from consolidate.cli import main
from consolidate.identity import IDENTITY_SHEET
from consolidate.templates import COL_COUNT, COL_LABEL, COL_NOTE, COL_PEOPLE

from conftest import SAMPLES, soffice_path

pytestmark = pytest.mark.libreoffice

# what each unit types (row code → measure → value); totals consistent with their parts
VALUES = {
    "X01": {"1": {"count": 3}, "1.0": {"people": 95}, "1.5": {"count": 1, "people": 35},
            "1.8": {"count": 2, "people": 60}, "4.2": {"count": 85}, "10.1": {"amount": 2_500_000}},
    "X02": {"1": {"count": 5}, "1.0": {"people": 150}, "1.5": {"count": 5, "people": 150}, "4.2": {"count": 40}},
    "X03": {"1": {"count": 2}, "1.0": {"people": 70}, "1.8": {"count": 2, "people": 70}, "4.2": {"count": 12},
            "10.1": {"amount": 1_000_000}},
    "X04": {"1": {"count": 4}, "1.0": {"people": 80}, "1.5": {"count": 4, "people": 80}, "4.2": {"count": 30}},
}
X04_AGAIN = {"1": {"count": 6}, "1.0": {"people": 80}, "1.5": {"count": 6, "people": 80}, "4.2": {"count": 30}}
SAVED = dt.datetime(2021, 10, 12, 9, 30)


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def fill(template: Path, values: dict, saved_at: dt.datetime | None, dst: Path,
         extra: dict[str, object] | None = None) -> Path:
    """Type ``values`` into a unit's template with openpyxl, as a unit would; ``saved_at`` is what the save
    stores for the identity sheet's =NOW() (None: the template was never saved, only copied)."""
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    rows = {str(ws.cell(r, COL_LABEL).value or "").strip(): r for r in range(1, ws.max_row + 1)}
    from consolidate.form import load_form

    form = load_form()
    for code, measures in values.items():
        r = rows[form.row(code).label]
        for measure, value in measures.items():
            col = {"people": COL_PEOPLE, "note": COL_NOTE}.get(measure, COL_COUNT)
            ws.cell(r, col).value = value
    for address, value in (extra or {}).items():
        ws[address] = value
    if saved_at is not None:
        ident = wb[IDENTITY_SHEET]
        for r in range(1, ident.max_row + 1):
            if ident.cell(r, 1).value == "saved_at":
                ident.cell(r, 2).value = saved_at
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def row_of(template: Path, code: str) -> int:
    """The sheet row of a form row in the template (for naming cells in the expected messages)."""
    from consolidate.form import load_form

    wb = load_workbook(template, read_only=True)
    try:
        label = load_form().row(code).label
        return next(r for r, (v,) in enumerate(wb.worksheets[0].iter_rows(min_col=COL_LABEL, max_col=COL_LABEL,
                                                                            values_only=True), start=1)
                    if str(v or "").strip() == label)
    finally:
        wb.close()


def libreoffice(files: list[tuple[Path, str, Path]]) -> None:
    """Save each (source, format, destination) with LibreOffice headless, in one soffice call per format."""
    exe = soffice_path()
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    by_fmt: dict[str, list[tuple[Path, Path]]] = {}
    for src, fmt, dst in files:
        by_fmt.setdefault(fmt, []).append((src, dst))
    for fmt, items in by_fmt.items():
        out = items[0][0].parent / f"lo-{fmt}-{uuid.uuid4().hex}"
        profile = Path("/tmp") / f"lo-profile-{uuid.uuid4().hex}"
        try:
            subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                            "--outdir", str(out), *(str(s) for s, _ in items)],
                           check=True, capture_output=True, timeout=300)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        for src, dst in items:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(out / f"{src.stem}.{fmt}", dst)
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """The sample campaign's templates and every unit file the scenarios need, saved by LibreOffice."""
    base = tmp_path_factory.mktemp("issue14")
    shutil.copy(SAMPLES / "units.csv", base / "units.csv")
    (base / "campaign.toml").write_text((SAMPLES / "campaign.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out = _run("templates", "--campaign", base / "campaign.toml", "-o", base / "bieu_mau")
    assert code == 0, out
    t = {c: next((base / "bieu_mau").glob(f"{c}_*.xlsx")) for c in ("X01", "X02", "X03", "X04", "X05")}
    raw = base / "raw"
    made = {
        # each unit's own return
        "X01": fill(t["X01"], VALUES["X01"], SAVED, raw / "X01.xlsx"),
        "X03": fill(t["X03"], VALUES["X03"], SAVED, raw / "X03.xlsx"),
        "X04a": fill(t["X04"], VALUES["X04"], SAVED, raw / "X04a.xlsx"),
        "X04b": fill(t["X04"], X04_AGAIN, SAVED + dt.timedelta(days=1), raw / "X04b.xlsx"),
        # X02 fills X03's template and names the file after itself
        "X02_in_X03": fill(t["X03"], VALUES["X02"], SAVED, raw / "X02_in_X03.xlsx"),
        # a number typed in the notes column of row 9.2, whose own cell stays blank
        "X05_note": fill(t["X05"], VALUES["X02"], SAVED, raw / "X05_note.xlsx",
                         {f"{'F'}{row_of(t['X05'], '9.2')}": 7}),
        # X01's own template and name, its "Đơn vị báo cáo" line naming X01 and X02 (a joint report?)
        "X01_two": fill(t["X01"], VALUES["X01"], SAVED, raw / "X01_two.xlsx",
                        {"A3": "Đơn vị báo cáo: UBND xã Mường Giàng và UBND xã Chiềng Ơn"}),
        # "1,200" typed as text where a count belongs
        "X05_comma": fill(t["X05"], {**VALUES["X02"], "4.2": {"count": "1,200"}}, SAVED, raw / "X05_comma.xlsx"),
    }
    libreoffice([(made["X01"], "xlsx", base / "lo" / "X01_Muong_Giang.xlsx"),
                 (made["X03"], "ods", base / "lo" / "X03_Chieng_Bang.ods"),
                 (made["X04a"], "xlsx", base / "lo" / "X04_lan1.xlsx"),
                 (made["X04b"], "xlsx", base / "lo" / "X04_lan2.xlsx"),
                 (made["X02_in_X03"], "ods", base / "lo" / "Bao cao TLHTSD - xa Chieng On.ods"),
                 (made["X05_note"], "xlsx", base / "lo" / "X05_Chieng_Khay.xlsx"),
                 (made["X05_comma"], "xlsx", base / "lo" / "X05_phay.xlsx"),
                 (made["X01_two"], "xlsx", base / "lo" / "X01_hai_don_vi.xlsx")])
    return {"base": base, "lo": base / "lo", "templates": base / "bieu_mau", **{f"t{c}": p for c, p in t.items()}}


def folder_of(world: dict[str, Path], name: str, files: dict[str, Path]) -> Path:
    """A returns folder holding the given files under the given names."""
    folder = world["base"] / name
    folder.mkdir()
    for new_name, src in files.items():
        shutil.copy(src, folder / new_name)
    return folder


def check_json(world: dict[str, Path], folder: Path, *extra: str) -> tuple[int, str, dict]:
    out = folder.parent / f"{folder.name}.json"
    code, text = _run("check", folder, "--campaign", world["base"] / "campaign.toml", "--json", out, *extra)
    return code, text, json.loads(out.read_text(encoding="utf-8"))


def merge_json(world: dict[str, Path], folder: Path, campaign: Path | None = None, *extra: str) -> tuple[int, str, dict]:
    out = folder.parent / f"{folder.name}-merge.json"
    code, text = _run("merge", folder, "--campaign", campaign or world["base"] / "campaign.toml",
                      "-o", folder.parent / f"{folder.name}.xlsx", "--json", out, *extra)
    return code, text, json.loads(out.read_text(encoding="utf-8"))


def by_file(doc: dict) -> dict[str, dict]:
    return {f["file"]: f for f in doc["files"]}


# ----------------------------------------------------------------------------------- 1. templates -o


def test_templates_never_overwrite_filled_returns(world):
    folder = world["base"] / "da_nhan_1"
    shutil.copytree(world["templates"], folder)
    returned = folder / world["tX01"].name  # sent back under the name it was sent with
    shutil.copy(world["lo"] / "X01_Muong_Giang.xlsx", returned)
    before = returned.read_bytes()
    code, out = _run("templates", "--campaign", world["base"] / "campaign.toml", "-o", folder)
    assert code == 1
    assert f"Lỗi: Thư mục {folder} đã có 1 tệp không phải biểu mẫu trống do chương trình tạo (có thể là báo cáo " \
           f"đơn vị đã điền): {returned.name}. Không ghi đè; hãy chọn thư mục khác cho biểu mẫu (-o THƯ_MỤC) " \
           "hoặc chuyển các tệp đó đi." in out
    assert returned.read_bytes() == before
    # a folder of untouched templates is written again without a word
    code, out = _run("templates", "--campaign", world["base"] / "campaign.toml", "-o", world["templates"])
    assert code == 0, out


# --------------------------------------------------------------------------- 2. whose file is it


def test_a_unit_filling_another_units_template_is_never_booked(world):
    folder = folder_of(world, "swap", {"Bao cao TLHTSD - xa Chieng On.ods": world["lo"] / "Bao cao TLHTSD - xa Chieng On.ods",
                                       "X01_Muong_Giang.xlsx": world["lo"] / "X01_Muong_Giang.xlsx"})
    code, text, doc = check_json(world, folder)
    assert code == 1
    swapped = by_file(doc)["Bao cao TLHTSD - xa Chieng On.ods"]
    assert (swapped["status"], swapped["unit"], swapped["claims"]) == ("unconfirmed", None, ["X03", "X02"])
    assert [(e["source"], e["unit"]) for e in swapped["evidence"]] == [("identity", "X03"), ("title", "X03"),
                                                                         ("filename", "X02")]
    assert doc["units"]["X02"]["status"] == "unconfirmed" and doc["units"]["X03"]["status"] == "unconfirmed"
    lines = text.splitlines()
    at = lines.index("Tệp cần xác nhận đơn vị gửi (1) — chưa được tính cho đơn vị nào:")
    assert lines[at + 1] == "  Bao cao TLHTSD - xa Chieng On.ods — có thể của: UBND xã Chiềng Bằng (X03), " \
                            "UBND xã Chiềng Ơn (X02)"
    assert '    "Bao cao TLHTSD - xa Chieng On.ods" = "X03"' in lines
    # merged: X01 alone, nothing of the swapped file
    code, text, merged = merge_json(world, folder)
    assert merged["totals"]["1"]["count"] == 3 and merged["totals"]["4.2"]["count"] == 85
    assert merged["merge"]["merged_units"] == ["X01"]

    # X03 sends its own file: the swapped one stays unconfirmed, never "bản cũ" of X03
    shutil.copy(world["lo"] / "X03_Chieng_Bang.ods", folder / "X03_Chieng_Bang.ods")
    code, text, doc = check_json(world, folder)
    files = by_file(doc)
    assert files["X03_Chieng_Bang.ods"]["status"] == "accepted"
    assert files["Bao cao TLHTSD - xa Chieng On.ods"]["status"] == "unconfirmed"
    assert doc["units"]["X02"]["status"] == "unconfirmed" and doc["units"]["X03"]["status"] == "accepted"

    # the clerk settles it in the campaign file: the file is X02's, and counts for X02
    campaign = world["base"] / "campaign_xac_nhan.toml"
    campaign.write_text((world["base"] / "campaign.toml").read_text(encoding="utf-8")
                        + '\n[xac_nhan]\n"Bao cao TLHTSD - xa Chieng On.ods" = "X02"\n', encoding="utf-8")
    code, text, merged = merge_json(world, folder, campaign)
    files = by_file(merged)
    assert (files["Bao cao TLHTSD - xa Chieng On.ods"]["status"], files["Bao cao TLHTSD - xa Chieng On.ods"]["unit"]) \
        == ("accepted", "X02")
    assert merged["merge"]["merged_units"] == ["X01", "X02", "X03"]
    assert merged["totals"]["1"]["count"] == 3 + 5 + 2
    assert merged["totals"]["4.2"]["count"] == 85 + 40 + 12


def test_a_renamed_file_whose_name_names_another_unit_is_flagged(world):
    folder = folder_of(world, "renamed", {"TH01_Truong_Tieu_hoc_Muong_Giang.xlsx": world["lo"] / "X01_Muong_Giang.xlsx"})
    code, text, doc = check_json(world, folder)
    f = doc["files"][0]
    assert (f["status"], f["claims"]) == ("unconfirmed", ["X01", "TH01"])
    assert doc["units"]["X01"]["status"] == "unconfirmed" and doc["units"]["TH01"]["status"] == "unconfirmed"
    assert code == 1


def test_a_title_line_naming_two_units_is_never_booked_to_either(world):
    """FORM.md: a workbook that matches two units is reported, never guessed — even when the hidden sheet and
    the file name both say X01, a "Đơn vị báo cáo" line naming X01 and X02 makes the file "cần xác nhận"."""
    folder = folder_of(world, "two_titles", {"X01_Muong_Giang.xlsx": world["lo"] / "X01_hai_don_vi.xlsx",
                                             "X03_Chieng_Bang.ods": world["lo"] / "X03_Chieng_Bang.ods"})
    code, text, doc = check_json(world, folder)
    assert code == 1
    f = by_file(doc)["X01_Muong_Giang.xlsx"]
    assert (f["status"], f["unit"], f["claims"]) == ("unconfirmed", None, ["X01", "X02"])
    assert [(e["source"], e["unit"], e["candidates"]) for e in f["evidence"]] == [
        ("identity", "X01", []), ("title", None, ["X01", "X02"]), ("filename", "X01", [])]
    assert doc["units"]["X01"]["status"] == "unconfirmed" and doc["units"]["X02"]["status"] == "unconfirmed"
    assert [i["message"] for i in f["issues"] if i["code"] == "unit-unconfirmed"] == [
        "X01_Muong_Giang.xlsx: cần xác nhận đơn vị gửi — các dấu hiệu không khớp nhau: trang ẩn _dinh_danh của "
        "biểu mẫu: \"X01\" → X01; dòng \"Đơn vị báo cáo\" (ô A3): \"UBND xã Mường Giàng và UBND xã Chiềng Ơn\" → "
        "nhiều đơn vị (X01, X02); tên tệp: \"X01_Muong_Giang.xlsx\" → X01. Tệp chưa được tính cho đơn vị nào "
        "(X01, X02). Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], dòng "
        "\"X01_Muong_Giang.xlsx\" = \"X01\" (thay mã cho đúng) rồi chạy lại."]
    lines = text.splitlines()
    at = lines.index("Tệp cần xác nhận đơn vị gửi (1) — chưa được tính cho đơn vị nào:")
    assert lines[at + 1:at + 5] == [
        "  X01_Muong_Giang.xlsx — có thể của: UBND xã Mường Giàng (X01), UBND xã Chiềng Ơn (X02)",
        "    trang ẩn _dinh_danh của biểu mẫu: \"X01\" → X01",
        "    dòng \"Đơn vị báo cáo\" (ô A3): \"UBND xã Mường Giàng và UBND xã Chiềng Ơn\" → nhiều đơn vị (X01, X02)",
        "    tên tệp: \"X01_Muong_Giang.xlsx\" → X01"]
    code, text, merged = merge_json(world, folder)
    assert merged["merge"]["merged_units"] == ["X03"]
    assert merged["totals"]["1"]["count"] == 2 and merged["totals"]["4.2"]["count"] == 12
    # the clerk says it is X01's: it counts for X01, and only for X01
    campaign = world["base"] / "campaign_two_titles.toml"
    campaign.write_text((world["base"] / "campaign.toml").read_text(encoding="utf-8")
                        + '\n[xac_nhan]\n"X01_Muong_Giang.xlsx" = "X01"\n', encoding="utf-8")
    code, text, merged = merge_json(world, folder, campaign)
    assert merged["merge"]["merged_units"] == ["X01", "X03"]
    assert merged["totals"]["1"]["count"] == 3 + 2 and merged["totals"]["4.2"]["count"] == 85 + 12
    assert merged["units"]["X02"]["status"] == "missing"


# ----------------------------------------------------------------------------- 3. content and time


def test_a_blank_template_arriving_later_never_replaces_the_filled_return(world):
    folder = folder_of(world, "blank_later", {"X03_Chieng_Bang.ods": world["lo"] / "X03_Chieng_Bang.ods"})
    late = folder / "X03_Chieng_Bang_moi.xlsx"
    shutil.copy(world["tX03"], late)  # never saved: no save time, and the newest copy time of all
    code, text, merged = merge_json(world, folder)
    files = by_file(merged)
    assert files["X03_Chieng_Bang.ods"]["status"] == "accepted"
    assert files["X03_Chieng_Bang_moi.xlsx"]["status"] == "blank"
    assert merged["totals"]["1"]["count"] == 2 and merged["totals"]["10.1"]["amount"] == 1_000_000
    msg = [i["message"] for i in files["X03_Chieng_Bang_moi.xlsx"]["issues"] if i["code"] == "blank-return"]
    assert msg == ["X03_Chieng_Bang_moi.xlsx: biểu chưa điền số liệu nào (mẫu để trống); không tính là một lần "
                   "nộp báo cáo, vẫn dùng bản X03_Chieng_Bang.ods đã có số liệu."]


def test_an_untouched_template_is_not_a_submission(world):
    folder = folder_of(world, "untouched", {world["tX03"].name: world["tX03"],
                                            "X01_Muong_Giang.xlsx": world["lo"] / "X01_Muong_Giang.xlsx"})
    code, text, merged = merge_json(world, folder)
    assert by_file(merged)[world["tX03"].name]["status"] == "blank"
    assert merged["units"]["X03"]["status"] == "missing"
    assert merged["merge"]["merged_units"] == ["X01"]
    assert "chưa điền" in text


def test_a_resubmission_lists_the_changed_cells(world):
    folder = folder_of(world, "resend", {"X04_lan1.xlsx": world["lo"] / "X04_lan1.xlsx",
                                         "X04_lan2.xlsx": world["lo"] / "X04_lan2.xlsx"})
    code, text, merged = merge_json(world, folder)
    files = by_file(merged)
    assert files["X04_lan1.xlsx"]["status"] == "superseded"
    new = files["X04_lan2.xlsx"]
    assert new["replaces"] == "X04_lan1.xlsx"
    r1, r15 = row_of(world["tX04"], "1"), row_of(world["tX04"], "1.5")
    assert new["changes"] == [{"indicator": "1", "measure": "count", "cell": f"D{r1}", "old": 4.0, "new": 6.0},
                              {"indicator": "1.5", "measure": "count", "cell": f"D{r15}", "old": 4.0, "new": 6.0}]
    assert [i["message"] for i in new["issues"] if i["code"] == "resubmitted"] == [
        f"X04_lan2.xlsx: thay bản X04_lan1.xlsx; 2 ô thay đổi: D{r1} (hàng 1): 4 → 6; D{r15} (hàng 1.5): 4 → 6."]
    assert merged["totals"]["1"]["count"] == 6
    # the status sheet of the summary says the same, on the unit's row, for the clerk to review
    ws = load_workbook(folder.parent / "resend.xlsx")["Tình hình nộp báo cáo"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "X04")
    assert ws.cell(row, 12).value == (f"Thay bản X04_lan1.xlsx: 2 ô thay đổi: D{r1} (hàng 1): 4 → 6; "
                                      f"D{r15} (hàng 1.5): 4 → 6.")
    assert ws.cell(row, 7).value == SAVED + dt.timedelta(days=1)  # "lưu lúc": the unit's own save time


def test_two_units_with_identical_values_are_pointed_out(world):
    folder = folder_of(world, "twins", {"X04_lan1.xlsx": world["lo"] / "X04_lan1.xlsx",
                                        "X03_Chieng_Bang.ods": world["lo"] / "X03_Chieng_Bang.ods"})
    # X03's numbers sent again under X01's own template, by X01
    twin = fill(world["tX01"], VALUES["X03"], SAVED, world["base"] / "raw" / "twin.xlsx")
    shutil.copy(twin, folder / "X01_Muong_Giang.xlsx")
    code, text, doc = check_json(world, folder)
    files = by_file(doc)
    assert files["X01_Muong_Giang.xlsx"]["same_as"] == ["X03_Chieng_Bang.ods"]
    assert files["X03_Chieng_Bang.ods"]["same_as"] == ["X01_Muong_Giang.xlsx"]
    assert files["X04_lan1.xlsx"]["same_as"] == []
    assert [files[f]["same_count"] for f in ("X01_Muong_Giang.xlsx", "X03_Chieng_Bang.ods", "X04_lan1.xlsx")] == [1, 1, 0]
    warned = [i["message"] for i in files["X01_Muong_Giang.xlsx"]["issues"] if i["code"] == "same-values"]
    assert warned == ["X01_Muong_Giang.xlsx: số liệu giống hệt tệp X03_Chieng_Bang.ods của đơn vị X03 (6 ô có số); "
                      "hãy kiểm tra xem có gửi nhầm tệp hay chép số liệu không."]


# ------------------------------------------------------------------------ 4. nothing typed is dropped


def test_a_number_in_the_notes_column_is_a_warning_naming_its_row(world):
    folder = folder_of(world, "note", {"X05_Chieng_Khay.xlsx": world["lo"] / "X05_Chieng_Khay.xlsx"})
    code, text, doc = check_json(world, folder)
    r = row_of(world["tX05"], "9.2")
    f = doc["files"][0]
    stray = [(i["severity"], i["cell"], i["indicator"], i["message"]) for i in f["issues"]
             if i["code"] == "value-outside-form"]
    assert stray == [("warning", f"F{r}", "9.2",
                      f"X05_Chieng_Khay.xlsx, trang Biểu tổng hợp, ô F{r}: có số \"7\" ngoài ô nhập liệu của biểu; "
                      "có vẻ thuộc hàng 9.2 \"Cá nhân\"; số này không được tính. Nếu là số liệu của hàng đó, hãy ghi "
                      "vào cột \"Số lớp/số cuộc thi\" hoặc \"Người\".")]


def test_a_comma_grouped_number_is_quoted_as_written(world):
    folder = folder_of(world, "comma", {"X05_phay.xlsx": world["lo"] / "X05_phay.xlsx"})
    code, text, doc = check_json(world, folder)
    r = row_of(world["tX05"], "4.2")
    got = [i["message"] for i in doc["files"][0]["issues"] if i["code"] == "value-not-whole"]
    assert got == [f"X05_phay.xlsx, trang Biểu tổng hợp, ô D{r} (hàng 4.2, Số lớp/số cuộc thi): \"1,200\" không "
                   "phải số nguyên; cần một số nguyên không âm."]
    assert code == 1


# ------------------------------------------------------------------- 6, 7. outputs and the inputs


def test_feedback_inside_the_returns_is_refused(world):
    folder = folder_of(world, "fb_inside", {"X05_phay.xlsx": world["lo"] / "X05_phay.xlsx"})
    code, out = _run("check", folder, "--campaign", world["base"] / "campaign.toml", "--feedback", folder / "gui_lai")
    assert code == 2
    assert f"Lỗi: Hãy ghi các bản sao đánh dấu ra ngoài thư mục báo cáo {folder} (ví dụ ở thư mục cha): lần kiểm " \
           "tra sau sẽ đọc nhầm nó là báo cáo của đơn vị." in out
    assert sorted(p.name for p in folder.iterdir()) == ["X05_phay.xlsx"]
    code, out = _run("check", folder, "--campaign", world["base"] / "campaign.toml", "--json", folder / "kq.json")
    assert code == 2 and "Hãy ghi tệp JSON ra ngoài thư mục báo cáo" in out


def test_a_rerun_of_feedback_leaves_only_current_copies(world):
    folder = folder_of(world, "fb_rerun", {"X05_phay.xlsx": world["lo"] / "X05_phay.xlsx",
                                           "X01_Muong_Giang.xlsx": world["lo"] / "X01_Muong_Giang.xlsx"})
    out_dir = world["base"] / "fb_rerun_gui_lai"
    mine = out_dir / "ghi_chu_cua_toi.txt"
    code, out = _run("check", folder, "--campaign", world["base"] / "campaign.toml", "--feedback", out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == ["X05_phay_can_sua.xlsx", "danh_sach_gui_lai.csv"]
    mine.write_text("của chuyên viên", encoding="utf-8")
    # X05 sends a correct file: its old copy and the mailing list that names it must go
    (folder / "X05_phay.xlsx").unlink()
    code, out = _run("check", folder, "--campaign", world["base"] / "campaign.toml", "--feedback", out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == ["ghi_chu_cua_toi.txt"]


@pytest.mark.parametrize("command", ["check-json", "check-feedback", "templates", "merge-json", "report"])
def test_an_unwritable_output_is_a_message_never_a_traceback(world, command, tmp_path):
    folder = folder_of(world, f"unwritable_{command}", {"X01_Muong_Giang.xlsx": world["lo"] / "X01_Muong_Giang.xlsx"})
    blocker = tmp_path / "mot_tep.txt"
    blocker.write_text("x", encoding="utf-8")  # a file where a folder should be (root ignores permissions)
    camp = ("--campaign", world["base"] / "campaign.toml")
    args = {"check-json": ("check", folder, *camp, "--json", blocker / "kq.json"),
            "check-feedback": ("check", folder, *camp, "--feedback", blocker / "gui_lai"),
            "templates": ("templates", *camp, "-o", blocker / "bieu_mau"),
            "merge-json": ("merge", folder, *camp, "-o", tmp_path / "th.xlsx", "--json", blocker / "kq.json"),
            "report": ("report", folder, *camp, "-o", blocker / "bc.docx")}[command]
    code, out = _run(*args)
    assert code == 2, out
    assert f"Không ghi được {blocker / ''}".rstrip("/") in out and "là một tệp chứ không phải thư mục" in out
    assert "Traceback" not in out


def test_atomic_write_turns_os_errors_into_vietnamese(tmp_path):
    from consolidate.issues import RunError
    from consolidate.outputs import atomic_write_text

    blocker = tmp_path / "tep"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(RunError) as err:
        atomic_write_text(blocker / "a.json", "{}")
    assert str(err.value) == f"Không ghi được {blocker / 'a.json'}: đã có một tệp trùng tên ở chỗ cần tạo thư mục."


# ----------------------------------------------------------------------- 5. a summary with a pedigree

SON_LA = SAMPLES.parent / "son-la-2021"


@pytest.fixture(scope="module")
def district_summaries(tmp_path_factory) -> dict[str, Path]:
    """Quỳnh Nhai's summary as its clerk makes it, once clean and once with --include-invalid."""
    base = tmp_path_factory.mktemp("province")
    camp = SAMPLES / "campaign.toml"
    out = {}
    for name, extra in (("clean", ()), ("invalid", ("--include-invalid",))):
        path = base / name / "tong_hop_quynh_nhai_2021.xlsx"
        path.parent.mkdir()
        code, text = _run("merge", SAMPLES / "da_nhan", "--campaign", camp, "-o", path, *extra)
        assert code == 1 and "Đã tổng hợp" in text, text
        out[name] = path
    return out


def _province_check(folder: Path) -> tuple[int, dict]:
    out = folder.parent / f"{folder.name}.json"
    code, text = _run("check", folder, "--campaign", SON_LA / "campaign.toml", "--json", out)
    return code, json.loads(out.read_text(encoding="utf-8"))


def test_a_province_sees_each_districts_completeness(district_summaries):
    code, doc = _province_check(district_summaries["clean"].parent)
    f = doc["files"][0]
    assert (f["unit"], f["status"]) == ("QNH", "accepted")
    assert f["evidence"][0] == {"source": "identity", "unit": "QNH", "said": "QNH", "where": "", "strength": 40,
                                 "candidates": []}
    said = {i["code"]: (i["severity"], i["message"]) for i in f["issues"]}
    assert said["summary-pedigree"] == ("info", "tong_hop_quynh_nhai_2021.xlsx: biểu tổng hợp của Phòng Giáo dục và "
                                                "Đào tạo huyện Quỳnh Nhai, tổng hợp từ 15/23 đơn vị, thiếu 8 đơn vị.")
    assert said["summary-incomplete"][0] == "warning"
    assert code == 0  # incomplete is for the province to see, not an error


def test_a_province_never_calls_an_include_invalid_summary_clean(district_summaries):
    code, doc = _province_check(district_summaries["invalid"].parent)
    f = doc["files"][0]
    assert (f["unit"], f["status"]) == ("QNH", "rejected")
    errors = [i["message"] for i in f["issues"] if i["code"] == "summary-include-invalid"]
    assert errors == ["tong_hop_quynh_nhai_2021.xlsx: biểu tổng hợp của Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai "
                      "được lập với --include-invalid (có cộng số liệu của đơn vị còn lỗi); đề nghị huyện sửa lỗi và "
                      "gửi lại biểu tổng hợp không dùng --include-invalid."]
    assert [i for i in f["issues"] if i["code"] == "summary-pedigree"][0]["message"].endswith("từ 17/23 đơn vị, thiếu 6 đơn vị.")
    assert code == 1


def test_a_district_office_without_a_code_is_matched_by_its_name(tmp_path):
    camp = tmp_path / "campaign.toml"
    camp.write_text((SAMPLES / "campaign.toml").read_text(encoding="utf-8").replace('code = "QNH"', "")
                    .replace('units = "units.csv"', f'units = "{(SAMPLES / "units.csv").as_posix()}"'), encoding="utf-8")
    folder = tmp_path / "tinh"
    folder.mkdir()
    code, text = _run("merge", SAMPLES / "da_nhan", "--campaign", camp, "-o", folder / "QN.xlsx")
    code, doc = _province_check(folder)
    f = doc["files"][0]
    assert (f["unit"], f["status"]) == ("QNH", "accepted")
    assert [e["source"] for e in f["evidence"] if e["unit"] == "QNH"] == ["title"]


def test_a_districts_own_summary_among_its_returns_is_no_report(district_summaries, tmp_path):
    folder = tmp_path / "da_nhan"
    shutil.copytree(SAMPLES / "da_nhan", folder)
    shutil.copy(district_summaries["clean"], folder / "tong_hop_cu.xlsx")
    out = tmp_path / "kq.json"
    _run("check", folder, "--campaign", SAMPLES / "campaign.toml", "--json", out)
    f = by_file(json.loads(out.read_text(encoding="utf-8")))["tong_hop_cu.xlsx"]
    assert f["status"] == "not_a_report"
    assert [i["message"] for i in f["issues"]] == [
        "tong_hop_cu.xlsx: không phải tệp báo cáo (đây là biểu tổng hợp của Phòng Giáo dục và Đào tạo huyện Quỳnh "
        "Nhai do lệnh merge ghi, không phải báo cáo của một đơn vị trong danh sách), đã bỏ qua."]
