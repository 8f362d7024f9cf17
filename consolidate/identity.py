"""The identity a template carries: a hidden key/value sheet that survives LibreOffice's xlsx/xls/ods
saves and that calamine reads in all three formats.

Layout of the sheet ``_dinh_danh`` (hidden, protected): column A keys, column B values, from row 1:

    form_id | form_version | year | unit_code | unit_name | generated_at | saved_at

``saved_at`` holds ``=NOW()``: volatile, so Excel and LibreOffice store the save time as its cached value,
which tells two submissions of one unit apart. Values are written as text except ``saved_at``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

IDENTITY_SHEET = "_dinh_danh"
KEYS = ("form_id", "form_version", "year", "unit_code", "unit_name", "generated_at", "saved_at",
        # a district summary's pedigree (summary_rows): kind = "summary", N/M units, unchecked data included
        "kind", "units_merged", "units_total", "include_invalid")


@dataclass(frozen=True)
class Identity:
    """What a returned workbook says about itself."""

    form_id: str
    form_version: int | None
    year: int | None
    unit_code: str
    unit_name: str
    generated_at: dt.datetime | None = None
    saved_at: dt.datetime | None = None
    kind: str = "return"  # "summary" for a district summary (merge)
    units_merged: int | None = None
    units_total: int | None = None
    include_invalid: bool = False


def identity_rows(form_id: str, form_version: int, year: int, unit_code: str, unit_name: str,
                  generated_at: dt.datetime) -> list[tuple[str, str]]:
    """The key/value rows to write (``saved_at`` is written by the template as a formula)."""
    return [
        ("form_id", form_id),
        ("form_version", str(form_version)),
        ("year", str(year)),
        ("unit_code", unit_code),
        ("unit_name", unit_name),
        ("generated_at", generated_at.replace(microsecond=0).isoformat()),
    ]


def _as_int(value: object) -> int | None:
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and 20000 < float(value) < 80000:  # an Excel serial date
        return dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))
    if isinstance(value, str) and value.strip():
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_identity(rows: list[list[object]]) -> Identity | None:
    """Read the key/value grid of an identity sheet (as calamine returns it); None if it is not one."""
    values: dict[str, object] = {}
    for row in rows[:50]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in KEYS:
            values[row[0].strip()] = row[1]
    if "form_id" not in values or "unit_code" not in values:
        return None
    code = values.get("unit_code")
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return Identity(
        form_id=str(values.get("form_id", "")).strip(),
        form_version=_as_int(values.get("form_version")),
        year=_as_int(values.get("year")),
        unit_code=str(code or "").strip(),
        unit_name=str(values.get("unit_name") or "").strip(),
        generated_at=_as_datetime(values.get("generated_at")),
        saved_at=_as_datetime(values.get("saved_at")),
        kind=str(values.get("kind") or "return").strip() or "return",
        units_merged=_as_int(values.get("units_merged")),
        units_total=_as_int(values.get("units_total")),
        include_invalid=_as_int(values.get("include_invalid")) == 1,
    )


# ------------------------------------------------------------------------------------------- evidence
#
# Who sent a file is decided from every piece of evidence it carries, never from the first one found: a unit
# that fills another unit's template (the hidden sheet says one unit, the file name another) must not be
# booked under either without the clerk's word. A new kind of evidence (the sender's address of a fetched
# mail) is one more key of SOURCES and one more Evidence per file; reconcile() does not change.

# source → (strength, Vietnamese name); the strength orders what is shown and what settles a disagreement
SOURCES: dict[str, tuple[int, str]] = {
    "confirmed": (100, "xác nhận của chuyên viên ([xac_nhan] trong tệp đợt báo cáo)"),
    "identity": (40, "trang ẩn _dinh_danh của biểu mẫu"),
    "sender": (30, "địa chỉ người gửi thư"),
    "title": (20, "dòng \"Đơn vị báo cáo\""),
    "filename": (10, "tên tệp"),
}
SOURCE_NAMES = {source: name for source, (_strength, name) in SOURCES.items()}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence about who sent a file: what it says, where, and the unit it names (None: none)."""

    source: str  # a key of SOURCES
    unit: str | None  # the unit code this piece names; None when it names no unit of the list
    said: str  # what is written (a code, a name, a file name, an address)
    where: str = ""  # where it is written ("ô A3", "trang _dinh_danh", "thư nhận lúc …")
    candidates: tuple[str, ...] = ()  # the units it could mean when it names several (then unit is None)

    @property
    def strength(self) -> int:
        """How much this kind of evidence weighs (SOURCES)."""
        return SOURCES.get(self.source, (0, ""))[0]

    @property
    def names(self) -> tuple[str, ...]:
        """Every unit this piece names: its unit, or all its candidates when it names several."""
        return (self.unit,) if self.unit else self.candidates

    @property
    def source_name(self) -> str:
        """The Vietnamese name of the source."""
        return SOURCES.get(self.source, (0, self.source))[1]

    def describe(self) -> str:
        """"tên tệp "X.xlsx" → CS02" for the clerk."""
        where = f" ({self.where})" if self.where else ""
        target = self.unit or (f"nhiều đơn vị ({', '.join(self.candidates)})" if self.candidates
                               else "không khớp đơn vị nào")
        return f"{self.source_name}{where}: \"{self.said}\" → {target}"

    def to_dict(self) -> dict[str, object]:
        """JSON shape (see ``check --json``)."""
        return {"source": self.source, "unit": self.unit, "said": self.said, "where": self.where,
                "strength": self.strength, "candidates": list(self.candidates)}


