"""The narrative report ("Báo cáo", Phụ lục 1 of the plan): the sheet a unit writes in, reading its texts
back (also from a report retyped with the headings as text), and the district's "Tổng hợp báo cáo".

The headings are data (``data/narrative.toml``), like the form: nothing here names a heading.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consolidate.issues import Issue, make
from consolidate.parts import ReadContext, SheetLike, cell_values
from consolidate.text import EXCEL_CELL_LIMIT, clean, fold, fold_cached, set_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet
    from xlsxwriter.workbook import Workbook as XlsxWorkbook
    from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

    from consolidate.campaign import Campaign

__all__ = ["ReadContext", "Heading", "Narrative", "NarrativeRead", "load_narrative", "write_narrative_sheet",
           "template_writer",
           "read_narrative", "compile_narrative", "write_narrative_summary"]

DEFAULT_NARRATIVE = Path(__file__).parent / "data" / "narrative.toml"
SUMMARY_SHEET = "Tổng hợp báo cáo"
FONT_NAME = "Times New Roman"
TEXT_ROWS = 6  # rows merged into each heading's text box
TEXT_ROW_HEIGHT = 30
LAST_COL = 8
# Where a retyped report's narrative part ends: what follows is the signature or the form.
_STOP = ("noinhan", "nguoilapbieu", "thutruongdonvi", "phuluc2", "bieutonghop")
_NUMBERING = re.compile(r"^\s*(?:[IVX]+\s*[.\-/]\s*)?(?:\d+\s*[.)\-:]|[IVX]+\s*[.)\-:])?\s*")
_ROMAN = re.compile(r"^\s*[IVX]+\s*[.)\-:]\s*")
INPUT_FILL = "FFFFFF"  # the text boxes' fill (openpyxl is imported by the writers only, never by reading)
HEAD_CHARS = 240  # a heading or a hint is shorter than this; longer cells are only text


# every way a label's "{district_kind}/{commune_kind}" can be filled in, for reading a heading back
_DISTRICTS = ("huyện", "quận", "thị xã", "thành phố")
_COMMUNES = ("xã", "phường", "thị trấn", "xã/thị trấn", "phường/xã", "xã/phường", "phường/thị trấn",
             "xã/phường/thị trấn")
LEVELS = tuple((d, c) for d in _DISTRICTS for c in _COMMUNES)


@dataclass(frozen=True)
class Heading:
    """One heading of Phụ lục 1 ("I.1", "Công tác chỉ đạo, …")."""

    code: str
    section: str
    number: str
    label: str
    hint: str = ""
    aliases: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()  # form rows whose totals belong under this heading (I.4: 10.1, 10.2)
    form_table: bool = False  # the merged form goes here (II.4)
    schedule: bool = False  # the compiled schedule goes here (I.3)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Folded texts that name this heading, longest first; a label naming the district's levels
        ("cấp {district_kind}/{commune_kind}") in every way a district can fill them in."""
        texts = {self.label, *self.aliases}
        if "{" in self.label:
            texts = {t for t in texts if "{" not in t}
            for district, communes in LEVELS:
                texts.add(self.label.replace("{district_kind}", district).replace("{commune_kind}", communes))
        return tuple(sorted({fold(t) for t in texts}, key=len, reverse=True))

    def label_for(self, campaign: Campaign) -> str:
        """The label as this campaign's district writes it ("Lễ phát động Tuần lễ cấp quận/phường.")."""
        return campaign.levels(self.label)


@dataclass(frozen=True)
class Section:
    """A Roman-numbered part of Phụ lục 1 ("I", "TỔ CHỨC TRIỂN KHAI TUẦN LỄ")."""

    code: str
    label: str


@dataclass(frozen=True)
class Narrative:
    """The structure of Phụ lục 1."""

    title: str
    subtitle: str
    sheet: str
    sections: tuple[Section, ...]
    headings: tuple[Heading, ...]

    def subtitle_for(self, year: int) -> str:
        """The subtitle with the campaign year."""
        return self.subtitle.replace("{year}", str(year))

    def in_section(self, code: str) -> list[Heading]:
        """The headings of one section, in order."""
        return [h for h in self.headings if h.section == code]


@dataclass
class NarrativeRead:
    """The texts found in one file, by heading code, and the problems met reading them."""

    sections: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    found: bool = False  # the Phụ lục 1 headings were found (even with no text under them)
    sheet: str | None = None
    cells: dict[str, str] = field(default_factory=dict)  # heading code → address of its first text cell


