"""The district summary as the clerk prints it: the Đống Đa sample merged, printed to PDF by LibreOffice, and
read back with poppler's ``pdftotext -bbox`` (every word with its box, in points, on its page).

What is asserted from the PDF alone: the heading of an administrative document on page 1, text of at least
7 pt after the page's scaling on every page of every sheet, header rows repeated on every page of a table,
charts that neither overlap nor break across pages, and nothing past the right edge of a page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.libreoffice

DONG_DA = ROOT / "samples" / "dong-da-2024"
# the first words of each sheet's title, in sheet order (the form sheet first)
SHEET_TITLES = [
    ("Biểu tổng hợp", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("Theo đơn vị", "SỐ LIỆU THEO ĐƠN VỊ"),
    ("Tình hình nộp báo cáo", "TÌNH HÌNH NỘP BÁO CÁO —"),
    ("Lỗi và cảnh báo", "LỖI VÀ CẢNH BÁO —"),
    ("Biểu đồ", "TÌNH HÌNH NỘP VÀ KẾT QUẢ THEO LOẠI ĐƠN VỊ"),
    ("Lịch tuần lễ", "LỊCH “TUẦN LỄ"),
    ("Tổng hợp báo cáo", "TỔNG HỢP BÁO CÁO CỦA CÁC ĐƠN VỊ"),
]
# pdftotext's word box is the font's ascent + descent: about 1.15 × the size for Times New Roman
BOX_PER_POINT = 1.15
MIN_POINTS = 7.0


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def size(self) -> float:
        """The printed font size in points, from the height of the word's box."""
        return (self.y1 - self.y0) / BOX_PER_POINT


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def line(self, phrase: str) -> list[Word] | None:
        """The words of a phrase printed in a row, left to right, if the page has it."""
        wanted = phrase.split()
        for i, w in enumerate(self.words):
            if w.text != wanted[0]:
                continue
            run = self.words[i:i + len(wanted)]
            if [x.text for x in run] == wanted and all(abs(x.y0 - w.y0) < 2 for x in run):
                return run
        return None


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_pages(pdf: Path) -> list[Page]:
    """Every page of a PDF with its words and their boxes (poppler-utils' pdftotext -bbox)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    out = subprocess.run([exe, "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120).stdout
    pages = []
    for n, (width, height, body) in enumerate(_PAGE.findall(out.decode("utf-8")), start=1):
        words = [Word(html.unescape(t), float(a), float(b), float(c), float(d)) for a, b, c, d, t in _WORD.findall(body)]
        pages.append(Page(n, float(width), float(height), words))
    return pages


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> tuple[Path, list[Page], dict[str, list[Page]]]:
    """The Đống Đa sample's summary, merged and printed to PDF; its pages by sheet."""
    from conftest import convert
    from consolidate.campaign import prepare
    from consolidate.merge import merge_folder

    campaign, form, units, issues = prepare(str(DONG_DA / "campaign.toml"), None)
    assert not issues
    out = tmp_path_factory.mktemp("in_pdf") / "tong_hop_dong_da.xlsx"
    merge_folder(DONG_DA / "da_nhan", campaign, form, units, out)
    pdf = convert(out, "pdf", out.parent)
    pages = pdf_pages(pdf)
    starts = []
    for name, title in SHEET_TITLES:
        first = next((p.number for p in pages if p.number > (starts[-1][1] if starts else 0) and p.line(title)), None)
        assert first is not None, f"sheet {name!r} ({title!r}) not printed"
        starts.append((name, first))
    by_sheet = {}
    for k, (name, first) in enumerate(starts):
        stop = starts[k + 1][1] if k + 1 < len(starts) else len(pages) + 1
        by_sheet[name] = [p for p in pages if first <= p.number < stop]
    return pdf, pages, by_sheet


def test_page_one_carries_the_heading_of_an_administrative_document(printed):
    _, pages, _ = printed
    page = pages[0]
    middle = page.width / 2
    agency = page.line("UBND QUẬN ĐỐNG ĐA")
    office = page.line("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO QUẬN ĐỐNG ĐA")
    nation = page.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = page.line("Độc lập - Tự do - Hạnh phúc")
    title = page.line("BIỂU TỔNG HỢP")
    attached = page.line("(Kèm theo Báo cáo số")
    reporter = page.line("Đơn vị báo cáo: Phòng Giáo dục và Đào tạo quận Đống Đa")
    assert all((agency, office, nation, motto, title, attached, reporter))
    # agency top left, the national motto top right, on the same lines; the title under both, centred
    assert agency[-1].x1 < middle and office[-1].x1 < middle
    assert nation[0].x0 > middle - 40 and motto[0].x0 > middle - 40
    assert abs(agency[0].y0 - nation[0].y0) < 3 and abs(office[0].y0 - motto[0].y0) < 3
    assert agency[0].y0 < office[0].y0 < title[0].y0 < attached[0].y0 < reporter[0].y0
    centre = (title[0].x0 + title[-1].x1) / 2
    assert abs(centre - middle) < 0.1 * page.width
    # the signature block on the form's last page
    form_text = " ".join(p.text for p in printed[2]["Biểu tổng hợp"])
    assert "NGƯỜI LẬP BIỂU" in form_text and "(Ký tên, đóng dấu)" in form_text


