"""What a run over a folder produces: one :class:`FileReport` per file, a status per unit, and the long
table of values (:class:`RunResult`); what ``merge`` adds to it (:class:`MergeResult`). Shared by ``check``,
``merge``, ``summary`` and ``report``; their JSON form is the ``--json`` contract."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from consolidate.form import NUMERIC_MEASURES
from consolidate.issues import Issue, count

if TYPE_CHECKING:
    import pandas as pd

    from consolidate.campaign import Campaign
    from consolidate.identity import Evidence
    from consolidate.form import Form
    from consolidate.units import UnitList

FileStatus = Literal["unconfirmed", "accepted", "rejected", "blank", "superseded", "unknown_unit",
                     "not_a_report", "unreadable"]
UnitState = Literal["unconfirmed", "accepted", "rejected", "missing"]

# in the order files are listed: what the clerk must decide first
FILE_STATUS_NAMES = {
    "unconfirmed": "cần xác nhận",  # the evidence of who sent it disagrees; counted for nobody
    "accepted": "hợp lệ",
    "rejected": "có lỗi",
    "blank": "chưa điền",  # an untouched template: never a submission
    "superseded": "đã có bản mới hơn",
    "unknown_unit": "chưa xác định đơn vị",
    "not_a_report": "không phải báo cáo",
    "unreadable": "không đọc được",
}
UNIT_STATE_NAMES = {"unconfirmed": "cần xác nhận", "accepted": "đã nộp hợp lệ", "rejected": "có lỗi",
                    "missing": "chưa nộp"}


@dataclass(frozen=True)
class CellChange:
    """One value that a unit's newer file changed from its older one."""

    indicator: str
    measure: str  # count | people | amount | text
    cell: str | None  # where the new value is (or the old one, when the new is blank)
    old: float | str | None
    new: float | str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"indicator": self.indicator, "measure": self.measure, "cell": self.cell, "old": self.old,
                "new": self.new}

    def describe(self) -> str:
        """"D12 (hàng 1.1): 5 → 7"."""
        def shown(v: float | str | None) -> str:
            if v is None:
                return "(trống)"
            if isinstance(v, float):
                return f"{int(v):,}".replace(",", ".") if v.is_integer() else str(v).replace(".", ",")
            return f"\"{v}\""
        where = f"{self.cell} " if self.cell else ""
        return f"{where}(hàng {self.indicator}): {shown(self.old)} → {shown(self.new)}"

# Columns of the long table: one row per (file, indicator) for every value row found in a file.
# count/people/amount are float64 (NaN = blank, kept apart from 0); text/note are str or None;
# cell_* are true Excel addresses ("D12") of where each value came from, None when blank.
TABLE_COLUMNS = [
    "file", "unit", "indicator", "count", "people", "amount", "text", "note", "sheet",
    "cell_count", "cell_people", "cell_amount", "cell_text", "cell_note",
]


