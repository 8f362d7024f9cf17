"""Receiving files into the returns folder (``intake.receive``): safe names, never overwriting, the reader's
bounds before anything is kept."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consolidate import intake

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "quynh-nhai-2021" / "da_nhan"
X01 = (SAMPLE / "X01_UBND_xa_Muong_Giang.xlsx").read_bytes()
X02 = (SAMPLE / "X02_UBND_xa_Chieng_On.xlsx").read_bytes()


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def zipped(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("sent", "kept"), [
    ("X01.xlsx", "X01.xlsx"),
    ("da_nhan/X01 (lần 2).xlsx", "X01 (lần 2).xlsx"),
    ("C:\\Users\\van thu\\X01.xlsx", None),
    ("..\\X01.xlsx", None),
    ("../X01.xlsx", None),
    ("/etc/X01.xlsx", None),
    ("a/../../X01.xlsx", None),
    ('báo "cáo"?:*.xlsx', "báo _cáo____.xlsx"),
    ("CON.xlsx", "_CON.xlsx"),
    ("  .xlsx. ", "xlsx"),
    ("", "tep_nhan"),
])
def test_clean_name(sent, kept):
    assert intake.clean_name(sent) == kept


@given(st.text(max_size=300))
def test_a_cleaned_name_never_leaves_its_folder(name):
    clean = intake.clean_name(name)
    if clean is not None:
        assert "/" not in clean and "\\" not in clean and clean not in ("", ".", "..")
        assert len(clean) <= intake.MAX_NAME and not clean.endswith((" ", "."))


def test_a_return_is_kept_byte_for_byte_with_its_time(tmp_path):
    [r] = intake.receive(tmp_path, [("X01_UBND_xa_Muong_Giang.xlsx", X01, 1633660200.0)])
    assert (r.saved, r.kept, r.issues) == ("X01_UBND_xa_Muong_Giang.xlsx", True, [])
    assert (tmp_path / r.saved).read_bytes() == X01
    assert os.stat(tmp_path / r.saved).st_mtime == 1633660200.0
    assert not list(tmp_path.parent.glob(".~nhan-*"))  # the staging file is gone


def test_a_taken_name_is_never_overwritten(tmp_path):
    (tmp_path / "X01.xlsx").write_bytes(X02)
    [r] = intake.receive(tmp_path, [("X01.xlsx", X01)])
    assert r.saved == "X01 (2).xlsx"
    assert listing(tmp_path) == {"X01.xlsx": X02, "X01 (2).xlsx": X01}


def test_the_same_bytes_twice_are_kept_once(tmp_path):
    intake.receive(tmp_path, [("X01.xlsx", X01)])
    [r] = intake.receive(tmp_path, [("ban sao X01.xlsx", X01)])
    assert (r.saved, r.duplicate_of, r.kept) == (None, "X01.xlsx", True)
    assert r.issues[0].message == ("ban sao X01.xlsx: thư mục báo cáo đã có tệp giống hệt (X01.xlsx); "
                                   "không lưu thêm bản nữa.")
    assert list(listing(tmp_path)) == ["X01.xlsx"]


def test_what_is_not_a_spreadsheet_is_not_kept(tmp_path):
    got = intake.receive(tmp_path, [("anh.jpg", (SAMPLE / "Anh le khai mac.jpg").read_bytes()),
                                    ("~$X01.xlsx", X01), ("rong.xlsx", b"")])
    assert [r.kept for r in got] == [False, False, False]
    assert got[0].issues[0].message == ("anh.jpg: không phải tệp báo cáo (ảnh JPEG); "
                                        "không lưu vào thư mục báo cáo.")
    assert got[1].issues[0].message == ("~$X01.xlsx: tệp khóa tạm của Excel/LibreOffice (có người đang mở tệp); "
                                        "không lưu vào thư mục báo cáo.")
    assert got[2].issues[0].code == "empty-file"
    assert listing(tmp_path) == {}


def test_a_traversing_name_is_refused(tmp_path):
    folder = tmp_path / "da_nhan"
    [r] = intake.receive(folder, [("../X01.xlsx", X01)])
    assert not r.kept and r.issues[0].code == "upload-unsafe-name"
    assert listing(folder) == {} and sorted(p.name for p in tmp_path.iterdir()) == ["da_nhan"]


def test_a_zip_of_returns_is_unpacked_flat(tmp_path):
    got = intake.receive(tmp_path, [("tra_ve.zip", zipped(("thu/X01.xlsx", X01), ("thu/X02.xlsx", X02),
                                                          ("thu/ghi chu.txt", b"xin chao")))])
    assert [(r.name, r.saved, r.archive) for r in got] == [
        ("X01.xlsx", "X01.xlsx", "tra_ve.zip"), ("X02.xlsx", "X02.xlsx", "tra_ve.zip"),
        ("ghi chu.txt", None, "tra_ve.zip")]
    assert listing(tmp_path) == {"X01.xlsx": X01, "X02.xlsx": X02}


@pytest.mark.parametrize(("members", "code"), [
    ((("X01.xlsx", X01), ("../X02.xlsx", X02)), "unsafe-file"),  # zip slip
    ((("X01.xlsx", X01), ("bom.xlsx", b"\0" * (50 * 1024 * 1024))), "unsafe-file"),  # ratio 1000:1
])
def test_an_unsafe_zip_is_refused_whole(tmp_path, members, code):
    [r] = intake.receive(tmp_path, [("tra_ve.zip", zipped(*members))])
    assert not r.kept and r.issues[0].code == code
    assert listing(tmp_path) == {}


def test_a_file_above_the_bound_is_refused_unread(tmp_path):
    [r] = intake.receive(tmp_path, [("lon.xlsx", b"PK\x03\x04" + b"\0" * intake.MAX_FILE_BYTES)])
    assert not r.kept and r.issues[0].code == "upload-too-large"
    assert r.issues[0].message == "lon.xlsx: tệp quá lớn (21 MB, giới hạn 20 MB cho một biểu báo cáo); không lưu."
    assert listing(tmp_path) == {}


def test_too_many_files_at_once_keep_none(tmp_path):
    got = intake.receive(tmp_path, [(f"X{i}.xlsx", X01) for i in range(intake.MAX_FILES + 1)])
    assert all(not r.kept and r.issues[0].code == "upload-too-many" for r in got)
    assert listing(tmp_path) == {}


def test_a_zip_of_returns_may_be_larger_than_one_return(tmp_path):
    import random

    noise = random.Random(17).randbytes(21 * 1024 * 1024)  # a photo does not compress
    [x01, photo] = intake.receive(tmp_path, [("tra_ve.zip", zipped(("X01.xlsx", X01), ("anh.jpg", b"\xff\xd8\xff" + noise)))])
    assert x01.saved == "X01.xlsx"
    assert not photo.kept and photo.issues[0].code == "too-large"
    assert photo.issues[0].message.startswith("tra_ve.zip/anh.jpg: tệp quá lớn để là một biểu báo cáo (22 MB")
    assert listing(tmp_path) == {"X01.xlsx": X01}


def test_a_zip_above_its_bound_is_refused_unread(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("X01.xlsx", X01)
        zf.writestr("video.mp4", b"\0" * intake.MAX_ARCHIVE_BYTES)
    data = buf.getvalue()
    [r] = intake.receive(tmp_path, [("tra_ve.zip", data)])
    assert r.issues[0].message == "tra_ve.zip: tệp quá lớn (101 MB, giới hạn 100 MB cho một tệp nén); không lưu."
    assert listing(tmp_path) == {}


def test_utf8_names_of_a_zip_without_the_utf8_flag_are_read_as_written(tmp_path):
    # as 7-Zip and macOS write them: UTF-8 bytes with flag 0x800 unset (zipfile itself would set it, so an
    # ASCII name of the same length is written and its bytes replaced; names are outside the CRC)
    raw = "Xã Chiềng Ơn.xlsx".encode()
    placeholder = b"N" * len(raw)
    data = zipped((placeholder.decode(), X02)).replace(placeholder, raw)
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x800 == 0
    [r] = intake.receive(tmp_path, [("tra_ve.zip", data)])
    assert r.saved == "Xã Chiềng Ơn.xlsx"


def test_a_zip_member_without_a_name_is_named_and_left_out_the_others_kept(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X01.xlsx", X01)
        nameless = zipfile.ZipInfo("x")
        nameless.filename = ""  # zipfile writes it; ZipInfo.is_dir() then fails on it
        zf.writestr(nameless, b"du lieu")
    got = intake.receive(tmp_path, [("tra_ve.zip", buf.getvalue())])
    assert [(r.name, r.saved) for r in got] == [("X01.xlsx", "X01.xlsx"), ("(thành phần không tên)", None)]
    assert [i.message for i in got[1].issues] == [
        "(thành phần không tên): không phải tệp báo cáo (tệp văn bản); không lưu vào thư mục báo cáo."]
    assert listing(tmp_path) == {"X01.xlsx": X01}
