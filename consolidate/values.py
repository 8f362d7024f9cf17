"""Numbers as Vietnamese people write them in a form cell: "1.200", "1 200", "1.200.000 đ", "2,5 triệu",
"15 người", " 7 ", ints from .xls, floats from .xlsx.

Hand-written because no maintained library parses this mix: Babel parses one locale's grouping but not a
unit word, a "triệu" multiplier or a stray space, and guessing a locale per cell would silently turn
"1.5" into 15. The rules here are strict on purpose: a dot or a space only ever groups thousands (so
"1.5" is unreadable, not 15 or 1.5), a comma is the decimal mark ("2,5" is 2.5, which the schema then
reports as not whole), and anything left over that is not a known unit word makes the cell unreadable.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from consolidate.text import clean, fold

# Folded unit words a person may type after a number; they carry no meaning for the value.
UNIT_WORDS = frozenset(fold(w) for w in (
    "đ", "đồng", "vnđ", "vnd", "người", "lượt người", "lớp", "cuộc", "cuộc thi", "buổi", "lượt",
    "quyển", "cuốn", "tờ", "bài", "tin", "tin bài", "trường", "đơn vị", "cơ sở", "cái", "tập thể",
    "cá nhân", "hội thảo", "hoạt động", "sách",
))
# Folded multiplier words (optionally followed by a unit word: "1,2 triệu đồng").
MULTIPLIERS = {"nghin": 10**3, "ngan": 10**3, "trieu": 10**6, "ty": 10**9, "ti": 10**9}

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_SPLIT = re.compile(r"^([+\-\u2212]?)\s*([0-9][0-9.,\s\u00a0\u2007\u202f]*)(.*)$", re.S)
_PLAIN = re.compile(r"^[0-9]+$")
_DOT_GROUPS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")
_SPACE_GROUPS = re.compile(r"^[0-9]{1,3}( [0-9]{3})+$")
_COMMA_GROUPS = re.compile(r"^[0-9]{1,3}(,[0-9]{3}){2,}$")  # "1,200,000": only unambiguous with 2+ groups
_DECIMAL_COMMA = re.compile(r"^([0-9]{1,3}(?:[. ][0-9]{3})*|[0-9]+),([0-9]+)$")
_DECIMAL_ANY = re.compile(r"^[0-9]+[.,][0-9]+$")


@dataclass(frozen=True)
class ParsedValue:
    """A cell read as a number: ``number`` (None when blank or unreadable), ``problem`` an issue code."""

    number: float | None
    problem: str | None = None
    text: str = ""
    is_text: bool = False  # the cell held text (a number stored as text, or words)

    @property
    def blank(self) -> bool:
        """True when the cell is empty: "not reported", kept apart from 0."""
        return self.number is None and self.problem is None


BLANK = ParsedValue(None)


def _unreadable(text: str) -> ParsedValue:
    return ParsedValue(None, "value-unreadable", text, True)


def _digits(body: str, multiplied: bool) -> Decimal | None:
    """The number a digit string stands for, or None when its grouping is not a valid Vietnamese one."""
    body = _SPACES.sub(" ", body.strip())
    if _PLAIN.match(body):
        return Decimal(body)
    if _DOT_GROUPS.match(body):
        return Decimal(body.replace(".", ""))
    if _SPACE_GROUPS.match(body):
        return Decimal(body.replace(" ", ""))
    if _COMMA_GROUPS.match(body):
        return Decimal(body.replace(",", ""))
    m = _DECIMAL_COMMA.match(body)
    if m:
        return Decimal(m.group(1).replace(".", "").replace(" ", "") + "." + m.group(2))
    if multiplied and _DECIMAL_ANY.match(body):  # "1.5 triệu": a decimal point is plain before a multiplier
        return Decimal(body.replace(",", "."))
    return None


def parse_text(text: str) -> ParsedValue:
    """Read a number typed as text; blank for an empty text."""
    shown = clean(text)
    if not shown:
        return BLANK
    m = _SPLIT.match(shown)
    if not m:
        return _unreadable(shown)
    sign, body, rest = m.groups()
    # a trailing "." or "," belongs to the sentence, not the number ("3 lớp." / "15,")
    body = body.rstrip(" ")
    if body.endswith((".", ",")) and not rest.strip():
        body = body[:-1]
    words = fold(rest)
    factor = 1
    for name, mult in MULTIPLIERS.items():
        if words.startswith(name) and (words == name or words[len(name):] in UNIT_WORDS):
            factor, words = mult, ""
            break
    if words and words not in UNIT_WORDS:
        return _unreadable(shown)
    number = _digits(body, factor != 1)
    if number is None:
        return _unreadable(shown)
    value = float(number * factor)
    if sign in ("-", "\u2212"):
        value = -value
    return ParsedValue(value, None, shown, True)


def parse_value(raw: object, measure: str = "count") -> ParsedValue:
    """Read one cell of a numeric column (count, people, amount) as calamine returns it."""
    # The writing rules are the same for every measure; whole-number and sign rules per measure are the
    # schema's, so that "2,5" lớp is reported as "not whole" rather than "unreadable".
    del measure
    if raw is None or raw == "":
        return BLANK
    if isinstance(raw, bool):  # TRUE/FALSE is not a number of anything
        return _unreadable("TRUE" if raw else "FALSE")
    if isinstance(raw, int):
        return ParsedValue(float(raw), None, str(raw))
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return _unreadable(str(raw))
        shown = str(int(raw)) if raw.is_integer() else repr(raw)
        return ParsedValue(raw, None, shown)
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):  # a date typed where a number belongs
        return _unreadable(str(raw))
    if isinstance(raw, str):
        return parse_text(raw)
    return _unreadable(clean(str(raw)))


def as_text(raw: object) -> str | None:
    """A cell as clean text (for labels, notes and the free-text row); None when empty."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        text = _clean_label(raw) if len(raw) <= 500 else clean(raw)
    else:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = clean(str(raw))
    return text or None


