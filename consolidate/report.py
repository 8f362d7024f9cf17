"""The district's own report to the province as a Word draft (python-docx): the Phụ lục 1 structure, under
each heading the units' texts gathered under their names for the clerk to edit, the district's money
totals under "Kinh phí", the compiled week schedule, the merged Biểu tổng hợp (Phụ lục 2) as a table, and
which units reported and which did not. A draft a clerk edits, not a page to retype.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consolidate import outputs
from consolidate.campaign import place_name
from consolidate.issues import Issue, RunError, UsageError
from consolidate.narrative import Heading, Narrative, load_narrative
from consolidate.schedule import ScheduleEntry, opening_differs
from consolidate.split import split_parts

if TYPE_CHECKING:
    import pandas as pd
    from docx.document import Document as DocxDocument
    from docx.table import Table

    from consolidate.campaign import Campaign
    from consolidate.form import Form
    from consolidate.results import RunResult
    from consolidate.units import Unit, UnitList

FONT = "Times New Roman"
BODY_SIZE = 13
LANGUAGE = "vi-VN"
TEXT_WIDTH_CM = 16.0  # A4 less the margins of Nghị định 30 (left 3 cm, right 2 cm)
HEADER_OUTDENT_CM = 1.0
FORM_HEADERS = ("STT", "Các hoạt động", "Đơn vị", "Số lớp/số cuộc thi", "Người", "Ghi chú")
SCHEDULE_HEADERS = ("TT", "Giờ", "Ngày", "Đơn vị", "Nội dung")
STATUS_HEADERS = ("STT", "Đơn vị", "Loại", "Tình trạng")
STATUS_TEXT = {"accepted": "Đã nộp, số liệu hợp lệ", "rejected": "Đã nộp, còn lỗi (chưa tổng hợp)",
               "missing": "Chưa nộp",
               "unconfirmed": "Chưa rõ tệp của đơn vị nào (cần xác nhận, chưa tổng hợp)"}


@dataclass
class ReportResult:
    """What ``consolidate report`` wrote and from what."""

    output: Path
    run: RunResult
    reported: list[Unit] = field(default_factory=list)  # accepted: their numbers are in the report
    rejected: list[Unit] = field(default_factory=list)  # sent a file with errors
    missing: list[Unit] = field(default_factory=list)
    activities: int = 0
    schedule_units: int = 0
    narrative_units: int = 0
    issues: list[Issue] = field(default_factory=list)  # schedule/narrative issues read for the report


# ---------------------------------------------------------------------------------------------- numbers

def vn_number(value: object) -> str:
    """A whole number written the Vietnamese way ("1.200.000"); '' for blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    f = float(value)  # type: ignore[arg-type]
    if f.is_integer():
        return f"{int(f):,}".replace(",", ".")
    return f"{f:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def district_totals(run: RunResult) -> pd.DataFrame:
    """The district's sums per row code (count/people/amount) over the accepted units, as ``merge`` sums."""
    from consolidate.merge import totals

    return totals(run)


def _texts(run: RunResult, code: str) -> list[tuple[str, str]]:
    """(unit name, text) of a text row of the form, from the accepted units' current files."""
    table = run.table
    if table is None or table.empty:
        return []
    current = {c: s.file for c, s in run.unit_status.items() if s.status == "accepted" and s.file}
    names = {u.code: u.name for u in run.units}
    rows = table[(table["indicator"] == code) & table["text"].notna()]
    out = []
    for unit in run.units:
        mine = rows[(rows["unit"] == unit.code) & (rows["file"] == current.get(unit.code))]
        for text in mine["text"]:
            if str(text).strip():
                out.append((names[unit.code], str(text).strip()))
    return out


# ---------------------------------------------------------------------------------------------- gathering

def gather_parts(run: RunResult) -> tuple[list[ScheduleEntry], dict[str, list[tuple[str, str]]], list[Issue]]:
    """The compiled schedule and narrative of a run: from ``run.extras`` when the check put them there,
    else read here from the folder, each unit's newest file of each part (``split.split_parts``)."""
    if "schedule" in run.extras and "narrative" in run.extras:
        issues = [i for f in run.files if f.status != "superseded" for i in f.issues
                  if i.code.startswith(("schedule-", "narrative-"))]
        return list(run.extras["schedule"]), dict(run.extras["narrative"]), issues
    from consolidate.reader import read_folder

    files = read_folder(run.folder, run.form, run.campaign, run.units)
    before = {rf.file: len(rf.issues) for rf in files}
    parts = split_parts(files, run.campaign, run.units)
    issues = [i for rf in files for i in rf.issues[before[rf.file]:]
              if i.code.startswith(("schedule-", "narrative-")) and not rf.superseded_by]
    return parts.schedule, parts.narrative, issues


