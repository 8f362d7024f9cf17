"""The week's schedule ("Lịch hoạt động"): the sheet a unit fills, reading it back (or a schedule retyped in
the seed's layout TT | Giờ | Ngày | Đơn vị | Nội dung), and the district's compiled "Lịch tuần lễ".

Times (``values.parse_time``, shared with the campaign's opening hour) and dates are parsed by hand: people
write "8h30", "14 giờ 30", "8g30", "30/9" or "02/10/2024", and the year comes from the campaign; dateutil
would guess a month-first order and today's year, which is exactly the silent error a schedule must not make.
The rules here are small and strict: anything not understood is an issue that names its cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from consolidate.issues import Issue, make
from consolidate.parts import ReadContext, SheetLike, cell_values
from consolidate.text import EXCEL_CELL_LIMIT, clean, fold, fold_cached, set_text, words
from consolidate.values import format_time, parse_time

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet
    from xlsxwriter.workbook import Workbook as XlsxWorkbook
    from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

    from consolidate.campaign import Campaign
    from consolidate.units import UnitList

SHEET = "Lịch hoạt động"
SUMMARY_SHEET = "Lịch tuần lễ"
INPUT_ROWS = 25
FONT_NAME = "Times New Roman"
TIME_PROMPT = ("Ghi giờ bắt đầu, ví dụ 8h30, 14h00 (hoặc 8:30). "
               "Buổi chiều ghi theo 24 giờ: 2 giờ chiều là 14h00.")
DATE_PROMPT = "Ghi ngày/tháng, ví dụ 02/10 hoặc 02/10/{year}. Chỉ các ngày từ {start} đến {end}."
DATE_ERROR = ("Ngày {value} nằm ngoài thời gian Tuần lễ ({start} – {end}) hoặc không phải ngày. "
              "Ghi ngày/tháng, ví dụ 02/10. Nếu máy hiểu nhầm tháng/ngày, chọn \"Có\" để giữ nguyên.")
CONTENT_PROMPT = "Tên và nội dung chính của hoạt động."
PLACE_PROMPT = "Nơi tổ chức (không bắt buộc)."


# Folded header texts of each column, as templates write them and as people retype them.
HEADERS: dict[str, tuple[str, ...]] = {
    "tt": ("tt", "stt", "sott"),
    "time": ("gio", "thoigian", "giobatdau", "thoigianbatdau"),
    "date": ("ngay", "ngaythang", "ngaytochuc", "ngaythuchien"),
    "unit": ("donvi", "tendonvi", "donvitochuc", "donvithuchien", "donvichutri"),
    "content": ("noidung", "noidunghoatdong", "hoatdong", "tenhoatdong", "noidungchinh"),
    "place": ("diadiem", "noitochuc", "diadiemtochuc"),
}
HEADER_SCAN_ROWS = 40

# ---------------------------------------------------------------------------------------------- parsing

_DATE_NUM = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2}|\d{4}))?$")
_DATE_WORDS = re.compile(r"^(\d{1,2})\s*tháng\s*(\d{1,2})(?:\s*năm\s*(\d{4}))?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?$")
_WEEKDAY = re.compile(r"^(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s*nhật|cn|t[2-7])\s*[,:\-]?\s*"
                      r"(?:\(\s*)?", re.I)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def format_date(d: dt.date) -> str:
    """A date as the seed's schedule writes it: "30/9" → "30/09"."""
    return d.strftime("%d/%m")


