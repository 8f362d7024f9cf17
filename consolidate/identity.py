"""The identity a template carries: a hidden key/value sheet that survives LibreOffice's xlsx/xls/ods
saves and that calamine reads in all three formats.

Layout of the sheet ``_dinh_danh`` (hidden, protected): column A keys, column B values, from row 1:

    form_id | form_version | year | unit_code | unit_name | generated_at | saved_at

``saved_at`` holds ``=NOW()``: volatile, so Excel and LibreOffice store the save time as its cached value,
which tells two submissions of one unit apart. Values are written as text except ``saved_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

IDENTITY_SHEET = "_dinh_danh"
KEYS = ("form_id", "form_version", "year", "unit_code", "unit_name", "generated_at", "saved_at")


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
    )
