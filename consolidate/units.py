"""The unit list: who must report. Read from .xlsx/.xls/.ods or .csv with a header row
``Mã đơn vị | Tên đơn vị | Loại | Email`` (or ``code, name, type, email``), checked row by row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from consolidate.issues import Issue, make
from consolidate.legacy_text import convert_grid, syllable_share
from consolidate.text import clean, fold

COLUMNS = {
    "code": ("madonvi", "ma", "madv", "code", "unitcode"),
    "name": ("tendonvi", "ten", "tendv", "name", "unitname"),
    "type": ("loai", "loaidonvi", "type", "kind"),
    "email": ("email", "thudientu", "mail", "diachiemail"),
}
COLUMN_NAMES = {"code": "Mã đơn vị", "name": "Tên đơn vị", "type": "Loại", "email": "Email"}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Unit:
    """A unit that reports: school, commune or other body."""

    code: str
    name: str
    type: str
    email: str
    row: int = 0


@dataclass(frozen=True)
class UnitList:
    """The units of a campaign, in list order."""

    units: tuple[Unit, ...]
    source: str = ""

    def __iter__(self):
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def get(self, code: str) -> Unit | None:
        """The unit with this code (exact, then case-insensitive)."""
        for u in self.units:
            if u.code == code:
                return u
        key = fold(code)
        for u in self.units:
            if fold(u.code) == key:
                return u
        return None

    @property
    def types(self) -> list[str]:
        """Unit types in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.units:
            seen.setdefault(u.type, None)
        return list(seen)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value))


def _read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        raw = path.read_bytes()
        try:
            return _csv_rows(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            pass
        # not UTF-8: Windows-1258 (Excel's CSV on a Vietnamese Windows), or the bytes of an old font (TCVN3,
        # VNI) read as Windows-1252: whichever reads as more Vietnamese words
        try:
            legacy = _csv_rows(raw.decode("cp1252"))
        except UnicodeDecodeError:
            legacy = []
        if legacy and convert_grid(legacy):
            try:
                rows = _csv_rows(raw.decode("cp1258"))
            except UnicodeDecodeError:
                return legacy
            if syllable_share(c for r in legacy for c in r) > syllable_share(c for r in rows for c in r):
                return legacy
            return rows
        return _csv_rows(raw.decode("cp1258"))
    from python_calamine import CalamineWorkbook

    data = path.read_bytes()
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = wb.get_sheet_by_index(0)
    rows = [[_cell_text(c) for c in row] for row in sheet.to_python(skip_empty_area=False)]
    fmt = {".xls": "xls", ".ods": "ods"}.get(suffix, "xlsx")
    convert_grid(rows, data, fmt, wb.sheet_names[0])
    return rows


def _csv_rows(text: str) -> list[list[str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def load_units(path: str | Path) -> tuple[UnitList | None, list[Issue]]:
    """Read and check a unit list; returns (units, []) or (None, issues naming each bad row)."""
    path = Path(path)
    name = path.name
    try:
        rows = _read_rows(path)
    except FileNotFoundError:
        return None, [make("units-unreadable", file=name, reason="không tìm thấy tệp")]
    except Exception as exc:  # any reader failure is a message, not a traceback
        return None, [make("units-unreadable", file=name, reason=f"{type(exc).__name__}: {exc}")]
    # the header is the first row that names at least the code and name columns
    header_at, colmap = -1, {}
    for i, row in enumerate(rows[:20]):
        keys = [fold(c) for c in row]
        found = {}
        for field, names in COLUMNS.items():
            for j, k in enumerate(keys):
                if k in names:
                    found[field] = j
                    break
        if "code" in found or "name" in found:
            header_at, colmap = i, found
            break
    if header_at < 0:
        return None, [make("units-missing-column", file=name, column="Mã đơn vị, Tên đơn vị, Loại, Email")]
    missing = [COLUMN_NAMES[f] for f in COLUMNS if f not in colmap]
    if missing:
        return None, [make("units-missing-column", file=name, column=", ".join(missing))]
    issues: list[Issue] = []
    units: list[Unit] = []
    first_code: dict[str, int] = {}
    first_name: dict[str, int] = {}
    for i, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        get = lambda f: row[colmap[f]] if colmap[f] < len(row) else ""  # noqa: E731
        code, uname, utype, email = get("code"), get("name"), get("type"), get("email")
        if not any((code, uname, utype, email)):
            continue
        if not code:
            issues.append(make("units-empty-code", file=name, row=i))
            continue
        if not uname:
            issues.append(make("units-empty-name", file=name, row=i, value=code))
        key = fold(code)
        if key in first_code:
            issues.append(make("units-duplicate-code", file=name, row=i, value=code, first_row=first_code[key]))
        else:
            first_code[key] = i
        if uname:
            nkey = fold(uname)
            if nkey in first_name:
                issues.append(make("units-duplicate-name", file=name, row=i, value=uname,
                                   first_row=first_name[nkey]))
            else:
                first_name[nkey] = i
        if email and not _EMAIL.match(email):
            issues.append(make("units-bad-email", file=name, row=i, value=email))
        units.append(Unit(code, uname, utype, email, i))
    if not units and not issues:
        issues.append(make("units-empty", file=name))
    if issues:
        return None, issues
    return UnitList(tuple(units), str(path)), []
