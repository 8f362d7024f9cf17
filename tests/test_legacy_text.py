"""legacy_text.py: TCVN3 (.VnTime, .VnTimeH) and VNI text found by font or by itself and read as Unicode.

Fixtures in tests/files/legacy (see make_fixtures.py there): Unicode originals of this suite retyped in the
old fonts by openpyxl and saved again by LibreOffice; each must read exactly as its original.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import struct
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FILES, SAMPLES
from consolidate import legacy_text
from consolidate.legacy_text import decode, encode, font_encoding, is_syllable, read_text
from consolidate.reader import load_sheets, open_sheets, read_file
from consolidate.schedule import ReadContext
from consolidate.units import load_units

LEGACY = FILES / "legacy"
FORM_ORIGINAL = FILES / "reader" / "good" / "Bieu tong hop TLHTSD 2021 - xa Chieng Khay.xlsx"
NARRATIVE_ORIGINAL = FILES / "narrative" / "baocao_retyped.xlsx"
SCHEDULE_ORIGINAL = FILES / "schedule" / "lich_seed000_retyped.xlsx"

TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # ngang, huyền, sắc, hỏi, ngã, nặng
VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
LOWER = sorted({unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | {"đ"})
UPPER = [ch.upper() for ch in LOWER]
CONSONANTS = "bcdghklmnpqrstvx"
VIETNAMESE = set(LOWER) | set(UPPER)


def test_every_letter_with_every_tone_round_trips_through_both_encodings():
    assert len(LOWER) == 73 and len(UPPER) == 73
    for letters, tcvn3 in ((LOWER, "tcvn3"), (UPPER, "tcvn3h")):
        for encoding in (tcvn3, "vni"):
            codes = {}
            for ch in letters:
                code = encode(ch, encoding)
                assert code.encode("cp1252").decode("cp1252") == code  # what the old fonts can hold
                assert decode(code, encoding) == ch, (encoding, ch, code)
                codes[code] = ch
            assert len(codes) == len(letters)  # no two letters share a code
    # the seven capital base letters have codes of their own in the lower-case fonts
    for ch in "ĂÂÊÔƠƯĐ":
        assert decode(encode(ch, "tcvn3"), "tcvn3") == ch
    with pytest.raises(ValueError):
        encode("Ấ", "tcvn3")  # no toned capital in .VnTime: the typist switches to .VnTimeH


def test_the_tables_are_the_fonts_code_points():
    # the issue's own example, and the byte values of the standards
    assert encode("Trường Tiểu học", "tcvn3") == "Tr\u00adêng TiÓu häc"
    assert [ord(encode(ch, "tcvn3")) for ch in "ăâêôơưđ"] == list(range(0xA8, 0xAF))
    assert [ord(encode(ch, "tcvn3")) for ch in "ĂÂÊÔƠƯĐ"] == list(range(0xA1, 0xA8))
    assert encode("Tiếng Việt", "vni") == "Tieáng Vieät"
    assert encode("Đường ỵ ị", "vni") == "Ñöôøng î ò"
    assert decode("b¸o c¸o", "tcvn3h") == "BÁO CÁO"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LOWER + list(CONSONANTS) + [" ", ",", "1"]), max_size=40))
def test_any_lower_case_text_round_trips(chars):
    text = "".join(chars)
    assert decode(encode(text, "tcvn3"), "tcvn3") == text
    assert decode(encode(text, "vni"), "vni") == text
    assert decode(encode(text.upper(), "tcvn3h"), "tcvn3h") == text.upper()
    assert decode(encode(text.upper(), "vni"), "vni") == text.upper()


SYLLABLES = ["trường", "tiểu", "học", "mầm", "non", "xã", "chiềng", "ơn", "người", "số", "lớp", "cuộc", "thi",
             "nguyễn", "thị", "hoa", "quỳnh", "nhai", "đơn", "vị", "báo", "cáo", "khuyến", "giữa", "ứng", "dụng"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=12), st.sampled_from(["tcvn3", "vni"]),
       st.booleans())
def test_a_vietnamese_text_in_either_encoding_is_read_back_by_its_characters(words, encoding, title):
    text = " ".join(w.title() if title else w for w in words)
    if title and encoding == "tcvn3":
        text = text.upper()
        encoding = "tcvn3h"
    typed = encode(text, encoding)
    readings = read_text(typed)
    if typed.isascii():  # nothing in it says which font it was typed in: left as it is
        assert readings == ()
        return
    base = encoding.rstrip("h")
    # its own reading is always among them (capitals in .VnTimeH read as the lower-case font's letters)
    assert any(r.encoding == base and r.text.lower() == text.lower() for r in readings), readings
    # and a plain reading is never a wrong one
    assert all(r.text.lower() == text.lower() for r in readings if r.clear)
    if any(ch not in VIETNAMESE for letter in text for ch in encode(letter, encoding) if not ch.isascii()):
        # a code that is no Vietnamese letter: the text says plainly what it is
        assert len(readings) == 1 and readings[0].clear


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_unicode_vietnamese_and_other_scripts_are_never_read_as_legacy(text):
    vietnamese = "Trường Tiểu học Ơn ư ỹ " + text
    assert read_text(vietnamese) == ()
    if any(ord(ch) > 0x24F for ch in text) and not any(0x2000 <= ord(ch) <= 0x20FF for ch in text):
        assert read_text(text) == ()  # Chinese, Russian, Greek…: nothing an old font can hold


RARE = ["Ơn", "ư", "ỹ", "Mỹ Đức", "Ghi chú", "Các", "Phò", "Cô", "Lý do", "Là où il est",
        "Les élèves ont été présents à la réunion de l'école", "naïve café crème",
        "Größe der Übersicht für Müller", "Señor José Martínez", "Привет, школа", "中文学校报告",
        "½ ¼ ¾", "© 2024 ®", "±5 °C", "Œuvre — «citation»", "€ 100", "ÂÊÔ"]


@pytest.mark.parametrize("text", RARE)
def test_rare_letters_and_other_languages_are_not_legacy_text(text):
    assert [r for r in read_text(text) if r.clear] == []


def test_font_names():
    assert [font_encoding(f) for f in (".VnTime", ".VnTimeH", ".VnArial", ".VnArialH", "'.VnTime'",
                                       "VNI-Times", "VNI-Helve", "Times New Roman", None, "Vni Times")] == \
        ["tcvn3", "tcvn3h", "tcvn3", "tcvn3h", "tcvn3", "vni", "vni", None, None, "vni"]


def test_syllables():
    assert all(is_syllable(w) for w in SYLLABLES + ["Trường", "TRƯỜNG", "kỳ", "quý", "nghiêng", "khuỷu"])
    assert not any(is_syllable(w) for w in ["TiÓu", "häc", "Tr\u00adêng", "chỳ", "Müller", "est", "où", "tRường"])


# ----------------------------------------------------------------------------------------- the files

def _grid(path: Path, name: str | None = None) -> dict[str, list[list[object]]]:
    sheets, kind, issues = open_sheets(path, name or path.name)
    assert sheets is not None, issues
    return {s.name: s.rows for s in sheets}


def _converted(path: Path) -> list[str]:
    return [i.cell for i in open_sheets(path, path.name)[2] if i.code == "legacy-encoding"]


@pytest.mark.parametrize("legacy, original", [
    ("form_vntime.xlsx", FORM_ORIGINAL),
    ("form_vntime_lo.ods", FORM_ORIGINAL),
    ("form_vni.xlsx", FORM_ORIGINAL),
    ("baocao_vntimeh.xlsx", NARRATIVE_ORIGINAL),
    ("baocao_vntimeh_lo.ods", NARRATIVE_ORIGINAL),
    ("lich_vntime.xlsx", SCHEDULE_ORIGINAL),
    ("lich_vntime_lo.ods", SCHEDULE_ORIGINAL),
])
def test_a_file_in_an_old_font_reads_as_its_unicode_original_cell_for_cell(legacy, original):
    assert _grid(LEGACY / legacy) == _grid(original)
    assert _converted(original) == []


@pytest.mark.parametrize("legacy, original, converted, encodings", [
    ("form_vntime_lo.xls", FORM_ORIGINAL, 93, {"tcvn3", "tcvn3h", "runs"}),
    ("form_vni_lo.xls", FORM_ORIGINAL, 91, {"vni"}),  # two texts read the same in VNI (no tone mark)
    ("baocao_vntimeh_lo.xls", NARRATIVE_ORIGINAL, 28, {"tcvn3", "tcvn3h"}),
    ("lich_vntime_lo.xls", SCHEDULE_ORIGINAL, 40, {"tcvn3", "tcvn3h", "runs"}),
])
def test_an_xls_libreoffice_saved_keeps_the_fonts_and_reads_as_the_original(legacy, original, converted,
                                                                             encodings):
    # read past sniff: its .xls bounds are i13's (NOTES: LibreOffice's margin records refuse these files)
    data = (LEGACY / legacy).read_bytes()
    fonts = legacy_text.cell_fonts(data, "xls")
    kinds = {enc if isinstance(enc, str) else "runs" for cells in fonts.values() for enc in cells.values()}
    assert kinds == encodings
    sheets, issues = load_sheets(data, legacy)
    assert sheets is not None, issues
    issues = legacy_text.convert_sheets(sheets, data, "xls", legacy)
    assert {s.name: s.rows for s in sheets} == _grid(original)
    assert len(issues) == converted


def test_xls_shared_strings_are_read_across_continue_records():
    # one string in runs of two fonts, its characters split over a CONTINUE that switches to two-byte chars
    fonts = [None, None, None, None, None, "tcvn3h", "tcvn3"]
    text = "Ên phÈm"
    head = struct.pack("<IIHBH", 1, 1, len(text), 0x08, 2)
    first = head + text[:3].encode("latin-1")
    second = b"\x01" + text[3:].encode("utf-16-le") + struct.pack("<HHHH", 0, 5, 1, 6)
    runs = legacy_text._sst_runs([first, second], fonts)
    assert runs == {0: (("Ê", "tcvn3h", True), ("n phÈm", "tcvn3", True))}
    assert legacy_text.convert_runs(text, runs[0]) == "Ấn phẩm"
    assert legacy_text._sst_runs([first], fonts) == {}  # cut short: left to the cells' own fonts


def test_converted_cells_are_reported_as_information(campaign, form, units):
    rf = read_file(LEGACY / "form_vntime.xlsx", "form_vntime.xlsx", form, campaign, units)
    infos = [i for i in rf.issues if i.code == "legacy-encoding"]
    assert len(infos) == 93 and {i.severity for i in infos} == {"info"}
    first = infos[0]
    assert (first.sheet, first.cell) == ("Sheet1", "A1")
    assert first.message == ("form_vntime.xlsx, trang Sheet1, ô A1: đã chuyển mã TCVN3 → Unicode "
                             "(\"Đơn vị báo cáo: UBND xã Chiềng Khay\"); nên lưu tệp bằng phông Unicode "
                             "(như Times New Roman).")


def _records(rf) -> list[dict]:  # noqa: ANN001
    return [{k: v for k, v in r.items() if k != "file" and not (isinstance(v, float) and math.isnan(v))}
            for r in rf.records]


@pytest.mark.parametrize("legacy", ["form_vntime.xlsx", "form_vntime_lo.ods", "form_vni.xlsx"])
def test_a_retyped_form_in_vntime_finds_the_same_rows_unit_and_values(legacy, campaign, form, units):
    old = read_file(LEGACY / legacy, legacy, form, campaign, units)
    new = read_file(FORM_ORIGINAL, FORM_ORIGINAL.name, form, campaign, units)
    assert old.unit == new.unit == "X05" and old.identity_source == "title"
    assert old.form_found and len(old.records) == len(new.records) == 37
    assert _records(old) == _records(new)
    assert [(i.code, i.cell) for i in old.issues if i.code != "legacy-encoding"] == \
        [(i.code, i.cell) for i in new.issues]


def test_the_narrative_in_vntimeh_and_the_schedule_in_vntime_read_as_the_originals(campaign, units):
    from consolidate import narrative, schedule

    for legacy, original, read in (("baocao_vntimeh.xlsx", NARRATIVE_ORIGINAL, narrative.read_narrative),
                                   ("lich_vntime.xlsx", SCHEDULE_ORIGINAL, schedule.read_schedule)):
        got = [read(open_sheets(p, p.name)[0], ReadContext("x.xlsx", campaign, units=units))
               for p in (LEGACY / legacy, original)]
        assert got[0].found and dataclasses.asdict(got[0]) == dataclasses.asdict(got[1])
        assert len(got[0].sections if legacy.startswith("baocao") else got[0].rows) >= 6


def test_a_unit_list_in_vni_reads_as_the_unicode_one():
    def rows(path: Path):  # noqa: ANN202
        units, issues = load_units(path)
        assert not issues
        return [(u.code, u.name, u.type, u.email, u.row) for u in units]

    original = rows(SAMPLES / "units.csv")
    assert rows(LEGACY / "units_vni.xlsx") == original
    assert rows(LEGACY / "units_vni.csv") == original
    assert ("X02", "UBND xã Chiềng Ơn") == original[1][:2]


def test_a_unicode_file_with_rare_letters_and_other_languages_is_never_changed(tmp_path):
    import openpyxl

    path = LEGACY / "unicode_rare.xlsx"
    ws = openpyxl.load_workbook(path).active
    expected = [[c.value for c in row] for row in ws.iter_rows()]
    grid = _grid(path)
    assert list(grid.values())[0] == expected
    assert _converted(path) == []
    # the same texts in a legacy-font file's company: still untouched where they are Unicode
    copy = tmp_path / "mixed.xlsx"
    shutil.copyfile(LEGACY / "form_vntime.xlsx", copy)
    wb = openpyxl.load_workbook(copy)
    for r, text in enumerate(RARE, start=60):
        wb.active.cell(r, 2, text)
    wb.save(copy)
    tail = _grid(copy)["Sheet1"]
    assert [row[1] for row in tail[-len(RARE):]] == RARE


@pytest.mark.libreoffice
def test_libreoffice_saves_of_the_old_font_files_read_the_same(soffice_convert, tmp_path, campaign, form, units):
    for fmt in ("ods", "xlsx"):
        out = soffice_convert(LEGACY / "form_vntime.xlsx", fmt, tmp_path / fmt)
        rf = read_file(out, out.name, form, campaign, units)
        original = read_file(FORM_ORIGINAL, FORM_ORIGINAL.name, form, campaign, units)
        assert rf.unit == "X05" and _records(rf) == _records(original), fmt


def test_the_feedback_copy_asks_for_unicode(tmp_path, campaign, form, units):
    import openpyxl

    from consolidate.check import check_folder
    from consolidate.feedback import FEEDBACK_SHEET, write_feedback

    folder = tmp_path / "da_nhan"
    folder.mkdir()
    wb = openpyxl.load_workbook(LEGACY / "form_vntime.xlsx")
    ws = wb.active
    label = next(c for c in ws["B"] if c.value == encode("Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ", "tcvn3"))
    ws.cell(label.row, 4, encode("mười hai", "tcvn3"))  # an unreadable number, typed in .VnTime: an error
    wb.save(folder / "xa_chieng_khay.xlsx")
    result = check_folder(folder, campaign, form, units)
    report = result.files[0]
    assert report.unit == "X05" and report.status == "rejected"
    error = next(i for i in report.issues if i.code == "value-unreadable")
    assert error.value == "mười hai"
    copy = write_feedback(result, tmp_path / "out").files[0].path
    texts = [c.value for c in openpyxl.load_workbook(copy)[FEEDBACK_SHEET]["A"] if isinstance(c.value, str)]
    assert ("Tệp được gõ bằng phông chữ cũ (TCVN3 như .VnTime, hoặc VNI như VNI-Times): máy đã chuyển mã 93 ô "
            "sang Unicode để đọc. Lần sau đề nghị đơn vị gõ bằng bảng mã Unicode (trong Unikey) với phông "
            "Unicode như Times New Roman hoặc Arial, và lưu tệp như vậy.") in texts


def test_check_prints_the_converted_cells_of_a_sheet_on_one_line(tmp_path, campaign, form, units):
    from consolidate.check import check_folder
    from consolidate.render import render_check

    shutil.copyfile(LEGACY / "form_vntime.xlsx", tmp_path / "form_vntime.xlsx")
    text = render_check(check_folder(tmp_path, campaign, form, units))
    assert ("  Thông tin: trang Sheet1: đã chuyển mã TCVN3 → Unicode 93 ô (A1, B3, B4, A6, B6, C6, …); "
            "nên lưu tệp bằng phông Unicode.") in text.splitlines()
    assert "Unicode (\"" not in text  # not 93 lines of their own


def _record(rtype: int, body: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(body)) + body


@pytest.mark.parametrize("biff8", [True, False])
def test_xls_font_records_of_excel_97_and_excel_95(biff8):
    # the records only (no writer here saves Excel 95 any more): BOF, FONTs, XFs, BOUNDSHEET, EOF, a sheet
    def name(text: str, wide: bool = False) -> bytes:
        if not biff8:
            return bytes([len(text)]) + text.encode("cp1252")
        return bytes([len(text), 1 if wide else 0]) + text.encode("utf-16-le" if wide else "latin-1")

    font = struct.pack("<5H3B", 220, 0, 8, 400, 0, 0, 0, 0) + b"\x00"
    fonts = [font + name("Arial")] * 4 + [font + name(".VnTimeH", wide=True), font + name("VNI-Times")]
    xfs = [struct.pack("<HH", i, 0) + bytes(16) for i in (0, 5, 6)]  # fonts 0, 5 and 6 (index 4 is skipped)
    version = 0x0600 if biff8 else 0x0500
    head = _record(0x0809, struct.pack("<HH", version, 5) + bytes(12))
    sheet = b"".join([_record(0x0809, struct.pack("<HH", version, 16) + bytes(12)),
                      _record(0x0204, struct.pack("<HHH", 2, 1, 1) + b"\x00\x00"),
                      _record(0x0204, struct.pack("<HHH", 3, 0, 2) + b"\x00\x00"),
                      _record(0x0204, struct.pack("<HHH", 4, 0, 0) + b"\x00\x00"),
                      _record(0x000A, b"")])
    globals_ = [head, *(_record(0x0031, f) for f in fonts), *(_record(0x00E0, x) for x in xfs)]
    bound_size = len(_record(0x0085, bytes(6) + name("Bieu")))
    offset = sum(map(len, globals_)) + bound_size + len(_record(0x000A, b""))  # where the sheet's BOF is
    bound = _record(0x0085, struct.pack("<IH", offset, 0) + name("Bieu"))
    stream = b"".join([*globals_, bound, _record(0x000A, b""), sheet])
    assert legacy_text.biff_fonts(stream) == {"Bieu": {(2, 1): "tcvn3h", (3, 0): "vni"}}
