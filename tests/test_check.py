"""check_folder over real returned files: every problem of every file in one run, a status per file and per
unit, the long table, and the --json document against docs/check.schema.json."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from consolidate.check import check_folder, file_status, unit_statuses
from consolidate.issues import make
from consolidate.reader import ReadFile
from consolidate.render import render_check, verdict
from consolidate.results import FileReport

from conftest import FILES, ROOT

FAULTY = FILES / "check" / "faulty"
CLEAN = FILES / "check" / "clean"
SCHEMA = json.loads((ROOT / "docs" / "check.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def faulty(campaign, form, units):
    return check_folder(FAULTY, campaign, form, units)


def test_every_file_gets_a_status(faulty):
    assert {f.file: (f.unit, f.status) for f in faulty.files} == {
        "MN01_Mam_non_Muong_Giang.xlsx": ("MN01", "accepted"),
        "X01_Muong_Giang.xlsx": ("X01", "accepted"),
        "X02_Chieng_On.xlsx": ("X02", "rejected"),
        "X03_Chieng_Bang.xlsx": ("X03", "rejected"),
        "X04_Chieng_Khoang_lan1.xlsx": ("X04", "superseded"),
        "X04_Chieng_Khoang_lan2.xlsx": ("X04", "accepted"),
        "X05_Chieng_Khay.xls": ("X05", "accepted"),
        "X06_Muong_Chien.ods": ("X06", "rejected"),
        "bao_cao_tuan_le.xlsx": (None, "unknown_unit"),
        "ghi_chu.txt": (None, "not_a_report"),
    }
    assert [f.file for f in faulty.files] == sorted(p.name for p in FAULTY.iterdir())


def test_all_problems_of_all_files_in_one_run(faulty):
    got = {(i.file, i.severity, i.code, i.indicator, i.measure, i.sheet, i.cell, i.value) for i in faulty.issues}
    sheet = "Biểu tổng hợp"
    assert got == {
        ("MN01_Mam_non_Muong_Giang.xlsx", "warning", "people-less-than-count", "6.2", "people", sheet, "E36", "0"),
        ("MN01_Mam_non_Muong_Giang.xlsx", "warning", "over-limit", "7.1", "count", sheet, "D39", "3"),
        ("X02_Chieng_On.xlsx", "error", "total-mismatch", "1", "count", sheet, "D7", "5"),
        ("X03_Chieng_Bang.xlsx", "error", "value-unreadable", "4.1", "count", sheet, "D25", "mười"),
        ("X03_Chieng_Bang.xlsx", "error", "value-negative", "4.2", "count", sheet, "D26", "-85"),
        ("X04_Chieng_Khoang_lan1.xlsx", "info", "superseded", None, None, None, None, None),
        ("X04_Chieng_Khoang_lan2.xlsx", "info", "total-from-parts", "1.0", "people", sheet, None, None),
        ("X04_Chieng_Khoang_lan2.xlsx", "info", "resubmitted", None, None, None, None, None),
        ("X05_Chieng_Khay.xls", "warning", "total-without-parts", "5", "count", sheet, "D27", "2"),
        ("X06_Muong_Chien.ods", "error", "total-mismatch", "6", "count", sheet, "D34", "4"),
        ("bao_cao_tuan_le.xlsx", "error", "unit-unknown", None, None, None, None, None),
        ("ghi_chu.txt", "info", "not-a-report", None, None, None, None, None),
    }
    x02 = next(f for f in faulty.files if f.file == "X02_Chieng_On.xlsx")
    assert x02.issues[0].message == (
        "X02_Chieng_On.xlsx, trang Biểu tổng hợp, ô D7: hàng 1 (Số lớp/số cuộc thi) ghi 5 nhưng tổng các hàng "
        "1.5 (1), 1.8 (2) là 3; số lớp của Tuần lễ bằng tổng số lớp theo loại (1.1 … 1.13).")
    assert x02.issues[0].unit == "X02"


def test_every_unit_of_the_list_has_a_standing(faulty, units):
    assert set(faulty.unit_status) == {u.code for u in units}
    reported = {code: (s.status, s.file) for code, s in faulty.unit_status.items() if s.status != "missing"}
    assert reported == {
        "X01": ("accepted", "X01_Muong_Giang.xlsx"),
        "X02": ("rejected", "X02_Chieng_On.xlsx"),
        "X03": ("rejected", "X03_Chieng_Bang.xlsx"),
        "X04": ("accepted", "X04_Chieng_Khoang_lan2.xlsx"),
        "X05": ("accepted", "X05_Chieng_Khay.xls"),
        "X06": ("rejected", "X06_Muong_Chien.ods"),
        "MN01": ("accepted", "MN01_Mam_non_Muong_Giang.xlsx"),
    }
    assert faulty.unit_status["X07"].file is None
    assert faulty.has_errors
    assert faulty.counts() == {"units": 23, "accepted": 4, "rejected": 3, "missing": 16, "unknown": 1,
                                 "unconfirmed": 0}
    assert verdict(faulty) == "4/23 đơn vị hợp lệ, 3 có lỗi, 1 chưa xác định, 16 chưa nộp"


def test_table_holds_current_files_with_totals_filled(faulty, form):
    files = set(faulty.table["file"])
    assert "X04_Chieng_Khoang_lan1.xlsx" not in files  # superseded: neither checked nor merged
    assert "ghi_chu.txt" not in files
    assert "bao_cao_tuan_le.xlsx" in files  # its values are checked even though nobody can be credited
    x04 = faulty.table[faulty.table["file"].eq("X04_Chieng_Khoang_lan2.xlsx")].set_index("indicator")
    assert x04.at["1.0", "people"] == 95.0  # blank total taken from 1.5 + 1.8
    assert len(x04) == len(form.value_rows)


def test_json_validates_against_the_schema(faulty):
    doc = json.loads(json.dumps(faulty.to_dict(), ensure_ascii=False, default=str))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["summary"] == {"units": 23, "accepted": 4, "rejected": 3, "missing": 16, "unknown": 1,
                                 "unconfirmed": 0}
    assert doc["units"]["X04"] == {"status": "accepted", "file": "X04_Chieng_Khoang_lan2.xlsx"}
    issue = doc["files"][2]["issues"][0]
    assert issue == {"severity": "error", "code": "total-mismatch", "indicator": "1", "measure": "count",
                     "sheet": "Biểu tổng hợp", "cell": "D7", "value": "5", "message": issue["message"]}


def test_schema_rejects_a_wrong_document(faulty):
    doc = json.loads(json.dumps(faulty.to_dict(), ensure_ascii=False, default=str))
    doc["files"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    doc = json.loads(json.dumps(faulty.to_dict(), ensure_ascii=False, default=str))
    doc["files"][2]["issues"][0]["cell"] = "7D"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_clean_folder_has_no_errors(campaign, form, units):
    result = check_folder(CLEAN, campaign, form, units)
    assert [(f.file, f.status, f.issues) for f in result.files] == [
        ("TH01_Tieu_hoc_Muong_Giang.xlsx", "accepted", []),
        ("X01_Muong_Giang.xlsx", "accepted", []),
        ("X02_Chieng_On.xlsx", "accepted", []),
    ]
    assert not result.has_errors
    assert verdict(result) == "3/23 đơn vị hợp lệ, 0 có lỗi, 0 chưa xác định, 20 chưa nộp"


def test_saved_after_the_deadline_is_information(campaign, form, units):
    early = dataclasses.replace(campaign, deadline=dt.date(2021, 10, 11))
    result = check_folder(CLEAN, early, form, units)
    late = [(i.file, i.severity, i.message) for i in result.issues if i.code == "late"]
    assert late[0] == ("TH01_Tieu_hoc_Muong_Giang.xlsx", "info",
                       "TH01_Tieu_hoc_Muong_Giang.xlsx: lưu lúc 09:30 12/10/2021, sau hạn 11/10/2021.")
    assert len(late) == 3
    assert all(f.status == "accepted" for f in result.files)  # information never blocks


def test_empty_folder(tmp_path, campaign, form, units):
    result = check_folder(tmp_path, campaign, form, units)
    assert result.files == [] and not result.has_errors and result.table.empty
    assert all(s.status == "missing" for s in result.unit_status.values())
    assert render_check(result).splitlines()[-1] == "0/23 đơn vị hợp lệ, 0 có lỗi, 0 chưa xác định, 23 chưa nộp"


def test_progress_is_reported_per_file(campaign, form, units):
    seen: list[tuple[int, int]] = []
    check_folder(CLEAN, campaign, form, units, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def _read(kind: str = "report", unit: str | None = "X01", superseded_by: str | None = None) -> ReadFile:
    return ReadFile("a.xlsx", Path("a.xlsx"), kind, unit=unit, superseded_by=superseded_by)  # type: ignore[arg-type]


def test_file_status_order():
    error = [make("total-mismatch", file="a.xlsx")]
    warning = [make("people-missing", file="a.xlsx")]
    assert file_status(_read("unreadable", None), error) == "unreadable"
    assert file_status(_read("not_a_report", None), []) == "not_a_report"
    assert file_status(_read(superseded_by="b.xlsx"), error) == "superseded"
    assert file_status(_read(unit=None), []) == "unknown_unit"
    assert file_status(_read(), error) == "rejected"
    assert file_status(_read(), warning) == "accepted"


def test_unit_statuses_use_the_current_file(units):
    files = [FileReport("old.xlsx", Path("old.xlsx"), "superseded", "X01"),
             FileReport("new.xlsx", Path("new.xlsx"), "rejected", "X01"),
             FileReport("x.xlsx", Path("x.xlsx"), "unknown_unit", None)]
    statuses = unit_statuses(files, units)
    assert (statuses["X01"].status, statuses["X01"].file) == ("rejected", "new.xlsx")
    assert (statuses["X02"].status, statuses["X02"].file) == ("missing", None)


def test_render_check_groups_issues_by_file(faulty):
    text = render_check(faulty)
    lines = text.splitlines()
    assert lines[0] == f"Kiểm tra thư mục {FAULTY}: 10 tệp"
    assert lines[2].split() == ["Tệp", "Đơn", "vị", "Trạng", "thái", "Lỗi", "Cảnh", "báo"]
    row = next(line for line in lines if line.startswith("X03_Chieng_Bang.xlsx "))
    assert row.split("  ")[0] == "X03_Chieng_Bang.xlsx"
    assert " ".join(row.split()) == "X03_Chieng_Bang.xlsx UBND xã Chiềng Bằng (X03) có lỗi 2 0"
    at = lines.index("X03_Chieng_Bang.xlsx — UBND xã Chiềng Bằng (X03): có lỗi")
    assert lines[at + 1:at + 3] == [
        "  Lỗi: trang Biểu tổng hợp, ô D25 (hàng 4.1, Số lớp/số cuộc thi): không đọc được giá trị \"mười\" thành số.",
        "  Lỗi: trang Biểu tổng hợp, ô D26 (hàng 4.2, Số lớp/số cuộc thi): \"-85\" là số âm; "
        "cần một số nguyên không âm.",
    ]
    assert "Đơn vị chưa nộp (16):" in lines
    assert "  UBND xã Mường Sại (X07)" in lines
    assert "4/23 đơn vị hợp lệ, 3 có lỗi, 1 chưa xác định, 16 chưa nộp" in lines


def test_check_module_does_not_load_pandera():
    code = "import sys, consolidate.check, consolidate.cli; print('pandera' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_hostile_files_each_get_a_status_and_never_stop_the_run(campaign, form, units):
    folder = FILES / "reader" / "bad"
    result = check_folder(folder, campaign, form, units)
    assert [f.file for f in result.files] == sorted(p.name for p in folder.iterdir())
    statuses = {f.file: f.status for f in result.files}
    assert statuses["zip_bomb.xlsx"] == "unreadable"
    assert statuses["encrypted.xlsx"] == "unreadable"
    assert statuses["bao_cao.pdf"] == "not_a_report"
    assert statuses["~$MN01_Truong_Mam_non_Muong_Giang.xlsx"] == "not_a_report"
    # an inverted DIMENSIONS record is ignored by every reader: that file is MN01's good return
    assert statuses.pop("xls_bad_dimensions.xls") == "accepted"
    assert set(statuses.values()) <= {"unreadable", "not_a_report", "unknown_unit"}
    assert all(f.issues for f in result.files if f.file in statuses)  # each one says why
    unreadable = sum(1 for s in statuses.values() if s == "unreadable")
    unknown = sum(1 for s in statuses.values() if s == "unknown_unit")
    assert verdict(result) == f"1/23 đơn vị hợp lệ, 0 có lỗi, {unreadable + unknown} chưa xác định, 22 chưa nộp"


def test_render_check_says_many_missing_rows_of_one_sheet_in_one_line(campaign, form, units):
    sheet = "Sheet1"
    missing = [make("row-missing", file="a.xlsx", sheet=sheet, indicator=code, label=form.row(code).label)
               for code in ("1.1", "1.2", "8", "9.1")]
    few = [make("row-missing", file="a.xlsx", sheet="Khác", indicator="11", label=form.row("11").label)]
    error = make("value-unreadable", file="a.xlsx", sheet=sheet, cell="D26", indicator="4.2", measure="count",
                 value="mười")
    report = FileReport("a.xlsx", Path("a.xlsx"), "rejected", "X01", issues=[*missing, error, *few])
    result = dataclasses.replace(check_folder(CLEAN, campaign, form, units), files=[report])
    lines = render_check(result).splitlines()
    at = lines.index("a.xlsx — UBND xã Mường Giàng (X01): có lỗi")
    assert lines[at + 1].startswith("  Lỗi: trang Sheet1, ô D26")
    assert lines[at + 2] == "  Cảnh báo: trang Sheet1: không thấy 4 hàng của biểu (1.1, 1.2, 8, 9.1); coi như để trống."
    assert lines[at + 3] == "  Cảnh báo: trang Khác: không thấy hàng 11 \"Các nội dung khác (nếu có)\"; coi như để trống."


def test_the_senders_address_is_one_more_piece_of_evidence(campaign, form, units):
    from consolidate.identity import Evidence

    sent_by = lambda code: {"X01_Muong_Giang.xlsx": [  # noqa: E731
        Evidence("sender", code, f"{code or 'la'}@quynhnhai.example", "thư nhận lúc 08:00 13/10/2021")]}
    other = check_folder(CLEAN, campaign, form, units, evidence=sent_by("X02"))
    f = next(f for f in other.files if f.file == "X01_Muong_Giang.xlsx")
    assert (f.status, f.unit, f.claims) == ("unconfirmed", None, ("X01", "X02"))
    assert [e.source for e in f.evidence] == ["identity", "title", "filename", "sender"]
    assert (other.unit_status["X01"].status, other.unit_status["X02"].status) == ("unconfirmed", "accepted")
    same = check_folder(CLEAN, campaign, form, units, evidence=sent_by("X01"))
    f = next(f for f in same.files if f.file == "X01_Muong_Giang.xlsx")
    assert (f.status, f.unit, f.identity_source) == ("accepted", "X01", "identity")
    stranger = check_folder(CLEAN, campaign, form, units, evidence=sent_by(None))  # an address of no unit
    assert next(f for f in stranger.files if f.file == "X01_Muong_Giang.xlsx").status == "accepted"


def test_a_newer_file_without_the_form_stands_with_its_error(tmp_path, campaign, form, units):
    """Only an untouched template gives way to an older file with values; a newer file in which the form
    cannot be found is the unit's latest word, and keeps the unit out of the totals with its error."""
    import shutil

    from openpyxl import Workbook

    shutil.copy(CLEAN / "X01_Muong_Giang.xlsx", tmp_path / "X01_Muong_Giang.xlsx")
    wb = Workbook()
    wb.active["A1"] = "Báo cáo của xã, gõ lại không theo biểu"
    wb.save(tmp_path / "X01_Muong_Giang_moi.xlsx")
    result = check_folder(tmp_path, campaign, form, units)
    status = {f.file: f.status for f in result.files}
    assert status == {"X01_Muong_Giang.xlsx": "superseded", "X01_Muong_Giang_moi.xlsx": "rejected"}
    assert (result.unit_status["X01"].status, result.unit_status["X01"].file) == ("rejected", "X01_Muong_Giang_moi.xlsx")


