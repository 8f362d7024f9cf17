"""Merge a checked folder into the district's totals, and write the district summary workbook.

The sums are taken over the long table of :class:`~consolidate.results.RunResult` (``results.TABLE_COLUMNS``):
one value per unit and indicator, the unit's current file only (its newest submission). A blank stays
blank in the district total only when no included unit reported the row; otherwise blanks sum as 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from consolidate import outputs
from consolidate.form import NUMERIC_MEASURES, Form
from consolidate.issues import Issue, RunError, make
from consolidate.results import RunResult

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.units import UnitList

VALUE_COLUMNS = ["count", "people", "amount", "text", "note"]


def _current_files(run: RunResult, states: tuple[str, ...]) -> dict[str, str]:
    """unit code → the file that stands for it, for units whose state is one of ``states``."""
    return {code: s.file for code, s in run.unit_status.items() if s.status in states and s.file}


def _unit_rows(run: RunResult, states: tuple[str, ...]) -> pd.DataFrame:
    """The long-table rows of the units in ``states``, each from that unit's current file only."""
    current = _current_files(run, states)
    table = run.table
    if table is None or table.empty or not current:
        return pd.DataFrame(columns=["unit", "indicator", *VALUE_COLUMNS])
    keep = table["unit"].map(current).eq(table["file"])  # a superseded file's rows never count
    return table.loc[keep.fillna(False).astype(bool)].copy()


def _complete_totals(frame: pd.DataFrame, form: Form) -> pd.DataFrame:
    """Fill a unit's blank total from its parts (the check normally did; the sums must agree either way)."""
    for rule in form.rules:
        parts = frame.loc[frame.index.isin(rule.parts), rule.measure]
        if rule.total in frame.index and pd.isna(frame.at[rule.total, rule.measure]) and parts.notna().any():
            frame.at[rule.total, rule.measure] = parts.sum(min_count=1)
    return frame


def _numeric_codes(form: Form) -> list[str]:
    return [r.code for r in form.value_rows if r.numeric_measures]


def _unit_frames(rows: pd.DataFrame, form: Form) -> dict[str, pd.DataFrame]:
    """One frame per unit, indexed by every numeric row code of the form (NaN where not read)."""
    codes = _numeric_codes(form)
    frames = {}
    for unit, group in rows.groupby("unit", sort=False):
        g = group.drop_duplicates("indicator").set_index("indicator")
        g = g.reindex(codes)[list(NUMERIC_MEASURES)].astype("float64")
        frames[str(unit)] = _complete_totals(g, form)
    return frames


def totals(run: RunResult, include_invalid: bool = False) -> pd.DataFrame:
    """Sum of count/people/amount per indicator over accepted units (and rejected ones when asked).

    Indexed by the form's row codes that carry a number, in form order; NaN only where no included unit
    reported the value, or where the row has no such measure.
    """
    form = run.form
    states = ("accepted", "rejected") if include_invalid else ("accepted",)
    frames = _unit_frames(_unit_rows(run, states), form)
    codes = _numeric_codes(form)
    if frames:
        stacked = pd.concat(frames.values(), keys=list(frames), names=["unit", "indicator"])
        out = stacked.groupby(level="indicator", sort=False).sum(min_count=1).reindex(codes)
    else:
        out = pd.DataFrame(float("nan"), index=pd.Index(codes), columns=list(NUMERIC_MEASURES))
    for code in codes:  # a measure the row does not have is never a number, whatever a file held
        for m in NUMERIC_MEASURES:
            if m not in form.row(code).measures:
                out.at[code, m] = float("nan")
    out.index.name = "indicator"
    return out[list(NUMERIC_MEASURES)].astype("float64")


def per_unit(run: RunResult) -> pd.DataFrame:
    """Every value of every unit whose file was read (accepted or rejected), blank kept apart from 0.

    Indexed by (unit, indicator) in unit-list order then form order; columns count, people, amount (NaN =
    blank), text, note, and ``status`` (the unit's state).
    """
    form = run.form
    rows = _unit_rows(run, ("accepted", "rejected"))
    order = [r.code for r in form.value_rows]
    out = []
    for unit in run.units:
        group = rows.loc[rows["unit"] == unit.code]
        if group.empty:
            continue
        g = group.drop_duplicates("indicator").set_index("indicator").reindex(order)
        frame = g[list(NUMERIC_MEASURES)].astype("float64")
        frame = _complete_totals(frame.reindex(order), form)
        frame["text"] = g["text"].astype(object).where(g["text"].notna(), None)
        frame["note"] = g["note"].astype(object).where(g["note"].notna(), None)
        frame["status"] = run.unit_status[unit.code].status
        frame.index = pd.MultiIndex.from_product([[unit.code], order], names=["unit", "indicator"])
        out.append(frame)
    if not out:
        empty = pd.MultiIndex.from_tuples([], names=["unit", "indicator"])
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in NUMERIC_MEASURES}
                            | {"text": pd.Series(dtype=object), "note": pd.Series(dtype=object),
                               "status": pd.Series(dtype=object)}, index=empty)
    return pd.concat(out)


