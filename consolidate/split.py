"""Which parts each returned file holds ("form", "narrative", "schedule"), each unit's newest file part by
part (the schedule round and the report round are collected separately), and the folder's compiled week
schedule and narrative — for ``check_folder`` and ``report``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consolidate.issues import make
from consolidate.narrative import compile_narrative, read_narrative
from consolidate.parts import PARTS, ReadContext, cell_values, pick_newest
from consolidate.schedule import Activity, ScheduleEntry, ScheduleRead, compile_schedule, read_schedule
from consolidate.text import fold

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.units import UnitList

__all__ = ["PARTS", "PARTS_READ", "FolderParts", "read_parts", "split_parts"]


@dataclass
class FolderParts:
    """The schedule and narrative of a folder's files, for ``check_folder`` (issue 6, two rounds)."""

    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file → the parts it holds
    schedule: list[ScheduleEntry] = field(default_factory=list)  # compiled from each unit's newest schedule
    narrative: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # heading → [(unit, text)]


def _has_values(records: Sequence[Mapping[str, object]]) -> bool:
    for rec in records:
        for key in ("count", "people", "amount", "text", "note"):
            value = rec.get(key)
            if value is None or value == "" or (isinstance(value, float) and value != value):
                continue
            return True
    return False


PARTS_READ = "split.parts"  # ReadFile.extras key of what read_parts found


def read_parts(rf: Any, campaign: Campaign, units: UnitList) -> bool:
    """The schedule and narrative of one read file, for :func:`split_parts`, kept in ``rf.extras``; True
    when they were read (the check then needs the file's sheets no more).

    ``reader.read_folder`` calls it in its reading workers, so that this per-file work runs on every core;
    it gives the same result as reading them in :func:`split_parts` (which does so for any file without)."""
    if rf.kind != "report" or not rf.sheets:
        return False
    unit_name = None
    if rf.unit:
        from consolidate.reader import unit_by_code

        found = unit_by_code(units, rf.unit)
        unit_name = found.name if found is not None and found.code == rf.unit else None
    ctx = ReadContext(rf.file, campaign, rf.unit, unit_name, units)  # as split_parts makes it
    values = [cell_values(sheet) for sheet in rf.sheets]  # once for both
    rf.extras[PARTS_READ] = (read_schedule(rf.sheets, ctx, values), read_narrative(rf.sheets, ctx, values))
    return True


def split_parts(files: Sequence[Any], campaign: Campaign, units: UnitList) -> FolderParts:
    """Read the schedule and narrative of every readable file (``reader.ReadFile``), say which parts each file
    holds, and decide part by part which of a unit's files is the newest.

    Mutates the files as the check needs: a file that holds only a schedule and/or a narrative loses its
    "form-not-found"/"no-values" complaint (it is not a report with missing numbers) and gets the schedule
    and narrative issues; a file is superseded only when, for every part it holds, the unit sent a newer file
    with that part ("superseded" issues are redone on that rule).
    """
    out = FolderParts()
    reads: dict[str, tuple[ScheduleRead, Any]] = {}
    names = {u.code: u.name for u in units}
    for rf in files:
        done = getattr(rf, "extras", {}).pop(PARTS_READ, None)  # read already by a reading worker
        if rf.kind != "report" or not (rf.sheets or done is not None):
            continue
        if done is not None:
            sched, narr = done
        else:
            ctx = ReadContext(rf.file, campaign, rf.unit, names.get(rf.unit) if rf.unit else None, units)
            values = [cell_values(sheet) for sheet in rf.sheets]
            sched, narr = read_schedule(rf.sheets, ctx, values), read_narrative(rf.sheets, ctx, values)
        has_schedule = sched.found and bool(sched.rows or [i for i in sched.issues if i.blocking])
        has_narrative = narr.found and bool(narr.sections)
        parts = []
        if rf.form_found and (_has_values(rf.records) or not (has_schedule or has_narrative)):
            parts.append("form")
        if has_narrative:
            parts.append("narrative")
            rf.issues.extend(narr.issues)
        if has_schedule:
            parts.append("schedule")
            rf.issues.extend(sched.issues)
        if not parts:
            parts.append("form")  # an empty return is an empty report, as before
        if "form" not in parts:
            rf.issues = [i for i in rf.issues if i.code not in ("form-not-found", "no-values")]
        out.parts[rf.file] = tuple(parts)
        reads[rf.file] = (sched, narr)

    # newest per (unit, part); rows of a file without a unit (a district schedule retyped with its
    # "Đơn vị" column) count for the units they name
    stamp = {rf.file: rf.saved_at for rf in files}
    items: list[tuple[str, str, dt.datetime | None, Any]] = []
    # a form with nothing typed in it never replaces one with values, however new it looks (issue 14)
    typed = {rf.unit for rf in files if rf.unit and getattr(rf, "typed", True) and "form" in out.parts.get(rf.file, ())}
    for rf in files:
        parts = out.parts.get(rf.file, ())
        for part in parts:
            if part == "form" and rf.form_found and not getattr(rf, "typed", True) and rf.unit in typed:
                continue
            if rf.unit:
                items.append((rf.unit, part, stamp[rf.file], rf.file))
        if not rf.unit and "schedule" in parts:
            for code in {a.unit_code or f"?{fold(a.unit_name)}" for a in reads[rf.file][0].rows}:
                items.append((code, "schedule", stamp[rf.file], rf.file))
    newest = pick_newest(items)
    for rf in files:
        if not rf.unit or rf.file not in out.parts:
            continue
        newer = [newest[(rf.unit, p)] for p in out.parts[rf.file] if newest.get((rf.unit, p)) != rf.file]
        rf.issues = [i for i in rf.issues if i.code != "superseded"]
        if len(newer) == len(out.parts[rf.file]):
            rf.superseded_by = newer[0]
            rf.issues.append(make("superseded", file=rf.file, unit=rf.unit, newer=newer[0]))
        else:
            rf.superseded_by = None

    by_file = {rf.file: rf for rf in files}
    activities: list[Activity] = []
    narrative_items: list[tuple[str, Mapping[str, str]]] = []
    for (unit, part), file in sorted(newest.items(), key=lambda kv: kv[0]):
        if part == "schedule":
            rows = reads[file][0].rows
            if by_file[file].unit is None:
                rows = [a for a in rows if (a.unit_code or f"?{fold(a.unit_name)}") == unit]
            activities.extend(rows)
    for unit in units:
        file = newest.get((unit.code, "narrative"))
        if file:
            narrative_items.append((unit.name, reads[file][1].sections))
    out.schedule = compile_schedule(activities)
    out.narrative = compile_narrative(narrative_items)
    return out
