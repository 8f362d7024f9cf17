"""Safe output names, atomic writes, the folder lock and CSV formula quoting."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from consolidate.issues import RunError
from consolidate.outputs import (
    atomic_write, atomic_write_bytes, atomic_write_text, csv_safe, folder_lock, inside, safe_name, unique_names,
    unit_file_name,
)

WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@pytest.mark.parametrize("stem, expected", [
    ("CON", "_CON.xlsx"), ("prn", "_prn.xlsx"), ("AUX", "_AUX.xlsx"), ("NUL", "_NUL.xlsx"),
    ("COM1", "_COM1.xlsx"), ("LPT9", "_LPT9.xlsx"), ("con.txt", "con_txt.xlsx"),
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j.xlsx"),
    ("..", "tep.xlsx"), ("../../etc/passwd", "etc_passwd.xlsx"), ("name...", "name.xlsx"),
    ("name. . ", "name.xlsx"), ("", "tep.xlsx"), ("   ", "tep.xlsx"),
    ("Trường PTDTBT Tiểu học Chiềng Ơn", "Truong_PTDTBT_Tieu_hoc_Chieng_On.xlsx"),
    ("Đường sách Đống Đa", "Duong_sach_Dong_Da.xlsx"),
])
def test_safe_name(stem, expected):
    assert safe_name(stem, ".xlsx") == expected


@pytest.mark.parametrize("code, name", [
    ("CON", "Trường"), ("..", ".."), ("X/1", 'a\\b:c*d?e"f<g>h|i'), ("COM1", ""), ("A1", "x" * 300),
    ("M01", "Trường Mầm non Hoa Ban. "), ("\u202eX", "Tên\u0007lạ"),
])
def test_unit_file_names_are_windows_safe(code, name):
    out = unit_file_name(code, name)
    stem = out[: -len(".xlsx")]
    assert out.endswith(".xlsx") and out.isascii()
    assert not WINDOWS_BAD.search(out)
    assert ".." not in out and not stem.endswith((".", " "))
    assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert 0 < len(out) <= 85


def test_unit_file_name_joins_code_and_ascii_name():
    assert unit_file_name("X01", "UBND xã Mường Giàng") == "X01_UBND_xa_Muong_Giang.xlsx"
    assert unit_file_name("CON", "Trường") == "CON_Truong.xlsx"


def test_unique_names_case_insensitive_as_on_windows():
    assert unique_names(["a.xlsx", "A.xlsx", "a.xlsx", "a_2.xlsx", "b"]) == \
        ["a.xlsx", "A_2.xlsx", "a_3.xlsx", "a_2_2.xlsx", "b"]
    assert unique_names(["x.csv", "x.xlsx"]) == ["x.csv", "x.xlsx"]


def test_inside_refuses_names_that_leave_the_folder(tmp_path):
    assert inside(tmp_path, "a.xlsx") == tmp_path.resolve() / "a.xlsx"
    for bad in ("../a.xlsx", "sub/a.xlsx", "/etc/passwd"):
        with pytest.raises(RunError, match="Tên tệp không an toàn"):
            inside(tmp_path, bad)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "cũ\n")
    atomic_write_text(target, "mới\n")
    assert target.read_text(encoding="utf-8") == "mới\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_keeps_the_old_file_when_the_writer_raises(tmp_path):
    target = tmp_path / "bieu.xlsx"
    atomic_write_bytes(target, b"old content")

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half writ")
        raise KeyboardInterrupt  # Ctrl-C in the middle of a save

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bieu.xlsx"]


def test_atomic_write_gives_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.csv", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644


def test_atomic_write_creates_the_folder(tmp_path):
    atomic_write_text(tmp_path / "new" / "deep" / "a.txt", "x")
    assert (tmp_path / "new" / "deep" / "a.txt").read_text() == "x"


def test_folder_lock_blocks_a_second_run_and_is_released(tmp_path):
    with folder_lock(tmp_path):
        assert (tmp_path / ".consolidate.lock").read_text() == str(os.getpid())
        with pytest.raises(RunError, match=r"đang được một lần chạy khác ghi \(tiến trình \d+\); hãy chờ"):
            with folder_lock(tmp_path):
                pass
    assert not (tmp_path / ".consolidate.lock").exists()


def test_folder_lock_of_a_dead_process_is_taken_over(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".consolidate.lock").write_text(dead.stdout.strip())
    with folder_lock(tmp_path):
        assert (tmp_path / ".consolidate.lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".consolidate.lock").exists()


def test_folder_lock_released_when_the_body_raises(tmp_path):
    with pytest.raises(ValueError):
        with folder_lock(tmp_path):
            raise ValueError("x")
    assert not (tmp_path / ".consolidate.lock").exists()


@pytest.mark.parametrize("text, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("Trường A", "Trường A"), ("", ""), ("a=b", "a=b"),
])
def test_csv_safe(text, expected):
    assert csv_safe(text) == expected
