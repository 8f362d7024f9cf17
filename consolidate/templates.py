"""The templates a district office emails out: one protected workbook per unit, a mailing list and the
blank master template, all derived from the form definition (``form.toml``).

The form sheet is written by :func:`write_form_sheet`, which the district summary reuses (issue 5), so a
summary is itself a readable return.

Why the total rows (1, 1.0, 5, 6 — whatever ``form.rules`` names) are input cells and not ``=SUM()``
formulas: FORM.md lets a unit report a total without its breakdown (a warning, not an error), which a
formula would forbid; a formula written by openpyxl also has no cached value, so a file returned without
being recalculated would carry blank totals. The reader computes a blank total from its parts (info), and
the check flags a total that differs from its parts (error), so nothing is lost by leaving them as inputs.
The input message of a total cell says so.

Protection has no password on purpose: it guards against slips (typing into a grey cell, deleting a row),
not against a determined user, and a clerk must never be stuck with a file nobody can unlock. The reader
finds the table by its header text, never by position.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from consolidate import outputs
from consolidate.text import set_text
from consolidate.form import MEASURE_NAMES, Form, Row
from consolidate.identity import IDENTITY_SHEET, identity_rows
from consolidate.issues import RunError
from consolidate.sheet_layout import (  # noqa: F401  # re-exported: the form's layout, shared with summary
    COL_COUNT, COL_LABEL, COL_NOTE, COL_PEOPLE, COL_STT, COL_UNIT, FONT_NAME, LINE_HEIGHT, MEASURE_COLUMNS,
    NUMBER_FORMAT, WIDTHS, check_layout, layout_problems,
)
from consolidate.units import Unit, UnitList

if TYPE_CHECKING:
    from consolidate.campaign import Campaign

MASTER_NAME = "bieu_tong_hop.xlsx"
MAILING_LIST_NAME = "danh_sach_gui_thu.csv"
INSTRUCTIONS_SHEET = "Hướng dẫn"
MASTER_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / MASTER_NAME
AMOUNT_MAX = 10**13  # whole đồng; a district's budget line stays far below this
BLANK = "……"

GREY = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

LABEL_CHARS_PER_LINE = 52  # how many characters of Times New Roman 12 fit the label column, roughly
UNIT_CHARS_PER_LINE = 14  # the same for the "Đơn vị" column ("Tập thể/cá nhân" takes two lines)
# "Hướng dẫn" is one column: LibreOffice never scales a single column to the page width (fit to width counts
# column breaks, and one column has none), so the column itself must fit A4 portrait within the default
# margins (0.75 in; custom margins on this sheet made LibreOffice's .xls of it claim 13,108 × 13,108 cells)
INSTRUCTIONS_WIDTH = 88
INSTRUCTIONS_CHARS_PER_LINE = 80  # characters of Times New Roman 12 in that column, roughly

DEFAULT_FOOTER: tuple[tuple[str, str], ...] = (
    ("", "……, ngày …… tháng …… năm ……"),
    ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ"),
    ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"),
)

PROMPT_NUMBER = "Nhập số nguyên không âm, ví dụ 12. Để trống nếu không có."
PROMPT_AMOUNT = "Nhập số tiền bằng đồng, số nguyên không âm, ví dụ 1200000. Để trống nếu không có."
PROMPT_TOTAL = ("Hàng tổng: bằng tổng các hàng chi tiết bên dưới. Có thể để trống, "
                "khi tổng hợp sẽ tự cộng các hàng chi tiết.")
ERROR_NUMBER = "Ô này chỉ nhận số nguyên không âm (0, 1, 2, …), không kèm chữ. Để trống nếu không có."
ERROR_AMOUNT = "Ô này chỉ nhận số tiền bằng đồng: số nguyên không âm, không kèm chữ, ví dụ 1200000."


@dataclass(frozen=True)
class FormLayout:
    """Where things are on a written form sheet: the row of each code and the column of each measure."""

    sheet: str
    unit_cell: str  # the cell holding "Đơn vị báo cáo: …"
    header_row: int  # first of the two header rows
    first_row: int
    last_row: int
    rows: dict[str, int]
    columns: dict[str, int] = field(default_factory=lambda: dict(MEASURE_COLUMNS))
    measures: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def cell(self, code: str, measure: str) -> str | None:
        """The address ("D12") of a row's measure (or "note"); None where the row has no such value."""
        if code not in self.rows or (measure != "note" and measure not in self.measures.get(code, ())):
            return None
        if measure == "note" and not self.measures.get(code):
            return None
        return f"{get_column_letter(self.columns[measure])}{self.rows[code]}"

    def input_cells(self) -> list[str]:
        """Every cell a unit may fill, in form order."""
        out = []
        for code in self.rows:
            for measure in (*self.measures.get(code, ()), "note"):
                ref = self.cell(code, measure)
                if ref:
                    out.append(ref)
        return out


