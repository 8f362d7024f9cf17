"""Feedback for the units: a copy of each workbook with problems, the problem cells highlighted and
explained (rows named by their label, as printed on the form), a first sheet listing the problems, and a
mailing list to send the copies back.

The unit's own .xlsx/.xlsm is loaded with openpyxl (macros dropped, saved as .xlsx) so that it keeps its
layout. A .xls or .ods, which openpyxl cannot open, is rebuilt from the unit's own template
(``templates.unit_workbook``: widths, protection, validation, the hidden identity) holding the values the
reader took from the file, and the problem sheet says so: openpyxl edits both, as each is an existing
workbook (the unit's, or the template as templates.py writes it). When the file is not a unit's report the
tool can place on the form, a new workbook of the values the reader saw, cell for cell, is written with
XlsxWriter. The original file is only ever read.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.worksheet import Worksheet

from consolidate import outputs
from consolidate.identity import IDENTITY_SHEET
from consolidate.form import Form
from consolidate.issues import SEVERITY_NAMES, Issue, RunError
from consolidate.results import FileReport, RunResult
from consolidate.templates import mailing_csv
from consolidate.text import set_text

FEEDBACK_SHEET = "Các lỗi cần sửa"
REVIEW_SHEET = "Các điểm cần xem lại"  # the first sheet of a copy with warnings only: nothing to correct
MAILING_LIST_NAME = "danh_sach_gui_lai.csv"
AUTHOR = "Phòng GD&ĐT"
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
PARTS_FILL = PatternFill("solid", fgColor="DDEBF7")  # the part rows a total must equal (blue)
TOTAL_CODES = ("total-mismatch", "total-without-parts")  # issues about a total and its parts
SHOWN = ("error", "warning")  # information is not something to fix
MAX_WIDTH = 60  # characters, for a column of a rebuilt .xls/.ods
BORDER = Border(left=Side(style="thin"), right=Side(style="thin"), top=Side(style="thin"), bottom=Side(style="thin"))


@dataclass
class FeedbackFile:
    """One highlighted copy written for a unit."""

    report: FileReport
    path: Path
    converted: bool  # rebuilt (.xls/.ods source) rather than a copy of the workbook
    email: str = ""
    unit_name: str = ""
    marked: int = 0  # cells highlighted
    from_template: bool = False  # rebuilt from the unit's template with its values (else values only)


@dataclass
class FeedbackResult:
    """What ``write_feedback`` wrote, and the files it could not copy (file, reason)."""

    out_dir: Path
    files: list[FeedbackFile]
    mailing_list: Path | None
    skipped: list[tuple[str, str]] = field(default_factory=list)


def problems(report: FileReport) -> list[Issue]:
    """The errors and warnings of a file, errors first."""
    shown = [i for i in report.issues if i.severity in SHOWN]
    return sorted(shown, key=lambda i: SHOWN.index(i.severity))


def short_message(issue: Issue) -> str:
    """The message without its leading file name (the reader of the copy knows which file it is)."""
    text = issue.message
    if issue.file:
        for lead in (f"{issue.file}, ", f"{issue.file}: "):
            if text.startswith(lead):
                rest = text[len(lead):]
                return rest[:1].upper() + rest[1:]
    return text


_ROW_LIST = re.compile(r"(?P<lead>(?:các )?hàng (?:chi tiết )?)(?P<list>\d+(?:\.\d+)?(?: \([^()]*\))?"
                       r"(?:(?:, | … )\d+(?:\.\d+)?(?: \([^()]*\))?)*)")
_RANGE = re.compile(r"\((\d+(?:\.\d+)?) … (\d+(?:\.\d+)?)\)")
_CODE = re.compile(r"(?<![\d.(])\d+(?:\.\d+)?(?![\d.])")
LABEL_CHARS = 48


def row_name(form: Form, code: str) -> str:
    """A form row as printed: "mục 1 “Các lớp bồi dưỡng…”" where it has an STT, else its label in quotes
    (a sub-row's code such as 1.9 is printed nowhere on the form and reads like an Excel row number)."""
    row = form.by_code.get(code)
    if row is None:
        return code
    label = row.label.rstrip(" :,;")
    if len(label) > LABEL_CHARS:
        label = label[:LABEL_CHARS].rsplit(" ", 1)[0].rstrip(" ,;(") + "…"
    return f"mục {row.stt} “{label}”" if row.stt else f"“{label}”"


def name_rows(message: str, form: Form) -> str:
    """A message with every row code it cites ("hàng 1.9", "các hàng 1.5 (2), 1.8 (3)", "(1.1 … 1.13)")
    replaced by the row's name as printed on the form."""
    def codes(text: str) -> str:
        return _CODE.sub(lambda m: row_name(form, m.group(0)) if m.group(0) in form.by_code else m.group(0), text)

    def one(m: re.Match[str]) -> str:
        listed = codes(m.group("list"))
        lead = m.group("lead")
        if lead == "hàng " and listed.startswith("mục "):
            return listed  # "mục 1 “…”", not "hàng mục 1"
        return lead + listed

    message = _ROW_LIST.sub(one, message)
    return _RANGE.sub(lambda m: f"({codes(m.group(1))} … {codes(m.group(2))})", message)


def _is_ooxml(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _copy_workbook(data: bytes) -> Workbook:
    """The unit's own workbook, without macros or external links."""
    with warnings.catch_warnings():
        # openpyxl warns about extensions it drops (slicers, some validations); the copy needs none of them
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)


class _Unreadable(Exception):
    """The file no longer reads (changed since the check); the message is the reader's, in Vietnamese."""


def _values_copy(path: Path, report: FileReport, unit_name: str, issues: list[Issue], form: Form,
                 deadline: dt.date | None) -> int:
    """Write a new workbook (XlsxWriter) holding the values of every sheet the reader saw, at the same
    addresses, the problem cells marked as :func:`mark_cells` marks them, the problem sheet first: the copy
    of a .xls/.ods that cannot be laid out on a unit's template. Returns the number of cells marked."""
    import xlsxwriter
    from xlsxwriter.utility import xl_cell_to_rowcol

    from consolidate.reader import open_sheets

    sheets, _kind, read_issues = open_sheets(report.path, report.file)
    if sheets is None:
        raise _Unreadable("; ".join(i.message for i in read_issues) or "không đọc được tệp")
    cells = form_cells(report, form)
    parts = part_cells(issues, form, cells)
    notes: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        if issue.sheet and issue.cell and any(sheet.name == issue.sheet for sheet in sheets):
            notes.setdefault((issue.sheet, issue.cell), []).append(issue)
    page = problem_page(report, unit_name, issues, True, deadline, form, coloured_parts=bool(parts))
    # a unit's text is kept as text: never read as a formula, a link or a number
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    fills = {"error": book.add_format({"bg_color": "#FFC7CE", "locked": False}),
             "warning": book.add_format({"bg_color": "#FFEB9C", "locked": False}),
             "parts": book.add_format({"bg_color": "#DDEBF7"})}
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    _problem_sheet_xlsx(book, page)
    marked = 0
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:31])
        grid: dict[tuple[int, int], object] = {}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value not in ("", None):
                    grid[xl_cell_to_rowcol(sheet.address(r, c))] = value
        styles = {xl_cell_to_rowcol(ref): fills["parts"] for name, ref in parts if name == sheet.name}
        found_here = {key[1]: found for key, found in notes.items() if key[0] == sheet.name}
        for ref, found in found_here.items():
            worst = "error" if any(i.severity == "error" for i in found) else "warning"
            styles[xl_cell_to_rowcol(ref)] = fills[worst]
        widths: dict[int, int] = {}
        for (r, c) in sorted(set(grid) | set(styles)):
            value = grid.get((r, c))
            style = styles.get((r, c)) or (wrap if isinstance(value, str) and len(value) > MAX_WIDTH else None)
            if sheet.name == IDENTITY_SHEET and c == 1 and grid.get((r, 0)) == "saved_at":
                # the identity's saved_at = NOW(): a corrected file sent back carries its own save time
                ws.write_formula(r, c, "=NOW()", stamp)
            elif value is None:
                ws.write_blank(r, c, None, style)
            elif isinstance(value, str):
                ws.write_string(r, c, value, style)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value, style)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value, style)
            elif isinstance(value, (dt.date, dt.time, dt.timedelta)):
                ws.write_datetime(r, c, value, style or stamp)
            else:
                ws.write_string(r, c, str(value), style)
            widths[c] = max(widths.get(c, 0), len(str(value)) if value is not None else 0)
        for ref, found in found_here.items():
            r, c = xl_cell_to_rowcol(ref)
            text = "\n".join(f"{SEVERITY_NAMES[i.severity]}: {message_for(i, form)}" for i in found)
            ws.write_comment(r, c, text, {"author": AUTHOR, "x_scale": 3.5,
                                          "y_scale": 1 + (len(text) // 45 + len(found)) / 4})
            marked += 1
        # no formatting survives the rebuild; columns wide enough to read, long labels wrapped
        for c, chars in widths.items():
            ws.set_column(c, c, min(max(chars + 2, 8), MAX_WIDTH))
        if sheet.hidden:
            ws.hide()
    book.close()
    return marked


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _moved(issue: Issue, sheet: str | None, cell: str | None) -> Issue:
    """The issue pointing at another cell (of the rebuilt copy), its message saying so."""
    message = issue.message
    if issue.sheet and issue.cell:
        old = f"trang {issue.sheet}, ô {issue.cell}"
        message = message.replace(old, f"trang {sheet}, ô {cell}" if sheet and cell else f"trang {issue.sheet}")
    return replace(issue, sheet=sheet, cell=cell, message=message)


def _template_copy(result: RunResult, report: FileReport, issues: list[Issue],
                   ) -> tuple[Workbook, list[Issue], dict[tuple[str, str, str], str]] | None:
    """The unit's own template (as ``templates`` writes it: widths, protection, validation, hidden identity)
    holding the values the reader took from a .xls/.ods, its schedule and narrative; the issues moved to
    the template's cells. None when the file is not a unit's form the copy can be laid out from."""
    from consolidate import narrative, schedule
    from consolidate.parts import ReadContext
    from consolidate.reader import open_sheets
    from consolidate.templates import unit_workbook, write_form_sheet

    unit = result.units.get(report.unit) if report.unit else None
    table = result.table
    if unit is None or table is None or "form" not in (report.parts or ("form",)):
        return None
    mine = table[table["file"] == report.file]
    if mine.empty:
        return None
    campaign, form = result.campaign, result.form
    wb = unit_workbook(campaign, form, unit, dt.datetime.now(),
                       extra_sheets=[narrative.template_writer, schedule.template_writer])
    layout = write_form_sheet(Workbook().active, form, title="", subtitle="", unit_line="")  # deterministic
    ws = wb[form.sheet]
    cells = {(form.sheet, code, m): ref for code in layout.rows for m in ("count", "people", "amount")
             if (ref := layout.cell(code, m))}
    for rec in mine.to_dict("records"):
        for measure in ("count", "people", "amount", "text", "note"):
            ref = layout.cell(rec["indicator"], measure)
            if ref and not _blank(rec.get(measure)):
                value = rec[measure]
                set_text(_target_cell(ws, ref), int(value) if isinstance(value, float) and value.is_integer() else value)
    moved = []
    for issue in issues:
        ref = layout.cell(issue.indicator, issue.measure) if issue.indicator and issue.measure else None
        if ref:
            if issue.value not in (None, "") and _blank(_target_cell(ws, ref).value):
                set_text(_target_cell(ws, ref), issue.value)  # what the unit wrote and could not be read
            moved.append(_moved(issue, form.sheet, ref))
        elif issue.indicator and issue.indicator in layout.rows:
            moved.append(_moved(issue, form.sheet, f"B{layout.rows[issue.indicator]}"))
        elif issue.sheet in wb.sheetnames and report.identity_source == "identity":
            moved.append(issue)  # the template itself, saved in another format: same sheets, same cells
        else:
            moved.append(_moved(issue, None, None))
    sheets, _kind, read_issues = open_sheets(report.path, report.file)
    if sheets is None:  # changed since the check
        raise _Unreadable("; ".join(i.message for i in read_issues) or "không đọc được tệp")
    if sheets:
        ctx = ReadContext(report.file, campaign, unit.code, unit.name, result.units)
        spec = narrative.load_narrative()
        texts = narrative.read_narrative(sheets, ctx).sections
        boxes = sorted(r.min_row for r in wb[spec.sheet].merged_cells.ranges
                       if r.max_row - r.min_row == narrative.TEXT_ROWS - 1)
        order = [h.code for section in spec.sections for h in spec.in_section(section.code)]
        for code, row in zip(order, boxes):
            if texts.get(code):
                set_text(wb[spec.sheet].cell(row, 1), texts[code])
        activities = schedule.read_schedule(sheets, ctx).rows[:schedule.INPUT_ROWS]
        lich = wb[schedule.SHEET]
        for i, a in enumerate(activities):
            for col, value in zip("BCDE", (schedule.format_time(a.time), schedule.format_date(a.date), a.content,
                                           a.place)):
                if value:
                    set_text(lich[f"{col}{7 + i}"], value)
    return wb, moved, cells


def _fit_one_column_sheets(wb: Workbook) -> None:
    """Narrow a one-column sheet (the "Hướng dẫn" of an older template) to the page: LibreOffice never scales
    a single column to the page width, so a copy printed as it came would lose the end of every line."""
    from consolidate.templates import INSTRUCTIONS_WIDTH

    for ws in wb.worksheets:
        width = ws.column_dimensions["A"].width or 0
        if ws.max_column != 1 or width <= INSTRUCTIONS_WIDTH:
            continue
        ratio = width / INSTRUCTIONS_WIDTH
        ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
        for dim in ws.row_dimensions.values():
            if dim.height:
                dim.height = round(dim.height * ratio + 1, 1)  # the same text on more lines


def _target_cell(ws: Worksheet, ref: str):  # noqa: ANN202
    """The cell to mark: a merged area's top-left cell (the one that holds the value)."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def message_for(issue: Issue, form: Form | None) -> str:
    """The message as the copy shows it: without the file name, rows named as printed on the form."""
    text = short_message(issue)
    if form is not None and issue.indicator and issue.code != "row-missing":  # row-missing names its label
        text = name_rows(text, form)
    return text


def form_cells(report: FileReport, form: Form) -> dict[tuple[str, str, str], str]:
    """(sheet, row code, measure) → address of every value cell of the form found in a file, blank ones too
    (the long table knows only the cells that hold a value), read again from the file as the reader finds
    the form: by header text and row labels."""
    from consolidate.reader import find_layout, match_rows, open_sheets

    sheets, _kind, _issues = open_sheets(report.path, report.file)
    out: dict[tuple[str, str, str], str] = {}
    for sheet in sheets or []:
        lay = find_layout(sheet)
        if lay is None:
            continue
        matched, _unknown = match_rows(lay, form)
        columns = {"count": lay.count, "people": lay.people, "amount": lay.count}
        for code, r, _span in matched:
            for measure, c in columns.items():
                if c is not None and measure in form.by_code[code].measures:
                    out.setdefault((sheet.name, code, measure), sheet.address(r, c))
    return out


def part_cells(issues: list[Issue], form: Form | None,
               cells: dict[tuple[str, str, str], str] | None) -> set[tuple[str, str]]:
    """(sheet, address) of the part rows each wrong total must equal, where ``cells`` knows them."""
    parts: set[tuple[str, str]] = set()
    for issue in issues:
        if form is None or cells is None or issue.code not in TOTAL_CODES or not issue.sheet:
            continue
        for rule in form.rules:
            if rule.total == issue.indicator and rule.measure == issue.measure:
                parts |= {(issue.sheet, cells[(issue.sheet, p, rule.measure)]) for p in rule.parts
                          if (issue.sheet, p, rule.measure) in cells}
    return parts


def mark_cells(wb: Workbook, issues: list[Issue], form: Form | None = None,
               cells: dict[tuple[str, str, str], str] | None = None) -> int:
    """Highlight each problem cell (errors red, warnings yellow) with a Vietnamese comment; unlock it. Where a
    total disagrees with its parts, the part cells it must equal are coloured blue (``cells`` says where
    they are: :func:`form_cells`)."""
    notes: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            notes.setdefault((issue.sheet, issue.cell), []).append(issue)
    parts = part_cells(issues, form, cells)
    for sheet, ref in sorted(parts - set(notes)):
        if sheet in wb.sheetnames:
            try:
                _target_cell(wb[sheet], ref).fill = PARTS_FILL
            except ValueError:
                continue
    for (sheet, ref), found in notes.items():
        ws = wb[sheet]
        try:
            cell = _target_cell(ws, ref)
        except ValueError:  # not an address openpyxl accepts
            continue
        worst = "error" if any(i.severity == "error" for i in found) else "warning"
        cell.fill = FILLS[worst]
        # the unit must be able to fix the cell even on a protected sheet (a value typed in a grey cell)
        cell.protection = Protection(locked=False)
        text = "\n".join(f"{SEVERITY_NAMES[i.severity]}: {message_for(i, form)}" for i in found)
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 360, 40 + 18 * (len(text) // 45 + len(found))
        cell.comment = comment
    return len(notes)


@dataclass
class ProblemPage:
    """What the first sheet of a copy says: its name, the lines above the table, the table's rows."""

    name: str
    lines: list[str]
    rows: list[tuple[int, str, str, str, str, str]]  # STT, Mức độ, Trang, Ô, Nội dung, severity

    HEADERS = ("STT", "Mức độ", "Trang", "Ô", "Nội dung")
    WIDTHS = (5, 10, 16, 7, 90)

    @property
    def head(self) -> int:
        """The 1-based row of the table's header."""
        return len(self.lines) + 2


def problem_page(report: FileReport, unit_name: str, issues: list[Issue], converted: bool, deadline: dt.date | None,
                 form: Form | None = None, rebuilt: bool = False, coloured_parts: bool = False) -> ProblemPage:
    """The content of a copy's problem sheet ("Các lỗi cần sửa", or "Các điểm cần xem lại" for warnings only)."""
    errors = sum(1 for i in issues if i.severity == "error")
    warns = len(issues) - errors
    who = f"{unit_name} ({report.unit})" if report.unit else "chưa xác định được đơn vị"
    found = (f"Có {errors} lỗi cần sửa (ô tô đỏ) và {warns} điểm cần xem lại (ô tô vàng)" if errors
             else f"Có {warns} điểm cần xem lại (ô tô vàng), không có lỗi")
    lines = [
        "CÁC LỖI CẦN SỬA" if errors else "CÁC ĐIỂM CẦN XEM LẠI",
        f"Đơn vị: {who} — tệp đã gửi: {report.file}",
        f"{found}; di chuột vào ô để xem ghi chú.",
        ("Sửa các lỗi ngay trong các trang của tệp này, lưu lại và gửi lại"
         + (f" trước ngày {deadline:%d/%m/%Y}" if deadline else "") + ". Trang này có thể để nguyên.")
        if errors else "Nếu các số liệu cần xem lại là đúng thì không cần gửi lại.",
    ]
    if coloured_parts:
        lines.append("Ô tô xanh: các hàng chi tiết mà hàng tổng (ô tô đỏ hoặc vàng) phải bằng tổng của chúng.")
    original = PurePosixPath(report.file)
    kind = f"dạng {original.suffix.lower()} (không phải .xlsx)" if original.suffix else "không phải dạng .xlsx"
    if rebuilt:
        lines.append(f"Tệp gốc \"{original.name}\" là {kind} nên bản này được làm lại từ "
                     "biểu mẫu của đơn vị với các số liệu đã đọc được từ tệp gốc. Đơn vị có thể sửa ngay trên bản "
                     "này (lưu dạng .xlsx) hoặc trên tệp gốc của mình theo danh sách dưới đây rồi gửi lại.")
    elif converted:
        lines.append(f"Tệp gốc \"{original.name}\" là {kind} nên bản này chỉ chép lại "
                     "các giá trị sang .xlsx (không giữ định dạng). Đơn vị có thể sửa ngay trên tệp gốc của mình "
                     "theo danh sách dưới đây rồi gửi lại.")
    legacy = legacy_note(report)
    if legacy:
        lines.append(legacy)
    rows = [(k, SEVERITY_NAMES[i.severity], i.sheet or "", i.cell or "", message_for(i, form), i.severity)
            for k, i in enumerate(issues, start=1)]
    return ProblemPage(FEEDBACK_SHEET if errors else REVIEW_SHEET, lines, rows)


def _lines_high(text: str, chars: int) -> float:
    """Points for a wrapped text of ``chars`` a line (LibreOffice does not grow a row to its text)."""
    return 15 * max(1, -(-len(text) // chars))


def _problem_sheet(wb: Workbook, page: ProblemPage) -> None:
    """The problem sheet, first, in an edited workbook (openpyxl)."""
    for old in (FEEDBACK_SHEET, REVIEW_SHEET):
        if old in wb.sheetnames:  # a unit returned an earlier feedback copy
            wb.remove(wb[old])
    ws = wb.create_sheet(page.name, 0)
    for r, text in enumerate(page.lines, start=1):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        set_text(ws.cell(r, 1), text)
        ws.cell(r, 1).font = Font(bold=r == 1, size=13 if r == 1 else 11)
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top", horizontal="center" if r == 1 else None)
        ws.row_dimensions[r].height = 20 if r == 1 else _lines_high(text, 120)
    head = page.head
    for c, text in enumerate(page.HEADERS, start=1):
        ws.cell(head, c, text).font = Font(bold=True)
        ws.cell(head, c).border = BORDER
        ws.cell(head, c).alignment = Alignment(horizontal="center", vertical="center")
    for r, row in enumerate(page.rows, start=head + 1):
        ws.cell(r, 1, row[0])
        for c, text in enumerate(row[1:5], start=2):
            set_text(ws.cell(r, c), text)
        for c in range(1, 6):
            ws.cell(r, c).border = BORDER
            ws.cell(r, c).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = _lines_high(row[4], 85)
        if row[5] in FILLS:
            ws.cell(r, 2).fill = FILLS[row[5]]
    for col, width in zip("ABCDE", page.WIDTHS):
        ws.column_dimensions[col].width = width
    # printed on A4 landscape, one page wide, the table's header on every page
    ws.print_title_rows = f"{head}:{head}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_area = f"A1:E{head + len(page.rows)}"
    ws.freeze_panes = ws.cell(head + 1, 1)
    wb.active = 0
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws


def _problem_sheet_xlsx(book: Any, page: ProblemPage) -> None:
    """The same problem sheet in a new workbook (XlsxWriter), as its first sheet."""
    ws = book.add_worksheet(page.name)
    title = book.add_format({"bold": True, "font_size": 13, "align": "center", "valign": "top", "text_wrap": True})
    line = book.add_format({"font_size": 11, "valign": "top", "text_wrap": True})
    header = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter"})
    cell = book.add_format({"border": 1, "valign": "top", "text_wrap": True})
    fills = {sev: book.add_format({"border": 1, "valign": "top", "text_wrap": True, "bg_color": colour})
             for sev, colour in (("error", "#FFC7CE"), ("warning", "#FFEB9C"))}
    for r, text in enumerate(page.lines):
        ws.merge_range(r, 0, r, 4, text, title if r == 0 else line)
        ws.set_row(r, 20 if r == 0 else _lines_high(text, 120))
    head = page.head - 1
    for c, text in enumerate(page.HEADERS):
        ws.write_string(head, c, text, header)
    for r, row in enumerate(page.rows, start=head + 1):
        ws.write_number(r, 0, row[0], cell)
        for c, text in enumerate(row[1:5], start=1):
            ws.write_string(r, c, text, fills.get(row[5], cell) if c == 1 else cell)
        ws.set_row(r, _lines_high(row[4], 85))
    for c, width in enumerate(page.WIDTHS):
        ws.set_column(c, c, width)
    ws.repeat_rows(head)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.print_area(0, 0, head + len(page.rows), 4)
    ws.freeze_panes(head + 1, 0)
    ws.activate()


def legacy_note(report: FileReport) -> str | None:
    """The advice to type in Unicode, for a file read from an old font encoding (TCVN3, VNI)."""
    converted = [i for i in report.issues if i.code == "legacy-encoding"]
    if not converted:
        return None
    return (f"Tệp được gõ bằng phông chữ cũ (TCVN3 như .VnTime, hoặc VNI như VNI-Times): máy đã chuyển mã "
            f"{len(converted)} ô sang Unicode để đọc. Lần sau đề nghị đơn vị gõ bằng bảng mã Unicode "
            "(trong Unikey) với phông Unicode như Times New Roman hoặc Arial, và lưu tệp như vậy.")


def _mail(result: RunResult, report: FileReport, unit_name: str, attachment: str,
          issues: list[Issue]) -> tuple[str, str]:
    campaign, form = result.campaign, result.form
    office = campaign.office or "Phòng Giáo dục và Đào tạo"
    errors = sum(1 for i in issues if i.severity == "error")
    warns = len(issues) - errors
    subject = (f"Đề nghị sửa và gửi lại {form.name} — {unit_name}" if errors
               else f"Đề nghị xem lại {form.name} — {unit_name}")
    found = f"{errors} lỗi cần sửa và {warns} điểm cần xem lại" if errors else f"{warns} điểm cần xem lại"
    ask = (f"Đề nghị đơn vị sửa và gửi lại tệp về {campaign.email or 'địa chỉ email này'}"
           + (f" trước ngày {campaign.deadline:%d/%m/%Y}" if campaign.deadline else "") + "."
           if errors else "Nếu các số liệu đó là đúng, đơn vị không cần gửi lại.")
    body = "\n".join([
        f"Kính gửi: {unit_name or 'đơn vị'},",
        "",
        f"{office} đã kiểm tra tệp \"{PurePosixPath(report.file).name}\" đơn vị gửi về: có {found}.",
        f"Tệp đính kèm {attachment} là bản sao của tệp đó: các ô cần sửa được tô màu và có ghi chú, "
        f"danh sách ở trang đầu \"{FEEDBACK_SHEET if errors else REVIEW_SHEET}\".",
        ask,
        *([legacy] if (legacy := legacy_note(report)) else []),
        "",
        "Trân trọng cảm ơn.",
        office,
    ])
    return subject, body


def write_feedback(result: RunResult, out_dir: Path) -> FeedbackResult:
    """Write a highlighted copy of each file with errors or warnings, and the mailing list, into ``out_dir``."""
    out_dir = Path(out_dir)
    chosen = [f for f in result.files if f.status in ("accepted", "rejected", "unknown_unit") and problems(f)]
    names = outputs.unique_names([outputs.safe_name(f"{PurePosixPath(f.file).stem}_can_sua", ".xlsx")
                                  for f in chosen])
    written: list[FeedbackFile] = []
    skipped: list[tuple[str, str]] = []
    rows: list[list[str]] = []
    mailing: Path | None = None
    with outputs.folder_lock(out_dir):
        before = _earlier_copies(out_dir)
        for report, name in zip(chosen, names):
            unit = result.units.get(report.unit) if report.unit else None
            unit_name = unit.name if unit else ""
            issues = problems(report)
            try:
                data = report.path.read_bytes()
                converted = not _is_ooxml(data)
                target = outputs.inside(out_dir, name)
                rebuilt = _template_copy(result, report, issues) if converted else None
                if converted and rebuilt is None:  # a new workbook of the values: XlsxWriter
                    counted: list[int] = []
                    outputs.atomic_write(target, lambda tmp: counted.append(_values_copy(
                        tmp, report, unit_name, issues, result.form, result.campaign.deadline)))
                    marked = counted[0]
                else:  # an existing workbook edited: the unit's own, or its template filled
                    wb, issues, cells = rebuilt if rebuilt is not None else (
                        _copy_workbook(data), issues, form_cells(report, result.form))
                    _fit_one_column_sheets(wb)
                    marked = mark_cells(wb, issues, result.form, cells)
                    parts = any(i.code in TOTAL_CODES for i in issues) and bool(cells)
                    _problem_sheet(wb, problem_page(report, unit_name, issues, converted, result.campaign.deadline,
                                                    result.form, rebuilt=rebuilt is not None, coloured_parts=parts))
                    outputs.atomic_write(target, lambda tmp, wb=wb: wb.save(tmp))
            except (RunError, _Unreadable) as exc:  # already said in Vietnamese
                skipped.append((report.file, str(exc)))
                continue
            except Exception as exc:  # one file that cannot be copied must not stop the others
                skipped.append((report.file, f"không mở được tệp để chép ({type(exc).__name__}: {exc})"[:300]))
                continue
            written.append(FeedbackFile(report, target, converted, unit.email if unit else "", unit_name, marked,
                                        rebuilt is not None))
            subject, body = _mail(result, report, unit_name, name, issues)
            rows.append([outputs.csv_safe(unit.email if unit else ""), outputs.csv_safe(report.unit or ""),
                         outputs.csv_safe(unit_name), name, outputs.csv_safe(subject), outputs.csv_safe(body)])
        if written:
            mailing = outputs.inside(out_dir, MAILING_LIST_NAME)
            outputs.atomic_write_text(mailing, mailing_csv(rows), encoding="utf-8")
        _forget_earlier(out_dir, before, {f.path.name for f in written}, mailing)
    return FeedbackResult(out_dir, written, mailing, skipped)


def _earlier_copies(out_dir: Path) -> set[str]:
    """The copies an earlier run wrote, as its mailing list names them (its "tệp đính kèm" column)."""
    try:
        text = (out_dir / MAILING_LIST_NAME).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return set()
    rows = list(csv.reader(io.StringIO(text)))
    at = 3  # email, unit code, unit name, attachment, subject, body (templates.MAILING_COLUMNS)
    return {r[at] for r in rows[1:] if len(r) > at and r[at].endswith(".xlsx")}


def _forget_earlier(out_dir: Path, before: set[str], now: set[str], mailing: Path | None) -> None:
    """Remove what an earlier run wrote that this run did not write again (a unit that has since sent a
    correct file must not be mailed an old copy): its copies, as its mailing list names them, and the
    mailing list itself when nothing is to be sent now. Nothing a person put in the folder is touched."""
    for name in sorted(before - now):
        if "/" in name or "\\" in name or name.startswith(".") or not name.endswith("_can_sua.xlsx") \
                and "_can_sua_" not in name:
            continue
        try:
            outputs.inside(out_dir, name).unlink(missing_ok=True)
        except (OSError, RunError):
            pass
    if mailing is None:
        with contextlib.suppress(OSError):
            (out_dir / MAILING_LIST_NAME).unlink(missing_ok=True)