def parse_date(value: object, year: int) -> dt.date | None:
    """A date from a cell: "01/10", "2/10", "30/9", "02/10/2024", "2 tháng 10", "Thứ Tư, 02/10", a real
    Excel date or serial. A date written without a year takes the campaign's year. None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        if 20000 < value < 80000:  # an Excel serial date (1954–2119)
            return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).date()
        return None
    if not isinstance(value, str):
        return None
    text = clean(value).lower().strip(" .,;")
    if text.startswith("ngày"):
        text = text[4:].strip()
    text = _WEEKDAY.sub("", text).strip(" ()")
    if text.startswith("ngày"):
        text = text[4:].strip()
    m = _DATE_ISO.match(text)
    if m:
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_NUM.match(text) or _DATE_WORDS.match(text)
    if not m:
        return None
    y = year
    if m.group(3):
        y = int(m.group(3))
        if y < 100:
            y += 2000
    return _day(y, int(m.group(2)), int(m.group(1)))


def _day(y: int, mth: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, mth, d)
    except ValueError:
        return None


def _swapped(d: dt.date) -> dt.date | None:
    """The date with day and month exchanged (what a month-first Excel makes of "02/10"), if it exists."""
    if d.day > 12:
        return None
    return _day(d.year, d.day, d.month)


# ---------------------------------------------------------------------------------------------- model

@dataclass(frozen=True)
class Activity:
    """One planned activity of one unit."""

    unit_code: str | None
    unit_name: str
    date: dt.date
    time: dt.time | None
    content: str
    place: str = ""
    file: str = ""
    sheet: str = ""
    row: int = 0  # Excel row number, for messages


@dataclass(frozen=True)
class ScheduleEntry:
    """One row of the compiled district schedule."""

    tt: int
    time: dt.time | None
    date: dt.date
    unit_name: str
    content: str
    place: str = ""
    unit_code: str | None = None

    @property
    def time_text(self) -> str:
        """The time as written in the schedule ("8h30")."""
        return format_time(self.time)

    @property
    def date_text(self) -> str:
        """The date as written in the schedule ("02/10")."""
        return format_date(self.date)


@dataclass
class ScheduleRead:
    """The activities found in one file and the problems met reading them."""

    rows: list[Activity] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    found: bool = False  # a schedule table was found (even an empty one)
    sheet: str | None = None


# ---------------------------------------------------------------------------------------------- reading

def _key(value: object) -> str:
    return fold_cached(value) if isinstance(value, str) and len(value) <= 60 else ""


@lru_cache(maxsize=4096)
def _header_names(key: str) -> tuple[str, ...]:
    """The columns (in HEADERS order) a folded header cell can name."""
    return tuple(name for name, keys in HEADERS.items() if key in keys)


_no_header: set[object] = set()  # cell values known to name no column, across the files of a folder


def _header_texts(values: set[object]) -> set[str]:
    """The texts among these values that name a column."""
    if len(_no_header) > 50_000:
        _no_header.clear()
    found = set()
    for value in values - _no_header:
        # a str equals only strs, which fold alike; numbers and dates never name a column
        if isinstance(value, str) and value and _header_names(_key(value)):
            found.add(value)
        else:
            _no_header.add(value)
    return found


def find_header(sheet: SheetLike, values: set[object] | None = None) -> tuple[int, dict[str, int]] | None:
    """The header row of a schedule table on this sheet and its columns; needs at least Ngày and Nội dung.

    ``values`` are the sheet's :func:`cell_values` when the caller has them."""
    if values is None:
        values = cell_values(sheet)
    heads = None if values is None else _header_texts(values)
    if heads is not None:
        names = {name for value in heads for name in _header_names(_key(value))}
        if "date" not in names or "content" not in names:
            return None  # most sheets: no Ngày or no Nội dung header anywhere
    return _header_row(sheet.rows[:HEADER_SCAN_ROWS], heads)


def _header_row(rows: Sequence[list[object]], heads: set[str] | None) -> tuple[int, dict[str, int]] | None:
    """The first of these rows that names the Ngày and Nội dung columns; only the rows holding one of
    ``heads`` (every text of the sheet that names a column) are looked at, all of them when None."""
    for r, row in enumerate(rows):
        if heads is not None and heads.isdisjoint(row):
            continue
        cols: dict[str, int] = {}
        for c, value in enumerate(row):
            if not value or not isinstance(value, str):  # blank and numeric cells (most) before any lookup
                continue
            k = _key(value)
            if not k:  # no header is blank
                continue
            for name in _header_names(k):
                if name not in cols:
                    cols[name] = c
        if "date" in cols and "content" in cols:
            return r, cols
    return None


_BLANK = ("", None)  # what an empty cell holds


def _text(value: object) -> str:
    if value is None or value == "":  # most cells of a template's schedule are empty
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value)).replace("\r\n", "\n")


_NOT_DIGITS = re.compile(r"\D")


def _row_number(address: str) -> int:
    digits = _NOT_DIGITS.sub("", address)
    return int(digits) if digits else 0


