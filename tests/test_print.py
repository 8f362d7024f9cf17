"""What the clerk prints and signs, printed: a feedback copy, a unit's template and the Word report go through
LibreOffice to PDF, and poppler's ``pdftotext -bbox`` gives every printed word with its box. From those:
the heading lines on page 1, whole; every word legible (≥ 7 pt after fit-to-page scaling); a table's header
on every page the table runs over; no word past the right edge of its page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FILES, ROOT, convert

pytestmark = pytest.mark.libreoffice

MIN_PT = 7.0
# a printed word's box is taller than its font size by the font's ascent and descent: 1.30 for Liberation
# Serif (Times New Roman), 1.22 for Carlito (Calibri); the larger gives the smaller (stricter) size
BOX_PER_PT = 1.30
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def points(self) -> float:
        return (self.y1 - self.y0) / BOX_PER_PT


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]

    def lines(self) -> list[str]:
        """The page's text, one string per printed line (words on the same baseline, left to right)."""
        rows: list[list[Word]] = []
        for w in sorted(self.words, key=lambda w: (round(w.y1), w.x0)):
            if rows and abs(rows[-1][0].y1 - w.y1) < 2:
                rows[-1].append(w)
            else:
                rows.append([w])
        return [" ".join(w.text for w in sorted(r, key=lambda w: w.x0)) for r in rows]

    def has_line(self, *texts: str) -> bool:
        """One printed line holds all of ``texts`` (each whole, in order)."""
        for line in self.lines():
            at = 0
            for t in texts:
                at = line.find(t, at)
                if at < 0:
                    break
                at += len(t)
            else:
                return True
        return False