# ---------------------------------------------------------------------------------------------- document

def _style(doc: DocxDocument) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    for name in ("Normal", "Heading 1", "Heading 2", "Title", "Table Grid"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
        if name.startswith("Heading") or name == "Title":
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
            style.font.size = Pt(BODY_SIZE)
            style.paragraph_format.space_before = Pt(6)
            style.paragraph_format.space_after = Pt(3)
    doc.styles["Normal"].font.size = Pt(BODY_SIZE)
    doc.styles["Normal"].paragraph_format.space_after = Pt(3)
    _language(doc)
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = Cm(3)
        section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
        _page_numbers(section)


def _language(doc: DocxDocument) -> None:
    """Vietnamese as the language of every run (python-docx's template says en-US, and Word then underlines
    every Vietnamese word as a spelling mistake)."""
    from docx.oxml.ns import qn

    doc.core_properties.language = LANGUAGE
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    for element in [r_pr, *(st.get_or_add_rPr() for st in (doc.styles["Normal"].element,))]:
        if element is None:
            continue
        lang = element.find(qn("w:lang"))
        if lang is None:
            lang = element.makeelement(qn("w:lang"), {})
            element.append(lang)
        for attr in ("w:val", "w:eastAsia", "w:bidi"):
            lang.set(qn(attr), LANGUAGE)
    settings = doc.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), LANGUAGE)


def _page_numbers(section: Any) -> None:
    """The page number centred at the top of every page but the first (Nghị định 30/2020/NĐ-CP, Phụ lục I)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    run.font.size = Pt(BODY_SIZE)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            el = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        elif text == " PAGE ":
            el = run._r.makeelement(qn("w:instrText"), {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
            el.text = text
        else:
            el = run._r.makeelement(qn("w:t"), {})
            el.text = text
        run._r.append(el)


def _para(doc: Any, text: str = "", *, bold: bool = False, italic: bool = False, center: bool = False,
          right: bool = False, size: float | None = None, style: str | None = None) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return p


def _cell(cell: Any, text: str, *, bold: bool = False, center: bool = False, size: float = 12) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    lines = text.split("\n") if text else [""]
    cell.text = ""
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        run = p.add_run(line)
        run.bold = bold or None
        run.font.size = Pt(size)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def fit_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total_cm: float = TEXT_WIDTH_CM,
               size: float = 12) -> list[float]:
    """Column widths (cm) sized to the content and filling ``total_cm``.

    A column whose text fits on one line within its share gets just that ("TT", "Giờ", a date); the width
    left is shared by the others in proportion to how much text their cells hold, none narrower than its
    longest word. So "Nội dung" gets the room, not an equal fifth of it beside a two-digit "TT"."""
    body = size * 0.5 * 2.54 / 72  # cm per letter: an average letter of Times New Roman is half the size
    head = size * 0.62 * 2.54 / 72  # bold header letters, capitals among them, are wider
    pad = 0.5  # the cell's margins (0.19 cm each side) and a little slack
    n = len(headers)
    cells = [[str(r[i]) for r in rows] for i in range(n)]

    def longest(texts: Sequence[str], split: str | None) -> int:
        return max((len(part) for t in texts for part in (t.split(split) if split else t.split()) or [""]),
                   default=0)

    word = [max(longest([headers[i]], None) * head, longest(cells[i], None) * body) + pad for i in range(n)]
    line = [max(word[i], len(headers[i]) * head + pad, longest(cells[i], "\n") * body + pad) for i in range(n)]
    # how much a column needs widening: the square root of its text per cell (a column with twice the
    # text gets more room, not twice: both then wrap to about as many lines)
    volume = [max(1.0, sum(len(t) for t in cells[i]) / max(1, len(rows)), len(headers[i]) / 2) ** 0.5
              for i in range(n)]
    widths: dict[int, float] = {}
    free = set(range(n))
    while free:
        room = total_cm - sum(widths.values())
        weight = sum(volume[i] for i in free)
        share = {i: room * volume[i] / weight for i in free}
        settle = {i: line[i] for i in free if share[i] >= line[i]}  # fits on a line within its share
        settle = settle or {i: word[i] for i in free if share[i] < word[i]}  # would cut its longest word
        if not settle:
            widths.update(share)
            break
        widths.update(settle)
        free -= set(settle)
    out = [widths[i] for i in range(n)]
    left = total_cm - sum(out)
    if left > 0:  # every column fits on one line: the rest goes where the text is
        out = [w + left * volume[i] / sum(volume) for i, w in enumerate(out)]
    elif left < 0:  # even the longest words do not fit: narrow all alike
        out = [w * total_cm / sum(out) for w in out]
    return out


def _set_widths(table: Table, widths_cm: Sequence[float], outdent_cm: float = 0) -> None:
    """Fixed column widths in the table grid itself (LibreOffice lays a table out by its grid, Word by the
    cells: both are set); ``outdent_cm`` moves the table that far into the left margin."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    if outdent_cm:
        tbl_pr = table._tbl.tblPr
        ind = tbl_pr.makeelement(qn("w:tblInd"), {qn("w:w"): str(-round(outdent_cm * 567)), qn("w:type"): "dxa"})
        later = [tbl_pr.find(qn(f"w:{tag}")) for tag in ("tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")]
        later = [el for el in later if el is not None]
        if later:  # the schema's order of a table's properties
            later[0].addprevious(ind)
        else:
            tbl_pr.append(ind)
    for i, w in enumerate(widths_cm):
        table.columns[i].width = Cm(w)
    for row in table.rows:
        for i, w in enumerate(widths_cm):
            row.cells[i].width = Cm(w)


