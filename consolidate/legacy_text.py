"""Vietnamese typed in the old 8-bit font encodings (TCVN3/ABC, VNI Windows), found and turned into Unicode.

Before Unicode, Vietnamese was typed with fonts that draw Vietnamese letters on the code points of
Western letters: a cell typed in ``.VnTime`` holds "Tr\u00adêng TiÓu häc" and shows "Trường Tiểu học" only
in that font. The tables are facts and live in ``data/legacy_encodings.toml``; this module decodes with
them and decides, cell by cell, whether a text is in such an encoding:

- by the cell's font where the file keeps it (xlsx styles and shared-string runs, xls FONT/XF records, ods
  styles): a font of the ``.Vn…`` family is TCVN3 (its ``…H`` members show capitals), ``VNI-…`` is VNI.
  The styles are read only when the file declares such a font, so a Unicode file costs one look at its
  font list;
- by the text itself otherwise: only a text made of Windows-1252 characters (what these encodings produce)
  is a candidate, never one holding a letter only Unicode Vietnamese has (ư, ạ, đ…) or another script; it
  is converted when its decoded words are Vietnamese syllables and some of its own words are not (a word
  of French or German, or a Vietnamese word written with Latin-1 letters only, stays as it is). A text
  that reads as Vietnamese both ways is converted only in a file whose other cells are plainly in that
  encoding.

python-calamine does not give fonts; the styles are read here from the bytes sniff.py has checked (zip
members within its bounds, the .xls Workbook stream through its compound-file reader), with defusedxml
for the XML parts. No library reads only the few records needed: openpyxl/xlrd/odfpy would parse the
whole workbook again, on every file with a legacy font.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import sys
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from consolidate.issues import Issue, make

if TYPE_CHECKING:
    from consolidate.reader import Sheet

Encoding = Literal["tcvn3", "tcvn3h", "vni"]
ENCODING_NAMES: dict[str, str] = {"tcvn3": "TCVN3", "tcvn3h": "TCVN3", "vni": "VNI"}
TABLES = Path(__file__).parent / "data" / "legacy_encodings.toml"


# ------------------------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class _Codec:
    tcvn3: dict[int, str]  # str.translate table: legacy character → Unicode letter
    tcvn3_encode: dict[str, str]
    vni: dict[str, str]  # legacy spelling (1 or 2 characters) → Unicode letter
    vni_encode: dict[str, str]
    vni_pattern: re.Pattern[str]
    legacy_chars: frozenset[str]  # every character the two tables use outside ASCII


@lru_cache(maxsize=1)
def _codec() -> _Codec:
    data = tomllib.loads(TABLES.read_text(encoding="utf-8"))
    tcvn3_encode = {unicodedata.normalize("NFC", k): v for k, v in data["tcvn3"].items()}
    vni_encode = {unicodedata.normalize("NFC", k): v for k, v in data["vni"].items()}
    tcvn3 = {ord(v): k for k, v in tcvn3_encode.items()}
    vni = {v: k for k, v in vni_encode.items()}
    # longest spelling first: "ôù" (ớ) before "ô" (ơ)
    pattern = re.compile("|".join(re.escape(s) for s in sorted(vni, key=len, reverse=True)))
    legacy = frozenset(c for s in (*tcvn3_encode.values(), *vni_encode.values()) for c in s if not c.isascii())
    return _Codec(tcvn3, tcvn3_encode, vni, vni_encode, pattern, legacy)


def _upper(text: str) -> str:
    """Capitals as an ``…H`` font draws them, one character for one ("ß" stays, it is not "SS")."""
    return "".join(u if len(u := ch.upper()) == 1 else ch for ch in text)


def decode(text: str, encoding: Encoding) -> str:
    """Unicode NFC of a text typed in a legacy encoding ("tcvn3", "tcvn3h" for the ``…H`` fonts, "vni")."""
    codec = _codec()
    if encoding == "vni":
        out = codec.vni_pattern.sub(lambda m: codec.vni[m.group()], text)
    else:
        out = text.translate(codec.tcvn3)
        if encoding == "tcvn3h":
            out = _upper(out)
    return unicodedata.normalize("NFC", out)


def encode(text: str, encoding: Encoding) -> str:
    """A Unicode text as a legacy font stores it (the inverse of :func:`decode` for Vietnamese text).

    For "tcvn3h" the capitals are written with the lower-case codes the ``…H`` fonts draw as capitals;
    "tcvn3" has no capital with a tone mark and raises ValueError for one."""
    codec = _codec()
    table = codec.vni_encode if encoding == "vni" else codec.tcvn3_encode
    out = []
    for ch in unicodedata.normalize("NFC", text):
        key = ch.lower() if encoding == "tcvn3h" else ch
        if key in table:
            out.append(table[key])
        elif ch.isascii():
            out.append(ch.lower() if encoding == "tcvn3h" else ch)
        elif _is_vietnamese_only(ch) or unicodedata.normalize("NFD", ch) != ch:
            raise ValueError(f"{ch!r} has no code in {encoding}")
        else:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------------ letters

# the letters only Unicode Vietnamese writes (not in Windows-1252), and combining marks: a text holding one
# was typed in Unicode, whatever else it holds
_VIETNAMESE_ONLY = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
                              "\u1ea0-\u1ef9\u0300-\u036f]")
_CP1252_EXTRA = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", "ignore"))


def _is_vietnamese_only(ch: str) -> bool:
    return _VIETNAMESE_ONLY.match(ch) is not None


def _only_cp1252(text: str) -> bool:
    """Every character is one a legacy font's text can hold (Latin-1 or Windows-1252)."""
    return all(ch <= "\u00ff" or ch in _CP1252_EXTRA for ch in text)


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_INITIAL = "(?:ngh|ng|gh|nh|ch|kh|ph|th|tr|gi|qu|[bcdđghklmnpqrstvx])?"  # q before "uy": quỳnh
# vowel groups (toneless) that take no final consonant: they end in a semivowel
_OPEN = ("ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu iêu yêu oai oay oao oeo uây uôi ươi ươu uyu "
         "ia ua ưa uya").split()
