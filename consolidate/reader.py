"""Read returned workbooks as they really arrive: find the form by meaning, read its values and say who
sent it, or say exactly why not.

Every file goes through :func:`sniff.sniff` (what it is, safety bounds) and is then read with
python-calamine from the bytes already in memory (never from the path, so the input is opened once,
read-only). Where calamine fails on a file, or on one sheet, or must not open it (sniff says it would
over-allocate), the kept reader of the format reads the same bounded area: openpyxl (.xlsx/.xlsm), xlrd
(.xls), odfpy (.ods); the sheets that read are kept. The form is found by its header text on any sheet at any position, and each row by its label;
positions are never trusted. Values go through :mod:`consolidate.values`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from consolidate.identity import (IDENTITY_SHEET, SOURCE_NAMES, Evidence, Identity, claims, confirm_line, parse_identity,
                                  reconcile)
from consolidate.issues import Issue, RunError, make
from consolidate.legacy_text import convert_sheets
from consolidate.results import TABLE_COLUMNS
from consolidate.sniff import check_defusedxml, sniff
from consolidate.text import EXCEL_CELL_LIMIT, clean, fold, fold_cached, words
from consolidate.values import as_text, parse_value

if TYPE_CHECKING:
    import pandas as pd

    from consolidate.campaign import Campaign
    from consolidate.form import Form, Row
    from consolidate.units import Unit, UnitList

MAX_ROWS = 500  # the form has ~45 rows; a retyped one with notes and signatures stays well inside
MAX_COLS = 30
Kind = Literal["report", "not_a_report", "unreadable"]


@lru_cache(maxsize=1)
def ensure_safe_xml() -> None:
    """Stop the run unless openpyxl parses XML through defusedxml (SECURITY.md), checked once."""
    if not check_defusedxml():
        raise RunError("Thiếu thư viện defusedxml nên không thể đọc an toàn các tệp nhận về; "
                       "hãy cài lại chương trình (pip install defusedxml).")


@lru_cache(maxsize=1024)  # every value of every file has its address written out: the same few columns
def column_letters(index: int) -> str:
    """Excel column letters of a 0-based column index (0 → "A", 16383 → "XFD")."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Sheet:
    """One sheet as read: a bounded grid of calamine values and where it sits in Excel coordinates."""

    name: str
    rows: list[list[object]]  # values as calamine gives them, bounded to a safe area
    first_row: int  # 0-based Excel row of rows[0]
    first_col: int  # 0-based Excel column of rows[r][0]
    hidden: bool = False
    uncached: frozenset[str] = frozenset()  # addresses of formula cells that store no value

    def address(self, r: int, c: int) -> str:
        """True Excel address ("D12") of grid position r, c."""
        return f"{column_letters(self.first_col + c)}{self.first_row + r + 1}"

    def cell(self, r: int, c: int) -> object:
        """The value at grid position r, c ('' outside the grid)."""
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""


@dataclass
class ReadFile:
    """Everything read from one file of the folder."""

    file: str  # path relative to the folder, forward slashes
    path: Path
    kind: Kind
    unit: str | None = None  # unit code when identified (unique match), else None
    identity_source: str | None = None  # the strongest source naming the unit (identity.SOURCES)
    identity: Identity | None = None
    saved_at: dt.datetime | None = None  # identity sheet's saved_at, else file mtime
    received_at: dt.datetime | None = None  # file mtime
    records: list[dict] = field(default_factory=list)  # rows of results.TABLE_COLUMNS
    issues: list[Issue] = field(default_factory=list)
    form_found: bool = False
    form_sheet: str | None = None
    sheets: list[Sheet] = field(default_factory=list)
    superseded_by: str | None = None
    extras: dict[str, object] = field(default_factory=dict)  # what read_folder's ``after`` computed
    evidence: list[Evidence] = field(default_factory=list)  # every piece of evidence of who sent it
    unconfirmed: bool = False  # the evidence names two different units: the clerk must say which
    typed: bool = False  # the unit typed something into the form (see has_typed); an untouched template has not


# ------------------------------------------------------------------------------------------- opening

def load_sheets(data: bytes, rel: str, refused: dict[str, str] | None = None,
                uncached: dict[str, set[str]] | None = None, *, fmt: str | None = None,
                calamine_safe: bool = True) -> tuple[list[Sheet] | None, list[Issue]]:
    """Read every worksheet's bounded area from bytes already checked by sniff: with calamine, and with the
    kept reader of the format (openpyxl, xlrd, odfpy) for a file or the sheets calamine cannot read."""
    from python_calamine import PasswordError

    refused, uncached = refused or {}, uncached or {}
    fmt = fmt or _guess_format(data)
    sheets: list[Sheet] | None = None
    issues: list[Issue] = []
    failed: dict[str, str] = {}  # sheet name → calamine's reason
    failure: BaseException | None = None
    if calamine_safe:
        try:
            with _quiet_stderr():
                sheets, issues, failed = _calamine_sheets(data, rel, refused, uncached)
        except PasswordError:
            return None, [make("encrypted", file=rel)]
        except BaseException as exc:  # calamine's errors, and its Rust panics (a BaseException)
            _reraise_interrupts(exc)
            failure = exc
    if sheets is not None and not failed:
        return sheets, issues
    fallback = _FALLBACKS.get(fmt)
    wanted = None if sheets is None else set(failed)
    kept: list[Sheet] | None = None
    if fallback is not None:
        try:
            with _quiet_stderr():
                kept, kept_issues = fallback(data, rel, refused, wanted)
        except BaseException as exc:  # the kept readers raise their own errors on damaged files
            _reraise_interrupts(exc)
            failure = failure or exc
        else:
            if sheets is None:
                return kept, kept_issues
    if sheets is None:
        reason = _reason(failure) if failure else "không có trình đọc cho dạng tệp này"
        return None, [make("corrupt", file=rel, reason=f"cấu trúc bảng tính không đọc được: {reason}")]
    by_name = {s.name: s for s in kept or []}
    out = []
    for sheet in sheets:
        out.append(sheet)
    for name, why in failed.items():
        if name in by_name:
            out.append(replace(by_name[name], uncached=frozenset(uncached.get(name, ()))))
        else:
            issues.append(make("sheet-unreadable", file=rel, sheet=name, reason=why))
    return out, issues


def _guess_format(data: bytes) -> str:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if b"mimetypeapplication/vnd.oasis.opendocument" in data[:100]:
        return "ods"
    return "xlsx"


def _calamine_sheets(data: bytes, rel: str, refused: dict[str, str],
                     uncached: dict[str, set[str]]) -> tuple[list[Sheet], list[Issue], dict[str, str]]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    issues: list[Issue] = []
    sheets: list[Sheet] = []
    failed: dict[str, str] = {}
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            if meta.name in refused:
                issues.append(make("sheet-too-large", file=rel, sheet=meta.name, reason=refused[meta.name]))
                continue
            try:
                sh = wb.get_sheet_by_index(i)
                start = sh.start or (0, 0)
                # relative to sh.start (iter_rows would pad from row 1); the sniff bound keeps the grid small
                rows = sh.to_python(nrows=MAX_ROWS)
                if max(map(len, rows), default=0) > MAX_COLS:  # a form's rows are narrower: no copy then
                    rows = [r[:MAX_COLS] for r in rows]
            except BaseException as exc:  # one sheet calamine cannot parse: the kept reader tries it
                _reraise_interrupts(exc)
                failed[meta.name] = _reason(exc)
                continue
            sheets.append(Sheet(meta.name, rows, start[0], start[1],
                                meta.visible != SheetVisibleEnum.Visible,
                                frozenset(uncached.get(meta.name, ()))))
    finally:
        wb.close()
    return sheets, issues, failed


