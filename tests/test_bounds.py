"""Every bound of SECURITY.md as a fixed example, at the bound and one past it.

Each test here fails when its bound is removed or moved by one (``tools/mutate.py`` turns each of them off
in a copy of the package and checks that a test notices). The files are built from a real template
(openpyxl's, committed under tests/files/reader/good) with members added the way a bomb or a careless
writer adds them, so that without the bound the file would be read as a report: the refusal is the bound's
doing, not an accident of a broken file. Kept apart from test_sniff.py (the scans and their fast paths).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from consolidate.sniff import MAX_FILE_BYTES, MAX_MEMBERS, MAX_UNCOMPRESSED, RATIO_FLOOR, sniff, sniff_bytes

GOOD = Path(__file__).parent / "files" / "reader" / "good"
TEMPLATE = (GOOD / "template_openpyxl.xlsx").read_bytes()
MiB = 1024 * 1024


def _with_members(extra: list[tuple[str, bytes, int]]) -> bytes:
    """The template with members added: (name, bytes, zipfile compression)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(TEMPLATE)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        for name, body, method in extra:
            zout.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), body, compress_type=method)
    return out.getvalue()


def _template_members() -> tuple[int, int]:
    """(number of members, their declared uncompressed total) of the template."""
    with zipfile.ZipFile(io.BytesIO(TEMPLATE)) as z:
        infos = z.infolist()
    return len(infos), sum(i.file_size for i in infos)


def _verdict(data: bytes, name: str = "bao_cao.xlsx") -> tuple[str, list[str]]:
    got = sniff(data, name)
    return got.kind, [i.code for i in got.issues]


def test_the_template_itself_is_a_report() -> None:
    # the baseline every example below starts from
    assert _verdict(TEMPLATE) == ("report", [])


# ------------------------------------------------------------------------------------ 20 MB per file

def _stored_padding(size: int) -> bytes:
    # incompressible, so that the file on disk really is this large; seeded, so the example is fixed
    return random.Random(19).randbytes(size)


def _file_of_exactly(n_bytes: int) -> bytes:
    """The template with one stored (uncompressed) photo-like member, the whole file ``n_bytes`` long."""
    probe = _with_members([("xl/media/image1.jpeg", b"", zipfile.ZIP_STORED)])
    data = _with_members([("xl/media/image1.jpeg", _stored_padding(n_bytes - len(probe)), zipfile.ZIP_STORED)])
    assert len(data) == n_bytes
    return data


def test_a_workbook_of_exactly_20_mb_is_read() -> None:
    assert MAX_FILE_BYTES == 20 * MiB  # the figure SECURITY.md and the message give
    assert _verdict(_file_of_exactly(MAX_FILE_BYTES)) == ("report", [])


def test_a_workbook_one_byte_over_20_mb_is_too_large() -> None:
    got = sniff(_file_of_exactly(MAX_FILE_BYTES + 1), "anh_chup.xlsx")
    assert got.kind == "unreadable"
    assert [i.code for i in got.issues] == ["too-large"]
    assert got.issues[0].severity == "error"
    assert got.issues[0].message.startswith("anh_chup.xlsx: tệp quá lớn để là một biểu báo cáo (")
    assert got.data == b""  # nothing is handed to a parser


def test_a_workbook_of_21_mb_is_too_large_whatever_it_holds() -> None:
    data = _with_members([("xl/media/image1.jpeg", _stored_padding(21 * MiB), zipfile.ZIP_STORED)])
    got = sniff(data, "anh_chup.xlsx")
    assert [i.message for i in got.issues] == [
        "anh_chup.xlsx: tệp quá lớn để là một biểu báo cáo (21 MB, giới hạn 20 MB)."]
    # the size is checked before the content: the same bytes named anything are refused the same way
    assert _verdict(data, "bao cao.pdf") == ("unreadable", ["too-large"])
    assert _verdict(b"\x00" * (MAX_FILE_BYTES + 1), "ghi_chu.txt") == ("unreadable", ["too-large"])
    assert _verdict(b"\x00" * MAX_FILE_BYTES, "ghi_chu.txt") == ("not_a_report", ["not-a-report"])


