"""The district summary workbook that ``merge`` writes: the official form with the district's totals
(readable back by the reader, so a province can merge districts with the same tool), the values per unit
grouped by type, who has and has not reported, every issue, and a chart.

Every string that came from a unit (names, notes, file names, issue values) is written as text, never as a
formula (``templates.set_text``), so a note "=HYPERLINK(…)" stays visible text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from consolidate.campaign import place_name
from consolidate.form import MEASURE_NAMES, Row
from consolidate.identity import IDENTITY_SHEET, identity_rows
from consolidate.issues import SEVERITY_NAMES, Issue
from consolidate.results import FILE_STATUS_NAMES, UNIT_STATE_NAMES, FileReport
from consolidate.templates import (
    BORDER, COL_NOTE, FONT_NAME, HEADER_FILL, LINE_HEIGHT, NUMBER_FORMAT, write_form_sheet,
)
from consolidate.text import EXCEL_CELL_LIMIT, set_text

if TYPE_CHECKING:
    from consolidate.merge import MergeResult

BY_UNIT_SHEET = "Theo đơn vị"
STATUS_SHEET = "Tình hình nộp báo cáo"
ISSUES_SHEET = "Lỗi và cảnh báo"
CHART_SHEET = "Biểu đồ"
INVALID_NOTE = ("LƯU Ý: biểu này có cộng cả số liệu CHƯA KIỂM TRA của các đơn vị có lỗi "
                "(tổng hợp với --include-invalid): {units}.")
ON_TIME = "Đúng hạn"
CUT_MARK = f" … (còn tiếp: xem trang \"{BY_UNIT_SHEET}\")"
RED = "C00000"
FILL_OK = PatternFill("solid", fgColor="C6EFCE")
FILL_BAD = PatternFill("solid", fgColor="FFC7CE")
FILL_MISSING = PatternFill("solid", fgColor="FFEB9C")
FILL_SUBTOTAL = PatternFill("solid", fgColor="DDEBF7")
FILL_TOTAL = PatternFill("solid", fgColor="BDD7EE")
_STYLES: dict[tuple, object] = {}  # (workbook, style options) → StyleArray; cleared per workbook


def _font(bold: bool = False, size: float = 12, italic: bool = False, color: str | None = None) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=color)


def _put(ws: Worksheet, row: int, col: int, value: object, *, bold: bool = False, number: bool = False,
         wrap: bool = False, border: bool = True, fill: PatternFill | None = None,
         align: str | None = None) -> None:
    """Write one cell: strings always as text, numbers in the Vietnamese thousands format."""
    cell = ws.cell(row, col)
    if isinstance(value, float) and math.isnan(value):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = fit_cell(value)
    set_text(cell, value)
    # Styling a cell through openpyxl's descriptors hashes every style object again (seconds for a few
    # hundred units); a finished style is a small array of ids, copied from the first cell that had it.
    key = (id(ws.parent), bold, number, wrap, border, id(fill), align)
    cached = _STYLES.get(key)
    if cached is not None:
        cell._style = copy(cached)
        return
    cell.font = _font(bold=bold)
    if number:
        cell.number_format = NUMBER_FORMAT
    cell.alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)
    if border:
        cell.border = BORDER
    if fill is not None:
        cell.fill = fill
    _STYLES[key] = copy(cell._style)


def _header(ws: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float] | None = None) -> None:
    for c, text in enumerate(headers, start=1):
        _put(ws, row, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
        if widths:
            ws.column_dimensions[get_column_letter(c)].width = widths[c - 1]


CHARS_PER_WIDTH = 1.0  # characters of (bold) Vietnamese text per unit of Excel column width, at 12 pt


def _lines(text: str, width: float | None) -> int:
    """How many lines a wrapped text takes in a column of this width (an estimate by length)."""
    per_line = max(int((width or 8.43) * CHARS_PER_WIDTH), 1)
    return sum(math.ceil(max(len(part), 1) / per_line) for part in text.split("\n"))


def _fit_height(ws: Worksheet, row: int, cols: Sequence[int], spans: dict[int, int] | None = None) -> None:
    """Give a row the height its wrapped cells need.

    openpyxl stores no row height, and LibreOffice (on screen and in print) then shows wrapped text one
    line high, each line over the next; the height is estimated from the text length and column widths.
    ``spans`` maps a column to the number of columns it is merged across.
    """
    lines = 1
    for c in cols:
        value = ws.cell(row, c).value
        if value is None:
            continue
        width = sum(ws.column_dimensions[get_column_letter(c + k)].width or 8.43
                    for k in range((spans or {}).get(c, 1)))
        lines = max(lines, _lines(str(value), width))
    if lines > 1:
        ws.row_dimensions[row].height = lines * LINE_HEIGHT


def _fit_width(ws: Worksheet, col: int, texts: Sequence[str | None], cap: float = 60) -> None:
    """Widen a column of file names to its longest one (up to ``cap``): they are not wrapped."""
    longest = max((len(t) for t in texts if t), default=0)
    letter = get_column_letter(col)
    ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 8.43,
                                             min(longest / CHARS_PER_WIDTH + 2, cap))


def _title(ws: Worksheet, row: int, text: str, span: int, size: float = 14) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(span, 1))
    cell = ws.cell(row, 1)
    set_text(cell, text)
    cell.font = _font(bold=True, size=size)
    cell.alignment = Alignment(horizontal="left", vertical="center")


def _landscape(ws: Worksheet) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def stamp(when: dt.datetime) -> str:
    """"HH:MM ngày dd/mm/yyyy"."""
    return f"{when:%H:%M} ngày {when:%d/%m/%Y}"


def reporter(result: MergeResult) -> str:
    """Who reports the summary: the office, else the district."""
    camp = result.run.campaign
    return camp.office or (f"Phòng Giáo dục và Đào tạo {camp.district}" if camp.district else "……")


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


def _unit_name(result: MergeResult, code: str | None) -> str | None:
    if code is None:
        return None
    unit = result.run.units.get(code)
    return unit.name if unit else code


def _joined(result: MergeResult, code: str, column: str) -> str | None:
    """A row's text or notes over the merged units, each prefixed by the unit's name."""
    parts = []
    for unit in result.merged_units:
        value = result.value(unit, code, column)
        if isinstance(value, str) and value:
            parts.append(f"{_unit_name(result, unit)}: {value}")
    return fit_cell("\n".join(parts)) or None


def fit_cell(text: str) -> str:
    """A text cut to what one Excel cell holds (32,767 characters); Excel refuses to open a longer one."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    return text[:EXCEL_CELL_LIMIT - len(CUT_MARK)] + CUT_MARK