# ------------------------------------------------------------------------------ kept fallback readers
# Each reads the same bounded area calamine would (MAX_ROWS × MAX_COLS from the first used cell), with the
# same value types (float numbers, str text, bool, datetime; '' for empty and error cells), skipping the
# sheets sniff refused. They run only where calamine fails or must not run, so their cost is off the
# common path.

def _grid(name: str, cells: dict[tuple[int, int], object], hidden: bool) -> Sheet:
    """A Sheet from sparse (row, col) → value, anchored at the first used row and column like calamine's."""
    used = {k: v for k, v in cells.items() if v != "" and v is not None}
    if not used:
        return Sheet(name, [], 0, 0, hidden)
    r0 = min(r for r, _ in used)
    c0 = min(c for _, c in used)
    r1 = min(max(r for r, _ in used), r0 + MAX_ROWS - 1)
    c1 = min(max(c for _, c in used), c0 + MAX_COLS - 1)
    rows: list[list[object]] = [[""] * (c1 - c0 + 1) for _ in range(r1 - r0 + 1)]
    for (r, c), v in used.items():
        if r <= r1 and c <= c1:
            rows[r - r0][c - c0] = v
    return Sheet(name, rows, r0, c0, hidden)


def _openpyxl_sheets(data: bytes, rel: str, refused: dict[str, str],
                     wanted: set[str] | None) -> tuple[list[Sheet], list[Issue]]:
    """.xlsx/.xlsm with openpyxl (read-only, cached values; defusedxml is in force, see ensure_safe_xml)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    try:
        for ws in wb.worksheets:
            if wanted is not None and ws.title not in wanted:
                continue
            if ws.title in refused:
                issues.append(make("sheet-too-large", file=rel, sheet=ws.title, reason=refused[ws.title]))
                continue
            cells: dict[tuple[int, int], object] = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or getattr(cell, "data_type", "") == "e":
                        continue
                    cells[(cell.row - 1, cell.column - 1)] = _plain_number(value)
            sheets.append(_grid(ws.title, cells, ws.sheet_state != "visible"))
    finally:
        wb.close()
    return sheets, issues


def _plain_number(value: object) -> object:
    """Numbers as calamine gives them (float), other values unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _xlrd_sheets(data: bytes, rel: str, refused: dict[str, str],
                 wanted: set[str] | None) -> tuple[list[Sheet], list[Issue]]:
    """.xls with xlrd, one sheet at a time (it ignores DIMENSIONS and grows by the cells it meets)."""
    import xlrd

    with open(os.devnull, "w", encoding="utf-8") as null:  # xlrd writes its warnings to a log file
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=null, formatting_info=False)
        sheets: list[Sheet] = []
        issues: list[Issue] = []
        try:
            for i, name in enumerate(book.sheet_names()):
                if wanted is not None and name not in wanted:
                    continue
                if name in refused:
                    issues.append(make("sheet-too-large", file=rel, sheet=name, reason=refused[name]))
                    continue
                sh = book.sheet_by_index(i)
                cells: dict[tuple[int, int], object] = {}
                for r in range(sh.nrows):
                    for c, (ctype, value) in enumerate(zip(sh.row_types(r), sh.row_values(r))):
                        if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                            continue
                        if ctype == xlrd.XL_CELL_DATE:
                            try:
                                value = xlrd.xldate_as_datetime(value, book.datemode)
                            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                                pass
                        elif ctype == xlrd.XL_CELL_BOOLEAN:
                            value = bool(value)
                        cells[(r, c)] = value
                sheets.append(_grid(name, cells, sh.visibility != 0))
                book.unload_sheet(i)
        finally:
            book.release_resources()
    return sheets, issues


_MAX_ODS_CONTENT = 8 * 1024 * 1024  # odfpy builds a DOM of content.xml; a form's is ~200 KB


def _odf_sheets(data: bytes, rel: str, refused: dict[str, str],
                wanted: set[str] | None) -> tuple[list[Sheet], list[Issue]]:
    """.ods with odfpy: rows and cells walked with their repeats counted, never expanded beyond the area."""
    import zipfile

    from odf.namespaces import TABLENS
    from odf.opendocument import load

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if zf.getinfo("content.xml").file_size > _MAX_ODS_CONTENT:
            raise ValueError("content.xml quá lớn cho trình đọc dự phòng")
    doc = load(io.BytesIO(data))
    hidden_styles = _odf_hidden_styles(doc)
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    for table in doc.spreadsheet.childNodes:
        if getattr(table, "qname", None) != (TABLENS, "table"):
            continue
        name = table.getAttrNS(TABLENS, "name") or ""
        if wanted is not None and name not in wanted:
            continue
        if name in refused:
            issues.append(make("sheet-too-large", file=rel, sheet=name, reason=refused[name]))
            continue
        cells: dict[tuple[int, int], object] = {}
        first: list[int] = []  # the first used row, once seen: rows past the area are not expanded
        r = 0
        for row in _odf_rows(table):
            rows_rep = min(int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1), 1_048_576)
            c = 0
            for cell in row.childNodes:
                if getattr(cell, "qname", None) not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                    continue
                cols_rep = min(int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1), 16_384)
                value = _odf_value(cell)
                if value != "":
                    if not first:
                        first.append(r)
                    for dr in range(min(rows_rep, max(0, first[0] + MAX_ROWS - r))):
                        for dc in range(min(cols_rep, MAX_COLS * 2)):
                            cells[(r + dr, c + dc)] = value
                c += cols_rep
            r += rows_rep
            if first and r > first[0] + MAX_ROWS:
                break
        style = table.getAttrNS(TABLENS, "style-name")
        sheets.append(_grid(name, cells, style in hidden_styles))
    return sheets, issues


def _odf_rows(node):  # noqa: ANN001, ANN202
    """Rows of a table, inside header-row and row groups too (not inside nested tables)."""
    from odf.namespaces import TABLENS

    for child in node.childNodes:
        if getattr(child, "qname", None) == (TABLENS, "table-row"):
            yield child
        elif getattr(child, "qname", None) in ((TABLENS, "table-header-rows"), (TABLENS, "table-row-group"), (TABLENS, "table-rows")):
            yield from _odf_rows(child)


def _odf_hidden_styles(doc) -> set[str]:  # noqa: ANN001
    """Names of table styles with display="false" (hidden sheets)."""
    from odf.namespaces import STYLENS, TABLENS

    hidden = set()
    for style in doc.automaticstyles.childNodes:
        for props in getattr(style, "childNodes", []):
            if getattr(props, "qname", None) == (STYLENS, "table-properties") and props.getAttrNS(TABLENS, "display") == "false":
                hidden.add(style.getAttrNS(STYLENS, "name"))
    return hidden