def _table(doc: Any, headers: Sequence[str], rows: Sequence[Sequence[str]], widths_cm: Sequence[float] | None = None,
           centered: Sequence[int] = (), size: float = 12) -> Table:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    for i, h in enumerate(headers):
        _cell(table.rows[0].cells[i], h, bold=True, center=True, size=size)
    for row in rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            _cell(cells[i], value, center=i in centered, size=size)
    _set_widths(table, widths_cm or fit_widths(headers, rows, size=size))
    _repeat_header(table)
    return table


def _repeat_header(table: Table) -> None:
    from docx.oxml.ns import qn

    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    el = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(el)


def word_groups(name: str, district: str) -> list[str]:
    """An agency's name as the lines it is printed on, each a group of words that must not be broken:
    "Phòng Giáo dục và Đào tạo quận Đống Đa" → ["Phòng Giáo dục và Đào tạo", "quận Đống Đa"]."""
    name = " ".join(name.split())
    place = " ".join(district.split())
    if place and name.lower().endswith(" " + place.lower()) and len(name) > len(place) + 1:
        return [name[:-len(place) - 1], name[-len(place):]]
    return [name]


def _lines(cell: Any, lines: Sequence[str], *, bold: bool = False, size: float = 12) -> None:
    """Lines in a cell, centred, one paragraph each: a group of words (see :func:`word_groups`) narrower
    than the column is never broken, and a break between groups falls where the name has its parts."""
    _cell(cell, "\n".join(lines), bold=bold, center=True, size=size)


def _header_block(doc: Any, campaign: Campaign) -> None:
    district = campaign.district or ""
    office = campaign.office or "Phòng Giáo dục và Đào tạo"
    parent = [f"UBND {district}".upper()] if district else ["UBND ……"]
    right = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    left, right_width = 7.4, TEXT_WIDTH_CM + HEADER_OUTDENT_CM - 7.4
    table = doc.add_table(rows=3, cols=2)
    _lines(table.cell(0, 0), parent, size=12)
    _lines(table.cell(1, 0), [g.upper() for g in word_groups(office, district)], bold=True, size=12)
    _lines(table.cell(0, 1), right[:1], bold=True, size=12)
    _lines(table.cell(1, 1), right[1:], bold=True, size=13)
    _cell(table.cell(2, 0), "Số:      /BC-……", center=True, size=13)
    place = place_name(district)
    _cell(table.cell(2, 1), f"{place}, ngày …… tháng …… năm {campaign.year}", center=True, size=13)
    # as wide as the page less 1 cm of the 3 cm left margin: both national lines of the heading (12–13 pt
    # bold, Nghị định 30) then fit on one line each
    _set_widths(table, (left, right_width), outdent_cm=HEADER_OUTDENT_CM)
    for p in table.cell(2, 1).paragraphs:
        for run in p.runs:
            run.italic = True


def _unit_texts(doc: Any, texts: Sequence[tuple[str, str]]) -> None:
    if not texts:
        _para(doc, "(Chưa có đơn vị nào viết mục này.)", italic=True)
        return
    for unit_name, text in texts:
        lines = [line for line in text.split("\n") if line.strip()] or [""]
        p = _para(doc)
        p.add_run(f"{unit_name}: ").bold = True
        p.add_run(lines[0])
        for line in lines[1:]:
            _para(doc, line)