def type_name(utype: str) -> str:
    """A unit type as shown; the list may leave it blank."""
    return utype or "(chưa ghi loại)"


# ------------------------------------------------------------------------------------ 1. Biểu tổng hợp

def form_values(result: MergeResult) -> dict[str, dict[str, object]]:
    """The values of the summary's form sheet: totals, plus texts and notes of the merged units."""
    form = result.run.form
    values: dict[str, dict[str, object]] = {}
    for row in form.value_rows:
        v: dict[str, object] = {}
        if row.code in result.totals.index:
            for m in row.numeric_measures:
                x = result.totals.at[row.code, m]
                if not (isinstance(x, float) and math.isnan(x)):
                    v[m] = x
        if "text" in row.measures:
            v["text"] = _joined(result, row.code, "text")
        v["note"] = _joined(result, row.code, "note")
        values[row.code] = v
    return values


def write_form(wb: Workbook, result: MergeResult) -> Worksheet:
    """Sheet 1: the official layout holding the district's totals, print-ready with the signature block."""
    run = result.run
    camp, form = run.campaign, run.form
    ws = wb.active
    ws.title = form.sheet
    when = result.created_at
    footer = [
        ("", f"{place_name(camp.district)}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"),
        ("NGƯỜI LẬP BIỂU", (camp.signer_title or "THỦ TRƯỞNG ĐƠN VỊ").upper()),
        ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"),
        ("", ""), ("", ""), ("", ""),
        ("", camp.signer),
    ]
    layout = write_form_sheet(ws, form, title=form.title, subtitle=form.subtitle_for(camp.year),
                              unit_line=f"Đơn vị báo cáo: {reporter(result)}", values=form_values(result),
                              editable=False, footer_lines=footer)
    # row 4, between the reporting unit and the table header, is free in the official layout
    row = layout.header_row - 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COL_NOTE)
    cell = ws.cell(row, 1)
    line = TextBlock(InlineFont(rFont=FONT_NAME, sz=12, i=True), completeness_line(result))
    if result.included_invalid:
        names = ", ".join(_unit_name(result, u) or u for u in result.units_in("rejected")) or "không có"
        warn = TextBlock(InlineFont(rFont=FONT_NAME, sz=12, b=True, color=RED), "\n" + INVALID_NOTE.format(units=names))
        cell.value = CellRichText([line, warn])
        ws.row_dimensions[row].height = 52
    else:
        cell.value = CellRichText([line])
        ws.row_dimensions[row].height = 20
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    signer_row = layout.last_row + 1 + len(footer)
    ws.cell(signer_row, 3).font = _font(bold=True)
    return ws


