"""Check a folder of returned files: read every file, validate all values at once, give each file a status
and each unit of the list its standing.

pandera is imported (through :mod:`consolidate.schema`) only inside :func:`check_folder`, so ``--help`` and
``templates`` never pay for it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from consolidate.issues import Issue, make
from consolidate.results import CellChange, FileReport, FileStatus, RunResult, UnitStatus

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.form import Form
    from consolidate.identity import Evidence
    from consolidate.reader import ReadFile
    from consolidate.units import UnitList


_PART_CODES = ("schedule-", "narrative-")  # issues of the schedule and narrative parts (issue 6)


def file_status(rf: ReadFile, issues: list[Issue], parts: tuple[str, ...] = ("form",)) -> FileStatus:
    """The status of one read file given all its issues (and the parts it holds)."""
    if rf.kind != "report":
        return rf.kind  # "not_a_report" | "unreadable"
    if rf.unconfirmed:
        return "unconfirmed"  # counted for nobody until the clerk says whose it is
    if is_blank(rf, parts):
        return "blank"
    if rf.superseded_by:
        return "superseded"
    if rf.unit is None:
        return "unknown_unit"
    if any(i.blocking for i in issues):
        return "rejected"
    return "accepted"


def is_blank(rf: ReadFile, parts: tuple[str, ...] = ("form",)) -> bool:
    """An untouched template: the form is there, nothing typed into it, and no other part either."""
    return rf.kind == "report" and rf.form_found and not rf.typed and parts in ((), ("form",))


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
    # a unit named by a file whose evidence disagrees stays "cần xác nhận" until the clerk settles it
    pending: dict[str, str] = {}
    for f in files:
        if f.status == "unconfirmed":
            for code in f.claims:
                pending.setdefault(code, f.file)
    out: dict[str, UnitStatus] = {}
    for unit in units:
        f = current.get(unit.code)
        if f is not None:
            out[unit.code] = UnitStatus(f.status, f.file)  # type: ignore[arg-type]
        elif unit.code in pending:
            out[unit.code] = UnitStatus("unconfirmed", pending[unit.code])
        else:
            out[unit.code] = UnitStatus("missing")
    return out


def changed_cells(old: list[dict], new: list[dict]) -> list[CellChange]:
    """The values a unit's newer file changed from its older one, in form order (blank ≠ 0)."""
    def values(records: list[dict]) -> dict[tuple[str, str], tuple[float | str | None, str | None]]:
        out: dict[tuple[str, str], tuple[float | str | None, str | None]] = {}
        for rec in records:
            for m in ("count", "people", "amount", "text"):
                v = rec.get(m)
                if isinstance(v, float) and math.isnan(v):
                    v = None
                out[(rec["indicator"], m)] = (v or None) if m == "text" else v, rec.get(f"cell_{m}")
        return out

    before, after = values(old), values(new)
    order = list(dict.fromkeys([*after, *before]))
    changes = []
    for key in order:
        (ov, oc), (nv, nc) = before.get(key, (None, None)), after.get(key, (None, None))
        if ov != nv:
            changes.append(CellChange(key[0], key[1], nc or oc, ov, nv))
    return changes


MIN_SAME_VALUES = 3  # two units that each report one or two numbers may well report the same ones
# files named in a file's ``same_as`` (``same_count`` counts them all): a province's 400 copies of one file
# made every copy list the other 399, 4 million names at 10,000 files, built in a quadratic loop
SAME_AS_KEPT = 20


def _fingerprint(records: list[dict]) -> tuple[tuple[str, str, float], ...]:
    # v == v: not NaN (a blank), without a call per value
    return tuple(sorted((rec["indicator"], m, v) for rec in records for m in ("count", "people", "amount")
                        if (v := rec[m]) == v))


def _resubmissions(read: list[ReadFile], reports: list[FileReport]) -> None:
    """Which older file each current file replaced and what it changed; identical values of two units."""
    by_file = {rf.file: rf for rf in read}
    older: dict[str, list[ReadFile]] = {}
    for f in reports:
        if f.status == "superseded" and f.unit and "form" in (f.parts or ("form",)) and by_file[f.file].typed:
            older.setdefault(f.unit, []).append(by_file[f.file])
    oldest = dt.datetime.min
    for f in reports:
        if f.status not in ("accepted", "rejected") or not f.unit or f.unit not in older \
                or "form" not in (f.parts or ("form",)):
            continue
        prev = max(older[f.unit], key=lambda rf: (rf.saved_at or oldest, rf.received_at or oldest, rf.file))
        f.replaces = prev.file
        f.changes = changed_cells(prev.records, by_file[f.file].records)
        shown = "; ".join(c.describe() for c in f.changes[:10]) + ("; …" if len(f.changes) > 10 else "")
        changed = f"{len(f.changes)} ô thay đổi: {shown}" if f.changes else "không ô số liệu nào thay đổi"
        f.issues.append(make("resubmitted", file=f.file, unit=f.unit, older=prev.file, changed=changed))
    groups: dict[tuple, list[FileReport]] = {}
    for f in reports:
        if f.status in ("accepted", "rejected") and f.unit and "form" in (f.parts or ("form",)):
            key = _fingerprint(by_file[f.file].records)
            if sum(1 for *_x, v in key if v) >= MIN_SAME_VALUES:
                groups.setdefault(key, []).append(f)
    for key, group in groups.items():
        per_unit = Counter(f.unit for f in group)
        if len(per_unit) < 2:
            continue
        for f in group:
            others = list(islice((o for o in group if o.unit != f.unit), SAME_AS_KEPT))
            f.same_as = [o.file for o in others]
            f.same_count = len(group) - per_unit[f.unit]
            f.issues.append(make("same-values", file=f.file, unit=f.unit, other=others[0].file,
                                 other_unit=others[0].unit, n=len(key)))


