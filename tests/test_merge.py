"""Merge: sums over accepted units, per-unit values, the --json document and the atomic write."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from consolidate.issues import RunError, make
from consolidate.merge import MergeResult, formula_texts, merge_checks, merge_folder, per_unit, totals
from consolidate.results import TABLE_COLUMNS, FileReport, RunResult, UnitStatus

HYPERLINK = '=HYPERLINK("http://vi-du.example","bấm vào đây")'
NOW = dt.datetime(2021, 10, 16, 17, 45)
COPIED = dt.datetime(2021, 10, 16, 8, 0)  # when the clerk saved the attachments into the folder (mtime)

# What each file holds: {indicator: {measure: value}}; anything not listed is blank.
FILES = {
    "X01_UBND_xa_Muong_Giang.xlsx": ("X01", "accepted", dt.datetime(2021, 10, 8, 9, 30), {
        "1": {"count": 2}, "1.0": {"people": 64}, "1.5": {"count": 2, "people": 64},
        "2": {"count": 4, "note": HYPERLINK}, "10.1": {"amount": 3_500_000},
        "11": {"text": "Tổ chức 2 buổi tọa đàm ở bản"},
    }),
    # zeros reported, total left blank: the total is the sum of its parts, 0 (never blank)
    "X02_UBND_xa_Chieng_On.xlsx": ("X02", "accepted", dt.datetime(2021, 10, 15, 16, 0), {
        "1.0": {"people": 0}, "1.5": {"count": 0, "people": 0}, "2": {"count": 1},
    }),
    # the first submission of X03, replaced by the second: none of its numbers may count
    "X03 (lan 1).xlsx": ("X03", "superseded", dt.datetime(2021, 10, 9, 8, 0), {"2": {"count": 100}}),
    "X03 (lan 2).ods": ("X03", "accepted", dt.datetime(2021, 10, 11, 8, 0), {"2": {"count": 3}}),
    # a total without its breakdown: accepted with a warning
    "X04_UBND_xa_Chieng_Khoang.xlsx": ("X04", "accepted", dt.datetime(2021, 10, 12, 8, 0), {
        "1": {"count": 5},
    }),
    "MN01_Truong_Mam_non_Muong_Giang.xlsx": ("MN01", "accepted", dt.datetime(2021, 10, 18, 14, 30), {
        "1": {"count": 6}, "1.0": {"people": 210}, "1.7": {"count": 6, "people": 210},
        "7.1": {"count": 1}, "10.1": {"amount": 2_000_000},
    }),
    # a total that does not match its parts: rejected, out of the sums unless --include-invalid
    "TH01_Truong_Tieu_hoc_Muong_Giang.xlsx": ("TH01", "rejected", dt.datetime(2021, 10, 11, 10, 0), {
        "1": {"count": 9}, "1.0": {"people": 100}, "1.7": {"count": 5, "people": 100},
    }),
    "bao cao tuan le.xlsx": (None, "unknown_unit", None, {"2": {"count": 7}}),
    "Anh le khai mac.jpg": (None, "not_a_report", None, {}),
}


def _issues(rel: str, status: str, unit: str | None) -> list:
    if status == "rejected":
        return [make("total-mismatch", file=rel, sheet="Biểu tổng hợp", cell="D7", indicator="1", measure="count",
                     value="9", expected="5", parts="1.1 … 1.13", meaning="số lớp")]
    if status == "superseded":
        return [make("superseded", file=rel, unit=unit, newer="X03 (lan 2).ods")]
    if status == "unknown_unit":
        return [make("unit-unknown", file=rel, reason="không có dòng \"Đơn vị báo cáo\"")]
    if status == "not_a_report":
        return [make("not-a-report", file=rel, reason="ảnh JPEG")]
    if rel.startswith("X04"):
        return [make("total-without-parts", file=rel, sheet="Biểu tổng hợp", cell="D7", indicator="1",
                     measure="count", value="5", parts="1.1 … 1.13")]
    if rel.startswith("X01"):
        return [make("value-unreadable", severity="info", file=rel, sheet="Biểu tổng hợp", cell="F22",
                     indicator="2", measure="count", value=HYPERLINK)]
    return []


def make_run(campaign, form, units, folder: Path = Path("da_nhan"), files=None) -> RunResult:
    """A RunResult as check_folder returns it, built from FILES."""
    files = FILES if files is None else files
    reports, records = [], []
    status = {u.code: UnitStatus("missing") for u in units}
    for rel, (unit, state, saved, values) in files.items():
        reports.append(FileReport(rel, folder / rel, state, unit, _issues(rel, state, unit),
                                  ("form",) if values else (), saved, COPIED if saved else None,
                                  "identity" if unit else None))
        if state in ("accepted", "rejected"):
            status[unit] = UnitStatus(state, rel)
        if not values:
            continue
        for row in form.value_rows:
            v = values.get(row.code, {})
            records.append({
                "file": rel, "unit": unit, "indicator": row.code,
                "count": float(v.get("count", math.nan)), "people": float(v.get("people", math.nan)),
                "amount": float(v.get("amount", math.nan)), "text": v.get("text"), "note": v.get("note"),
                "sheet": "Biểu tổng hợp", "cell_count": None, "cell_people": None, "cell_amount": None,
                "cell_text": None, "cell_note": None,
            })
    table = pd.DataFrame(records, columns=TABLE_COLUMNS)
    return RunResult(folder, campaign, form, units, reports, status, table)


def make_result(campaign, form, units, include_invalid=False, output=Path("tong_hop.xlsx")) -> MergeResult:
    """A MergeResult over FILES, as merge_folder builds it."""
    run = make_run(campaign, form, units)
    sums = totals(run, include_invalid)
    return MergeResult(run, sums, per_unit(run), output, include_invalid, NOW,
                       merge_checks(run, sums, include_invalid) + formula_texts(run, include_invalid))


@pytest.fixture
def run(campaign, form, units):
    return make_run(campaign, form, units)


def value(frame: pd.DataFrame, code: str, measure: str) -> float | None:
    x = frame.at[code, measure]
    return None if math.isnan(x) else x


# --- totals ------------------------------------------------------------------------------------------


def test_totals_sum_accepted_units_only(run, form):
    sums = totals(run)
    assert list(sums.index) == [r.code for r in form.value_rows if r.numeric_measures]
    assert list(sums.columns) == ["count", "people", "amount"]
    assert value(sums, "1", "count") == 2 + 0 + 5 + 6  # X01, X02 (from parts), X04, MN01; not TH01's 9
    assert value(sums, "1.0", "people") == 64 + 0 + 210
    assert value(sums, "1.5", "count") == 2
    assert value(sums, "1.5", "people") == 64
    assert value(sums, "1.7", "count") == 6
    assert value(sums, "2", "count") == 4 + 1 + 3  # X03's first submission (100) and the unknown file (7) left out
    assert value(sums, "7.1", "count") == 1
    assert value(sums, "10.1", "amount") == 5_500_000


def test_totals_blank_only_where_no_unit_reported(run):
    sums = totals(run)
    assert value(sums, "10.2", "amount") is None  # nobody reported it
    assert value(sums, "3", "count") is None
    assert value(sums, "1", "people") is None  # the row has no such measure
    assert value(sums, "10.1", "count") is None


def test_include_invalid_adds_the_rejected_units_readable_values(run):
    sums = totals(run, include_invalid=True)
    assert value(sums, "1", "count") == 13 + 9
    assert value(sums, "1.7", "count") == 6 + 5
    assert value(sums, "1.7", "people") == 210 + 100
    assert value(sums, "1.0", "people") == 274 + 100


def test_a_blank_unit_total_is_taken_from_its_parts(campaign, form, units):
    files = {"X01.xlsx": ("X01", "accepted", None, {"5.1": {"count": 1}, "5.3": {"count": 2, "people": 40}}),
             "X02.xlsx": ("X02", "accepted", None, {"5": {"count": 4}, "5.1": {"count": 4}})}
    sums = totals(make_run(campaign, form, units, files=files))
    assert value(sums, "5", "count") == 3 + 4
    assert value(sums, "5.1", "count") == 5
    assert value(sums, "5.3", "people") == 40


def test_no_accepted_unit_gives_all_blank_totals(campaign, form, units):
    files = {"TH01.xlsx": ("TH01", "rejected", None, {"2": {"count": 3}})}
    sums = totals(make_run(campaign, form, units, files=files))
    assert sums.isna().all().all()
    assert len(sums) == len([r for r in form.value_rows if r.numeric_measures])


def test_totals_agree_with_parts_when_every_unit_gave_its_breakdown(campaign, form, units):
    files = {k: v for k, v in FILES.items() if not k.startswith("X04")}
    run = make_run(campaign, form, units, files=files)
    sums = totals(run)
    for rule in form.rules:
        parts = sums.loc[list(rule.parts), rule.measure].sum(min_count=1)
        total = sums.at[rule.total, rule.measure]
        assert (math.isnan(total) and math.isnan(parts)) or total == parts, rule.total
    assert merge_checks(run, sums) == []


def test_merge_warns_when_a_total_exceeds_its_parts(run):
    issues = merge_checks(run, totals(run))
    assert [(i.code, i.severity, i.indicator) for i in issues] == [("merge-total-differs", "warning", "1")]
    assert issues[0].message == (
        "Tổng hợp: hàng 1 (Số lớp/số cuộc thi) toàn huyện là 13 nhưng tổng các hàng 1.1 … 1.13 là 8, "
        "do UBND xã Chiềng Khoang chỉ ghi số tổng, không ghi số chi tiết.")


def test_merge_with_invalid_units_names_their_wrong_totals(run):
    issues = merge_checks(run, totals(run, include_invalid=True), include_invalid=True)
    assert [i.message for i in issues] == [
        "Tổng hợp: hàng 1 (Số lớp/số cuộc thi) toàn huyện là 22 nhưng tổng các hàng 1.1 … 1.13 là 13, "
        "do UBND xã Chiềng Khoang chỉ ghi số tổng, không ghi số chi tiết; Trường Tiểu học Mường Giàng ghi tổng 9 "
        "khác tổng chi tiết 5 (đơn vị có lỗi)."]


# --- per unit ------------------------------------------------------------------------------------------


def test_per_unit_keeps_blank_apart_from_zero(run):
    pu = per_unit(run)
    assert pu.at[("X02", "1.5"), "count"] == 0
    assert pu.at[("X02", "1.5"), "people"] == 0
    assert math.isnan(pu.at[("X02", "3"), "count"])
    assert pu.at[("X02", "1"), "count"] == 0  # blank total taken from its parts
    assert pu.at[("X01", "2"), "note"] == HYPERLINK
    assert pu.at[("X01", "11"), "text"] == "Tổ chức 2 buổi tọa đàm ở bản"
    assert pu.at[("X01", "3"), "note"] is None


def test_per_unit_holds_current_files_in_list_order_with_status(run):
    pu = per_unit(run)
    assert list(dict.fromkeys(pu.index.get_level_values("unit"))) == ["X01", "X02", "X03", "X04", "MN01", "TH01"]
    assert pu.at[("X03", "2"), "count"] == 3  # the second submission, not the first
    assert pu.at[("TH01", "1"), "count"] == 9
    assert pu.at[("TH01", "1"), "status"] == "rejected"
    assert pu.at[("X01", "1"), "status"] == "accepted"


# --- MergeResult -----------------------------------------------------------------------------------------


def test_merge_result_units_by_state(campaign, form, units):
    result = make_result(campaign, form, units)
    assert result.merged_units == ["X01", "X02", "X03", "X04", "MN01"]
    assert result.units_in("rejected") == ["TH01"]
    assert len(result.units_in("missing")) == len(units) - 6
    assert make_result(campaign, form, units, include_invalid=True).merged_units == [
        "X01", "X02", "X03", "X04", "MN01", "TH01"]


def test_to_dict_is_check_json_plus_totals_and_unit_values(campaign, form, units):
    result = make_result(campaign, form, units)
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    check_doc = result.run.to_dict()
    assert doc["files"] == json.loads(json.dumps(check_doc["files"], ensure_ascii=False))
    assert doc["totals"]["1"] == {"count": 13, "people": None, "amount": None}
    assert doc["totals"]["1.5"] == {"count": 2, "people": 64, "amount": None}
    assert doc["totals"]["10.1"] == {"count": None, "people": None, "amount": 5500000}
    assert doc["totals"]["10.2"] == {"count": None, "people": None, "amount": None}
    assert "11" not in doc["totals"] and "4" not in doc["totals"]  # text and header rows carry no number
    assert isinstance(result.to_dict()["totals"]["10.1"]["amount"], int)
    assert doc["units"]["X02"]["status"] == "accepted"
    assert doc["units"]["X02"]["file"] == "X02_UBND_xa_Chieng_On.xlsx"
    assert doc["units"]["X02"]["values"]["1.5"] == {"count": 0, "people": 0, "amount": None}
    assert doc["units"]["X02"]["values"]["3"] == {"count": None, "people": None, "amount": None}
    assert doc["units"]["TH01"]["values"]["1"] == {"count": 9, "people": None, "amount": None}
    assert doc["units"]["X05"] == {"status": "missing", "file": None, "values": None}
    assert doc["merge"]["included_invalid"] is False
    assert doc["merge"]["merged_units"] == ["X01", "X02", "X03", "X04", "MN01"]
    assert doc["merge"]["unit_count"] == 23
    assert [i["code"] for i in doc["merge"]["issues"]] == ["merge-total-differs", "merge-formula-text"]
    formula = doc["merge"]["issues"][1]
    assert (formula["indicator"], formula["measure"], formula["value"]) == ("2", "note", HYPERLINK)
    assert formula["message"] == (
        f"Tổng hợp: UBND xã Mường Giàng ghi ở hàng 2 (ghi chú) nội dung dạng công thức Excel \"{HYPERLINK}\"; "
        "biểu tổng hợp không in nội dung này, chỉ ghi lại ở đây.")


# --- merge_folder: checks, atomic write ---------------------------------------------------------------------


@pytest.fixture
def fake_check(monkeypatch, campaign, form, units):
    """check_folder replaced by the synthetic run, so these tests exercise merge_folder alone."""
    import consolidate.check

    monkeypatch.setattr(consolidate.check, "check_folder",
                        lambda folder, *a, **k: make_run(campaign, form, units, folder=folder))


def test_merge_folder_writes_the_summary_and_returns_the_result(fake_check, tmp_path, campaign, form, units):
    (tmp_path / "in").mkdir()
    out = tmp_path / "out" / "tong_hop.xlsx"
    result = merge_folder(tmp_path / "in", campaign, form, units, out, now=NOW)
    assert out.exists() and result.output == out
    assert sorted(p.name for p in out.parent.iterdir()) == ["tong_hop.xlsx"]  # no temp file, no lock left
    assert result.totals.at["2", "count"] == 8
    assert result.created_at == NOW
    assert [i.code for i in result.issues] == ["merge-total-differs", "merge-formula-text"]


def test_merge_folder_refuses_an_output_inside_the_folder(fake_check, tmp_path, campaign, form, units):
    with pytest.raises(RunError) as exc:
        merge_folder(tmp_path, campaign, form, units, tmp_path / "tong_hop.xlsx")
    assert str(exc.value) == (f"Hãy ghi tệp tổng hợp ra ngoài thư mục báo cáo {tmp_path} (ví dụ ở thư mục cha).")
    assert list(tmp_path.iterdir()) == []


def test_merge_folder_refuses_a_non_xlsx_output(fake_check, tmp_path, campaign, form, units):
    with pytest.raises(RunError, match=r"^Tệp tổng hợp phải có đuôi \.xlsx \(đang là tong_hop\.xls\)\.$"):
        merge_folder(tmp_path / "in", campaign, form, units, tmp_path / "tong_hop.xls")


def test_output_open_in_excel_is_a_vietnamese_error_and_keeps_the_old_file(fake_check, monkeypatch, tmp_path,
                                                                         campaign, form, units):
    import os

    out = tmp_path / "tong_hop.xlsx"
    out.write_bytes(b"old summary")
    real_replace = os.replace

    def locked(src, dst):  # what Windows does while Excel holds the file open
        if Path(dst) == out:
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    (tmp_path / "in").mkdir()
    with pytest.raises(RunError) as exc:
        merge_folder(tmp_path / "in", campaign, form, units, out)
    assert str(exc.value) == (f"Không ghi được {out}: tệp đang được mở (có thể trong Excel). "
                              "Hãy đóng tệp rồi chạy lại.")
    assert out.read_bytes() == b"old summary"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "tong_hop.xlsx"]


def test_unwritable_output_folder_is_a_vietnamese_error(fake_check, monkeypatch, tmp_path, campaign, form, units):
    import tempfile

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    (tmp_path / "in").mkdir()
    out = tmp_path / "out" / "tong_hop.xlsx"
    with pytest.raises(RunError) as exc:
        merge_folder(tmp_path / "in", campaign, form, units, out)
    assert str(exc.value) == (f"Không ghi được {out}: không có quyền ghi vào thư mục {out.parent} hoặc tệp đang "
                              "được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.")


NUMBERS = {"type": "object", "required": ["count", "people", "amount"], "additionalProperties": False,
           "properties": {m: {"type": ["integer", "null"], "minimum": 0} for m in ("count", "people", "amount")}}
MERGE_EXTRA = {
    "type": "object",
    "required": ["totals", "merge"],
    "properties": {
        "totals": {"type": "object", "additionalProperties": NUMBERS},
        "units": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["values"],
            "properties": {"values": {"oneOf": [{"type": "null"},
                                                {"type": "object", "additionalProperties": NUMBERS}]}}}},
        "merge": {"type": "object", "required": ["output", "included_invalid", "merged_units", "unit_count"]},
    },
}


def test_merge_json_is_a_valid_check_document_plus_totals(campaign, form, units):
    import jsonschema

    from conftest import ROOT

    check_schema = json.loads((ROOT / "docs" / "check.schema.json").read_text(encoding="utf-8"))
    for include_invalid in (False, True):
        doc = json.loads(json.dumps(make_result(campaign, form, units, include_invalid).to_dict(), ensure_ascii=False))
        jsonschema.validate(doc, check_schema, cls=jsonschema.Draft202012Validator)
        jsonschema.validate(doc, MERGE_EXTRA, cls=jsonschema.Draft202012Validator)


# --- render_merge ------------------------------------------------------------------------------------------


def test_render_merge_says_merged_missing_with_errors_and_where(campaign, form, units):
    from consolidate.render import render_merge

    text = render_merge(make_result(campaign, form, units))
    lines = text.splitlines()
    assert lines[0] == "Đã tổng hợp 5/23 đơn vị vào tệp tong_hop.xlsx"
    assert lines[1] == "Toàn huyện: 13 lớp bồi dưỡng; 274 người tham gia; 5.500.000 đồng ngân sách."
    assert lines[2].startswith("Chưa nộp (17): UBND xã Chiềng Khay (X05), UBND xã Mường Chiên (X06), ")
    assert lines[2].endswith(", Trường THCS Mường Sại (CS04)")
    assert lines[3] == "Có lỗi, chưa được cộng (1): Trường Tiểu học Mường Giàng (TH01, 1 lỗi)"
    assert lines[4] == ("3 tệp khác trong thư mục không được dùng: 1 bản cũ (đơn vị đã gửi bản mới hơn), "
                        "1 chưa xác định được đơn vị, 1 không phải báo cáo.")
    assert lines[5].startswith("Cảnh báo: Tổng hợp: hàng 1 (Số lớp/số cuộc thi) toàn huyện là 13")
    assert "--include-invalid" not in text


def test_render_merge_marks_include_invalid(campaign, form, units):
    from consolidate.render import render_merge

    lines = render_merge(make_result(campaign, form, units, include_invalid=True)).splitlines()
    assert lines[0] == "Đã tổng hợp 6/23 đơn vị vào tệp tong_hop.xlsx"
    assert lines[1] == ("LƯU Ý (--include-invalid): đã cộng cả số liệu chưa kiểm tra của 1 đơn vị có lỗi: "
                        "Trường Tiểu học Mường Giàng; biểu tổng hợp có ghi rõ điều này.")
    assert "Có lỗi, đã cộng vào tổng (1): Trường Tiểu học Mường Giàng (TH01, 1 lỗi)" in lines


def test_render_merge_when_everyone_reported_has_no_next_step(campaign, form):
    from consolidate.render import render_merge
    from consolidate.units import Unit, UnitList

    two = UnitList((Unit("X01", "UBND xã Mường Giàng", "Xã", ""), Unit("X02", "UBND xã Chiềng Ơn", "Xã", "")))
    files = {k: v for k, v in FILES.items() if v[0] in ("X01", "X02")}
    run = make_run(campaign, form, two, files=files)
    sums = totals(run)
    text = render_merge(MergeResult(run, sums, per_unit(run), Path("out/th.xlsx"), False, NOW, []))
    assert text.splitlines() == [
        "Đã tổng hợp 2/2 đơn vị vào tệp out/th.xlsx",
        "Toàn huyện: 2 lớp bồi dưỡng; 64 người tham gia; 3.500.000 đồng ngân sách.",
        "Xem chi tiết ở các trang \"Tình hình nộp báo cáo\" và \"Lỗi và cảnh báo\" của tệp tổng hợp.",
    ]


def test_nothing_read_gives_empty_per_unit_and_null_values(campaign, form, units):
    files = {"Anh le khai mac.jpg": (None, "not_a_report", None, {})}
    run = make_run(campaign, form, units, files=files)
    pu = per_unit(run)
    assert len(pu) == 0 and list(pu.columns) == ["count", "people", "amount", "text", "note", "status"]
    sums = totals(run)
    doc = MergeResult(run, sums, pu, Path("t.xlsx"), False, NOW, merge_checks(run, sums)).to_dict()
    assert all(u["values"] is None and u["status"] == "missing" for u in doc["units"].values())
    assert all(v == {"count": None, "people": None, "amount": None} for v in doc["totals"].values())


def test_ctrl_c_during_the_write_keeps_the_old_summary_and_leaves_no_temp_file(fake_check, monkeypatch, tmp_path,
                                                                              campaign, form, units):
    import consolidate.summary

    out = tmp_path / "tong_hop.xlsx"
    out.write_bytes(b"old summary")

    def interrupted(path, result):
        Path(path).write_bytes(b"PK half a workbook")
        raise KeyboardInterrupt

    monkeypatch.setattr(consolidate.summary, "write_summary", interrupted)
    (tmp_path / "in").mkdir()
    with pytest.raises(KeyboardInterrupt):
        merge_folder(tmp_path / "in", campaign, form, units, out)
    assert out.read_bytes() == b"old summary"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "tong_hop.xlsx"]  # no temp file, no lock


def test_a_second_run_on_the_same_output_folder_is_refused(fake_check, tmp_path, campaign, form, units):
    import os

    (tmp_path / "in").mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / ".consolidate.lock").write_text(str(os.getpid()))  # a live run holds the folder
    with pytest.raises(RunError) as exc:
        merge_folder(tmp_path / "in", campaign, form, units, out_dir / "tong_hop.xlsx")
    assert str(exc.value) == (f"Thư mục {out_dir} đang được một lần chạy khác ghi (tiến trình {os.getpid()}); "
                              "hãy chờ.")
    assert not (out_dir / "tong_hop.xlsx").exists()


def test_dead_runs_temp_files_are_cleared_but_nothing_else(fake_check, tmp_path, campaign, form, units):
    (tmp_path / "in").mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / ".~tmp-abc123.xlsx").write_bytes(b"PK half")
    (out_dir / ".~tmp-keep.json").write_text("{}")
    (out_dir / "ghi chu.xlsx").write_bytes(b"mine")
    merge_folder(tmp_path / "in", campaign, form, units, out_dir / "tong_hop.xlsx")
    assert sorted(p.name for p in out_dir.iterdir()) == [".~tmp-keep.json", "ghi chu.xlsx", "tong_hop.xlsx"]


# --- fixed examples of the rules the mutation check (tools/mutate.py) turns off --------------------------


def test_a_measure_the_row_does_not_have_never_reaches_the_totals(campaign, form, units):
    """A rejected unit's stray numbers (a count on the people-only row 1.0, an amount on row 2) are errors of
    that unit; added with --include-invalid, they must not become a district number of a measure the form's
    row does not have."""
    files = {"X01.xlsx": ("X01", "accepted", None, {"1.0": {"people": 30}, "2": {"count": 1}}),
             "TH01.xlsx": ("TH01", "rejected", None, {"1.0": {"people": 12, "count": 4},
                                                       "2": {"count": 2, "amount": 500_000}})}
    sums = totals(make_run(campaign, form, units, files=files), include_invalid=True)
    assert value(sums, "1.0", "people") == 42
    assert value(sums, "2", "count") == 3
    assert value(sums, "1.0", "count") is None
    assert value(sums, "2", "amount") is None
