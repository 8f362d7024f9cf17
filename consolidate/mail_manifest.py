"""The manifest of a fetched returns folder, and what ``check`` learns from it.

``fetch`` writes the manifest (``<folder>_thu_nhan.csv`` beside the folder, UTF-8 with BOM so that Excel
opens it): one row per saved file, or per message with nothing to save. ``check`` reads it for two facts the
file itself cannot give: when the mail server received the file (which decides lateness, "nhận lúc"), and the
address it came from, one more piece of identity evidence matched to the unit list's Email column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from consolidate import outputs
from consolidate.issues import Issue, make

if TYPE_CHECKING:
    from consolidate.identity import Evidence
    from consolidate.units import Unit, UnitList

MANIFEST_SUFFIX = "_thu_nhan.csv"
MANIFEST_COLUMNS = ("Message-ID", "Email người gửi", "Tên người gửi", "Nhận lúc (máy chủ thư)", "Tiêu đề",
                    "Tệp gốc", "Tệp đã lưu", "SHA-256", "Ghi chú")
DUPLICATE_NOTE = "trùng nội dung với tệp đã có"
FORWARD_NOTE = "thư chuyển tiếp, thư gốc từ"
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving: one offset all year


@dataclass
class ManifestRow:
    """One row of the manifest."""

    message_id: str
    sender: str
    sender_name: str
    received_at: dt.datetime | None
    subject: str
    original: str
    saved: str  # file name in the folder, "" when nothing was saved from the message
    sha256: str
    note: str = ""

    def cells(self) -> list[str]:
        """The row as CSV cells (what came from strangers is quoted against spreadsheet formulas)."""
        return [outputs.csv_safe(self.message_id), outputs.csv_safe(self.sender), outputs.csv_safe(self.sender_name),
                _local(self.received_at).isoformat() if self.received_at else "", outputs.csv_safe(self.subject),
                outputs.csv_safe(self.original), self.saved, self.sha256, outputs.csv_safe(self.note)]


def _local(when: dt.datetime) -> dt.datetime:
    """Vietnam time, as the clerk reads it (servers answer in their own zone, often UTC)."""
    return when.astimezone(VIETNAM) if when.tzinfo else when


def _unquote(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@", "'\t", "'\r") else text


def manifest_path(folder: Path) -> Path:
    """Where the manifest of a returns folder lives: beside it, never inside (check reads every file inside)."""
    folder = Path(folder).resolve()
    return folder.parent / f"{folder.name}{MANIFEST_SUFFIX}"


def read_manifest(path: Path) -> list[ManifestRow]:
    """The rows of a manifest ([] when there is none)."""
    if not path.is_file():
        return []
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig", errors="replace"))))
    out = []
    for row in rows[1:]:
        if len(row) < len(MANIFEST_COLUMNS):
            continue
        try:
            when = dt.datetime.fromisoformat(row[3]) if row[3] else None
        except ValueError:
            when = None
        out.append(ManifestRow(_unquote(row[0]), _unquote(row[1]), _unquote(row[2]), when, _unquote(row[4]),
                               _unquote(row[5]), row[6], row[7], _unquote(row[8])))
    return out


def write_manifest(path: Path, rows: list[ManifestRow]) -> None:
    """Write the whole manifest atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(r.cells() for r in rows)
    outputs.atomic_write_text(path, "\ufeff" + buf.getvalue())


# ------------------------------------------------------------------------------------------- check

@dataclass(frozen=True)
class MailRecord:
    """How one file of the folder arrived by mail."""

    file: str  # the saved name, relative to the folder
    message_id: str
    sender: str  # lower-case address
    sender_name: str
    received_at: dt.datetime | None  # the server's receipt time, Vietnam time
    subject: str
    forwarded: bool = False


def mail_records(folder: Path) -> dict[str, MailRecord]:
    """The folder's files that came by mail, by saved name (the earliest message for a file mailed twice)."""
    out: dict[str, MailRecord] = {}
    for row in read_manifest(manifest_path(folder)):
        if not row.saved:
            continue
        when = _local(row.received_at) if row.received_at else None
        record = MailRecord(row.saved, row.message_id, row.sender.lower(), row.sender_name, when, row.subject,
                            FORWARD_NOTE in row.note)
        old = out.get(row.saved)
        if old is None or (when and old.received_at and when < old.received_at):
            out[row.saved] = record
    return out


def units_by_address(units: UnitList) -> dict[str, Unit]:
    """The unit list's Email column, by lower-case address (several addresses in one cell split on , or ;)."""
    out: dict[str, Unit] = {}
    for unit in units:
        for address in unit.email.replace(";", ",").split(","):
            if address.strip():
                out.setdefault(address.strip().lower(), unit)
    return out


def received_text(when: dt.datetime) -> str:
    """"08:15 16/10/2021" in Vietnam time."""
    return _local(when).strftime("%H:%M %d/%m/%Y")


def late_by_mail(record: MailRecord, deadline: dt.date | None, file: str, unit: str | None) -> Issue | None:
    """The ``late-received`` information by the server's receipt time (None when on time or unknown)."""
    if deadline is None or record.received_at is None:
        return None
    local = _local(record.received_at)
    if local.date() <= deadline:
        return None
    return make("late-received", file=file, unit=unit, value=received_text(local),
                deadline=deadline.strftime("%d/%m/%Y"))


def sender_evidence(records: Mapping[str, MailRecord], units: UnitList,
                    evidence: Mapping[str, Sequence[Evidence]] | None = None) -> dict[str, list[Evidence]]:
    """``evidence`` (by file) with the sender's address of each fetched file added: the unit whose Email column
    holds it, or no unit (a personal address neither confirms nor contradicts the file's own identity; another
    unit's address makes the file "cần xác nhận", identity.reconcile)."""
    from consolidate.identity import Evidence

    out = {file: list(items) for file, items in (evidence or {}).items()}
    index = units_by_address(units)
    for file, record in records.items():
        if record.sender:
            unit = index.get(record.sender)
            where = f"thư nhận lúc {received_text(record.received_at)}" if record.received_at else "thư"
            out.setdefault(file, []).append(Evidence("sender", unit.code if unit else None, record.sender, where))
    return out


def sender_issues(record: MailRecord, file: str, unit_code: str | None, units: UnitList,
                  office: str = "") -> list[Issue]:
    """A note when a file whose unit is known came from an address not in the unit list (schools often mail
    from a personal address: noted, never refused), unless it is the office's own (the clerk forwarding a
    return). Another unit's address is evidence (sender_evidence)."""
    unit = units.get(unit_code) if unit_code else None
    if unit is None or not record.sender or record.sender in units_by_address(units) \
            or record.sender == office.strip().lower():
        return []
    how = f"thư nhận lúc {received_text(record.received_at)}" if record.received_at else "thư"
    return [make("sender-not-listed", file=file, unit=unit.code, value=record.sender, how=how,
                 unit_name=unit.name, listed=unit.email or "chưa có")]
