"""The form definition: rows, measures and total rules, loaded from a TOML file (``data/form.toml``).

Every other stage derives from the :class:`Form` returned here; nothing about a particular row is
written in Python.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from consolidate.text import clean, fold

MEASURES = ("count", "people", "amount", "text")
NUMERIC_MEASURES = ("count", "people", "amount")
MEASURE_NAMES = {
    "count": "Số lớp/số cuộc thi",
    "people": "Người",
    "amount": "Số tiền (đồng)",
    "text": "Nội dung",
}
DEFAULT_FORM = Path(__file__).parent / "data" / "form.toml"


class FormError(Exception):
    """The form definition itself is unusable; stops the whole run."""


@dataclass(frozen=True)
class Row:
    """One row of the form."""

    code: str
    label: str
    unit: str
    measures: tuple[str, ...]
    stt: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def is_header(self) -> bool:
        """A header row carries no value of its own."""
        return not self.measures

    @cached_property  # read for every row of every file
    def numeric_measures(self) -> tuple[str, ...]:
        """The numeric measures of the row, in form order."""
        return tuple(m for m in self.measures if m in NUMERIC_MEASURES)

    @cached_property
    def single_numeric(self) -> str | None:
        """The measure of a row with exactly one numeric measure (typed in either numeric column)."""
        nm = self.numeric_measures
        return nm[0] if len(nm) == 1 else None


@dataclass(frozen=True)
class Rule:
    """A total that must equal the sum of its parts for one measure."""

    total: str
    measure: str
    parts: tuple[str, ...]
    meaning: str = ""


@dataclass(frozen=True)
class Limit:
    """A plausibility ceiling for units of some types (a warning, never an error)."""

    indicator: str
    measure: str
    max: float
    types: tuple[str, ...]
    meaning: str = ""


@dataclass(frozen=True)
class Form:
    """The whole form: identity, rows in order, total rules and plausibility settings."""

    id: str
    version: int
    name: str
    title: str
    subtitle: str
    sheet: str
    rows: tuple[Row, ...]
    rules: tuple[Rule, ...]
    limits: tuple[Limit, ...] = ()
    outlier_threshold: float = 5.0
    outlier_min_units: int = 5
    source: str = field(default="", compare=False)

    @cached_property
    def by_code(self) -> dict[str, Row]:
        """Rows keyed by code."""
        return {r.code: r for r in self.rows}

    def row(self, code: str) -> Row:
        """The row with this code."""
        return self.by_code[code]

    @cached_property
    def value_rows(self) -> tuple[Row, ...]:
        """Rows that carry a value (not headers)."""
        return tuple(r for r in self.rows if not r.is_header)

    @cached_property
    def label_keys(self) -> dict[str, str]:
        """Folded label or alias → row code, for matching rows typed any way."""
        keys: dict[str, str] = {}
        for r in self.rows:
            for text in (r.label, *r.aliases):
                keys[fold(text)] = r.code
        return keys

    def subtitle_for(self, year: int) -> str:
        """The subtitle with the campaign year filled in."""
        return self.subtitle.replace("{year}", str(year))


def _err(where: str, msg: str) -> FormError:
    return FormError(f"Định nghĩa biểu mẫu {where}: {msg}")


def load_form(path: str | Path | None = None) -> Form:
    """Load and check a form definition; the default is the Lifelong Learning Week form."""
    path = Path(path) if path else DEFAULT_FORM
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _err(str(path), "không tìm thấy tệp") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _err(str(path), f"không đọc được ({exc})") from None
    head = data.get("form", {})
    for key in ("id", "version", "title", "sheet"):
        if key not in head:
            raise _err(str(path), f"thiếu khóa [form].{key}")
    rows: list[Row] = []
    seen: set[str] = set()
    labels: dict[str, str] = {}
    for i, raw in enumerate(data.get("rows", []), start=1):
        code = str(raw.get("code", "")).strip()
        label = clean(str(raw.get("label", "")))
        if not code or not label:
            raise _err(str(path), f"hàng thứ {i} thiếu mã (code) hoặc tên (label)")
        if code in seen:
            raise _err(str(path), f"mã hàng {code!r} bị trùng")
        measures = tuple(raw.get("measures", []))
        bad = [m for m in measures if m not in MEASURES]
        if bad:
            raise _err(str(path), f"hàng {code}: loại số liệu không hợp lệ {bad}")
        aliases = tuple(clean(a) for a in raw.get("aliases", []))
        for text in (label, *aliases):
            key = fold(text)
            if key in labels and labels[key] != code:
                raise _err(str(path), f"hàng {code} có tên trùng với hàng {labels[key]}")
            labels[key] = code
        seen.add(code)
        rows.append(Row(code, label, clean(str(raw.get("unit", ""))), measures,
                        str(raw.get("stt", "")), aliases))
    if not rows:
        raise _err(str(path), "không có hàng nào")
    by_code = {r.code: r for r in rows}
    rules: list[Rule] = []
    for raw in data.get("rules", []):
        total, measure = str(raw.get("total", "")), str(raw.get("measure", ""))
        parts = tuple(str(p) for p in raw.get("parts", []))
        for code in (total, *parts):
            if code not in by_code:
                raise _err(str(path), f"quy tắc tổng {total!r} nhắc đến hàng không có: {code!r}")
            if measure not in by_code[code].measures:
                raise _err(str(path), f"quy tắc tổng {total!r}: hàng {code} không có số liệu {measure!r}")
        if not parts:
            raise _err(str(path), f"quy tắc tổng {total!r} không có hàng thành phần")
        rules.append(Rule(total, measure, parts, str(raw.get("meaning", ""))))
    plaus = data.get("plausibility", {})
    limits = []
    for raw in plaus.get("limits", []):
        code, measure = str(raw.get("indicator", "")), str(raw.get("measure", ""))
        if code not in by_code or measure not in by_code[code].measures:
            raise _err(str(path), f"giới hạn hợp lý nhắc đến {code!r}/{measure!r} không có trong biểu")
        limits.append(Limit(code, measure, float(raw["max"]), tuple(raw.get("types", [])),
                            str(raw.get("meaning", ""))))
    return Form(
        id=str(head["id"]), version=int(head["version"]), name=str(head.get("name", head["title"])),
        title=str(head["title"]), subtitle=str(head.get("subtitle", "")), sheet=str(head["sheet"]),
        rows=tuple(rows), rules=tuple(rules), limits=tuple(limits),
        outlier_threshold=float(plaus.get("outlier_threshold", 5.0)),
        outlier_min_units=int(plaus.get("outlier_min_units", 5)), source=str(path),
    )
