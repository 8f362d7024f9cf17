"""What a file in the returned folder really is, and whether it is safe to hand to a spreadsheet parser.

Detection is by content, never by extension (an .xls renamed .xlsx, an HTML page or a CSV saved as .xls
are common). Every bound of SECURITY.md is checked here, on the bytes, before any parser runs: python-
calamine has no bound before decompression and builds a dense grid from a sheet's first to its last used
cell, so one far-corner cell would cost gigabytes. The zip checks use the standard ``zipfile`` module;
the OLE2 (compound file) container is read by hand because ``olefile`` is not a dependency and only the
directory and the Workbook stream are needed (bounded loops). For .xls the BIFF records are walked before
calamine sees the file: calamine parses every sheet of an .xls when it opens it and reserves the area a
sheet's DIMENSIONS record declares, so one damaged byte (an inverted DIMENSIONS, a cell at column 60,000)
made it request hundreds of GB and abort the whole process, which no ``except`` can catch (found by the
fuzz test); such a file is marked for the kept .xls reader (xlrd) instead. The cell record ids are those of
[MS-XLS] for BIFF5/BIFF8; BIFF2–4 files and flat .fods are named and refused, and a FILEPASS record means
encrypted (opened with Excel's default key "VelvetSweatshop" through msoffcrypto-tool when that is the key). An .xlsb
(Excel's binary workbook) is walked record by record the same way, by hand for the same reason: no kept library
reads its records without building the cells first (see the xlsb section). The same holds for an .xlsx shared-string table's declared ``uniqueCount`` (calamine
reserves room for it before reading a string). calamine also expands every table of an .ods at open (an 801-byte file with one repeated
cell took 327 MB), so an .ods or .xls with one oversized sheet is refused whole; .xlsx sheets load one
at a time, so there only the oversized sheet is skipped. The worksheet scans use byte regexes rather than an XML parser: they only look for cell
references and formula cells, and must stay cheap on the common path (one pass over a few kilobytes).
Each check has a fast path for the shape the usual writers produce (unprefixed ``<c r="…">`` cells, LibreOffice's
trailing repeats, plain zip members inflated with ``zlib`` exactly as ``zipfile`` would) that only answers when it can prove the exact scan would give the same verdict, and
falls back to that exact scan otherwise; small zip members are looked up by their stored bytes, since every return
of a campaign carries the same workbook, theme and styles parts. The pairs stay because the fast one saves a
measured share of the benchmark's budget (``merge`` of 1,000 returns: 3 ms per file in all): on the 63 returns of
samples/ (61 .xlsx, 2 .ods; 2026-12-03, median of 7) sniff took 1.4 ms per file with the fast paths and 4.9 ms
with the exact scans alone, of which the .xlsx cell scan is 2.7 ms per file, the zip member reads 0.24 ms per
file and the .ods bound 7.7 ms per .ods. The exact scan is the reference: property tests in tests/test_sniff.py
check that each fast path gives the exact scan's verdict. The .xlsb walk has one implementation (its files are rare).
"""

from __future__ import annotations

import functools
import io
import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from consolidate.issues import Issue, make

MAX_FILE_BYTES = 20 * 1024 * 1024  # a filled form is tens of KB; a photo-laden workbook a few MB
MAX_MEMBERS = 1000
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # declared total of all members
MAX_RATIO = 100  # per member, for members above RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
MAX_SHEETS = 100
MAX_SHEET_CELLS = 500_000  # the dense grid calamine builds for one sheet; a form uses ~500 cells

Format = Literal["xlsx", "xls", "ods", "xlsb"]
Kind = Literal["report", "not_a_report", "unreadable"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".csv", ".tsv", ".xlt", ".xltx", ".ots")

_IMAGES = [
    (b"\xff\xd8\xff", "ảnh JPEG"), (b"\x89PNG\r\n\x1a\n", "ảnh PNG"), (b"GIF8", "ảnh GIF"),
    (b"BM", "ảnh BMP"), (b"II*\x00", "ảnh TIFF"), (b"MM\x00*", "ảnh TIFF"),
]
# An entity declaration, or a DOCTYPE with an internal subset ("[…]") where entities live. A DOCTYPE that only
# names an external DTD (OpenOffice writes one in every Basic module) declares nothing: no parser used here
# fetches external DTDs (calamine never does, defusedxml forbids it, odfpy's expat has external entities off).
_DOCTYPE = re.compile(rb"<!\s*ENTITY|<!\s*DOCTYPE[^>\[]*\[", re.I)
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d+)\"")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})(\d+)\"")
_CELL_ANY = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW_ANY = re.compile(rb"<(?:\w+:)?row[\s>/]")
_FORMULA_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_CACHED = re.compile(rb"<v>[^<]|<is>")  # openpyxl writes an empty <v></v> for a formula it never computed
_ATTR_R = re.compile(rb"\sr=\"([A-Z]{1,3}\d+)\"")
_SST_UNIQUE = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\suniqueCount=\"(\d+)\"")
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_REL = re.compile(rb"<Relationship\b([^>]*)/?>")
_ODS_TABLE = re.compile(rb"<table:table(?=[\s>])([^>]*)>")
_ODS_TOKEN = re.compile(rb"<table:(table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>")
_ODS_ROWS_REP = re.compile(rb"table:number-rows-repeated=\"(\d+)\"")
_ODS_COLS_REP = re.compile(rb"table:number-columns-repeated=\"(\d+)\"")


@dataclass
class Sniffed:
    """What a file is: its format when it is a spreadsheet we read, else issues saying why not."""

    kind: Kind
    format: Format | None = None
    issues: list[Issue] = field(default_factory=list)
    data: bytes = b""  # the file's bytes, read once; parsers get these, never the path
    refused_sheets: dict[str, str] = field(default_factory=dict)  # sheet name → reason (too large)
    uncached: dict[str, set[str]] = field(default_factory=dict)  # sheet name → formula cells without a value
    calamine_safe: bool = True  # False: calamine would over-allocate at open; read with the kept fallback reader


def is_lock_file(name: str) -> bool:
    """Excel (``~$…``) and LibreOffice (``.~lock.…#``) lock files."""
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def check_defusedxml() -> bool:
    """True when openpyxl parses XML through defusedxml (entity expansion and external entities refused)."""
    import os
    import sys

    if "openpyxl" in sys.modules:
        return bool(getattr(sys.modules["openpyxl"], "DEFUSEDXML", False))
    # the test openpyxl makes when it is imported (openpyxl/xml/__init__.py), without importing it: the
    # reading workers fork before openpyxl is needed, and importing it first cost every run ~0.2 s
    try:
        import defusedxml  # noqa: F401
    except ImportError:
        return False
    return os.environ.get("OPENPYXL_DEFUSEDXML", "True") == "True"


def _not_report(rel: str, reason: str) -> Sniffed:
    return Sniffed("not_a_report", issues=[make("not-a-report", file=rel, reason=reason)])


def _bad(code: str, rel: str, **fields: object) -> Sniffed:
    return Sniffed("unreadable", issues=[make(code, file=rel, **fields)])


def col_index(letters: bytes | str) -> int:
    """0-based column index of Excel column letters ("A" → 0, "XFD" → 16383)."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def sniff_bytes(data: bytes, rel: str, decrypted: bool = False) -> Sniffed:
    """Classify a file's bytes; for a spreadsheet, check every safety bound before any parser runs.
    ``decrypted``: the bytes are what Excel's default key decrypted (never decrypted twice)."""
    name = PurePosixPath(rel).name
    suffix = PurePosixPath(name.lower()).suffix
    if is_lock_file(name):
        return Sniffed("not_a_report", issues=[make("lock-file", file=rel)])
    if not data:
        return _bad("empty-file", rel)
    if len(data) > MAX_FILE_BYTES:
        return _bad("too-large", rel, reason=f"{len(data) // (1024 * 1024)} MB, giới hạn "
                                             f"{MAX_FILE_BYTES // (1024 * 1024)} MB")
    head = data[:8]
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(data, rel, suffix)
    if head == OLE_MAGIC:
        return _sniff_ole(data, rel, decrypted)
    if head[:4] == b"PK\x07\x08" or (head[:2] == b"PK" and suffix in SPREADSHEET_SUFFIXES):
        return _bad("corrupt", rel, reason="tệp nén không hợp lệ")
    if head[:5] == b"%PDF-":
        return _not_report(rel, "tệp PDF, không phải bảng tính; nếu đây là báo cáo, đề nghị đơn vị gửi tệp Excel")
    for magic, what in _IMAGES:
        if data.startswith(magic):
            return _not_report(rel, what)
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return _not_report(rel, "ảnh chụp")
    if data.startswith(b"{\\rtf"):
        return _not_report(rel, "văn bản Word (RTF)")
    return _sniff_text(data, rel, suffix)


