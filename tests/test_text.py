"""Shared text helpers: the matching keys and the one way a string is written into a worksheet cell."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from consolidate.text import ascii_slug, fold, fold_exact, set_text, words, words_exact

TRICKY = ["X01_UBND_xa_Muong_Giang.xlsx", "a_xd_b", "_x000A_ literal", "=HYPERLINK(\"http://x\",\"y\")",
          "tỉ lệ 1_x1_2", "bình thường", "#N/A", "#DIV/0!"]


def test_fold_and_slug():
    assert fold("Trưng bày,  triển lãm") == fold("trung bay trien lam") == "trungbaytrienlam"
    assert ascii_slug("Trường PTDTBT Tiểu học Chiềng Ơn") == "Truong_PTDTBT_Tieu_hoc_Chieng_On"


def test_set_text_keeps_formulas_and_escapes_as_text():
    ws = Workbook().active
    set_text(ws["A1"], "=SUM(A2:A3)")
    assert (ws["A1"].value, ws["A1"].data_type) == ("=SUM(A2:A3)", "s")
    set_text(ws["A2"], "X01_UBND_xa_Muong_Giang.xlsx")
    assert ws["A2"].value == "X01_UBND_x005F_xa_Muong_Giang.xlsx"  # the OOXML spelling of a literal "_x"
    set_text(ws["A3"], 12)
    assert ws["A3"].value == 12
    set_text(ws["A4"], "#N/A")  # a unit's note, not an Excel error value
    assert (ws["A4"].value, ws["A4"].data_type) == ("#N/A", "s")


def test_error_codes_are_openpyxls():
    from openpyxl.cell.cell import ERROR_CODES

    from consolidate.text import _ERROR_CODES

    assert frozenset(ERROR_CODES) == _ERROR_CODES


def _write(tmp_path, texts):  # noqa: ANN001, ANN202
    wb = Workbook()
    for r, text in enumerate(texts, start=1):
        set_text(wb.active.cell(r, 1), text)
    path = tmp_path / "texts.xlsx"
    wb.save(path)
    return path


def test_calamine_reads_back_every_text_as_written(tmp_path):
    rows = CalamineWorkbook.from_path(str(_write(tmp_path, TRICKY))).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows] == TRICKY


@given(st.text(alphabet=st.sampled_from("_x0aAdF5 ố"), min_size=1, max_size=12).filter(lambda t: t.strip()))
def test_any_underscore_x_text_survives_calamine(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        rows = CalamineWorkbook.from_path(str(_write(Path(tmp), [text]))).get_sheet_by_index(0).to_python()
    assert rows[0][0] == text


@pytest.mark.libreoffice
def test_libreoffice_shows_file_names_without_a_line_break(tmp_path, soffice_convert):
    out = soffice_convert(_write(tmp_path, TRICKY), "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo")
    with out.open(encoding="utf-8", newline="") as f:
        got = [row[0] for row in csv.reader(f)]
    assert got == TRICKY


_TRICKY = ("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
           "\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b\u0345\u0307ΣσςΑİıKÅﬁǅ\u1100\u1161\u11a8가"
           " \t\r\n\u00a0\u200b\ufeff\u202e\x00\x85.,:;-–()/0123456789ⅠⅡ①")


@pytest.mark.parametrize("text", ["Trường Tiểu học Chiềng Ơn", "ĐƠN VỊ TỔ CHỨC", "Thời gian bắt đầu", "",
                                  "Ngày\u00a0tháng", "Nội\u200b dung", "ΣΑΣ σ", "İstanbul", "\u212aelvin"])
def test_fold_is_fold_exact(text):
    import unicodedata

    for form in ("NFC", "NFD", "NFKC"):
        variant = unicodedata.normalize(form, text)
        assert fold(variant) == fold_exact(variant)
        assert fold(variant.upper()) == fold_exact(variant.upper())


@pytest.mark.parametrize(("fast", "exact"), [(fold, fold_exact), (words, words_exact)])
@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet=_TRICKY, max_size=40)))
def test_the_table_functions_are_their_definitions_on_any_text(fast, exact, text):
    assert fast(text) == exact(text)


def test_fold_is_fold_exact_on_every_character_of_the_first_blocks():
    # Latin, Vietnamese, Greek, Cyrillic, combining marks, punctuation, letterlike symbols and numerals
    chars = [chr(c) for c in range(0x3000)]
    assert [fold(c) for c in chars] == [fold_exact(c) for c in chars]
    assert fold("".join(chars)) == fold_exact("".join(chars))


def test_words_is_words_exact_for_every_character_between_letters():
    # a space, a line break or a punctuation mark alone separates; an accent or a control character joins
    chars = [chr(c) for c in range(0x3000)]
    assert [words(f"a{c}b") for c in chars] == [words_exact(f"a{c}b") for c in chars]
    assert words("".join(chars)) == words_exact("".join(chars))
    assert words("Trường\u00a0Mầm non\tMường\nGiàng") == ["truong", "mam", "non", "muong", "giang"]