def _number(value: object) -> int | float | None:
    """A JSON number: whole values as int, blank as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    f = float(value)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else f


def values_dict(frame: pd.DataFrame) -> dict[str, dict[str, int | float | None]]:
    """{code: {"count": n|None, "people": n|None, "amount": n|None}} of a frame indexed by row code."""
    return {str(code): {m: _number(row[m]) for m in NUMERIC_MEASURES} for code, row in frame.iterrows()}


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

    @property
    def merged_units(self) -> list[str]:
        """Codes of the units whose values are in the sums, in list order."""
        states = ("accepted", "rejected") if self.included_invalid else ("accepted",)
        return [u.code for u in self.run.units if self.run.unit_status[u.code].status in states]

    def units_in(self, state: str) -> list[str]:
        """Codes of the units in a state ("accepted", "rejected", "missing"), in list order."""
        return [u.code for u in self.run.units if self.run.unit_status[u.code].status == state]

    def to_dict(self) -> dict[str, Any]:
        """The ``merge --json`` document: the ``check`` document plus totals and each unit's values."""
        doc = self.run.to_dict()
        doc["totals"] = values_dict(self.totals)
        codes = list(self.totals.index)
        read = set(self.per_unit.index.get_level_values("unit")) if len(self.per_unit) else set()
        for code, entry in doc["units"].items():
            if code in read:
                frame = self.per_unit.xs(code, level="unit").reindex(codes)
                entry["values"] = values_dict(frame)
            else:
                entry["values"] = None
        doc["merge"] = {
            "output": str(self.output),
            "included_invalid": self.included_invalid,
            "merged_units": self.merged_units,
            "unit_count": len(self.run.units),
            "created_at": self.created_at.isoformat(),
            "issues": [i.to_dict() for i in self.issues],
        }
        return doc


def merge_checks(run: RunResult, sums: pd.DataFrame, include_invalid: bool = False) -> list[Issue]:
    """Warn where a district total differs from the sum of its parts, naming the units that cause it."""
    form = run.form
    states = ("accepted", "rejected") if include_invalid else ("accepted",)
    frames = _unit_frames(_unit_rows(run, states), form)
    names = {u.code: u.name for u in run.units}
    issues = []
    for rule in form.rules:
        total = sums.at[rule.total, rule.measure]
        parts = sums.loc[list(rule.parts), rule.measure].sum(min_count=1)
        parts = 0.0 if pd.isna(parts) else parts
        if pd.isna(total) or total == parts:
            continue
        causes = []
        for unit, f in frames.items():
            own, own_parts = f.at[rule.total, rule.measure], f.loc[list(rule.parts), rule.measure]
            if pd.isna(own):
                continue
            if own_parts.isna().all():
                causes.append(f"{names.get(unit, unit)} chỉ ghi số tổng, không ghi số chi tiết")
            elif own != own_parts.sum():
                causes.append(f"{names.get(unit, unit)} ghi tổng {_fmt(own)} khác tổng chi tiết "
                              f"{_fmt(own_parts.sum())} (đơn vị có lỗi)")
        issues.append(make("merge-total-differs", indicator=rule.total, measure=rule.measure,
                           value=_fmt(total), expected=_fmt(parts), parts=f"{rule.parts[0]} … {rule.parts[-1]}",
                           units="; ".join(causes) or "số liệu của các đơn vị"))
    return issues


def _fmt(value: float) -> str:
    """A whole number written the Vietnamese way (1.200.000)."""
    return f"{int(value):,}".replace(",", ".")


def _clear_leftovers(output: Path) -> None:
    """Remove half-written summaries of runs that were killed (we hold the folder lock: none is live)."""
    for stale in output.parent.glob(f".~tmp-*{output.suffix}"):
        stale.unlink(missing_ok=True)


def merge_folder(folder: Path, campaign: Campaign, form: Form, units: UnitList, output: Path, *,
                 include_invalid: bool = False, progress: Callable[[int, int], None] | None = None,
                 now: dt.datetime | None = None) -> MergeResult:
    """Check a folder, sum the accepted units and write the district summary atomically to ``output``."""
    folder, output = Path(folder), Path(output)
    if output.suffix.lower() != ".xlsx":
        raise RunError(f"Tệp tổng hợp phải có đuôi .xlsx (đang là {output.name}).")
    if output.resolve().is_relative_to(folder.resolve()):
        # the next run would read the summary back as one more unit's report
        raise RunError(f"Hãy ghi tệp tổng hợp ra ngoài thư mục báo cáo {folder} (ví dụ ở thư mục cha).")
    if output.is_dir():
        raise RunError(f"{output} là một thư mục, không phải tệp .xlsx.")
    from consolidate.check import check_folder
    from consolidate.summary import write_summary

    run = check_folder(folder, campaign, form, units, progress=progress)
    sums = totals(run, include_invalid)
    result = MergeResult(run, sums, per_unit(run), output, include_invalid,
                         created_at=(now or dt.datetime.now()).replace(microsecond=0),
                         issues=merge_checks(run, sums, include_invalid))
    try:
        with outputs.folder_lock(output.parent):
            _clear_leftovers(output)
            outputs.atomic_write(output, lambda tmp: write_summary(tmp, result))
    except PermissionError:
        raise RunError(f"Không ghi được {output}: không có quyền ghi vào thư mục {output.parent} "
                       "hoặc tệp đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.") from None
    except OSError as exc:
        raise RunError(f"Không ghi được {output}: {exc.strerror or exc}.") from None
    return result