_CLOSED = "a ă â e ê i o ô ơ u ư iê oa oă oe oo uâ uê uô uơ uy ươ yê uyê".split()
_SYLLABLE = re.compile(
    f"(?:(?:[hklmstv]|qu)?y|{_INITIAL}(?:(?:{'|'.join(sorted(_OPEN, key=len, reverse=True))})"
    f"|(?:{'|'.join(sorted(_CLOSED, key=len, reverse=True))})(?:ch|ng|nh|[cmnpt])?))")  # "y" alone: kỳ, lý, mỹ, sỹ, tỷ, hy, vy
_HAS_LETTER = re.compile("[A-Za-z]")
_WORD_SPLIT = re.compile(r"[\x00-\x40\x5b-\x60\x7b-\x7f\s]+")  # ASCII that is not a letter, and spaces


_LETTERS = frozenset(
    unicodedata.normalize("NFC", f(v + t)) for v in ("a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302",
                                                     "o\u031b", "u", "u\u031b", "y")
    for t in ("", *_TONES) for f in (str.lower, str.upper)) | set("đĐbcdghklmnpqrstvxBCDGHKLMNPQRSTVX")


@lru_cache(maxsize=8192)
def is_syllable(word: str) -> bool:
    """A Vietnamese syllable: its letters only, one tone mark at most, an initial, a vowel group, a final;
    one case pattern."""
    if not word or not (word.islower() or word.isupper() or word.istitle()) or not _LETTERS.issuperset(word):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(ch in _TONES for ch in decomposed) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return _SYLLABLE.fullmatch(toneless) is not None


def syllable_share(texts: Iterable[str]) -> float:
    """The share of the words written with a non-ASCII letter that are Vietnamese syllables (0 when none):
    how much a reading of unknown bytes looks like Vietnamese."""
    words = [w for t in texts for w in re.split(r"[\W\d_]+", t) if w and not w.isascii()]
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


# ---------------------------------------------------------------------------------------- detection

@dataclass(frozen=True)
class Reading:
    """What the text says about itself: the encoding it reads as, and whether plainly (``clear``)."""

    encoding: Encoding
    text: str  # the decoded text
    clear: bool  # some of its own words are no Vietnamese, all decoded ones are