def _odf_value(cell) -> object:  # noqa: ANN001
    """A cell's value as calamine gives it: float, bool, datetime, date or text; '' when empty."""
    from odf.namespaces import OFFICENS, TEXTNS

    kind = cell.getAttrNS(OFFICENS, "value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            return float(cell.getAttrNS(OFFICENS, "value"))
        except (TypeError, ValueError):
            return ""
    if kind == "boolean":
        return cell.getAttrNS(OFFICENS, "boolean-value") == "true"
    if kind == "date":
        text = cell.getAttrNS(OFFICENS, "date-value") or ""
        try:
            return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
        except ValueError:
            return text
    paragraphs = [p for p in cell.childNodes if getattr(p, "qname", None) == (TEXTNS, "p")]
    return "\n".join(_odf_text(p) for p in paragraphs)


def _odf_text(node) -> str:  # noqa: ANN001
    """The text of a paragraph, with <text:s>, <text:tab> and <text:line-break> as the characters they mean."""
    from odf.namespaces import TEXTNS

    out = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            out.append(str(child.data))
        elif getattr(child, "qname", None) == (TEXTNS, "s"):
            out.append(" " * int(child.getAttrNS(TEXTNS, "c") or 1))
        elif getattr(child, "qname", None) == (TEXTNS, "tab"):
            out.append("\t")
        elif getattr(child, "qname", None) == (TEXTNS, "line-break"):
            out.append("\n")
        else:
            out.append(_odf_text(child))
    return "".join(out)


_FALLBACKS: dict[str, Callable[..., tuple[list[Sheet], list[Issue]]]] = {
    "xlsx": _openpyxl_sheets, "xls": _xlrd_sheets, "ods": _odf_sheets,
}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Keep a Rust panic's English backtrace off the clerk's terminal: the panic becomes an issue."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (a windowed app): nothing to keep clean
        yield
        return
    try:
        os.dup2(_devnull(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
    finally:
        os.close(saved)


_DEVNULL: list[int] = []  # the process's one descriptor on os.devnull (a forked worker shares it)


def _devnull() -> int:
    if not _DEVNULL:
        _DEVNULL.append(os.open(os.devnull, os.O_WRONLY))
    return _DEVNULL[0]


def _reraise_interrupts(exc: BaseException) -> None:
    """Ctrl-C and exit pass through; everything else a parser throws is about the file."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _reason(exc: BaseException) -> str:
    text = clean(str(exc))[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def open_sheets(path: Path, rel: str) -> tuple[list[Sheet] | None, str, list[Issue]]:
    """Sniff and read a file: (sheets, kind, issues); sheets is None when it is not a readable report."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, "unreadable", [make("cannot-open", file=rel, reason=_os_reason(exc))]
    sniffed = sniff(data, rel)
    if sniffed.kind != "report":
        return None, sniffed.kind, sniffed.issues
    sheets, issues = load_sheets(sniffed.data, rel, sniffed.refused_sheets, sniffed.uncached,
                                 fmt=sniffed.format, calamine_safe=sniffed.calamine_safe)
    if sheets is None:
        return None, "unreadable", sniffed.issues + issues
    issues += convert_sheets(sheets, sniffed.data, sniffed.format, rel)  # TCVN3/VNI text → Unicode
    return sheets, "report", sniffed.issues + issues


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "không có quyền đọc, hoặc tệp đang bị chương trình khác khóa"
    if isinstance(exc, FileNotFoundError):
        return "tệp không còn trong thư mục"
    if isinstance(exc, IsADirectoryError):
        return "đây là thư mục, không phải tệp"
    return f"lỗi hệ thống tệp {type(exc).__name__}"


# ----------------------------------------------------------------------------------- finding the form

_LABEL_KEYS = ("cachoatdong", "noidunghoatdong", "hoatdong")
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\s*[.):-]?|[a-zđ]\s*[.)]|[-–•+*])\s+", re.I)


@dataclass
class Layout:
    """Where the form sits on a sheet: header row end, label column and the value columns."""

    sheet: Sheet
    header_row: int  # grid row of "Các hoạt động"
    data_row: int  # first grid row after the header rows
    label: int
    count: int | None
    people: int | None
    note: int | None
    stt: int | None


def _key(value: object) -> str:
    return fold_cached(value) if isinstance(value, str) else ""


def find_layout(sheet: Sheet) -> Layout | None:
    """Locate the form's header on a sheet by its text ("Các hoạt động", "Số lớp/số cuộc thi", "Người")."""
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if _key(value) not in _LABEL_KEYS:
                continue
            cols: dict[str, tuple[int, int]] = {}  # name → (row, col)
            for hr in range(r, min(r + 3, len(sheet.rows))):
                for hc, v in enumerate(sheet.rows[hr]):
                    k = _key(v)
                    if not k or hc == c:
                        continue
                    if k.startswith("solop") or "socuocthi" in k or k in ("solopsocuoc", "solopcuoc"):
                        cols.setdefault("count", (hr, hc))
                    elif k in ("nguoi", "songuoi", "soluongnguoi", "luotnguoi"):
                        cols.setdefault("people", (hr, hc))
                    elif k.startswith("ghichu"):
                        cols.setdefault("note", (hr, hc))
                    elif k in ("stt", "tt", "so thu tu", "sothutu"):
                        cols.setdefault("stt", (hr, hc))
            if "count" not in cols and "people" not in cols:
                continue
            last = max(pos[0] for name, pos in cols.items() if name in ("count", "people"))
            return Layout(sheet, r, last + 1, c, cols.get("count", (0, None))[1],
                          cols.get("people", (0, None))[1], cols.get("note", (0, None))[1],
                          cols.get("stt", (0, None))[1])
    return None


class LabelMatcher:
    """Row labels → form codes: exact folded match (labels and aliases), then a unique prefix match."""

    MIN_PREFIX = 12  # folded characters; shorter texts only ever match exactly

    def __init__(self, form: Form) -> None:
        self.keys = form.label_keys
        self._seen: dict[str, str | None] = {}  # labels repeat in every file of a folder

    def match(self, text: str) -> str | None:
        """The code of the row this label names, or None (never a guess between two rows)."""
        if text not in self._seen:
            if len(self._seen) > 20_000:
                self._seen.clear()
            self._seen[text] = self._match(text)
        return self._seen[text]

    def _match(self, text: str) -> str | None:
        key = fold_cached(text)
        if not key:
            return None
        if key in self.keys:
            return self.keys[key]
        stripped = fold(_NUMBERING.sub("", clean(text)))
        if stripped in self.keys:
            return self.keys[stripped]
        if len(stripped) < self.MIN_PREFIX:
            return None
        hits = {code for k, code in self.keys.items()
                if (k.startswith(stripped) or stripped.startswith(k)) and len(k) >= self.MIN_PREFIX}
        return hits.pop() if len(hits) == 1 else None


def _by_identity(fn: Callable) -> Callable:  # type: ignore[type-arg]
    """Remember ``fn(obj)`` per object, by identity: a frozen form or unit list is hashable, but hashing
    it walks every row or unit, which on every file of a large folder costs more than the work saved."""
    cache: dict[int, tuple[object, object]] = {}

    def wrapper(obj):  # noqa: ANN001, ANN202
        hit = cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        if len(cache) >= 8:
            cache.clear()
        value = fn(obj)
        cache[id(obj)] = (obj, value)  # holds obj, so its id is not reused while cached
        return value

    wrapper.__doc__ = fn.__doc__
    return wrapper


@_by_identity
def _matcher(form: Form) -> LabelMatcher:
    return LabelMatcher(form)


def _row_label(sheet: Sheet, lay: Layout, r: int) -> str:
    return as_text(sheet.cell(r, lay.label)) or ""


def match_rows(lay: Layout, form: Form) -> tuple[list[tuple[str, int, int]], list[int]]:
    """(code, grid row, label rows used) for each matched form row, and grid rows left unmatched."""
    matcher = _matcher(form)
    sheet = lay.sheet
    matched: list[tuple[str, int, int]] = []
    unknown: list[int] = []
    end = len(sheet.rows)
    # every row's label and whether it holds a value, read straight from the grid: a Sheet.cell call per
    # row and column was a tenth of the file's own reading time
    lc = lay.label
    value_cols = [c for c in (lay.count, lay.people) if c is not None]
    labels = [(as_text(row[lc]) or "") if lc < len(row) else "" for row in sheet.rows]
    filled = [False] * end
    for c in value_cols:  # column by column: a generator per row and column cost more than the test
        filled = [f or (c < len(row) and row[c] not in ("", None)) for f, row in zip(filled, sheet.rows)]
    r = lay.data_row
    while r < end:
        label = labels[r]
        if not label:
            if filled[r]:
                unknown.append(r)
            r += 1
            continue
        # a label wrapped over two rows (the seed's row 5): the continuation has no STT and no value
        nxt = r + 1
        while nxt < end and nxt <= r + 2 and not labels[nxt] and not filled[nxt]:
            nxt += 1
        joined = None
        if nxt < end and labels[nxt] and not filled[nxt] \
                and (lay.stt is None or sheet.cell(nxt, lay.stt) in ("", None)) \
                and matcher.match(labels[nxt]) is None:
            joined = matcher.match(label + " " + labels[nxt])
        if joined is not None:
            matched.append((joined, r, nxt - r + 1))
            r = nxt + 1
            continue
        code = matcher.match(label)
        if code is not None:
            matched.append((code, r, 1))
        elif filled[r]:
            unknown.append(r)
        r += 1
    return matched, unknown