# ------------------------------------------------------------------------------- 1,000 zip members

def _with_n_members(total: int) -> bytes:
    have, _ = _template_members()
    return _with_members([(f"customXml/item{i}.xml", b"<a/>", zipfile.ZIP_DEFLATED) for i in range(total - have)])


def test_a_zip_of_exactly_1000_members_is_read() -> None:
    assert MAX_MEMBERS == 1000
    assert _verdict(_with_n_members(MAX_MEMBERS)) == ("report", [])


def test_a_zip_of_1001_members_is_refused() -> None:
    got = sniff(_with_n_members(MAX_MEMBERS + 1), "nhieu_thanh_phan.xlsx")
    assert got.kind == "unreadable"
    assert [i.message for i in got.issues] == [
        "nhieu_thanh_phan.xlsx: tệp bị từ chối vì lý do an toàn (tệp nén có 1001 thành phần, giới hạn 1000). "
        "Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."]


# -------------------------------------------------------------------- 100 MB declared unpacked total

def _unpacked_total(total: int) -> bytes:
    """The template with members of at most 1 MiB of zeros (each under the ratio bound's floor, so only the
    total can refuse them), the declared uncompressed total of all members exactly ``total``."""
    _, have = _template_members()
    left, extra, i = total - have, [], 0
    zeros = bytes(RATIO_FLOOR)
    while left > 0:
        size = min(left, RATIO_FLOOR)
        extra.append((f"xl/media/pad{i}.bin", zeros[:size], zipfile.ZIP_DEFLATED))
        left, i = left - size, i + 1
    data = _with_members(extra)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(info.file_size for info in z.infolist()) == total
        assert max(info.file_size for info in z.infolist()) <= RATIO_FLOOR
    assert len(data) < MAX_FILE_BYTES // 10  # a small file: only the unpacked total can refuse it
    return data


def test_a_zip_unpacking_to_exactly_100_mb_is_read() -> None:
    assert MAX_UNCOMPRESSED == 100 * MiB
    assert _verdict(_unpacked_total(MAX_UNCOMPRESSED)) == ("report", [])


def test_a_zip_unpacking_to_one_byte_over_100_mb_is_too_large() -> None:
    assert _verdict(_unpacked_total(MAX_UNCOMPRESSED + 1)) == ("unreadable", ["too-large"])


def test_a_small_zip_unpacking_to_101_mb_is_too_large() -> None:
    """The bomb of many members, each too small for the ratio bound: ~100 KB on disk, 101 MB unpacked."""
    got = sniff(_unpacked_total(MAX_UNCOMPRESSED + MiB), "bom_nen.xlsx")
    assert got.kind == "unreadable"
    assert [i.message for i in got.issues] == [
        "bom_nen.xlsx: tệp quá lớn để là một biểu báo cáo (giải nén ra 101 MB, giới hạn 100 MB)."]
    assert got.data == b""


# ----------------------------------------------------------------------- ratio, names, encryption

def test_one_member_over_the_ratio_bound_is_refused_and_one_at_the_floor_is_not() -> None:
    # 1 MiB of zeros deflates ~1000:1 but is at the floor (not above it): read
    assert _verdict(_with_members([("xl/media/a.bin", bytes(RATIO_FLOOR), zipfile.ZIP_DEFLATED)])) == ("report", [])
    over = _with_members([("xl/media/a.bin", bytes(RATIO_FLOOR + 1), zipfile.ZIP_DEFLATED)])
    got = sniff(over, "ti_le.xlsx")
    assert [i.code for i in got.issues] == ["unsafe-file"]
    assert "thành phần 'xl/media/a.bin' nén với tỉ lệ bất thường" in got.issues[0].message


