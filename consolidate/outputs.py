"""Writing outputs safely: Windows-safe ASCII file names, atomic replace, one run per output folder.

Written by hand because what is needed is small and specific: names must be safe on Windows whatever the
unit is called, a crash or Ctrl-C must never leave a half-written file or destroy the previous one, and two
runs must not write the same folder at once.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from consolidate.issues import RunError
from consolidate.text import ascii_slug

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(stem: str, suffix: str = "", max_len: int = 80) -> str:
    """A file name that is ASCII, Windows-safe (no reserved names, no ``<>:"/\\|?*``, no trailing dot or
    space, no ``..``) and non-empty."""
    slug = ascii_slug(stem, max_len) or "tep"
    if slug.split(".")[0].upper() in _RESERVED:
        slug = "_" + slug
    slug = slug.strip(" .") or "tep"
    return slug + suffix


def unit_file_name(code: str, name: str, suffix: str = ".xlsx") -> str:
    """File name for a unit: its code and an ASCII form of its name."""
    return safe_name(f"{code}_{name}", suffix)


def unique_names(names: list[str]) -> list[str]:
    """Make file names distinct (case-insensitively, as on Windows) by adding _2, _3 …"""
    seen: set[str] = set()
    out = []
    for n in names:
        stem, dot, ext = n.rpartition(".")
        if not dot:
            stem, ext = n, ""
        candidate, k = n, 1
        while candidate.lower() in seen:
            k += 1
            candidate = f"{stem}_{k}" + (f".{ext}" if dot else "")
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def inside(folder: Path, name: str) -> Path:
    """The path of ``name`` in ``folder``, refusing anything that resolves outside it."""
    folder = folder.resolve()
    target = (folder / name).resolve()
    if target.parent != folder:
        raise RunError(f"Tên tệp không an toàn: {name!r}.")
    return target


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in the same folder, then move it over ``path``.

    The previous file at ``path`` stays intact until the new one is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode a normally created file would have
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise RunError(
                f"Không ghi được {path}: tệp đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại."
            ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write text atomically."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding, newline=""))


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock file in the output folder so that two runs never write it at once."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".consolidate.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid):
            raise RunError(f"Thư mục {folder} đang được một lần chạy khác ghi (tiến trình {pid}); hãy chờ.") from None
        lock.unlink(missing_ok=True)  # stale lock of a crashed run
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def csv_safe(text: str) -> str:
    """Quote-prefix a text that a spreadsheet would take for a formula when opening a CSV."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