# -------------------------------------------------------------------------------------- 2. Theo đơn vị

def unit_groups(result: MergeResult) -> list[tuple[str, list[str]]]:
    """Merged unit codes grouped by type, in the order of the unit list's types."""
    merged = set(result.merged_units)
    groups = []
    for utype in result.run.units.types:
        codes = [u.code for u in result.run.units if u.type == utype and u.code in merged]
        if codes:
            groups.append((utype, codes))
    return groups


def _value(result: MergeResult, unit: str, code: str, measure: str) -> object:
    return result.value(unit, code, measure)


def measure_label(row: Row, measure: str) -> str:
    """What a value row counts, in the form's own words: "lớp/người" → "lớp" and "người"."""
    parts = [p.strip() for p in row.unit.split("/")]
    if measure == "text":
        return MEASURE_NAMES["text"]
    if len(row.numeric_measures) == 2 and len(parts) == 2:
        return parts[row.numeric_measures.index(measure)]
    return row.unit or MEASURE_NAMES[measure]


def _sum(values: list[object]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not math.isnan(float(v))]
    return sum(numbers) if numbers else None


def write_by_unit(wb: Workbook, result: MergeResult) -> Worksheet:
    """Sheet 2: one column per merged unit, grouped by type with a subtotal per type, one row per value."""
    run = result.run
    form = run.form
    ws = wb.create_sheet(BY_UNIT_SHEET)
    groups = unit_groups(result)
    rejected = set(result.units_in("rejected"))
    columns: list[tuple[str, str, list[str]]] = []  # (kind, key, units summed) kind: unit|subtotal|total
    for utype, codes in groups:
        columns += [("unit", c, [c]) for c in codes]
        columns.append(("subtotal", utype, codes))
    columns.append(("total", "", list(result.merged_units)))
    last_col = 3 + len(columns)
    _title(ws, 1, f"SỐ LIỆU THEO ĐƠN VỊ — {form.subtitle_for(run.campaign.year)}", min(last_col, 12))
    note = ws.cell(2, 1)
    set_text(note, f"{completeness_line(result)}. Ô trống: đơn vị không ghi số liệu; 0: đơn vị ghi 0.")
    note.font = _font(italic=True)
    if result.included_invalid:
        warn = ws.cell(3, 1)
        set_text(warn, INVALID_NOTE.format(units=", ".join(_unit_name(result, u) or u for u in rejected)
                                           or "không có"))
        warn.font = _font(bold=True, color=RED)
    h_type, h_name, h_code, first = 5, 6, 7, 8
    for c, text in enumerate(("STT", "Các hoạt động", "Đơn vị tính"), start=1):
        ws.merge_cells(start_row=h_type, start_column=c, end_row=h_code, end_column=c)
        _put(ws, h_type, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
    col = 4
    for utype, codes in groups:
        ws.merge_cells(start_row=h_type, start_column=col, end_row=h_type, end_column=col + len(codes))
        _put(ws, h_type, col, type_name(utype), bold=True, fill=HEADER_FILL, align="center")
        col += len(codes) + 1
    _put(ws, h_type, col, f"Toàn {result.run.campaign.district_kind}", bold=True, fill=FILL_TOTAL, align="center")
    for i, (kind, key, _) in enumerate(columns):
        c = 4 + i
        if kind == "unit":
            name = _unit_name(result, key) or key
            fill = FILL_BAD if key in rejected else HEADER_FILL
            _put(ws, h_name, c, name + (" (có lỗi)" if key in rejected else ""), bold=True, wrap=True,
                 fill=fill, align="center")
            _put(ws, h_code, c, key, fill=fill, align="center")
        elif kind == "subtotal":
            _put(ws, h_name, c, f"Cộng {type_name(key)}", bold=True, wrap=True, fill=FILL_SUBTOTAL, align="center")
            _put(ws, h_code, c, f"{len(columns[i][2])} đơn vị", fill=FILL_SUBTOTAL, align="center")
        else:
            _put(ws, h_name, c, "Tổng cộng", bold=True, wrap=True, fill=FILL_TOTAL, align="center")
            _put(ws, h_code, c, f"{len(result.merged_units)} đơn vị", fill=FILL_TOTAL, align="center")
        ws.column_dimensions[get_column_letter(c)].width = 14
    ws.row_dimensions[h_name].height = 64
    for c, w in ((1, 6), (2, 48), (3, 16)):
        ws.column_dimensions[get_column_letter(c)].width = w

    r = first
    for row in form.rows:
        measures = list(row.numeric_measures) or (["text"] if "text" in row.measures else [None])
        for k, measure in enumerate(measures):
            top = bool(row.stt) or row.is_header
            _put(ws, r, 1, row.stt if k == 0 and row.stt else None, bold=top, align="center")
            _put(ws, r, 2, row.label if k == 0 else None, bold=top, wrap=True)
            _put(ws, r, 3, measure_label(row, measure) if measure else None, wrap=True)
            for i, (kind, key, codes) in enumerate(columns):
                c = 4 + i
                fill = FILL_SUBTOTAL if kind == "subtotal" else FILL_TOTAL if kind == "total" else None
                if measure is None:
                    _put(ws, r, c, None, fill=fill)
                elif measure == "text":
                    text = _value(result, key, row.code, "text") if kind == "unit" else None
                    _put(ws, r, c, text if isinstance(text, str) else None, wrap=True, fill=fill)
                elif kind == "unit":
                    _put(ws, r, c, _value(result, key, row.code, measure), number=True, fill=fill)
                else:
                    _put(ws, r, c, _sum([_value(result, u, row.code, measure) for u in codes]),
                         number=True, bold=True, fill=fill)
            r += 1
        # a row of two measures takes two sheet rows: its label is one cell across both, as in the form
        span = len(measures)
        if span > 1:
            for c in (1, 2):
                ws.merge_cells(start_row=r - span, start_column=c, end_row=r - 1, end_column=c)
        lines = _lines(row.label, ws.column_dimensions["B"].width)
        if lines > span:
            for k in range(span):
                ws.row_dimensions[r - span + k].height = math.ceil(lines / span) * LINE_HEIGHT
    ws.freeze_panes = ws.cell(first, 4)
    ws.print_title_rows = f"{h_type}:{h_code}"
    ws.print_title_cols = "A:C"
    _landscape(ws)

    # the units' notes, which no number column can hold
    notes = [(u, row.code, result.value(u, row.code, "note")) for u in result.merged_units
             for row in form.value_rows]
    notes = [n for n in notes if isinstance(n[2], str) and n[2]]
    if notes:
        r += 1
        _title(ws, r, "Ghi chú của các đơn vị", 3, size=12)
        r += 1
        for c, text in enumerate(("STT", "Đơn vị", "Hàng", "Ghi chú"), start=1):
            _put(ws, r, c, text, bold=True, fill=HEADER_FILL, align="center")
        for n, (unit, code, text) in enumerate(notes, start=1):
            r += 1
            _put(ws, r, 1, n, align="center")
            _put(ws, r, 2, _unit_name(result, unit), wrap=True)
            _put(ws, r, 3, code, align="center")
            _put(ws, r, 4, text, wrap=True)
            ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=max(last_col, 8))
    return ws


