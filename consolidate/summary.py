"""The district summary workbook that ``merge`` writes: the official form with the district's totals
(readable back by the reader, so a province can merge districts with the same tool), the values per unit
grouped by type, who has and has not reported, every issue, and a chart.

Every string that came from a unit (names, notes, file names, issue values) is written as text, never as a
formula (``text.set_text``), so a note "=HYPERLINK(…)" stays visible text.

Why the sheets after the form keep their cells outside openpyxl, and their ``<sheetData>`` is written here:
a province's summary has one column per unit on "Theo đơn vị" (71,000 cells for 1,000 units, 710,000 for
10,000), and openpyxl spends about 7 µs building and 6 µs saving each cell (a ``Cell`` object, its styles
hashed again, an lxml element per cell): writing the summary took 1.3 s for 1,000 units and 18 s for
10,000, more than checking the folder. So each of those sheets is a :class:`_Sheet`: openpyxl still holds
and writes everything else of it (merges, freeze panes, conditional formats, print settings, charts) but its
row heights and column widths, while its cells are kept as openpyxl's own triple — the value exactly as
``Cell.value`` stores it after ``set_text`` (values are bound through a real openpyxl cell, so truncation,
error codes and the "=" rule stay openpyxl's and ``set_text``'s), ``data_type``, and the index of the cell's
style in the workbook — and serialised by :meth:`_Sheet.rows_xml` the way openpyxl's ``lxml_write_cell``
writes them: strings as inline strings, "=…" as a string and never a formula, "_x…_" as ``set_text``
escaped it, a carriage return as ``&#13;`` (a raw one would read back as a line feed), numbers as "%.16g".
A unit type's units on a row of numbers are one :class:`_Numbers` run, formatted from its array in one go.
Saving runs openpyxl's own ``ExcelWriter``; :class:`_Archive` only replaces the (then cell-less)
``<sheetData>`` and ``<dimension>`` of those sheets by the kept cells, and puts their ``<cols>`` before it.
A merge whose corner cells exist is done by openpyxl on real cells that are then taken back, so merged cells
get exactly openpyxl's borders (and a merge like an earlier one takes its styles); one whose corners do not
exist yet leaves every cell of its range unstyled, which :meth:`_Sheet.merge` does without making the
thousands of cells under a unit type's heading. ``build_workbook`` still returns a plain
openpyxl workbook with every cell, and the tests check that both ways of saving read back identically.
The form sheet is small and shared with the templates (``write_form_sheet``): an ordinary openpyxl sheet.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel, to_ISO8601
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from consolidate.campaign import place_name
from consolidate.form import MEASURE_NAMES, NUMERIC_MEASURES, Row
from consolidate.identity import IDENTITY_SHEET
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


def _font(bold: bool = False, size: float = 12, italic: bool = False, color: str | None = None) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=color)


# ---------------------------------------------------------------------------------- cells kept as XML

# lxml refuses to write these (the C0 controls are refused earlier, by openpyxl's Cell)
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_EMPTY = (None, "n", 0)  # a cell openpyxl would hold but not write: no value, no style
_DIMENSION = re.compile(rb'<dimension ref="A1:A1"\s*/>')
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)

Entry = tuple[object, str, int]  # (Cell._value, Cell.data_type, index into the workbook's cell styles)


def _xml_text(text: str) -> str:
    """Text as lxml escapes it in an element; a literal CR must stay a CR, not become a line feed."""
    if _NOT_XML.search(text):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control "
                         "characters")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _number(value: object) -> str:
    """A number as openpyxl writes it (``compat.safe_string``: "%.16g", nothing for NaN and ±inf)."""
    text = "%.16g" % value  # noqa: UP031
    return "" if text[-1] in "nf" else text  # "nan", "inf", "-inf"


_LETTERS = [""]  # column letters by index, made once: a province's sheet has thousands of columns


def _letters(stop: int) -> list[str]:
    """Column letters by index (1 → "A") at least up to ``stop`` (excluded)."""
    while len(_LETTERS) < stop:
        _LETTERS.append(get_column_letter(len(_LETTERS)))
    return _LETTERS


# "%.16g" writes a whole number below 2**53 as its digits, as str() does; above, a float may not be whole
_EXACT = 2.0 ** 53


class _Numbers:
    """A run of number cells of one style along a row, kept as one array rather than a triple per cell.

    Its cells are those ``_put(…, number=True)`` makes of the same floats: blank for NaN, a whole number as
    an int. "Theo đơn vị" holds a row of these per form value (a province's 10,000 units), formatted in bulk.
    """

    def __init__(self, col: int, values: np.ndarray, sid: int) -> None:
        if not sid:  # _put styles every cell; an unstyled blank one would not be written at all
            raise ValueError("a run of numbers needs a style")
        self.col = col
        self.values = values
        self.sid = sid

    @property
    def stop(self) -> int:
        """The column after the run's last."""
        return self.col + len(self.values)

    def entries(self) -> Iterator[tuple[int, Entry]]:
        """Each cell's column and :data:`Entry`."""
        sid = self.sid
        for c, v in enumerate(self.values.tolist(), start=self.col):
            yield c, ((None, "n", sid) if math.isnan(v) else (int(v), "n", sid) if v.is_integer() else (v, "n", sid))

    def xml(self, row: str) -> str:
        """The cells' ``<c>`` elements in row ``row``, as :meth:`_Sheet.rows_xml` writes each entry."""
        v = self.values
        whole = (v == np.trunc(v)) & (np.abs(v) < _EXACT)  # False for NaN and ±inf
        texts: list[object] = np.where(whole, v, 0).astype(np.int64).tolist()
        for k in np.flatnonzero(~whole).tolist():
            x = float(v[k])
            texts[k] = None if math.isnan(x) else _number(int(x) if x.is_integer() else x)
        head = f'{row}" s="{self.sid}" t="n"'
        letters = _letters(self.stop)[self.col:self.stop]
        return "".join([f'<c r="{c}{head}/>' if t is None else f'<c r="{c}{head}><v>{t}</v></c>'
                        for c, t in zip(letters, texts)])


class _Book:
    """A summary being built: the openpyxl workbook, and the cells of its :class:`_Sheet`\\ s."""

    def __init__(self) -> None:
        self.wb = Workbook()
        self.sheets: list[_Sheet] = []
        # _put's style options → style index; a finished style is copied from the first cell that had it
        self.put_styles: dict[tuple, int] = {}
        self.restyled: dict[tuple[int, str], int] = {}
        # a merge's styles depend only on its size and its corners' styles (see _Sheet.merge)
        self.merged_styles: dict[tuple[int, int, int | None, int | None], list[Entry]] = {}
        self.bound: dict[str, tuple[object, str]] = {}  # a string → how set_text binds it
        self.text_xml: dict[str, str] = {}  # a string cell's XML after its reference and style

    def create_sheet(self, title: str) -> _Sheet:
        sheet = _Sheet(self, self.wb.create_sheet(title))
        self.sheets.append(sheet)
        return sheet

    def style_id(self, style: StyleArray) -> int:
        """The index of a style in the workbook's cell styles (what openpyxl writes as ``s``)."""
        return self.wb._cell_styles.add(copy(style))

    def style(self, sid: int) -> StyleArray:
        return copy(self.wb._cell_styles[sid])

    def workbook(self) -> Workbook:
        """The workbook with every kept cell turned into an openpyxl cell (what openpyxl alone would build)."""
        for sheet in self.sheets:
            sheet.to_openpyxl()
        return self.wb

    def save(self, path: Path) -> None:
        """Save as openpyxl's ``save_workbook`` does, the kept cells written straight into their sheets."""
        for sheet in self.sheets:
            sheet.take_back()
            if sheet.ws.row_dimensions or sheet.ws.column_dimensions:  # would be written without the cells
                raise RuntimeError(f"{sheet.ws.title}: row heights and column widths go in _Sheet.heights/widths")
        archive = _Archive(path, self.sheets)
        self.wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
        ExcelWriter(self.wb, archive).save()
        if archive.patched != {id(s) for s in self.sheets}:  # an openpyxl that writes sheets another way
            raise RuntimeError(f"{path}: the cells of some sheets were not written")


class _Sheet:
    """A worksheet whose cells are kept as :data:`Entry` triples by row and column, outside openpyxl.

    Its row heights and column widths are kept here too (an openpyxl dimension costs as much to make and
    write as a dozen cells, and "Theo đơn vị" has a width per unit).
    """

    def __init__(self, book: _Book, ws: Worksheet) -> None:
        self.book = book
        self.ws = ws
        self.rows: dict[int, dict[int, Entry]] = {}
        # runs of number cells by row; their columns hold no entry in ``rows``
        self.runs: dict[int, list[_Numbers]] = {}
        self.heights: dict[int, float] = {}  # row → height, as RowDimension.height
        self.widths: dict[int, float] = {}  # column → width, as ColumnDimension.width
        self._binder = Cell(ws)  # binds values exactly as a cell of this sheet would

    def bind(self, value: object) -> tuple[object, str]:
        """``(Cell._value, Cell.data_type)`` of a cell given this value by ``set_text``."""
        if value is None:
            return None, "n"
        if type(value) in (int, float):  # what openpyxl does with them, without the detour
            return value, "n"
        # names, codes and states recur on every sheet; binding depends on nothing but the string
        bound = self.book.bound.get(value) if type(value) is str else None
        if bound is not None:
            return bound
        cell = self._binder
        set_text(cell, value)
        if type(value) is str:
            self.book.bound[value] = cell._value, cell.data_type
        return cell._value, cell.data_type

    def put(self, row: int, col: int, value: object, sid: int) -> None:
        """Set one cell's value (through ``set_text``) and style."""
        value, kind = self.bind(value)
        self.rows.setdefault(row, {})[col] = (value, kind, sid)

    def put_numbers(self, row: int, col: int, values: np.ndarray, sid: int) -> None:
        """Set the cells from ``col`` on to these floats, in style ``sid``, as :class:`_Numbers` stores them.

        They are seen when the sheet is written or turned into openpyxl cells, not by :meth:`value` or
        :meth:`merge`.
        """
        if len(values):
            self.runs.setdefault(row, []).append(_Numbers(col, values, sid))

    def value(self, row: int, col: int) -> object:
        entry = self.rows.get(row, {}).get(col)
        return None if entry is None else entry[0]

    def touch(self, row: int, col: int) -> None:
        """Make a cell exist, as ``ws.cell()`` does (it then counts in the sheet's dimension)."""
        self.rows.setdefault(row, {}).setdefault(col, _EMPTY)

    def cell(self, row: int, col: int) -> Cell:
        """A detached openpyxl cell holding this cell's value and style, to be changed and :meth:`keep`-ed."""
        cell = Cell(self.ws, row=row, column=col)
        entry = self.rows.get(row, {}).get(col)
        if entry is not None:
            cell._value, cell.data_type, sid = entry
            if sid:
                cell._style = self.book.style(sid)
        return cell

    def keep(self, cell: Cell | MergedCell) -> None:
        sid = self.book.style_id(cell._style) if cell.has_style else 0
        self.rows.setdefault(cell.row, {})[cell.column] = (cell._value, cell.data_type, sid)

    def merge(self, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        """``ws.merge_cells``; openpyxl borders the merged cells from the corner cells, so it gets those."""
        ws = self.ws
        rows = range(start_row, end_row + 1)
        cols = range(start_column, end_column + 1)
        first = self.rows.get(start_row, {}).get(start_column)
        last = self.rows.get(end_row, {}).get(end_column)
        # What openpyxl makes of a merge depends on its size and its corners' styles alone (every other
        # cell becomes a new MergedCell, the first keeps its value): a merge like an earlier one (a label
        # over its two measures' rows, form row after form row) takes that one's styles.
        key = (end_row - start_row, end_column - start_column, first and first[2], last and last[2])
        styled = self.book.merged_styles.get(key)
        if styled is None and (first or last):
            for r, c, entry in ((start_row, start_column, first), (end_row, end_column, last)):
                if entry is not None:
                    ws._cells[r, c] = self.cell(r, c)
            ws.merge_cells(start_row=start_row, start_column=start_column, end_row=end_row, end_column=end_column)
            for r in rows:
                for c in cols:
                    self.keep(ws._cells.pop((r, c)))
            self.book.merged_styles[key] = [self.rows[r][c] for r in rows for c in cols]
            return
        ws.merged_cells.add(MergedCellRange(ws, CellRange(min_row=start_row, min_col=start_column,
                                                          max_row=end_row, max_col=end_column).coord))
        ws._cells.pop((start_row, start_column), None)  # made by MergedCellRange, as ws.cell() does
        if styled is None:
            # Corners that do not exist yet have no border and the default protection, from which openpyxl
            # makes every cell of the range an unstyled one; making thousands of them (a type's heading
            # over its units) to learn that would cost more than the whole sheet's cells.
            for r in rows:
                self.rows.setdefault(r, {}).update(dict.fromkeys(cols, _EMPTY))
            return
        entries = iter(styled)
        for r in rows:
            self.rows.setdefault(r, {}).update(zip(cols, entries))
        value, kind = (first or _EMPTY)[:2]
        self.rows[start_row][start_column] = (value, kind, styled[0][2])

    def restyle(self, row: int, col: int, number_format: str) -> None:
        """Give a cell another number format, as ``cell.number_format = …`` does."""
        value, kind, sid = self.rows[row][col]
        key = (sid, number_format)
        new = self.book.restyled.get(key)
        if new is None:
            cell = self.cell(row, col)
            cell.number_format = number_format
            new = self.book.restyled[key] = self.book.style_id(cell._style)
        self.rows[row][col] = (value, kind, new)

    def take_back(self) -> None:
        """Keep any cell openpyxl made on this sheet itself, so that none is lost when the cells are written."""
        ws = self.ws
        for (r, c) in sorted(ws._cells):
            self.keep(ws._cells.pop((r, c)))

    def to_openpyxl(self) -> None:
        ws = self.ws
        for r, runs in self.runs.items():
            for run in runs:
                self.rows.setdefault(r, {}).update(run.entries())
        self.runs = {}
        merged = {(r, c) for rng in ws.merged_cells.ranges for r, c in list(rng.cells)[1:]}
        styles = self.book.wb._cell_styles
        for r, cells in self.rows.items():
            for c, (value, kind, sid) in cells.items():
                cell = MergedCell(ws, r, c) if (r, c) in merged else Cell(ws, row=r, column=c)
                if not isinstance(cell, MergedCell):
                    cell._value, cell.data_type = value, kind
                cell._style = copy(styles[sid])
                ws._cells[r, c] = cell
        self.rows = {}
        for r, height in self.heights.items():
            ws.row_dimensions[r].height = height
        for c, width in self.widths.items():
            ws.column_dimensions[get_column_letter(c)].width = width
        self.heights, self.widths = {}, {}

    def dimension(self) -> str:
        """The used range, as ``Worksheet.calculate_dimension`` gives it for the same cells."""
        if not any(self.rows.values()) and not self.runs:
            return "A1:A1"
        rows = [r for r, cells in self.rows.items() if cells] + list(self.runs)
        cols = [c for cells in self.rows.values() for c in cells]
        for runs in self.runs.values():
            cols += [c for run in runs for c in (run.col, run.stop - 1)]
        return f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"

    def cols_xml(self) -> bytes:
        """The ``<cols>`` element, as openpyxl writes ``ColumnDimension``\\ s of these widths; none without any."""
        if not self.widths:
            return b""
        cols = [f'<col width="{_number(float(w))}" customWidth="1" min="{c}" max="{c}"/>'
                for c, w in sorted(self.widths.items())]
        return f"<cols>{''.join(cols)}</cols>".encode()

    def rows_xml(self) -> Iterator[bytes]:
        """The ``<row>`` elements of ``<sheetData>``, as openpyxl's ``WorksheetWriter.write_row`` writes them."""
        letters: dict[int, str] = {}
        texts = self.book.text_xml
        for r in sorted(self.rows.keys() | self.runs.keys() | self.heights.keys()):
            height = self.heights.get(r)
            # a RowDimension with a height writes just these of its attributes
            parts = [f'<row r="{r}">' if height is None else
                     f'<row r="{r}" ht="{_number(float(height))}" customHeight="1">']
            rs = str(r)
            cells: list[tuple[int, Entry | _Numbers]] = sorted(self.rows.get(r, {}).items())
            if r in self.runs:
                cells = sorted(cells + [(run.col, run) for run in self.runs[r]], key=lambda item: item[0])
            for c, entry in cells:
                if isinstance(entry, _Numbers):
                    parts.append(entry.xml(rs))
                    continue
                value, kind, sid = entry
                if value is None and not sid:
                    continue
                letter = letters.get(c)
                if letter is None:
                    letter = letters[c] = get_column_letter(c)
                parts.append(f'<c r="{letter}{rs}" s="{sid}"' if sid else f'<c r="{letter}{rs}"')
                if kind == "s" and type(value) is str:  # the same names and states on many rows
                    tail = texts.get(value)
                    if tail is None:
                        tail = texts[value] = self._tail(value, kind, letter, rs)
                    parts.append(tail)
                else:
                    parts.append(self._tail(value, kind, letter, rs))
            parts.append("</row>")
            yield "".join(parts).encode("utf-8")

    def _tail(self, value: object, kind: str, letter: str, row: str) -> str:
        """What follows ``<c r=… s=…`` for a cell of this value and data type, up to the end of the cell."""
        if kind == "n":
            return ' t="n"/>' if value is None else f' t="n"><v>{_number(value)}</v></c>'
        if kind == "s":
            if isinstance(value, CellRichText):
                raise TypeError("rich text is written by openpyxl only")
            if value == "" or value is None:
                return ' t="inlineStr"/>'
            space = ' xml:space="preserve"' if value != value.strip() else ""
            return f' t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'
        if kind == "d":
            if getattr(value, "tzinfo", None) is not None:
                raise TypeError("Excel does not support timezones in datetimes. "
                                "The tzinfo in the datetime/time object must be set to None.")
            if self.book.wb.iso_dates and not isinstance(value, dt.timedelta):
                return f' t="d"><v>{_xml_text(to_ISO8601(value))}</v></c>'
            return f' t="n"><v>{_number(to_excel(value, self.book.wb.epoch))}</v></c>'
        if kind == "b":
            return f' t="b"><v>{_number(value)}</v></c>'
        if kind == "e":
            return f' t="e"><v>{_xml_text(str(value))}</v></c>'
        # "f": set_text never leaves a formula, and nothing else writes these cells
        raise ValueError(f"cell {letter}{row}: data type {kind!r} is not written here")


# zlib's default level 6 took about a tenth of writing a province's summary; level 2 takes a third of that
# for a file about 15 % larger (410 instead of 358 kB for 1,000 units)
ZIP_LEVEL = 2


class _Archive(zipfile.ZipFile):
    """The package openpyxl's ``ExcelWriter`` writes, with the kept cells put into their sheets' XML."""

    def __init__(self, path: Path, sheets: Sequence[_Sheet]) -> None:
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
        self._sheets = sheets
        self.patched: set[int] = set()  # id() of each sheet whose cells went in

    def write(self, filename: str | os.PathLike[str], arcname: str | None = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # ExcelWriter numbers a sheet (ws._id) just before writing it, so the path is known only now
        sheet = next((s for s in self._sheets if arcname == s.ws.path[1:]), None)
        if sheet is None:
            super().write(filename, arcname, compress_type, compresslevel)
            return
        data = Path(filename).read_bytes()
        found = _SHEET_DATA.search(data)
        dimension = f'<dimension ref="{sheet.dimension()}"/>'.encode()
        head, count = _DIMENSION.subn(dimension, data[:found.start()] if found else b"")
        if found is None or count != 1:
            raise RuntimeError(f"{arcname}: openpyxl wrote a sheet without the expected dimension and sheetData")
        info = zipfile.ZipInfo(arcname, dt.datetime.now().timetuple()[:6])
        info.compress_type = self.compression
        # what writestr sets; open() leaves a given ZipInfo's alone (named compress_level from Python 3.13)
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", self.compresslevel)
        info.external_attr = 0o600 << 16
        with self.open(info, "w") as out:
            out.write(head)
            out.write(sheet.cols_xml())  # where openpyxl writes <cols>: right before <sheetData>
            out.write(b"<sheetData>")
            for chunk in sheet.rows_xml():
                out.write(chunk)
            out.write(b"</sheetData>")
            out.write(data[found.end():])
        self.patched.add(id(sheet))


def _put(sheet: _Sheet, row: int, col: int, value: object, *, bold: bool = False, number: bool = False,
         wrap: bool = False, border: bool = True, fill: PatternFill | None = None,
         align: str | None = None) -> None:
    """Write one cell: strings always as text, numbers in the Vietnamese thousands format."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = fit_cell(value)
    # Styling a cell through openpyxl's descriptors hashes every style object again (seconds for a few
    # hundred units); a finished style is a small array of ids, taken from the first cell that had it.
    key = (bold, number, wrap, border, id(fill), align)
    sid = sheet.book.put_styles.get(key)
    if sid is not None:
        sheet.put(row, col, value, sid)
        return
    cell = sheet.cell(row, col)
    set_text(cell, value)
    cell.font = _font(bold=bold)
    if number:
        cell.number_format = NUMBER_FORMAT
    cell.alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)
    if border:
        cell.border = BORDER
    if fill is not None:
        cell.fill = fill
    sheet.keep(cell)
    sheet.book.put_styles[key] = sheet.rows[row][col][2]


def _header(sheet: _Sheet, row: int, headers: Sequence[str], widths: Sequence[float] | None = None) -> None:
    for c, text in enumerate(headers, start=1):
        _put(sheet, row, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
        if widths:
            sheet.widths[c] = widths[c - 1]


CHARS_PER_WIDTH = 1.0  # characters of (bold) Vietnamese text per unit of Excel column width, at 12 pt


def _lines(text: str, width: float | None) -> int:
    """How many lines a wrapped text takes in a column of this width (an estimate by length)."""
    per_line = max(int((width or 8.43) * CHARS_PER_WIDTH), 1)
    return sum(math.ceil(max(len(part), 1) / per_line) for part in text.split("\n"))


def _widths(sheet: _Sheet, cols: Sequence[int], spans: dict[int, int] | None = None) -> dict[int, float]:
    """The width each of these columns offers its text; ``spans`` maps a column to how many it is merged across."""
    return {c: sum(sheet.widths.get(c + k) or 8.43
                   for k in range((spans or {}).get(c, 1)))
            for c in cols}


def _fit_height(sheet: _Sheet, row: int, widths: dict[int, float]) -> None:
    """Give a row the height its wrapped cells need (``widths`` from :func:`_widths`).

    openpyxl stores no row height, and LibreOffice (on screen and in print) then shows wrapped text one
    line high, each line over the next; the height is estimated from the text length and column widths.
    """
    lines = 1
    for c, width in widths.items():
        value = sheet.value(row, c)
        if value is None:
            continue
        lines = max(lines, _lines(str(value), width))
    if lines > 1:
        sheet.heights[row] = lines * LINE_HEIGHT


def _fit_width(sheet: _Sheet, col: int, texts: Sequence[str | None], cap: float = 60) -> None:
    """Widen a column of file names to its longest one (up to ``cap``): they are not wrapped."""
    longest = max((len(t) for t in texts if t), default=0)
    sheet.widths[col] = max(sheet.widths.get(col) or 8.43, min(longest / CHARS_PER_WIDTH + 2, cap))


def _text_cell(sheet: _Sheet, row: int, col: int, text: str, font: Font,
               alignment: Alignment | None = None) -> None:
    cell = sheet.cell(row, col)
    set_text(cell, text)
    cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    sheet.keep(cell)


def _title(sheet: _Sheet, row: int, text: str, span: int, size: float = 14) -> None:
    sheet.merge(row, 1, row, max(span, 1))
    _text_cell(sheet, row, 1, text, _font(bold=True, size=size), Alignment(horizontal="left", vertical="center"))


def _landscape(ws: Worksheet) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _freeze(sheet: _Sheet, row: int, col: int) -> None:
    sheet.touch(row, col)  # as ``ws.freeze_panes = ws.cell(row, col)`` makes the cell exist
    sheet.ws.freeze_panes = f"{get_column_letter(col)}{row}"


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


def _joined_parts(units: Sequence[str], names: _Names, values: Sequence[object]) -> str | None:
    """A row's text or notes over these units, each prefixed by the unit's name."""
    parts = [f"{names(u)}: {v}" for u, v in zip(units, values) if isinstance(v, str) and v]
    return fit_cell("\n".join(parts)) or None


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


# ------------------------------------------------------------------------------------ 1. Biểu tổng hợp

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


def write_form(wb: Workbook, result: MergeResult, values: _UnitValues | None = None) -> Worksheet:
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
                              unit_line=f"Đơn vị báo cáo: {reporter(result)}",
                              values=form_values(result, values), editable=False, footer_lines=footer)
    # row 4, between the reporting unit and the table header, is free in the official layout
    row = layout.header_row - 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COL_NOTE)
    cell = ws.cell(row, 1)
    line = TextBlock(InlineFont(rFont=FONT_NAME, sz=12, i=True), completeness_line(result))
    if result.included_invalid:
        name = _Names(result)
        names = ", ".join(name(u) or u for u in result.units_in("rejected")) or "không có"
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


def write_by_unit(book: _Book, result: MergeResult, values: _UnitValues | None = None) -> _Sheet:
    """Sheet 2: one column per merged unit, grouped by type with a subtotal per type, one row per value."""
    run = result.run
    form = run.form
    values = values or _UnitValues(result)
    names = _Names(result)
    sheet = book.create_sheet(BY_UNIT_SHEET)
    ws = sheet.ws
    groups = unit_groups(result)
    merged = result.merged_units
    rejected_list = result.units_in("rejected")
    rejected = set(rejected_list)
    columns: list[tuple[str, str, list[str]]] = []  # (kind, key, units summed) kind: unit|subtotal|total
    for utype, codes in groups:
        columns += [("unit", c, [c]) for c in codes]
        columns.append(("subtotal", utype, codes))
    columns.append(("total", "", list(merged)))
    last_col = 3 + len(columns)
    _title(sheet, 1, f"SỐ LIỆU THEO ĐƠN VỊ — {form.subtitle_for(run.campaign.year)}", min(last_col, 12))
    _text_cell(sheet, 2, 1, f"{completeness_line(result)}. Ô trống: đơn vị không ghi số liệu; 0: đơn vị ghi 0.",
               _font(italic=True))
    if result.included_invalid:
        _text_cell(sheet, 3, 1, INVALID_NOTE.format(units=", ".join(names(u) or u for u in rejected_list)
                                                    or "không có"),
                   _font(bold=True, color=RED))
    h_type, h_name, h_code, first = 5, 6, 7, 8
    for c, text in enumerate(("STT", "Các hoạt động", "Đơn vị tính"), start=1):
        sheet.merge(h_type, c, h_code, c)
        _put(sheet, h_type, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
    col = 4
    for utype, codes in groups:
        sheet.merge(h_type, col, h_type, col + len(codes))
        _put(sheet, h_type, col, type_name(utype), bold=True, fill=HEADER_FILL, align="center")
        col += len(codes) + 1
    _put(sheet, h_type, col, f"Toàn {result.run.campaign.district_kind}", bold=True, fill=FILL_TOTAL,
         align="center")
    for i, (kind, key, _) in enumerate(columns):
        c = 4 + i
        if kind == "unit":
            name = names(key) or key
            fill = FILL_BAD if key in rejected else HEADER_FILL
            _put(sheet, h_name, c, name + (" (có lỗi)" if key in rejected else ""), bold=True, wrap=True,
                 fill=fill, align="center")
            _put(sheet, h_code, c, key, fill=fill, align="center")
        elif kind == "subtotal":
            _put(sheet, h_name, c, f"Cộng {type_name(key)}", bold=True, wrap=True, fill=FILL_SUBTOTAL,
                 align="center")
            _put(sheet, h_code, c, f"{len(columns[i][2])} đơn vị", fill=FILL_SUBTOTAL, align="center")
        else:
            _put(sheet, h_name, c, "Tổng cộng", bold=True, wrap=True, fill=FILL_TOTAL, align="center")
            _put(sheet, h_code, c, f"{len(merged)} đơn vị", fill=FILL_TOTAL, align="center")
        sheet.widths[c] = 14
    sheet.heights[h_name] = 64
    for c, w in ((1, 6), (2, 48), (3, 16)):
        sheet.widths[c] = w

    # the value cells of a row, a group at a time: its units, then its subtotal; the total last
    fills = {"unit": None, "subtotal": FILL_SUBTOTAL, "total": FILL_TOTAL}
    group_rows = [values.rows(codes) for _, codes in groups]
    merged_rows = values.rows(merged)
    unit_rows = values.rows([key for kind, key, _ in columns if kind == "unit"])
    spans: list[tuple[int, int]] = []  # (first column, number of units) of each group
    col = 4
    for _, codes in groups:
        spans.append((col, len(codes)))
        col += len(codes) + 1
    total_col = col

    def value_cells(r: int, measure: str | None, code: str) -> None:
        cells = sheet.rows.setdefault(r, {})
        if measure == "text":
            texts = iter(values.column("text", code, unit_rows))
            for i, (kind, _, _) in enumerate(columns):
                text = next(texts) if kind == "unit" else None
                _put(sheet, r, 4 + i, text if isinstance(text, str) else None, wrap=True, fill=fills[kind])
            return
        # a heading row (no measure) is blank, in plain cells; the first cell of each style goes through
        # _put, which makes the style, and the rest of the group's units are one run of that style
        number = measure is not None
        for (start, n), rows in zip(spans, group_rows):
            numbers = values.numbers(measure, code, rows) if number else np.full(n, np.nan)
            _put(sheet, r, start, float(numbers[0]), number=number)
            sheet.put_numbers(r, start + 1, numbers[1:], cells[start][2])
            _put(sheet, r, start + n, _sum_floats(numbers), number=number, bold=number, fill=FILL_SUBTOTAL)
        total = _sum_floats(values.numbers(measure, code, merged_rows)) if number else None
        _put(sheet, r, total_col, total, number=number, bold=number, fill=FILL_TOTAL)

    label_width = sheet.widths[2]
    r = first
    for row in form.rows:
        measures = list(row.numeric_measures) or (["text"] if "text" in row.measures else [None])
        for k, measure in enumerate(measures):
            top = bool(row.stt) or row.is_header
            _put(sheet, r, 1, row.stt if k == 0 and row.stt else None, bold=top, align="center")
            _put(sheet, r, 2, row.label if k == 0 else None, bold=top, wrap=True)
            _put(sheet, r, 3, measure_label(row, measure) if measure else None, wrap=True)
            value_cells(r, measure, row.code)
            r += 1
        # a row of two measures takes two sheet rows: its label is one cell across both, as in the form
        span = len(measures)
        if span > 1:
            for c in (1, 2):
                sheet.merge(r - span, c, r - 1, c)
        lines = _lines(row.label, label_width)
        if lines > span:
            for k in range(span):
                sheet.heights[r - span + k] = math.ceil(lines / span) * LINE_HEIGHT
    _freeze(sheet, first, 4)
    ws.print_title_rows = f"{h_type}:{h_code}"
    ws.print_title_cols = "A:C"
    _landscape(ws)

    # the units' notes, which no number column can hold (unit by unit, in form order)
    block = values.arrays["note"][merged_rows]
    notes = []
    for i, j in zip(*np.nonzero(pd.notna(block))):
        text = block[i, j]
        if isinstance(text, str) and text:
            notes.append((merged[i], form.value_rows[j].code, text))
    if notes:
        r += 1
        _title(sheet, r, "Ghi chú của các đơn vị", 3, size=12)
        r += 1
        for c, text in enumerate(("STT", "Đơn vị", "Hàng", "Ghi chú"), start=1):
            _put(sheet, r, c, text, bold=True, fill=HEADER_FILL, align="center")
        for n, (unit, code, text) in enumerate(notes, start=1):
            r += 1
            _put(sheet, r, 1, n, align="center")
            _put(sheet, r, 2, names(unit), wrap=True)
            _put(sheet, r, 3, code, align="center")
            _put(sheet, r, 4, text, wrap=True)
            sheet.merge(r, 4, r, max(last_col, 8))
    return sheet


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


def write_status(book: _Book, result: MergeResult) -> _Sheet:
    """Sheet 3: every unit with its status, file, time, lateness and counts; then every other file."""
    run = result.run
    names = _Names(result)
    sheet = book.create_sheet(STATUS_SHEET)
    ws = sheet.ws
    by_file = {f.file: f for f in run.files}
    deadline = run.campaign.deadline
    _title(sheet, 1, f"TÌNH HÌNH NỘP BÁO CÁO — {run.campaign.title}", len(STATUS_HEADERS))
    states = {s: len(result.units_in(s)) for s in ("accepted", "rejected", "missing")}
    due = deadline.strftime("%d/%m/%Y") if deadline else "(chưa định)"
    _text_cell(sheet, 2, 1, f"{len(run.units)} đơn vị: {states['accepted']} đã nộp hợp lệ, {states['rejected']} "
                            f"có lỗi, {states['missing']} chưa nộp. Hạn nộp: {due}. Lập lúc {stamp(result.created_at)}.",
               _font(italic=True))
    head = 4
    _header(sheet, head, STATUS_HEADERS, (6, 11, 36, 11, 16, 40, 18, 14, 8, 10, 32))
    name_width = _widths(sheet, (3,))
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
            _put(sheet, r, c, value, wrap=c == 3, align="center" if c in (1, 2, 8, 9, 10) else None)
        _fit_height(sheet, r, name_width)
        if when is not None:
            sheet.restyle(r, 7, "dd/mm/yyyy hh:mm")
    last = r
    _fit_width(sheet, 6, [st.file for st in run.unit_status.values() if st.file])
    _text_cell(sheet, last + 1, 1, "Hạn nộp được so với thời điểm đơn vị lưu tệp ghi trong biểu mẫu; để trống khi "
                                   "tệp không có thông tin này (thời điểm chép tệp vào thư mục không cho biết đơn vị "
                                   "nộp lúc nào).", _font(italic=True, size=10))
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(STATUS_HEADERS))}{last}"
    _freeze(sheet, head + 1, 4)
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
    _title(sheet, r, f"CÁC TỆP KHÁC TRONG THƯ MỤC ({len(others)} tệp không được dùng để tổng hợp)", 6, size=12)
    r += 1
    # the unit table's columns are narrow where this table needs room: each field spans what it needs
    spans = {c: n for c, n in zip(OTHER_COLUMNS, OTHER_SPANS)}
    for kind_row in (r, *range(r + 1, r + 1 + len(others))):
        for c, n in spans.items():
            if n > 1:
                sheet.merge(kind_row, c, kind_row, c + n - 1)
    for c, text in zip(OTHER_COLUMNS, OTHER_HEADERS):
        _put(sheet, r, c, text, bold=True, wrap=True, fill=HEADER_FILL, align="center")
    reason_widths = _widths(sheet, (6, 7), spans)
    for n, f in enumerate(others, start=1):
        r += 1
        row = (n, f.file, FILE_STATUS_NAMES.get(f.status, f.status), names(f.unit), _reason(f))
        for c, value in zip(OTHER_COLUMNS, row):
            _put(sheet, r, c, value, wrap=c in (6, 7), align="center" if c == 1 else None)
        _fit_height(sheet, r, reason_widths)
    _landscape(ws)
    ws.print_title_rows = f"{head}:{head}"
    return sheet


# ------------------------------------------------------------------------------------ 4. Lỗi và cảnh báo

ISSUE_HEADERS = ("STT", "Tệp", "Đơn vị", "Mức độ", "Mã lỗi", "Trang", "Ô", "Hàng", "Số liệu", "Giá trị",
                 "Nội dung")


def all_issues(result: MergeResult) -> list[tuple[Issue, str | None]]:
    """Every issue with the unit it concerns: the files' issues in file order, then the merge's own."""
    out = [(i, i.unit or f.unit) for f in result.run.files for i in f.issues]
    return out + [(i, i.unit) for i in result.issues]


def write_issues(book: _Book, result: MergeResult) -> _Sheet:
    """Sheet 4: every issue, one per row, with an autofilter."""
    names = _Names(result)
    sheet = book.create_sheet(ISSUES_SHEET)
    ws = sheet.ws
    head = 1
    _header(sheet, head, ISSUE_HEADERS, (6, 34, 30, 11, 22, 14, 7, 8, 16, 18, 80))
    widths = _widths(sheet, (3, 10, 11))
    issues = all_issues(result)
    r = head
    for n, (issue, unit) in enumerate(issues, start=1):
        r += 1
        row = (n, issue.file, names(unit), SEVERITY_NAMES[issue.severity], issue.code, issue.sheet,
               issue.cell, issue.indicator, MEASURE_NAMES.get(issue.measure or "", issue.measure), issue.value,
               issue.message)
        for c, value in enumerate(row, start=1):
            _put(sheet, r, c, value, wrap=c in (3, 10, 11), align="center" if c in (1, 7, 8) else None)
        _fit_height(sheet, r, widths)
    _fit_width(sheet, 2, [issue.file for issue, _ in issues])
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(ISSUE_HEADERS))}{max(r, head + 1)}"
    _freeze(sheet, head + 1, 1)
    if r > head:
        span = f"D{head + 1}:D{r}"
        ws.conditional_formatting.add(span, CellIsRule(operator="equal", formula=[f'"{SEVERITY_NAMES["error"]}"'],
                                                       fill=FILL_BAD))
        ws.conditional_formatting.add(span, CellIsRule(operator="equal",
                                                       formula=[f'"{SEVERITY_NAMES["warning"]}"'], fill=FILL_MISSING))
    _landscape(ws)
    return sheet


# ------------------------------------------------------------------------------------------ 5. Biểu đồ

CHART_HEADERS = ("Loại đơn vị", "Số đơn vị", "Đã nộp hợp lệ", "Có lỗi", "Chưa nộp",
                 "Số lớp bồi dưỡng (mục 1)", "Số người tham gia (mục 1)")


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


def write_charts(book: _Book, result: MergeResult, values: _UnitValues | None = None) -> _Sheet:
    """Sheet 5: a small table by unit type and native Excel bar charts of submissions and participation."""
    sheet = book.create_sheet(CHART_SHEET)
    ws = sheet.ws
    _title(sheet, 1, "TÌNH HÌNH NỘP VÀ KẾT QUẢ THEO LOẠI ĐƠN VỊ", len(CHART_HEADERS))
    head = 3
    _header(sheet, head, CHART_HEADERS, (18, 10, 14, 10, 10, 16, 18))
    data = by_type(result, values)
    for i, row in enumerate(data, start=head + 1):
        for c, value in enumerate(row, start=1):
            _put(sheet, i, c, value, number=c >= 2, align=None if c == 1 else "right")
    last = head + len(data)
    if not data:
        return sheet
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
    return sheet


def write_identity(book: _Book, result: MergeResult) -> _Sheet:
    """The hidden identity sheet (identity.py) of the summary as a return: form, year, save time.

    No unit code (the district is not on the district's own list); the province's reader tells the district
    by the "Đơn vị báo cáo" line, checks the form and year, and keeps the newest of two summaries by
    ``saved_at``, written as a value (not ``=NOW()``): nothing in the summary is a formula.
    """
    run = result.run
    sheet = book.create_sheet(IDENTITY_SHEET)
    rows = result.identity_rows(reporter(result))  # the district's code and pedigree (issue 14)
    for i, (key, value) in enumerate(rows, start=1):
        cell = sheet.cell(i, 1)
        cell.value = key
        sheet.keep(cell)
        cell = sheet.cell(i, 2)
        set_text(cell, value)
        sheet.keep(cell)
    cell = sheet.cell(len(rows) + 1, 1)
    cell.value = "saved_at"
    sheet.keep(cell)
    saved = sheet.cell(len(rows) + 1, 2)
    saved.value = result.created_at
    saved.number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.keep(saved)
    sheet.ws.sheet_state = "hidden"
    return sheet


def _build(result: MergeResult) -> _Book:
    book = _Book()
    values = _UnitValues(result)
    write_form(book.wb, result, values)
    write_by_unit(book, result, values)
    write_status(book, result)
    write_issues(book, result)
    write_charts(book, result, values)
    write_identity(book, result)
    wb = book.wb
    wb.properties.title = f"{result.run.form.name} — {result.run.campaign.district or result.run.campaign.title}"
    wb.properties.creator = result.run.campaign.office or "consolidate"
    wb.active = 0
    return book


def build_workbook(result: MergeResult) -> Workbook:
    """The whole summary workbook, in memory, every cell an openpyxl cell (``write_summary`` saves faster)."""
    return _build(result).workbook()


def write_summary(path: str | Path, result: MergeResult) -> Path:
    """Write the summary workbook to ``path`` (``merge`` passes the temporary file of an atomic write)."""
    path = Path(path)
    _build(result).save(path)
    return path