def _resolve_unit(text: str, units: UnitList | None) -> tuple[str | None, str] | None:
    """The unit a "Đơn vị" cell names: (code, name) from the list, or None when no single unit fits."""
    if units is None:
        return None
    key = fold(text)
    exact = [u for u in units if fold(u.name) == key or fold(u.code) == key]
    if len(exact) == 1:
        return exact[0].code, exact[0].name
    from consolidate.reader import match_units

    codes = match_units(text, units, codes=False)
    if len(codes) == 1:
        unit = units.get(codes[0])
        if unit is not None:
            return unit.code, unit.name
    # a shortened name: every word of the cell, in order, inside exactly one unit's name
    # ("TT VH TT & TT Quận" for "TT VH TT & TT quận Đống Đa"); two words at least, so a bare place never fits
    seq = words(text)
    if len(seq) >= 2:
        inside = [u for u in units if _contains(words(u.name), seq)]
        if len(inside) == 1:
            return inside[0].code, inside[0].name
    return None


def _contains(seq: list[str], sub: list[str]) -> bool:
    n = len(sub)
    return any(seq[i:i + n] == sub for i in range(len(seq) - n + 1))


def read_schedule(sheets: Sequence[SheetLike], ctx: ReadContext,
                  values: Sequence[set[object] | None] | None = None) -> ScheduleRead:
    """Find a schedule table on any sheet (by its header text) and read its activities, with issues.

    ``values`` are the sheets' :func:`cell_values`, in the order of ``sheets``, when the caller has them."""
    out = ScheduleRead()
    for i in sorted(range(len(sheets)), key=lambda i: sheets[i].hidden):
        sheet = sheets[i]
        found = find_header(sheet, values[i] if values is not None else None)
        if found is None:
            continue
        out.found, out.sheet = True, sheet.name
        _read_table(sheet, found[0], found[1], ctx, out)
        break
    return out