# ------------------------------------------------------------------------------------------ values


def read_values(lay: Layout, form: Form, rel: str,
                matched: tuple[list[tuple[str, int, int]], list[int]] | None = None) -> tuple[list[dict], list[Issue]]:
    """Records (one per form value row found) and the issues of finding rows and reading values.

    ``matched`` is ``match_rows(lay, form)`` when the caller has it."""
    sheet = lay.sheet
    matched, unknown = matched or match_rows(lay, form)
    issues: list[Issue] = []
    records: list[dict] = []
    first_at: dict[str, int] = {}  # code → grid row of its first label (addressed only for a duplicate)
    totals = _totals(form)
    by_code = form.by_code
    for r in unknown:
        label = _row_label(sheet, lay, r) or "(không có tên)"
        issues.append(make("row-unknown", file=rel, sheet=sheet.name, cell=sheet.address(r, lay.label),
                           value=label))
    for code, r, _span in matched:
        row = by_code[code]
        if code in first_at:
            issues.append(make("row-duplicate", file=rel, sheet=sheet.name, cell=sheet.address(r, lay.label),
                               indicator=code, first_cell=sheet.address(first_at[code], lay.label)))
            continue
        first_at[code] = r
        if not row.measures:  # a header row (Row.is_header)
            for measure, c in (("count", lay.count), ("people", lay.people)):
                if c is not None and sheet.cell(r, c) not in ("", None):
                    issues.append(make("value-not-allowed", file=rel, sheet=sheet.name,
                                       cell=sheet.address(r, c), indicator=code, measure=measure,
                                       value=as_text(sheet.cell(r, c))))
            continue
        records.append(_read_row(sheet, lay, row, r, rel, totals, issues))
    for row in form.value_rows:
        if row.code not in first_at:
            issues.append(make("row-missing", file=rel, sheet=sheet.name, indicator=row.code, label=row.label))
    return records, issues


@_by_identity
def _totals(form: Form) -> set[tuple[str, str]]:
    """(total row, measure) of every total rule of the form."""
    return {(rule.total, rule.measure) for rule in form.rules}


_CELL_KEYS = {"count": "cell_count", "people": "cell_people", "amount": "cell_amount"}
_EMPTY_RECORD: dict = {"file": None, "unit": None, "indicator": None, "count": math.nan, "people": math.nan,
                       "amount": math.nan, "text": None, "note": None, "sheet": None, "cell_count": None,
                       "cell_people": None, "cell_amount": None, "cell_text": None, "cell_note": None}


def _read_row(sheet: Sheet, lay: Layout, row: Row, r_: int, rel: str,
              totals: set[tuple[str, str]], issues: list[Issue]) -> dict:
    """The record of one value row; its issues are appended to ``issues``."""
    rec = _EMPTY_RECORD.copy()  # a copy of a built dict: a literal of 14 keys grows its table twice
    rec["file"], rec["indicator"], rec["sheet"] = rel, row.code, sheet.name
    cells = sheet.rows[r_] if 0 <= r_ < len(sheet.rows) else []
    width = len(cells)
    count_col, people_col = lay.count, lay.people
    # the row's two value cells, "" where the column is missing or the row is short
    count_raw = cells[count_col] if count_col is not None and count_col < width else ""
    people_raw = cells[people_col] if people_col is not None and people_col < width else ""

    if "text" in row.measures:
        parts = [(c, raw, as_text(raw)) for c, raw in ((count_col, count_raw), (people_col, people_raw))
                 if c is not None]
        filled = [(c, raw, t) for c, raw, t in parts if t]
        if filled:
            text = " ".join(t for _, _, t in filled)
            rec["text"], rec["cell_text"] = text, sheet.address(r_, filled[0][0])
            longest = max(_raw_len(raw) for _, raw, _ in filled)
            if longest >= EXCEL_CELL_LIMIT:  # at the limit a writer has already cut the text
                issues.append(make("text-too-long", file=rel, sheet=sheet.name, cell=rec["cell_text"],
                                   indicator=row.code, length=f"{longest:,}".replace(",", ".")))
    single = row.single_numeric
    if single is not None:
        found = []
        for c, raw in ((count_col, count_raw), (people_col, people_raw)):
            if c is None:
                continue
            got = _read_number(sheet, r_, c, raw, row, single, rel, totals, issues)
            if got is not None:
                found.append((c, got))
        if len(found) == 2 and found[0][1] != found[1][1]:
            (c1, v1), (c2, v2) = found
            issues.append(make("value-conflict", file=rel, sheet=sheet.name, cell=sheet.address(r_, c1),
                               indicator=row.code, measure=single, value=_fmt(v1), other=_fmt(v2),
                               other_cell=sheet.address(r_, c2)))
        elif found:
            rec[single], rec[_CELL_KEYS[single]] = found[0][1], sheet.address(r_, found[0][0])
    else:
        for measure in row.numeric_measures:
            c, raw = (count_col, count_raw) if measure == "count" else (people_col, people_raw) \
                if measure == "people" else (None, "")
            if c is None:
                continue
            got = _read_number(sheet, r_, c, raw, row, measure, rel, totals, issues)
            if got is not None:
                rec[measure], rec[_CELL_KEYS[measure]] = got, sheet.address(r_, c)
    note_col = lay.note
    if note_col is not None:
        raw = cells[note_col] if note_col < width else ""
        note = as_text(raw)
        if note:
            rec["note"], rec["cell_note"] = note, sheet.address(r_, note_col)
            length = _raw_len(raw)
            if length >= EXCEL_CELL_LIMIT:
                issues.append(make("text-too-long", file=rel, sheet=sheet.name, cell=rec["cell_note"],
                                   indicator=row.code, length=f"{length:,}".replace(",", ".")))
    return rec


def _raw_len(raw: object) -> int:
    return len(raw) if isinstance(raw, str) else 0


def _fmt(value: float) -> str:
    return f"{int(value):,}".replace(",", ".") if value.is_integer() else str(value).replace(".", ",")


def _read_number(sheet: Sheet, r: int, c: int, raw: object, row: Row, measure: str, rel: str,
                 totals: set[tuple[str, str]], issues: list[Issue]) -> float | None:
    if raw.__class__ is float:  # a number cell, most of all: what parse_value gives it
        if math.isfinite(raw):  # type: ignore[arg-type]
            return raw  # type: ignore[return-value]
    elif raw == "" or raw is None:
        if not sheet.uncached or sheet.address(r, c) not in sheet.uncached:
            return None  # blank: the common case, told apart before any address is written out
        # a formula with no stored result: a total of the form is computed from its parts by the schema
        if (row.code, measure) not in totals:
            issues.append(make("formula-no-value", file=rel, sheet=sheet.name, cell=sheet.address(r, c),
                               indicator=row.code, measure=measure))
        return None
    parsed = parse_value(raw, measure)
    if parsed.is_text and parsed.number is not None and not parsed.number.is_integer():
        # "1,200" typed as text reads as 1,2 (a decimal comma): quoted as the unit wrote it, not as 1,2
        issues.append(make("value-not-whole", file=rel, sheet=sheet.name, cell=sheet.address(r, c),
                           indicator=row.code, measure=measure, value=parsed.text))
        return None
    if parsed.problem:
        issues.append(make(parsed.problem, file=rel, sheet=sheet.name, cell=sheet.address(r, c),
                           indicator=row.code, measure=measure, value=parsed.text))
        return None
    return parsed.number