def _judge(text: str, encoding: Encoding) -> Reading | None:
    decoded = decode(text, encoding)
    if decoded == text:
        return None
    tokens = [t for t in _WORD_SPLIT.split(text) if t]
    changed = valid_after = gained = 0
    words = kept = 0
    for token in tokens:
        after = decode(token, encoding)
        ok_after = is_syllable(after)
        if after != token:
            changed += 1
            valid_after += ok_after
            # a lone symbol ("½", "©") that happens to decode to a letter is no evidence
            gained += ok_after and not is_syllable(token) and _HAS_LETTER.search(token) is not None
        if token.isascii() and token.isupper():
            continue  # an abbreviation (UBND, PTDTBT, THCS) is no evidence either way
        words += 1
        kept += ok_after
    if not changed or valid_after * 10 < changed * 9 or kept * 10 < words * 6:
        return None
    return Reading(encoding, decoded, gained > 0)


@lru_cache(maxsize=16384)
def read_text(text: str) -> tuple[Reading, ...]:
    """How a text of unknown font may read: one plain reading (TCVN3 or VNI), the readings a file's other
    cells must choose between, or none for Unicode, ASCII or another language."""
    if text.isascii() or _VIETNAMESE_ONLY.search(text) or not _only_cp1252(text):
        return ()
    codec = _codec()
    if not any(ch in codec.legacy_chars for ch in text):
        return ()
    readings = tuple(r for r in (_judge(text, "tcvn3"), _judge(text, "vni")) if r is not None)
    clear = tuple(r for r in readings if r.clear)
    if len(clear) == 1:
        return clear
    return tuple(Reading(r.encoding, r.text, False) for r in readings)


def font_encoding(font: str | None) -> Encoding | None:
    """The legacy encoding a font draws: ``.VnTime`` → "tcvn3", ``.VnTimeH`` → "tcvn3h", ``VNI-Times`` → "vni"."""
    if not font:
        return None
    name = font.strip().strip("'\"").lower()
    if name.startswith(".vn"):
        return "tcvn3h" if name.endswith("h") else "tcvn3"
    if name.startswith(("vni-", "vni ")):
        return "vni"
    return None


def convert_runs(text: str, runs: Runs) -> str | None:
    """The Unicode of a cell written in runs of several fonts, run by run (None as :func:`convert_font`)."""
    if "".join(t for t, _, _ in runs) != text:
        return None  # not the text the reader has: leave the cell to the text itself
    parts = [convert_font(t, enc) if enc is not None else None for t, enc, _ in runs]
    out = "".join(p if p is not None else t for p, (t, _, _) in zip(parts, runs))
    return unicodedata.normalize("NFC", out) if out != text else None


def convert_font(text: str, encoding: Encoding) -> str | None:
    """The Unicode of a text in a cell whose font is a legacy one, or None when it is to be left alone
    (typed in Unicode over the old font, another script, or nothing to change)."""
    if _VIETNAMESE_ONLY.search(text) or not _only_cp1252(text):
        return None
    decoded = decode(text, encoding)
    return decoded if decoded != text else None


# ---------------------------------------------------------------------------------------- the files

CellFonts = dict[str, dict[tuple[int, int], "Encoding | Runs"]]  # sheet → (row, col) 0-based → encoding or runs
_DECLARED_NAMES = (b".vn", b"vni-", b"vni ", b".\x00v\x00n\x00", b"v\x00n\x00i\x00-\x00", b"v\x00n\x00i\x00 \x00")


def _declares(raw: bytes) -> bool:
    """Whether bytes name a legacy font (in one-byte or UTF-16 text): a cheap look before any parsing."""
    low = raw.lower()
    return any(name in low for name in _DECLARED_NAMES)


def cell_fonts(data: bytes, fmt: str | None) -> CellFonts:
    """The cells of a workbook whose font is a legacy one; empty when the file declares no such font.

    Never raises for a damaged file: whatever cannot be read leaves those cells to the text itself."""
    try:
        if fmt == "xlsx":
            return _xlsx_fonts(data)
        if fmt == "xls":
            return _xls_fonts(data) if _declares(data) else {}
        if fmt == "ods":
            return _ods_fonts(data)
    except Exception:  # noqa: BLE001  # the styles are a hint: a part that does not parse is no problem of the report
        return {}
    return {}


def _parse_xml(raw: bytes):  # noqa: ANN202
    from defusedxml.ElementTree import fromstring

    return fromstring(raw)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_XLSX_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.S)