def _amounts(doc: Any, heading: Heading, run: RunResult, sums: pd.DataFrame) -> None:
    form = run.form
    total = 0.0
    any_value = False
    for code in heading.amounts:
        if code not in form.by_code:
            continue
        value = sums.at[code, "amount"] if code in sums.index else float("nan")
        label = form.row(code).label.rstrip(" :")
        shown = f"{vn_number(value)} đồng" if not _blank(value) else "(chưa có đơn vị nào báo cáo)"
        _para(doc, f"- {label}: {shown}.")
        if not _blank(value):
            total += float(value)
            any_value = True
    if any_value:
        p = _para(doc)
        p.add_run(f"Tổng kinh phí toàn {run.campaign.district or 'huyện'}: ").bold = True
        p.add_run(f"{vn_number(total)} đồng.")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _form_table(doc: Any, run: RunResult, sums: pd.DataFrame) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    form = run.form
    _para(doc, form.title, bold=True, center=True)
    _para(doc, form.subtitle_for(run.campaign.year), bold=True, center=True)
    rows = []
    for row in form.rows:
        count = people = ""
        if row.code in sums.index:
            if "amount" in row.measures:
                count = vn_number(sums.at[row.code, "amount"])
            else:
                count = vn_number(sums.at[row.code, "count"]) if "count" in row.measures else ""
                people = vn_number(sums.at[row.code, "people"]) if "people" in row.measures else ""
        note = ""
        if "text" in row.measures:
            note = "\n".join(f"{u}: {t}" for u, t in _texts(run, row.code))
        rows.append((row.stt, row.label, row.unit, count, people, note))
    _table(doc, FORM_HEADERS, rows, centered=(0, 2), size=11)
    table = doc.tables[-1]
    for r, row in enumerate(form.rows, start=1):
        for c in (3, 4):
            for p in table.rows[r].cells[c].paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if row.stt or row.is_header:
            for p in table.rows[r].cells[1].paragraphs:
                for run_ in p.runs:
                    run_.bold = True


def _opening_note(doc: Any, entries: Sequence[ScheduleEntry], campaign: Campaign) -> None:
    """A note under the schedule where its entry for the opening ceremony disagrees with the plan."""
    for e in entries:
        differs = opening_differs(campaign, e.date, e.time, e.content)
        if differs:
            written, planned = differs
            _para(doc, f"Lưu ý: lịch của {e.unit_name} ghi \"{e.content}\" lúc {written}, còn kế hoạch ghi Lễ khai "
                       f"mạc lúc {planned}. Cần thống nhất một thời gian trước khi gửi báo cáo.", italic=True)


def _schedule_table(doc: Any, entries: Sequence[ScheduleEntry], campaign: Campaign) -> None:
    if not entries:
        _para(doc, "(Chưa có đơn vị nào gửi lịch hoạt động.)", italic=True)
        return
    _para(doc, "Lịch các hoạt động trong Tuần lễ (tổng hợp từ lịch của các đơn vị):", italic=True)
    rows = [(str(e.tt), e.time_text, e.date_text, e.unit_name,
             e.content + (f" (Địa điểm: {e.place})" if e.place else "")) for e in entries]
    _table(doc, SCHEDULE_HEADERS, rows, centered=(0, 1, 2), size=11)
    _opening_note(doc, entries, campaign)


def _status(doc: Any, result: ReportResult) -> None:
    run = result.run
    n = len(run.units)
    _para(doc, "TÌNH HÌNH NỘP BÁO CÁO CỦA CÁC ĐƠN VỊ", bold=True, style="Heading 1")
    _para(doc, f"Đã nộp và được tổng hợp: {len(result.reported)}/{n} đơn vị; đã nộp nhưng còn lỗi: "
               f"{len(result.rejected)}; chưa nộp: {len(result.missing)}.")
    groups = (("Các đơn vị đã báo cáo", result.reported), ("Các đơn vị đã nộp nhưng còn lỗi", result.rejected),
              ("Các đơn vị chưa báo cáo", result.missing))
    for title, members in groups:
        if members:
            p = _para(doc)
            p.add_run(f"{title} ({len(members)}): ").bold = True
            p.add_run(", ".join(u.name for u in members) + ".")
    rows = [(str(i), u.name, u.type, STATUS_TEXT[run.unit_status[u.code].status])
            for i, u in enumerate(run.units, start=1)]
    _table(doc, STATUS_HEADERS, rows, centered=(0,), size=11)