@dataclass
class TemplatesResult:
    """What ``make_templates`` wrote."""

    out_dir: Path
    files: list[Path]
    mailing_list: Path
    master: Path | None = None
    units: list[Unit] = field(default_factory=list)


SheetWriter = Callable[[Workbook, "Campaign", Form, Unit], None]
"""Adds one sheet to a unit's workbook (after the form sheet, before the instructions)."""


def _font(bold: bool = False, size: float = 12, italic: bool = False) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic)


def _label_height(text: str, chars: int = LABEL_CHARS_PER_LINE) -> float:
    lines = max(1, math.ceil(len(text) / chars))
    return round(lines * LINE_HEIGHT + 3, 1)


def _total_codes(form: Form) -> set[str]:
    return {r.total for r in form.rules}


def write_form_sheet(ws: Worksheet, form: Form, *, title: str, subtitle: str, unit_line: str,
                     values: Mapping[str, Mapping[str, object]] | None = None, editable: bool = True,
                     footer_lines: Sequence[tuple[str, str]] | None = None) -> FormLayout:
    """Write the official form layout on a worksheet; inputs unlocked and validated when ``editable``."""
    check_layout(form)
    values = values or {}
    footer = DEFAULT_FOOTER if footer_lines is None else tuple(footer_lines)
    last_col = COL_NOTE
    letter = get_column_letter
    for col, w in WIDTHS.items():
        ws.column_dimensions[letter(col)].width = w

    def banner(row: int, text: str, font: Font, height: float | None = None) -> None:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        cell = ws.cell(row, 1)
        set_text(cell, text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if height:
            ws.row_dimensions[row].height = height

    banner(1, title, _font(bold=True, size=14), 20)
    banner(2, subtitle, _font(bold=True, size=13), 20)
    # the reader parses this line: keep "Đơn vị báo cáo: <tên>" whole in one cell
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last_col)
    unit_cell = ws.cell(3, 1)
    set_text(unit_cell, unit_line)
    unit_cell.font = _font(bold=True)
    unit_cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[3].height = 20

    h1, h2 = 5, 6
    heads = {COL_STT: "STT", COL_LABEL: "Các hoạt động", COL_UNIT: "Đơn vị", COL_NOTE: "Ghi chú"}
    for col, text in heads.items():
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        ws.cell(h1, col, text)
    ws.merge_cells(start_row=h1, start_column=COL_COUNT, end_row=h1, end_column=COL_PEOPLE)
    ws.cell(h1, COL_COUNT, "Số lượng")
    ws.cell(h2, COL_COUNT, MEASURE_NAMES["count"])
    ws.cell(h2, COL_PEOPLE, MEASURE_NAMES["people"])
    for r in (h1, h2):
        ws.row_dimensions[r].height = 33 if r == h2 else 18
        for c in range(1, last_col + 1):
            cell = ws.cell(r, c)
            cell.font = _font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = BORDER
            cell.fill = HEADER_FILL

    totals = _total_codes(form)
    number_dv = amount_dv = total_dv = None
    if editable:
        number_dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                   allow_blank=True, showErrorMessage=True, showInputMessage=True,
                                   errorTitle="Số liệu không hợp lệ", error=ERROR_NUMBER,
                                   promptTitle="Số nguyên không âm", prompt=PROMPT_NUMBER)
        total_dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                  allow_blank=True, showErrorMessage=True, showInputMessage=True,
                                  errorTitle="Số liệu không hợp lệ", error=ERROR_NUMBER,
                                  promptTitle="Hàng tổng", prompt=PROMPT_TOTAL)
        amount_dv = DataValidation(type="whole", operator="between", formula1="0", formula2=str(AMOUNT_MAX),
                                   allow_blank=True, showErrorMessage=True, showInputMessage=True,
                                   errorTitle="Số tiền không hợp lệ", error=ERROR_AMOUNT,
                                   promptTitle="Số tiền (đồng)", prompt=PROMPT_AMOUNT)
        for dv in (number_dv, total_dv, amount_dv):
            ws.add_data_validation(dv)

    rows: dict[str, int] = {}
    measures: dict[str, tuple[str, ...]] = {}
    r = h2 + 1
    first = r
    for row in form.rows:
        rows[row.code] = r
        measures[row.code] = row.measures
        _write_row(ws, r, row, values.get(row.code, {}), editable, row.code in totals,
                   {"number": number_dv, "total": total_dv, "amount": amount_dv})
        r += 1
    last = r - 1

    r += 1
    for left, right in footer:
        for col_from, col_to, text in ((COL_STT, COL_LABEL, left), (COL_UNIT, COL_NOTE, right)):
            ws.merge_cells(start_row=r, start_column=col_from, end_row=r, end_column=col_to)
            cell = ws.cell(r, col_from)
            set_text(cell, text or None)
            is_title = text.isupper()
            cell.font = _font(bold=is_title, italic=text.startswith(("(", "…")))
            cell.alignment = Alignment(horizontal="center", vertical="center")
        r += 1

    ws.freeze_panes = ws.cell(first, 1)
    ws.print_title_rows = f"{h1}:{h2}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_area = f"A1:{letter(last_col)}{r - 1}"
    if editable:
        ws.protection.sheet = True
        # let a clerk widen a column or a row for a long note; structure stays protected
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
    return FormLayout(ws.title, unit_cell.coordinate, h1, first, last, rows, dict(MEASURE_COLUMNS), measures)