def test_every_page_of_every_sheet_is_legible(printed):
    _, pages, by_sheet = printed
    assert set(by_sheet) == {name for name, _ in SHEET_TITLES}
    for name, sheet_pages in by_sheet.items():
        for page in sheet_pages:
            sizes = sorted(w.size for w in page.words if w.text.strip("―-.…"))
            assert sizes, (name, page.number)
            # the body text: all but the smallest twentieth (footers of 10 pt print smaller on a scaled page)
            body = sizes[len(sizes) // 20]
            assert body >= MIN_POINTS, f"{name}, page {page.number}: text of {body:.1f} pt"


def test_header_rows_repeat_on_every_page_of_a_table(printed):
    _, _, by_sheet = printed
    repeated = {"Biểu tổng hợp": "Các hoạt động", "Theo đơn vị": "Các hoạt động", "Tình hình nộp báo cáo": "Tình trạng",
                "Lỗi và cảnh báo": "Mã lỗi", "Lịch tuần lễ": "Nội dung"}
    for name, header in repeated.items():
        for page in by_sheet[name]:
            assert page.line(header), f"{name}, page {page.number}: no header row"
    assert len(by_sheet["Theo đơn vị"]) > 1  # 24 units do not fit one legible page: the header had to repeat
    # "Theo đơn vị": the label columns repeat too (some row label on every page), and the unit types start
    # pages of their own
    labels = ("Các lớp bồi dưỡng, tập huấn tổ chức trong Tuần lễ", "Xóa mù chữ", "Hoạt động văn nghệ", "Kinh phí",
              "Cá nhân", "Ngân sách nhà nước", "Các nội dung khác (nếu có)", "Ghi chú của các đơn vị", "Đơn vị")
    for page in by_sheet["Theo đơn vị"]:
        assert any(page.line(label) for label in labels), f"Theo đơn vị, page {page.number}: no row labels"
    type_pages = [p for p in by_sheet["Theo đơn vị"] if p.line("Cộng Phường") or p.line("Cộng Mầm non")]
    assert len({p.number for p in type_pages}) >= 2


def test_headers_are_printed_whole_and_nothing_runs_past_the_right_edge(printed):
    _, pages, by_sheet = printed
    for page in pages:
        for w in page.words:
            assert w.x1 <= page.width - 5, f"page {page.number}: {w.text!r} at the edge ({w.x1:.0f} of {page.width:.0f})"
    status = by_sheet["Tình hình nộp báo cáo"][0]
    for header in ("Thời điểm gửi (lưu tệp)", "Số cảnh báo", "Email", "Ghi chú"):
        assert header.split()[-1] in status.text, header
    assert "(lưu tệp)" in status.text.replace("( lưu", "(lưu")
    issues = by_sheet["Lỗi và cảnh báo"][0]
    assert issues.line("Mã lỗi") and issues.line("Nội dung")
    # the units that sent only a schedule or a narrative are said to be used for it, as the terminal says
    text = " ".join(p.text for p in by_sheet["Tình hình nộp báo cáo"])
    assert "CÁC TỆP CHỈ CÓ LỊCH HOẠT ĐỘNG HOẶC PHẦN BÁO CÁO" in text and "dùng cho lịch tuần lễ" in text


def test_charts_neither_overlap_nor_break_across_pages(printed):
    _, _, by_sheet = printed
    titles = ["Tình hình nộp báo cáo theo loại đơn vị", "Số người tham gia các lớp bồi dưỡng theo loại đơn vị",
              "Số lớp bồi dưỡng theo loại đơn vị"]
    placed = []
    for title in titles:
        hits = [(p, p.line(title)) for p in by_sheet["Biểu đồ"] if p.line(title)]
        assert len(hits) == 1, title  # printed once, whole
        placed.append((hits[0][0], hits[0][1][0].y0))
    for k, (page, top) in enumerate(placed):
        # the next chart on the same page starts below this one's category axis: no overlap; and the
        # categories are on this chart's own page: it is not cut by a page break
        nxt = next((t for p, t in placed[k + 1:] if p is page), page.height)
        categories = [w for w in page.words if top < w.y0 < nxt and w.text in ("Phường", "THCS", "Khác")]
        assert len(categories) == 3, f"{titles[k]}: its categories are not under it"
        assert nxt - top > 150  # a chart is about 220 pt high on the page