# ------------------------------------------------------------------------------ 3. Tình hình nộp báo cáo

STATUS_HEADERS = ("STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Tình trạng", "Tệp", "Thời điểm gửi (lưu tệp)",
                  "Hạn nộp", "Số lỗi", "Số cảnh báo", "Email")
OTHER_HEADERS = ("STT", "Tệp", "Tình trạng", "Đơn vị", "Lý do")
OTHER_COLUMNS = (1, 2, 4, 6, 7)  # where each starts under the unit table (A, B:C, D:E, F, G:K)
OTHER_SPANS = (1, 2, 2, 1, 5)


def sent_at(report: FileReport | None) -> dt.datetime | None:
    """When a unit sent a file: the save time it carries, else the file's modification time."""
    if report is None:
        return None
    return report.saved_at or report.received_at


def unit_saved_at(report: FileReport | None) -> dt.datetime | None:
    """The save time the workbook itself carries (identity sheet), None when only the file's time is known.

    Lateness is judged on this time only, as ``check`` does: a file saved from an email or copied into the
    folder takes the day of the copy, which says nothing about when the unit finished it.
    """
    if report is None or report.saved_at is None or report.saved_at == report.received_at:
        return None
    return report.saved_at


def other_files(result: MergeResult) -> list[FileReport]:
    """Files of the folder that are no unit's current report: superseded, unknown unit, not a report…"""
    current = {s.file for s in result.run.unit_status.values() if s.file}
    return [f for f in result.run.files if f.file not in current]