# Issues that mean the unit typed something into a value cell, even if it could not be read
_TYPED_CODES = frozenset(("value-unreadable", "value-not-whole", "value-negative", "value-not-allowed",
                          "value-conflict", "formula-no-value", "value-outside-form"))


def has_typed(rf: ReadFile) -> bool:
    """Whether the unit typed anything into the form: a number (0 too), the text of a text row, or a value
    that could not be read. Notes alone do not make a return."""
    for rec in rf.records:
        if rec["text"] or any(not math.isnan(rec[m]) for m in ("count", "people", "amount")):
            return True
    return any(i.code in _TYPED_CODES for i in rf.issues)


def stray_numbers(lay: Layout, form: Form, rel: str,
                  matched: tuple[list[tuple[str, int, int]], list[int]] | None = None) -> list[Issue]:
    """A warning for every number typed outside the form's input cells — the "Ghi chú" column, a column right
    of the form, under the form — naming the cell and the form row it seems to belong to.

    Only cells that hold a number alone count (a note "3 lớp ghép" is a note). The columns left of the value
    columns (STT, label, unit) are the form's own text, except that a number in the "Đơn vị" column of a
    value row is a stray too."""
    sheet = lay.sheet
    matched, _unknown = matched or match_rows(lay, form)
    value_cols = {c for c in (lay.count, lay.people) if c is not None}
    if not value_cols:
        return []
    first_value = min(value_cols)
    row_at = {r + k: code for code, r, span in matched for k in range(span)}
    last = max((r + span - 1 for _c, r, span in matched), default=lay.data_row)
    issues: list[Issue] = []
    text_codes = _text_codes(form)
    rows = sheet.rows
    for r in range(lay.data_row, min(len(rows), last + 16)):
        code = row_at.get(r)
        if code in text_codes:
            continue  # the free-text row spans the value columns and beyond
        # STT, the label, and anything left of the table are skipped; in a value row, not the unit's column
        start = first_value if code is None else min(first_value, lay.label + 1)
        row = rows[r]
        for c in range(start, len(row)):
            raw = row[c]
            if raw == "" or raw is None or c in value_cols or raw.__class__ is bool:
                continue
            if c < first_value and c == lay.stt:
                continue
            if isinstance(raw, (int, float)):
                number = float(raw)
                if not math.isfinite(number):
                    continue
            elif isinstance(raw, str):
                # the cheap test first: most texts here are labels, units ("lớp/người") and signatures
                if not _NUMBER_ONLY.match(raw.strip()):
                    continue
                parsed = parse_value(raw, "count")
                if parsed.problem or parsed.number is None:
                    continue
            else:
                continue
            if code is not None:
                row = form.row(code)
                belongs = f"; có vẻ thuộc hàng {code} \"{_short_label(row.label)}\""
            elif r > last:
                near = next((cd for cd, rr, _s in reversed(matched) if rr <= r), None)
                belongs = f" (dưới biểu, sau hàng {near})" if near else " (dưới biểu)"
            else:
                belongs = ""
            issues.append(make("value-outside-form", file=rel, sheet=sheet.name, cell=sheet.address(r, c),
                               indicator=code, value=as_text(raw), belongs=belongs))
    return issues


@_by_identity
def _text_codes(form: Form) -> frozenset[str]:
    """Codes of the form's free-text rows."""
    return frozenset(row.code for row in form.rows if "text" in row.measures)


_NUMBER_ONLY = re.compile(r"^[+-]?[\d.,\s]+$")


def _short_label(label: str, n: int = 40) -> str:
    return label if len(label) <= n else label[:n].rstrip() + "…"


# ---------------------------------------------------------------------------------------- identity

# Abbreviations people use in names and file names, expanded before comparing word sequences.
_ABBREV = {"mn": ["mam", "non"], "mg": ["mau", "giao"], "th": ["tieu", "hoc"], "tt": ["thi", "tran"]}
# Leading words a name may be written without ("xã Chiềng Khay" for "UBND xã Chiềng Khay"); what remains
# must still hold at least MIN_NAME_WORDS words, so a bare place name ("Chiềng Ơn") never matches.
_OPTIONAL_LEAD = (["uy", "ban", "nhan", "dan"], ["ubnd"], ["truong"], ["ptdtbt"], ["ptdtnt"], ["ptdt"],
                  # a district office, as a province's list names it ("Phòng GD&ĐT huyện Đà Bắc")
                  ["phong", "giao", "duc", "va", "dao", "tao"], ["phong", "gd", "dt"], ["phong", "gddt"],
                  ["phong", "gd"])
MIN_NAME_WORDS = 3


def _expand(ws: list[str]) -> list[str]:
    out: list[str] = []
    for w in ws:
        out.extend(_ABBREV.get(w, [w]))
    return out


@_by_identity
def _unit_index(units: UnitList) -> list[tuple[str, str, list[list[str]]]]:
    """(code, folded code, name variants) of every unit, computed once per unit list."""
    return [(u.code, fold(u.code), _name_variants(u.name)) for u in units]


def _name_variants(name: str) -> list[list[str]]:
    """The unit name's word sequence and the shorter forms people write (leading generic words dropped)."""
    seq = _expand(words(name))
    variants = [seq]
    changed = True
    while changed:
        changed = False
        for lead in _OPTIONAL_LEAD:
            if seq[:len(lead)] == lead and len(seq) - len(lead) >= MIN_NAME_WORDS:
                seq = seq[len(lead):]
                variants.append(seq)
                changed = True
    return variants


def _find(seq: list[str], sub: list[str]) -> int:
    n = len(sub)
    for i in range(len(seq) - n + 1):
        if seq[i:i + n] == sub:
            return i
    return -1


@_by_identity
def _unit_lookup(units: UnitList) -> tuple[list[tuple[str, str, list[list[str]]]], dict[str, list[int]],
                                           dict[tuple[str, ...], list[tuple[int, int]]], dict[str, list[int]]]:
    """The unit index keyed for lookup, so that naming a unit costs the same with 20 or 20,000 units:
    folded code → unit positions, a name variant's words → (unit position, variant number), and a first
    word → the lengths of the variants starting with it (so that a text's other words cost one look-up;
    an empty variant, of length 0, matches any text at its start)."""
    index = _unit_index(units)
    by_code: dict[str, list[int]] = {}
    by_words: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for pos, (_code, code_key, variants) in enumerate(index):
        by_code.setdefault(code_key, []).append(pos)
        for vi, variant in enumerate(variants):
            by_words.setdefault(tuple(variant), []).append((pos, vi))
    starts: dict[str, set[int]] = {}
    for key in by_words:
        if key:
            starts.setdefault(key[0], set()).add(len(key))
    return index, by_code, by_words, {word: sorted(lengths) for word, lengths in starts.items()}


@_by_identity
def _codes(units: UnitList) -> tuple[dict[str, Unit], dict[str, Unit]]:
    """Exact code → unit, folded code → first unit with it (``UnitList.get`` without its scan)."""
    exact: dict[str, Unit] = {}
    folded: dict[str, Unit] = {}
    for u in units:
        exact.setdefault(u.code, u)
        folded.setdefault(fold(u.code), u)
    return exact, folded