@pytest.mark.parametrize("member", ["/xl/media/evil.xml", "\\xl\\evil.xml", "C:\\Windows\\evil.xml",
                                    "c:evil.xml", "xl/../../evil.xml", "xl\\..\\evil.xml"])
def test_absolute_drive_and_parent_member_names_are_refused(member: str) -> None:
    got = sniff(_with_members([(member, b"<a/>", zipfile.ZIP_DEFLATED)]), "duong_dan.xlsx")
    assert got.kind == "unreadable"
    assert [i.message for i in got.issues] == [
        f"duong_dan.xlsx: tệp bị từ chối vì lý do an toàn (thành phần có đường dẫn không an toàn {member!r}). "
        "Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."]


def test_member_names_that_only_look_odd_are_read() -> None:
    for member in ("xl/media/..hidden.xml", "xl/media/a..b.xml", "xl/C.xml"):
        assert _verdict(_with_members([(member, b"<a/>", zipfile.ZIP_DEFLATED)])) == ("report", []), member


def test_duplicate_members_differing_only_in_case_are_refused() -> None:
    # zip readers disagree on which of two same-named members they take (9,999 read where 345 was shown)
    got = sniff(_with_members([("XL/Worksheets/Sheet1.xml", b"<a/>", zipfile.ZIP_DEFLATED)]), "trung.xlsx")
    assert [i.code for i in got.issues] == ["unsafe-file"]
    assert "'XL/Worksheets/Sheet1.xml' xuất hiện hai lần" in got.issues[0].message


def _set_flag(data: bytes, member: str, bit: int) -> bytes:
    """Set a general-purpose flag bit on one member's central-directory entry (what an encrypting writer sets)."""
    buf = bytearray(data)
    name = member.encode()
    at = buf.find(b"PK\x01\x02" + b"")
    while at >= 0:
        n_len = struct.unpack_from("<H", buf, at + 28)[0]
        if bytes(buf[at + 46:at + 46 + n_len]) == name:
            flags = struct.unpack_from("<H", buf, at + 8)[0]
            struct.pack_into("<H", buf, at + 8, flags | bit)
            return bytes(buf)
        at = buf.find(b"PK\x01\x02", at + 4)
    raise AssertionError(member)


def test_a_zip_member_flagged_encrypted_asks_for_the_file_without_password() -> None:
    data = _set_flag(_with_members([("xl/media/a.bin", b"x" * 64, zipfile.ZIP_DEFLATED)]), "xl/media/a.bin", 0x1)
    got = sniff(data, "mat_khau.xlsx")
    assert (got.kind, [i.code for i in got.issues]) == ("unreadable", ["encrypted"])


@pytest.mark.parametrize(("method", "number"), [(zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14)])
def test_compression_methods_other_than_stored_and_deflated_are_refused(method: int, number: int) -> None:
    got = sniff(_with_members([("xl/media/a.bin", b"x" * 64, method)]), "nen_la.xlsx")
    assert [i.code for i in got.issues] == ["unsafe-file"]
    assert f"phương thức nén không hỗ trợ ({number})" in got.issues[0].message
    assert _verdict(_with_members([("xl/media/a.bin", b"x" * 64, zipfile.ZIP_STORED)])) == ("report", [])


def test_lock_files_are_skipped_whatever_their_bytes() -> None:
    for name in ("~$bao cao.xlsx", ".~lock.bao cao.xlsx#"):
        got = sniff_bytes(TEMPLATE, name)
        assert (got.kind, [i.code for i in got.issues]) == ("not_a_report", ["lock-file"])


# --------------------------------------------------------------------------------------- sheet counts

ODS = (GOOD / "template_lo.ods").read_bytes()


