"""The district summary workbook that ``merge`` writes, with XlsxWriter.

Sheets, in order:

1. "Biểu tổng hợp" — Phụ lục 2 row for row, laid out as a standalone administrative document (Nghị định
   30/2020/NĐ-CP): the agency block top left, the national motto top right, the title with "(Kèm theo Báo
   cáo số …)" under it, the district's totals, the signature block. It is also a return: the reader finds
   its header by text and its "Đơn vị báo cáo" line, so a province merges districts with the same tool.
2. "Theo đơn vị" — every merged unit's values: a column per unit grouped by type, a page per type, at
   district size; a row per unit (autofilter, frozen panes) from :data:`UNITS_AS_ROWS_FROM` units on, where
   a column per unit could not be read and would stop at Excel's 16,384 columns.
3. "Tình hình nộp báo cáo" — one table under one repeated header: every unit, then the files used for the
   schedule or the narrative only, then the files not used, each with its reason.
4. "Lỗi và cảnh báo" — every issue, errors first, the kind named in Vietnamese, the code last.
5. "Biểu đồ" — a table by unit type and native charts, placed so that none overlaps another or a page break.
6. "Lịch tuần lễ" and 7. "Tổng hợp báo cáo" (``schedule.write_schedule_summary``,
   ``narrative.write_narrative_summary``) when units sent a schedule or narrative texts.
8. the hidden identity sheet (``identity.py``).

XlsxWriter is made for writing a new workbook (native charts, merges, print titles, rich strings, hidden
sheets) and writes a province's 700,000 cells without a cell object per cell; openpyxl stays for editing
existing workbooks (feedback copies). Every string goes through ``write_string``: a unit's note
"=HYPERLINK(…)" stays text, never a formula; on the signed form page it is left out (``merge`` lists it in
"Lỗi và cảnh báo", code ``merge-formula-text``).

Rows are left without a fixed height wherever a cell can wrap on its own: Excel and LibreOffice then fit the
row to its text. A merged cell is never fitted by either, so merged rows get a height from the length of
their text (:func:`_lines`), generously.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xlsxwriter

from consolidate.campaign import place_name
from consolidate.form import MEASURE_NAMES, NUMERIC_MEASURES, Row
from consolidate.identity import IDENTITY_SHEET
from consolidate.issues import CATALOGUE, SEVERITY_NAMES, Issue
from consolidate.mail_manifest import MailRecord, received_text
from consolidate.results import FILE_STATUS_NAMES, UNIT_STATE_NAMES, FileReport, MergeResult
from consolidate.sheet_layout import (
    COL_COUNT, COL_LABEL, COL_NOTE, COL_PEOPLE, COL_STT, COL_UNIT, FONT_NAME, LINE_HEIGHT, MEASURE_COLUMNS,
    NUMBER_FORMAT, WIDTHS, check_layout,
)
from consolidate.text import EXCEL_CELL_LIMIT, looks_like_formula

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from consolidate.campaign import Campaign

FORM_SHEET_FALLBACK = "Biểu tổng hợp"
BY_UNIT_SHEET = "Theo đơn vị"
STATUS_SHEET = "Tình hình nộp báo cáo"
ISSUES_SHEET = "Lỗi và cảnh báo"
CHART_SHEET = "Biểu đồ"
INVALID_NOTE = ("LƯU Ý: biểu này có cộng cả số liệu CHƯA KIỂM TRA của các đơn vị có lỗi "
                "(tổng hợp với --include-invalid): {units}.")
ON_TIME = "Đúng hạn"
CUT_MARK = f" … (còn tiếp: xem trang \"{BY_UNIT_SHEET}\")"
FORMULA_MARK = f"(nội dung dạng công thức, xem trang \"{ISSUES_SHEET}\")"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# "Theo đơn vị" turns to a row per unit above this many merged units: a column per unit prints legibly for
# a district (a few dozen units, a page per type), not for a province's thousand schools
UNITS_AS_ROWS_FROM = 200
PRINT_SCALE = 70  # "Theo đơn vị": 12 pt text prints at 8.4 pt, about eight unit columns a landscape page
RED = "#C00000"
HEADER_FILL = "#F2F2F2"
GREY = "#D9D9D9"
FILL_OK = "#C6EFCE"
FILL_BAD = "#FFC7CE"
FILL_MISSING = "#FFEB9C"
FILL_SUBTOTAL = "#DDEBF7"
FILL_TOTAL = "#BDD7EE"
FILL_CONFIRM = "#F8CBAD"
CHARS_PER_WIDTH = 1.0  # characters of Vietnamese text per unit of column width, at 12 pt (an estimate)


# -------------------------------------------------------------------------------------------- writing cells

class _Formats:
    """XlsxWriter formats by their properties, made once each (Times New Roman 12, centred vertically)."""

    BASE = {"font_name": FONT_NAME, "font_size": 12, "valign": "vcenter"}

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.made: dict[tuple, Format] = {}

    def __call__(self, **props: object) -> Format:
        key = tuple(sorted(props.items()))
        fmt = self.made.get(key)
        if fmt is None:
            fmt = self.made[key] = self.wb.add_format({**self.BASE, **props})
        return fmt

    def cell(self, *, bold: bool = False, number: bool = False, wrap: bool = False, border: bool = True,
             fill: str | None = None, align: str | None = None, **more: object) -> Format:
        """The format of a table cell."""
        props: dict[str, object] = dict(more)
        if bold:
            props["bold"] = True
        if number:
            props["num_format"] = NUMBER_FORMAT
        if wrap:
            props["text_wrap"] = True
        if border:
            props["border"] = 1
        if fill:
            props["bg_color"] = fill
        if align:
            props["align"] = align
        return self(**props)

    def header(self, fill: str = HEADER_FILL, **more: object) -> Format:
        return self.cell(bold=True, wrap=True, fill=fill, align="center", **more)


def _put(ws: Worksheet, row: int, col: int, value: object, fmt: Format | None = None) -> None:
    """Write one cell (0-based): text always as text (cut to what a cell holds), numbers and times as such."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, fit_cell(value), fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int, value: object,
           fmt: Format | None) -> None:
    """A merged range holding one value (a single cell when the range is one cell: Excel refuses those)."""
    if (first_row, first_col) == (last_row, last_col):
        _put(ws, first_row, first_col, value, fmt)
        return
    ws.merge_range(first_row, first_col, last_row, last_col, "", fmt)
    _put(ws, first_row, first_col, value, fmt)