def test_identical_values_name_the_first_files_and_count_them_all():
    """A province's copies of one file: each names the first SAME_AS_KEPT other units' files and counts all,
    instead of every copy listing every other (quadratic)."""
    from consolidate.check import SAME_AS_KEPT, _resubmissions

    records = [{"indicator": code, "count": 3.0, "people": 40.0, "amount": float("nan")} for code in ("1", "2")]
    n = SAME_AS_KEPT + 5
    read = [ReadFile(f"U{k:02d}.xlsx", Path(f"U{k:02d}.xlsx"), "report", unit=f"U{k:02d}", records=records, typed=True)
            for k in range(n)]
    # one unit sent its copy twice under two names (both current): its own files are never "another unit's"
    read.append(ReadFile("U00_ban2.xlsx", Path("U00_ban2.xlsx"), "report", unit="U00", records=records, typed=True))
    reports = [FileReport(rf.file, rf.path, "accepted", rf.unit, parts=("form",)) for rf in read]
    _resubmissions(read, reports)
    first = reports[0]
    assert first.same_count == n - 1
    assert first.same_as == [f"U{k:02d}.xlsx" for k in range(1, SAME_AS_KEPT + 1)]
    last = reports[n - 1]
    assert last.same_count == n
    assert last.same_as == [f"U{k:02d}.xlsx" for k in range(SAME_AS_KEPT)]
    assert [i.message for i in first.issues] == [
        "U00.xlsx: số liệu giống hệt tệp U01.xlsx của đơn vị U01 (4 ô có số); hãy kiểm tra xem có gửi nhầm tệp "
        "hay chép số liệu không."]
    assert first.to_dict()["same_count"] == n - 1