def _is_old_biff(data: bytes) -> bool:
    """A bare BIFF2–BIFF4 stream (Excel 2.x–4.0 write no compound file): a BOF record of those versions."""
    return len(data) >= 8 and _RECORD.unpack_from(data)[0] in _BIFF_OLD_BOF and 4 <= _RECORD.unpack_from(data)[1] <= 20


def _sniff_text(data: bytes, rel: str, suffix: str) -> Sniffed:
    sample = data[:8192]
    if _is_old_biff(data):
        return _bad("unsupported-format", rel, reason=_OLD_EXCEL)
    if b"\x00" in sample.lstrip(b"\xff\xfe\xfe\xff"):
        if suffix in SPREADSHEET_SUFFIXES:
            return _bad("wrong-format", rel, reason="tệp không phải bảng tính Excel/LibreOffice (nội dung không nhận ra)")
        return _not_report(rel, "tệp không phải bảng tính")
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t").lower()
    is_sheet_name = suffix in SPREADSHEET_SUFFIXES
    if "<office:document" in text and "opendocument.spreadsheet" in text:
        return _bad("unsupported-format", rel, reason="bảng tính OpenDocument dạng XML phẳng (.fods)")
    if "urn:schemas-microsoft-com:office:spreadsheet" in text:
        return _bad("wrong-format", rel, reason="tệp là bảng tính XML 2003 (SpreadsheetML), không phải .xls/.xlsx thật")
    if text.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or "<html" in text[:1024]:
        if is_sheet_name:
            return _bad("wrong-format", rel, reason="tệp là trang web (HTML) mang đuôi bảng tính, không phải tệp Excel thật")
        return _not_report(rel, "trang web (HTML)")
    if text.startswith("<?xml") or text.startswith("<"):
        if is_sheet_name:
            return _bad("wrong-format", rel, reason="tệp là văn bản XML, không phải tệp Excel thật")
        return _not_report(rel, "tệp XML")
    first = text.split("\n", 1)[0]
    if is_sheet_name:
        if "\t" in first:
            what = "văn bản phân tách bằng dấu tab (TSV)"
        elif "," in first or ";" in first:
            what = "văn bản phân tách bằng dấu phẩy (CSV)"
        else:
            what = "văn bản thường"
        return _bad("wrong-format", rel, reason=f"tệp là {what}, không phải tệp Excel thật")
    return _not_report(rel, "tệp văn bản" if suffix in (".txt", ".md", ".log", "") else f"tệp {suffix}")


# ---------------------------------------------------------------------------------------------- zip

# What zipfile raises for damaged archives: bad headers, CRC mismatches, zlib streams, odd versions.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError, struct.error,
               RuntimeError, NotImplementedError, OverflowError)


_DRIVE = re.compile(r"^[A-Za-z]:")