_XLSX_ATTR = re.compile(rb"\b(r|s|t)=\"([^\"]*)\"")
_XLSX_V = re.compile(rb"<(?:\w+:)?v>(\d+)</")
_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _xlsx_fonts(data: bytes) -> CellFonts:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = {n.lower(): n for n in zf.namelist()}
        styles = zf.read(names["xl/styles.xml"]) if "xl/styles.xml" in names else b""
        strings = zf.read(names["xl/sharedstrings.xml"]) if "xl/sharedstrings.xml" in names else b""
        if not (_declares(styles) or _declares(strings)):
            # a legacy font named only in a cell's own runs (inline rich text) is found in its sheet
            if not any(b"rFont" in (body := zf.read(part)) and _declares(body)
                       for _, part in _xlsx_sheet_parts(zf, names)):
                return {}
        xf_enc = _xlsx_xf_encodings(styles) if styles else {}
        sst_runs = _xlsx_runs(strings) if _declares(strings) else {}
        out: CellFonts = {}
        for sheet, part in _xlsx_sheet_parts(zf, names):
            body = zf.read(part)
            cells: dict[tuple[int, int], Encoding | Runs] = {}
            for m in _XLSX_CELL.finditer(body):
                attrs = dict(_XLSX_ATTR.findall(m.group(1)))
                ref = attrs.get(b"r")
                if ref is None:
                    continue
                runs = None
                kind, inner = attrs.get(b"t"), m.group(3)
                if kind == b"s" and sst_runs and inner:
                    v = _XLSX_V.search(inner)
                    runs = sst_runs.get(int(v.group(1))) if v else None
                elif kind == b"inlineStr" and inner and b"rFont" in inner:
                    runs = _inline_runs(inner)
                enc = _cell_spec(runs, xf_enc.get(int(attrs.get(b"s") or 0)))
                if enc is not None:
                    rc = _REF.fullmatch(ref.decode())
                    if rc:
                        cells[(int(rc.group(2)) - 1, _col(rc.group(1)))] = enc
            if cells:
                out[sheet] = cells
        return out


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _xlsx_xf_encodings(styles: bytes) -> dict[int, Encoding]:
    root = _parse_xml(styles)
    fonts: list[Encoding | None] = []
    xfs: dict[int, Encoding] = {}
    for child in root:
        tag = _local(child.tag)
        if tag == "fonts":
            for font in child:
                name = next((el.get("val") for el in font if _local(el.tag) == "name"), None)
                fonts.append(font_encoding(name))
        elif tag == "cellXfs":
            for i, xf in enumerate(child):
                fid = int(xf.get("fontId", "0") or 0)
                enc = fonts[fid] if 0 <= fid < len(fonts) else None
                if enc is not None:
                    xfs[i] = enc
    return xfs


Run = tuple[str, "Encoding | None", bool]  # text, its font's encoding, whether the run names a font
Runs = tuple[Run, ...]


def _xlsx_runs(strings: bytes) -> dict[int, Runs]:
    """Shared strings written in runs of which one names a legacy font: their runs."""
    out: dict[int, Runs] = {}
    for i, si in enumerate(_parse_xml(strings)):
        runs = _runs_of(si)
        if runs is not None:
            out[i] = runs
    return out


def _runs_of(si) -> Runs | None:  # noqa: ANN001  (an <si> or <is> element)
    """The runs of a rich string when one of them names a legacy font, else None."""
    runs: list[Run] = []
    legacy = False
    for r in si:
        if _local(r.tag) != "r":
            continue
        font = None
        text = ""
        for el in r.iter():
            tag = _local(el.tag)
            if tag == "rFont":
                font = el.get("val")
            elif tag == "t":
                text += el.text or ""
        enc = font_encoding(font)
        legacy = legacy or enc is not None
        runs.append((text, enc, font is not None))
    return tuple(runs) if legacy else None


def _inline_runs(body: bytes) -> Runs | None:
    """The runs of an inline rich string (``<is><r>…``) in a cell's XML."""
    try:
        root = _parse_xml(b"<c>" + body + b"</c>")
    except Exception:  # noqa: BLE001  # a prefixed element without its namespace: no font from it
        return None
    si = next((el for el in root if _local(el.tag) == "is"), None)
    return _runs_of(si) if si is not None else None


def _cell_spec(runs: Runs | None, cell_enc: Encoding | None) -> Encoding | Runs | None:
    """One encoding for the cell, or its runs each with the encoding it is drawn in (None: Unicode)."""
    if runs is None:
        return cell_enc
    resolved = tuple((text, enc if named else cell_enc, True) for text, enc, named in runs)
    kinds = {enc for text, enc, _ in resolved if text.strip()}
    if len(kinds) == 1:
        return kinds.pop()
    return resolved