def unit_by_code(units: UnitList, code: str) -> Unit | None:
    """The same as ``units.get(code)`` (exact, then case-insensitive), in constant time."""
    exact, folded = _codes(units)
    hit = exact.get(code)
    return hit if hit is not None else folded.get(fold(code))


def match_units(text: str, units: UnitList, codes: bool = True) -> list[str]:
    """Codes of the units a text names: a unit code as a whole token, or a whole unit name (with the usual
    abbreviations and optional leading words), never a shared place name alone. Several means ambiguous."""
    written = words(text)
    seq = _expand(written)
    if not seq:
        return []
    tokens = set(written)
    index, by_code, by_words, starts = _unit_lookup(units)
    # unit position → (variant number, span): a code names the unit outright (variant -1); otherwise the
    # unit's first variant (in order) found in the text, at its first place
    found: dict[int, tuple[int, tuple[int, int]]] = {}
    if codes:
        for token in tokens:
            for pos in by_code.get(token, ()):
                found[pos] = (-1, (0, len(seq) + 1))
    for pos, vi in by_words.get((), ()):  # an empty variant, at the start
        if pos not in found or vi < found[pos][0]:
            found[pos] = (vi, (0, 0))
    for i, word in enumerate(seq):  # places in order, and at each the variants from the shortest
        for n in starts.get(word, ()):
            if i + n > len(seq):
                break
            for pos, vi in by_words.get(tuple(seq[i:i + n]), ()):
                if pos not in found or vi < found[pos][0]:
                    found[pos] = (vi, (i, i + n))
    spans = {index[pos][0]: span for pos, (_vi, span) in sorted(found.items())}
    # a match inside a longer match is the longer name's words ("… Mường Giàng" inside "… Mường Giàng 2")
    keep = [c for c, (a, b) in spans.items()
            if not any(o != c and oa <= a and b <= ob and (ob - oa) > (b - a) for o, (oa, ob) in spans.items())]
    return keep


_TITLE_KEY = "donvibaocao"


def title_line(sheets: list[Sheet]) -> tuple[str, str, str] | None:
    """The "Đơn vị báo cáo: …" line: (name written, sheet, cell), from the top rows of any sheet."""
    for sheet in sheets:
        if sheet.name == IDENTITY_SHEET:
            continue
        for r, row in enumerate(sheet.rows[:20]):
            for c, value in enumerate(row):
                if not isinstance(value, str) or not fold_cached(value).startswith(_TITLE_KEY):
                    continue
                text = clean(value)
                name = clean(text.split(":", 1)[1]) if ":" in text else ""
                if not name:  # the name in the next filled cell of the row
                    name = next((as_text(v) or "" for v in row[c + 1:] if as_text(v)), "")
                return name, sheet.name, sheet.address(r, c)
    return None


def _identify(rf: ReadFile, sheets: list[Sheet], form: Form, campaign: Campaign, units: UnitList) -> None:
    """Gather every piece of evidence of who sent the file (FORM.md "Identity": the hidden sheet, the
    "Đơn vị báo cáo" line, the file name, the clerk's [xac_nhan]) and settle it (:func:`settle_identity`)."""
    rel = rf.file
    ident_sheet = next((s for s in sheets if s.name.lower() == IDENTITY_SHEET), None)
    ident = parse_identity(_anchored(ident_sheet)) if ident_sheet else None
    if ident is not None:
        rf.identity = ident
        if ident.form_id and ident.form_id != form.id:
            rf.issues.append(make("wrong-form", file=rel, value=ident.form_id, expected=form.id))
        if ident.year is not None and ident.year != campaign.year:
            rf.issues.append(make("wrong-year", file=rel, value=ident.year, year=campaign.year))
        if ident.form_version is not None and ident.form_version != form.version and ident.form_id == form.id:
            rf.issues.append(make("old-form-version", file=rel, value=ident.form_version, expected=form.version))
        if ident.unit_code:
            unit = unit_by_code(units, ident.unit_code)
            rf.evidence.append(Evidence("identity", unit.code if unit else None, ident.unit_code))
    title = title_line(sheets)
    if title and title[0]:
        named = match_units(title[0], units)
        rf.evidence.append(Evidence("title", named[0] if len(named) == 1 else None, title[0],
                                    f"ô {title[2]}", tuple(named) if len(named) > 1 else ()))
    rf.evidence.append(filename_evidence(rel, units))
    rf.evidence.extend(confirmed_evidence(rel, campaign, units))
    settle_identity(rf)


def filename_evidence(rel: str, units: UnitList) -> Evidence:
    """What the file's name says about its unit."""
    path = PurePosixPath(rel)
    named = match_units(str(path.with_suffix("")), units)
    return Evidence("filename", named[0] if len(named) == 1 else None, path.name, "",
                    tuple(named) if len(named) > 1 else ())


def confirmed_evidence(rel: str, campaign: Campaign, units: UnitList) -> list[Evidence]:
    """The clerk's word for this file from the campaign's [xac_nhan] table (by path, else by file name)."""
    confirmed = getattr(campaign, "confirmed", None) or {}
    code = confirmed.get(rel)
    if code is None:
        by_name = [c for f, c in confirmed.items() if PurePosixPath(f).name == PurePosixPath(rel).name]
        code = by_name[0] if len(set(by_name)) == 1 else None
    if code is None:
        return []
    unit = unit_by_code(units, code)
    return [Evidence("confirmed", unit.code if unit else None, code, "[xac_nhan]")]


_IDENTITY_CODES = frozenset(("identity-source", "unit-mismatch", "unit-unknown", "unit-ambiguous",
                             "unit-unconfirmed", "identity-confirmed", "confirm-unknown-code"))


def settle_identity(rf: ReadFile) -> None:
    """Decide the file's unit from ``rf.evidence`` (identity.reconcile) and say how, in its issues.

    Called again after more evidence is added (the sender of a fetched mail): the identity issues, the
    records' unit and the issues' unit are redone."""
    rel = rf.file
    rf.issues = [i for i in rf.issues if i.code not in _IDENTITY_CODES]
    unit, unconfirmed = reconcile(rf.evidence)
    rf.unit, rf.unconfirmed = unit, unconfirmed
    naming = sorted((e for e in rf.evidence if e.unit and e.unit == unit), key=lambda e: -e.strength)
    rf.identity_source = naming[0].source if naming else None
    def said() -> str:  # what every piece says, for the messages that quote it
        return "; ".join(e.describe() for e in sorted(rf.evidence, key=lambda e: -e.strength) if e.unit or e.said)

    for e in rf.evidence:
        if e.source == "confirmed" and e.unit is None:
            rf.issues.append(make("confirm-unknown-code", file=rel, value=e.said))
    if unconfirmed:
        named, line = claims(rf.evidence), confirm_line(rel, claims(rf.evidence)[0])
        naming_pieces = [e for e in rf.evidence if e.names]
        if len(naming_pieces) == 1:  # one piece names several units and nothing else names any
            e = naming_pieces[0]
            reason = "tên tệp" if e.source == "filename" else f"{e.source_name} ({e.where}): \"{e.said}\""
            rf.issues.append(make("unit-ambiguous", file=rel, reason=reason, candidates=", ".join(named), line=line))
        else:
            rf.issues.append(make("unit-unconfirmed", file=rel, reason=said(), candidates=", ".join(named), line=line))
    elif unit is not None:
        if rf.identity_source == "confirmed":
            rf.issues.append(make("identity-confirmed", file=rel, unit=unit, reason=said()))
        elif rf.identity_source != "identity":
            rf.issues.append(make("identity-source", file=rel, unit=unit,
                                  reason=SOURCE_NAMES.get(rf.identity_source or "", "")
                                  + "".join(f" ({e.where})" for e in naming[:1] if e.where)))
        stale = [e for e in rf.evidence if e.source == "identity" and e.unit is None and e.said]
        if stale and rf.identity_source != "confirmed":
            rf.issues.append(make("unit-mismatch", file=rel, reason=(
                f"mã đơn vị \"{stale[0].said}\" trong tệp mẫu không có trong danh sách; dùng đơn vị {unit} "
                f"theo {SOURCE_NAMES.get(rf.identity_source or '', '')}")))
    else:
        parts = []
        ident = next((e for e in rf.evidence if e.source == "identity"), None)
        if ident is not None:
            parts.append(f"mã đơn vị \"{ident.said}\" trong tệp mẫu không có trong danh sách")
        title = next((e for e in rf.evidence if e.source == "title"), None)
        parts.append(f"dòng \"Đơn vị báo cáo\" ghi \"{title.said}\" không khớp đơn vị nào" if title
                     else "không có dòng \"Đơn vị báo cáo:\" ghi tên đơn vị")
        parts.append("tên tệp không chứa mã hay tên đơn vị")
        rf.issues.append(make("unit-unknown", file=rel, reason="; ".join(parts)))
    for rec in rf.records:
        rec["unit"] = unit
    rf.issues = [i if i.unit == unit else _with_unit(i, unit) for i in rf.issues]