def _read_table(sheet: SheetLike, header: int, cols: dict[str, int], ctx: ReadContext, out: ScheduleRead) -> None:
    campaign = ctx.campaign
    window = campaign.window
    seen: dict[tuple[Hashable, ...], int] = {}
    tt_seen: dict[str, int] = {}
    unknown_units: set[str] = set()

    def cell(row: list[object], name: str) -> object:
        c = cols.get(name)
        return row[c] if c is not None and c < len(row) else ""

    def where(r: int, name: str) -> str:
        return sheet.address(r, cols[name])

    # the template's input rows hold only their number: a row with no time, date or content is passed over
    # before any cell is read as text (as the check below would)
    time_col, date_col, content_col = cols.get("time", 0), cols["date"], cols["content"]
    width = max(time_col, date_col, content_col)
    for r in range(header + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if (len(row) > width and row[date_col] in _BLANK and row[content_col] in _BLANK
                and ("time" not in cols or row[time_col] in _BLANK)):
            continue
        raw_time, raw_date = cell(row, "time"), cell(row, "date")
        content, place = _text(cell(row, "content")), _text(cell(row, "place"))
        time_text, date_text = _text(raw_time), _text(raw_date)
        if not (time_text or date_text or content):
            continue  # blank row, or a row holding only a number or a place
        excel_row = _row_number(sheet.address(r, 0))
        base = {"file": ctx.file, "sheet": sheet.name, "unit": ctx.unit_code}
        tt = _text(cell(row, "tt"))
        if tt and "tt" in cols:
            if tt in tt_seen:
                out.issues.append(make("schedule-tt-repeated", cell=where(r, "tt"), value=tt,
                                       first_row=tt_seen[tt], **base))
            else:
                tt_seen[tt] = excel_row
        ok = True
        if not content:
            out.issues.append(make("schedule-no-content", row=excel_row, **base))
            ok = False
        when = parse_date(raw_date, campaign.year) if date_text else None
        if not date_text:
            out.issues.append(make("schedule-no-date", cell=where(r, "date"), **base))
            ok = False
        elif when is None:
            out.issues.append(make("schedule-bad-date", cell=where(r, "date"), value=date_text,
                                   year=campaign.year, **base))
            ok = False
        elif window is not None and not (window[0] <= when <= window[1]):
            other = _swapped(when)
            if other is not None and window[0] <= other <= window[1] and not isinstance(raw_date, str):
                # a month-first Excel turned "02/10" into 10 February: read it as the unit meant it
                out.issues.append(make("schedule-date-swapped", cell=where(r, "date"),
                                       value=when.strftime("%d/%m/%Y"), read=other.strftime("%d/%m/%Y"), **base))
                when = other
            else:
                out.issues.append(make("schedule-out-of-window", cell=where(r, "date"),
                                       value=when.strftime("%d/%m/%Y"), start=window[0].strftime("%d/%m/%Y"),
                                       end=window[1].strftime("%d/%m/%Y"), **base))
                ok = False
        start = None
        if "time" in cols and time_text:
            start = parse_time(raw_time)
            if start is None:
                out.issues.append(make("schedule-bad-time", cell=where(r, "time"), value=time_text, **base))
                ok = False
        unit_code, unit_name = ctx.unit_code, ctx.unit_name or ""
        unit_text = _text(cell(row, "unit"))
        if unit_text:
            resolved = _resolve_unit(unit_text, ctx.units)
            if resolved is not None:
                unit_code, unit_name = resolved
            elif ctx.unit_code is None or fold(unit_text) != fold(ctx.unit_name or ""):
                unit_code, unit_name = None, unit_text
                if fold(unit_text) not in unknown_units:
                    unknown_units.add(fold(unit_text))
                    out.issues.append(make("schedule-unit-unknown", cell=where(r, "unit"), value=unit_text, **base))
        if not unit_name:
            unit_name = ctx.file
        if len(content) > EXCEL_CELL_LIMIT:
            out.issues.append(make("text-too-long", cell=where(r, "content"), length=len(content), **base))
            content = content[:EXCEL_CELL_LIMIT]
        if not ok or when is None:
            continue
        key = (unit_code or fold(unit_name), when, start, fold(content))
        if key in seen:
            out.issues.append(make("schedule-duplicate", cell=where(r, "content"), value=_short(content),
                                   first_row=seen[key], **base))
            continue
        seen[key] = excel_row
        out.rows.append(Activity(unit_code, unit_name, when, start, content, place, ctx.file, sheet.name,
                                 excel_row))
        differs = opening_differs(campaign, when, start, content)
        if differs:
            written, planned = differs
            column = "date" if when != campaign.opening or "time" not in cols else "time"
            out.issues.append(make("schedule-opening-differs", cell=where(r, column), value=_short(content),
                                   written=written, planned=planned, **base))


_OPENING_WORDS = ("khaimac", "lephatdong")


def opening_differs(campaign: Campaign, when: dt.date, start: dt.time | None, content: str) -> tuple[str, str] | None:
    """(as the schedule writes it, as the campaign does) when an activity is the opening ceremony ("Khai mạc
    …", "Lễ phát động …") on another day or at another hour than the campaign's ``opening``; else None.

    The plan of the seed says 14h00 in its text and 8h30 in its table: one of them is wrong, and the
    district's report must not print both without a word."""
    if campaign.opening is None or not any(w in fold(content) for w in _OPENING_WORDS):
        return None
    other_day = when != campaign.opening
    other_hour = campaign.opening_time is not None and start is not None and start != campaign.opening_time
    if not (other_day or other_hour):
        return None
    written = f"{format_time(start)} ngày {format_date(when)}" if start else f"ngày {format_date(when)}"
    hour = f"{format_time(campaign.opening_time)} " if campaign.opening_time else ""
    return written.strip(), f"{hour}ngày {campaign.opening:%d/%m/%Y}"


def _short(text: str, limit: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


# ---------------------------------------------------------------------------------------------- compiling

def _order(a: Activity) -> tuple[Any, ...]:
    return (a.date, a.time is None, a.time or dt.time(0), fold(a.unit_name), fold(a.content))


def compile_schedule(activities: Iterable[Activity]) -> list[ScheduleEntry]:
    """All units' activities in date and time order (then unit, content), numbered 1…N."""
    ordered = sorted(activities, key=_order)
    return [ScheduleEntry(i, a.time, a.date, a.unit_name, a.content, a.place, a.unit_code)
            for i, a in enumerate(ordered, start=1)]


# ---------------------------------------------------------------------------------------------- writing

# openpyxl is imported by the writers only: the reading workers of a large folder never pay for it

@lru_cache(maxsize=1)
def _table_style() -> tuple[Border, PatternFill]:
    """The thin cell border and the header fill of both schedule tables."""
    from openpyxl.styles import Border, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return Border(left=thin, right=thin, top=thin, bottom=thin), PatternFill("solid", fgColor="F2F2F2")


def _font(bold: bool = False, size: float = 12, italic: bool = False) -> Font:
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic)


def _dmy(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "……"


def _serial(d: dt.date) -> int:
    return (dt.datetime.combine(d, dt.time()) - _EXCEL_EPOCH).days


def _banner(ws: Worksheet, row: int, text: str, last_col: int, font: Font, height: float = 20) -> None:
    from openpyxl.styles import Alignment

    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    cell = ws.cell(row, 1)
    set_text(cell, text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = height


def _week_line(campaign: Campaign) -> str:
    if campaign.start and campaign.end:
        line = f"(Từ ngày {format_date(campaign.start)} đến ngày {format_date(campaign.end)} năm {campaign.end.year}"
        if campaign.opening and campaign.opening < campaign.start:
            line += f"; khai mạc ngày {format_date(campaign.opening)}"
        return line + ")"
    return f"(Năm {campaign.year})"


def _print_setup(ws: Worksheet, last_col: int, last_row: int, header_row: int, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    from openpyxl.utils import get_column_letter

    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"


def write_schedule_sheet(wb: Workbook, campaign: Campaign, unit_name: str) -> Worksheet:
    """Add the protected "Lịch hoạt động" sheet: TT | Giờ | Ngày | Nội dung | Địa điểm, inputs unlocked,
    the date validated against the campaign window and the time explained in an input message."""
    from openpyxl.styles import Alignment, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    border, header_fill = _table_style()
    ws = wb.create_sheet(SHEET)
    heads = ("TT", "Giờ", "Ngày", "Nội dung", "Địa điểm")
    widths = (6, 11, 13, 62, 30)
    last = len(heads)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + i)].width = w
    _banner(ws, 1, f"LỊCH HOẠT ĐỘNG {campaign.title.upper()}", last, _font(bold=True, size=14), 36)
    _banner(ws, 2, _week_line(campaign), last, _font(italic=True))
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last)
    set_text(ws.cell(3, 1), f"Đơn vị báo cáo: {unit_name}")
    ws.cell(3, 1).font = _font(bold=True)
    note = "Mỗi hoạt động ghi một dòng. Giờ ghi như 8h30 hoặc 14h00; ngày ghi như 02/10."
    if campaign.schedule_deadline:
        note += f" Gửi lịch trước ngày {_dmy(campaign.schedule_deadline)}."
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last)
    set_text(ws.cell(4, 1), note)
    ws.cell(4, 1).font = _font(italic=True, size=11)
    ws.cell(4, 1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[4].height = 33
    header = 6
    for c, text in enumerate(heads, start=1):
        cell = ws.cell(header, c, text)
        cell.font = _font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = border
        cell.fill = header_fill
    window = campaign.window
    prompt_date = DATE_PROMPT.format(year=campaign.year, start=_dmy(window[0] if window else None),
                                     end=_dmy(window[1] if window else None))
    time_dv = DataValidation(showInputMessage=True, promptTitle="Cách ghi giờ", prompt=TIME_PROMPT,
                             allow_blank=True)
    if window:
        # "warning" and not "stop": a month-first Excel may misread a date typed right; the reader fixes it
        date_dv = DataValidation(type="date", operator="between", formula1=str(_serial(window[0])),
                                 formula2=str(_serial(window[1])), allow_blank=True, showErrorMessage=True,
                                 showInputMessage=True, errorStyle="warning", errorTitle="Ngày ngoài Tuần lễ",
                                 error=DATE_ERROR.format(value="này", start=_dmy(window[0]), end=_dmy(window[1])),
                                 promptTitle="Cách ghi ngày", prompt=prompt_date)
    else:
        date_dv = DataValidation(showInputMessage=True, promptTitle="Cách ghi ngày", prompt=prompt_date,
                                 allow_blank=True)
    content_dv = DataValidation(showInputMessage=True, promptTitle="Nội dung", prompt=CONTENT_PROMPT,
                                allow_blank=True)
    place_dv = DataValidation(showInputMessage=True, promptTitle="Địa điểm", prompt=PLACE_PROMPT, allow_blank=True)
    for dv in (time_dv, date_dv, content_dv, place_dv):
        ws.add_data_validation(dv)
    for i in range(INPUT_ROWS):
        r = header + 1 + i
        ws.cell(r, 1, i + 1).alignment = Alignment(horizontal="center", vertical="top")
        for c in range(1, last + 1):
            cell = ws.cell(r, c)
            cell.border = border
            cell.font = _font()
            if c > 1:
                cell.protection = Protection(locked=False)
                cell.alignment = Alignment(vertical="top", wrap_text=c >= 4,
                                           horizontal="center" if c in (2, 3) else None)
        ws.cell(r, 2).number_format = "@"  # "8h30" and "8:30" stay as typed
        ws.cell(r, 3).number_format = "dd/mm/yyyy"
        ws.row_dimensions[r].height = 33
    first, last_row = header + 1, header + INPUT_ROWS
    for col, dv in (("B", time_dv), ("C", date_dv), ("D", content_dv), ("E", place_dv)):
        dv.add(f"{col}{first}:{col}{last_row}")
    ws.freeze_panes = ws.cell(header + 1, 1)
    _print_setup(ws, last, header + INPUT_ROWS, header, landscape=True)
    ws.protection.sheet = True
    ws.protection.formatRows = False  # a long activity may need a taller row
    ws.protection.formatColumns = False
    return ws


def write_schedule_summary(wb: XlsxWorkbook, entries: Sequence[ScheduleEntry], campaign: Campaign) -> XlsxWorksheet:
    """Add "Lịch tuần lễ" to a summary being written by XlsxWriter: the compiled schedule in the seed's layout
    TT | Giờ | Ngày | Đơn vị | Nội dung (and Địa điểm when any unit gave one), print-ready (a landscape A4
    page wide, the header repeated); readable back by :func:`read_schedule`. Texts are written as text."""
    base = {"font_name": FONT_NAME, "font_size": 12, "valign": "vcenter"}
    title = wb.add_format({**base, "bold": True, "font_size": 14, "align": "center", "text_wrap": True})
    week = wb.add_format({**base, "italic": True, "align": "center"})
    head = wb.add_format({**base, "bold": True, "align": "center", "border": 1, "bg_color": "#F2F2F2",
                          "text_wrap": True})
    centred = wb.add_format({**base, "valign": "top", "align": "center", "border": 1})
    day = wb.add_format({**base, "valign": "top", "align": "center", "border": 1, "num_format": "dd/mm"})
    wrapped = wb.add_format({**base, "valign": "top", "border": 1, "text_wrap": True})
    ws = wb.add_worksheet(SUMMARY_SHEET)
    heads = ["TT", "Giờ", "Ngày", "Đơn vị", "Nội dung"]
    widths = [6, 10, 10, 34, 62]
    with_place = any(e.place for e in entries)
    if with_place:
        heads.append("Địa điểm")
        widths.append(26)
    last = len(heads) - 1
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    banner = f"LỊCH “{campaign.title.upper()}”"
    ws.merge_range(0, 0, 0, last, "", title)
    ws.write_string(0, 0, banner, title)
    ws.set_row(0, max(24, round(-(-len(banner) // int(sum(widths) * 0.8)) * 20 + 4, 1)))
    ws.merge_range(1, 0, 1, last, "", week)
    ws.write_string(1, 0, _week_line(campaign), week)
    header = 3
    for c, text in enumerate(heads):
        ws.write_string(header, c, text, head)
    r = header
    for e in entries:
        r += 1
        ws.write_number(r, 0, e.tt, centred)
        if e.time_text:
            ws.write_string(r, 1, e.time_text, centred)
        else:
            ws.write_blank(r, 1, None, centred)
        ws.write_datetime(r, 2, dt.datetime.combine(e.date, dt.time()), day)
        ws.write_string(r, 3, e.unit_name, wrapped)
        ws.write_string(r, 4, e.content, wrapped)
        if with_place:
            if e.place:
                ws.write_string(r, 5, e.place, wrapped)
            else:
                ws.write_blank(r, 5, None, wrapped)
        # LibreOffice does not fit a row of an .xlsx to its wrapped text: a height from the text's length
        lines = max(1, -(-len(e.content) // 55), -(-len(e.unit_name) // 30), -(-len(e.place or "") // 23))
        if lines > 1:
            ws.set_row(r, round(lines * 16.5 + 3, 1))
    if not entries:
        r += 1
        ws.merge_range(r, 0, r, last, "", week)
        ws.write_string(r, 0, "(Chưa có đơn vị nào gửi lịch hoạt động.)", wb.add_format({**base, "italic": True}))
    ws.freeze_panes(header + 1, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.repeat_rows(header)
    ws.print_area(0, 0, r, last)
    ws.set_footer(f"&C&\"{FONT_NAME}\"&10Trang &P/&N")
    return ws


def template_writer(wb: Workbook, campaign: Campaign, form: object, unit: Any) -> None:
    """``templates.make_templates`` extra-sheet writer: the unit's "Lịch hoạt động" sheet."""
    write_schedule_sheet(wb, campaign, unit.name)


template_writer.unit_fields = ("name",)  # type: ignore[attr-defined]  # templates may stencil it