def _ods_with_tables(total: int) -> bytes:
    """LibreOffice's template with small tables added before the end of the spreadsheet, ``total`` in all."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ODS)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "content.xml":
                have = body.count(b"<table:table ")
                extra = b"".join(b'<table:table table:name="Trang %d"><table:table-row><table:table-cell/>'
                                 b"</table:table-row></table:table>" % i for i in range(total - have))
                body = body.replace(b"</office:spreadsheet>", extra + b"</office:spreadsheet>")
            zout.writestr(info, body)
    return out.getvalue()


def test_an_ods_of_100_tables_is_read_and_one_of_101_refused() -> None:
    from consolidate.sniff import MAX_SHEETS

    assert MAX_SHEETS == 100
    assert _verdict(_ods_with_tables(MAX_SHEETS), "bao_cao.ods") == ("report", [])
    got = sniff(_ods_with_tables(MAX_SHEETS + 1), "nhieu_trang.ods")
    assert [i.message for i in got.issues] == ["nhieu_trang.ods: tệp có 101 trang, vượt giới hạn 100; không đọc."]


# ---------------------------------------------------------------------------------- text from a unit

def test_text_read_from_a_unit_is_nfc_without_controls_or_bidi_overrides() -> None:
    """SECURITY.md: NFC, no C0 controls, no bidi overrides — in what the tool shows and writes back (notes,
    narrative texts), not only in the folded keys it matches with."""
    import unicodedata

    from consolidate.values import as_text

    nfc = "Trường Mầm non Chiềng Ơn: Hội sách"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert as_text(nfd) == nfc
    assert as_text(nfd + " " * 600) == nfc  # long texts take the uncached path
    assert as_text("Hội\x07 sách\u202e đọc\u2066 ngày\x00 1/10") == "Hội sách đọc ngày 1/10"


# ------------------------------------------------- the web page's intake (intake.py): its own bounds

def _zip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members:
            z.writestr(zipfile.ZipInfo(name, (2024, 10, 1, 8, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_intake_keeps_at_most_500_files_of_one_zip(tmp_path: Path) -> None:
    from consolidate.intake import MAX_FILES, receive

    assert MAX_FILES == 500
    folder = tmp_path / "da_nhan"
    many = [(f"ghi_chu_{i}.txt", b"x") for i in range(MAX_FILES)]
    got = receive(folder, [("tra_lai.zip", _zip(many))])
    assert len(got) == MAX_FILES and all(r.issues[0].code == "upload-not-kept" for r in got)
    got = receive(folder, [("tra_lai.zip", _zip(many + [("X01.xlsx", TEMPLATE)]))])
    assert [(r.name, [i.code for i in r.issues]) for r in got] == [("tra_lai.zip", ["upload-too-many"])]
    assert list(folder.iterdir()) == []  # not even the one return of it


def test_intake_leaves_out_a_zip_member_over_20_mb_alone(tmp_path: Path) -> None:
    """21 MB of text that deflates 2:1: the zip (~11 MB) and its ratio pass sniff's bounds; the member does not,
    and is left out while the return beside it is kept (a too-large member is no attack on the folder)."""
    from consolidate.intake import receive

    body = random.Random(19).randbytes(21 * MiB // 2).hex().encode()  # hex digits: about 2:1 deflated
    assert len(body) > MAX_FILE_BYTES
    data = _zip([("X01.xlsx", TEMPLATE), ("du_lieu.csv", body)])
    assert len(data) < MAX_FILE_BYTES
    folder = tmp_path / "da_nhan"
    got = receive(folder, [("tra_lai.zip", data)])
    assert [(r.name, r.archive, [i.code for i in r.issues]) for r in got] == [
        ("X01.xlsx", "tra_lai.zip", []), ("du_lieu.csv", "tra_lai.zip", ["too-large"])]
    assert got[1].issues[0].message == ("tra_lai.zip/du_lieu.csv: tệp quá lớn để là một biểu báo cáo "
                                        "(21 MB, giới hạn 20 MB cho một biểu báo cáo).")
    assert sorted(p.name for p in folder.iterdir()) == ["X01.xlsx"]
