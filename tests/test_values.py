"""Numbers as Vietnamese people write them (FORM.md "Values")."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consolidate.values import BLANK, as_text, parse_text, parse_value


@pytest.mark.parametrize(("raw", "expected"), [
    ("1.200", 1200.0),
    ("1 200", 1200.0),
    ("1\u00a0200", 1200.0),  # a no-break space, as Excel's number format and Word paste leave it
    ("1.200.000 đ", 1_200_000.0),
    ("1.200.000đ", 1_200_000.0),
    ("1.200.000 đồng", 1_200_000.0),
    ("1,2 triệu", 1_200_000.0),
    ("2,5 triệu", 2_500_000.0),
    ("1,2 triệu đồng", 1_200_000.0),
    ("15 người", 15.0),
    ("3 lớp", 3.0),
    ("3 lớp.", 3.0),
    (" 7 ", 7.0),
    ("0", 0.0),
    (7, 7.0),  # an int from .xls
    (7.0, 7.0),  # a float from .xlsx
    (2_500_000.0, 2_500_000.0),
    ("-1", -1.0),  # the schema reports negatives
    ("2,5", 2.5),  # the schema reports not-whole
    ("1,200,000", 1_200_000.0),  # three groups: only one reading
])
def test_readable_values(raw: object, expected: float) -> None:
    parsed = parse_value(raw, "count")
    assert parsed.problem is None
    assert parsed.number == expected


@pytest.mark.parametrize("raw", ["mười", "nhiều", "x", "1.5", "12abc", "1.20", "-", "khoảng 5"])
def test_unreadable_values_quote_the_text(raw: str) -> None:
    parsed = parse_value(raw, "count")
    assert parsed.number is None
    assert parsed.problem == "value-unreadable"
    assert parsed.text == raw.strip()
    assert not parsed.blank


@pytest.mark.parametrize("raw", [True, dt.date(2021, 10, 1), dt.datetime(2021, 10, 1, 8, 30), math.nan])
def test_non_numbers_from_calamine_are_unreadable(raw: object) -> None:
    assert parse_value(raw, "people").problem == "value-unreadable"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0"])
def test_blank_is_not_zero(raw: object) -> None:
    parsed = parse_value(raw, "count")
    assert parsed == BLANK
    assert parsed.blank and parsed.number is None
    zero = parse_value(0, "count")
    assert zero.number == 0.0 and not zero.blank


def test_a_decimal_point_is_plain_before_a_multiplier() -> None:
    assert parse_text("1.5 triệu").number == 1_500_000.0
    assert parse_text("1.5").problem == "value-unreadable"


def test_as_text_cleans_and_keeps_numbers_whole() -> None:
    assert as_text(5.0) == "5"
    assert as_text(unicodedata.normalize("NFD", "Tiểu học")) == "Tiểu học"
    assert as_text("a\u202eb\x07c") == "abc"
    assert as_text("  ") is None
    assert as_text(None) is None


def _group(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


SUFFIXES = ["", " đ", "đ", " đồng", " người", " lớp", " cuộc", " quyển"]


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from([".", " ", "\u00a0", ""]),
       st.sampled_from(SUFFIXES), st.sampled_from(["", " ", "  "]))
def test_any_whole_number_written_the_vietnamese_ways_reads_back(n: int, sep: str, suffix: str, pad: str) -> None:
    text = pad + (_group(n, sep) if sep else str(n)) + suffix + pad
    parsed = parse_value(text, "amount")
    assert parsed.problem is None, text
    assert parsed.number == float(n)


@given(st.integers(min_value=0, max_value=10**6))
def test_millions_with_a_decimal_comma_read_back(tenths: int) -> None:
    text = f"{tenths // 10},{tenths % 10} triệu"
    assert parse_value(text, "amount").number == tenths * 100_000


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_numbers_from_excel_cells_are_kept(n: int) -> None:
    assert parse_value(n, "count").number == float(n)
    assert parse_value(float(n), "count").number == float(n)