@dataclass
class FileReport:
    """The outcome for one file of the folder."""

    file: str  # path relative to the folder, with forward slashes
    path: Path
    status: FileStatus
    unit: str | None = None
    issues: list[Issue] = field(default_factory=list)
    parts: tuple[str, ...] = ()  # which parts the file holds: "form", "narrative", "schedule"
    saved_at: dt.datetime | None = None  # identity sheet's save time, else the file's modification time
    received_at: dt.datetime | None = None  # the file's modification time
    identity_source: str | None = None  # the strongest source naming the unit (identity.SOURCES)
    evidence: list[Evidence] = field(default_factory=list)  # every piece of evidence of who sent it
    claims: tuple[str, ...] = ()  # units the evidence names (strongest first); several when unconfirmed
    replaces: str | None = None  # the unit's older file with values that this one replaced
    changes: list[CellChange] = field(default_factory=list)  # values changed from ``replaces``
    same_as: list[str] = field(default_factory=list)  # current files of other units with identical values (the first
                                                      # check.SAME_AS_KEPT of them)
    same_count: int = 0  # how many current files of other units have identical values

    @property
    def errors(self) -> int:
        """Number of errors."""
        return count(self.issues, "error")

    @property
    def warnings(self) -> int:
        """Number of warnings."""
        return count(self.issues, "warning")

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a file (see ``check --json``)."""
        return {"file": self.file, "unit": self.unit, "status": self.status,
                "issues": [i.to_dict() for i in self.issues],
                "evidence": [e.to_dict() for e in self.evidence], "claims": list(self.claims),
                "replaces": self.replaces, "changes": [c.to_dict() for c in self.changes],
                "same_as": list(self.same_as), "same_count": self.same_count}


@dataclass
class UnitStatus:
    """Where a unit of the list stands."""

    status: UnitState
    file: str | None = None


@dataclass
class RunResult:
    """Everything ``check`` found in a folder."""

    folder: Path
    campaign: Campaign
    form: Form
    units: UnitList
    files: list[FileReport]
    unit_status: dict[str, UnitStatus]
    # TABLE_COLUMNS of every current file whose form was read (accepted, rejected, unknown_unit; never a
    # superseded one), blank totals filled from their parts; select a unit's rows through unit_status
    table: pd.DataFrame
    extras: dict[str, Any] = field(default_factory=dict)  # schedule, narrative … (issue 6)

    @property
    def issues(self) -> list[Issue]:
        """Every issue of every file, in file order."""
        return [i for f in self.files for i in f.issues]

    @property
    def has_errors(self) -> bool:
        """True when any file has an error."""
        return any(f.errors for f in self.files)

    def accepted_files(self) -> list[FileReport]:
        """Files whose values go into the merge."""
        return [f for f in self.files if f.status == "accepted"]

    def counts(self) -> dict[str, int]:
        """The numbers of the verdict line of ``check``.

        units/accepted/rejected/missing: units of the list by their standing; unknown: files that came in
        but name no unit (status unknown_unit, or unreadable: an unreadable file names nobody).
        """
        states = [s.status for s in self.unit_status.values()]
        return {
            "units": len(self.unit_status),
            "accepted": states.count("accepted"),
            "rejected": states.count("rejected"),
            "missing": states.count("missing"),
            "unconfirmed": states.count("unconfirmed"),
            "unknown": sum(1 for f in self.files if f.status in ("unknown_unit", "unreadable")),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        mail = self.extras.get("mail") or {}  # files fetched by mail: the server's receipt time and the sender

        def file_dict(f: FileReport) -> dict[str, Any]:
            out = f.to_dict()
            record = mail.get(f.file)
            if record is not None:
                out["mail"] = {"received_at": record.received_at.isoformat() if record.received_at else None,
                               "sender": record.sender, "message_id": record.message_id}
            return out

        return {
            "files": [file_dict(f) for f in self.files],
            "units": {code: {"status": s.status, "file": s.file} for code, s in self.unit_status.items()},
            "summary": self.counts(),
        }


def _number(value: object) -> int | float | None:
    """A JSON number: whole values as int, blank as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    f = float(value)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else f


def values_dict(frame: pd.DataFrame) -> dict[str, dict[str, int | float | None]]:
    """{code: {"count": n|None, "people": n|None, "amount": n|None}} of a frame indexed by row code."""
    columns = [frame[m].tolist() for m in NUMERIC_MEASURES]
    return {str(code): {m: _number(v) for m, v in zip(NUMERIC_MEASURES, row)}
            for code, row in zip(frame.index.tolist(), zip(*columns))}


