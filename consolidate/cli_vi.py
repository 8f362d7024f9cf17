"""Vietnamese for click's own words (usage lines, option errors, help marks).

click translates its messages through ``gettext`` (``_`` and ``ngettext``) but ships no Vietnamese catalogue,
and a compiled .mo file for fifty strings would be more machinery than the strings themselves: this module
rebinds the ``_`` and ``ngettext`` that click's modules imported to lookups in the tables below. Every
message click can show a user is in them (``tests/test_cli_vi.py`` reads click's source to make sure);
what is left out is only what click raises at a programmer who declared an option wrongly.
"""

from __future__ import annotations

import importlib

VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",  # click 8.2+: the arguments section of --help
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Gõ '{command} {option}' để xem hướng dẫn.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing command.": "Thiếu tên lệnh.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Confirm the action without prompting.": "Xác nhận luôn, không hỏi lại.",
    "Do you want to continue?": "Tiếp tục?",
    "Aborted!": "Đã dừng.",
    "unknown error": "lỗi không rõ",
    "file": "Tệp",
    "directory": "Thư mục",
    "path": "Đường dẫn",
    # click title-cases {name} ("Thư Mục"), which is not how Vietnamese is written: say it without the name
    "{name} {filename!r} does not exist.": "không tìm thấy {filename!r}.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is not readable.": "không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "không ghi được vào {filename!r}.",
    "{name} {filename!r} is not executable.": "không chạy được {filename!r}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là số hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} không phải là có/không. Các giá trị nhận: {states}",
    "{value!r} is not a valid UUID.": "{value!r} không phải là mã UUID hợp lệ.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Choice({choices})": "Chọn({choices})",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "deprecated": "không còn dùng",
    "(dynamic)": "(tùy lúc)",
    "env var: {var}": "biến môi trường: {var}",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "Lưu ý: lệnh {name!r} không còn dùng.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "Lưu ý: {param_type} {name!r} không còn dùng.{extra_message}",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai lần nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
}

# ngettext(singular, plural, n): Vietnamese has one form, so both English forms map to one text each
VI_PLURAL = {
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa tham số ({args})",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "{value!r} is not {choice}.": "{value!r} không phải là {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không phải một trong {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng dạng nào trong {formats}.",
    "{len_type} values are required, but {len_value} was given.": "Cần {len_type} giá trị nhưng có {len_value}.",
    "{len_type} values are required, but {len_value} were given.": "Cần {len_type} giá trị nhưng có {len_value}.",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
}

# raised by click at the programmer who declares a command wrongly, never at a user of a finished command
DEVELOPER_ONLY = frozenset({
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Invalid start character for option ({option})",
    "Unknown color {colour!r}",
})

MODULES = ("core", "exceptions", "decorators", "types", "formatting", "parser", "termui")


def _vi(message: str) -> str:
    return VI.get(message, message)


def _vi_plural(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return VI_PLURAL.get(chosen, chosen)


def install() -> None:
    """Make click speak Vietnamese."""
    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _vi  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _vi_plural  # type: ignore[attr-defined]
