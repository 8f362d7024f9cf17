"""Regenerate the schedule and narrative fixtures (xlsxwriter, as another tool than the templates' openpyxl):
``python tests/files/schedule/make_fixtures.py``. LibreOffice copies (.ods, .xls) are made by the tests."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent


def seed_rows() -> list[list[str]]:
    """The seed-000 "LỊCH" table as the seed prints it (header first), blank lines kept."""
    return [line.split("\t") for line in (HERE / "seed000_lich.tsv").read_text(encoding="utf-8").split("\n")]


def retyped_schedule(path: Path) -> None:
    """The seed's schedule retyped in its own layout: title, header TT | Giờ | Ngày | Đơn vị | Nội dung, rows
    with the seed's own writing of times and dates (text) and its slips (item 5 twice)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("LICH")
    bold = wb.add_format({"bold": True, "font_name": "Times New Roman"})
    ws.write_string(0, 0, "LỊCH “TUẦN LỄ HƯỞNG ỨNG HỌC TẬP SUỐT ĐỜI” NĂM 2024", bold)
    ws.write_string(1, 0, "(Từ ngày 1/10 đến ngày 07/10 năm 2024)")
    ws.write_string(2, 0, "(Kèm theo Kế hoạch số: /KH-UBND ngày của UBND Quận Đống Đa)")
    rows = seed_rows()
    r = 4
    for c, text in enumerate(rows[0]):
        ws.write_string(r, c, text, bold)
    for cells in rows[1:]:
        r += 1
        if cells == [""]:
            continue  # the seed's blank line stays a blank row
        ws.write_number(r, 0, int(cells[0]))
        for c, text in enumerate(cells[1:], start=1):
            ws.write_string(r, c, text)
    wb.close()


NARRATIVE_LINES: list[tuple[str, ...]] = [
    ("Phụ lục 1",),
    ("BÁO CÁO",),
    ("Tổng kết Tuần lễ học tập suốt đời năm 2021",),
    ("Đơn vị báo cáo: UBND xã Mường Giàng",),
    ("",),
    ("I. TỔ CHỨC TRIỂN KHAI TUẦN LỄ",),
    ("1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện: "
     "UBND xã ban hành Kế hoạch số 45/KH-UBND ngày 24/9/2021.",),
    ("- Giao Trung tâm HTCĐ xã phối hợp các trường triển khai.",),
    ("2. Lễ phát động Tuần lễ cấp huyện/xã.",),
    ("Lồng ghép lễ phát động vào buổi chào cờ ngày 01/10/2021, 120 người dự.",),
    ("3. Nội dung các hoạt động đã triển khai trong Tuần lễ",),
    ("Tổ chức 2 lớp tập huấn kỹ năng sống; trưng bày sách tại nhà văn hóa bản.",),
    ("4. Kinh phí tổ chức Tuần lễ",),
    (" - Ngân sách nhà nước: 3.000.000 đồng",),
    ("II. ĐÁNH GIÁ CHUNG",),
    ("1. Những kết quả đã đạt được; bài học kinh nghiệm",),
    ("Nhân dân hưởng ứng tích cực.",),
    ("2. Khó khăn, tồn tại",),
    ("",),
    ("3. Kiến nghị, đề xuất",),
    ("Đề nghị huyện hỗ trợ thêm tài liệu.", "(ưu tiên sách cho thiếu nhi)"),
    ("4. Bảng tổng hợp số liệu các hoạt động tổ chức Tuần lễ (thống kê theo Mẫu tổng hợp).",),
    ("",),
    ("Phụ lục 2",),
    ("BIỂU TỔNG HỢP",),
    ("STT", "Các hoạt động", "Đơn vị", "Số lượng", "", "Ghi chú"),
]


def retyped_narrative(path: Path) -> None:
    """A Phụ lục 1 report pasted from Word into one column, text after the heading in the same cell or below,
    the form following it on the same sheet."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    for r, cells in enumerate(NARRATIVE_LINES):
        for c, text in enumerate(cells):
            if text:
                ws.write_string(r, c, text)
    wb.close()


if __name__ == "__main__":
    retyped_schedule(HERE / "lich_seed000_retyped.xlsx")
    retyped_narrative(HERE.parent / "narrative" / "baocao_retyped.xlsx")
