"""Writing outputs safely: Windows-safe ASCII file names, atomic replace, one run per output folder.

Written by hand because what is needed is small and specific: names must be safe on Windows whatever the
unit is called, a crash or Ctrl-C must never leave a half-written file or destroy the previous one, and two
runs must not write the same folder at once.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from consolidate.issues import RunError, UsageError
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


def os_reason(exc: OSError) -> str:
    """Why an output could not be written, in Vietnamese, from the OS error (never the English strerror)."""
    code = exc.errno
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return "không có quyền ghi, hoặc tệp đang được mở (có thể trong Excel); hãy đóng tệp hoặc chọn nơi khác"
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        return "ổ đĩa đã đầy; hãy giải phóng chỗ trống hoặc ghi sang ổ khác"
    if isinstance(exc, NotADirectoryError) or code == errno.ENOTDIR:
        return "một phần của đường dẫn là tệp chứ không phải thư mục"
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return "đường dẫn là một thư mục, không phải tệp"
    if isinstance(exc, FileExistsError) or code == errno.EEXIST:
        return "đã có một tệp trùng tên ở chỗ cần tạo thư mục"
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return "không tìm thấy thư mục chứa"
    if code == errno.EROFS:
        return "ổ đĩa chỉ cho đọc"
    if code == errno.ENAMETOOLONG:
        return "tên tệp hoặc đường dẫn quá dài"
    return f"lỗi hệ thống (mã {code})" if code else "lỗi hệ thống"


def cannot_write(path: Path, exc: OSError) -> RunError:
    """The run-stopping error for an output that cannot be written."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return RunError(f"Không ghi được {path}: không có quyền ghi vào thư mục {path.parent} hoặc tệp đang được "
                        "mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.")
    return RunError(f"Không ghi được {path}: {os_reason(exc)}.")


def cannot_write_in(folder: Path, exc: OSError) -> RunError:
    """The run-stopping error for an output folder that exists but takes no new file (its lock file)."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return RunError(f"Không ghi được vào thư mục {folder}: không có quyền ghi vào thư mục này. Hãy chọn thư "
                        "mục khác.")
    return RunError(f"Không ghi được vào thư mục {folder}: {os_reason(exc)}.")


def check_output(path: Path, inputs: Path | None = None, *, folder: bool = False, what: str = "tệp kết quả") -> None:
    """Refuse, before any work, an output that would land inside the inputs (the next run would read it back
    as a unit's return) or that cannot be what it must be (a file where a folder should be, or the reverse)."""
    path = Path(path)
    if inputs is not None:
        try:
            inside_inputs = path.resolve().is_relative_to(Path(inputs).resolve())
        except OSError:
            inside_inputs = False
        if inside_inputs:
            raise UsageError(f"Hãy ghi {what} ra ngoài thư mục báo cáo {inputs} (ví dụ ở thư mục cha): "
                             "lần kiểm tra sau sẽ đọc nhầm nó là báo cáo của đơn vị.")
    if folder and path.exists() and not path.is_dir():
        raise UsageError(f"{path} là một tệp, không phải thư mục; hãy chọn một thư mục cho {what}.")
    if not folder and path.is_dir():
        raise UsageError(f"{path} là một thư mục; hãy ghi {what} ra một tệp.")
    parent = path if folder else path.parent
    for up in [parent, *parent.parents]:
        if up.exists():
            if not up.is_dir():
                raise UsageError(f"Không ghi được {path}: {up} là một tệp chứ không phải thư mục.")
            break


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in the same folder, then move it over ``path``.

    The previous file at ``path`` stays intact until the new one is complete. Any OS error (no permission,
    a file where a folder should be, a full disk) becomes a :class:`RunError` in Vietnamese.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    tmp = Path(tmp_name)
    try:
        _write_and_replace(path, tmp, write)
    finally:
        with contextlib.suppress(OSError):
            if tmp.exists():
                tmp.unlink()


def _os_error_in(exc: BaseException) -> OSError | None:
    """The OS error behind ``exc``: itself, or the one a writer library wrapped in its own exception
    (XlsxWriter turns a full disk or a refused file into ``FileCreateError`` raised from the OSError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        wrapped = next((a for a in current.args if isinstance(a, OSError)), None)
        current = wrapped or current.__cause__ or current.__context__
    return None


def _quiet_os_errors(previous: Callable[..., object]) -> Callable[..., object]:
    def hook(unraisable: object) -> None:
        if not isinstance(getattr(unraisable, "exc_value", None), OSError):
            previous(unraisable)
    return hook


def _write_and_replace(path: Path, tmp: Path, write: Callable[[Path], None]) -> None:
    # A writer stopped by a full disk (openpyxl's and python-docx's zip) leaves its zip file open; closing it
    # later flushes again, fails again, and Python prints that second failure as a traceback ("Exception
    # ignored in ZipFile.__del__"). It is closed here, at once and quietly: the clerk reads one message.
    previous = sys.unraisablehook
    sys.unraisablehook = _quiet_os_errors(previous)
    try:
        error: RunError | None = None
        try:
            write(tmp)
            # mkstemp makes the file private (0600); give it the mode a normally created file would have
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            try:
                os.replace(tmp, path)
            except PermissionError:  # Windows: the target is open in Excel (a sharing violation)
                error = RunError(f"Không ghi được {path}: tệp đang được mở (có thể trong Excel). Hãy đóng tệp "
                                 "rồi chạy lại.")
        except Exception as exc:  # noqa: BLE001  # an OS error, possibly wrapped by the writer library
            os_error = _os_error_in(exc)
            if os_error is None:
                raise
            error = cannot_write(path, os_error)
            del os_error  # its traceback holds the failed writer's frames: let them go before collecting
        if error is not None:
            gc.collect()  # the failed writer's objects (freed with the exception above, or in a cycle)
            raise error
    finally:
        sys.unraisablehook = previous


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
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(folder, exc) from None
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
        try:
            lock.unlink(missing_ok=True)  # stale lock of a crashed run
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except OSError as exc:
            raise cannot_write_in(folder, exc) from None
    except OSError as exc:  # no permission, a read-only or full disk
        raise cannot_write_in(folder, exc) from None
    try:
        try:
            os.write(fd, str(os.getpid()).encode())
        except OSError as exc:  # a disk with room for the name of the lock but not for its content
            raise cannot_write_in(folder, exc) from None
        finally:
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
