"""The committed sample folders hold what their make_returns.py says: every kind of file a district office
really receives, each with the status it must get."""

from __future__ import annotations

from collections import Counter

from consolidate.campaign import load_campaign
from consolidate.check import check_folder
from consolidate.units import load_units

from conftest import SAMPLES


def test_quynh_nhai_sample_folder_gets_the_intended_statuses():
    campaign = load_campaign(SAMPLES / "campaign.toml")
    units, problems = load_units(SAMPLES / "units.csv")
    assert not problems
    run = check_folder(SAMPLES / "da_nhan", campaign, campaign.form(), units)
    status = {f.file: f.status for f in run.files}
    assert len(status) == 23  # every file of the folder has a status, none is dropped
    assert Counter(p.rsplit(".", 1)[-1] for p in status) == {"xlsx": 17, "xls": 2, "ods": 2, "jpg": 1, "docx": 1}
    assert {f: s for f, s in status.items() if s != "accepted"} == {
        "Anh le khai mac.jpg": "not_a_report",
        "Cong van gui kem.docx": "not_a_report",
        "~$MN01_Truong_Mam_non_Muong_Giang.xlsx": "not_a_report",
        "Bieu tong hop (luu dang trang web).xls": "unreadable",
        "bao cao tuan le.xlsx": "unknown_unit",
        "X04_UBND_xa_Chieng_Khoang.xlsx": "rejected",  # total ≠ parts
        "TH03_Truong_Tieu_hoc_Chieng_Bang.xlsx": "rejected",  # "nhiều" for a number
        "X08_UBND_xa_Ca_Nang (lan 1).xlsx": "superseded",
    }
    by_file = {f.file: f for f in run.files}
    # the retyped seed table and the .xls renamed .xlsx are read and attributed like any template
    assert by_file["Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx"].unit == "X05"
    assert by_file["TH02_Truong_PTDTBT_Tieu_hoc_Chieng_On.xlsx"].unit == "TH02"
    assert [i.code for i in by_file["X10_UBND_xa_Pa_Ma_Pha_Khinh.xlsx"].issues] == ["late"]
    assert run.counts()["missing"] == 6


def test_dong_da_units_that_sent_only_their_schedule_are_missing_their_report():
    from consolidate.render import render_check

    sample = SAMPLES.parent / "dong-da-2024"
    campaign = load_campaign(sample / "campaign.toml")
    units, _ = load_units(sample / "units.csv")
    run = check_folder(sample / "da_nhan", campaign, campaign.form(), units)
    lines = render_check(run).splitlines()
    assert "  Trường THCS Lý Thường Kiệt (CS02) — đã gửi lịch hoạt động, chưa gửi biểu số liệu" in lines
    assert "  UBND phường Thổ Quan (P07)" in lines  # sent nothing at all
    assert lines[-2] == "24/31 đơn vị hợp lệ, 1 có lỗi, 0 chưa xác định, 6 chưa nộp"