def _sniff_zip(data: bytes, rel: str, suffix: str) -> Sniffed:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS:
        return _bad("corrupt", rel, reason="tệp nén bị cắt cụt hoặc hỏng")
    if len(infos) > MAX_MEMBERS:
        return _bad("unsafe-file", rel, reason=f"tệp nén có {len(infos)} thành phần, giới hạn {MAX_MEMBERS}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        member = info.filename
        parts = member.replace("\\", "/").split("/")
        if member.startswith(("/", "\\")) or _DRIVE.match(member) or ".." in parts:
            return _bad("unsafe-file", rel, reason=f"thành phần có đường dẫn không an toàn {member!r}")
        key = _member_key(member)
        if key in seen:
            return _bad("unsafe-file", rel, reason=f"thành phần {member!r} xuất hiện hai lần")
        seen.add(key)
        if info.flag_bits & 0x1:
            return _bad("encrypted", rel)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return _bad("unsafe-file", rel, reason=f"phương thức nén không hỗ trợ ({info.compress_type})")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return _bad("unsafe-file", rel, reason=f"thành phần {member!r} nén với tỉ lệ bất thường "
                                                   f"({info.file_size // max(info.compress_size, 1)}:1)")
    if total > MAX_UNCOMPRESSED:
        return _bad("too-large", rel, reason=f"giải nén ra {total // (1024 * 1024)} MB, giới hạn "
                                             f"{MAX_UNCOMPRESSED // (1024 * 1024)} MB")
    names = seen  # every member's key, each once (a repeated one was refused above)
    try:
        if "mimetype" in names:
            mime = zf.read("mimetype").strip()
            if mime == ODS_MIME:
                return _check_ods(zf, rel, data)
            if mime.startswith(b"application/vnd.oasis.opendocument.text"):
                return _not_report(rel, "văn bản OpenDocument (.odt)")
            if mime.startswith(b"application/vnd.oasis.opendocument.presentation"):
                return _not_report(rel, "bài trình chiếu OpenDocument (.odp)")
        if "[content_types].xml" in names:
            parts = _Parts(zf, data)
            try:
                main = _main_part(parts)
            except _Unsafe as exc:
                return _doctype_refusal(rel, str(exc))
            if main.endswith(".bin") and _member_key(main) in names:
                return _check_xlsb(parts, rel, main)
            if main.startswith("xl/") and _member_key(main) in names:
                return _check_xlsx(parts, rel, main)
            if "word/document.xml" in names:
                return _not_report(rel, "văn bản Word (.docx)")
            if any(n.startswith("ppt/") for n in names):
                return _not_report(rel, "bài trình chiếu PowerPoint (.pptx)")
        if suffix in SPREADSHEET_SUFFIXES:
            return _bad("wrong-format", rel, reason="tệp nén không chứa bảng tính")
        return _not_report(rel, "tệp nén (zip); hãy giải nén rồi đặt các tệp báo cáo vào thư mục")
    except _ZIP_ERRORS as exc:
        # zlib errors, CRC mismatches and truncated members all arrive here
        return _bad("corrupt", rel, reason=f"không giải nén được ({type(exc).__name__})")


_XMLISH = (".xml", ".rels", ".vml")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_PROLOG_CHUNK = 4096  # what check_the_rest asks zipfile for at a time; the emulation must ask the same
# flag bits zipfile refuses to read without more (patched data, strong encryption, encryption)
_FLAGS_REFUSED = 0x20 | 0x40 | 0x01


class _Parts:
    """XML parts of a package: those a check needs are read in full, the others only up to their root
    element, which is enough to refuse a DOCTYPE (it can only stand in the prolog) without inflating
    themes and styles on the common path.

    ``zipfile`` costs ~25 µs per member opened (shared file, header parse, reader object), more than the
    inflating itself; a member whose local header is plain is therefore inflated here with ``zlib``, making
    the same calls ``zipfile`` would make, and anything unexpected (a header that differs, a zlib error, a
    CRC mismatch, a stream that needs a second read) goes through ``zipfile`` after all, so that a damaged
    member raises exactly what it raised before."""

    def __init__(self, zf: zipfile.ZipFile, data: bytes) -> None:
        self.zf = zf
        self.data = data  # the bytes zf reads from (io.BytesIO(data)), offsets included
        # by _member_key: Windows zippers write "xl\\Worksheets\\sheet1.xml", which calamine reads too
        # not ZipInfo.is_dir(): it indexes filename[-1], an IndexError for a member without a name
        self.infos = {_member_key(i.filename): i for i in zf.infolist() if not i.filename.endswith("/")}
        self.full: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        """A part in full ('' when absent); raises _Unsafe for a DOCTYPE."""
        name = _member_key(name)
        if name not in self.full:
            info = self.infos.get(name)
            if info is None:
                body = b""
            else:
                fast = self._inflate_all(info)
                body = fast if fast is not None else self.zf.read(info)
            if b"!" in body and _DOCTYPE.search(body):  # one memchr rules out most parts
                raise _Unsafe(name)
            self.full[name] = body
        return self.full[name]

    def check_the_rest(self) -> None:
        """Prolog of every XML part not read in full."""
        for name, info in self.infos.items():
            if name in self.full or not name.lower().endswith(_XMLISH):
                continue
            if not self._prolog_is_plain(info):
                self._check_prolog(name, info)

    def _check_prolog(self, name: str, info: zipfile.ZipInfo) -> None:
        """The exact prolog check through zipfile (the reference the fast path must agree with)."""
        buf = b""
        with self.zf.open(info) as fh:
            while len(buf) < info.file_size:
                chunk = fh.read(_PROLOG_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if _ROOT_START.search(buf):
                    break
        if _DOCTYPE.search(buf):
            raise _Unsafe(name)

    def _payload(self, info: zipfile.ZipInfo) -> bytes | None:
        """The member's stored bytes, when zipfile.open would accept its local header; else None."""
        data, off = self.data, info.header_offset
        if info.flag_bits & _FLAGS_REFUSED or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None
        if off < 0 or off + _LOCAL_HEADER.size > len(data):
            return None
        header = _LOCAL_HEADER.unpack_from(data, off)
        if header[0] != b"PK\x03\x04":
            return None
        name_at = off + _LOCAL_HEADER.size
        start = name_at + header[10] + header[11]
        end = start + info.compress_size
        if end > len(data):  # truncated: zipfile says how
            return None
        raw_name = data[name_at:name_at + header[10]]
        try:  # (ASCII reads the same in both, and its codec is the fast one)
            name = raw_name.decode("ascii" if raw_name.isascii() else "utf-8" if header[3] & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        if name != info.orig_filename:
            return None
        return data[start:end]

    def _inflate_all(self, info: zipfile.ZipInfo) -> bytes | None:
        """What zf.read(info) returns, when that is certain without zipfile; else None."""
        raw = self._payload(info)
        if raw is None:
            return None
        args = (raw, info.file_size, info.CRC, info.compress_type)
        small = len(raw) <= _MEMO_STORED and info.file_size <= _MEMO_INFLATED
        return _inflate_memo(*args) if small else _inflate(*args)

    def _prolog_is_plain(self, info: zipfile.ZipInfo) -> bool:
        """True when _check_prolog would pass this member, proven by making zipfile's own first read;
        False when unsure (then _check_prolog decides)."""
        raw = self._payload(info)
        if raw is None:
            return False
        args = (raw, info.file_size, info.CRC, info.compress_type)
        return _prolog_passes_memo(*args) if len(raw) <= _MEMO_PROLOG else _prolog_passes(*args)


def _inflate(raw: bytes, size: int, crc: int, method: int) -> bytes | None:
    """A member's stored bytes inflated as zf.read does it, or None when only zipfile can say what happens.

    zipfile hands all the compressed bytes to one decompress(…, 1 GiB) call and cuts to file_size;
    asking for file_size + 1 gives the same bytes whenever the stream ends within file_size, and the
    other cases (a member inflating past its declared size) go through zipfile."""
    if method == zipfile.ZIP_STORED:
        body = raw[:size]
    else:
        try:
            inflater = zlib.decompressobj(-15)
            body = inflater.decompress(raw, size + 1)
            if inflater.unconsumed_tail or len(body) > size:
                return None
            body = (body + inflater.flush())[:size]
        except zlib.error:
            return None
    if zlib.crc32(body) != crc:
        return None
    return body


def _prolog_passes(raw: bytes, size: int, crc: int, method: int) -> bool:
    """True when zipfile's first read of a member with these stored bytes shows a plain prolog (see
    _Parts._prolog_is_plain)."""
    if size == 0:  # the loop never reads; only the header mattered
        return True
    # ZipExtFile.read(4096) → one _read1(4096): min(4096, compress_left) compressed bytes, inflated to at
    # most 4096 bytes, cut to file_size, CRC checked when that reaches the end of the member
    take = min(_PROLOG_CHUNK, len(raw))
    rest = len(raw) - take
    if method == zipfile.ZIP_STORED:
        out, eof = raw[:take], rest <= 0
    else:
        try:
            inflater = zlib.decompressobj(-15)
            out = inflater.decompress(raw[:take], _PROLOG_CHUNK)
            eof = inflater.eof or (rest <= 0 and not inflater.unconsumed_tail)
            if eof:
                out += inflater.flush()
        except zlib.error:
            return False
    out = out[:size]
    if len(out) >= size:
        eof = True
    if eof and zlib.crc32(out) != crc:
        return False
    if len(out) < _PROLOG_CHUNK and not eof:
        return False  # read(4096) would call _read1 again
    buf = out[:_PROLOG_CHUNK]
    if not buf:
        return True
    if not _ROOT_START.search(buf) and len(buf) < size:
        return False  # a long prolog: the next chunks are zipfile's to read
    return not _DOCTYPE.search(buf)


# Both functions above depend on nothing but their arguments, and a campaign's returns share most parts
# byte for byte (workbook, relationships, theme, styles: every unit fills the same template), so small
# members are looked up by their stored bytes. The memos keep at most 256 × (2 KB + 16 KB) and 256 × 8 KB.
_MEMO_STORED = 2048
_MEMO_INFLATED = 16 * 1024
_MEMO_PROLOG = 8192
_inflate_memo = functools.lru_cache(maxsize=256)(_inflate)
_prolog_passes_memo = functools.lru_cache(maxsize=256)(_prolog_passes)


class _Unsafe(Exception):
    """An XML part declares a DOCTYPE or entities."""


def _doctype_refusal(rel: str, member: str) -> Sniffed:
    return _bad("unsafe-file", rel, reason=f"thành phần {member} có khai báo DOCTYPE/ENTITY")


def _attrs(raw: bytes) -> dict[str, str]:
    # the same sheet and relationship entries come back in every return of a campaign
    if len(raw) <= _MEMO_BYTES:
        return dict(_attrs_memo(raw))
    return _parse_attrs(raw)


_MEMO_BYTES = 512  # the memos below keep at most 1,024 entries of this size


@functools.lru_cache(maxsize=1024)
def _attrs_memo(raw: bytes) -> dict[str, str]:
    return _parse_attrs(raw)


@functools.lru_cache(maxsize=1024)
def _part_path(target: str) -> str:
    return posixpath.normpath(target)


def _parse_attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for k, v in _ATTR.findall(raw):
        key = k.decode("utf-8", "replace").split(":")[-1]
        if key == "id" and b":" in k:
            key = "rid"
        value = v.decode("utf-8", "replace")
        out[key] = _unescape(value) if "&" in value else value
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _member_key(name: str) -> str:
    """A member name as readers match it: forward slashes, any letter case."""
    return name.replace("\\", "/").lower()


_MAIN_TYPES = (b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml",
               b"spreadsheetml.template.main+xml", b"ms-excel.template.macroEnabled.main+xml",
               b"ms-excel.sheet.binary.macroEnabled.main")
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b([^>]*)/?>")


def _main_part(parts: _Parts) -> str:
    """The package's main part as readers find it: the officeDocument relationship of _rels/.rels, else the
    content type of a workbook, else xl/workbook.xml."""
    for m in _REL.findall(parts.read("_rels/.rels")):
        a = _attrs(m)
        if a.get("Type", "").endswith("/officeDocument") and a.get("Target"):
            return _member_key(posixpath.normpath(a["Target"].lstrip("/")))
    for m in _OVERRIDE.findall(parts.read("[Content_Types].xml")):
        if any(t in m for t in _MAIN_TYPES):
            return _member_key(_attrs(m).get("PartName", "").lstrip("/"))
    return "xl/workbook.xml"


def _check_xlsx(parts: _Parts, rel: str, main: str) -> Sniffed:
    try:
        return _xlsx_bounds(parts, rel, main)
    except _Unsafe as exc:
        return _doctype_refusal(rel, str(exc))


def _xlsx_bounds(parts: _Parts, rel: str, main: str) -> Sniffed:
    workbook = parts.read(main)
    folder, base = posixpath.split(main)
    sheets = [_attrs(m) for m in _SHEET_ENTRY.findall(workbook)]
    if len(sheets) > MAX_SHEETS:
        return _bad("too-many-sheets", rel, count=len(sheets), limit=MAX_SHEETS)
    rels = {}
    shared = posixpath.join(folder, "sharedStrings.xml")
    for m in _REL.findall(parts.read(posixpath.join(folder, "_rels", base + ".rels"))):
        a = _attrs(m)
        target = a.get("Target", "").replace("\\", "/")
        target = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        path = _part_path(target) if len(target) <= _MEMO_BYTES else posixpath.normpath(target)
        rels[a.get("Id", "")] = path
        if a.get("Type", "").endswith("/sharedStrings"):
            shared = path
    # calamine reserves room for the declared number of distinct strings before reading one:
    # uniqueCount="4000000000" asked for 96 GB and aborted the process
    strings = parts.read(shared)
    declared = _SST_UNIQUE.search(strings[:4096])
    if declared and int(declared.group(1)) > len(strings) // 4:
        return _bad("unsafe-file", rel, reason=f"bảng chuỗi khai báo {int(declared.group(1)):,} chuỗi".replace(",", ".")
                    + f" trong {len(strings):,} byte".replace(",", "."))
    out = Sniffed("report", "xlsx")
    for sheet in sheets:
        sheet_name = sheet.get("name", "")
        body = parts.read(rels.get(sheet.get("rid", ""), ""))
        reason, cells = _sheet_check(body)
        if reason:
            out.refused_sheets[sheet_name] = reason
        elif cells:
            out.uncached[sheet_name] = cells
    parts.check_the_rest()
    return out


# The common worksheet shape (every writer we meet): unprefixed tags, each <c and <row opening with its r.
# A "<c"/"<row" that ends its name without that r matches the empty alternative and makes the sheet odd.
_PREFIXED = re.compile(rb":(?:c|row)\b")  # what a prefixed <x:c / <x:row of the exact scan needs
_PLAIN_CELL = re.compile(rb"<c(?: r=\"([A-Z]{1,3})(\d+)\"|\b)")
_PLAIN_ROW = re.compile(rb"<row(?: r=\"(\d+)\"|\b)")
# narrower still: column A..Z, rows below 10,000, so the grid is at most 10,000 × 26 cells without counting
_NOT_TINY = re.compile(rb"<(?:c\b(?! r=\"[A-Z]\d{1,4}\")|row\b(?! r=\"\d{1,4}\"))")
_TINY_FITS = 10_000 * 26 <= MAX_SHEET_CELLS
_TINY_OR_F = re.compile(rb"<(?:c\b(?! r=\"[A-Z]\d{1,4}\")|row\b(?! r=\"\d{1,4}\")|(f))")  # … or the first "<f"


def _sheet_check(body: bytes) -> tuple[str | None, set[str]]:
    """(_xlsx_area(body), and when that is None, _uncached_formulas(body)), in one pass on the common path."""
    if _TINY_FITS and not _PREFIXED.search(body):
        odd = _TINY_OR_F.search(body)
        first_f = -1
        if odd is not None and odd.group(1):
            first_f = odd.start()
            odd = _NOT_TINY.search(body, odd.end())
        if odd is None:  # the tiny shape: within bounds (see _xlsx_area)
            end = body.rfind(b"sheetData>")
            # the same test as _uncached_formulas: no "<f" before the end of sheetData, or none at all
            if first_f < 0 or 0 <= end < first_f + 2:
                return None, set()
            return None, _uncached_formulas(body)
    reason = _xlsx_area(body)
    return reason, set() if reason else _uncached_formulas(body)


def _xlsx_area(body: bytes) -> str | None:
    """Why calamine must not load this worksheet (its dense grid would be too large), or None."""
    # Without any ":c"/":row" the optional prefix of the exact regexes never matches; and when every
    # "<c"/"<row" that ends its name carries r first, each exact regex matches exactly where its plain form
    # does, with the same groups, and every cell and row has a reference (nothing placed in sequence).
    if _PREFIXED.search(body):
        return _xlsx_area_exact(body)
    if _TINY_FITS and not _NOT_TINY.search(body):
        return None
    row_refs = _PLAIN_ROW.findall(body)
    cells = _PLAIN_CELL.findall(body)
    if not row_refs and not cells:
        return None
    letters, numbers = zip(*cells) if cells else ((), ())
    if b"" in row_refs or b"" in letters:
        return _xlsx_area_exact(body)
    # the same int() calls as the exact scan, so that a 5,000-digit reference fails the same way
    set(map(int, set(row_refs)))
    if not cells:  # rows without cells (LibreOffice's styled empty rows to 1,048,576) hold nothing calamine keeps
        return None
    rows = set(map(int, set(numbers)))
    cols = [col_index(c) for c in set(letters)]
    width = max(cols) - min(cols) + 1
    height = max(rows) - min(rows) + 1
    if height * width > MAX_SHEET_CELLS:
        return f"vùng dữ liệu {height:,} hàng × {width:,} cột".replace(",", ".")
    return None


def _xlsx_area_exact(body: bytes) -> str | None:
    """_xlsx_area for any shape: prefixed tags, cells or rows without a reference, r not first."""
    row_refs = _ROW_REF.findall(body)
    cells = _CELL_REF.findall(body)
    n_cells = len(_CELL_ANY.findall(body))
    n_rows = len(_ROW_ANY.findall(body))
    # only the extremes matter: convert each distinct reference once (a form has ~700 cells, ~10 columns)
    rows = {int(r) for r in set(row_refs)}
    cell_rows = {r for _, r in cells}
    cell_cols = {c for c, _ in cells}
    if len(cells) < n_cells or len(row_refs) < n_rows:
        # cells or rows without a reference are placed in sequence: bound by their number
        rows.add(n_rows)
        cell_rows.add(str(max(n_cells, 1)).encode())
        cell_cols.add(b"A")
        width = max(n_cells, 1)
    elif not cells:
        return None  # rows without cells (styled empty rows to 1,048,576) hold nothing calamine keeps
    else:
        rows = set()  # the used range is the cells'; a styled empty row is not in it
        width = 0
    if not rows and not cell_rows:
        return None
    all_rows = rows | {int(r) for r in cell_rows}
    cols = [col_index(c) for c in cell_cols] or [0]
    height = max(all_rows) - min(all_rows) + 1
    width = max(width, max(cols) - min(cols) + 1)
    if height * width > MAX_SHEET_CELLS:
        return f"vùng dữ liệu {height:,} hàng × {width:,} cột".replace(",", ".")
    return None


def _uncached_formulas(body: bytes) -> set[str]:
    """Addresses of formula cells that store no cached value (written by a tool that never computed)."""
    found: set[str] = set()
    # a formula is an <f> inside a cell, and cells stand inside <sheetData>: a sheet whose only "<f" come
    # after it (the <formula1> of its data validations, as every template has) has none to look for
    end = body.rfind(b"sheetData>")
    if body.find(b"<f", 0, end if end >= 0 else len(body)) < 0:
        return found
    for m in _FORMULA_CELL.finditer(body):
        inner = m.group(2) or b""
        if b"<f" in inner and not _CACHED.search(inner):
            ref = _ATTR_R.search(m.group(1))
            if ref:
                found.add(ref.group(1).decode())
    return found


def _check_ods(zf: zipfile.ZipFile, rel: str, data: bytes) -> Sniffed:
    parts = _Parts(zf, data)
    try:
        content = parts.read("content.xml")
        parts.check_the_rest()
    except _Unsafe as exc:
        return _doctype_refusal(rel, str(exc))
    tables = list(_ODS_TABLE.finditer(content))
    if len(tables) > MAX_SHEETS:
        return _bad("too-many-sheets", rel, count=len(tables), limit=MAX_SHEETS)
    refused = {}
    for i, m in enumerate(tables):
        end = tables[i + 1].start() if i + 1 < len(tables) else len(content)
        name = _attrs(m.group(1)).get("name", f"#{i + 1}")
        reason = _ods_area(content[m.end():end])
        if reason:
            refused[name] = reason
    # calamine expands every table of an .ods when it opens it: with an oversized table the file goes to the
    # kept .ods reader (odfpy), which counts repeats without expanding them, and the other tables are read
    return Sniffed("report", "ods", refused_sheets=refused, calamine_safe=not refused)


_ODS_CELL_STARTS = (b"<table:table-cell", b"<table:covered-table-cell")
_ODS_REPEATS = re.compile(rb"table:number-(rows|columns)-repeated=\"(\d+)\"")  # both of the exact scan's
# Column repeats that no row's used prefix holds, right after a tag's ">" (so no token spans them):
# the run of empty cells up to column 16,384 that LibreOffice ends every row with (self-closing, no value
# type, and the next token after its row is the next row), and a column definition with no "<" inside
# (so no cell token starts in it either).
_ODS_UNUSED_COLUMNS = re.compile(
    rb"><table:table-(?:cell table:number-columns-repeated=\"(\d+)\"/></table:table-row>"
    rb"(?=(?:(?!<table:(?:table-cell|covered-table-cell)[\s/>]).)*?<table:table-row[\s/>][^>]*>)"
    rb"|column[^<>]*?table:number-columns-repeated=\"(\d+)\")", re.S)
_ODS_LONG_REPEAT = re.compile(rb"repeated=\"\d{10}")


def _ods_area(body: bytes) -> str | None:
    """Bound the grid a table's repeated rows × columns expand to; trailing empty repeats cost nothing."""
    if _ods_surely_fits(body):
        return None
    return _ods_area_exact(body)


def _ods_surely_fits(body: bytes) -> bool:
    """True when an upper bound of what _ods_area_exact measures is within the limit (then it says None).

    The exact scan's height is the rows up to the last used cell, its width the widest used prefix of a
    row. Bounds without a loop over tokens: everything up to the end of the last tag that may be a used
    cell, counting each row or cell start once plus every repeat count, minus those of column definitions
    and of the trailing runs of empty cells that LibreOffice writes at the end of each row (the width of all
    rows summed, not the widest, which is still far within the limit for a form)."""
    last = _ods_last_used_cell(body)
    if last < 0:
        return not _ODS_LONG_REPEAT.search(body)
    end = body.find(b">", last)
    head = body if end < 0 else body[:end + 1]  # no token straddles its end: a token ends at its first ">"
    repeats = _ODS_REPEATS.findall(head)
    # a count of 10 digits or more (the exact scan's int() fails past 4,300): let the exact scan meet it
    if any(len(n) > 9 for _, n in repeats) or _ODS_LONG_REPEAT.search(body, len(head)):
        return False
    height = head.count(b"<table:table-row") + sum(int(n) for kind, n in repeats if kind == b"rows")
    unused = sum(map(int, filter(None, itertools.chain.from_iterable(_ODS_UNUSED_COLUMNS.findall(head)))))
    width = (head.count(_ODS_CELL_STARTS[0]) + head.count(_ODS_CELL_STARTS[1])
             + sum(int(n) for kind, n in repeats if kind == b"columns") - unused)
    return height * width <= MAX_SHEET_CELLS


def _ods_last_used_cell(body: bytes) -> int:
    """Start of the last cell tag that may count as used (not self-closing, or a value type), or -1.

    Every used cell token of the exact scan starts at or before it: tags are skipped only when their text up
    to the next ">" ends in "/>" and holds no "value-type"."""
    found = [body.rfind(s) for s in _ODS_CELL_STARTS]
    while True:
        at = max(found)
        if at < 0:
            return -1
        end = body.find(b">", at)
        if end < 0 or body[end - 1] != 0x2F or b"value-type" in body[at:end]:
            return at
        which = found.index(at)
        found[which] = body.rfind(_ODS_CELL_STARTS[which], 0, at)


def _ods_area_exact(body: bytes) -> str | None:
    """_ods_area by one pass over row and cell tags; a cell counts as used when it has a value type or any
    content."""
    height = width = row_at = col_at = used_to = 0
    for m in _ODS_TOKEN.finditer(body):
        kind, attrs, self_closing = m.groups()
        if kind == b"table-row":
            if used_to:
                height, width = row_at, max(width, used_to)
                if height * width > MAX_SHEET_CELLS:
                    break
            rep = _ODS_ROWS_REP.search(attrs) if b"repeated" in attrs else None
            row_at += int(rep.group(1)) if rep else 1
            col_at = used_to = 0
            continue
        rep = _ODS_COLS_REP.search(attrs) if b"repeated" in attrs else None
        col_at += int(rep.group(1)) if rep else 1
        if not self_closing or b"value-type" in attrs:
            used_to = col_at
    if used_to:
        height, width = row_at, max(width, used_to)
    if height * width > MAX_SHEET_CELLS:
        return f"vùng dữ liệu {height:,} hàng × {width:,} cột".replace(",", ".")
    return None


# ---------------------------------------------------------------------------------------------- xlsb
# Excel's binary workbook ([MS-XLSB]): the parts of an .xlsx, but each one a stream of records instead of XML
# ([MS-XLSB] 2.1.4: a record type of 1–2 bytes and a size of 1–4 bytes, 7 bits a byte, high bit = more).
# calamine reads it from fixed member names (xl/sharedStrings.bin, xl/styles.bin, xl/_rels/workbook.bin.rels,
# xl/workbook.bin, then "xl/" + each sheet's relationship target, unnormalised), allocates a record's declared
# size before reading its body (up to 256 MB), and builds a sheet's dense grid from its cells' first to last
# row and column. In xl/styles.bin and in the defined names of xl/workbook.bin (calamine
# 0.37, measured here) it does not walk record by record: it reads a type and, when the type is not one it
# wants, reads the next type right after it, so that the bytes of other records' bodies and sizes are read as
# types too, and a size found inside a body is allocated. The code below makes exactly calamine's reads, in
# calamine's order, on the same bytes, and bounds what each would allocate; the sheet's declared used range
# (BrtWsDim) is never trusted. No kept library
# walks these records without building the cells first (pyxlsb and calamine both allocate as they go), hence
# the hand-written walk.

_XLSB_WORKBOOK = "xl/workbook.bin"
_XLSB_RELS = "xl/_rels/workbook.bin.rels"
_XLSB_STRINGS = "xl/sharedStrings.bin"
_XLSB_STYLES = "xl/styles.bin"
_BRT_ROW, _BRT_SHEET_DATA, _BRT_SHEET_DATA_END, _BRT_WS_DIM = 0x0000, 0x0091, 0x0092, 0x0094
_BRT_BUNDLE_SH, _BRT_BUNDLE_SHS_END, _BRT_WB_PROP = 0x009C, 0x0090, 0x0099
_BRT_EXTERN_SHEET, _BRT_NAME = 0x016A, 0x0027
_BRT_AFTER_NAMES = frozenset({0x009D, 0x0225, 0x018D, 0x0180, 0x009A, 0x0252, 0x0229, 0x009B, 0x0084})
_BRT_SST, _BRT_SST_ITEM, _BRT_CELL_ISST = 0x009F, 0x0013, 0x0007
_BRT_FMTS, _BRT_FMT, _BRT_CELL_XFS, _BRT_XF = 0x0267, 0x002C, 0x0269, 0x002F
# the cell records calamine keeps (BrtCellRk … BrtFmlaBool; BrtCellBlank, BrtFmlaError and BrtCellRString it
# skips), each with the fewest body bytes [MS-XLSB] gives it: calamine reads a shorter one out of the bytes of an
# earlier record (its buffer is reused), so a cell could land anywhere; BrtRowHdr is read the same way
_BRT_KEPT_CELLS = {0x0002: 12, 0x0003: 9, 0x0004: 9, 0x0005: 16, 0x0006: 12, 0x0007: 12, 0x0008: 12,
                   0x0009: 16, 0x000A: 9}
_BRT_ROW_MIN = 17
# record blocks calamine skips whole while it looks for BrtBeginSheetData (views, AC blocks, column infos)
_BRT_SKIPPED_BLOCKS = {0x0085: 0x0086, 0x0025: 0x0026, 0x0186: 0x0187}
_XLSB_LAST_ROW, _XLSB_LAST_COL = 1_048_575, 16_383  # Excel's sheet, 0-based
MAX_XLSB_RECORDS = 1_000_000  # reads of a record type in one file (~0.7 s here); a filled form has a few thousand


def _dotted(n: int) -> str:
    """A count as Vietnamese writes it: 1.000.000."""
    return f"{n:,}".replace(",", ".")


class _BadRecords(Exception):
    """An .xlsb part calamine would fail on or misplace cells from (cut short, out of Excel's sheet)."""


class _Unbounded(Exception):
    """More record reads than the budget of one file."""


class _Budget:
    """The record reads left for one file, shared by its parts."""

    def __init__(self) -> None:
        self.left = MAX_XLSB_RECORDS


class _Records:
    """calamine's RecordIter over one part: read_type and fill_buffer, on the same bytes in the same order."""

    def __init__(self, part: bytes, name: str, budget: _Budget) -> None:
        self.part, self.name, self.budget, self.pos = part, name, budget, 0

    def read_type(self) -> int | None:
        """The next record type, or None at the end of the part (where calamine's read fails)."""
        part, pos = self.part, self.pos
        self.budget.left -= 1
        if self.budget.left < 0:
            raise _Unbounded(f"tệp có hơn {_dotted(MAX_XLSB_RECORDS)} bản ghi")
        if pos >= len(part):
            return None
        b = part[pos]
        if b & 0x80:
            if pos + 1 >= len(part):
                return None
            self.pos = pos + 2
            return (b & 0x7F) | (part[pos + 1] & 0x7F) << 7
        self.pos = pos + 1
        return b

    def fill(self) -> tuple[int, int]:
        """The next record's body (start, end): its size, at most four bytes, the fourth one's high bit ignored
        as calamine does; raises _BadRecords when the size or the body runs past the end of the part."""
        part, pos, n = self.part, self.pos, len(self.part)
        size = shift = 0
        for _ in range(4):
            if pos >= n:
                raise _BadRecords(f"bản ghi bị cắt cụt trong {self.name}")
            b, pos = part[pos], pos + 1
            size, shift = size | (b & 0x7F) << shift, shift + 7
            if not b & 0x80:
                break
        if pos + size > n:
            raise _BadRecords(f"bản ghi bị cắt cụt trong {self.name} (khai báo {_dotted(size)} byte, "
                              f"còn {_dotted(n - pos)})")
        self.pos = pos + size
        return pos, pos + size

    def next(self) -> tuple[int, int, int]:
        """One whole record (type, body start, body end); _BadRecords at the end of the part."""
        rtype = self.read_type()
        if rtype is None:
            raise _BadRecords(f"{self.name} kết thúc giữa chừng")
        return (rtype, *self.fill())

    def next_skip_blocks(self, wanted: int, blocks: dict[int, int] | None = None) -> tuple[int, int]:
        """Records up to the next of type ``wanted`` (its body), skipping whole the blocks that start with a key of
        ``blocks`` up to their end type."""
        while True:
            rtype, start, end = self.next()
            if rtype == wanted:
                return start, end
            if blocks and rtype in blocks:
                while self.next()[0] != blocks[rtype]:
                    pass

    def u32(self, at: int, end: int) -> int:
        """A 32-bit count or index inside a body; _BadRecords when the body is too short (calamine panics)."""
        if at + 4 > end:
            raise _BadRecords(f"bản ghi quá ngắn trong {self.name}")
        return struct.unpack_from("<I", self.part, at)[0]


def _check_xlsb(parts: _Parts, rel: str, main: str) -> Sniffed:
    if main != _XLSB_WORKBOOK:
        return _bad("unsupported-format", rel, reason=f"sổ Excel nhị phân (.xlsb) có phần sổ làm việc mang tên "
                                                      f"khác ({main}), chương trình chưa đọc dạng này")
    try:
        return _xlsb_bounds(parts, rel)
    except _Unsafe as exc:
        return _doctype_refusal(rel, str(exc))
    except _BadRecords as exc:
        return _bad("corrupt", rel, reason=str(exc))
    except _Unbounded as exc:
        return _bad("unsafe-file", rel, reason=str(exc))


def _xlsb_bounds(parts: _Parts, rel: str) -> Sniffed:
    budget = _Budget()
    strings = parts.read(_XLSB_STRINGS)
    n_strings = 0
    if _member_key(_XLSB_STRINGS) in parts.infos:
        it = _Records(strings, _XLSB_STRINGS, budget)
        start, end = it.next_skip_blocks(_BRT_SST)
        n_strings = it.u32(start + 4, end)
        # calamine reads this many BrtSSTItem records, and a reader that reserves room for them first would ask
        # for gigabytes: every string takes 7 bytes at least
        if n_strings > len(strings) // 4:
            return _bad("unsafe-file", rel, reason=f"bảng chuỗi khai báo {_dotted(n_strings)} chuỗi trong "
                                                   f"{_dotted(len(strings))} byte")
        for _ in range(n_strings):
            it.next_skip_blocks(_BRT_SST_ITEM, {0x0023: 0x0024})
    if _member_key(_XLSB_STYLES) in parts.infos:
        _xlsb_styles(_Records(parts.read(_XLSB_STYLES), _XLSB_STYLES, budget))
    targets = {}
    for m in _REL.findall(parts.read(_XLSB_RELS)):  # raw attribute values, as calamine takes them
        a = dict(_ATTR.findall(m))
        if b"Id" in a and b"Target" in a:
            targets[a[b"Id"].decode("utf-8", "replace")] = a[b"Target"].decode("utf-8", "replace")
    sheets = _xlsb_sheets(_Records(parts.read(_XLSB_WORKBOOK), _XLSB_WORKBOOK, budget))
    if len(sheets) > MAX_SHEETS:
        return _bad("too-many-sheets", rel, count=len(sheets), limit=MAX_SHEETS)
    out = Sniffed("report", "xlsb")
    for name, relid in sheets:
        if relid not in targets:
            raise _BadRecords(f"trang \"{name}\" không có trong xl/_rels/workbook.bin.rels")
        path = f"xl/{targets[relid]}"
        if path.split("/")[1:2] != ["worksheets"] or _member_key(path) not in parts.infos:
            continue  # chart and dialog sheets hold no cells calamine reads; a missing part fails that sheet alone
        reason = _xlsb_sheet_area(_Records(parts.read(path), path, budget), name, n_strings)
        if reason:
            out.refused_sheets[name] = reason
    parts.check_the_rest()
    return out


def _xlsb_styles(it: _Records) -> None:
    """calamine's read of xl/styles.bin: types until BrtBeginFmts or BrtBeginCellXFs (bodies of other records
    read as types), then that many BrtFmt or BrtXF records, record by record."""
    while True:
        rtype = it.read_type()
        if rtype is None:
            raise _BadRecords(f"{it.name} kết thúc giữa chừng")
        if rtype in (_BRT_FMTS, _BRT_CELL_XFS):
            start, end = it.fill()
            for _ in range(it.u32(start, end)):
                it.next_skip_blocks(_BRT_FMT if rtype == _BRT_FMTS else _BRT_XF)
            if rtype == _BRT_CELL_XFS:
                return


def _xlsb_sheets(it: _Records) -> list[tuple[str, str]]:
    """calamine's read of xl/workbook.bin: (name, relationship id) of the sheets it lists, record by record up
    to BrtEndBundleShs, then its defined names, read type by type (bodies only of BrtExternSheet and BrtName)."""
    sheets = []
    while True:
        rtype, start, end = it.next()
        if rtype == _BRT_BUNDLE_SHS_END:
            break
        if rtype == _BRT_BUNDLE_SH:  # hsState, iTabID, strRelID (nullable), strName
            count = it.u32(start + 8, end)
            if count != 0xFFFFFFFF:  # calamine lists a sheet only with a relationship id
                name_at = start + 12 + 2 * count
                if name_at > end or it.u32(name_at, end) * 2 + name_at + 4 > end:
                    raise _BadRecords(f"tên trang bị cắt cụt trong {it.name}")
                relid = it.part[start + 12:name_at].decode("utf-16-le", "replace")
                name = it.part[name_at + 4:name_at + 4 + 2 * it.u32(name_at, end)].decode("utf-16-le", "replace")
                sheets.append((name, relid))
    while (rtype := it.read_type()) not in _BRT_AFTER_NAMES:
        if rtype is None:
            raise _BadRecords(f"{it.name} kết thúc giữa chừng")
        if rtype in (_BRT_EXTERN_SHEET, _BRT_NAME):
            it.fill()
    return sheets


def _xlsb_sheet_area(it: _Records, name: str, strings: int) -> str | None:
    """Why calamine must not load this worksheet part (the grid of its cells is too large), or None; raises
    _BadRecords for cells that no reader would place (outside Excel's sheet, a string the table does not
    hold) and for records cut short before the end of the sheet data."""
    part = it.part
    it.next_skip_blocks(_BRT_WS_DIM)
    it.next_skip_blocks(_BRT_SHEET_DATA, _BRT_SKIPPED_BLOCKS)
    row = 0
    min_row = min_col = 1 << 32
    max_row = max_col = -1
    while True:
        rtype, start, end = it.next()
        if rtype in _BRT_KEPT_CELLS:
            if end - start < _BRT_KEPT_CELLS[rtype]:
                raise _BadRecords(f"bản ghi ô quá ngắn trong trang \"{name}\" ({it.name})")
            col = struct.unpack_from("<I", part, start)[0]
            if col > _XLSB_LAST_COL:
                raise _BadRecords(f"trang \"{name}\" có ô ở cột {_dotted(col + 1)}, ngoài trang tính Excel")
            if rtype == _BRT_CELL_ISST and struct.unpack_from("<I", part, start + 8)[0] >= strings:
                raise _BadRecords(f"trang \"{name}\" có ô trỏ tới chuỗi không có trong bảng chuỗi")
            min_row, max_row = min(min_row, row), max(max_row, row)
            min_col, max_col = min(min_col, col), max(max_col, col)
        elif rtype == _BRT_ROW:
            if end - start < _BRT_ROW_MIN:
                raise _BadRecords(f"bản ghi hàng quá ngắn trong trang \"{name}\" ({it.name})")
            row = struct.unpack_from("<I", part, start)[0]
            if row > _XLSB_LAST_ROW:
                raise _BadRecords(f"trang \"{name}\" có hàng {_dotted(row + 1)}, ngoài trang tính Excel")
        elif rtype == _BRT_SHEET_DATA_END:
            break
    if max_row < 0:
        return None
    height, width = max_row - min_row + 1, max_col - min_col + 1
    if height * width > MAX_SHEET_CELLS:
        return f"vùng dữ liệu {_dotted(height)} hàng × {_dotted(width)} cột"
    return None


# ---------------------------------------------------------------------------------------------- OLE2

class CompoundFile:
    """The parts of an OLE2 compound file the sniffer needs: directory names and one stream's bytes.

    Every loop is bounded by the file's size; anything inconsistent raises ValueError.
    """

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or data[:8] != OLE_MAGIC:
            raise ValueError("not a compound file")
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            raise ValueError("sector size")
        self.data, self.size = data, 1 << shift
        self.n_sectors = (len(data) - 512) // self.size + 1
        n_fat = struct.unpack_from("<I", data, 44)[0]
        fat_sectors = [s for s in struct.unpack_from("<109i", data, 76) if s >= 0]
        difat_next, guard = struct.unpack_from("<i", data, 68)[0], 0
        while difat_next >= 0 and len(fat_sectors) < n_fat and guard < self.n_sectors:
            body = self._sector(difat_next)
            ids = struct.unpack(f"<{self.size // 4}i", body)
            fat_sectors.extend(s for s in ids[:-1] if s >= 0)
            difat_next, guard = ids[-1], guard + 1
        self.fat: list[int] = []
        for s in fat_sectors[:max(n_fat, 1)]:
            self.fat.extend(struct.unpack(f"<{self.size // 4}i", self._sector(s)))
        self.entries: list[tuple[str, int, int, int]] = []  # name, type, start sector, size
        directory = self._chain(struct.unpack_from("<i", data, 48)[0], self.fat, self._sector)
        for off in range(0, len(directory) - 127, 128):
            length, kind = struct.unpack_from("<HB", directory, off + 64)
            if 2 <= length <= 64 and kind in (1, 2, 5):
                start, size = struct.unpack_from("<iI", directory, off + 116)
                name = directory[off:off + length - 2].decode("utf-16-le", "replace")
                self.entries.append((name, kind, start, size))
        self.mini_cutoff = struct.unpack_from("<I", data, 56)[0]

    def _sector(self, i: int) -> bytes:
        start = (i + 1) * self.size
        if i < 0 or start + self.size > len(self.data) + self.size:  # the last sector may be short
            raise ValueError("sector out of range")
        return self.data[start:start + self.size]

    def _chain(self, first: int, fat: list[int], read) -> bytes:  # noqa: ANN001
        out, current, seen = [], first, set()
        while current >= 0:
            if current in seen or current >= len(fat) and len(seen) > 0 and current != first:
                raise ValueError("broken sector chain")
            seen.add(current)
            if len(seen) > self.n_sectors * 64:
                raise ValueError("sector chain too long")
            out.append(read(current))
            current = fat[current] if current < len(fat) else -2
        return b"".join(out)

    @property
    def names(self) -> list[str]:
        """Every storage and stream name in the directory."""
        return [e[0] for e in self.entries]

    def stream(self, name: str) -> bytes:
        """A stream's bytes (from the regular or the mini stream), cut to its declared size."""
        entry = next((e for e in self.entries if e[0].lower() == name.lower() and e[1] == 2), None)
        if entry is None:
            raise ValueError(f"no stream {name}")
        _, _, start, size = entry
        if size >= self.mini_cutoff:
            body = self._chain(start, self.fat, self._sector)
        else:
            root = self.entries[0]
            mini_fat_bytes = self._chain(struct.unpack_from("<i", self.data, 60)[0], self.fat, self._sector)
            mini_fat = list(struct.unpack(f"<{len(mini_fat_bytes) // 4}i", mini_fat_bytes))
            ministream = self._chain(root[2], self.fat, self._sector)

            def mini(i: int) -> bytes:
                if i * 64 + 64 > len(ministream):
                    raise ValueError("mini sector out of range")
                return ministream[i * 64:i * 64 + 64]

            body = self._chain(start, mini_fat, mini)
        if len(body) < size:
            raise ValueError("stream shorter than declared")
        return body[:size]


def ole_stream_names(data: bytes) -> list[str] | None:
    """Names in a compound file's directory (legacy .xls/.doc, encrypted OOXML); None when malformed."""
    try:
        return CompoundFile(data).names
    except (ValueError, struct.error, IndexError):
        return None


# BIFF record ids, checked against [MS-XLS] (BIFF8) and the BIFF2–BIFF5 record lists of the
# OpenOffice.org "Excel File Format" documentation. Only BIFF5 (Excel 5.0/95) and BIFF8 (Excel 97–365)
# streams come this far; BIFF2–4 files (Excel 4.0 and older) are refused before the walk. A cell record
# holds its row and column in its first four bytes.
#   BIFF5 and BIFF8: FORMULA 0x0006, BLANK 0x0201, NUMBER 0x0203, LABEL 0x0204, BOOLERR 0x0205,
#                    RK 0x027E, RSTRING 0x00D6; BIFF8 only: LABELSST 0x00FD.
#   Not cells there: 0x0001–0x0005 and 0x0007 are BIFF2 cell and STRING ids (unused in BIFF5/8); 0x0206 and
#   0x0406 are the BIFF3/BIFF4 FORMULA; 0x0027 is RIGHTMARGIN (an 8-byte double) in every version, whose
#   first bytes read as row and column ~26,000 for 0.7" or 2 cm.
_BIFF_CELLS = {
    5: frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6}),
    8: frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD}),
}
_BIFF_RUNS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK (BIFF5/8): first column at 2, last column at the end
_BIFF_OLD_BOF = {0x0009: 2, 0x0209: 3, 0x0409: 4}  # BOF ids of BIFF2, BIFF3, BIFF4
_BIFF_BOF, _BIFF_EOF, _BIFF_SHEET, _BIFF_DIM, _BIFF_SST = 0x0809, 0x000A, 0x0085, 0x0200, 0x00FC
_BIFF_FILEPASS, _BIFF_CODEPAGE = 0x002F, 0x0042
_RECORD = struct.Struct("<HH")


