"""Check a folder of returned files: read every file, validate all values at once, give each file a status
and each unit of the list its standing.

pandera is imported (through :mod:`consolidate.schema`) only inside :func:`check_folder`, so ``--help`` and
``templates`` never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from consolidate.issues import Issue, make
from consolidate.results import FileReport, FileStatus, RunResult, UnitStatus

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.form import Form
    from consolidate.reader import ReadFile
    from consolidate.units import UnitList


_PART_CODES = ("schedule-", "narrative-")  # issues of the schedule and narrative parts (issue 6)


def file_status(rf: ReadFile, issues: list[Issue]) -> FileStatus:
    """The status of one read file given all its issues."""
    if rf.kind != "report":
        return rf.kind  # "not_a_report" | "unreadable"
    if rf.superseded_by:
        return "superseded"
    if rf.unit is None:
        return "unknown_unit"
    if any(i.blocking for i in issues):
        return "rejected"
    return "accepted"


def _late(rf: ReadFile, campaign: Campaign) -> Issue | None:
    """Information when a file was saved after the deadline, by the identity sheet's save time.

    Not by the file's modification time: a file saved from an email or copied to the folder gets the day
    of the copy, which says nothing about when the unit finished it.
    """
    when = rf.identity.saved_at if rf.identity else None
    if campaign.deadline is None or when is None or when.date() <= campaign.deadline:
        return None
    return make("late", file=rf.file, unit=rf.unit, value=when.strftime("%H:%M %d/%m/%Y"),
                deadline=campaign.deadline.strftime("%d/%m/%Y"))


def unit_statuses(files: list[FileReport], units: UnitList) -> dict[str, UnitStatus]:
    """Every unit of the list: accepted or rejected with the file that stands for it, else missing."""
    current = {f.unit: f for f in files if f.unit and f.status in ("accepted", "rejected")
               and (not f.parts or "form" in f.parts)}  # a schedule or narrative alone is not the report
    out: dict[str, UnitStatus] = {}
    for unit in units:
        f = current.get(unit.code)
        out[unit.code] = UnitStatus("missing") if f is None else UnitStatus(f.status, f.file)  # type: ignore[arg-type]
    return out


def _import_schema() -> None:
    from consolidate.schema import warm_up

    warm_up()


def check_folder(folder: Path, campaign: Campaign, form: Form, units: UnitList,
                 progress: Callable[[int, int], None] | None = None,
                 meanwhile: Callable[[], None] | None = None) -> RunResult:
    """Read and validate every file of the folder (one validation for all units) → :class:`RunResult`.

    ``meanwhile()`` runs while the files are read, for the caller's own start-up work (its imports)."""
    from consolidate.reader import read_folder, records_frame
    from consolidate.split import read_parts, split_parts

    folder = Path(folder)
    # the reading workers of a large folder also read each file's schedule and narrative (read_parts);
    # pandera (~0.6 s to import) is imported while they read
    def prepare() -> None:
        _import_schema()
        if meanwhile is not None:
            meanwhile()

    read = read_folder(folder, form, campaign, units, progress=progress, after=read_parts, meanwhile=prepare)
    from consolidate import schema
    # schedule and narrative (issue 6): which parts each file holds, newest file per unit and part; a file
    # holding only a schedule is a schedule, not a report with missing numbers

    split = split_parts(read, campaign, units)
    # values of a superseded submission are neither checked nor merged: the unit sent a newer one
    current = [rf for rf in read if rf.kind == "report" and not rf.superseded_by
               and "form" in split.parts.get(rf.file, ("form",))]
    # a value written but not readable is already an error; it is not a blank for the total rules
    unread = frozenset((i.file, i.indicator, i.measure) for rf in current for i in rf.issues
                       if i.blocking and i.file and i.indicator and i.measure)
    table, schema_issues = schema.validate(records_frame(current), form, units, unread)
    # files fetched by mail (issue 16): the server's receipt time and the sender's address, from the manifest
    from consolidate.mail_manifest import late_by_mail, mail_records, sender_issues, units_by_address

    mail = mail_records(folder)
    addresses = units_by_address(units) if mail else {}
    by_file: dict[str, list[Issue]] = {}
    for issue in schema_issues:
        by_file.setdefault(issue.file or "", []).append(issue)
    reports: list[FileReport] = []
    for rf in read:
        issues = list(rf.issues) + by_file.get(rf.file, [])
        parts = split.parts.get(rf.file, ("form",) if rf.form_found else ())
        if rf.kind == "report":
            # a schedule sent on its own belongs to the schedule round and its own deadline
            due = campaign if parts != ("schedule",) or not campaign.schedule_deadline else \
                replace(campaign, deadline=campaign.schedule_deadline)
            record = mail.get(rf.file)
            late = late_by_mail(record, due.deadline, rf.file, rf.unit) if record else _late(rf, due)
            if late is not None:
                issues.append(late)
            if record is not None:
                issues += sender_issues(record, rf.file, rf.unit, units, addresses)
        # a slip in the schedule or the narrative never keeps a unit's numbers out of the merge
        judged = issues if "form" not in parts else [i for i in issues if not i.code.startswith(_PART_CODES)]
        reports.append(FileReport(rf.file, rf.path, file_status(rf, judged), rf.unit, issues, parts,
                                  rf.saved_at, mail[rf.file].received_at if rf.file in mail else rf.received_at,
                                  rf.identity_source))
    run = RunResult(folder, campaign, form, units, reports, unit_statuses(reports, units), table)
    run.extras["schedule"], run.extras["narrative"] = split.schedule, split.narrative
    run.extras["mail"] = mail  # file → MailRecord of the files fetched by mail
    return run