# the issue that says why a file with this status is left out, before any other
_REASON_CODES = {"superseded": ("superseded",), "unknown_unit": ("unit-unknown", "unit-ambiguous"),
                 "not_a_report": ("not-a-report", "lock-file")}


def _reason(report: FileReport) -> str:
    codes = _REASON_CODES.get(report.status, ())
    chosen = ([i for i in report.issues if i.code in codes] or [i for i in report.issues if i.severity == "error"]
              or report.issues)
    return "\n".join(i.message for i in chosen[:3]) or FILE_STATUS_NAMES.get(report.status, report.status)


def write_status(wb: Workbook, result: MergeResult) -> Worksheet:
    """Sheet 3: every unit with its status, file, time, lateness and counts; then every other file."""
    run = result.run
    ws = wb.create_sheet(STATUS_SHEET)
    by_file = {f.file: f for f in run.files}
    deadline = run.campaign.deadline
    _title(ws, 1, f"TÌNH HÌNH NỘP BÁO CÁO — {run.campaign.title}", len(STATUS_HEADERS))
    sub = ws.cell(2, 1)
    states = {s: len(result.units_in(s)) for s in ("accepted", "rejected", "missing")}
    due = deadline.strftime("%d/%m/%Y") if deadline else "(chưa định)"
    set_text(sub, f"{len(run.units)} đơn vị: {states['accepted']} đã nộp hợp lệ, {states['rejected']} có lỗi, "
                  f"{states['missing']} chưa nộp. Hạn nộp: {due}. Lập lúc {stamp(result.created_at)}.")
    sub.font = _font(italic=True)
    head = 4
    _header(ws, head, STATUS_HEADERS, (6, 11, 36, 11, 16, 40, 18, 14, 8, 10, 32))
    r = head
    for n, unit in enumerate(run.units, start=1):
        r += 1
        st = run.unit_status.get(unit.code)
        state = st.status if st else "missing"
        report = by_file.get(st.file) if st and st.file else None
        when = sent_at(report)
        row = (n, unit.code, unit.name, unit.type, UNIT_STATE_NAMES[state], st.file if st else None,
               when, lateness(unit_saved_at(report), deadline), report.errors if report else None,
               report.warnings if report else None, unit.email)
        for c, value in enumerate(row, start=1):
            _put(ws, r, c, value, wrap=c == 3, align="center" if c in (1, 2, 8, 9, 10) else None)
        _fit_height(ws, r, (3,))
        if when is not None:
            ws.cell(r, 7).number_format = "dd/mm/yyyy hh:mm"
    last = r
    _fit_width(ws, 6, [st.file for st in run.unit_status.values() if st.file])
    foot = ws.cell(last + 1, 1)
    set_text(foot, "Hạn nộp được so với thời điểm đơn vị lưu tệp ghi trong biểu mẫu; để trống khi tệp không "
                   "có thông tin này (thời điểm chép tệp vào thư mục không cho biết đơn vị nộp lúc nào).")
    foot.font = _font(italic=True, size=10)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(STATUS_HEADERS))}{last}"
    ws.freeze_panes = ws.cell(head + 1, 4)
    if last > head:
        span = f"E{head + 1}:E{last}"
        for text, fill in ((UNIT_STATE_NAMES["accepted"], FILL_OK), (UNIT_STATE_NAMES["rejected"], FILL_BAD),
                           (UNIT_STATE_NAMES["missing"], FILL_MISSING)):
            ws.conditional_formatting.add(span, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill))
        ws.conditional_formatting.add(f"H{head + 1}:H{last}",
                                      FormulaRule(formula=[f'LEFT(H{head + 1},4)="Muộn"'], fill=FILL_BAD))
        ws.conditional_formatting.add(f"I{head + 1}:I{last}",
                                      CellIsRule(operator="greaterThan", formula=["0"], fill=FILL_BAD))

    others = other_files(result)
    r += 3
    _title(ws, r, f"CÁC TỆP KHÁC TRONG THƯ MỤC ({len(others)} tệp không được dùng để tổng hợp)", 6, size=12)
    r += 1
    # the unit table's columns are narrow where this table needs room: each field spans what it needs
    spans = {c: n for c, n in zip(OTHER_COLUMNS, OTHER_SPANS)}
    for kind_row in (r, *range(r + 1, r + 1 + len(others))):
        for c, n in spans.items():
            if n > 1:
                ws.merge_cells(start_row=kind_row, start_column=c, end_row=kind_row, end_column=c + n - 1)
    for c, text in zip(OTHER_COLUMNS, OTHER_HEADERS):
        _put(ws, r, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
    for n, f in enumerate(others, start=1):
        r += 1
        row = (n, f.file, FILE_STATUS_NAMES.get(f.status, f.status), _unit_name(result, f.unit), _reason(f))
        for c, value in zip(OTHER_COLUMNS, row):
            _put(ws, r, c, value, wrap=c in (6, 7), align="center" if c == 1 else None)
        _fit_height(ws, r, (6, 7), spans=spans)
    _landscape(ws)
    ws.print_title_rows = f"{head}:{head}"
    return ws


# ------------------------------------------------------------------------------------ 4. Lỗi và cảnh báo

ISSUE_HEADERS = ("STT", "Tệp", "Đơn vị", "Mức độ", "Mã lỗi", "Trang", "Ô", "Hàng", "Số liệu", "Giá trị",
                 "Nội dung")


def all_issues(result: MergeResult) -> list[tuple[Issue, str | None]]:
    """Every issue with the unit it concerns: the files' issues in file order, then the merge's own."""
    out = [(i, i.unit or f.unit) for f in result.run.files for i in f.issues]
    return out + [(i, i.unit) for i in result.issues]


def write_issues(wb: Workbook, result: MergeResult) -> Worksheet:
    """Sheet 4: every issue, one per row, with an autofilter."""
    ws = wb.create_sheet(ISSUES_SHEET)
    head = 1
    _header(ws, head, ISSUE_HEADERS, (6, 34, 30, 11, 22, 14, 7, 8, 16, 18, 80))
    r = head
    for n, (issue, unit) in enumerate(all_issues(result), start=1):
        r += 1
        row = (n, issue.file, _unit_name(result, unit), SEVERITY_NAMES[issue.severity], issue.code, issue.sheet,
               issue.cell, issue.indicator, MEASURE_NAMES.get(issue.measure or "", issue.measure), issue.value,
               issue.message)
        for c, value in enumerate(row, start=1):
            _put(ws, r, c, value, wrap=c in (3, 10, 11), align="center" if c in (1, 7, 8) else None)
        _fit_height(ws, r, (3, 10, 11))
    _fit_width(ws, 2, [issue.file for issue, _ in all_issues(result)])
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(ISSUE_HEADERS))}{max(r, head + 1)}"
    ws.freeze_panes = ws.cell(head + 1, 1)
    if r > head:
        span = f"D{head + 1}:D{r}"
        ws.conditional_formatting.add(span, CellIsRule(operator="equal", formula=[f'"{SEVERITY_NAMES["error"]}"'],
                                                       fill=FILL_BAD))
        ws.conditional_formatting.add(span, CellIsRule(operator="equal",
                                                       formula=[f'"{SEVERITY_NAMES["warning"]}"'], fill=FILL_MISSING))
    _landscape(ws)
    return ws


