"""Vietnamese terminal text for each command. Returns strings; ``cli.py`` prints them.

Shared by every command: each adds its own ``render_<command>`` function below.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Display width of a text in a terminal (combining marks take no column)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in unicodedata.normalize("NFC", text))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(r)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def render_templates(result) -> str:  # noqa: ANN001  (templates.TemplatesResult; imported lazily)
    """Summary of ``consolidate templates``: how many forms, where, and what to do next."""
    lines = [f"Đã tạo {len(result.files)} biểu mẫu trong thư mục {result.out_dir}"]
    if result.master is not None:
        lines.append(f"Biểu mẫu trắng dùng chung: {result.master.name}")
    lines.append(f"Danh sách gửi thư (email, tệp đính kèm, tiêu đề, nội dung): {result.mailing_list}")
    no_email = [u for u in result.units if not u.email]
    if no_email:
        names = ", ".join(f"{u.code} ({u.name})" for u in no_email)
        lines.append(f"Chưa có email của {len(no_email)} đơn vị: {names}; cần gửi biểu cho các đơn vị này bằng cách khác.")
    lines.append("Bước tiếp theo: gửi mỗi đơn vị tệp của mình (có thể trộn thư từ danh sách trên); "
                 "khi nhận đủ, chép các tệp gửi về vào một thư mục và chạy: consolidate check THƯ_MỤC")
    return "\n".join(lines)

def _vn_number(value: float) -> str:
    """A whole number written the Vietnamese way (1.200.000)."""
    return f"{int(value):,}".replace(",", ".")


def render_merge(result) -> str:  # noqa: ANN001  (merge.MergeResult; imported lazily)
    """Summary of ``consolidate merge``: units merged, missing, with errors, key totals, the output path."""
    import math

    run = result.run
    names = {u.code: u.name for u in run.units}
    merged, total = len(result.merged_units), len(run.units)
    lines = [f"Đã tổng hợp {merged}/{total} đơn vị vào tệp {result.output}"]
    if result.included_invalid:
        bad = result.units_in("rejected")
        lines.append(f"LƯU Ý (--include-invalid): đã cộng cả số liệu chưa kiểm tra của {len(bad)} đơn vị có lỗi"
                     + (": " + ", ".join(names[c] for c in bad) if bad else "")
                     + "; biểu tổng hợp có ghi rõ điều này.")
    sums = result.totals
    picks = [("1", "count", "lớp bồi dưỡng"), ("1.0", "people", "người tham gia"),
             ("10.1", "amount", "đồng ngân sách"), ("10.2", "amount", "đồng huy động khác")]
    shown = []
    for code, measure, what in picks:
        if code in sums.index and measure in sums.columns:
            value = sums.at[code, measure]
            if not (isinstance(value, float) and math.isnan(value)):
                shown.append(f"{_vn_number(value)} {what}")
    if shown:
        lines.append("Toàn huyện: " + "; ".join(shown) + ".")
    missing = result.units_in("missing")
    if missing:
        lines.append(f"Chưa nộp ({len(missing)}): " + ", ".join(f"{names[c]} ({c})" for c in missing))
    rejected = result.units_in("rejected")
    if rejected:
        by_file = {f.file: f for f in run.files}
        parts = []
        for code in rejected:
            report = by_file.get(run.unit_status[code].file)
            parts.append(f"{names[code]} ({code}, {report.errors if report else 0} lỗi)")
        left_out = "đã cộng vào tổng" if result.included_invalid else "chưa được cộng"
        lines.append(f"Có lỗi, {left_out} ({len(rejected)}): " + ", ".join(parts))
    current = {s.file for s in run.unit_status.values() if s.file}
    others = [f for f in run.files if f.file not in current]
    if others:
        lines.append(f"{len(others)} tệp khác trong thư mục không được dùng (bản cũ, không rõ đơn vị, "
                     "không phải báo cáo, không đọc được).")
    for issue in result.issues:
        lines.append(f"Cảnh báo: {issue.message}")
    lines.append("Xem chi tiết ở các trang \"Tình hình nộp báo cáo\" và \"Lỗi và cảnh báo\" của tệp tổng hợp.")
    if missing or rejected:
        lines.append("Bước tiếp theo: liên hệ các đơn vị chưa nộp hoặc có lỗi (chạy consolidate check THƯ_MỤC "
                     "--feedback THƯ_MỤC_PHẢN_HỒI để gửi các ô cần sửa), rồi chạy lại consolidate merge.")
    return "\n".join(lines)