def _write_row(ws: Worksheet, r: int, row: Row, vals: Mapping[str, object], editable: bool, is_total: bool,
               dvs: Mapping[str, DataValidation | None]) -> None:
    """One form row: STT, label, unit, the value cells it uses (white) and the ones it does not (grey)."""
    top = bool(row.stt) or row.is_header
    label_font = _font(bold=top or is_total)
    for col in range(1, COL_NOTE + 1):
        cell = ws.cell(r, col)
        cell.border = BORDER
        cell.font = label_font if col in (COL_STT, COL_LABEL) else _font()
    set_text(ws.cell(r, COL_STT), row.stt or None)
    ws.cell(r, COL_STT).alignment = Alignment(horizontal="center", vertical="center")
    set_text(ws.cell(r, COL_LABEL), row.label)
    ws.cell(r, COL_LABEL).alignment = Alignment(vertical="center", wrap_text=True, indent=0 if top else 1)
    set_text(ws.cell(r, COL_UNIT), row.unit or None)
    ws.cell(r, COL_UNIT).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    height = _label_height(row.label)

    used: dict[int, str] = {}
    if "text" in row.measures:
        ws.merge_cells(start_row=r, start_column=COL_COUNT, end_row=r, end_column=COL_PEOPLE)
        used[COL_COUNT] = "text"
        height = max(height, 100.0)  # a merged cell never auto-fits: leave room to write
    else:
        for m in row.numeric_measures:
            used[MEASURE_COLUMNS[m]] = m
    if not row.is_header:
        used[COL_NOTE] = "note"
    if row.unit:  # a unit wrapped over two lines ("Tập thể/cá nhân") needs the row's height too
        height = max(height, _label_height(row.unit, UNIT_CHARS_PER_LINE))
    ws.row_dimensions[r].height = height

    for col in (COL_COUNT, COL_PEOPLE, COL_NOTE):
        if col == COL_PEOPLE and "text" in row.measures:
            # inside the merged text area: same protection as its top-left cell, whichever one a program reads
            ws.cell(r, col).protection = Protection(locked=not editable)
            continue
        cell = ws.cell(r, col)
        measure = used.get(col)
        if measure is None:
            cell.fill = GREY
            cell.protection = Protection(locked=True)
            continue
        value = vals.get(measure)
        if measure in ("text", "note"):
            set_text(cell, value if value not in (None, "") else None)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        else:
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                cell.value = int(value) if isinstance(value, float) and value.is_integer() else value
            cell.number_format = NUMBER_FORMAT
            cell.alignment = Alignment(horizontal="right", vertical="center")
        if editable:
            cell.protection = Protection(locked=False)
            dv = None
            if measure == "amount":
                dv = dvs["amount"]
            elif measure in ("count", "people"):
                dv = dvs["total" if is_total else "number"]
            if dv is not None:
                dv.add(cell.coordinate)