# ------------------------------------------------------------------------------------------ 5. Biểu đồ

CHART_HEADERS = ("Loại đơn vị", "Số đơn vị", "Đã nộp hợp lệ", "Có lỗi", "Chưa nộp",
                 "Số lớp bồi dưỡng (mục 1)", "Số người tham gia (mục 1)")


def by_type(result: MergeResult) -> list[tuple[str, int, int, int, int, float, float]]:
    """Per unit type: units, accepted, rejected, missing, and the merged classes (1) and participants (1.0)."""
    run = result.run
    merged = set(result.merged_units)
    rows = []
    for utype in run.units.types:
        codes = [u.code for u in run.units if u.type == utype]
        state = [run.unit_status[c].status for c in codes]
        classes = _sum([_value(result, c, "1", "count") for c in codes if c in merged]) or 0.0
        people = _sum([_value(result, c, "1.0", "people") for c in codes if c in merged]) or 0.0
        rows.append((type_name(utype), len(codes), state.count("accepted"), state.count("rejected"),
                     state.count("missing"), classes, people))
    return rows


def write_charts(wb: Workbook, result: MergeResult) -> Worksheet:
    """Sheet 5: a small table by unit type and native Excel bar charts of submissions and participation."""
    ws = wb.create_sheet(CHART_SHEET)
    _title(ws, 1, "TÌNH HÌNH NỘP VÀ KẾT QUẢ THEO LOẠI ĐƠN VỊ", len(CHART_HEADERS))
    head = 3
    _header(ws, head, CHART_HEADERS, (18, 10, 14, 10, 10, 16, 18))
    data = by_type(result)
    for i, row in enumerate(data, start=head + 1):
        for c, value in enumerate(row, start=1):
            _put(ws, i, c, value, number=c >= 2, align=None if c == 1 else "right")
    last = head + len(data)
    if not data:
        return ws
    cats = Reference(ws, min_col=1, min_row=head + 1, max_row=last)

    status = BarChart()
    status.type = "col"
    status.grouping = "stacked"
    status.overlap = 100
    status.title = "Tình hình nộp báo cáo theo loại đơn vị"
    status.y_axis.title = "Số đơn vị"
    status.add_data(Reference(ws, min_col=3, max_col=5, min_row=head, max_row=last), titles_from_data=True)
    status.set_categories(cats)
    for series, colour in zip(status.series, ("70AD47", "C00000", "FFC000")):
        series.graphicalProperties.solidFill = colour
    status.height, status.width = 8, 16
    ws.add_chart(status, f"A{last + 3}")

    people = BarChart()
    people.type = "col"
    people.title = "Số người tham gia các lớp bồi dưỡng theo loại đơn vị"
    people.y_axis.title = "Người"
    people.add_data(Reference(ws, min_col=7, min_row=head, max_row=last), titles_from_data=True)
    people.set_categories(cats)
    people.height, people.width = 8, 16
    ws.add_chart(people, f"A{last + 20}")

    classes = BarChart()
    classes.type = "col"
    classes.title = "Số lớp bồi dưỡng theo loại đơn vị"
    classes.y_axis.title = "Lớp"
    classes.add_data(Reference(ws, min_col=6, min_row=head, max_row=last), titles_from_data=True)
    classes.set_categories(cats)
    classes.height, classes.width = 8, 16
    ws.add_chart(classes, f"E{last + 20}")
    _landscape(ws)
    return ws