def _xlsx_sheet_parts(zf: zipfile.ZipFile, names: dict[str, str]) -> Iterable[tuple[str, str]]:
    wb = _parse_xml(zf.read(names["xl/workbook.xml"]))
    rels = _parse_xml(zf.read(names["xl/_rels/workbook.xml.rels"])) if "xl/_rels/workbook.xml.rels" in names else []
    targets = {el.get("Id"): el.get("Target", "") for el in rels}
    for el in wb.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        part = names.get(path.lower())
        if part is not None:
            yield el.get("name", ""), part


# .xls (BIFF8): FONT and XF records of the globals, the cell records of each sheet
_FONT, _XF, _BOUNDSHEET, _BOF, _EOF, _SST, _CONTINUE = 0x0031, 0x00E0, 0x0085, 0x0809, 0x000A, 0x00FC, 0x003C
_XLS_TEXT_CELLS = {0x00FD, 0x0204, 0x00D6}  # LABELSST, LABEL, RSTRING: row, col, xf in their first six bytes


def _xls_fonts(data: bytes) -> CellFonts:
    from consolidate.sniff import CompoundFile

    cfb = CompoundFile(data)
    lower = {n.lower() for n in cfb.names}
    return biff_fonts(cfb.stream("Workbook" if "workbook" in lower else "Book"))


def biff_fonts(stream: bytes) -> CellFonts:
    """:func:`cell_fonts` of an .xls Workbook stream: BIFF8 (Excel 97 and later) or BIFF5 (Excel 95, whose
    font and sheet names are byte strings)."""
    biff8 = len(stream) < 6 or struct.unpack_from("<H", stream, 4)[0] != 0x0500
    fonts: list[Encoding | None] = []
    xfs: list[Encoding | None] = []
    sheets: list[tuple[int, str]] = []
    sst: list[bytes] = []  # the SST record and its CONTINUE records
    last = 0
    pos, n = 0, len(stream)
    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if rtype == _SST or (rtype == _CONTINUE and sst and last == _SST):
            sst.append(body)
            last = _SST
            continue
        last = rtype
        if rtype == _FONT and len(body) >= 15:
            fonts.append(font_encoding(_biff_name(body, 14, biff8)))
            if len(fonts) == 4:
                fonts.append(None)  # font index 4 does not exist in BIFF: the fifth FONT record is index 5
        elif rtype == _XF and len(body) >= 2:
            fid = struct.unpack_from("<H", body, 0)[0]
            xfs.append(fonts[fid] if fid < len(fonts) else None)
        elif rtype == _BOUNDSHEET and len(body) >= 7:
            sheets.append((struct.unpack_from("<I", body, 0)[0], _biff_name(body, 6, biff8)))
        elif rtype == _EOF:
            break
    if not any(fonts):
        return {}
    rich = _sst_runs(sst, fonts) if sst else {}
    out: CellFonts = {}
    for offset, name in sheets:
        cells: dict[tuple[int, int], Encoding | Runs] = {}
        pos, first = offset, True
        while pos + 4 <= n:
            rtype, length = struct.unpack_from("<HH", stream, pos)
            if rtype in _XLS_TEXT_CELLS and length >= 6:
                r, c, xf = struct.unpack_from("<HHH", stream, pos + 4)
                runs = None
                if rtype == 0x00FD and length >= 10 and rich:
                    runs = rich.get(struct.unpack_from("<I", stream, pos + 10)[0])
                enc = _cell_spec(runs, xfs[xf] if xf < len(xfs) else None)
                if enc is not None:
                    cells[(r, c)] = enc
            elif rtype == _EOF or (rtype == _BOF and not first):
                break
            first = False
            pos += 4 + length
        if cells:
            out[name] = cells
    return out


def _biff_name(body: bytes, at: int, biff8: bool) -> str:
    """A short string (a font's or a sheet's name) whose length byte is at ``at``: in BIFF8 a flags byte
    follows (two-byte characters or not), in BIFF5 the bytes themselves (the ANSI code page)."""
    cch = body[at]
    if not biff8:
        return body[at + 1:at + 1 + cch].decode("cp1252", "replace")
    flags = body[at + 1] if len(body) > at + 1 else 0
    raw = body[at + 2:at + 2 + cch * (2 if flags & 1 else 1)]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")


