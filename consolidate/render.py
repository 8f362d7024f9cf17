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
