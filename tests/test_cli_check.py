"""``consolidate check`` from the command line: exit codes 0/1/2, exact Vietnamese lines, --json, --feedback."""

from __future__ import annotations

import json
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from consolidate.cli import main

from conftest import FILES, ROOT, SAMPLES

CLEAN = FILES / "check" / "clean"
FAULTY = FILES / "check" / "faulty"
CAMPAIGN = str(SAMPLES / "campaign.toml")


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False, prog_name="consolidate")


def test_clean_folder_exits_0():
    result = invoke(str(CLEAN), "--campaign", CAMPAIGN)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Kiểm tra thư mục {CLEAN}: 3 tệp"
    assert " ".join(lines[5].split()) == "X01_Muong_Giang.xlsx UBND xã Mường Giàng (X01) hợp lệ 0 0"
    assert lines[-1] == "3/23 đơn vị hợp lệ, 0 có lỗi, 0 chưa xác định, 20 chưa nộp"
    assert result.stderr == ""


def test_faulty_folder_exits_1_with_every_problem():
    result = invoke(str(FAULTY), "--campaign", CAMPAIGN)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    for expected in [
        "X02_Chieng_On.xlsx — UBND xã Chiềng Ơn (X02): có lỗi",
        "  Lỗi: trang Biểu tổng hợp, ô D7: hàng 1 (Số lớp/số cuộc thi) ghi 5 nhưng tổng các hàng 1.5 (1), 1.8 (2) "
        "là 3; số lớp của Tuần lễ bằng tổng số lớp theo loại (1.1 … 1.13).",
        "  Cảnh báo: trang Biểu tổng hợp, ô D27: hàng 5 (Số lớp/số cuộc thi) = 2 nhưng các hàng chi tiết "
        "5.1 … 5.6 đều để trống.",
        "  Thông tin: đơn vị X04 đã gửi bản mới hơn (X04_Chieng_Khoang_lan2.xlsx); bản này không được dùng.",
        "4/23 đơn vị hợp lệ, 3 có lỗi, 1 chưa xác định, 16 chưa nộp",
    ]:
        assert expected in lines
    assert lines[-1] == ("Các tệp có lỗi chưa được tổng hợp. Dùng --feedback THƯ_MỤC để tạo cho mỗi đơn vị một "
                         "bản sao đánh dấu các ô cần sửa, kèm danh sách gửi thư.")


def test_json_document_validates(tmp_path):
    out = tmp_path / "ket_qua.json"
    result = invoke(str(FAULTY), "--campaign", CAMPAIGN, "--json", str(out))
    assert result.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "docs" / "check.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert [f["status"] for f in doc["files"]].count("rejected") == 3
    assert doc["units"]["X02"] == {"status": "rejected", "file": "X02_Chieng_On.xlsx"}


def test_feedback_option_writes_copies(tmp_path):
    out = tmp_path / "phan_hoi"
    result = invoke(str(FAULTY), "--campaign", CAMPAIGN, "--feedback", str(out))
    assert result.exit_code == 1
    assert f"Đã ghi 6 bản sao đánh dấu các ô cần sửa vào thư mục {out}" in result.stdout.splitlines()
    assert (out / "X02_Chieng_On_can_sua.xlsx").exists()
    assert (out / "danh_sach_gui_lai.csv").exists()
    assert not [line for line in result.stdout.splitlines() if "Dùng --feedback" in line]  # it was used


def test_units_option_with_no_campaign():
    result = invoke(str(CLEAN), "--units", str(SAMPLES / "units.csv"), "--year", "2021")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "3/23 đơn vị hợp lệ, 0 có lỗi, 0 chưa xác định, 20 chưa nộp"


def test_missing_folder_is_bad_usage(tmp_path):
    result = invoke(str(tmp_path / "khong_co"), "--campaign", CAMPAIGN)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "Cách dùng: consolidate check [TÙY CHỌN] THƯ_MỤC"
    assert lines[-1] == f"Lỗi: Giá trị không hợp lệ cho 'THƯ_MỤC': không tìm thấy '{tmp_path / 'khong_co'}'."


def test_unknown_option_is_bad_usage():
    result = invoke(str(CLEAN), "--bogus")
    assert result.exit_code == 2
    assert "Lỗi: Không có tùy chọn '--bogus'." in result.stderr.splitlines()


def test_missing_folder_argument_is_bad_usage():
    result = invoke()
    assert result.exit_code == 2
    assert "Lỗi: Thiếu tham số 'THƯ_MỤC'." in result.stderr.splitlines()


def test_an_impossible_request_is_bad_usage(tmp_path):
    from consolidate.cli import main as cli

    run = CliRunner().invoke(cli, ["merge", str(CLEAN), "--campaign", CAMPAIGN, "-o", str(tmp_path / "x.csv")],
                             catch_exceptions=False, prog_name="consolidate")
    assert run.exit_code == 2
    assert run.stderr == "Lỗi: Tệp tổng hợp phải có đuôi .xlsx (đang là x.csv).\n"
    assert not (tmp_path / "x.csv").exists()
    no_units = invoke(str(CLEAN), "--year", "2021")
    assert no_units.exit_code == 2
    assert no_units.stderr.startswith("Lỗi: Chưa có danh sách đơn vị: dùng --units TỆP")


def test_the_console_command_flushes_and_keeps_the_exit_code(tmp_path):
    # ``python -m consolidate`` / the installed command leave through cli.run (os._exit after flushing)
    import subprocess
    import sys

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "consolidate", *args], capture_output=True, text=True,
                              cwd=tmp_path, check=False)

    clean = command("check", str(CLEAN), "--campaign", CAMPAIGN)
    assert clean.returncode == 0
    assert clean.stdout == invoke(str(CLEAN), "--campaign", CAMPAIGN).stdout
    faulty = command("check", str(FAULTY), "--campaign", CAMPAIGN)
    assert faulty.returncode == 1
    assert faulty.stdout == invoke(str(FAULTY), "--campaign", CAMPAIGN).stdout
    missing = command("check", str(tmp_path / "khong_co"), "--campaign", CAMPAIGN)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (f"Lỗi: Giá trị không hợp lệ cho 'THƯ_MỤC': "
                                               f"không tìm thấy '{tmp_path / 'khong_co'}'.")


@pytest.mark.parametrize(("before", "after"), [(None, "1"), ("4", "4")])
def test_the_console_command_keeps_numpy_to_one_thread_unless_told(monkeypatch, before, after):
    # OpenBLAS's threads would spin beside the reading workers; a user's own setting wins
    import os

    from consolidate import cli

    if before is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", before)
    monkeypatch.setattr(sys, "argv", ["consolidate", "--help"])
    codes = []
    monkeypatch.setattr(os, "_exit", codes.append)
    cli.run()
    assert codes == [0]
    assert os.environ["OPENBLAS_NUM_THREADS"] == after