class _Segments:
    """Bytes of a record continued over CONTINUE records, read across their borders."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts, self.i, self.pos = parts, 0, 0

    def _room(self) -> int:
        while self.i < len(self.parts) and self.pos >= len(self.parts[self.i]):
            self.i, self.pos = self.i + 1, 0
        if self.i >= len(self.parts):
            raise ValueError("SST ends early")
        return len(self.parts[self.i]) - self.pos

    def take(self, k: int) -> bytes:
        out = b""
        while k > 0:
            room = self._room()
            got = self.parts[self.i][self.pos:self.pos + min(k, room)]
            self.pos += len(got)
            out, k = out + got, k - len(got)
        return out

    def chars(self, cch: int, high: bool) -> str:
        """``cch`` characters; a CONTINUE in the middle starts with its own high-byte flag."""
        out = []
        while cch > 0:
            if self.i >= len(self.parts):
                raise ValueError("SST ends early")
            part = self.parts[self.i]
            if self.pos >= len(part):  # the characters go on in the next CONTINUE, after its own flag
                self.i, self.pos = self.i + 1, 1
                if self.i >= len(self.parts) or not self.parts[self.i]:
                    raise ValueError("SST ends early")
                high = bool(self.parts[self.i][0] & 1)
                continue
            width = 2 if high else 1
            k = min(cch, (len(part) - self.pos) // width)
            if k == 0:
                raise ValueError("a character split over two records")
            out.append(part[self.pos:self.pos + k * width].decode("utf-16-le" if high else "latin-1", "replace"))
            self.pos += k * width
            cch -= k
        return "".join(out)


def _sst_runs(parts: list[bytes], fonts: list[Encoding | None]) -> dict[int, Runs]:
    """The shared strings of an .xls written in runs of which one is in a legacy font: their runs. A string
    that cannot be read leaves the rest to the cells' own fonts."""
    out: dict[int, Runs] = {}
    seg = _Segments(parts)
    try:
        _total, unique = struct.unpack("<II", seg.take(8))
        for index in range(unique):
            cch, flags = struct.unpack("<HB", seg.take(3))
            runs_n = struct.unpack("<H", seg.take(2))[0] if flags & 0x08 else 0
            ext = struct.unpack("<I", seg.take(4))[0] if flags & 0x04 else 0
            text = seg.chars(cch, bool(flags & 0x01))
            marks = [struct.unpack("<HH", seg.take(4)) for _ in range(runs_n)]
            seg.take(ext)
            if not any(f < len(fonts) and fonts[f] for _, f in marks):
                continue
            pieces: list[Run] = []
            edges = [(0, None)] + [(ich, f) for ich, f in marks]
            for k, (start, font) in enumerate(edges):
                end = edges[k + 1][0] if k + 1 < len(edges) else len(text)
                if end > start:
                    enc = fonts[font] if font is not None and font < len(fonts) else None
                    pieces.append((text[start:end], enc, font is not None))
            out[index] = tuple(pieces)
    except (ValueError, struct.error, IndexError):
        pass
    return out


# .ods: cell styles (automatic in content.xml, named in styles.xml) → font face → family
_ODS_NS_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_ODS_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_NS_SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"


