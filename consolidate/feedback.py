"""Feedback for the units: a copy of each faulty workbook with the problem cells highlighted and explained,
a first sheet listing the problems, and a mailing list to send the copies back.

The unit's own .xlsx/.xlsm is loaded with openpyxl (macros dropped, saved as .xlsx) so that it keeps its
layout; a .xls or .ods, which openpyxl cannot open, is rebuilt as .xlsx from the values the reader saw
(cell for cell, same addresses), and the problem sheet says so. The original file is only ever read.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.worksheet import Worksheet

from consolidate import outputs
from consolidate.identity import IDENTITY_SHEET
from consolidate.issues import SEVERITY_NAMES, Issue, RunError
from consolidate.results import FileReport, RunResult
from consolidate.templates import mailing_csv
from consolidate.text import set_text

FEEDBACK_SHEET = "Các lỗi cần sửa"
MAILING_LIST_NAME = "danh_sach_gui_lai.csv"
AUTHOR = "Phòng GD&ĐT"
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
SHOWN = ("error", "warning")  # information is not something to fix
MAX_WIDTH = 60  # characters, for a column of a rebuilt .xls/.ods


@dataclass
class FeedbackFile:
    """One highlighted copy written for a unit."""

    report: FileReport
    path: Path
    converted: bool  # rebuilt from values (.xls/.ods source) rather than a copy of the workbook
    email: str = ""
    unit_name: str = ""
    marked: int = 0  # cells highlighted


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


def _rebuild_workbook(report: FileReport) -> Workbook:
    """A new workbook holding the values of every sheet the reader saw, at the same addresses."""
    from consolidate.reader import open_sheets

    sheets, _kind, issues = open_sheets(report.path, report.file)
    if sheets is None:
        raise _Unreadable("; ".join(i.message for i in issues) or "không đọc được tệp")
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        widths: dict[str, int] = {}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value in ("", None):
                    continue
                if not isinstance(value, (str, int, float, bool, dt.date, dt.time, dt.timedelta)):
                    value = str(value)
                cell = ws[sheet.address(r, c)]
                set_text(cell, value)
                if isinstance(value, str) and len(value) > MAX_WIDTH:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), len(str(value)))
        # no formatting survives the rebuild; columns wide enough to read, long labels wrapped
        for letter, chars in widths.items():
            ws.column_dimensions[letter].width = min(max(chars + 2, 8), MAX_WIDTH)
        if sheet.hidden:
            ws.sheet_state = "hidden"
        if sheet.name == IDENTITY_SHEET:
            _restore_save_time(ws)
    return wb


def _restore_save_time(ws: Worksheet) -> None:
    """Put back the identity's ``saved_at = NOW()``: calamine gave its value, and a corrected file sent
    back must carry its own save time to count as the newer submission."""
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == "saved_at":
            row[1].value = "=NOW()"
            row[1].number_format = "yyyy-mm-dd hh:mm:ss"


def _target_cell(ws: Worksheet, ref: str):  # noqa: ANN202
    """The cell to mark: a merged area's top-left cell (the one that holds the value)."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def mark_cells(wb: Workbook, issues: list[Issue]) -> int:
    """Highlight each problem cell (errors red, warnings yellow) with a Vietnamese comment; unlock it."""
    notes: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            notes.setdefault((issue.sheet, issue.cell), []).append(issue)
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
        text = "\n".join(f"{SEVERITY_NAMES[i.severity]}: {short_message(i)}" for i in found)
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 360, 40 + 18 * (len(text) // 45 + len(found))
        cell.comment = comment
    return len(notes)


def _problem_sheet(wb: Workbook, report: FileReport, unit_name: str, issues: list[Issue], converted: bool,
                   deadline: dt.date | None) -> None:
    if FEEDBACK_SHEET in wb.sheetnames:  # a unit returned an earlier feedback copy
        wb.remove(wb[FEEDBACK_SHEET])
    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    who = f"{unit_name} ({report.unit})" if report.unit else "chưa xác định được đơn vị"
    errors = sum(1 for i in issues if i.severity == "error")
    warns = len(issues) - errors
    lines = [
        "CÁC LỖI CẦN SỬA",
        f"Đơn vị: {who} — tệp đã gửi: {report.file}",
        f"Có {errors} lỗi cần sửa (ô tô đỏ) và {warns} điểm cần xem lại (ô tô vàng); "
        "di chuột vào ô để xem ghi chú.",
        ("Sửa các lỗi ngay trong các trang của tệp này, lưu lại và gửi lại"
         + (f" trước ngày {deadline:%d/%m/%Y}" if deadline else "") + ". Trang này có thể để nguyên.")
        if errors else "Không có lỗi; nếu các số liệu cần xem lại là đúng thì không cần gửi lại.",
    ]
    if converted:
        lines.append(f"Tệp gốc \"{PurePosixPath(report.file).name}\" là dạng .xls/.ods nên bản này chỉ chép lại "
                     "các giá trị sang .xlsx (không giữ định dạng). Đơn vị có thể sửa ngay trên tệp gốc của mình "
                     "theo danh sách dưới đây rồi gửi lại.")
    legacy = legacy_note(report)
    if legacy:
        lines.append(legacy)
    for r, text in enumerate(lines, start=1):
        set_text(ws.cell(r, 1), text)
        ws.cell(r, 1).font = Font(bold=r == 1, size=13 if r == 1 else 11)
    head = len(lines) + 2
    for c, text in enumerate(("STT", "Mức độ", "Trang", "Ô", "Nội dung"), start=1):
        ws.cell(head, c, text).font = Font(bold=True)
    for k, issue in enumerate(issues, start=1):
        r = head + k
        ws.cell(r, 1, k)
        set_text(ws.cell(r, 2), SEVERITY_NAMES[issue.severity])
        set_text(ws.cell(r, 3), issue.sheet or "")
        set_text(ws.cell(r, 4), issue.cell or "")
        set_text(ws.cell(r, 5), short_message(issue))
        ws.cell(r, 5).alignment = Alignment(wrap_text=True, vertical="top")
        if issue.severity in FILLS:
            ws.cell(r, 2).fill = FILLS[issue.severity]
    for col, width in zip("ABCDE", (6, 11, 18, 8, 100)):
        ws.column_dimensions[col].width = width
    wb.active = 0
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws


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
        f"danh sách ở trang đầu \"{FEEDBACK_SHEET}\".",
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
        for report, name in zip(chosen, names):
            unit = result.units.get(report.unit) if report.unit else None
            unit_name = unit.name if unit else ""
            issues = problems(report)
            try:
                data = report.path.read_bytes()
                converted = not _is_ooxml(data)
                wb = _rebuild_workbook(report) if converted else _copy_workbook(data)
                marked = mark_cells(wb, issues)
                _problem_sheet(wb, report, unit_name, issues, converted, result.campaign.deadline)
                target = outputs.inside(out_dir, name)
                outputs.atomic_write(target, lambda tmp, wb=wb: wb.save(tmp))
            except (RunError, _Unreadable) as exc:  # already said in Vietnamese
                skipped.append((report.file, str(exc)))
                continue
            except Exception as exc:  # one file that cannot be copied must not stop the others
                skipped.append((report.file, f"không mở được tệp để chép ({type(exc).__name__}: {exc})"[:300]))
                continue
            written.append(FeedbackFile(report, target, converted, unit.email if unit else "", unit_name, marked))
            subject, body = _mail(result, report, unit_name, name, issues)
            rows.append([outputs.csv_safe(unit.email if unit else ""), outputs.csv_safe(report.unit or ""),
                         outputs.csv_safe(unit_name), name, outputs.csv_safe(subject), outputs.csv_safe(body)])
        if written:
            mailing = outputs.inside(out_dir, MAILING_LIST_NAME)
            outputs.atomic_write_text(mailing, mailing_csv(rows), encoding="utf-8")
    return FeedbackResult(out_dir, written, mailing, skipped)