@lru_cache(maxsize=16384)
def _clean_label(text: str) -> str:
    # the same labels and headers come back in every file of a folder
    return clean(text)


# ---------------------------------------------------------------------------------------------- hours

# Hours as people write them ("8h30", "14 giờ", "2h chiều"), for a schedule and the campaign's opening; hand-
# written for the reason the numbers are: dateutil reads none of these words.
_TIME_TEXT = re.compile(
    r"^(\d{1,2})\s*(?:h|g|giờ|gio|:|\.)\s*(\d{1,2})?\s*(?:phút|phut|p|')?$"
    r"|^(\d{1,2})\s*(?:h|g|giờ|gio)$")
_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|đến|den|tới)\s*")
_DAY_PART = re.compile(r"\s*(sáng|trưa|chiều|tối|sang|trua|chieu|toi)$")


def format_time(t: dt.time | None) -> str:
    """A time as the seed writes it: "8h30", "14h00"; '' for no time."""
    return f"{t.hour}h{t.minute:02d}" if t is not None else ""


def parse_time(value: object) -> dt.time | None:
    """A start time from a cell: "8h30", "8h", "14h00", "8:30", "14 giờ 30", "8g30", "2h chiều", "8h30 - 10h",
    an Excel time (fraction of a day, ``datetime.time``/``datetime``/``timedelta``). None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        return _clock(seconds // 3600, seconds % 3600 // 60) if 0 <= seconds < 86400 else None
    if isinstance(value, (int, float)):
        if 0 <= value < 1:  # Excel keeps a time as a fraction of a day
            minutes = round(value * 1440)
            return _clock(minutes // 60, minutes % 60) if minutes < 1440 else None
        if float(value).is_integer():  # a bare hour typed into a General cell: 8 → 8h00
            return _clock(int(value), 0)
        return None
    if not isinstance(value, str):
        return None
    text = clean(value).lower()
    if not text:
        return None
    text = _RANGE_SPLIT.split(text, maxsplit=1)[0]  # "8h30 - 10h30": the start is what orders the day
    afternoon = False
    part = _DAY_PART.search(text)
    if part:
        afternoon = fold(part.group(1)) in ("chieu", "toi")
        text = text[:part.start()].strip()
    m = _TIME_TEXT.match(text)
    if not m:
        return None
    hour = int(m.group(1) or m.group(3))
    minute = int(m.group(2) or 0)
    if afternoon and hour < 12:
        hour += 12
    return _clock(hour, minute)


def _clock(hour: int, minute: int) -> dt.time | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return dt.time(hour, minute)
    return None