def _ods_fonts(data: bytes) -> CellFonts:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        content = zf.read("content.xml")
        styles = zf.read("styles.xml") if "styles.xml" in zf.namelist() else b""
    if not (_declares(content) or _declares(styles)):
        return {}
    st, ta, svg = f"{{{_ODS_NS_STYLE}}}", f"{{{_ODS_NS_TABLE}}}", f"{{{_ODS_NS_SVG}}}"
    roots = [_parse_xml(styles)] if styles else []
    roots.append(_parse_xml(content))
    faces: dict[str, str] = {}
    parent: dict[str, str | None] = {}
    font_of: dict[str, str] = {}
    span_font: dict[str, str] = {}  # text styles (of spans inside a cell) → font face
    for root in roots:
        for el in root.iter():
            tag = _local(el.tag)
            if tag == "font-face":
                faces[el.get(f"{st}name", "")] = el.get(f"{svg}font-family", "") or el.get(f"{st}name", "")
            elif tag == "style" and el.get(f"{st}family") == "text":
                for prop in el:
                    if _local(prop.tag) == "text-properties" and prop.get(f"{st}font-name"):
                        span_font[el.get(f"{st}name", "")] = prop.get(f"{st}font-name", "")
            elif tag in ("style", "default-style") and el.get(f"{st}family") == "table-cell":
                name = el.get(f"{st}name", "") if tag == "style" else ""
                parent[name] = el.get(f"{st}parent-style-name", "" if name else None)
                for prop in el:
                    if _local(prop.tag) == "text-properties" and prop.get(f"{st}font-name"):
                        font_of[name] = prop.get(f"{st}font-name", "")

    @lru_cache(maxsize=None)
    def style_encoding(name: str | None) -> Encoding | None:
        seen = 0
        while name is not None and seen < 32:
            if name in font_of:
                face = font_of[name]
                return font_encoding(faces.get(face, face))
            name, seen = parent.get(name), seen + 1
        return None

    out: CellFonts = {}
    content_root = roots[-1]
    for table in content_root.iter(f"{ta}table"):
        cells: dict[tuple[int, int], Encoding] = {}
        column_styles: list[str | None] = []
        row_at = 0
        for el in table.iter():
            tag = _local(el.tag)
            if tag == "table-column":
                rep = min(int(el.get(f"{ta}number-columns-repeated", "1")), 1024)
                column_styles.extend([el.get(f"{ta}default-cell-style-name")] * rep)
            elif tag == "table-row":
                rows = int(el.get(f"{ta}number-rows-repeated", "1"))
                col_at = 0
                for cell in el:
                    ctag = _local(cell.tag)
                    if ctag not in ("table-cell", "covered-table-cell"):
                        continue
                    reps = int(cell.get(f"{ta}number-columns-repeated", "1"))
                    if cell.get(f"{{urn:oasis:names:tc:opendocument:xmlns:office:1.0}}value-type") == "string":
                        style = cell.get(f"{ta}style-name")
                        if style is None and col_at < len(column_styles):
                            style = column_styles[col_at]
                        enc = style_encoding(style if style is not None else "Default")
                        runs = _ods_runs(cell, enc, span_font, faces) if span_font else None
                        if runs is not None:
                            cells[(row_at, col_at)] = runs
                        elif enc is not None:
                            for k in range(min(reps, 1024)):
                                cells[(row_at, col_at + k)] = enc
                    col_at += reps
                row_at += rows
        if cells:
            out[table.get(f"{ta}name", "")] = cells
    return out


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _ods_runs(cell, cell_enc: Encoding | None, span_font: dict[str, str],  # noqa: ANN001
              faces: dict[str, str]) -> Encoding | Runs | None:
    """A cell's paragraphs as runs when one of its spans is in a font of its own (None otherwise)."""
    style_key = f"{{{_TEXT_NS}}}style-name"
    runs: list[Run] = []
    spans = False
    for i, para in enumerate(p for p in cell if _local(p.tag) == "p"):
        if i:
            runs.append(("\n", cell_enc, True))
        runs.append((para.text or "", cell_enc, True))
        for child in para:
            enc = cell_enc
            if _local(child.tag) == "span" and child.get(style_key) in span_font:
                face = span_font[child.get(style_key)]
                enc = font_encoding(faces.get(face, face))
                spans = True
            if _local(child.tag) in ("span", "a"):
                runs.append(("".join(child.itertext()), enc, True))
            elif _local(child.tag) == "s":
                runs.append((" " * int(child.get(f"{{{_TEXT_NS}}}c", "1")), cell_enc, True))
            runs.append((child.tail or "", cell_enc, True))
    return _cell_spec(tuple(runs), cell_enc) if spans else None


# ------------------------------------------------------------------------------------------ sheets

Key = tuple[object, int, int]  # (sheet, grid row, grid column)


def _decide(cells: list[tuple[Key, str, Encoding | Runs | None]]) -> list[tuple[Key, str, Encoding]]:
    """Which cells to convert, to what and from which encoding: by font where one is known, else by text;
    a text that reads as Vietnamese both ways follows the file, when every plain case in the file is in
    that one encoding and nothing in it was typed in Unicode."""
    decided: list[tuple[Key, str, Encoding]] = []
    undecided: list[tuple[Key, tuple[Reading, ...]]] = []
    seen: set[str] = set()
    unicode_cells = 0
    for key, value, spec in cells:
        if isinstance(spec, tuple):  # rich text in several fonts
            new = convert_runs(value, spec)
            if new is not None:
                first = next(e for _, e, _ in spec if e is not None)
                decided.append((key, new, first))
                seen.add(first.rstrip("h"))
                continue
            spec = None
        if spec is not None:
            new = convert_font(value, spec)
            if new is not None:
                decided.append((key, new, spec))
                seen.add(spec.rstrip("h"))
            continue
        readings = read_text(value)
        if not readings:
            unicode_cells += bool(_VIETNAMESE_ONLY.search(value))
        elif readings[0].clear:
            decided.append((key, readings[0].text, readings[0].encoding))
            seen.add(readings[0].encoding)
        else:
            undecided.append((key, readings))
    if len(seen) == 1 and not unicode_cells:
        for key, readings in undecided:
            chosen = next((rd for rd in readings if rd.encoding in seen), None)
            if chosen is not None:
                decided.append((key, chosen.text, chosen.encoding))
    return decided