def _signature(doc: Any, campaign: Campaign) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    _para(doc)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.cell(0, 0), table.cell(0, 1)
    _cell(left, "Nơi nhận:", bold=True, size=12)
    for line in ("- Sở Giáo dục và Đào tạo (b/c);", f"- UBND {campaign.district or '……'} (b/c);", "- Lưu: VT."):
        left.add_paragraph().add_run(line).font.size = Pt(11)
    _cell(right, campaign.signer_title or "TRƯỞNG PHÒNG", bold=True, center=True, size=13)
    note = right.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sign = note.add_run("(Ký tên, đóng dấu)")
    sign.italic = True
    sign.font.size = Pt(BODY_SIZE)
    for line in ("", "", "", campaign.signer or ""):
        p = right.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if line:
            p.add_run(line).bold = True
    _set_widths(table, (7.0, TEXT_WIDTH_CM - 7.0))


def build_document(result: ReportResult, entries: Sequence[ScheduleEntry],
                   narrative: Mapping[str, Sequence[tuple[str, str]]], sums: pd.DataFrame,
                   spec: Narrative | None = None) -> DocxDocument:
    """The Word document of the district's report (not yet saved)."""
    from docx import Document

    spec = spec or load_narrative()
    run = result.run
    campaign = run.campaign
    doc = Document()
    _style(doc)
    doc.core_properties.title = f"{spec.title} {spec.subtitle_for(campaign.year)}"
    doc.core_properties.author = campaign.office or "consolidate"
    _header_block(doc, campaign)
    _para(doc)
    _para(doc, spec.title, bold=True, center=True, size=14)
    _para(doc, spec.subtitle_for(campaign.year), bold=True, center=True)
    if campaign.district:
        _para(doc, f"trên địa bàn {campaign.district}", italic=True, center=True)
    _para(doc, f"(Dự thảo tổng hợp từ báo cáo của {len(result.reported)}/{len(run.units)} đơn vị; "
               "các đoạn theo tên đơn vị là nguyên văn để biên tập.)", italic=True, center=True, size=11)
    for section in spec.sections:
        _para(doc, f"{section.code}. {section.label}", style="Heading 1")
        for h in spec.in_section(section.code):
            _para(doc, f"{h.number}. {h.label_for(campaign)}", style="Heading 2")
            if h.amounts:
                _amounts(doc, h, run, sums)
            if h.schedule:
                _schedule_table(doc, entries, campaign)
            if h.form_table:
                _form_table(doc, run, sums)
            _unit_texts(doc, narrative.get(h.code, []))
    _status(doc, result)
    _signature(doc, campaign)
    return doc


def build_report(run: RunResult, output: Path) -> ReportResult:
    """Write the district's Word report for a checked folder's result, atomically, to ``output``."""
    output = Path(output)
    states = {code: s.status for code, s in run.unit_status.items()}
    result = ReportResult(
        output, run,
        reported=[u for u in run.units if states.get(u.code) == "accepted"],
        rejected=[u for u in run.units if states.get(u.code) == "rejected"],
        missing=[u for u in run.units if states.get(u.code, "missing") == "missing"],
    )
    entries, narrative, issues = gather_parts(run)
    result.issues = issues
    result.activities = len(entries)
    result.schedule_units = len({e.unit_code or e.unit_name for e in entries})
    result.narrative_units = len({u for texts in narrative.values() for u, _ in texts})
    sums = district_totals(run)
    doc = build_document(result, entries, narrative, sums)
    outputs.atomic_write(output, lambda tmp: doc.save(str(tmp)))
    return result


def write_report(folder: Path, campaign: Campaign, form: Form, units: UnitList, output: Path) -> ReportResult:
    """Check a folder and write the district's Word report (.docx) to ``output``."""
    folder, output = Path(folder), Path(output)
    if output.suffix.lower() != ".docx":
        raise UsageError(f"Tệp báo cáo phải có đuôi .docx (đang là {output.name}).")
    if output.resolve().is_relative_to(folder.resolve()):
        raise UsageError(f"Hãy ghi tệp báo cáo ra ngoài thư mục báo cáo {folder} (ví dụ ở thư mục cha).")
    if output.is_dir():
        raise UsageError(f"{output} là một thư mục, không phải tệp .docx.")
    from consolidate.check import check_folder

    from consolidate.merge import nothing_to_merge

    run = check_folder(folder, campaign, form, units)
    nothing = nothing_to_merge(run, "dự thảo báo cáo")
    if nothing:
        raise RunError(nothing)  # a draft of 0/N units is pages of blanks that read like a finished report
    try:
        with outputs.folder_lock(output.parent):
            return build_report(run, output)
    except PermissionError:
        raise RunError(f"Không ghi được {output}: không có quyền ghi vào thư mục {output.parent} "
                       "hoặc tệp đang được mở (có thể trong Word). Hãy đóng tệp rồi chạy lại.") from None