def reconcile(evidence: list[Evidence]) -> tuple[str | None, bool]:
    """(unit, unconfirmed) from all the evidence of one file.

    The clerk's confirmation decides alone. Otherwise the units every piece names are put together: exactly
    one → that unit (however weak the evidence, e.g. the file name alone); more than one → no unit and
    unconfirmed (the file is "cần xác nhận"). Pieces that name no unit neither confirm nor contradict.

    A piece that names several units (a "Đơn vị báo cáo" line reading "Trường Mầm non Mường Giàng và
    Trường Tiểu học Mường Giàng") names each of them: it is a claim for both, not a vague piece that the
    file name may settle. FORM.md: a workbook that "matches two units is reported, never guessed silently";
    taking the one unit the title and the file name share would be exactly that guess (the numbers may be
    the two schools' together). So it makes the file "cần xác nhận" like any other disagreement — listed
    first, counted for nobody, both units shown as waiting for the clerk — and [xac_nhan] settles it, the
    one place that survives reruns. A lone such piece (a file name "MN01 va TH01") is the same case."""
    confirmed = [e for e in evidence if e.source == "confirmed" and e.unit]
    if confirmed:
        return confirmed[-1].unit, False
    named = {code for e in evidence for code in e.names}
    if len(named) == 1:
        return named.pop(), False
    return None, len(named) > 1


def claims(evidence: list[Evidence]) -> tuple[str, ...]:
    """The units the evidence names, strongest evidence first, each once."""
    out: list[str] = []
    for e in sorted(evidence, key=lambda e: -e.strength):
        for code in e.names:
            if code not in out:
                out.append(code)
    return tuple(out)


def confirm_line(file: str, code: str) -> str:
    """The line of the campaign file's [xac_nhan] table that books ``file`` to unit ``code`` (TOML basic
    strings, which JSON's escaping writes correctly)."""
    return f"{json.dumps(file, ensure_ascii=False)} = {json.dumps(code, ensure_ascii=False)}"


def summary_rows(form_id: str, form_version: int, year: int, district_code: str, district_name: str,
                 created_at: dt.datetime, merged: int, total: int, include_invalid: bool) -> list[tuple[str, str]]:
    """The identity rows of a district summary: a return of the district with its pedigree (how many of its
    units it sums, whether unchecked data was included), which a province's check reads back."""
    return identity_rows(form_id, form_version, year, district_code, district_name, created_at) + [
        ("kind", "summary"),
        ("units_merged", str(merged)),
        ("units_total", str(total)),
        ("include_invalid", "1" if include_invalid else "0"),
    ]
