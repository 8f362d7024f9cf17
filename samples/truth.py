"""The true figures of a sample folder, written by its ``make_returns.py`` beside the files it makes.

The generator knows what each unit meant to report (it typed the values) and which mistakes it made on
purpose, so it can say, without asking the package, what a correct tool must find: which file stands
for which unit and whether it may be added, each unit's values, and the district's totals over the units
that may be added. The tests compare the CLI, the summary workbook, the Word report and the README with
``expected.json``; nothing here imports ``consolidate``.

Rules applied here are FORM.md's, by hand: a unit is added when its current (newest) file holds the form
with no error; its totals are the ones it wrote (the samples' units always write them); a district total
is the sum over the added units of what they reported, blank where none reported the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

MEASURES = ("count", "people", "amount")


@dataclass
class SentFile:
    """One file of the folder as the generator made it."""

    name: str
    status: str  # accepted | rejected | superseded | unknown_unit | not_a_report | unreadable
    unit: str | None = None
    values: dict[str, dict[str, float | str]] = field(default_factory=dict)  # what the unit meant to report
    why: str = ""  # the mistake made on purpose, in a few words
    parts: tuple[str, ...] = ("form",)  # what the file holds: form, narrative, schedule


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else float(value)


def write_expected(path: Path, unit_codes: list[str], files: list[SentFile], extra: dict | None = None) -> dict:
    """Write ``expected.json``: files, units (status, file, values), counts and totals over accepted units."""
    by_unit: dict[str, SentFile] = {}
    for f in files:
        if f.unit and "form" in f.parts and f.status in ("accepted", "rejected"):
            assert f.unit not in by_unit, f"two current form files for {f.unit}"
            by_unit[f.unit] = f
    units: dict[str, dict] = {}
    for code in unit_codes:
        f = by_unit.get(code)
        if f is None:
            units[code] = {"status": "missing", "file": None, "values": {}}
            continue
        values = {row: {m: _number(v) for m, v in measures.items()} for row, measures in f.values.items()}
        units[code] = {"status": f.status, "file": f.name, "values": values}
    totals: dict[str, dict[str, int | float]] = {}
    for code in unit_codes:
        if units[code]["status"] != "accepted":
            continue
        for row, measures in units[code]["values"].items():
            for m, v in measures.items():
                if m in MEASURES and v is not None:
                    totals.setdefault(row, {})
                    totals[row][m] = totals[row].get(m, 0) + v
    statuses = [u["status"] for u in units.values()]
    counts = {"units": len(unit_codes), **{s: statuses.count(s) for s in ("accepted", "rejected", "missing")},
              "files": len(files)}
    for s in ("superseded", "unknown_unit", "not_a_report", "unreadable"):
        counts[f"files_{s}"] = sum(f.status == s for f in files)
    doc = {
        "about": "Written by make_returns.py from the values it typed into the files; see samples/truth.py.",
        "files": {f.name: {"status": f.status, "unit": f.unit, "parts": list(f.parts), "why": f.why}
                  for f in sorted(files, key=lambda f: f.name)},
        "units": units,
        "counts": counts,
        "totals": {row: dict(sorted(m.items())) for row, m in totals.items()},
        **(extra or {}),
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc
