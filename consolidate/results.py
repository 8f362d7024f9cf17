"""What a run over a folder produces: one :class:`FileReport` per file, a status per unit, and the long
table of values. Shared by ``check``, ``merge`` and ``report``; its JSON form is the ``--json`` contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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
    same_as: list[str] = field(default_factory=list)  # current files of other units with identical values

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
                "same_as": list(self.same_as)}


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
        return {
            "files": [f.to_dict() for f in self.files],
            "units": {code: {"status": s.status, "file": s.file} for code, s in self.unit_status.items()},
            "summary": self.counts(),
        }