def _lines(text: str, width: float | None, chars_per_width: float = CHARS_PER_WIDTH) -> int:
    """How many lines a wrapped text takes in a column of this width (an estimate by length)."""
    per_line = max(int((width or 8.43) * chars_per_width), 1)
    text = str(text)
    if "\n" not in text:  # most texts: one paragraph
        return max(-(-len(text) // per_line), 1)
    return sum(max(-(-len(part) // per_line), 1) for part in text.split("\n"))


def _fit_row(ws: Worksheet, row: int, cells: Sequence[tuple[object, float]], size: float = 12,
             always: bool = False) -> None:
    """Give a row the height its wrapped cells need: (text, column width) of each. LibreOffice does not fit
    a row of an .xlsx to its text when it opens it (and nobody fits a merged cell), so the height is set
    from an estimate by length, with a tenth to spare; a row of one line keeps the default unless ``always``."""
    lines = 1
    for text, width in cells:
        if text is None:
            continue
        text = text if isinstance(text, str) else str(text)
        room = width * 0.9
        if len(text) > room or "\n" in text:  # most cells hold one short line: no estimate needed
            lines = max(lines, _lines(text, room))
    if lines > 1 or always:
        ws.set_row(row, _height(lines, size))


def _height(lines: int, size: float = 12) -> float:
    """Row height in points for this many lines of text of this size (at most Excel's 409)."""
    return min(409.0, round(lines * LINE_HEIGHT * size / 12 + 3, 1))


def _landscape(ws: Worksheet, fit_width: bool = True) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    if fit_width:
        ws.fit_to_pages(1, 0)
    ws.set_footer(f"&C&\"{FONT_NAME}\"&10Trang &P/&N")


def _title(ws: Worksheet, F: _Formats, row: int, text: str, last_col: int, size: float = 14) -> None:
    _merge(ws, row, 0, row, max(last_col, 0), text, F(bold=True, font_size=size, align="left"))


def stamp(when: dt.datetime) -> str:
    """"HH:MM ngày dd/mm/yyyy"."""
    return f"{when:%H:%M} ngày {when:%d/%m/%Y}"


def reporter(result: MergeResult) -> str:
    """Who reports the summary: the office, else the district."""
    camp = result.run.campaign
    return camp.office or (f"Phòng Giáo dục và Đào tạo {camp.district}" if camp.district else "……")


def agency_lines(campaign: Campaign) -> tuple[str, str]:
    """The agency block of an administrative document: (cơ quan chủ quản, cơ quan), upper case."""
    parent = f"UBND {campaign.district}".upper() if campaign.district else "UBND ……"
    office = campaign.office or (f"Phòng Giáo dục và Đào tạo {campaign.district}" if campaign.district else "……")
    return parent, office.upper()


def report_symbol(campaign: Campaign) -> str:
    """The office's abbreviation in a document number ("…/BC-PGDĐT"), "……" when it is not known."""
    office = (campaign.office or "").strip().lower()
    return "PGDĐT" if office.startswith("phòng giáo dục và đào tạo") or not office else "……"


def attached_line(campaign: Campaign) -> str:
    """"(Kèm theo Báo cáo số …/BC-… ngày … tháng … năm …)", left for the clerk to fill by hand."""
    return (f"(Kèm theo Báo cáo số …… /BC-{report_symbol(campaign)} ngày …… tháng …… năm {campaign.year} "
            f"của {campaign.office or 'Phòng Giáo dục và Đào tạo'})")


def completeness_line(result: MergeResult) -> str:
    """"Tổng hợp từ N/M đơn vị (lập lúc HH:MM ngày dd/mm/yyyy)"."""
    return (f"Tổng hợp từ {len(result.merged_units)}/{len(result.run.units)} đơn vị "
            f"(lập lúc {stamp(result.created_at)})")


def lateness(when: dt.datetime | None, deadline: dt.date | None) -> str | None:
    """"Đúng hạn" or "Muộn N ngày" against the deadline; None when either is unknown."""
    if when is None or deadline is None:
        return None
    days = (when.date() - deadline).days
    return ON_TIME if days <= 0 else f"Muộn {days} ngày"


class _Names:
    """Unit code → name as ``UnitList.get`` finds it, without a scan of the list per lookup."""

    def __init__(self, result: MergeResult) -> None:
        self.units = result.run.units
        self.exact: dict[str, str] = {}
        for unit in self.units:
            self.exact.setdefault(unit.code, unit.name)

    def __call__(self, code: str | None) -> str | None:
        if code is None:
            return None
        name = self.exact.get(code)
        if name is not None:
            return name
        unit = self.units.get(code)
        return unit.name if unit else code


class _UnitValues:
    """``result.per_unit`` as one units × rows array per measure, so that no value is looked up alone.

    A unit or row the frame does not hold reads as blank (NaN, None), as ``MergeResult.value`` gives it.
    """

    def __init__(self, result: MergeResult) -> None:
        per = result.per_unit
        codes = [r.code for r in result.run.form.value_rows]
        units = list(per.index.unique(level="unit")) if len(per) else []
        self.code_at = {c: j for j, c in enumerate(codes)}
        self.unit_at = {u: i for i, u in enumerate(units)}
        self.blank = len(units)  # an extra all-blank row for units without values
        shape = (len(units) + 1, len(codes))
        self.arrays: dict[str, np.ndarray] = {m: np.full(shape, np.nan) for m in NUMERIC_MEASURES}
        for m in ("text", "note"):
            self.arrays[m] = np.full(shape, None, dtype=object)
        if len(per):
            ui = pd.Index(units).get_indexer(per.index.get_level_values("unit"))
            ci = pd.Index(codes).get_indexer(per.index.get_level_values("indicator"))
            keep = ci >= 0
            for m, arr in self.arrays.items():
                if m in per.columns:
                    column = per[m].to_numpy(dtype=arr.dtype)
                    arr[ui[keep], ci[keep]] = column[keep]

    def rows(self, units: Sequence[str]) -> np.ndarray:
        """Array row of each unit, in this order."""
        return np.array([self.unit_at.get(u, self.blank) for u in units], dtype=np.intp)

    def column(self, measure: str, code: str, rows: np.ndarray) -> list:
        """The texts of one form row and a text measure for these array rows (all None for a code not held)."""
        j = self.code_at.get(code)
        return [None] * len(rows) if j is None else self.arrays[measure][rows, j].tolist()

    def numbers(self, measure: str, code: str, rows: np.ndarray) -> np.ndarray:
        """The values of one form row and numeric measure for these array rows (all NaN for a code not held)."""
        j = self.code_at.get(code)
        return np.full(len(rows), np.nan) if j is None else self.arrays[measure][rows, j]


def fit_cell(text: str) -> str:
    """A text cut to what one Excel cell holds (32,767 characters); Excel refuses to open a longer one."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    return text[:EXCEL_CELL_LIMIT - len(CUT_MARK)] + CUT_MARK


def type_name(utype: str) -> str:
    """A unit type as shown; the list may leave it blank."""
    return utype or "(chưa ghi loại)"


def _sum_floats(values: np.ndarray) -> float | None:
    """The sum of the values that are not blank (NaN), added in order; None when all are blank."""
    numbers = values[~np.isnan(values)].tolist()  # summed by Python, one after the other (numpy pairs them)
    return sum(numbers) if numbers else None


def _whole(value: object) -> object:
    """A float that is a whole number as an int (as the cell shows it); other values as they are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ------------------------------------------------------------------------------------ 1. Biểu tổng hợp

def _joined_parts(units: Sequence[str], names: _Names, values: Sequence[object]) -> str | None:
    """A row's text or notes over these units, each prefixed by the unit's name; a text that looks like a
    formula is named, not printed (it is listed in "Lỗi và cảnh báo")."""
    parts = [f"{names(u)}: {FORMULA_MARK if looks_like_formula(v) else v}"
             for u, v in zip(units, values) if isinstance(v, str) and v]
    return fit_cell("\n".join(parts)) or None


def form_values(result: MergeResult, values: _UnitValues | None = None) -> dict[str, dict[str, object]]:
    """The values of the summary's form sheet: totals, plus texts and notes of the merged units."""
    form = result.run.form
    values = values or _UnitValues(result)
    names = _Names(result)
    merged = result.merged_units
    rows = values.rows(merged)
    # the units' texts and notes, found once: most cells are blank
    held: dict[str, dict[int, list[int]]] = {}
    for column in ("text", "note"):
        block = values.arrays[column][rows]
        found: dict[int, list[int]] = {}
        for i, j in zip(*np.nonzero(pd.notna(block))):
            found.setdefault(int(j), []).append(int(i))
        held[column] = found

    def joined(column: str, code: str) -> str | None:
        j = values.code_at.get(code)
        at = held[column].get(j, []) if j is not None else []
        block = values.arrays[column]
        return _joined_parts([merged[i] for i in at], names, [block[rows[i], j] for i in at])

    out: dict[str, dict[str, object]] = {}
    for row in form.value_rows:
        v: dict[str, object] = {}
        if row.code in result.totals.index:
            for m in row.numeric_measures:
                x = result.totals.at[row.code, m]
                if not (isinstance(x, float) and math.isnan(x)):
                    v[m] = x
        if "text" in row.measures:
            v["text"] = joined("text", row.code)
        v["note"] = joined("note", row.code)
        out[row.code] = v
    return out


FORM_HEADER_ROW = 9  # 1-based: the agency block, the title, "(Kèm theo …)", "Đơn vị báo cáo", the count line


def write_form(wb: Workbook, F: _Formats, result: MergeResult, values: _UnitValues | None = None) -> Worksheet:
    """Sheet 1: Phụ lục 2 with the district's totals, as a standalone administrative document to sign."""
    run = result.run
    camp, form = run.campaign, run.form
    check_layout(form)
    ws = wb.add_worksheet(form.sheet or FORM_SHEET_FALLBACK)
    last = COL_NOTE - 1
    for col, width in WIDTHS.items():
        ws.set_column(col - 1, col - 1, width)
    # agency block (left, A:B) and national motto (right, C:F), Nghị định 30/2020/NĐ-CP
    parent, office = agency_lines(camp)
    ws.set_row(0, 18)
    ws.set_row(1, 20)
    _merge(ws, 0, 0, 0, COL_LABEL - 1, parent, F(align="center", font_size=12))
    _merge(ws, 0, COL_UNIT - 1, 0, last, NATION, F(bold=True, align="center", font_size=12))
    _merge(ws, 1, 0, 1, COL_LABEL - 1, office, F(bold=True, align="center", font_size=12))
    _merge(ws, 1, COL_UNIT - 1, 1, last, MOTTO, F(bold=True, align="center", font_size=13))
    # the short rules under the agency name and under the motto
    _merge(ws, 2, 0, 2, COL_LABEL - 1, "―――――――", F(align="center", valign="top", font_size=8))
    _merge(ws, 2, COL_UNIT - 1, 2, last, "――――――――――――", F(align="center", valign="top", font_size=8))
    ws.set_row(2, 12)
    centred = {"align": "center", "text_wrap": True}
    _merge(ws, 3, 0, 3, last, form.title, F(bold=True, font_size=14, **centred))
    ws.set_row(3, 22)
    subtitle = form.subtitle_for(camp.year)
    _merge(ws, 4, 0, 4, last, subtitle, F(bold=True, font_size=13, **centred))
    ws.set_row(4, _height(_lines(subtitle, 127 * 0.9), 13))
    attached = attached_line(camp)
    _merge(ws, 5, 0, 5, last, attached, F(italic=True, **centred))
    ws.set_row(5, _height(_lines(attached, 127 * 0.9)))
    # the reader parses this line: keep "Đơn vị báo cáo: <tên>" whole in one cell
    _merge(ws, 6, 0, 6, last, f"Đơn vị báo cáo: {reporter(result)}", F(bold=True, align="left"))
    ws.set_row(6, 20)
    line = completeness_line(result)
    if result.included_invalid:
        name = _Names(result)
        names = ", ".join(name(u) or u for u in result.units_in("rejected")) or "không có"
        warn = "\n" + INVALID_NOTE.format(units=names)
        ws.merge_range(7, 0, 7, last, "", F(align="center", **{"text_wrap": True}))
        ws.write_rich_string(7, 0, F(italic=True), line, F(bold=True, font_color=RED), fit_cell(warn),
                             F(align="center", text_wrap=True))
        ws.set_row(7, _height(1 + _lines(warn.strip(), 127 * 0.9)))
    else:
        _merge(ws, 7, 0, 7, last, line, F(italic=True, align="center"))
        ws.set_row(7, 20)

    h1, h2 = FORM_HEADER_ROW - 1, FORM_HEADER_ROW  # 0-based
    head = F.header()
    for col, text in ((COL_STT, "STT"), (COL_LABEL, "Các hoạt động"), (COL_UNIT, "Đơn vị"), (COL_NOTE, "Ghi chú")):
        _merge(ws, h1, col - 1, h2, col - 1, text, head)
    _merge(ws, h1, COL_COUNT - 1, h1, COL_PEOPLE - 1, "Số lượng", head)
    _put(ws, h2, COL_COUNT - 1, MEASURE_NAMES["count"], head)
    _put(ws, h2, COL_PEOPLE - 1, MEASURE_NAMES["people"], head)
    ws.set_row(h1, 18)
    ws.set_row(h2, 33)

    data = form_values(result, values)
    totals = {rule.total for rule in form.rules}
    r = h2 + 1
    first = r
    text_width = WIDTHS[COL_COUNT] + WIDTHS[COL_PEOPLE]
    for row in form.rows:
        _form_row(ws, F, r, row, data.get(row.code, {}), row.code in totals, text_width)
        r += 1

    # the signature block
    when = result.created_at
    footer = [
        ("", f"{place_name(camp.district)}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"),
        ("NGƯỜI LẬP BIỂU", (camp.signer_title or "THỦ TRƯỞNG ĐƠN VỊ").upper()),
        ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"),
        ("", ""), ("", ""), ("", ""),
        ("", camp.signer),
    ]
    r += 1
    for k, (left, right) in enumerate(footer):
        for c0, c1, text in ((COL_STT - 1, COL_LABEL - 1, left), (COL_UNIT - 1, last, right)):
            fmt = F(bold=text.isupper() or k == len(footer) - 1, italic=text.startswith(("(", "…")) or k == 0,
                    align="center")
            _merge(ws, r, c0, r, c1, text or None, fmt)
        r += 1

    ws.freeze_panes(first, 0)
    ws.repeat_rows(h1, h2)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.6, right=0.5, top=0.6, bottom=0.6)
    ws.print_area(0, 0, r - 1, last)
    ws.set_footer(f"&C&\"{FONT_NAME}\"&10Trang &P/&N")
    return ws


def _form_row(ws: Worksheet, F: _Formats, r: int, row: Row, vals: dict[str, object], is_total: bool,
              text_width: float) -> None:
    """One form row: STT, label, unit, the value cells it uses and grey ones it does not."""
    top = bool(row.stt) or row.is_header
    bold = top or is_total
    _put(ws, r, COL_STT - 1, row.stt or None, F.cell(bold=bold, align="center"))
    _put(ws, r, COL_LABEL - 1, row.label, F.cell(bold=bold, wrap=True, indent=0 if top else 1))
    _put(ws, r, COL_UNIT - 1, row.unit or None, F.cell(wrap=True, align="center"))
    used: dict[int, str] = {}
    if "text" not in row.measures:
        for m in row.numeric_measures:
            used[MEASURE_COLUMNS[m]] = m
    if not row.is_header:
        used[COL_NOTE] = "note"
    wrapped = F.cell(wrap=True, valign="top")
    cells = [(row.label, WIDTHS[COL_LABEL] - (0 if top else 2)), (row.unit, WIDTHS[COL_UNIT]),
             (vals.get("note"), WIDTHS[COL_NOTE])]
    if "text" in row.measures:
        text = vals.get("text")
        _merge(ws, r, COL_COUNT - 1, r, COL_PEOPLE - 1, text or None, wrapped)
        cells += [(text, text_width), ("\n", 1)]  # at least two lines: room to read it
    _fit_row(ws, r, cells, always=True)
    for col in (COL_COUNT, COL_PEOPLE, COL_NOTE):
        if "text" in row.measures and col in (COL_COUNT, COL_PEOPLE):
            continue
        measure = used.get(col)
        if measure is None:
            _put(ws, r, col - 1, None, F.cell(fill=GREY))
        elif measure == "note":
            _put(ws, r, col - 1, vals.get("note") or None, wrapped)
        else:
            _put(ws, r, col - 1, _whole(vals.get(measure)), F.cell(number=True, align="right"))


# -------------------------------------------------------------------------------------- 2. Theo đơn vị

def unit_groups(result: MergeResult) -> list[tuple[str, list[str]]]:
    """Merged unit codes grouped by type, in the order of the unit list's types."""
    merged = set(result.merged_units)
    by_type: dict[str, list[str]] = {t: [] for t in result.run.units.types}
    for u in result.run.units:
        if u.code in merged:
            by_type[u.type].append(u.code)
    return [(utype, codes) for utype, codes in by_type.items() if codes]


def measure_label(row: Row, measure: str) -> str:
    """What a value row counts, in the form's own words: "lớp/người" → "lớp" and "người"."""
    parts = [p.strip() for p in row.unit.split("/")]
    if measure == "text":
        return MEASURE_NAMES["text"]
    if len(row.numeric_measures) == 2 and len(parts) == 2:
        return parts[row.numeric_measures.index(measure)]
    return row.unit or MEASURE_NAMES[measure]


def _by_unit_heading(ws: Worksheet, F: _Formats, result: MergeResult, names: _Names, last_col: int) -> None:
    run = result.run
    _title(ws, F, 0, f"SỐ LIỆU THEO ĐƠN VỊ — {run.form.subtitle_for(run.campaign.year)}", min(last_col, 11))
    ws.write_string(1, 0, f"{completeness_line(result)}. Ô trống: đơn vị không ghi số liệu; 0: đơn vị ghi 0.",
                    F(italic=True))
    if result.included_invalid:
        rejected = result.units_in("rejected")
        ws.write_string(2, 0, fit_cell(INVALID_NOTE.format(units=", ".join(names(u) or u for u in rejected)
                                                           or "không có")),
                        F(bold=True, font_color=RED))


def write_by_unit(wb: Workbook, F: _Formats, result: MergeResult, values: _UnitValues | None = None) -> Worksheet:
    """Sheet 2: every merged unit's values, by column (district) or by row (province)."""
    values = values or _UnitValues(result)
    if len(result.merged_units) > UNITS_AS_ROWS_FROM:
        return _by_unit_rows(wb, F, result, values)
    return _by_unit_columns(wb, F, result, values)


def _by_unit_columns(wb: Workbook, F: _Formats, result: MergeResult, values: _UnitValues) -> Worksheet:
    """A column per merged unit, grouped by type with a subtotal per type (a printed page per type or so),
    one row per value; then the units' notes."""
    run = result.run
    form = run.form
    names = _Names(result)
    ws = wb.add_worksheet(BY_UNIT_SHEET)
    groups = unit_groups(result)
    merged = result.merged_units
    rejected = set(result.units_in("rejected"))
    columns: list[tuple[str, str, list[str]]] = []  # (kind, key, units summed) kind: unit|subtotal|total
    for utype, codes in groups:
        columns += [("unit", c, [c]) for c in codes]
        columns.append(("subtotal", utype, codes))
    columns.append(("total", "", list(merged)))
    last_col = 3 + len(columns) - 1  # 0-based
    _by_unit_heading(ws, F, result, names, last_col)
    h_type, h_name, h_code, first = 4, 5, 6, 7  # 0-based
    head = F.header()
    for c, text in enumerate(("STT", "Các hoạt động", "Đơn vị tính")):
        _merge(ws, h_type, c, h_code, c, text, head)
    col = 3
    breaks = []
    for utype, codes in groups:
        if col > 3:
            breaks.append(col)
        _merge(ws, h_type, col, h_type, col + len(codes), type_name(utype), F.cell(bold=True, fill=HEADER_FILL,
                                                                                    align="center"))
        col += len(codes) + 1
    _put(ws, h_type, col, f"Toàn {run.campaign.district_kind}", F.cell(bold=True, fill=FILL_TOTAL, align="center"))
    for i, (kind, key, summed) in enumerate(columns):
        c = 3 + i
        if kind == "unit":
            fill = FILL_BAD if key in rejected else HEADER_FILL
            name = (names(key) or key) + (" (có lỗi)" if key in rejected else "")
            _put(ws, h_name, c, name, F.header(fill=fill))
            _put(ws, h_code, c, key, F.cell(fill=fill, align="center"))
        elif kind == "subtotal":
            _put(ws, h_name, c, f"Cộng {type_name(key)}", F.header(fill=FILL_SUBTOTAL))
            _put(ws, h_code, c, f"{len(summed)} đơn vị", F.cell(fill=FILL_SUBTOTAL, align="center"))
        else:
            _put(ws, h_name, c, "Tổng cộng", F.header(fill=FILL_TOTAL))
            _put(ws, h_code, c, f"{len(merged)} đơn vị", F.cell(fill=FILL_TOTAL, align="center"))
    unit_width = 14
    ws.set_column(3, last_col, unit_width)
    longest = max((_lines(names(k) or k, unit_width * 0.9) for kind, k, _ in columns if kind == "unit"), default=2)
    ws.set_row(h_name, _height(max(longest, 3)))
    for c, w in ((0, 6), (1, 48), (2, 12)):
        ws.set_column(c, c, w)

    spans: list[tuple[int, int]] = []  # (first column, number of units) of each group
    col = 3
    for _, codes in groups:
        spans.append((col, len(codes)))
        col += len(codes) + 1
    total_col = col
    group_rows = [values.rows(codes) for _, codes in groups]
    merged_rows = values.rows(merged)
    unit_rows = values.rows([key for kind, key, _ in columns if kind == "unit"])
    fmt_number = F.cell(number=True)
    fmt_sub = F.cell(number=True, bold=True, fill=FILL_SUBTOTAL)
    fmt_total = F.cell(number=True, bold=True, fill=FILL_TOTAL)
    fills = {"unit": F.cell(wrap=True, valign="top"), "subtotal": F.cell(fill=FILL_SUBTOTAL),
             "total": F.cell(fill=FILL_TOTAL)}
    blank_sub, blank_total = F.cell(fill=FILL_SUBTOTAL), F.cell(fill=FILL_TOTAL)

    def value_cells(r: int, measure: str | None, code: str) -> None:
        if measure == "text":
            texts = iter(values.column("text", code, unit_rows))
            for i, (kind, _, _) in enumerate(columns):
                text = next(texts) if kind == "unit" else None
                _put(ws, r, 3 + i, text if isinstance(text, str) and text else None, fills[kind])
            return
        for (start, n), rows in zip(spans, group_rows):
            if measure is None:  # a heading row: blank, bordered
                for c in range(start, start + n):
                    ws.write_blank(r, c, None, fmt_number)
                ws.write_blank(r, start + n, None, blank_sub)
                continue
            numbers = values.numbers(measure, code, rows)
            for c, v in enumerate(numbers.tolist(), start=start):
                if v != v:
                    ws.write_blank(r, c, None, fmt_number)
                else:
                    ws.write_number(r, c, v, fmt_number)
            _put(ws, r, start + n, _sum_floats(numbers), fmt_sub)
        if measure is None:
            ws.write_blank(r, total_col, None, blank_total)
        else:
            _put(ws, r, total_col, _sum_floats(values.numbers(measure, code, merged_rows)), fmt_total)

    label_width = 48
    r = first
    for row in form.rows:
        measures = list(row.numeric_measures) or (["text"] if "text" in row.measures else [None])
        top = bool(row.stt) or row.is_header
        span = len(measures)
        lines = _lines(row.label, label_width * 0.9)
        # a label over its measures' rows is one merged cell: each of those rows gets its share of the lines
        per = max(math.ceil(lines / span), 1)
        if "text" in measures:
            texts = [t for t in values.column("text", row.code, unit_rows) if isinstance(t, str)]
            per = max(per, *(_lines(t, unit_width * 0.9) for t in texts)) if texts else per
        if per > 1:
            for k in range(span):
                ws.set_row(r + k, _height(per))
        _merge(ws, r, 0, r + span - 1, 0, row.stt or None, F.cell(bold=top, align="center"))
        _merge(ws, r, 1, r + span - 1, 1, row.label, F.cell(bold=top, wrap=True))
        for k, measure in enumerate(measures):
            _put(ws, r + k, 2, measure_label(row, measure) if measure else None, F.cell(wrap=True))
            value_cells(r + k, measure, row.code)
        r += span
    last_value_row = r - 1
    ws.freeze_panes(first, 3)
    ws.repeat_rows(h_type, h_code)
    ws.repeat_columns(0, 2)
    _landscape(ws, fit_width=False)
    ws.set_print_scale(PRINT_SCALE)
    if breaks:
        ws.set_v_pagebreaks(breaks)

    # the units' notes, which no number column can hold (unit by unit, in form order)
    merged_array_rows = values.rows(merged)
    block = values.arrays["note"][merged_array_rows]
    notes = []
    for i, j in zip(*np.nonzero(pd.notna(block))):
        text = block[i, j]
        if isinstance(text, str) and text:
            notes.append((merged[i], form.value_rows[j].code, text))
    if notes:
        r += 1
        ws.set_row(r, 22)
        _merge(ws, r, 0, r, 2, "Ghi chú của các đơn vị", F(bold=True, font_size=12, align="left"))
        r += 1
        _put(ws, r, 0, "STT", head)
        _put(ws, r, 1, "Đơn vị", head)
        _put(ws, r, 2, "Hàng", head)
        note_end = max(last_col, 3 + 7)
        note_width = unit_width * (note_end - 3 + 1)
        _merge(ws, r, 3, r, note_end, "Ghi chú", head)
        for n, (unit, code, text) in enumerate(notes, start=1):
            r += 1
            lines = max(_lines(text, note_width * 0.9), _lines(names(unit) or "", label_width * 0.9))
            if lines > 1:
                ws.set_row(r, _height(lines))
            _put(ws, r, 0, n, F.cell(align="center"))
            _put(ws, r, 1, names(unit), F.cell(wrap=True))
            _put(ws, r, 2, code, F.cell(align="center"))
            _merge(ws, r, 3, r, note_end, text, F.cell(wrap=True, valign="top"))
    ws.print_area(0, 0, max(r, last_value_row), max(last_col, 3 + 7 if notes else last_col))
    return ws


def value_columns(form_rows: Sequence[Row]) -> list[tuple[Row, str]]:
    """The (form row, measure) pairs of "Theo đơn vị" by row: every numeric measure and text, in form order."""
    out = []
    for row in form_rows:
        for m in row.numeric_measures:
            out.append((row, m))
        if "text" in row.measures:
            out.append((row, "text"))
    return out


def _by_unit_rows(wb: Workbook, F: _Formats, result: MergeResult, values: _UnitValues) -> Worksheet:
    """A row per merged unit (a province), the form's (row, measure) pairs as columns, autofilter and frozen
    panes; subtotals per type and the total under the table. Works to a million units."""
    run = result.run
    form = run.form
    names = _Names(result)
    ws = wb.add_worksheet(BY_UNIT_SHEET)
    pairs = value_columns(form.rows)
    fixed = ("STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng")
    first_value = len(fixed)
    note_col = first_value + len(pairs)
    last_col = note_col
    _by_unit_heading(ws, F, result, names, 10)
    h_code, h_label, h_measure = 4, 5, 6  # 0-based header rows: STT of the row, its label, the measure
    head = F.header()
    small_head = F.header(font_size=10)
    for c, text in enumerate(fixed):
        _merge(ws, h_code, c, h_measure, c, text, head)
    for k, (row, measure) in enumerate(pairs):
        c = first_value + k
        _put(ws, h_code, c, f"Hàng {row.stt}" if row.stt else row.code, head)
        _put(ws, h_label, c, row.label, small_head)
        _put(ws, h_measure, c, measure_label(row, measure), head)
    _merge(ws, h_code, note_col, h_measure, note_col, "Ghi chú của đơn vị", head)
    ws.set_row(h_label, 150)
    ws.set_column(0, 0, 7)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 34)
    ws.set_column(3, 3, 10)
    ws.set_column(4, 4, 13)
    ws.set_column(first_value, note_col - 1, 12)
    for k, (_row, measure) in enumerate(pairs):
        if measure == "text":
            ws.set_column(first_value + k, first_value + k, 40)
    ws.set_column(note_col, note_col, 50)

    merged = result.merged_units
    rows = values.rows(merged)
    numeric = [(k, values.numbers(m, row.code, rows)) for k, (row, m) in enumerate(pairs) if m != "text"]
    grid = np.column_stack([a for _, a in numeric]) if numeric else np.empty((len(merged), 0))
    numeric_cols = [first_value + k for k, _ in numeric]
    texts = [(first_value + k, values.column("text", row.code, rows)) for k, (row, m) in enumerate(pairs)
             if m == "text"]
    note_block = values.arrays["note"][rows]
    noted = pd.notna(note_block)  # once for the block: most units write no note
    has_note = noted.any(axis=1)
    row_codes = [r.code for r in form.value_rows]
    status = run.unit_status
    units_by_code = {u.code: u for u in run.units}
    fmt_number = F.cell(number=True, border=False)
    fmt_text = F.cell(border=False, wrap=True, valign="top")
    fmt_plain = F.cell(border=False)
    fmt_center = F.cell(border=False, align="center")
    first = h_measure + 1
    write_number = ws.write_number
    for i, (code, numbers) in enumerate(zip(merged, grid.tolist())):
        r = first + i
        unit = units_by_code.get(code)
        ws.write_number(r, 0, i + 1, fmt_center)
        ws.write_string(r, 1, code, fmt_plain)
        name = names(code) or code
        ws.write_string(r, 2, name, fmt_text)
        if len(name) > 30:
            _fit_row(ws, r, [(name, 34)])
        ws.write_string(r, 3, type_name(unit.type if unit else ""), fmt_plain)
        ws.write_string(r, 4, UNIT_STATE_NAMES.get(status[code].status, status[code].status), fmt_plain)
        for c, v in zip(numeric_cols, numbers):
            if v == v:
                write_number(r, c, v, fmt_number)
        for c, column in texts:
            text = column[i]
            if isinstance(text, str) and text:
                ws.write_string(r, c, fit_cell(text), fmt_text)
        notes = [f"{row_codes[j]}: {note_block[i, j]}" for j in np.flatnonzero(noted[i])
                 if isinstance(note_block[i, j], str) and note_block[i, j]] if has_note[i] else None
        if notes:
            ws.write_string(r, note_col, fit_cell("\n".join(notes)), fmt_text)
    last = first + len(merged) - 1
    ws.autofilter(h_measure, 0, max(last, first), last_col)
    ws.freeze_panes(first, 3)

    # under the table (outside the filter): a subtotal per type and the total
    r = max(last, first) + 2
    groups = unit_groups(result)
    at = {code: i for i, code in enumerate(merged)}
    sums = [(f"Cộng {type_name(utype)} ({len(codes)} đơn vị)", [at[c] for c in codes], FILL_SUBTOTAL)
            for utype, codes in groups]
    sums.append((f"Toàn {run.campaign.district_kind} ({len(merged)} đơn vị)", list(range(len(merged))), FILL_TOTAL))
    for label, picked, fill in sums:
        _merge(ws, r, 0, r, 4, label, F.cell(bold=True, fill=fill))
        block = grid[picked] if len(picked) else np.empty((0, grid.shape[1]))
        fmt = F.cell(number=True, bold=True, fill=fill)
        for k, c in enumerate(numeric_cols):
            _put(ws, r, c, _sum_floats(block[:, k]) if len(picked) else None, fmt)
        r += 1
    ws.repeat_rows(h_code, h_measure)
    ws.repeat_columns(0, 2)
    _landscape(ws, fit_width=False)
    ws.set_print_scale(PRINT_SCALE)
    ws.print_area(0, 0, r - 1, last_col)
    ws.hide_gridlines(0)  # printed too: the unit rows have no borders (a blank needs no cell)
    return ws


# ------------------------------------------------------------------------------ 3. Tình hình nộp báo cáo

STATUS_HEADERS = ("STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng", "Tệp", "Thời điểm gửi (lưu tệp)",
                  "Hạn nộp", "Số lỗi", "Số cảnh báo", "Email", "Ghi chú")
STATUS_WIDTHS = (6, 10, 28, 10, 14, 26, 16, 12, 7, 9, 22, 34)  # 7.4 pt on paper, fitted to the width
PARTS_NAMES = {"schedule": "lịch tuần lễ", "narrative": "phần báo cáo (Phụ lục 1)"}
PARTS_SENT = {"schedule": "lịch hoạt động", "narrative": "phần báo cáo (Phụ lục 1)"}


def unit_saved_at(report: FileReport | None) -> dt.datetime | None:
    """The save time the workbook itself carries (identity sheet), None when only the file's time is known.

    Lateness is judged on this time only, as ``check`` does: a file saved from an email or copied into the
    folder takes the day of the copy, which says nothing about when the unit finished it.
    """
    if report is None or report.saved_at is None or report.saved_at == report.received_at:
        return None
    return report.saved_at


def parts_only_files(result: MergeResult) -> list[FileReport]:
    """Files holding only a schedule or a narrative (no form): used for "Lịch tuần lễ" and "Tổng hợp báo cáo",
    never standing for a unit's numbers (the terminal says the same)."""
    return [f for f in result.run.files
            if f.parts and "form" not in f.parts and f.status in ("accepted", "rejected")]


def other_files(result: MergeResult) -> list[FileReport]:
    """Files of the folder that are used for nothing: superseded, unknown unit, not a report… (not those that
    wait for the clerk's confirmation, listed apart)."""
    current = {s.file for s in result.run.unit_status.values() if s.file}
    parts_only = {id(f) for f in parts_only_files(result)}
    return [f for f in result.run.files
            if f.file not in current and id(f) not in parts_only and f.status != "unconfirmed"]


def _mail_note(record: MailRecord | None) -> str | None:
    """When and from which address the mail server received a fetched file ("nhận lúc", never a save time)."""
    if record is None or record.received_at is None:
        return None
    sender = f", từ {record.sender}" if record.sender else ""
    return f"Nhận qua thư lúc {received_text(record.received_at)} (giờ máy chủ thư){sender}."


def unit_lateness(report: FileReport | None, record: MailRecord | None, deadline: dt.date | None) -> str | None:
    """"Hạn nộp" of a unit's row, judged as ``check`` judges it: by the mail server's receipt time for a file
    fetched by mail, else by the save time the workbook carries (never the day of a copy)."""
    if record is not None and record.received_at is not None:
        return lateness(record.received_at, deadline)
    return lateness(unit_saved_at(report), deadline)


def _unit_note(code: str, state: str, parts_sent: dict[str, list[str]], claimed: dict[str, list[str]],
               report: FileReport | None = None, record: MailRecord | None = None) -> str | None:
    """"Ghi chú" of a unit's row: a file that may be its own waits for confirmation; only a schedule came;
    when the mail server received its file and from whom; what a resubmission changed (old → new), so that it
    can be reviewed; another unit's identical values."""
    notes = []
    mailed = _mail_note(record)
    if mailed:
        notes.append(mailed)
    if code in claimed:
        notes.append(f"Tệp cần xác nhận có thể của đơn vị này: {', '.join(claimed[code])}.")
    if report is not None and report.replaces:
        shown = "; ".join(c.describe() for c in report.changes[:12]) + ("; …" if len(report.changes) > 12 else "")
        notes.append(f"Thay bản {report.replaces}: " + (f"{len(report.changes)} ô thay đổi: {shown}."
                                                         if report.changes else "không ô số liệu nào thay đổi."))
    if report is not None and report.same_as:
        notes.append(f"Số liệu giống hệt tệp {_some_files(report.same_as, report.same_count)} của đơn vị khác.")
    if state == "missing" and code in parts_sent:
        notes.append(f"Đã gửi {' và '.join(parts_sent[code])}, chưa gửi biểu số liệu.")
    return "\n".join(notes) or None


SAME_AS_SHOWN = 3  # files named in a unit's note; a province's copies of one file would fill a page per row


def _some_files(files: Sequence[str], total: int | None = None, shown: int = SAME_AS_SHOWN) -> str:
    """The first few file names, then how many more of ``total`` (default: all given): "a.xlsx, b.xlsx,
    c.xlsx và 12 tệp khác"."""
    total = max(total or 0, len(files))
    if total <= shown:
        return ", ".join(files)
    return f"{', '.join(files[:shown])} và {total - shown} tệp khác"


def _evidence_note(report: FileReport) -> str:
    """Why a file needs the clerk's confirmation: each piece of evidence of who sent it, and the line that
    settles it in the campaign file."""
    from consolidate.campaign import confirm_line

    lines = [e.describe() for e in sorted(report.evidence, key=lambda e: -e.strength)]
    if report.claims:
        lines.append(f"Xác nhận: thêm vào mục [xac_nhan] của tệp đợt báo cáo dòng {confirm_line(report.file, report.claims[0])}")
    return "\n".join(lines) or FILE_STATUS_NAMES.get(report.status, report.status)


# the issue that says why a file with this status is left out, before any other
_REASON_CODES = {"superseded": ("superseded",), "unknown_unit": ("unit-unknown", "unit-ambiguous"),
                 "not_a_report": ("not-a-report", "lock-file")}


def _reason(report: FileReport) -> str:
    codes = _REASON_CODES.get(report.status, ())
    chosen = ([i for i in report.issues if i.code in codes] or [i for i in report.issues if i.severity == "error"]
              or report.issues)
    return "\n".join(i.message for i in chosen[:3]) or FILE_STATUS_NAMES.get(report.status, report.status)


def _parts_use(report: FileReport) -> str:
    """What a schedule-/narrative-only file is used for, in the terminal's words."""
    used = [PARTS_NAMES[p] for p in report.parts if p in PARTS_NAMES]
    return "dùng cho " + " và ".join(used) if used else "không có số liệu"


def write_status(wb: Workbook, F: _Formats, result: MergeResult) -> Worksheet:
    """Sheet 3: one table under one repeated header: every unit with its status, file, time, lateness and
    counts; then the files used for the schedule or narrative only; then every file not used, with why."""
    run = result.run
    names = _Names(result)
    ws = wb.add_worksheet(STATUS_SHEET)
    by_file = {f.file: f for f in run.files}
    deadline = run.campaign.deadline
    last_col = len(STATUS_HEADERS) - 1
    _title(ws, F, 0, f"TÌNH HÌNH NỘP BÁO CÁO — {run.campaign.title}", last_col)
    ws.set_row(0, 22)
    states = {s: len(result.units_in(s)) for s in ("unconfirmed", "accepted", "rejected", "missing")}
    due = deadline.strftime("%d/%m/%Y") if deadline else "(chưa định)"
    pending = f"{states['unconfirmed']} cần xác nhận, " if states["unconfirmed"] else ""
    summary = (f"{len(run.units)} đơn vị: {pending}{states['accepted']} đã nộp hợp lệ, {states['rejected']} có lỗi, "
               f"{states['missing']} chưa nộp. Hạn nộp: {due}. Lập lúc {stamp(result.created_at)}.")
    ws.write_string(1, 0, summary, F(italic=True))
    head = 3  # 0-based header row
    for c, (text, width) in enumerate(zip(STATUS_HEADERS, STATUS_WIDTHS)):
        _put(ws, head, c, text, F.header())
        ws.set_column(c, c, width)
    ws.set_row(head, _height(2))
    plain = F.cell()
    wrap = F.cell(wrap=True)
    center = F.cell(align="center")
    when_fmt = F.cell(num_format="dd/mm/yyyy hh:mm", align="center")
    formats = [center, center, wrap, wrap, wrap, wrap, when_fmt, center, center, center, wrap, wrap]
    # a unit whose schedule or narrative came in the first round is missing only its numbers (as the
    # terminal says it)
    parts_sent: dict[str, list[str]] = {}
    for f in parts_only_files(result):
        if f.unit:
            sent = parts_sent.setdefault(f.unit, [])
            sent += [PARTS_SENT[p] for p in f.parts if p in PARTS_SENT and PARTS_SENT[p] not in sent]
    # a unit named by a file whose evidence disagrees: which files, for the clerk to confirm
    unconfirmed = [f for f in run.files if f.status == "unconfirmed"]
    claimed: dict[str, list[str]] = {}
    for f in unconfirmed:
        for code in f.claims:
            claimed.setdefault(code, []).append(f.file)
    mail: dict[str, MailRecord] = run.extras.get("mail") or {}  # files fetched by mail (consolidate fetch)
    r = head
    for n, unit in enumerate(run.units, start=1):
        r += 1
        st = run.unit_status.get(unit.code)
        state = st.status if st else "missing"
        report = by_file.get(st.file) if st and st.file else None
        # the save time the workbook carries ("lưu lúc"), never the day it was copied into the folder; a file
        # fetched by mail is on time or late by the server's receipt time ("nhận lúc", in the note), as in check
        when = unit_saved_at(report)
        record = mail.get(report.file) if report is not None else None
        row = (n, unit.code, unit.name, unit.type, UNIT_STATE_NAMES.get(state, state), st.file if st else None,
               when, unit_lateness(report, record, deadline), report.errors if report else None,
               report.warnings if report else None, unit.email,
               _unit_note(unit.code, state, parts_sent, claimed, report, record))
        for c, value in enumerate(row):
            _put(ws, r, c, value, formats[c] if value is not None or c != 6 else plain)
        _fit_row(ws, r, [(row[c], STATUS_WIDTHS[c]) for c in (2, 3, 4, 5, 10, 11)])
    last = r
    ws.autofilter(head, 0, max(last, head + 1), last_col)
    ws.freeze_panes(head + 1, 3)
    if last > head:
        span = (head + 1, 4, last, 4)
        for text, fill in ((UNIT_STATE_NAMES["accepted"], FILL_OK), (UNIT_STATE_NAMES["rejected"], FILL_BAD),
                           (UNIT_STATE_NAMES["missing"], FILL_MISSING),
                           (UNIT_STATE_NAMES.get("unconfirmed", "cần xác nhận"), FILL_CONFIRM)):
            ws.conditional_format(*span, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                          "format": wb.add_format({"bg_color": fill})})
        ws.conditional_format(head + 1, 7, last, 7, {"type": "formula", "criteria": f'=LEFT(H{head + 2},4)="Muộn"',
                                                     "format": wb.add_format({"bg_color": FILL_BAD})})
        ws.conditional_format(head + 1, 8, last, 8, {"type": "cell", "criteria": ">", "value": 0,
                                                     "format": wb.add_format({"bg_color": FILL_BAD})})
    r += 1
    note = ("Hạn nộp được so với thời điểm đơn vị lưu tệp ghi trong biểu mẫu; để trống khi tệp không có thông tin "
            "này (thời điểm chép tệp vào thư mục không cho biết đơn vị nộp lúc nào)."
            + (" Tệp tải từ hộp thư được so theo thời điểm máy chủ thư nhận thư (ghi ở cột Ghi chú)." if mail else ""))
    _merge(ws, r, 0, r, last_col, note, F(italic=True, font_size=10, text_wrap=True, align="left"))
    ws.set_row(r, _height(_lines(note, sum(STATUS_WIDTHS) * 1.1), 10))

    # the files that are no unit's current report, in the same columns under the same header
    section = F.cell(bold=True, fill=FILL_SUBTOTAL, align="left")
    file_fmt = [center, center, wrap, wrap, wrap, wrap, when_fmt, center, center, center, wrap, wrap]

    def file_rows(title: str, files: list[FileReport], state: object, reason: object) -> int:
        nonlocal r
        r += 2
        _merge(ws, r, 0, r, last_col, title, section)
        ws.set_row(r, 20)
        for n, f in enumerate(files, start=1):
            r += 1
            row = (n, f.unit, names(f.unit), None, state(f), f.file, unit_saved_at(f), None, f.errors, f.warnings, None,
                   reason(f))
            for c, value in enumerate(row):
                _put(ws, r, c, value, file_fmt[c] if value is not None or c != 6 else plain)
            _fit_row(ws, r, [(row[c], STATUS_WIDTHS[c]) for c in (2, 4, 5, 11)])
        return r

    if unconfirmed:
        # first what the clerk must decide: these files count for nobody until the campaign file says whose
        file_rows(f"CÁC TỆP CẦN XÁC NHẬN ĐƠN VỊ GỬI ({len(unconfirmed)} tệp, chưa được tính cho đơn vị nào)",
                  unconfirmed, lambda f: FILE_STATUS_NAMES.get(f.status, f.status), _evidence_note)
    used = parts_only_files(result)
    if used:
        file_rows(f"CÁC TỆP CHỈ CÓ LỊCH HOẠT ĐỘNG HOẶC PHẦN BÁO CÁO ({len(used)} tệp, không có số liệu)", used,
                  _parts_use, lambda f: "\n".join(i.message for i in f.issues[:3]) or None)
    others = other_files(result)
    file_rows(f"CÁC TỆP KHÁC TRONG THƯ MỤC ({len(others)} tệp không được dùng để tổng hợp)", others,
              lambda f: FILE_STATUS_NAMES.get(f.status, f.status), _reason)
    ws.repeat_rows(head)
    _landscape(ws)
    ws.print_area(0, 0, r, last_col)
    return ws


# ------------------------------------------------------------------------------------ 4. Lỗi và cảnh báo

ISSUE_HEADERS = ("STT", "Mức độ", "Loại", "Tệp", "Đơn vị", "Trang", "Ô", "Hàng", "Số liệu", "Giá trị",
                 "Nội dung", "Mã lỗi")
ISSUE_WIDTHS = (6, 10, 20, 24, 22, 12, 6, 7, 12, 14, 56, 20)
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_MEASURE_SHOWN = {**MEASURE_NAMES, "note": "Ghi chú"}


def all_issues(result: MergeResult) -> list[tuple[Issue, str | None]]:
    """Every issue with the unit it concerns, errors first, then warnings, then information; within a
    severity the files' issues in file order, then the merge's own."""
    out = [(i, i.unit or f.unit) for f in result.run.files for i in f.issues]
    out += [(i, i.unit) for i in result.issues]
    return sorted(out, key=lambda pair: _SEVERITY_ORDER.get(pair[0].severity, 3))


def issue_kind(issue: Issue) -> str:
    """The kind of an issue in Vietnamese (the catalogue's title)."""
    kind = CATALOGUE.get(issue.code)
    return kind.title if kind is not None else issue.code


def write_issues(wb: Workbook, F: _Formats, result: MergeResult) -> Worksheet:
    """Sheet 4: every issue, one per row, errors first, with a title, a repeated header and an autofilter."""
    names = _Names(result)
    ws = wb.add_worksheet(ISSUES_SHEET)
    issues = all_issues(result)
    last_col = len(ISSUE_HEADERS) - 1
    _title(ws, F, 0, f"LỖI VÀ CẢNH BÁO — {result.run.campaign.title}", last_col)
    ws.set_row(0, 22)
    counts = {s: sum(1 for i, _ in issues if i.severity == s) for s in _SEVERITY_ORDER}
    ws.write_string(1, 0, f"{counts['error']} lỗi (đơn vị phải sửa và gửi lại), {counts['warning']} cảnh báo, "
                          f"{counts['info']} thông tin. Lập lúc {stamp(result.created_at)}.", F(italic=True))
    head = 3
    for c, (text, width) in enumerate(zip(ISSUE_HEADERS, ISSUE_WIDTHS)):
        _put(ws, head, c, text, F.header())
        ws.set_column(c, c, width)
    center = F.cell(align="center")
    wrap = F.cell(wrap=True)
    formats = [center, F.cell(bold=True, align="center"), wrap, wrap, wrap, wrap, center, center, wrap, wrap,
               wrap, F.cell()]
    r = head
    for n, (issue, unit) in enumerate(issues, start=1):
        r += 1
        row = (n, SEVERITY_NAMES[issue.severity], issue_kind(issue), issue.file, names(unit), issue.sheet,
               issue.cell, issue.indicator, _MEASURE_SHOWN.get(issue.measure or "", issue.measure), issue.value,
               issue.message, issue.code)
        for c, value in enumerate(row):
            _put(ws, r, c, value, formats[c])
        _fit_row(ws, r, [(row[c], ISSUE_WIDTHS[c]) for c in (2, 3, 4, 5, 8, 9, 10)])
    ws.autofilter(head, 0, max(r, head + 1), last_col)
    ws.freeze_panes(head + 1, 0)
    if r > head:
        ws.conditional_format(head + 1, 1, r, 1, {"type": "cell", "criteria": "==",
                                                  "value": f'"{SEVERITY_NAMES["error"]}"',
                                                  "format": wb.add_format({"bg_color": FILL_BAD})})
        ws.conditional_format(head + 1, 1, r, 1, {"type": "cell", "criteria": "==",
                                                  "value": f'"{SEVERITY_NAMES["warning"]}"',
                                                  "format": wb.add_format({"bg_color": FILL_MISSING})})
    ws.repeat_rows(head)
    _landscape(ws)
    ws.print_area(0, 0, max(r, head), last_col)
    return ws


# ------------------------------------------------------------------------------------------ 5. Biểu đồ

CHART_HEADERS = ("Loại đơn vị", "Số đơn vị", "Đã nộp hợp lệ", "Có lỗi", "Chưa nộp",
                 "Số lớp bồi dưỡng (mục 1)", "Số người tham gia (mục 1)")
CHART_WIDTHS = (18, 10, 12, 9, 10, 16, 16)
ROW_PX = 20  # a default row (15 pt) in pixels
PAGE_ROWS = 46  # default rows on a portrait A4 page between the margins
CHART_ROWS = 16  # rows a chart takes, with a row of space under it


def by_type(result: MergeResult, values: _UnitValues | None = None) -> list[tuple[str, int, int, int, int, float, float]]:
    """Per unit type: units, accepted, rejected, missing, and the merged classes (1) and participants (1.0)."""
    run = result.run
    values = values or _UnitValues(result)
    merged = set(result.merged_units)
    rows = []
    for utype in run.units.types:
        codes = [u.code for u in run.units if u.type == utype]
        state = [run.unit_status[c].status for c in codes]
        reported = values.rows([c for c in codes if c in merged])
        classes = _sum_floats(values.numbers("count", "1", reported)) or 0.0
        people = _sum_floats(values.numbers("people", "1.0", reported)) or 0.0
        rows.append((type_name(utype), len(codes), state.count("accepted"), state.count("rejected"),
                     state.count("missing"), classes, people))
    return rows


def write_charts(wb: Workbook, F: _Formats, result: MergeResult, values: _UnitValues | None = None) -> Worksheet:
    """Sheet 5: a small table by unit type and native bar charts, one under the other, none cut by a page."""
    ws = wb.add_worksheet(CHART_SHEET)
    name = CHART_SHEET
    last_col = len(CHART_HEADERS) - 1
    _title(ws, F, 0, "TÌNH HÌNH NỘP VÀ KẾT QUẢ THEO LOẠI ĐƠN VỊ", last_col)
    ws.set_row(0, 22)
    head = 2
    for c, (text, width) in enumerate(zip(CHART_HEADERS, CHART_WIDTHS)):
        _put(ws, head, c, text, F.header())
        ws.set_column(c, c, width)
    ws.set_row(head, _height(2))
    data = by_type(result, values)
    text_fmt, number_fmt = F.cell(), F.cell(number=True)
    for i, row in enumerate(data, start=head + 1):
        for c, value in enumerate(row):
            _put(ws, i, c, _whole(value), text_fmt if c == 0 else number_fmt)
    last = head + len(data)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.6, right=0.6, top=0.6, bottom=0.6)
    ws.set_footer(f"&C&\"{FONT_NAME}\"&10Trang &P/&N")
    if not data:
        return ws
    cats = [name, head + 1, 0, last, 0]
    font = {"name": FONT_NAME}

    def chart(kind: dict, title: str, y_title: str, series: list[tuple[int, str | None]]) -> object:
        ch = wb.add_chart(kind)
        for col, colour in series:
            s: dict[str, object] = {"name": [name, head, col], "categories": cats,
                                    "values": [name, head + 1, col, last, col], "gap": 80}
            if colour:
                s["fill"] = {"color": colour}
            ch.add_series(s)
        ch.set_title({"name": title, "name_font": {**font, "size": 12, "bold": True}})
        ch.set_y_axis({"name": y_title, "name_font": {**font, "size": 10}, "num_font": {**font, "size": 10},
                       "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        ch.set_x_axis({"num_font": {**font, "size": 10}})
        ch.set_legend({"position": "bottom", "font": {**font, "size": 10}} if len(series) > 1 else {"none": True})
        ch.set_size({"width": 640, "height": (CHART_ROWS - 1) * ROW_PX})
        return ch

    charts = [
        chart({"type": "column", "subtype": "stacked"}, "Tình hình nộp báo cáo theo loại đơn vị", "Số đơn vị",
              [(2, "#70AD47"), (3, "#C00000"), (4, "#FFC000")]),
        chart({"type": "column"}, "Số người tham gia các lớp bồi dưỡng theo loại đơn vị", "Người", [(6, "#4472C4")]),
        chart({"type": "column"}, "Số lớp bồi dưỡng theo loại đơn vị", "Lớp", [(5, "#ED7D31")]),
    ]
    # one under another, a page break before any chart that would not fit on what is left of the page
    # (the title and header rows above the table are taller than the default: three rows more)
    at = last + 2
    page_top, taller = 0, 3
    breaks = []
    for ch in charts:
        if at - page_top + taller + CHART_ROWS > PAGE_ROWS:
            breaks.append(at)
            page_top, taller = at, 0
        ws.insert_chart(at, 0, ch, {"x_offset": 4, "y_offset": 4, "object_position": 1})
        at += CHART_ROWS
    if breaks:
        ws.set_h_pagebreaks(breaks)
    ws.print_area(0, 0, at, last_col)
    return ws


# ------------------------------------------------------------------------------------ the hidden identity

def write_identity(wb: Workbook, F: _Formats, result: MergeResult) -> Worksheet:
    """The hidden identity sheet (identity.py) of the summary as a return: form, year, save time.

    No unit code (the district is not on the district's own list); the province's reader tells the district
    by the "Đơn vị báo cáo" line, checks the form and year, and keeps the newest of two summaries by
    ``saved_at``, written as a value (not ``=NOW()``): nothing in the summary is a formula.
    """
    run = result.run
    ws = wb.add_worksheet(IDENTITY_SHEET)
    rows = result.identity_rows(reporter(result))  # the district's code and pedigree (issue 14)
    for i, (key, value) in enumerate(rows):
        ws.write_string(i, 0, key)
        _put(ws, i, 1, value)
    ws.write_string(len(rows), 0, "saved_at")
    ws.write_datetime(len(rows), 1, result.created_at, wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
    ws.hide()
    return ws


# ------------------------------------------------------------------------------------------- the workbook

def _has_schedule(result: MergeResult) -> bool:
    return bool(result.run.extras.get("schedule")) or any("schedule" in f.parts for f in result.run.files)


def _has_narrative(result: MergeResult) -> bool:
    compiled = result.run.extras.get("narrative") or {}
    return any(compiled.values()) or any("narrative" in f.parts for f in result.run.files)


def write_summary(path: str | Path, result: MergeResult) -> Path:
    """Write the summary workbook to ``path`` (``merge`` passes the temporary file of an atomic write)."""
    path = Path(path)
    collecting = gc.isenabled()
    # a province's workbook is a million small objects (a tuple per cell) that all live until close: the
    # cyclic collector, run again and again over them as they pile up, took a fifth of the write at 10,000
    # units. Whatever cycles the workbook holds are collected once the collector runs again.
    gc.disable()
    try:
        return _write_workbook(path, result)
    finally:
        if collecting:
            gc.enable()


def _write_workbook(path: Path, result: MergeResult) -> Path:
    from consolidate.narrative import write_narrative_summary
    from consolidate.schedule import write_schedule_summary

    run = result.run
    # in_memory: the parts are assembled in memory, not in one temporary file each
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "nan_inf_to_errors": False, "in_memory": True})
    F = _Formats(wb)
    values = _UnitValues(result)
    write_form(wb, F, result, values)
    write_by_unit(wb, F, result, values)
    write_status(wb, F, result)
    write_issues(wb, F, result)
    write_charts(wb, F, result, values)
    if _has_schedule(result):
        write_schedule_summary(wb, list(run.extras.get("schedule") or []), run.campaign)
    if _has_narrative(result):
        write_narrative_summary(wb, dict(run.extras.get("narrative") or {}), run.campaign)
    write_identity(wb, F, result)
    wb.set_properties({"title": f"{run.form.name} — {run.campaign.district or run.campaign.title}",
                       "author": run.campaign.office or "consolidate", "created": result.created_at})
    wb.close()
    # each XlsxWriter worksheet keeps the workbook's add_format (a reference cycle), so its cells would wait
    # for the cyclic collector: one pass over 760,000 cell tuples, ~0.5 s after a write of 10,000 units.
    # Emptied once the file is closed, they are freed here, by their reference counts.
    for sheet in wb.worksheets():
        vars(sheet).clear()
    return path