def _date(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "(chưa định)"


def _row_name(form: Form, code: str) -> str:
    row = form.row(code)
    return f"mục {row.stt}" if row.stt else f"hàng \"{row.label.rstrip(':, ')}\""


def instructions(campaign: Campaign | None, form: Form, unit: Unit | None) -> list[str]:
    """The lines of the "Hướng dẫn" sheet (Vietnamese)."""
    lines = ["HƯỚNG DẪN ĐIỀN BIỂU TỔNG HỢP"]
    if campaign is not None:
        lines.append(f"Đợt báo cáo: {campaign.title}" + (f" — {campaign.district}" if campaign.district else ""))
    if unit is not None:
        lines.append(f"Đơn vị: {unit.name} (mã {unit.code})")
    lines += [
        "",
        f"1. Điền số liệu vào trang \"{form.sheet}\". Chỉ nhập vào các ô màu trắng; các ô màu xám là ô "
        "không dùng và đã được khóa.",
        "2. Ghi số nguyên không âm, chỉ ghi số, không kèm chữ hay đơn vị: ghi 12, không ghi \"12 lớp\". "
        "Số tiền ghi bằng đồng, ví dụ 1200000 (không ghi \"1,2 triệu\").",
        "3. Hoạt động nào đơn vị không tổ chức thì để trống ô đó.",
    ]
    rules = []
    for rule in form.rules:
        first, last = form.row(rule.parts[0]), form.row(rule.parts[-1])
        span = (f"\"{first.label}\"" if first is last
                else f"các hàng từ \"{first.label}\" đến \"{last.label}\"")
        rules.append(f"   – {_row_name(form, rule.total)} ({MEASURE_NAMES[rule.measure]}) = tổng {span}.")
    if rules:
        lines.append("4. Các hàng tổng bằng tổng các hàng chi tiết (\"trong đó\") bên dưới:")
        lines += rules
        lines.append("   Có thể để trống hàng tổng: khi tổng hợp sẽ tự cộng các hàng chi tiết. "
                     "Nếu ghi, số phải khớp với tổng các hàng chi tiết.")
    lines += [
        "5. Cột \"Ghi chú\" để giải thích thêm nếu cần. Nội dung khác ghi vào ô lớn của mục cuối biểu.",
        "6. Không đổi tên trang, không thêm, xóa hay di chuyển hàng, cột; không xóa trang ẩn "
        "(trang này giúp nhận biết đơn vị khi tổng hợp).",
        "7. Lưu tệp bằng Excel hoặc LibreOffice (dạng .xlsx, .xls hoặc .ods đều được) và gửi lại nguyên tệp.",
    ]
    if campaign is not None:
        send = f"gửi về {campaign.email}" if campaign.email else "gửi về Phòng Giáo dục và Đào tạo"
        lines.append(f"8. Hạn nộp: {_date(campaign.deadline)}; {send}.")
        if campaign.office:
            lines.append(f"Cần hỗ trợ, xin liên hệ {campaign.office}"
                         + (f" (email {campaign.email})." if campaign.email else "."))
    return lines


def write_instructions_sheet(wb: Workbook, campaign: Campaign | None, form: Form, unit: Unit | None) -> Worksheet:
    """Add the "Hướng dẫn" sheet."""
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    lines = instructions(campaign, form, unit)
    for i, line in enumerate(lines, start=1):
        cell = ws.cell(i, 1)
        set_text(cell, line or None)
        cell.font = _font(bold=i == 1, size=14 if i == 1 else 12)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = _label_height(line, INSTRUCTIONS_CHARS_PER_LINE)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # Excel scales; LibreOffice needs the width above
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.protection.sheet = True
    return ws


def write_identity_sheet(wb: Workbook, form: Form, year: int | None, unit_code: str, unit_name: str,
                         now: dt.datetime) -> Worksheet:
    """Add the hidden, protected identity sheet (see identity.py); values as text, ``saved_at`` =NOW()."""
    ws = wb.create_sheet(IDENTITY_SHEET)
    rows = identity_rows(form.id, form.version, year or 0, unit_code, unit_name, now)
    if year is None:
        rows = [(k, "" if k == "year" else v) for k, v in rows]
    for i, (key, value) in enumerate(rows, start=1):
        ws.cell(i, 1, key)
        cell = ws.cell(i, 2)
        set_text(cell, value)
        cell.number_format = "@"
    ws.cell(len(rows) + 1, 1, "saved_at")
    ws.cell(len(rows) + 1, 2, "=NOW()").number_format = "yyyy-mm-dd hh:mm:ss"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 40
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return ws


def _title_lines(form: Form, campaign: Campaign | None) -> tuple[str, str]:
    if campaign is None:
        return form.title, form.subtitle.replace("{year}", BLANK)
    return form.title, form.subtitle_for(campaign.year)


def unit_workbook(campaign: Campaign, form: Form, unit: Unit, now: dt.datetime,
                  extra_sheets: Sequence[SheetWriter] = ()) -> Workbook:
    """The workbook of one unit: form sheet (first, active), extra sheets, instructions, hidden identity."""
    wb = Workbook()
    ws = wb.active
    ws.title = form.sheet
    title, subtitle = _title_lines(form, campaign)
    write_form_sheet(ws, form, title=title, subtitle=subtitle, unit_line=f"Đơn vị báo cáo: {unit.name}")
    for writer in extra_sheets:
        writer(wb, campaign, form, unit)
    write_instructions_sheet(wb, campaign, form, unit)
    write_identity_sheet(wb, form, campaign.year, unit.code, unit.name, now)
    _properties(wb, f"{form.name} — {unit.name}", campaign)
    wb.active = 0
    return wb


def _properties(wb: Workbook, title: str, campaign: Campaign | None) -> None:
    # structure protection (no password): sheets cannot be renamed, deleted or unhidden by a slip,
    # which keeps the hidden identity sheet with the file
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = title
    wb.properties.creator = (campaign.office if campaign and campaign.office else "consolidate")


def write_master_template(path: str | Path, form: Form, campaign: Campaign | None = None,
                          now: dt.datetime | None = None) -> Path:
    """Write the blank master template for a generic unit (atomically)."""
    path = Path(path)
    now = now or dt.datetime.now()
    wb = Workbook()
    ws = wb.active
    ws.title = form.sheet
    title, subtitle = _title_lines(form, campaign)
    write_form_sheet(ws, form, title=title, subtitle=subtitle, unit_line=f"Đơn vị báo cáo: {BLANK * 8}")
    write_instructions_sheet(wb, campaign, form, None)
    write_identity_sheet(wb, form, campaign.year if campaign else None, "", "", now)
    _properties(wb, form.name, campaign)
    wb.active = 0
    outputs.atomic_write(path, lambda tmp: wb.save(tmp))
    return path


def mail_subject(campaign: Campaign, form: Form, unit: Unit) -> str:
    """Subject line of a unit's email."""
    return f"{form.name} {campaign.title} — {unit.name}"


def mail_body(campaign: Campaign, form: Form, unit: Unit, file_name: str) -> str:
    """Body of a unit's email (Vietnamese), with the deadline and where to send the file back."""
    sender = campaign.office or "Phòng Giáo dục và Đào tạo"
    back = campaign.email or "địa chỉ email này"
    return "\n".join([
        f"Kính gửi: {unit.name},",
        "",
        f"{sender} gửi đơn vị biểu mẫu \"{form.name}\" của đợt {campaign.title} (tệp đính kèm {file_name}).",
        f"Đề nghị đơn vị điền số liệu vào các ô màu trắng theo trang \"{INSTRUCTIONS_SHEET}\" trong tệp, "
        f"giữ nguyên tên trang và các hàng, cột, lưu lại và gửi tệp về {back} "
        f"trước ngày {_date(campaign.deadline)}.",
        "",
        "Trân trọng cảm ơn.",
        sender,
    ])


MAILING_COLUMNS = ("Email", "Mã đơn vị", "Tên đơn vị", "Tệp đính kèm", "Tiêu đề", "Nội dung")


def mailing_csv(rows: Sequence[Sequence[str]]) -> str:
    """The mailing list as CSV text with a BOM, so Excel opens the Vietnamese right."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(MAILING_COLUMNS)
    writer.writerows(rows)
    return "\ufeff" + buf.getvalue()


# ------------------------------------------------------------------------------------------ fast path
#
# openpyxl builds and saves a unit's workbook in 30–80 ms; for a province's thousands of units that is
# minutes. Every unit's workbook is the same but for the unit's code and name, so it is built once as a
# *stencil* for a stand-in unit whose code and name are runs of private-use characters, and each unit's
# file is the stencil's zip with the stand-in's runs replaced by the unit's code and name, XML-escaped the
# way the stencil's XML writes text. Only one thing of a unit workbook depends on the name otherwise: the
# row heights of the "Hướng dẫn" lines (from their length), so stencils are kept per tuple of those
# heights. A unit whose code or name holds anything that openpyxl would write differently (quotes, outer
# spaces, control characters) is built with openpyxl, and so is every unit when an extra-sheet writer
# does not declare (``writer.unit_fields``) that it writes only ``unit.code``/``unit.name``, verbatim and in
# cells whose size does not follow them. The test suite compares stencilled and openpyxl-built files.

_SENTINEL_NAME = "\ue0a1"
_SENTINEL_CODE = "\ue0a2"


def _uses_only_code_and_name(writer: SheetWriter) -> bool:
    """An extra-sheet writer may be stencilled when it declares it reads only ``unit.code``/``unit.name``."""
    fields = getattr(writer, "unit_fields", None)
    return fields is not None and set(fields) <= {"code", "name"}


def _plain(text: str) -> bool:
    # set_text rewrites an "_x…_" (OOXML's escape), so such a text is not written verbatim
    return bool(text) and text.isprintable() and text == text.strip() and not any(q in text for q in "\"'") \
        and "_x" not in text and _SENTINEL_NAME not in text and _SENTINEL_CODE not in text


class _Stencil:
    """A unit workbook's zip with stand-in code and name, ready to be patched for any unit of its key."""

    def __init__(self, campaign: Campaign, form: Form, unit: Unit, now: dt.datetime,
                 extra_sheets: Sequence[SheetWriter]) -> None:
        import dataclasses
        import zipfile

        # the stand-in has the unit's lengths, so its instruction heights are the unit's
        self.name_len, self.code_len = len(unit.name), len(unit.code)
        stand_in = dataclasses.replace(unit, code=_SENTINEL_CODE * self.code_len,
                                       name=_SENTINEL_NAME * self.name_len)
        wb = unit_workbook(campaign, form, stand_in, now, extra_sheets)
        buf = io.BytesIO()
        wb.save(buf)
        self.members: list[tuple[zipfile.ZipInfo, bytes, bool]] = []
        found_name = found_code = False
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            for info in zf.infolist():
                data = zf.read(info)
                hit = False
                for ch in (_SENTINEL_NAME, _SENTINEL_CODE):
                    if ch.encode("utf-8") in data or ch.encode("ascii", "xmlcharrefreplace") in data:
                        hit = True
                        found_name |= ch == _SENTINEL_NAME
                        found_code |= ch == _SENTINEL_CODE
                self.members.append((info, data, hit))
        self.ok = found_name and found_code  # the identity sheet carries both: else something rewrote them

    def render(self, unit: Unit) -> bytes:
        """The unit's workbook bytes."""
        import zipfile
        from xml.sax.saxutils import escape

        pairs = []
        for ch, n, value in ((_SENTINEL_NAME, self.name_len, unit.name), (_SENTINEL_CODE, self.code_len, unit.code)):
            pairs.append(((ch * n).encode("utf-8"), escape(value).encode("utf-8")))
            pairs.append(((ch * n).encode("ascii", "xmlcharrefreplace"),
                          escape(value).encode("ascii", "xmlcharrefreplace")))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data, hit in self.members:
                if hit:
                    for old, new in pairs:
                        data = data.replace(old, new)
                # deflate level 1: a third of the time of zlib's default, for a file ~15 % larger (20 KB)
                zf.writestr(info, data, compresslevel=1)
        return out.getvalue()


def _stencil_key(campaign: Campaign, form: Form, unit: Unit) -> tuple[float, ...]:
    """What of a unit workbook follows the unit's name besides the name itself: the instruction heights."""
    return tuple(_label_height(line, INSTRUCTIONS_CHARS_PER_LINE) for line in instructions(campaign, form, unit))


def _unit_bytes(stencils: dict[tuple[float, ...], _Stencil | None], campaign: Campaign, form: Form, unit: Unit,
                now: dt.datetime, extra_sheets: Sequence[SheetWriter]) -> bytes | None:
    """The unit's workbook from its stencil, or None when it must be built with openpyxl."""
    if not (_plain(unit.name) and _plain(unit.code)):
        return None
    key = _stencil_key(campaign, form, unit)
    if key not in stencils:
        stencil = _Stencil(campaign, form, unit, now, extra_sheets)
        stencils[key] = stencil if stencil.ok else None
    stencil = stencils[key]
    return stencil.render(unit) if stencil is not None else None


def replaceable(path: Path, form: Form, campaign: Campaign, units: UnitList) -> bool:
    """Whether a template may be written at ``path``: nothing is there, or only a template this program wrote
    that nobody saved or typed into (a unit's save fills the identity sheet's ``saved_at``)."""
    if not path.exists():
        return True
    if not path.is_file():
        return False
    from consolidate.reader import read_file

    rf = read_file(path, path.name, form, campaign, units)
    return rf.kind == "report" and rf.identity is not None and rf.identity.saved_at is None and not rf.typed


def make_templates(campaign: Campaign, form: Form, units: UnitList, out_dir: str | Path,
                   now: dt.datetime | None = None, extra_sheets: Sequence[SheetWriter] = ()) -> TemplatesResult:
    """Write one workbook per unit, the mailing list and a copy of the master template into ``out_dir``."""
    out_dir = Path(out_dir)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    unit_list = list(units)
    # reserve the master's name so no unit file can take it
    names = outputs.unique_names([MASTER_NAME] + [outputs.unit_file_name(u.code, u.name) for u in unit_list])[1:]
    files: list[Path] = []
    mail_rows: list[list[str]] = []
    check_layout(form)  # before the lock and the first file: a bad definition writes nothing
    stencils: dict[tuple[float, ...], _Stencil | None] = {}
    fast = all(_uses_only_code_and_name(w) for w in extra_sheets)
    outputs.check_output(out_dir, folder=True, what="các biểu mẫu")
    kept = [n for n in [*names, MASTER_NAME] if not replaceable(out_dir / n, form, campaign, units)]
    if kept:
        # units send the file back under the name they received: a template written over it loses the return
        raise RunError(f"Thư mục {out_dir} đã có {len(kept)} tệp không phải biểu mẫu trống do chương trình tạo "
                       f"(có thể là báo cáo đơn vị đã điền): {', '.join(kept[:10])}{' …' if len(kept) > 10 else ''}. "
                       "Không ghi đè; hãy chọn thư mục khác cho biểu mẫu (-o THƯ_MỤC) hoặc chuyển các tệp đó đi.")
    with outputs.folder_lock(out_dir):
        for unit, name in zip(unit_list, names):
            target = outputs.inside(out_dir, name)
            data = _unit_bytes(stencils, campaign, form, unit, now, extra_sheets) if fast else None
            if data is not None:
                outputs.atomic_write(target, lambda tmp, data=data: tmp.write_bytes(data))
            else:
                wb = unit_workbook(campaign, form, unit, now, extra_sheets)
                outputs.atomic_write(target, lambda tmp, wb=wb: wb.save(tmp))
            files.append(target)
            mail_rows.append([outputs.csv_safe(unit.email), outputs.csv_safe(unit.code),
                              outputs.csv_safe(unit.name), name, outputs.csv_safe(mail_subject(campaign, form, unit)),
                              outputs.csv_safe(mail_body(campaign, form, unit, name))])
        master = write_master_template(outputs.inside(out_dir, MASTER_NAME), form, campaign, now)
        mailing = outputs.inside(out_dir, MAILING_LIST_NAME)
        outputs.atomic_write_text(mailing, mailing_csv(mail_rows), encoding="utf-8")
    return TemplatesResult(out_dir, files, mailing, master, unit_list)


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the committed master template: ``python -m consolidate.templates [PATH]``."""
    from consolidate.form import load_form

    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else MASTER_TEMPLATE
    write_master_template(path, load_form())
    return 0


if __name__ == "__main__":
    sys.exit(main())