@dataclass
class MergeResult:
    """What ``merge`` did: the check's result, the sums, each unit's values and where the summary went."""

    run: RunResult
    totals: pd.DataFrame
    per_unit: pd.DataFrame
    output: Path
    included_invalid: bool = False
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    issues: list[Issue] = field(default_factory=list)  # found while merging (not tied to one file)

    @cached_property
    def values(self) -> dict[tuple[str, str], dict[str, object]]:
        """{(unit, indicator): {measure: value}} of ``per_unit``, for fast lookups while writing."""
        frame = self.per_unit
        if not len(frame):
            return {}
        cols = list(frame.columns)
        # row tuples zipped by hand: DataFrame.to_dict("index") took a quarter of a second at 1,000 units
        rows = zip(*(frame[c].tolist() for c in cols))
        return {key: dict(zip(cols, row)) for key, row in zip(frame.index.tolist(), rows)}

    def value(self, unit: str, code: str, measure: str) -> object:
        """One unit's value (NaN/None when blank, None when the unit has no read file)."""
        row = self.values.get((unit, code))
        return None if row is None else row.get(measure)

    @property
    def merged_units(self) -> list[str]:
        """Codes of the units whose values are in the sums, in list order."""
        states = ("accepted", "rejected") if self.included_invalid else ("accepted",)
        return [u.code for u in self.run.units if self.run.unit_status[u.code].status in states]

    @property
    def unchecked_included(self) -> bool:
        """Whether the sums hold values of a unit whose file has errors (``--include-invalid`` used on one)."""
        return self.included_invalid and bool(self.units_in("rejected"))

    def identity_rows(self, name: str) -> list[tuple[str, str]]:
        """The hidden identity sheet's rows of the summary (identity.summary_rows): the district's code and
        name, and its pedigree — N/M units summed, whether unchecked data was included."""
        from consolidate.identity import summary_rows

        run = self.run
        return summary_rows(run.form.id, run.form.version, run.campaign.year, run.campaign.code, name,
                            self.created_at, len(self.merged_units), len(run.units), self.unchecked_included)

    def units_in(self, state: str) -> list[str]:
        """Codes of the units in a state ("accepted", "rejected", "missing"), in list order."""
        return [u.code for u in self.run.units if self.run.unit_status[u.code].status == state]

    def unit_values(self) -> dict[str, dict[str, dict[str, int | float | None]]]:
        """{unit: values_dict of its numeric rows} for every unit with a read file, in one pass over
        ``per_unit`` (a cross-section per unit cost as much as the whole merge at 1,000 units)."""
        frame = self.per_unit
        codes = [str(c) for c in self.totals.index.tolist()]
        if not len(frame):
            return {}
        indicators = frame.index.get_level_values("indicator")
        keep = indicators.isin(codes)
        units = frame.index.get_level_values("unit")[keep].tolist()
        rows = indicators[keep].tolist()
        # JSON numbers column by column: whole values as int, blank as None (as _number, without a call each)
        columns = [[None if v != v else int(v) if v.is_integer() else v
                    for v in frame[m].to_numpy(dtype="float64")[keep].tolist()] for m in NUMERIC_MEASURES]
        found: dict[str, dict[str, dict[str, int | float | None]]] = {}
        for unit, code, *triple in zip(units, rows, *columns):
            found.setdefault(unit, {})[code] = dict(zip(NUMERIC_MEASURES, triple))
        blank = dict.fromkeys(NUMERIC_MEASURES)
        return {unit: {c: got.get(c) or dict(blank) for c in codes} for unit, got in found.items()}

    def to_dict(self) -> dict[str, Any]:
        """The ``merge --json`` document: the ``check`` document plus totals and each unit's values."""
        doc = self.run.to_dict()
        doc["totals"] = values_dict(self.totals)
        values = self.unit_values()
        for code, entry in doc["units"].items():
            entry["values"] = values.get(code)
        doc["merge"] = {
            "output": str(self.output),
            "included_invalid": self.included_invalid,
            "unchecked_included": self.unchecked_included,
            "district_code": self.run.campaign.code,
            "merged_units": self.merged_units,
            "unit_count": len(self.run.units),
            "created_at": self.created_at.isoformat(),
            "issues": [i.to_dict() for i in self.issues],
        }
        return doc