def convert_sheets(sheets: list[Sheet], data: bytes, fmt: str | None, rel: str) -> list[Issue]:
    """Turn every legacy-encoded text cell of the sheets into Unicode, in place; one information issue per
    converted cell. Unicode, ASCII and other languages are left exactly as they are."""
    # the distinct texts first: a Unicode or ASCII file stops here, at ~0.1 ms
    distinct = _non_ascii_texts(sheets)
    if not distinct or not _worth_the_fonts(distinct):
        return []  # nothing says legacy (no plain reading, so no font is read): a text that reads as
        # Vietnamese both ways stays as it is
    fonts = cell_fonts(data, fmt)
    if not any(fonts.values()) and not any(r and r[0].clear for r in map(read_text, distinct)):
        return []
    everything = any(fonts.values())  # an …H font shows plain ASCII as capitals: every text cell is looked at
    cells = [((sheet, r, c), v, fonts.get(sheet.name, {}).get((sheet.first_row + r, sheet.first_col + c)))
             for sheet in sheets for r, row in enumerate(sheet.rows) for c, v in enumerate(row)
             if v.__class__ is str and (everything or v in distinct)]
    issues = []
    for (sheet, r, c), new, enc in _decide(cells):
        sheet.rows[r][c] = new  # type: ignore[attr-defined]
        issues.append(make("legacy-encoding", file=rel, sheet=sheet.name, cell=sheet.address(r, c),  # type: ignore[attr-defined]
                           value=_preview(new), encoding=ENCODING_NAMES[enc]))
    return issues


def _non_ascii_texts(sheets: list[Sheet]) -> set[str]:
    """The distinct texts of the sheets with a character beyond ASCII."""
    rows = itertools.chain.from_iterable(sheet.rows for sheet in sheets)
    try:
        values: Iterable[object] = set().union(*rows)  # each distinct value once, the same label of every row
    except TypeError:  # an unhashable value (calamine and the kept readers give none)
        values = [v for sheet in sheets for row in sheet.rows for v in row]
    return {v for v in values if v.__class__ is str and not v.isascii()}  # type: ignore[misc]


def convert_grid(rows: list[list[str]], data: bytes | None = None, fmt: str | None = None,
                 sheet: str | None = None) -> int:
    """Turn the legacy-encoded texts of a grid read from A1 (the unit list) into Unicode, in place, by the
    fonts of ``sheet`` in the file's bytes when given, else by the texts; how many cells changed."""
    texts = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v and not v.isascii()]
    fonts: CellFonts = {}
    if data is not None and _worth_the_fonts([v for *_, v in texts]):
        fonts = cell_fonts(data, fmt)
        if fonts.get(sheet or "", {}):
            texts = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v]
    here = fonts.get(sheet or "", {})
    decided = _decide([((None, r, c), v, here.get((r, c))) for r, c, v in texts])
    for (_, r, c), new, _enc in decided:
        rows[r][c] = new
    return len(decided)


def _preview(text: str, limit: int = 60) -> str:
    """The start of a converted text, on one line, for the message."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit - 1].rstrip() + "…"


def _worth_the_fonts(texts: Iterable[str]) -> bool:
    """Whether the file's fonts are worth reading: some text reads plainly as legacy text, or reads as
    Vietnamese both ways in a file where nothing is typed in Unicode. A Unicode form always holds letters
    only Unicode has ("hoạt động"), so its styles are never parsed for its few Latin-1 words ("Ghi chú")."""
    texts = list(texts)
    readings = list(map(read_text, texts))
    if not any(readings):  # a Unicode file: every text is Unicode Vietnamese, ASCII or another language
        return False
    if any(r and r[0].clear for r in readings):
        return True
    return not any(_VIETNAMESE_ONLY.search(v) for v in texts)
