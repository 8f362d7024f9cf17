"""Vietnamese for click's own words (usage lines, option errors).

click translates its messages through ``gettext`` but ships no Vietnamese catalogue, and a compiled .mo
file for twenty strings would be more machinery than the strings themselves: this module rebinds the
``_`` that click's modules imported to a lookup in the table below, leaving unknown strings as they are.
"""

from __future__ import annotations

import importlib

VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Gõ '{command} {option}' để xem hướng dẫn.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing command.": "Thiếu tên lệnh.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "Aborted!": "Đã dừng.",
    "file": "Tệp",
    "directory": "Thư mục",
    "path": "Đường dẫn",
    # click title-cases {name} ("Thư Mục"), which is not how Vietnamese is written: say it without the name
    "{name} {filename!r} does not exist.": "không tìm thấy {filename!r}.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is not readable.": "không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "không ghi được vào {filename!r}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là số hợp lệ.",
    "default: {default}": "mặc định: {default}",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
}


def _vi(message: str) -> str:
    return VI.get(message, message)


def install() -> None:
    """Make click speak Vietnamese."""
    for name in ("core", "exceptions", "decorators", "types", "formatting", "parser", "termui"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _vi  # type: ignore[attr-defined]
