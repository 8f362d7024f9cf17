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


# ------------------------------------------------- outputs that cannot be written: real disks, real permissions
#
# A full disk is a tmpfs of 16 KB mounted for the test (root only; skipped where mounting is not allowed); a
# read-only disk is the same mounted read-only. A file that cannot be replaced (on Windows: open in Excel, a
# sharing violation that Python raises as PermissionError) is a root-owned file in a sticky folder, written by a
# child process that gave up root (root ignores permissions).

ROOT = Path(__file__).resolve().parent.parent
FULL = "ổ đĩa đã đầy; hãy giải phóng chỗ trống hoặc ghi sang ổ khác"


@pytest.fixture()
def tiny_disk(tmp_path):  # noqa: ANN201
    """A real 16 KB file system (tmpfs), unmounted afterwards."""
    yield from _mounted(tmp_path / "o_nho", "size=16k")


@pytest.fixture()
def read_only_disk(tmp_path):  # noqa: ANN201
    yield from _mounted(tmp_path / "chi_doc", "ro,size=16k")


def _mounted(where: Path, options: str):  # noqa: ANN202
    import subprocess

    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(disk: Path) -> None:
    """Fill the disk to the last byte."""
    with open(disk / "day.bin", "wb", buffering=0) as fh:
        with pytest.raises(OSError):
            for _ in range(1024):
                fh.write(b"x" * 4096)
                fh.flush()


def test_a_full_disk_is_one_message_and_the_old_file_stays(tiny_disk):
    target = tiny_disk / "tong_hop.xlsx"
    atomic_write_bytes(target, b"old content")
    with pytest.raises(RunError) as err:
        atomic_write_bytes(target, os.urandom(64 * 1024))
    assert str(err.value) == f"Không ghi được {target}: {FULL}."
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["tong_hop.xlsx"]  # no half-written temporary file


@pytest.mark.parametrize("library", ["xlsxwriter", "openpyxl"])
def test_a_writer_library_stopped_by_a_full_disk_is_the_same_message(tiny_disk, library):
    """XlsxWriter wraps the OS error in its FileCreateError; openpyxl leaves its zip open (whose later close
    would print a second traceback): both end as the one Vietnamese message, and nothing is left behind."""
    import random

    rng = random.Random(14)
    target = tiny_disk / "bieu.xlsx"

    def write(tmp: Path) -> None:
        if library == "xlsxwriter":
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(tmp))
            ws = wb.add_worksheet()
            for r in range(400):
                ws.write_string(r, 0, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(200)))
            wb.close()
        else:
            import openpyxl

            wb = openpyxl.Workbook()
            for r in range(1, 401):
                wb.active.cell(r, 1).value = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(200))
            wb.save(tmp)

    with pytest.raises(RunError) as err:
        atomic_write(target, write)
    assert str(err.value) == f"Không ghi được {target}: {FULL}."
    assert list(tiny_disk.iterdir()) == []


def test_the_folder_lock_on_a_full_disk_is_a_message(tiny_disk):
    _fill(tiny_disk)
    with pytest.raises(RunError) as err:
        with folder_lock(tiny_disk):
            pass
    assert str(err.value) == f"Không ghi được vào thư mục {tiny_disk}: {FULL}."
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["day.bin"]  # no lock file left


def test_a_read_only_disk_is_a_message(read_only_disk):
    with pytest.raises(RunError) as err:
        atomic_write_text(read_only_disk / "ket_qua.json", "{}")
    assert str(err.value) == f"Không ghi được {read_only_disk / 'ket_qua.json'}: ổ đĩa chỉ cho đọc."
    with pytest.raises(RunError) as err:
        with folder_lock(read_only_disk):
            pass
    assert str(err.value) == f"Không ghi được vào thư mục {read_only_disk}: ổ đĩa chỉ cho đọc."


@pytest.mark.parametrize("command", ["merge", "feedback"])
def test_the_cli_on_a_full_disk_says_one_line_and_leaves_only_whole_files(tiny_disk, command):
    import subprocess
    import sys
    import zipfile

    sample = ROOT / "samples" / "quynh-nhai-2021"
    out = tiny_disk / ("tong_hop.xlsx" if command == "merge" else "gui_lai")
    args = (["merge", str(sample / "da_nhan"), "--campaign", str(sample / "campaign.toml"), "-o", str(out)]
            if command == "merge" else
            ["check", str(sample / "da_nhan"), "--campaign", str(sample / "campaign.toml"), "--feedback", str(out)])
    done = subprocess.run([sys.executable, "-m", "consolidate", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 1
    said = done.stderr.splitlines()  # one line: no traceback, not even one Python says it ignored
    assert len(said) == 1 and said[0].endswith(f": {FULL}."), done.stderr
    if command == "merge":
        assert said[0] == f"Lỗi: Không ghi được {out}: {FULL}."
        assert list(tiny_disk.iterdir()) == []
    else:  # the copies that fitted are whole workbooks; no temporary file, no lock
        assert said[0] == f"Lỗi: Không ghi được {out / 'danh_sach_gui_lai.csv'}: {FULL}."
        for path in out.iterdir():
            assert path.suffix == ".xlsx" and not path.name.startswith("."), path.name
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None


def _as_nobody(action) -> str:  # noqa: ANN001
    """Run ``action()`` in a child process that gave up root; what it raised or "ok"."""
    import warnings

    if os.geteuid() != 0:
        pytest.skip("the test gives up root to meet real permissions")
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() of a process with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            action()
            said = "ok"
        except RunError as exc:
            said = str(exc)
        except BaseException as exc:  # noqa: BLE001
            said = f"{type(exc).__name__}: {exc}"
        os.write(w, said.encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as fh:
        return fh.read().decode()


@pytest.fixture()
def open_tmp():  # noqa: ANN201
    """A folder that every user can reach (pytest's own tmp_path is root's alone), removed afterwards."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="consolidate-quyen-"))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_target_that_cannot_be_replaced_keeps_its_content(open_tmp):
    """As a workbook open in Excel on Windows: the new file is written, the old one cannot be replaced."""
    folder = open_tmp / "chung"
    folder.mkdir()
    os.chmod(folder, 0o1777)  # anyone may create files here, only the owner may replace his own
    target = folder / "tong_hop.xlsx"
    target.write_bytes(b"old content")
    said = _as_nobody(lambda: atomic_write_bytes(target, b"new content"))
    assert said == f"Không ghi được {target}: tệp đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại."
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in folder.iterdir()) == ["tong_hop.xlsx"]


def test_a_folder_without_write_permission_is_a_message(open_tmp):
    folder = open_tmp / "cua_nguoi_khac"
    folder.mkdir()
    os.chmod(folder, 0o755)
    assert _as_nobody(lambda: (folder / "a.txt").read_bytes() if (folder / "a.txt").exists() else None) == "ok"
    said = _as_nobody(lambda: atomic_write_text(folder / "ket_qua.json", "{}"))
    assert said == (f"Không ghi được {folder / 'ket_qua.json'}: không có quyền ghi vào thư mục {folder} hoặc tệp "
                    "đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.")
    said = _as_nobody(lambda: folder_lock(folder / "gui_lai").__enter__())
    assert said == (f"Không ghi được {folder / 'gui_lai'}: không có quyền ghi vào thư mục {folder} hoặc tệp "
                    "đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.")
    said = _as_nobody(lambda: folder_lock(folder).__enter__())
    assert said == f"Không ghi được vào thư mục {folder}: không có quyền ghi vào thư mục này. Hãy chọn thư mục khác."
    assert list(folder.iterdir()) == []
