"""click speaks Vietnamese: every message it can show a user is translated (read from click's own source),
and the usage errors a clerk meets print exact Vietnamese lines; ``merge`` on an empty folder says so."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from consolidate import cli_vi
from consolidate.cli import main

from conftest import SAMPLES

CAMPAIGN = str(SAMPLES / "campaign.toml")


def click_messages() -> set[str]:
    """Every literal string click passes to ``_`` or ``ngettext`` in the modules cli_vi translates."""
    found: set[str] = set()
    for name in cli_vi.MODULES:
        source = Path(importlib.import_module(f"click.{name}").__file__).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def test_every_click_message_a_user_can_see_is_translated():
    messages = click_messages()
    assert "Did you mean {possibility}?" in messages and "Usage:" in messages  # the reading works
    untranslated = messages - set(cli_vi.VI) - set(cli_vi.VI_PLURAL) - cli_vi.DEVELOPER_ONLY
    assert untranslated == set()


def test_translations_keep_their_placeholders():
    for english, vietnamese in {**cli_vi.VI, **cli_vi.VI_PLURAL}.items():
        fields = set(re.findall(r"\{(\w+)", english)) | set(re.findall(r"%\((\w+)\)", english))
        # said without click's English words for the kind of path or number ("Thư Mục", "integer"), on purpose
        fields -= {"name"} if english.startswith("{name} {filename!r}") else set()
        fields -= {"number_type"}
        kept = set(re.findall(r"\{(\w+)", vietnamese)) | set(re.findall(r"%\((\w+)\)", vietnamese))
        assert kept == fields, english


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name="consolidate")


@pytest.mark.parametrize("args, last_line", [
    (["merg"], "Lỗi: Không có lệnh 'merg'. Có phải ý bạn là 'merge'?"),
    (["merge", str(SAMPLES / "da_nhan"), "--outpt", "x.xlsx"],
     "Lỗi: Không có tùy chọn '--outpt'. Có phải ý bạn là '--output'?"),
    (["merge", str(SAMPLES / "da_nhan"), "thua", "-o", "x.xlsx"], "Lỗi: Thừa tham số (thua)"),
    (["merge", str(SAMPLES / "da_nhan"), "-o"], "Lỗi: Tùy chọn '-o' cần một giá trị."),
    (["merge", str(SAMPLES / "da_nhan")], "Lỗi: Thiếu tùy chọn '-o' / '--output'."),
    (["check", str(SAMPLES / "da_nhan"), "--year", "hai"],
     "Lỗi: Giá trị không hợp lệ cho '--year': 'hai' không phải là số hợp lệ."),
])
def test_usage_errors_are_vietnamese_and_exit_2(args, last_line):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == last_line


@pytest.mark.parametrize("command", ["templates", "check", "merge", "report"])
def test_help_marks_are_vietnamese(command):
    text = invoke(command, "--help").stdout
    assert text.startswith("Cách dùng: consolidate " + command)
    for english in ("[required]", "Usage", "Options", "default:", "Show this"):
        assert english not in text
    if command in ("merge", "report"):
        assert "[bắt buộc]" in text


def test_merge_of_an_empty_folder_says_so_and_writes_nothing(tmp_path):
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    out = tmp_path / "tong_hop.xlsx"
    result = invoke("merge", str(folder), "--campaign", CAMPAIGN, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"Lỗi: Thư mục {folder} không có tệp nào; chưa ghi tệp tổng hợp. Hãy chép các tệp "
                             "đơn vị gửi về vào thư mục này rồi chạy lại.\n")
    assert not out.exists()


def test_merge_of_a_folder_without_a_report_names_what_it_holds(tmp_path):
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    (folder / "anh.jpg").write_bytes((SAMPLES / "da_nhan" / "Anh le khai mac.jpg").read_bytes())
    (folder / "trang_web.xls").write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    out = tmp_path / "tong_hop.xlsx"
    result = invoke("merge", str(folder), "--campaign", CAMPAIGN, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"Lỗi: Thư mục {folder} có 2 tệp nhưng không tệp nào là báo cáo đọc được (1 không phải "
                             f"báo cáo, 1 không đọc được); chưa ghi tệp tổng hợp. Chạy consolidate check {folder} "
                             "để xem từng tệp.\n")
    assert not out.exists()


def test_report_of_an_empty_folder_says_so_and_writes_nothing(tmp_path):
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    out = tmp_path / "bao_cao.docx"
    result = invoke("report", str(folder), "--campaign", CAMPAIGN, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"Lỗi: Thư mục {folder} không có tệp nào; chưa ghi dự thảo báo cáo. Hãy chép các "
                             "tệp đơn vị gửi về vào thư mục này rồi chạy lại.\n")
    assert not out.exists()


def test_check_of_an_empty_folder_says_it_is_empty(tmp_path):
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    result = invoke("check", str(folder), "--campaign", CAMPAIGN)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        f"Kiểm tra thư mục {folder}: 0 tệp",
        "Thư mục chưa có tệp nào: hãy chép các tệp đơn vị gửi về vào thư mục này rồi chạy lại.",
    ]