def _anchored(sheet: Sheet) -> list[list[object]]:
    """The identity grid as if it started at A1 (keys in column A), whatever calamine trimmed."""
    if not sheet.first_col:
        return sheet.rows
    pad: list[object] = [""] * sheet.first_col
    return [pad + list(r) for r in sheet.rows]


# ------------------------------------------------------------------------------------------ files

def _mtime(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


def read_file(path: Path, rel: str, form: Form, campaign: Campaign, units: UnitList) -> ReadFile:
    """Read one returned file: what it is, the form's values as records, who sent it, and the issues."""
    ensure_safe_xml()
    received = _mtime(path)
    sheets, kind, issues = open_sheets(path, rel)
    rf = ReadFile(rel, path, kind, received_at=received, saved_at=received, issues=list(issues))  # type: ignore[arg-type]
    if sheets is None:
        if kind == "unreadable":  # say whose broken file it is when its name tells (the unit still counts as missing)
            rf.evidence.append(filename_evidence(rel, units))
            rf.unit, _ = reconcile(rf.evidence)
            rf.identity_source = "filename" if rf.unit else None
        return rf
    rf.sheets = sheets
    _identify(rf, sheets, form, campaign, units)
    if rf.identity and rf.identity.saved_at:
        rf.saved_at = rf.identity.saved_at
    if rf.identity is not None and rf.identity.kind == "summary":
        _summary_pedigree(rf)
    layout = None
    ordered = sorted((s for s in sheets if s.name.lower() != IDENTITY_SHEET), key=lambda s: s.hidden)
    for sheet in ordered:
        layout = find_layout(sheet)
        if layout is not None:
            break
    if layout is None:
        rf.issues.append(make("form-not-found", file=rel))
        return rf
    rf.form_found, rf.form_sheet = True, layout.sheet.name
    rows = match_rows(layout, form)  # once for both: 0.3 ms a file
    records, value_issues = read_values(layout, form, rel, rows)
    for rec in records:
        rec["unit"] = rf.unit
    rf.records = records
    rf.issues.extend(value_issues)
    rf.issues.extend(stray_numbers(layout, form, rel, rows))
    rf.typed = has_typed(rf)
    if rf.kind == "not_a_report":  # a district's own summary: its values are read, but it is no return
        rf.issues = [i for i in rf.issues if i.code == "not-a-report"]
    if rf.unit:
        rf.issues = [i if i.unit else _with_unit(i, rf.unit) for i in rf.issues]
    return rf


def _summary_pedigree(rf: ReadFile) -> None:
    """A district summary (merge's output) read back: say its completeness and whether unchecked data was
    included (an error: a province never takes such a summary as clean). One that names no unit of the list
    (the district's own summary left among its units' returns) is no report at all (kind not_a_report)."""
    ident = rf.identity
    assert ident is not None
    name = ident.unit_name or ident.unit_code or "huyện"
    if rf.unit is None and not rf.unconfirmed:
        rf.kind = "not_a_report"
        rf.issues = [i for i in rf.issues if i.code not in _IDENTITY_CODES]
        rf.issues.append(make("not-a-report", file=rf.file, reason=(
            f"đây là biểu tổng hợp của {name} do lệnh merge ghi, không phải báo cáo của một đơn vị trong danh sách")))
        return
    merged, total = ident.units_merged, ident.units_total
    if merged is not None and total is not None:
        rf.issues.append(make("summary-pedigree", file=rf.file, name=name, merged=merged, total=total,
                              missing="" if merged >= total else f", thiếu {total - merged} đơn vị"))
        if merged < total:
            rf.issues.append(make("summary-incomplete", file=rf.file, name=name, merged=merged, total=total))
    if ident.include_invalid:
        rf.issues.append(make("summary-include-invalid", file=rf.file, name=name))


def _with_unit(issue: Issue, unit: str | None) -> Issue:
    from dataclasses import replace

    return replace(issue, unit=unit)


def _guarded(path: Path, rel: str, form: Form, campaign: Campaign, units: UnitList) -> ReadFile:
    try:
        return read_file(path, rel, form, campaign, units)
    except MemoryError:
        return ReadFile(rel, path, "unreadable", issues=[make("unreadable", file=rel, reason="tệp cần quá nhiều bộ nhớ")])
    except BaseException as exc:  # one bad file must never stop the batch (SECURITY.md)
        _reraise_interrupts(exc)
        return ReadFile(rel, path, "unreadable", received_at=_mtime(path), saved_at=_mtime(path),
                        issues=[make("unreadable", file=rel, reason=f"lỗi khi đọc: {_reason(exc)}")])


def list_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file under the folder, recursively, sorted by relative path (forward slashes)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        # the relative path is built from the folder's own part once: Path.relative_to per file cost
        # 0.1 s at 10,000 files, before the reading workers could start
        sub = os.path.relpath(root, folder)
        prefix = "" if sub == os.curdir else sub.replace(os.sep, "/") + "/"
        base = Path(root)
        for name in files:
            found.append((base / name, prefix + name))
    return sorted(found, key=lambda t: t[1])


# A folder this large is read by a pool of processes, one per core: below it, starting the workers costs
# more than they save (fork: ~50 ms; spawn, as on Windows, imports the package again in every worker). At
# 100 files on 2 cores the pool already saves ~0.2 s of a 1.4 s check: the workers read while the parent
# imports pandera.
POOL_MIN_FILES = {"fork": 100, "spawn": 3000}
POOL_CHUNK = 25  # files per task at most; pickling 25 results back is cheap
CHUNKS_PER_WORKER = 2  # each task a 1/(workers × this) share of the files left at most: the tasks shrink
                       # toward the end, so no worker idles long while another reads its last one
MAX_WORKERS = 8
WORKERS_ENV = "CONSOLIDATE_WORKERS"  # "1" reads serially; a number caps the workers


def read_folder(folder: Path, form: Form, campaign: Campaign, units: UnitList,
                progress: Callable[[int, int], None] | None = None,
                after: Callable[[ReadFile, Campaign, UnitList], None] | None = None,
                meanwhile: Callable[[], None] | None = None,
                evidence: Mapping[str, Sequence[Evidence]] | None = None,
                received: Mapping[str, dt.datetime] | None = None) -> list[ReadFile]:
    """Read every file of the folder, each in one guarded call; mark older submissions of a unit.

    ``evidence`` adds pieces of evidence of who sent a file (by relative path), e.g. the sender's address
    of a fetched mail; each such file's unit is settled again with them before submissions are compared.
    ``received`` gives the time a file truly arrived (the mail server's receipt time, naive Vietnam time):
    it replaces the file's modification time, which a copy of the folder changes, both as the receipt time
    and, for a workbook that carries no save time of its own, as the time that orders two submissions.

    A large folder is read by a process pool (see :data:`POOL_MIN_FILES`); the result is the same list in
    the same order, and if the pool cannot start or breaks, the files it did not return are read here.
    ``after(read_file, campaign, units)`` (a module-level function) runs in the workers on each file they
    read, to do per-file work of a later stage there; it may leave results in ``ReadFile.extras``, and a
    failure of it leaves them out (the later stage then does the work itself). When it returns True the
    worker does not send the file's ``sheets`` back (they are left empty), which keeps a province's grids
    out of the parent's memory. ``meanwhile()`` is called once while the workers read (or before a serial
    read), for the caller's own preparation (imports)."""
    ensure_safe_xml()  # before the guarded calls, so that it stops the run instead of every file
    files = list_files(Path(folder))
    out: list[ReadFile | None] = [None] * len(files)
    done = 0
    workers, method = _pool_plan(len(files))
    # the read builds millions of small objects that all live on: the cyclic collector, run again and
    # again over all of them as they pile up, made reading 10,000 files several times slower than 1,000
    collecting = gc.isenabled()
    gc.disable()
    try:
        if workers > 1:
            done = _read_pooled(files, out, workers, method, form, campaign, units, progress, after, meanwhile)
        elif meanwhile is not None:
            meanwhile()
        for i, (path, rel) in enumerate(files):
            if out[i] is None:
                out[i] = _guarded(path, rel, form, campaign, units)
                done += 1
                if progress is not None:
                    progress(done, len(files))
    finally:
        if collecting:
            # what the read built (and the modules imported meanwhile) lives until the run ends: frozen,
            # the collector never scans it again; left young, it was scanned once per generation right
            # after the read, 0.2-0.4 s at 1,000 files
            gc.freeze()
            gc.enable()
    result: list[ReadFile] = out  # type: ignore[assignment]  # every slot is filled
    for rf in result:
        when = (received or {}).get(rf.file)
        if when is not None:
            if not (rf.identity and rf.identity.saved_at):
                rf.saved_at = when
            rf.received_at = when
        extra = (evidence or {}).get(rf.file)
        if extra and rf.kind == "report":
            rf.evidence.extend(extra)
            settle_identity(rf)
    mark_superseded(result)
    return result


def _pool_plan(n_files: int) -> tuple[int, str]:
    """(number of worker processes, start method); 1 worker means read serially."""
    import multiprocessing

    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    cap = int(wanted) if wanted.isdigit() and int(wanted) > 0 else MAX_WORKERS
    method = "fork" if sys.platform.startswith("linux") and \
        "fork" in multiprocessing.get_all_start_methods() else "spawn"
    workers = min(cpus, cap, n_files)
    if workers < 2 or (n_files < POOL_MIN_FILES[method] and not wanted):
        return 1, method
    return workers, method


def _chunks(items: list[tuple[int, str, str]], workers: int) -> list[list[tuple[int, str, str]]]:
    """The pool's tasks, in file order: :data:`POOL_CHUNK` files at most, and a
    1/(workers × :data:`CHUNKS_PER_WORKER`) share of the files still left (one file at least)."""
    out = []
    k = 0
    while k < len(items):
        size = max(1, min(POOL_CHUNK, (len(items) - k) // (workers * CHUNKS_PER_WORKER)))
        out.append(items[k:k + size])
        k += size
    return out


_WORKER: tuple[Form, Campaign, UnitList, Callable | None] | None = None  # type: ignore[type-arg]


def _init_worker(form: Form, campaign: Campaign, units: UnitList, after: Callable | None) -> None:  # type: ignore[type-arg]
    global _WORKER
    _WORKER = (form, campaign, units, after)
    gc.freeze()  # what the worker inherits from the parent is never garbage: not scanned, pages not touched
    gc.enable()  # a forked worker inherits the parent's paused collector; its objects do not pile up
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _read_chunk(chunk: list[tuple[int, str, str]]) -> list[tuple[int, ReadFile]]:
    assert _WORKER is not None
    form, campaign, units, after = _WORKER
    out = []
    for i, path, rel in chunk:
        rf = _guarded(Path(path), rel, form, campaign, units)
        if after is not None:
            try:
                if after(rf, campaign, units) is True:
                    rf.sheets = []  # the later stage has what it needs: no grids to send back and keep
            except Exception:  # noqa: BLE001  # the later stage redoes it in the parent, and reports it there
                rf.extras.clear()
        out.append((i, rf))
    return out


def _read_pooled(files: list[tuple[Path, str]], out: list[ReadFile | None], workers: int, method: str,
                 form: Form, campaign: Campaign, units: UnitList,
                 progress: Callable[[int, int], None] | None,
                 after: Callable[[ReadFile, Campaign, UnitList], None] | None = None,
                 meanwhile: Callable[[], None] | None = None) -> int:
    """Fill ``out`` from a process pool; returns how many files it read. Never raises for a pool failure:
    whatever it did not read stays None for the serial loop."""
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor, as_completed

    items = [(i, str(path), rel) for i, (path, rel) in enumerate(files)]
    chunks = _chunks(items, workers)
    done = 0
    pool = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (none of ours run)
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                                       initializer=_init_worker, initargs=(form, campaign, units, after))
            futures = [pool.submit(_read_chunk, chunk) for chunk in chunks]
        if meanwhile is not None:  # the workers are running: the parent's own start-up work overlaps them
            meanwhile()
        for future in as_completed(futures):
            for i, rf in future.result():
                out[i] = rf
                done += 1
            if progress is not None:
                progress(done, len(files))
    except (KeyboardInterrupt, SystemExit):
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:  # noqa: BLE001  # a broken pool, an unpicklable result: read the rest serially
        pass
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return done


def mark_superseded(files: list[ReadFile]) -> None:
    """Of two submissions from one unit the newest with values is used (identity save time, else mtime)."""
    by_unit: dict[str, list[ReadFile]] = {}
    for f in files:
        if f.kind == "report" and f.unit:
            by_unit.setdefault(f.unit, []).append(f)
    oldest = dt.datetime.min
    for unit, group in by_unit.items():
        if len(group) < 2:
            continue
        # content before time: a file the unit typed nothing into (a template sent back untouched, or
        # copied into the folder later) never replaces one with values, however new it looks
        # (a file whose form was not found is no untouched template: as the newest it stands, with its error)
        newest = max(group, key=lambda f: (f.typed or not f.form_found, f.saved_at or oldest,
                                           f.received_at or oldest, f.file))
        for f in group:
            if f is not newest:
                f.superseded_by = newest.file
                f.issues.append(make("superseded", file=f.file, unit=unit, newer=newest.file))


def records_frame(files: list[ReadFile]) -> pd.DataFrame:
    """The long table (results.TABLE_COLUMNS) of the given files' records, dtypes per results.py.

    Every file passed contributes; pass only the current submissions (``superseded_by is None``) for
    validation and merging."""
    import pandas as pd

    rows = [rec for f in files for rec in f.records]
    # object columns keep None as None (a str column would turn it into NaN, to be turned back); every
    # record has every column (_read_row writes them all), so none is filled with NaN either
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS, dtype=object)
    for col in ("count", "people", "amount"):
        frame[col] = frame[col].astype("float64")
    return frame