def write_identity(wb: Workbook, result: MergeResult) -> Worksheet:
    """The hidden identity sheet (identity.py) of the summary as a return: form, year, save time.

    No unit code (the district is not on the district's own list); the province's reader tells the district
    by the "Đơn vị báo cáo" line, checks the form and year, and keeps the newest of two summaries by
    ``saved_at``, written as a value (not ``=NOW()``): nothing in the summary is a formula.
    """
    run = result.run
    ws = wb.create_sheet(IDENTITY_SHEET)
    rows = identity_rows(run.form.id, run.form.version, run.campaign.year, "", reporter(result), result.created_at)
    for i, (key, value) in enumerate(rows, start=1):
        ws.cell(i, 1, key)
        set_text(ws.cell(i, 2), value)
    ws.cell(len(rows) + 1, 1, "saved_at")
    saved = ws.cell(len(rows) + 1, 2, result.created_at)
    saved.number_format = "yyyy-mm-dd hh:mm:ss"
    ws.sheet_state = "hidden"
    return ws


def build_workbook(result: MergeResult) -> Workbook:
    """The whole summary workbook, in memory."""
    wb = Workbook()
    _STYLES.clear()  # style ids belong to one workbook
    write_form(wb, result)
    write_by_unit(wb, result)
    write_status(wb, result)
    write_issues(wb, result)
    write_charts(wb, result)
    write_identity(wb, result)
    wb.properties.title = f"{result.run.form.name} — {result.run.campaign.district or result.run.campaign.title}"
    wb.properties.creator = result.run.campaign.office or "consolidate"
    wb.active = 0
    return wb


def write_summary(path: str | Path, result: MergeResult) -> Path:
    """Write the summary workbook to ``path`` (``merge`` passes the temporary file of an atomic write)."""
    path = Path(path)
    build_workbook(result).save(path)
    return path