def _import_schema() -> None:
    from consolidate.schema import warm_up

    warm_up()


def check_folder(folder: Path, campaign: Campaign, form: Form, units: UnitList,
                 progress: Callable[[int, int], None] | None = None,
                 meanwhile: Callable[[], None] | None = None,
                 evidence: Mapping[str, Sequence[Evidence]] | None = None) -> RunResult:
    """Read and validate every file of the folder (one validation for all units) → :class:`RunResult`.

    ``meanwhile()`` runs while the files are read, for the caller's own start-up work (its imports).
    ``evidence`` adds evidence of who sent a file, by path relative to the folder (the sender's address
    of a fetched mail): reconciled with what the file itself says."""
    from consolidate.identity import claims
    from consolidate.reader import read_folder, records_frame
    from consolidate.split import read_parts, split_parts

    folder = Path(folder)
    # the reading workers of a large folder also read each file's schedule and narrative (read_parts);
    # pandera (~0.6 s to import) is imported while they read
    def prepare() -> None:
        _import_schema()
        if meanwhile is not None:
            meanwhile()

    # files fetched by mail (issue 16): the server's receipt time, and the sender's address as one more piece
    # of evidence of whose file it is, from the manifest fetch writes beside the folder
    from consolidate.mail_manifest import late_by_mail, mail_records, sender_evidence, sender_issues

    mail = mail_records(folder)
    if mail:
        evidence = sender_evidence(mail, units, evidence)
    # the server's receipt time orders a unit's fetched returns that carry no save time (a copy of the folder
    # changes the files' own times); naive Vietnam time, as the identity sheet's save time is written
    arrived = {file: r.received_at.replace(tzinfo=None) for file, r in mail.items() if r.received_at}
    read = read_folder(folder, form, campaign, units, progress=progress, after=read_parts, meanwhile=prepare,
                       evidence=evidence, received=arrived)
    from consolidate import schema
    # schedule and narrative (issue 6): which parts each file holds, newest file per unit and part; a file
    # holding only a schedule is a schedule, not a report with missing numbers

    split = split_parts(read, campaign, units)
    # values of a superseded submission are neither checked nor merged: the unit sent a newer one
    current = [rf for rf in read if rf.kind == "report" and not rf.superseded_by
               and "form" in split.parts.get(rf.file, ("form",)) and not is_blank(rf, split.parts.get(rf.file, ()))]
    # a value written but not readable is already an error; it is not a blank for the total rules
    unread = frozenset((i.file, i.indicator, i.measure) for rf in current for i in rf.issues
                       if i.blocking and i.file and i.indicator and i.measure)
    table, schema_issues = schema.validate(records_frame(current), form, units, unread)
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
                issues += sender_issues(record, rf.file, rf.unit, units, campaign.email)
        # a slip in the schedule or the narrative never keeps a unit's numbers out of the merge
        judged = issues if "form" not in parts else [i for i in issues if not i.code.startswith(_PART_CODES)]
        status = file_status(rf, judged, parts)
        if status == "blank":
            issues = [i for i in issues if i.code not in ("superseded", "no-values")]
            kept = f", vẫn dùng bản {rf.superseded_by} đã có số liệu" if rf.superseded_by else ""
            issues.append(make("blank-return", file=rf.file, unit=rf.unit, kept=kept))
        # saved_at == received_at says "no save time of its own" (summary.unit_saved_at): keep that true when the
        # receipt time is the server's
        received = mail[rf.file].received_at if rf.file in mail and mail[rf.file].received_at else rf.received_at
        saved = rf.saved_at if rf.identity and rf.identity.saved_at else received
        reports.append(FileReport(rf.file, rf.path, status, rf.unit, issues, parts, saved, received,
                                  rf.identity_source, list(rf.evidence),
                                  claims(rf.evidence) if rf.unconfirmed else ((rf.unit,) if rf.unit else ())))
    _resubmissions(read, reports)
    run = RunResult(folder, campaign, form, units, reports, unit_statuses(reports, units), table)
    run.extras["schedule"], run.extras["narrative"] = split.schedule, split.narrative
    run.extras["mail"] = mail  # file → MailRecord of the files fetched by mail
    return run