def pdf_pages(pdf: Path) -> list[Page]:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for n, m in enumerate(PAGE.finditer(out), start=1):
        words = [Word(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in
                 WORD.findall(m.group(3))]
        pages.append(Page(n, float(m.group(1)), float(m.group(2)), words))
    assert pages, f"no page in {pdf}"
    return pages


def assert_printable(pages: list[Page]) -> None:
    """Legible everywhere and nothing past the edges of its page."""
    small = [(p.number, w.text, round(w.points, 1)) for p in pages for w in p.words if w.points < MIN_PT]
    assert small == []
    cut = [(p.number, w.text, round(w.x1)) for p in pages for w in p.words
           if w.x1 > p.width - 1 or w.x0 < 1 or w.y1 > p.height - 1]
    assert cut == []


def pages_between(pages: list[Page], first: tuple[str, ...], last: tuple[str, ...]) -> list[Page]:
    """The pages from the one with the line ``first`` to the one with the line ``last``."""
    start = next(p.number for p in pages if p.has_line(*first))
    end = next(p.number for p in pages if p.number >= start and p.has_line(*last))
    return pages[start - 1:end]


def assert_header_repeated(pages: list[Page], header: tuple[str, ...], last_row: tuple[str, ...]) -> list[int]:
    """A table's header line on every page from its first page to the page of its last row."""
    span = pages_between(pages, header, last_row)
    assert [p.number for p in span if not p.has_line(*header)] == []
    return [p.number for p in span]


# ---------------------------------------------------------------------------------------------- the Word report

@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> list[Page]:
    from consolidate.campaign import prepare
    from consolidate.report import write_report

    sample = ROOT / "samples" / "dong-da-2024"
    campaign, form, units, _ = prepare(sample / "campaign.toml", None)
    base = tmp_path_factory.mktemp("print_report")
    result = write_report(sample / "da_nhan", campaign, form, units, base / "bao_cao.docx")
    return pdf_pages(convert(result.output, "pdf", base))


def test_report_page_one_holds_the_heading_lines_whole(report_pdf):
    first = report_pdf[0]
    for line in (("UBND", "QUẬN", "ĐỐNG", "ĐA"), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",),
                 ("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",), ("QUẬN ĐỐNG ĐA",), ("Độc lập - Tự do - Hạnh phúc",),
                 ("BÁO CÁO",), ("Tổng kết Tuần lễ học tập suốt đời năm 2024",)):
        assert first.has_line(*line), (line, first.lines()[:8])
    # the national motto's two words on the top line are never split over two lines
    assert not any(line.strip() in ("NAM", "M", "O") for line in first.lines()[:6])


def test_report_is_legible_and_within_its_pages(report_pdf):
    assert_printable(report_pdf)


def test_report_pages_are_numbered_from_page_two(report_pdf):
    assert not any(w.text == "1" and w.y1 < 60 for w in report_pdf[0].words)
    for page in report_pdf[1:]:
        top = [w.text for w in page.words if w.y1 < 60]
        assert top == [str(page.number)]


def test_report_tables_repeat_their_header_on_every_page(report_pdf):
    assert_header_repeated(report_pdf, ("TT", "Giờ", "Ngày", "Đơn vị", "Nội dung"), ("Sáng tạo từ đôi bàn tay",))
    spans = assert_header_repeated(report_pdf, ("STT", "Đơn vị", "Loại", "Tình trạng"),
                                   ("31", "TT VH TT & TT quận Đống Đa", "Khác"))
    assert len(spans) >= 2  # the status of 31 units runs over a page: the test sees a repeat


def test_report_signature_block(report_pdf):
    last = report_pdf[-1]
    assert last.has_line("TRƯỞNG PHÒNG") and last.has_line("(Ký tên, đóng dấu)")


# ---------------------------------------------------------------------------------------------- a feedback copy

@pytest.fixture(scope="module")
def feedback_pdf(tmp_path_factory, campaign, form, units) -> dict[str, list[Page]]:
    from consolidate.check import check_folder
    from consolidate.feedback import write_feedback

    base = tmp_path_factory.mktemp("print_feedback")
    result = write_feedback(check_folder(FILES / "check" / "faulty", campaign, form, units), base / "phan_hoi")
    by_unit = {f.report.unit: f.path for f in result.files}
    return {code: pdf_pages(convert(by_unit[code], "pdf", base / code)) for code in ("X02", "X06", "MN01")}


def test_feedback_copy_opens_on_its_problem_sheet_heading(feedback_pdf):
    assert feedback_pdf["X02"][0].has_line("CÁC LỖI CẦN SỬA")
    assert feedback_pdf["X02"][0].has_line("STT", "Mức độ", "Trang", "Ô", "Nội dung")
    assert feedback_pdf["MN01"][0].has_line("CÁC ĐIỂM CẦN XEM LẠI")
    assert not any("CẦN SỬA" in line for p in feedback_pdf["MN01"] for line in p.lines())
    # the .ods return, rebuilt from the template, prints its problem sheet then the form
    x06 = feedback_pdf["X06"]
    assert x06[0].has_line("CÁC LỖI CẦN SỬA") and any(p.has_line("BIỂU TỔNG HỢP") for p in x06)


def test_feedback_copies_are_legible_and_within_their_pages(feedback_pdf):
    for pages in feedback_pdf.values():
        assert_printable(pages)


def test_feedback_form_repeats_its_header(feedback_pdf):
    pages = assert_header_repeated(feedback_pdf["X06"], ("STT", "Các hoạt động"), ("Các nội dung khác",))
    assert len(pages) >= 2


# ---------------------------------------------------------------------------------------------- a template

@pytest.fixture(scope="module")
def template_pdf(tmp_path_factory) -> list[Page]:
    from consolidate import narrative, schedule
    from consolidate.campaign import prepare
    from consolidate.templates import make_templates

    campaign, form, units, _ = prepare(ROOT / "samples" / "dong-da-2024" / "campaign.toml", None)
    base = tmp_path_factory.mktemp("print_template")
    made = make_templates(campaign, form, [units.get("P01")], base / "bieu_mau",
                          extra_sheets=[narrative.template_writer, schedule.template_writer])
    return pdf_pages(convert(made.files[0], "pdf", base))


def test_template_page_one_is_the_form_heading(template_pdf):
    first = template_pdf[0]
    assert first.has_line("BIỂU TỔNG HỢP")
    assert first.has_line("Đơn vị báo cáo: UBND phường Cát Linh")
    assert first.has_line("STT", "Các hoạt động", "Đơn vị")


def test_template_is_legible_and_within_its_pages(template_pdf):
    assert_printable(template_pdf)


def test_template_sheets_repeat_their_headers(template_pdf):
    assert len(assert_header_repeated(template_pdf, ("STT", "Các hoạt động"), ("Các nội dung khác",))) >= 2
    assert len(assert_header_repeated(template_pdf, ("TT", "Giờ", "Ngày", "Nội dung"), ("25",))) >= 2


def test_template_instructions_and_the_opening_heading_print_whole(template_pdf):
    guide = [p for p in template_pdf if p.has_line("HƯỚNG DẪN ĐIỀN BIỂU TỔNG HỢP")]
    assert len(guide) == 1
    assert guide[0].has_line("Hạn nộp: 07/10/2024;")
    assert any(p.has_line("2. Lễ phát động Tuần lễ cấp quận/phường.") for p in template_pdf)
    assert any(p.has_line("Tập thể/cá") for p in template_pdf)  # the unit cell of 4.1, both lines shown
    assert any(p.has_line("nhân") for p in template_pdf)