@lru_cache(maxsize=4)
def load_narrative(path: str | Path | None = None) -> Narrative:
    """Load the Phụ lục 1 headings (default ``data/narrative.toml``)."""
    data = tomllib.loads(Path(path or DEFAULT_NARRATIVE).read_text(encoding="utf-8"))
    head = data["narrative"]
    sections = tuple(Section(str(s["code"]), str(s["label"])) for s in data["sections"])
    headings = tuple(
        Heading(str(h["code"]), str(h["section"]), str(h["number"]), clean(str(h["label"])),
                clean(str(h.get("hint", ""))), tuple(clean(a) for a in h.get("aliases", [])),
                tuple(str(a) for a in h.get("amounts", [])), bool(h.get("form_table", False)),
                bool(h.get("schedule", False)))
        for h in data["headings"])
    return Narrative(str(head["title"]), str(head["subtitle"]), str(head["sheet"]), sections, headings)


# ---------------------------------------------------------------------------------------------- writing

def _font(bold: bool = False, size: float = 12, italic: bool = False, color: str | None = None) -> Font:
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=color)


def _line(ws: Worksheet, row: int, text: str, font: Font, height: float = 20, center: bool = False) -> None:
    from openpyxl.styles import Alignment

    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    cell = ws.cell(row, 1)
    set_text(cell, text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center" if center else "left", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = height


def write_narrative_sheet(wb: Workbook, campaign: Campaign, unit_name: str) -> Worksheet:
    """Add the protected "Báo cáo" sheet: every Phụ lục 1 heading with a large unlocked text box under it."""
    from openpyxl.styles import Alignment, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = load_narrative()
    ws = wb.create_sheet(spec.sheet)
    for col in range(1, LAST_COL + 1):
        ws.column_dimensions[chr(64 + col)].width = 13
    _line(ws, 1, spec.title, _font(bold=True, size=14), center=True)
    _line(ws, 2, spec.subtitle_for(campaign.year), _font(bold=True, size=13), center=True)
    _line(ws, 3, f"Đơn vị báo cáo: {unit_name}", _font(bold=True))
    _line(ws, 4, "Ghi nội dung vào ô trắng dưới mỗi mục (Alt+Enter để xuống dòng trong ô). "
                 "Mục nào không có thì để trống.", _font(italic=True, size=11), 33)
    dv = DataValidation(showInputMessage=True, allow_blank=True, promptTitle="Báo cáo",
                        prompt="Viết nội dung của mục này. Alt+Enter để xuống dòng.")
    ws.add_data_validation(dv)
    r = 5
    for section in spec.sections:
        r += 1
        _line(ws, r, f"{section.code}. {section.label}", _font(bold=True))
        for h in spec.in_section(section.code):
            r += 1
            label = h.label_for(campaign)
            _line(ws, r, f"{h.number}. {label}", _font(bold=True), _height(label))
            if h.hint:
                r += 1
                _line(ws, r, h.hint, _font(italic=True, size=11, color="595959"), _height(h.hint))
            r += 1
            ws.merge_cells(start_row=r, start_column=1, end_row=r + TEXT_ROWS - 1, end_column=LAST_COL)
            _outline(ws, r, r + TEXT_ROWS - 1)  # the white box must show on paper too
            box = ws.cell(r, 1)
            box.alignment = Alignment(vertical="top", wrap_text=True)
            box.font = _font()
            box.protection = Protection(locked=False)
            box.fill = PatternFill("solid", fgColor=INPUT_FILL)
            dv.add(box.coordinate)
            for k in range(TEXT_ROWS):
                ws.row_dimensions[r + k].height = TEXT_ROW_HEIGHT
            r += TEXT_ROWS - 1
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:{chr(64 + LAST_COL)}{r}"
    ws.protection.sheet = True
    ws.protection.formatRows = False  # a long text may need a taller box
    return ws


def _outline(ws: Worksheet, first: int, last: int) -> None:
    """A thin border around the text box of rows ``first``…``last`` (its edge cells carry it)."""
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    for r in range(first, last + 1):
        for c in range(1, LAST_COL + 1):
            if r in (first, last) or c in (1, LAST_COL):
                ws.cell(r, c).border = Border(left=thin if c == 1 else None, right=thin if c == LAST_COL else None,
                                              top=thin if r == first else None, bottom=thin if r == last else None)


def _height(text: str, chars: int = 95) -> float:
    return round(max(1, -(-len(text) // chars)) * 16.5 + 3, 1)


# ---------------------------------------------------------------------------------------------- reading

def _cell_text(value: object) -> str:
    if isinstance(value, str):
        if not value:
            return ""
        # labels and headings repeat in every file of a folder: short texts are cleaned once
        return _short_text(value) if len(value) <= HEAD_CHARS else _clean_text(value)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return str(value)  # digits, a sign, a point: nothing to clean
    return _clean_text(str(value))


def _clean_text(text: str) -> str:
    return clean(text.replace("\r\n", "\n").replace("\r", "\n"))


@lru_cache(maxsize=16384)
def _short_text(text: str) -> str:
    return _clean_text(text)


@lru_cache(maxsize=8192)
def _key(text: str) -> str:
    """Folded start of a cell, numbering dropped; cached because every template repeats the same labels."""
    return fold(_NUMBERING.sub("", text[:HEAD_CHARS], count=1))


def _match_heading(text: str, spec: Narrative) -> tuple[Heading, str] | None:
    """The heading a cell starts with, and what the cell holds after it (a retyped "1. …: text")."""
    global _heading_memo
    if len(text) > HEAD_CHARS:
        return _match_heading_uncached(text, spec)
    # the same labels come in every file of a folder: remembered per spec (by identity, as hashing the
    # frozen spec on every cell would cost more than the match)
    owner, memo = _heading_memo
    if owner is not spec:
        memo = {}
        _heading_memo = (spec, memo)
    if text not in memo:
        if len(memo) > 20_000:
            memo.clear()
        memo[text] = _match_heading_uncached(text, spec)
    return memo[text]


_heading_memo: tuple[Narrative | None, dict[str, tuple[Heading, str] | None]] = (None, {})


def _match_heading_uncached(text: str, spec: Narrative) -> tuple[Heading, str] | None:
    key = _key(text)
    if not key:
        return None
    for h in spec.headings:
        for k in h.keys:
            if key.startswith(k):
                return h, _after(_NUMBERING.sub("", text, count=1), k)
    return None


def _after(body: str, key: str) -> str:
    """The part of ``body`` after the characters whose folded form is ``key``."""
    acc = ""
    for i, ch in enumerate(body):
        acc += fold(ch)  # a character folds on its own (see text.fold)
        if acc == key:
            i += 1
            while i < len(body) and body[i] in " .:;,-–)\n":
                i += 1  # the heading's own punctuation: "(…)." or ":"
            return body[i:].strip()
        if not key.startswith(acc):
            break
    return ""


def _is_section(text: str, sections: frozenset[str]) -> bool:
    """Whether a text is a Roman-numbered section title; ``sections`` are the folded labels."""
    if not _ROMAN.match(text) or len(text) > HEAD_CHARS:
        return False
    return fold_cached(_ROMAN.sub("", text, count=1)) in sections


def _is_stop(text: str) -> bool:
    key = fold_cached(text[:40])
    return key.startswith(_STOP)


class _Memo:
    """What reading remembers across the files of a folder, for one spec: the labels and headings of the
    template come back in every file."""

    def __init__(self, spec: Narrative) -> None:
        self.spec = spec
        # cell value → (its text, the heading it starts with); the type too, as True == 1 but reads ""
        self.seen: dict[tuple[type, object], tuple[str, tuple[Heading, str] | None]] = {}
        self.plain: set[str] = set()  # texts that start no heading
        self.starting: set[str] = set()  # texts that start one
        self.hints = frozenset(_key(h.hint) for h in spec.headings if h.hint)
        self.sections = frozenset(fold(s.label) for s in spec.sections)
        # A number reads as digits (with a sign, a point, an exponent) or "inf"/"nan", so it can start a
        # heading only if a key starts with a digit or is a prefix of those two; a bool reads "".
        keys = [k for h in spec.headings for k in h.keys]
        numbers_plain = all(k and not k[0].isdigit() and not "inf".startswith(k) and not "nan".startswith(k)
                            for k in keys)
        self.plain_types = frozenset((int, float, bool) if numbers_plain else ())
        self.any_key = re.compile("|".join(re.escape(k) for k in keys))

    def lookup(self, value: object) -> tuple[str, tuple[Heading, str] | None]:
        """A cell value's text and the heading it starts with."""
        key = (type(value), value)
        try:
            return self.seen[key]
        except KeyError:
            text = _cell_text(value)
            found = text, _match_heading(text, self.spec) if text else None
            self.seen[key] = found
            return found
        except TypeError:  # an unhashable value (calamine gives none)
            text = _cell_text(value)
            return text, _match_heading(text, self.spec) if text else None

    def may_start(self, value: object) -> bool:
        """Whether this value, or a value equal to it, may start a heading; texts are remembered either way.

        A str equals only strs, which read alike. Numbers (bools, ints and floats equal one another) are
        ruled out by ``plain_types`` before when they can start no heading; dates, times, any other value
        and numbers of a spec with a key starting with a digit are looked at cell by cell."""
        if type(value) is not str:
            return value is not None
        # A key is folded from a part of the cell's text, and a text folds character by character: a short
        # text whose folded form holds no key (most new texts: a unit's name) is ruled out at a fraction of
        # the cost of reading it.
        if (len(value) > HEAD_CHARS or self.any_key.search(fold(value))) and self.lookup(value)[1]:
            self.starting.add(value)
            return True
        self.plain.add(value)
        return False


_memo: _Memo | None = None


def _memo_for(spec: Narrative) -> _Memo:
    global _memo
    if _memo is None or _memo.spec is not spec or len(_memo.seen) + len(_memo.plain) > 50_000:
        _memo = _Memo(spec)
    return _memo


def _marks(sheet: SheetLike, memo: _Memo, values: set[object] | None) -> list[tuple[int, int, Heading, str]]:
    """The headings on a sheet: (row, column, heading, the text after it in its cell), each heading once.

    ``values`` are the sheet's cell values; when None, every row is looked at cell by cell."""
    starts = None
    if values is not None:
        # most sheets hold no heading: known texts and numbers are ruled out by set operations, and only the
        # rows holding a value that may start one are looked at cell by cell
        fresh = values - memo.plain
        starts = fresh & memo.starting
        skip = memo.plain_types
        starts.update(v for v in fresh - starts if type(v) not in skip and memo.may_start(v))
        if not starts:
            return []
    marks: list[tuple[int, int, Heading, str]] = []
    for r, row in enumerate(sheet.rows):
        if starts is not None and starts.isdisjoint(row):
            continue
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            text, hit = memo.lookup(value)
            # a heading counts once: a text that starts with a heading's words is text
            if text and hit and hit[0].code not in {m[2].code for m in marks}:
                marks.append((r, c, hit[0], hit[1]))
                break
    return marks


def read_narrative(sheets: Sequence[SheetLike], ctx: ReadContext,
                   values: Sequence[set[object] | None] | None = None) -> NarrativeRead:
    """Find the Phụ lục 1 headings on any sheet and read the text under each (by heading code).

    ``values`` are the sheets' ``parts.cell_values``, in the order of ``sheets``, when the caller has them."""
    spec = load_narrative()
    memo = _memo_for(spec)
    hints = memo.hints
    best: tuple[SheetLike, list[tuple[int, int, Heading, str]]] | None = None
    for i in sorted(range(len(sheets)), key=lambda i: sheets[i].hidden):
        sheet = sheets[i]
        marks = _marks(sheet, memo, values[i] if values is not None else cell_values(sheet))
        # two headings at least, so a lone phrase elsewhere in a workbook is never taken for the report
        if len({m[2].code for m in marks}) >= 2 and (best is None or len(marks) > len(best[1])):
            best = (sheet, marks)
    out = NarrativeRead()
    if best is None:
        return out
    sheet, marks = best
    out.found, out.sheet = True, sheet.name
    base = {"file": ctx.file, "sheet": sheet.name, "unit": ctx.unit_code}
    starts = [m[0] for m in marks]
    for i, (r, _c, heading, rest) in enumerate(marks):
        end = starts[i + 1] if i + 1 < len(marks) else len(sheet.rows)
        parts = [rest] if rest else []
        first_cell = sheet.address(r, _c) if rest else None
        for rr in range(r + 1, end):
            row = sheet.rows[rr]
            if row.count("") == len(row):  # the text boxes' empty rows
                continue
            row_texts = []
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                text = _cell_text(value)
                if text and not (len(text) <= HEAD_CHARS and _key(text) in hints):
                    row_texts.append(text)
                    first_cell = first_cell or sheet.address(rr, c)
            if row_texts and (_is_stop(row_texts[0]) or _is_section(row_texts[0], memo.sections)):
                break
            parts.extend(row_texts)
        text = "\n".join(parts).strip()
        if len(text) > EXCEL_CELL_LIMIT:
            out.issues.append(make("text-too-long", cell=first_cell, length=len(text), **base))
            text = text[:EXCEL_CELL_LIMIT]
        if text and heading.code not in out.sections:
            out.sections[heading.code] = text
            if first_cell:
                out.cells[heading.code] = first_cell
    empty = [h for h in spec.headings if h.code not in out.sections and not h.form_table]
    if empty:
        names = "; ".join(f"{h.code} {h.label_for(ctx.campaign).rstrip('.')}" for h in empty)
        out.issues.append(make("narrative-empty", heading=names, **base))
    return out


# ---------------------------------------------------------------------------------------------- compiling

Compiled = dict[str, list[tuple[str, str]]]


def compile_narrative(items: Iterable[tuple[str, Mapping[str, str]]]) -> Compiled:
    """For each heading code (in Phụ lục 1 order) every unit's text: ``[(unit_name, text), …]``.

    ``items`` are (unit name, sections) pairs in the order units should appear (the unit list's)."""
    spec = load_narrative()
    out: Compiled = {h.code: [] for h in spec.headings}
    for unit_name, sections in items:
        for code, text in sections.items():
            if code in out and text.strip():
                out[code].append((unit_name, text.strip()))
    return out


def write_narrative_summary(wb: XlsxWorkbook, sections: Mapping[str, Sequence[tuple[str, str]]],
                            campaign: Campaign) -> XlsxWorksheet:
    """Add "Tổng hợp báo cáo" to a summary being written by XlsxWriter: under each Phụ lục 1 heading, every
    unit's text beside its name (texts as text, rows fitted to them by Excel and LibreOffice)."""
    spec = load_narrative()
    base = {"font_name": FONT_NAME, "font_size": 12, "valign": "vcenter", "text_wrap": True}
    title = wb.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
    place = wb.add_format({**base, "italic": True, "align": "center"})
    section_fmt = wb.add_format({**base, "bold": True, "font_size": 13, "bg_color": "#D9D9D9", "border": 1})
    heading_fmt = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2", "border": 1})
    empty = wb.add_format({**base, "italic": True, "border": 1})
    name_fmt = wb.add_format({**base, "bold": True, "valign": "top", "border": 1})
    text_fmt = wb.add_format({**base, "valign": "top", "border": 1})
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 95)

    def banner(r: int, text: str, fmt: object) -> None:
        # a merged row is never fitted to its text: its height from the length of the text
        ws.merge_range(r, 0, r, 1, "", fmt)
        ws.write_string(r, 0, text, fmt)
        ws.set_row(r, _height(text, 120))

    banner(0, f"TỔNG HỢP BÁO CÁO CỦA CÁC ĐƠN VỊ — {spec.subtitle_for(campaign.year).upper()}", title)
    if campaign.district:
        banner(1, campaign.district[:1].upper() + campaign.district[1:], place)
    r = 2
    for section in spec.sections:
        r += 1
        banner(r, f"{section.code}. {section.label}", section_fmt)
        for h in spec.in_section(section.code):
            r += 1
            banner(r, f"{h.number}. {h.label_for(campaign)}", heading_fmt)
            texts = sections.get(h.code, [])
            if not texts:
                r += 1
                banner(r, "(Chưa có đơn vị nào viết mục này.)", empty)
            for unit_name, text in texts:
                r += 1
                ws.write_string(r, 0, unit_name, name_fmt)
                ws.write_string(r, 1, text[:EXCEL_CELL_LIMIT], text_fmt)
                # LibreOffice does not fit a row of an .xlsx to its wrapped text: a height from its length
                lines = max(sum(max(1, -(-len(p) // 85)) for p in text.split("\n")), -(-len(unit_name) // 28))
                ws.set_row(r, min(409, round(lines * 16.5 + 3, 1)))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, r, 1)
    ws.set_footer(f"&C&\"{FONT_NAME}\"&10Trang &P/&N")
    return ws


def template_writer(wb: Workbook, campaign: Campaign, form: object, unit: Any) -> None:
    """``templates.make_templates`` extra-sheet writer: the unit's "Báo cáo" sheet."""
    write_narrative_sheet(wb, campaign, unit.name)


template_writer.unit_fields = ("name",)  # type: ignore[attr-defined]  # templates may stencil it
