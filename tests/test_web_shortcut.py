"""``consolidate web --campaign … --shortcut``: a double-click shortcut that opens the page of that campaign. On
Linux the test runs the ``.desktop`` entry's Exec line, read as the Desktop Entry Specification reads it; the
Windows ``.cmd`` is checked as text (no Windows here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from consolidate.campaign import load_campaign
from consolidate.web.shortcut import windows_command, write_shortcut

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "quynh-nhai-2021"


def string_value(value: str) -> str:
    """A desktop entry's value of type string: its escapes (``\\\\`` ``\\s`` ``\\n`` …) read."""
    text, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            text.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(value[i + 1], "\\" + value[i + 1]))
            i += 2
            continue
        text.append(ch)
        i += 1
    return "".join(text)


def exec_argv(value: str) -> list[str]:
    """The Exec value of a desktop entry as a launcher reads it: the string escapes, then the quoting (inside
    "…", a backslash escapes " ` $ \\), then ``%%`` as a percent sign."""
    line = string_value(value)
    argv, arg, quoted, i = [], None, False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == "\\" and i + 1 < len(line) and line[i + 1] in '"`$\\':
                arg += line[i + 1]
                i += 2
                continue
            if ch == '"':
                quoted = False
            else:
                arg += ch
        elif ch == '"':
            quoted, arg = True, arg or ""
        elif ch == " ":
            if arg is not None:
                argv.append(arg)
            arg = None
        else:
            arg = (arg or "") + ch
        i += 1
    assert not quoted, value
    if arg is not None:
        argv.append(arg)
    return [a.replace("%%", "%") for a in argv]


def entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def _campaign(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / "campaign.toml", folder / "campaign.toml")
    shutil.copy(SAMPLE / "units.csv", folder / "units.csv")
    return folder / "campaign.toml"


def test_the_linux_shortcut_opens_the_page_of_this_campaign(tmp_path):
    home = tmp_path / "home"
    (home / "Desktop").mkdir(parents=True)
    # a folder name with what a shortcut must quote: Vietnamese, a space, $, %, a quote
    campaign = _campaign(tmp_path / 'Báo cáo 100% "$HOME" 2021')
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1")
    made = subprocess.run([sys.executable, "-m", "consolidate", "web", "--campaign", str(campaign), "--shortcut"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    [shortcut] = (home / "Desktop").iterdir()
    assert shortcut.suffix == ".desktop" and os.access(shortcut, os.X_OK)
    assert made.stdout.splitlines()[0] == f"Đã tạo lối tắt mở trang làm việc của đợt này: {shortcut}"
    keys = entry(shortcut)
    assert keys["Type"] == "Application" and keys["Terminal"] == "true"
    assert keys["Name"] == "Trang làm việc — Tuần lễ hưởng ứng học tập suốt đời năm 2021 (huyện Quỳnh Nhai)"
    argv = exec_argv(keys["Exec"])
    assert argv == [sys.executable, "-m", "consolidate", "web", "--campaign", str(campaign.resolve())]

    # double-click: the launcher runs Exec in the entry's Path; the page opens in "the browser"
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > "{opened}"\n')
    browser.chmod(0o755)
    proc = subprocess.Popen(argv, cwd=string_value(keys["Path"]), env={**env, "BROWSER": str(browser)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first).group(0)
        with urllib.request.urlopen(url, timeout=60) as answer:  # closed here, not whenever it is collected
            page = answer.read().decode("utf-8")
        assert "Tình hình nộp báo cáo" in page and "Tuần lễ hưởng ứng học tập suốt đời năm 2021" in page
        for _ in range(100):
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.1)
        assert opened.read_text() == url
        assert (campaign.parent / "da_nhan").is_dir()  # the campaign's own returns folder
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_without_a_desktop_the_shortcut_goes_beside_the_campaign(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DESKTOP_DIR", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no xdg-user-dir either
    campaign = _campaign(tmp_path / "dot")
    path = write_shortcut(campaign, load_campaign(campaign), system="linux")
    assert path.parent == campaign.parent.resolve() and path.suffix == ".desktop"


def test_the_windows_shortcut_is_a_command_file_that_keeps_its_window(tmp_path):
    campaign = _campaign(tmp_path / "Báo cáo 100%")
    path = write_shortcut(campaign, load_campaign(campaign), units_file=campaign.parent / "units.csv",
                          target_dir=tmp_path, system="win32")
    assert path.name == "Trang_lam_viec_huyen_Quynh_Nhai_2021.cmd"
    data = path.read_bytes()
    lines = data.decode("utf-8").split("\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only, as cmd.exe expects
    assert lines[:3] == ["@echo off", "chcp 65001 >nul",
                         "title Trang lam viec - Tuan le huong ung hoc tap suot doi nam 2021 huyen Quynh Nhai"]
    folder = str(campaign.parent.resolve()).replace("%", "%%")
    assert lines[3] == f'cd /d "{folder}"'
    assert lines[4] == (f'"{sys.executable}" "-m" "consolidate" "web" "--campaign" "{folder}{os.sep}campaign.toml" '
                        f'"--units" "{folder}{os.sep}units.csv"')
    assert lines[5:] == ["pause", ""]
    assert windows_command("x", ["a b"], Path("c")).endswith('"a b"\r\npause\r\n')
