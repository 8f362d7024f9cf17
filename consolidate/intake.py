"""Taking files handed over by the clerk (the web page's "Nhận tệp") into the returns folder.

Every file goes through the reader's own safety checks (:func:`consolidate.sniff.sniff_bytes`) before it is
kept; what is unsafe, empty or not a spreadsheet is refused with a Vietnamese reason and never written. A
zip archive of returns is opened with the same bounds (members, sizes, ratio, paths) and kept only when
every member passes; its spreadsheets are then kept one by one. A name is cleaned (no folders, no
characters Windows refuses), a name that climbs out of its folder (``../``) refuses the file, and a file
is never written over another: a taken name gets " (2)", " (3)" …, and bytes the folder already holds are
not kept twice.

Written by hand because no library does this: it is a few rules over :mod:`sniff` and the standard
``zipfile``. A file is written to a hidden temporary file beside the returns folder, then hard-linked
under its final name, which fails rather than replaces when the name is taken (a check running meanwhile
never sees half a file, and no file is ever overwritten).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from consolidate import sniff
from consolidate.issues import Issue, make

MAX_FILE_BYTES = sniff.MAX_FILE_BYTES  # one return: what the reader accepts
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024  # one zip of returns as uploaded
MAX_UPLOAD_BYTES = MAX_ARCHIVE_BYTES + 1024 * 1024  # one request: one file plus the form's fields
MAX_FILES = 500  # files kept from one hand-over (a drop, a folder or a zip)
MAX_NAME = 120  # characters of a kept file name

# what a file that cannot be a safe return is refused for; other issues of the reader (an encrypted or
# mis-saved workbook) leave the file kept, so that ``check`` tells the unit what to fix
REFUSED_CODES = frozenset(("too-large", "upload-too-large", "unsafe-file", "too-many-sheets", "empty-file", "corrupt", "lock-file"))

_WINDOWS_BAD = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_DRIVE = re.compile(r"^[A-Za-z]:")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass
class Received:
    """One file handed over: the name it came with, the name it was kept under (None when refused), why."""

    name: str
    saved: str | None = None
    issues: list[Issue] = field(default_factory=list)
    archive: str | None = None  # the zip it came in
    duplicate_of: str | None = None  # a file of the folder with the same bytes

    @property
    def kept(self) -> bool:
        """True when the file is now in the returns folder (or already was, byte for byte)."""
        return self.saved is not None or self.duplicate_of is not None


def clean_name(name: str) -> str | None:
    """A file name safe to create in the returns folder, or None when the name climbs out of its folder.

    Folders in the name are dropped ("da_nhan/X01.xlsx" → "X01.xlsx"); ``..``, an absolute path or a drive
    refuse it. Vietnamese letters are kept (the clerk recognises the units' own names); what Windows
    refuses in a name is replaced by "_"."""
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    parts = text.split("/")
    if text.startswith("/") or _DRIVE.match(text) or any(p.strip() == ".." for p in parts):
        return None
    base = _WINDOWS_BAD.sub("_", parts[-1]).strip().strip(".").strip()
    if not base:
        return "tep_nhan"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    ext = ext[:10]
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") or "tep_nhan"
    return f"{stem}.{ext}" if ext else stem


def _free_name(folder: Path, name: str) -> list[str]:
    """The name, then "stem (2).ext", "stem (3).ext" … (a few; the caller takes the first it can create)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    return [name] + [f"{stem} ({k}){suffix}" for k in range(2, 1000)]


def _mb(size: int) -> str:
    """A size in MB, rounded up (20 MB + 1 byte is "21 MB", so it never reads as within a 20 MB bound)."""
    return f"{-(-size // (1024 * 1024))} MB"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Folder:
    """The returns folder as it stands: its files by size, hashed when a file of the same size comes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.by_size: dict[int, list[Path]] = {}
        self.hashes: dict[Path, str] = {}
        for root, _dirs, files in os.walk(folder):
            for n in files:
                p = Path(root) / n
                try:
                    self.by_size.setdefault(p.stat().st_size, []).append(p)
                except OSError:
                    continue

    def same_as(self, data: bytes) -> str | None:
        """The relative path of a file holding exactly these bytes."""
        digest = None
        for p in self.by_size.get(len(data), []):
            if p not in self.hashes:
                try:
                    self.hashes[p] = _digest(p.read_bytes())
                except OSError:
                    continue
            digest = digest or _digest(data)
            if self.hashes[p] == digest:
                return p.relative_to(self.folder).as_posix()
        return None

    def add(self, path: Path, data: bytes) -> None:
        self.by_size.setdefault(len(data), []).append(path)
        self.hashes[path] = _digest(data)


def _write_new(folder: Path, name: str, data: bytes, mtime: float | None = None) -> str:
    """Write ``data`` under ``name`` or the first free variant of it; never replaces a file. → name used.

    ``mtime`` (seconds) is the time the file had where it came from: the reader falls back on it to order
    two submissions of a unit when the workbook carries no save time."""
    fd, tmp_name = tempfile.mkstemp(prefix=".~nhan-", dir=folder.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        for candidate in _free_name(folder, name):
            target = folder / candidate
            if target.exists():
                continue
            try:
                os.link(tmp, target)  # fails if the name was taken meanwhile: never replaces
                return candidate
            except FileExistsError:
                continue
            except OSError:  # a file system without hard links: create exclusively and write
                try:
                    with open(target, "xb") as out:
                        out.write(data)
                    if mtime is not None:
                        os.utime(target, (mtime, mtime))
                    return candidate
                except FileExistsError:
                    continue
        raise OSError("no free name")
    finally:
        tmp.unlink(missing_ok=True)


def _refusal(rel: str, issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.code in REFUSED_CODES]


def _is_archive(data: bytes) -> bool:
    """A plain zip of files (not a workbook, which is a zip too)."""
    if data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        return False
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False
    return "mimetype" not in names and "[Content_Types].xml" not in names


def _sane_time(value: float | None) -> float | None:
    """A modification time as sent by a browser or stored in a zip, if it is a plausible one."""
    import time

    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if 631152000 <= value <= time.time() + 86400 else None  # 1990 … tomorrow


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    import datetime as dt

    try:
        return dt.datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return None


Member = tuple[str, bytes, float | None, Issue | None]  # name, bytes, time, why it is not kept


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as it was written: without the UTF-8 flag zipfile decodes the bytes as cp437, but
    7-Zip and macOS write UTF-8 names without setting it (Vietnamese names came out as mojibake)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _members(name: str, data: bytes) -> tuple[list[Member], list[Issue]]:
    """The files of a zip, each read under the bounds. An unsafe archive (a path out of it, a bomb, an
    encrypted member) is refused whole; a member merely too large to be a return is left out alone."""
    found = sniff.sniff_archive(data, name)  # the reader's zip bounds: members, sizes, ratio, paths, encryption
    refused = [i for i in found.issues if i.code in REFUSED_CODES or i.code == "encrypted"]
    if refused:
        return [], refused
    out: list[Member] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = [i for i in zf.infolist() if not i.filename.endswith("/")]  # is_dir() fails on an empty name
        if len(infos) > MAX_FILES:
            return [], [make("upload-too-many", file=name, count=len(infos), limit=MAX_FILES)]
        for info in infos:
            member = _member_name(info) or "(thành phần không tên)"  # a hand-made zip can hold one
            if info.file_size > MAX_FILE_BYTES:
                out.append((member, b"", None, make(
                    "too-large", file=f"{name}/{member}",
                    reason=f"{_mb(info.file_size)}, giới hạn {_mb(MAX_FILE_BYTES)} cho một biểu báo cáo")))
                continue
            try:
                with zf.open(info) as fh:
                    body = fh.read(MAX_FILE_BYTES + 1)  # never more than the bound, whatever was declared
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                return [], [make("corrupt", file=name, reason=f"không giải nén được {info.filename!r} "
                                                              f"({type(exc).__name__})")]
            if len(body) > MAX_FILE_BYTES:
                return [], [make("unsafe-file", file=name,
                                 reason=f"thành phần {info.filename!r} giải nén ra nhiều hơn kích thước khai báo")]
            out.append((member, body, _zip_time(info), None))
    return out, []


Incoming = tuple[str, bytes] | tuple[str, bytes, float | None]


def receive(folder: Path, files: list[Incoming]) -> list[Received]:
    """Keep the safe returns among ``files`` (name, bytes[, modification time]) in ``folder``; say for each
    what became of it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = _Folder(folder)
    results: list[Received] = []
    if len(files) > MAX_FILES:
        return [Received(f[0], issues=[make("upload-too-many", file=f[0], count=len(files), limit=MAX_FILES)])
                for f in files]
    for name, data, *more in files:
        mtime = _sane_time(more[0] if more else None)
        shown = PurePosixPath(name.replace("\\", "/")).name or name
        clean = clean_name(name)
        if clean is None:
            results.append(Received(name, issues=[make("upload-unsafe-name", file=name)]))
            continue
        archive = _is_archive(data)
        limit = MAX_ARCHIVE_BYTES if archive else MAX_FILE_BYTES
        if len(data) > limit:
            results.append(Received(shown, issues=[make("upload-too-large", file=shown, reason=(
                f"{_mb(len(data))}, giới hạn {_mb(limit)} cho "
                + ("một tệp nén" if archive else "một biểu báo cáo")))]))
            continue
        if archive:
            members, refused = _members(shown, data)
            if refused:
                results.append(Received(shown, issues=refused))
                continue
            for member, body, when, why in members:
                if why is not None:
                    results.append(Received(PurePosixPath(member).name, issues=[why], archive=shown))
                else:
                    results.append(_keep(folder, state, member, body, _sane_time(when), archive=shown))
            continue
        results.append(_keep(folder, state, name, data, mtime))
    return results


def _keep(folder: Path, state: _Folder, name: str, data: bytes, mtime: float | None = None,
          archive: str | None = None) -> Received:
    shown = PurePosixPath(name.replace("\\", "/")).name or name
    clean = clean_name(name)
    where = f"{archive}/{name}" if archive else shown
    if clean is None:
        return Received(where, issues=[make("upload-unsafe-name", file=where)], archive=archive)
    found = sniff.sniff_bytes(data, clean)
    if found.kind == "not_a_report":
        return Received(shown, issues=[make("upload-not-kept", file=shown,
                                            reason="; ".join(_reason(i) for i in found.issues))], archive=archive)
    refused = _refusal(clean, found.issues)
    if refused:
        return Received(shown, issues=refused, archive=archive)
    same = state.same_as(data)
    if same is not None:
        return Received(shown, archive=archive, duplicate_of=same,
                        issues=[make("upload-duplicate", file=shown, other=same)])
    saved = _write_new(folder, clean, data, mtime)
    state.add(folder / saved, data)
    return Received(shown, saved=saved, archive=archive)


def _reason(issue: Issue) -> str:
    """The reason of a not-a-report issue without the file name and the tail the folder check adds."""
    msg = issue.message
    if issue.file and msg.startswith(issue.file + ": "):
        msg = msg[len(issue.file) + 2:]
    return msg.removesuffix(", đã bỏ qua.").removesuffix(".")