@dataclass
class BiffScan:
    """What the record walk of an .xls Workbook stream found."""

    version: int = 8  # 2, 3, 4 (refused), 5 or 8
    encrypted: bool = False  # a FILEPASS record: every record body after it is encrypted
    problem: tuple[str, str] | None = None  # (issue code, reason) for the whole file
    refused: dict[str, str] = field(default_factory=dict)  # sheet name → why its grid is too large
    dimensions_bad: bool = False  # a DIMENSIONS record calamine would allocate from is inverted or too large


def _records(stream: bytes, pos: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(position, type, body) of each record from ``pos`` to the end of the stream (a cut body is kept short)."""
    n = len(stream)
    while pos + 4 <= n:
        rtype, length = _RECORD.unpack_from(stream, pos)
        yield pos, rtype, stream[pos + 4:pos + 4 + length]
        pos += 4 + length


def scan_biff(stream: bytes) -> BiffScan:
    """Walk the globals and every sheet's records once; bound each sheet's grid by its cells."""
    scan = BiffScan()
    first = next(_records(stream), None)
    if first is None or (first[1] != _BIFF_BOF and first[1] not in _BIFF_OLD_BOF):
        scan.problem = ("corrupt", "tệp Excel cũ (.xls) không bắt đầu bằng bản ghi BOF")
        return scan
    if first[1] in _BIFF_OLD_BOF:
        scan.version = _BIFF_OLD_BOF[first[1]]
        return scan
    scan.version = 5 if first[2][:2] == b"\x00\x05" else 8
    sheets: list[tuple[int, bytes]] = []  # BOUNDSHEET offset, raw name
    codepage = 1252
    for _pos, rtype, body in _records(stream):
        if rtype == _BIFF_EOF:
            break
        if rtype == _BIFF_FILEPASS:
            scan.encrypted = True
            return scan
        if rtype == _BIFF_CODEPAGE and len(body) >= 2:
            codepage = struct.unpack_from("<H", body)[0]
        elif rtype == _BIFF_SHEET and len(body) >= 7:
            sheets.append((struct.unpack_from("<I", body)[0], body[6:]))
        elif rtype == _BIFF_SST and scan.version == 8 and len(body) >= 8:
            unique = struct.unpack_from("<I", body, 4)[0]
            if unique > len(stream):  # calamine reserves room for them; every string takes a byte at least
                scan.problem = ("unsafe-file", f"bảng chuỗi khai báo {unique:,} chuỗi".replace(",", "."))
                return scan
    if len(sheets) > MAX_SHEETS:
        scan.problem = ("too-many-sheets", str(len(sheets)))
        return scan
    # each distinct offset walked once, up to the next one: the walks together read the stream once
    offsets = sorted({offset for offset, _ in sheets})
    extents = {}
    for offset, until in zip(offsets, [*offsets[1:], len(stream)]):
        extents[offset] = _substream_bounds(stream, offset, until, scan.version)
        if extents[offset] is None:
            scan.problem = ("corrupt", "các trang của tệp Excel cũ (.xls) chồng lên nhau")
            return scan
    for offset, raw in sheets:
        large, dims_bad = extents[offset]
        scan.dimensions_bad |= dims_bad
        if large:
            scan.refused.setdefault(_biff_sheet_name(raw, scan.version, codepage), large[1])
    return scan


def _biff_sheet_name(raw: bytes, version: int, codepage: int) -> str:
    """A BOUNDSHEET name: BIFF8 a flagged Unicode string, BIFF5 bytes in the file's code page."""
    if not raw:
        return ""
    cch = raw[0]
    if version == 5:
        try:
            return raw[1:1 + cch].decode(_PYTHON_CODEPAGES.get(codepage, f"cp{codepage}"), "replace")
        except LookupError:
            return raw[1:1 + cch].decode("cp1252", "replace")
    flags = raw[1] if len(raw) > 1 else 0
    if flags & 1:
        return raw[2:2 + 2 * cch].decode("utf-16-le", "replace")
    return raw[2:2 + cch].decode("latin-1")


_PYTHON_CODEPAGES = {1200: "utf-16-le", 10000: "mac_roman", 32768: "mac_roman", 32769: "cp1252", 367: "ascii"}


def _substream_bounds(stream: bytes, pos: int, until: int,
                      version: int) -> tuple[tuple[str, str] | None, bool] | None:
    """One sheet from its BOF to its EOF: (("large", reason) when its cells span too large a grid, whether a
    DIMENSIONS record is inverted or declares too large an area); None when its records run into ``until``
    (the next sheet's offset) other than on a BOF there, so that two sheets would share records."""
    cells = _BIFF_CELLS[version]
    rows: list[int] = []
    cols: list[int] = []
    dims_bad = False
    for i, (at, rtype, body) in enumerate(_records(stream, pos)):
        if at >= until and i > 0 and (at > until or rtype != _BIFF_BOF):
            return None
        if rtype == _BIFF_EOF or (rtype == _BIFF_BOF and i > 0):
            break
        if rtype in cells and len(body) >= 4:
            r, c = _RECORD.unpack_from(body)
            rows.append(r)
            cols.append(c)
        elif rtype in _BIFF_RUNS and len(body) >= 6:
            r, c = _RECORD.unpack_from(body)
            rows.append(r)
            cols.extend((c, struct.unpack_from("<H", body, len(body) - 2)[0]))
        elif rtype == _BIFF_DIM and len(body) >= 8:
            # calamine reserves (last - first row) × (last - first column) cells from this record at open;
            # an inverted one wraps around to billions. BIFF8 rows are 32-bit, BIFF5 ones 16-bit.
            r1, r2, c1, c2 = struct.unpack_from("<IIHH" if len(body) >= 12 else "<HHHH", body)
            dims_bad |= r2 < r1 or c2 < c1 or (r2 - r1) * (c2 - c1) > MAX_SHEET_CELLS
    return _cells_problem(rows, cols), dims_bad


def _cells_problem(rows: list[int], cols: list[int]) -> tuple[str, str] | None:
    """The grid from the first to the last cell row and column, when it is too large."""
    if rows:
        height, width = max(rows) - min(rows) + 1, max(cols) - min(cols) + 1
        if height * width > MAX_SHEET_CELLS:
            return "large", f"vùng dữ liệu {height:,} hàng × {width:,} cột".replace(",", ".")
    return None


EXCEL_DEFAULT_KEY = "VelvetSweatshop"  # Excel encrypts with it when no password is set; Excel opens without asking
_OLD_EXCEL = "bảng tính Excel 4.0 trở về trước"


def _sniff_ole(data: bytes, rel: str, decrypted: bool) -> Sniffed:
    try:
        cfb = CompoundFile(data)
    except (ValueError, struct.error, IndexError):
        return _bad("corrupt", rel, reason="cấu trúc tệp Office cũ không hợp lệ hoặc bị cắt cụt")
    lower = {n.lower() for n in cfb.names}
    if "encryptioninfo" in lower or "encryptedpackage" in lower:
        return _encrypted(data, rel, decrypted)
    if "workbook" in lower or "book" in lower:
        # calamine builds each sheet's dense grid from its cell records; a damaged record can ask for
        # 65,536 × 65,536 cells and abort the process, so the records are bounded here first
        try:
            scan = scan_biff(cfb.stream("Workbook" if "workbook" in lower else "Book"))
        except (ValueError, struct.error, IndexError):
            return _bad("corrupt", rel, reason="cấu trúc tệp Excel cũ (.xls) bị hỏng hoặc bị cắt cụt")
        if scan.version < 5:
            return _bad("unsupported-format", rel, reason=_OLD_EXCEL)
        if scan.encrypted:
            return _encrypted(data, rel, decrypted)
        if scan.problem and scan.problem[0] == "too-many-sheets":
            return _bad("too-many-sheets", rel, count=scan.problem[1], limit=MAX_SHEETS)
        if scan.problem:
            return _bad(scan.problem[0], rel, reason=scan.problem[1])
        # calamine parses every sheet of an .xls when it opens it and reserves what DIMENSIONS declares:
        # with an oversized sheet or a bad DIMENSIONS the file goes to the kept .xls reader (xlrd), which
        # reads the other sheets by the cells they hold
        return Sniffed("report", "xls", refused_sheets=scan.refused,
                       calamine_safe=not scan.refused and not scan.dimensions_bad)
    if "worddocument" in lower:
        return _not_report(rel, "văn bản Word (.doc)")
    if "powerpoint document" in lower:
        return _not_report(rel, "bài trình chiếu PowerPoint (.ppt)")
    return _bad("wrong-format", rel, reason="tệp Office cũ nhưng không phải bảng tính Excel")


def _encrypted(data: bytes, rel: str, decrypted: bool) -> Sniffed:
    """An encrypted workbook: opened with Excel's default key when that is the key (as Excel does), else
    refused with what the unit must do."""
    plain = None if decrypted else decrypt_default(data)
    if plain is None:
        return _bad("encrypted", rel)
    result = sniff_bytes(plain, rel, decrypted=True)
    if result.kind == "report":
        result.data = plain
    return result


def decrypt_default(data: bytes) -> bytes | None:
    """The workbook decrypted with Excel's default key (msoffcrypto-tool), or None when that is not its key."""
    try:
        import msoffcrypto
        from msoffcrypto.format.ooxml import OOXMLFile

        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        if isinstance(office, OOXMLFile):  # a wrong key would decrypt to noise without the check
            office.load_key(password=EXCEL_DEFAULT_KEY, verify_password=True)
        else:
            office.load_key(password=EXCEL_DEFAULT_KEY)
        out = io.BytesIO()
        office.decrypt(out)
    except Exception:  # noqa: BLE001 -- msoffcrypto raises its own errors and others for damaged files
        return None
    plain = out.getvalue()
    return plain if 0 < len(plain) <= MAX_FILE_BYTES else None


def sniff(data: bytes, rel: str) -> Sniffed:
    """Classify a file's bytes and keep them on the result for the parser (decrypted when Excel's default
    key opened them)."""
    result = sniff_bytes(data, rel)
    if result.kind == "report" and not result.data:
        result.data = data
    return result


def sniff_archive(data: bytes, rel: str) -> Sniffed:
    """The zip bounds of :func:`sniff_bytes` (members, declared sizes, ratio, paths, encryption) for a zip of
    several returns handed over at once (``intake``), without the bound on one return's size."""
    return _sniff_zip(data, rel, PurePosixPath(rel.lower()).suffix)
