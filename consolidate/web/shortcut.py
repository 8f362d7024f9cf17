"""A double-click shortcut that opens the page of one campaign: ``consolidate web --campaign … --shortcut``.

Windows gets a ``.cmd`` file (a ``.lnk`` needs COM or a third-party package; a command file is plain text the
clerk can read, and it keeps its window open so that the page's address and any error stay visible). Linux
gets a ``.desktop`` entry (freedesktop.org Desktop Entry Specification) that runs in a terminal. Both run the
Python that created them (``sys.executable -m consolidate``), so the shortcut starts the installed copy even
when ``consolidate`` is not on the PATH of a double-click.

The shortcut goes to the desktop when there is one, else beside the campaign file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from consolidate import outputs
from consolidate.text import ascii_slug

if TYPE_CHECKING:
    from consolidate.campaign import Campaign


def desktop_folder(system: str | None = None) -> Path | None:
    """The user's desktop folder, if it exists (Windows: also the one OneDrive moves it to)."""
    system = system or sys.platform
    home = Path.home()
    candidates: list[Path] = []
    if system.startswith("win"):
        profile = Path(os.environ.get("USERPROFILE") or home)
        candidates += [profile / "Desktop", profile / "OneDrive" / "Desktop"]
    else:
        tool = shutil.which("xdg-user-dir")
        if tool:
            try:
                found = subprocess.run([tool, "DESKTOP"], capture_output=True, text=True, timeout=5).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                found = ""
            if found and Path(found) != home:  # xdg-user-dir answers $HOME when no desktop is set up
                candidates.append(Path(found))
        candidates += [home / "Desktop", home / "Màn hình nền"]
    return next((c for c in candidates if c.is_dir()), None)


def _command(campaign_file: Path, units_file: Path | None, folder: Path | None, out_dir: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "consolidate", "web", "--campaign", str(campaign_file.resolve())]
    if units_file is not None:
        argv += ["--units", str(units_file.resolve())]
    if out_dir is not None:
        argv += ["-o", str(out_dir.resolve())]
    if folder is not None:
        argv.append(str(folder.resolve()))
    return argv


def _desktop_quote(arg: str) -> str:
    """An argument of a desktop entry's Exec key: quoted, with the characters the specification reserves
    escaped; a percent sign doubled (field codes)."""
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg).replace("%", "%%")
    return f'"{escaped}"'


def _desktop_string(value: str) -> str:
    """A value of type string in a desktop entry: backslashes (and the whitespace escapes) written as the
    specification's escape sequences, applied after the quoting of Exec."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _cmd_quote(arg: str) -> str:
    """An argument of a Windows command file: quoted, percent signs doubled (batch variables)."""
    return '"' + arg.replace("%", "%%") + '"'


def desktop_entry(title: str, argv: list[str], workdir: Path) -> str:
    """The text of a Linux ``.desktop`` file that runs ``argv`` in a terminal."""
    name = " ".join(f"Trang làm việc — {title}".split())
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        f"Name={_desktop_string(name)}",
        "Comment=Mở trang làm việc của đợt báo cáo trên trình duyệt (consolidate web)",
        "Exec=" + _desktop_string(" ".join(_desktop_quote(a) for a in argv)),
        f"Path={_desktop_string(str(workdir))}",
        "Terminal=true",
        "Categories=Office;Education;",
        "",
    ])


def windows_command(title: str, argv: list[str], workdir: Path) -> str:
    """The text of a Windows ``.cmd`` file that runs ``argv`` and keeps its window open (CRLF, UTF-8)."""
    ascii_title = ascii_slug(title, 60).replace("_", " ") or "consolidate"
    return "\r\n".join([
        "@echo off",
        "chcp 65001 >nul",  # the lines below are UTF-8: Vietnamese folder names
        f"title Trang lam viec - {ascii_title}",
        f"cd /d {_cmd_quote(str(workdir))}",
        " ".join(_cmd_quote(a) for a in argv),
        "pause",
        "",
    ])


def write_shortcut(campaign_file: Path, campaign: Campaign, units_file: Path | None = None,
                   folder: Path | None = None, out_dir: Path | None = None, target_dir: Path | None = None,
                   system: str | None = None) -> Path:
    """Write the shortcut for this campaign (to ``target_dir``, else the desktop, else beside the campaign file)."""
    system = system or sys.platform
    title = campaign.title + (f" ({campaign.district})" if campaign.district else "")
    slug = outputs.safe_name(f"{campaign.district or 'don_vi'}_{campaign.year}")
    argv = _command(campaign_file, units_file, folder, out_dir)
    workdir = campaign_file.resolve().parent
    where = target_dir or desktop_folder(system) or workdir
    if system.startswith("win"):
        path = outputs.inside(where, outputs.safe_name(f"Trang lam viec {slug}", ".cmd"))
        outputs.atomic_write_text(path, windows_command(title, argv, workdir))
    else:
        path = outputs.inside(where, outputs.safe_name(f"trang_lam_viec_{slug}", ".desktop"))
        outputs.atomic_write_text(path, desktop_entry(title, argv, workdir))
        path.chmod(0o755)  # desktops run only executable entries
    return path
