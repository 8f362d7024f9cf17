"""The local web page (``consolidate web``): a thin shell over the same library functions as the CLI.

Flask renders the pages on the server with Jinja2 (autoescaped: a unit named ``<script>`` shows as text);
``static/app.js`` adds the little that needs a script (dropping files, progress bars, reloading when
files arrive). Nothing is fetched from elsewhere: every asset is in this package.

Each page calls the library and renders what it returns: ``check_folder`` (Tình hình, Một đơn vị),
``intake.receive`` (Nhận tệp), ``make_templates``, ``merge_folder``, ``write_feedback``, ``write_report``
(Tải về), with the Vietnamese text of :mod:`consolidate.render` for what a run did. Long runs go to a
thread and report progress through the same ``progress(done, total)`` callback the CLI's progress bar uses.

Safe by default: bound to 127.0.0.1 and accepting only requests addressed to it by that name (a page of
another site cannot reach it through DNS rebinding); another address needs a password. Every POST
carries the session's CSRF token; the session cookie is SameSite=Strict; a Content-Security-Policy lets
only this server's own scripts run. No path is taken from a request: units are looked up by code in the
list, jobs by the id the server gave them, and the files served are those the server wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
import threading
import traceback
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, flash, jsonify, redirect, render_template, request, send_file, session, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from consolidate import intake, outputs
from consolidate.issues import SEVERITY_NAMES, Issue, RunError
from consolidate.results import FILE_STATUS_NAMES, UNIT_STATE_NAMES, FileReport, RunResult

LOOPBACK = ("127.0.0.1", "localhost", "::1")
POLL_SECONDS = 3

# the standings of a unit, in the order the page lists them ("cần xác nhận" first: it waits for the clerk)
STATE_LABELS = {"unconfirmed": "cần xác nhận", "accepted": "hợp lệ", "rejected": "có lỗi", "missing": "chưa nộp"}
SETTLED_STATUSES = ("unconfirmed", "unknown_unit")  # files the clerk can book to a unit
IDENTITY_SOURCES = {
    "identity": "trang định danh ẩn của biểu mẫu gửi cho đơn vị (mã đơn vị ghi sẵn)",
    "title": "dòng \"Đơn vị báo cáo:\" ghi trong biểu",
    "filename": "tên tệp (khớp mã hoặc tên đơn vị)",
}
PART_NAMES = {"form": "số liệu", "narrative": "phần báo cáo", "schedule": "lịch hoạt động"}
MEASURE_LABELS = {"count": "Số lớp/cuộc thi", "people": "Người", "amount": "Kinh phí (đồng)"}


@dataclass
class WebConfig:
    """What ``consolidate web`` was started with."""

    campaign_file: Path | None
    units_file: Path | None
    folder: Path  # the returns folder
    out_dir: Path  # where the downloads are written
    overrides: dict[str, Any] = field(default_factory=dict)
    password: str | None = None
    open_host: bool = False  # bound to another address than 127.0.0.1 (then a password is required)


def vn_number(value: object) -> str:
    """1200000 → "1.200.000"; blank for NaN/None."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return f"{int(number):,}".replace(",", ".")
    return f"{number:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%H:%M %d/%m/%Y") if moment else ""


class Desk:
    """The campaign as the page sees it: loaded once, checked again whenever the returns folder changes."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.lock = threading.RLock()  # one library run at a time (the reader may fork its workers)
        self._loaded: tuple[str, Any] | None = None
        self._run: tuple[str, RunResult] | None = None

    def _inputs_key(self) -> str:
        parts = []
        for p in (self.config.campaign_file, self.config.units_file):
            if p is not None:
                try:
                    st = Path(p).stat()
                    parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
                except OSError:
                    parts.append(f"{p}:-")
        return "|".join(parts)

    def load(self) -> tuple[Any, Any, Any]:
        """(campaign, form, units) as ``prepare`` gives them; reloaded when the campaign or list file changes."""
        from consolidate.campaign import prepare

        with self.lock:
            key = self._inputs_key()
            if self._loaded is None or self._loaded[0] != key:
                campaign, form, units, issues = prepare(self.config.campaign_file, self.config.units_file,
                                                        **self.config.overrides)
                if issues:
                    raise RunError(" ".join(i.message for i in issues))
                self._loaded = (key, (campaign, form, units))
                self._run = None
            return self._loaded[1]

    def signature(self) -> str:
        """A short digest of the returns folder's listing (names, sizes, times) and of the campaign files."""
        h = hashlib.sha1(self._inputs_key().encode())
        folder = self.config.folder
        entries = []
        for root, _dirs, files in os.walk(folder):
            for name in files:
                p = os.path.join(root, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                entries.append(f"{os.path.relpath(p, folder)}:{st.st_size}:{st.st_mtime_ns}")
        for e in sorted(entries):
            h.update(e.encode("utf-8", "surrogateescape"))
        from consolidate.mail_manifest import manifest_path

        try:  # what "Nhận thư" learnt (sender, receipt time) is beside the folder
            st = manifest_path(folder).stat()
            h.update(f"manifest:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            pass
        return h.hexdigest()[:16]

    def run(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """The check of the returns folder as it is now (the last one when nothing changed)."""
        from consolidate.check import check_folder

        with self.lock:
            campaign, form, units = self.load()
            sig = self.signature()
            if self._run is None or self._run[0] != sig:
                self.config.folder.mkdir(parents=True, exist_ok=True)
                result = check_folder(self.config.folder, campaign, form, units, progress=progress)
                self._run = (sig, result)
            return self._run[1]


# ---------------------------------------------------------------- jobs (Tải về)

@dataclass
class Job:
    """One long run started from the page."""

    id: str
    kind: str
    title: str
    state: str = "running"  # running | done | failed
    done: int = 0
    total: int = 0
    text: str = ""
    path: Path | None = None
    download_name: str = ""
    template: str = ""  # a fragment of the page that shows the outcome (the mail jobs), rendered with ``view``
    view: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def progress(self, done: int, total: int) -> None:
        """The library's progress callback."""
        self.done, self.total = done, total

    def to_dict(self) -> dict[str, Any]:
        """What the page polls."""
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "text": web_text(self.text),
                "title": self.title,
                "download": url_for("job_file", job_id=self.id) if self.state == "done" and self.path else None,
                "html": self.html()}

    def html(self) -> str | None:
        """The outcome as a fragment of the page (autoescaped), once the job is over."""
        if self.state != "done" or not self.template:
            return None
        return Markup(render_template(self.template, job=self, **self.view))


def web_text(text: str) -> str:
    """A run's terminal text for the page: without the next-step hints that name commands to type."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("Bước tiếp theo"))


def _as_zip(text: str, folder: Path, target: Path) -> str:
    """A run's text about a scratch folder, told about the zip the page hands over instead."""
    return text.replace(f"thư mục {folder}", f"tệp nén {target.name}").replace(str(folder) + os.sep, "")


def _zip_folder(src: Path, target: Path) -> None:
    """Zip every file of ``src`` (flat) into ``target`` atomically."""
    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(src.iterdir()):
                if p.is_file() and not p.name.startswith("."):
                    zf.write(p, p.name)
    outputs.atomic_write(target, write)


def _slug(campaign: Any) -> str:
    return outputs.safe_name(f"{campaign.district or 'don_vi'}_{campaign.year}")


class Jobs:
    """The runs of the Tải về page, each in a thread, one library run at a time (through the desk's lock)."""

    KINDS = {
        "bieu-mau": "Biểu mẫu gửi các đơn vị (tệp nén) và danh sách gửi thư",
        "tong-hop": "Biểu tổng hợp của huyện (Excel)",
        "phan-hoi": "Bản sao đánh dấu lỗi gửi lại đơn vị (tệp nén) và danh sách gửi thư",
        "bao-cao": "Dự thảo báo cáo (Word)",
    }

    def __init__(self, desk: Desk, log: Callable[[str], None]) -> None:
        self.desk = desk
        self.jobs: dict[str, Job] = {}
        self.log = log

    def start(self, kind: str, title: str | None = None, work: Callable[[Job], None] | None = None,
              locked: bool = True) -> Job:
        """Start a run of one kind (or ``work``, which takes the desk's lock itself when not ``locked``); the page
        polls its progress."""
        job = Job(uuid.uuid4().hex, kind, title or self.KINDS[kind])
        self.jobs[job.id] = job
        work = work or getattr(self, "_" + kind.replace("-", "_"))
        threading.Thread(target=self._work, args=(job, work, locked), daemon=True, name=f"job-{kind}").start()
        return job

    def _work(self, job: Job, work: Callable[[Job], None], locked: bool) -> None:
        try:
            if locked:
                with self.desk.lock:
                    work(job)
            else:
                work(job)
            job.state = "done"
        except RunError as exc:
            # a mail server's refusal without the server's own (English) words
            job.text, job.state = f"Lỗi: {getattr(exc, 'plain', exc)}", "failed"
        except Exception as exc:  # noqa: BLE001  (shown on the page, the traceback kept in the log)
            self.log(traceback.format_exc())
            job.text, job.state = f"Lỗi không mong đợi ({type(exc).__name__}): {exc}", "failed"

    def _scratch(self) -> Path:
        self.desk.config.out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".~web-", dir=self.desk.config.out_dir))

    def _bieu_mau(self, job: Job) -> None:
        from consolidate import narrative, schedule
        from consolidate.render import render_templates
        from consolidate.templates import make_templates

        campaign, form, units = self.desk.load()
        # kept in the output folder, as ``consolidate templates -o bieu_mau`` keeps them: the forms the clerk
        # downloads are the ones "Gửi biểu" mails
        folder = self.desk.config.out_dir / "bieu_mau"
        result = make_templates(campaign, form, units, folder,
                                extra_sheets=[narrative.template_writer, schedule.template_writer])
        target = self.desk.config.out_dir / f"bieu_mau_{_slug(campaign)}.zip"
        _zip_folder(folder, target)
        job.text = render_templates(result) + f"\nTệp nén để tải về (cả thư mục trên): {target.name}"
        job.path, job.download_name = target, target.name

    def _tong_hop(self, job: Job) -> None:
        from consolidate.merge import merge_folder
        from consolidate.render import render_merge

        campaign, form, units = self.desk.load()
        target = self.desk.config.out_dir / f"tong_hop_{_slug(campaign)}.xlsx"
        self.desk.config.folder.mkdir(parents=True, exist_ok=True)
        result = merge_folder(self.desk.config.folder, campaign, form, units, target, progress=job.progress)
        job.text = render_merge(result)
        job.path, job.download_name = target, target.name

    def _phan_hoi(self, job: Job) -> None:
        from consolidate.feedback import write_feedback
        from consolidate.render import render_feedback

        run = self.desk.run(progress=job.progress)
        scratch = self._scratch()
        try:
            folder = scratch / "phan_hoi"
            result = write_feedback(run, folder)
            text = render_feedback(result)
            if not result.files:
                job.text = text
                return
            target = self.desk.config.out_dir / f"phan_hoi_{_slug(run.campaign)}.zip"
            _zip_folder(folder, target)
            job.text = _as_zip(text, folder, target)
            job.path, job.download_name = target, target.name
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _bao_cao(self, job: Job) -> None:
        from consolidate.render import render_report
        from consolidate.report import write_report

        campaign, form, units = self.desk.load()
        target = self.desk.config.out_dir / f"bao_cao_{_slug(campaign)}.docx"
        self.desk.config.folder.mkdir(parents=True, exist_ok=True)
        job.text = render_report(write_report(self.desk.config.folder, campaign, form, units, target))
        job.path, job.download_name = target, target.name


# ---------------------------------------------------------------- what the pages show

@dataclass
class UnitRow:
    """One unit on the Tình hình page."""

    code: str
    name: str
    type: str
    state: str
    label: str
    file: str | None
    saved_at: str
    late: bool
    errors: int
    warnings: int
    received_at: str = ""  # the mail server's receipt time of a file fetched by "Nhận thư"
    sender: str = ""  # the address it came from


def unit_rows(run: RunResult) -> list[UnitRow]:
    """Every unit of the list with its standing and the file that counts."""
    from consolidate.mail_manifest import received_text
    from consolidate.summary import unit_saved_at  # a copy's or the server's time is no save time

    by_file = {f.file: f for f in run.files}
    mail = run.extras.get("mail") or {}
    rows = []
    for unit in run.units:
        st = run.unit_status[unit.code]
        f = by_file.get(st.file) if st.file else None
        # late by the save time the workbook carries, or by the mail server's receipt time (fetched files)
        late = bool(f and any(i.code in ("late", "late-received") for i in f.issues))
        rows.append(UnitRow(unit.code, unit.name, unit.type, st.status,
                            STATE_LABELS.get(st.status, UNIT_STATE_NAMES.get(st.status, st.status)),
                            st.file, _when(unit_saved_at(f)), late,
                            f.errors if f else 0, f.warnings if f else 0))
        record = mail.get(st.file) if st.file else None
        if record is not None:
            rows[-1].received_at = received_text(record.received_at) if record.received_at else ""
            rows[-1].sender = record.sender
    return rows


def status_counts(rows: list[UnitRow]) -> list[tuple[str, str, int]]:
    """(state, label, count) for the cards of the Tình hình page, "nộp muộn" among them."""
    states = list(STATE_LABELS) + sorted({r.state for r in rows} - set(STATE_LABELS))
    out = [(s, STATE_LABELS.get(s, UNIT_STATE_NAMES.get(s, s)), sum(1 for r in rows if r.state == s))
           for s in states]
    at = next(i for i, (state, _, _) in enumerate(out) if state == "rejected") + 1
    out.insert(at, ("late", "nộp muộn", sum(1 for r in rows if r.late)))
    return out


def type_counts(rows: list[UnitRow], types: list[str]) -> list[dict[str, Any]]:
    """Per unit type: how many units, and how many in each standing."""
    out = []
    for t in types:
        mine = [r for r in rows if r.type == t]
        out.append({"type": t or "(chưa ghi loại)", "units": len(mine),
                    **{s: sum(1 for r in mine if r.state == s) for s in STATE_LABELS},
                    "late": sum(1 for r in mine if r.late)})
    return out


def totals_rows(run: RunResult) -> tuple[list[dict[str, Any]], int]:
    """The district's totals so far (accepted units only, as ``merge`` adds them) and how many units."""
    from consolidate.merge import totals

    sums = totals(run)
    labels = {r.code: (r.stt, r.label, r.measures) for r in run.form.rows}
    rows = []
    for code in sums.index:
        stt, label, measures = labels.get(code, ("", code, ()))
        rows.append({"code": code, "stt": stt, "label": label,
                     **{m: (vn_number(sums.at[code, m]) if m in measures else "—") for m in MEASURE_LABELS}})
    merged = sum(1 for s in run.unit_status.values() if s.status == "accepted")
    return rows, merged


def other_files(run: RunResult) -> list[dict[str, Any]]:
    """Files of the folder that stand for no unit: older copies, unknown senders, not reports, unreadable."""
    out = []
    for f in run.files:
        if f.status in ("accepted", "rejected") and f.unit:
            continue
        reason = next((i.message for i in f.issues if i.severity == "error"), None) or \
            next((i.message for i in f.issues), "")
        out.append({"file": f.file, "status": FILE_STATUS_NAMES.get(f.status, f.status), "status_code": f.status,
                    "reason": reason, "settle": f.status in SETTLED_STATUSES,
                    "claims": _claims(run, f), "evidence": _evidence(run, f)})
    # what waits for the clerk first
    return sorted(out, key=lambda o: (o["status_code"] != "unconfirmed", not o["settle"]))


def _why(f: FileReport) -> str:
    """How the file's unit was found: the strongest evidence naming it (where it is written)."""
    if not f.unit:
        return ""
    for e in sorted(f.evidence, key=lambda e: -e.strength):
        if e.unit == f.unit:
            return e.source_name + (f" ({e.where})" if e.where else "")
    return IDENTITY_SOURCES.get(f.identity_source or "", "")


def _claims(run: RunResult, f: FileReport) -> list[tuple[str, str]]:
    """(code, name) of the units a file's evidence names, strongest first."""
    return [(code, u.name) for code in f.claims if (u := run.units.get(code)) is not None]


def _evidence(run: RunResult, f: FileReport) -> list[dict[str, str]]:
    """Each piece of evidence of who sent a file, strongest first, as the page shows it."""
    out = []
    for e in sorted(f.evidence, key=lambda e: -e.strength):
        unit = run.units.get(e.unit) if e.unit else None
        if unit is not None:
            names = f"{unit.name} ({unit.code})"
        elif e.candidates:
            names = "nhiều đơn vị: " + ", ".join(e.candidates)
        else:
            names = "không khớp đơn vị nào"
        out.append({"source": e.source_name, "where": e.where, "said": e.said, "unit": names,
                    "unit_code": unit.code if unit else ""})
    return out


def issue_rows(issues: list[Issue]) -> list[dict[str, Any]]:
    """Issues as the unit page shows them: where (sheet!cell), what was found, what was expected, why."""
    order = {"error": 0, "warning": 1, "info": 2}
    out = []
    for i in sorted(issues, key=lambda i: order.get(i.severity, 3)):
        where = f"{i.sheet}!{i.cell}" if i.sheet and i.cell else (i.sheet or i.cell or "")
        out.append({"severity": i.severity, "severity_name": SEVERITY_NAMES.get(i.severity, i.severity),
                    "where": where, "indicator": i.indicator or "", "value": i.value or "",
                    "expected": i.expected or "", "message": i.message, "code": i.code})
    return out


def file_view(run: RunResult, f: FileReport) -> dict[str, Any]:
    """One file on the unit page."""
    from consolidate.summary import unit_saved_at

    return {"file": f.file, "status": f.status, "status_name": FILE_STATUS_NAMES.get(f.status, f.status),
            "evidence": _evidence(run, f), "claims": _claims(run, f), "settle": f.status in SETTLED_STATUSES,
            "replaces": f.replaces, "same_as": list(f.same_as), "same_more": max(f.same_count - len(f.same_as), 0),
            "changes": [{"indicator": c.indicator, "measure": MEASURE_LABELS.get(c.measure, "nội dung"),
                         "cell": c.cell or "", "old": _shown(c.old), "new": _shown(c.new)} for c in f.changes],
            "parts": ", ".join(PART_NAMES.get(p, p) for p in f.parts), "saved_at": _when(unit_saved_at(f)),
            "received_at": _when(f.received_at),
            "identity": _why(f) or ("chưa rõ: các dấu hiệu chỉ nhiều đơn vị" if f.claims else "không xác định được"),
            "issues": issue_rows(f.issues), "errors": f.errors, "warnings": f.warnings}


def _shown(value: object) -> str:
    if isinstance(value, (int, float)):
        return vn_number(value)
    return "" if value is None else str(value)


def unit_values(run: RunResult, file: str | None) -> list[dict[str, Any]]:
    """The numbers read from the file that counts for a unit."""
    if not file or run.table is None or not len(run.table):
        return []
    rows = run.table[run.table["file"] == file]
    labels = {r.code: (r.stt, r.label, r.measures) for r in run.form.rows}
    out = []
    for _, row in rows.iterrows():
        stt, label, measures = labels.get(row["indicator"], ("", row["indicator"], ()))
        if not measures:
            continue
        out.append({"stt": stt, "label": label, "cells": {
            m: (vn_number(row[m]), row.get(f"cell_{m}") or "") if m in measures else ("—", "")
            for m in MEASURE_LABELS}})
    return out


# ---------------------------------------------------------------- the application

def create_app(config: WebConfig, log: Callable[[str], None] | None = None) -> Flask:
    """The Flask application of one campaign."""
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"),
                static_url_path="/tai-nguyen")
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # a new key per start: sessions end with the server
        SESSION_COOKIE_NAME="consolidate_phien",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=intake.MAX_UPLOAD_BYTES,
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        MAX_FORM_PARTS=intake.MAX_FILES + 10,
        TEMPLATES_AUTO_RELOAD=False,
    )
    desk = Desk(config)
    write_log = log or (lambda text: None)
    jobs = Jobs(desk, write_log)
    from consolidate.web.mail import Postbox, register as register_mail

    postbox = Postbox(desk, config)
    app.extensions["consolidate"] = {"desk": desk, "jobs": jobs, "postbox": postbox}

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    @app.context_processor
    def common() -> dict[str, Any]:
        try:
            campaign = desk.load()[0]
        except RunError:
            campaign = None
        return {"csrf_token": csrf_token, "campaign": campaign, "poll_seconds": POLL_SECONDS,
                "folder": config.folder, "out_dir": config.out_dir, "vn": vn_number,
                "need_login": bool(config.password)}

    @app.before_request
    def guard() -> Response | None:
        if not config.open_host:
            # only requests addressed to this machine by name: a foreign page that rebinds its own name
            # to 127.0.0.1 sends its own Host and is refused
            host = (request.host or "").rsplit(":", 1)[0].strip("[]")
            if host not in LOOPBACK:
                abort(400, "Địa chỉ truy cập không hợp lệ; hãy mở trang bằng http://127.0.0.1.")
        if config.password and not session.get("auth") and request.endpoint not in ("login", "static"):
            if request.method == "POST" or request.path.endswith(".json"):
                abort(403, "Cần đăng nhập.")
            return redirect(url_for("login", next=request.path))
        if request.method == "POST":
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
            if not sent or "csrf" not in session or not hmac.compare_digest(sent, session["csrf"]):
                abort(403, "Phiên làm việc đã hết hạn hoặc yêu cầu không đến từ trang này. Hãy tải lại trang rồi làm lại.")
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                                   "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                                   "frame-ancestors 'none'; form-action 'self'")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if resp.mimetype in ("text/html", "application/json"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    def wants_fragment() -> bool:
        return request.headers.get("X-Requested-With") == "consolidate"

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int]:
        code = exc.code or 500
        if isinstance(exc, RequestEntityTooLarge):
            text = (f"Tệp gửi lên quá lớn: mỗi lần gửi tối đa {intake.MAX_ARCHIVE_BYTES // (1024 * 1024)} MB "
                    f"(một biểu báo cáo tối đa {intake.MAX_FILE_BYTES // (1024 * 1024)} MB). Không tệp nào được lưu.")
        elif code == 404:
            text = "Không có trang này."
        elif code == 405:
            text = "Không thực hiện được thao tác này trên trang này."
        else:
            text = exc.description if exc.description and not exc.description.isascii() else \
                f"Yêu cầu không thực hiện được (mã {code})."
        if wants_fragment() or request.path.endswith(".json"):
            return jsonify({"error": text}), code
        return render_template("loi.html", message=text, code=code), code

    @app.errorhandler(RunError)
    def run_error(exc: RunError) -> tuple[Any, int]:
        if wants_fragment() or request.path.endswith(".json"):
            return jsonify({"error": f"Lỗi: {exc}"}), 500
        return render_template("loi.html", message=f"Lỗi: {exc}", code=500), 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Any, int]:
        write_log(traceback.format_exc())
        text = f"Lỗi không mong đợi ({type(exc).__name__}). Chi tiết đã ghi vào nhật ký; hãy tải lại trang."
        if wants_fragment() or request.path.endswith(".json"):
            return jsonify({"error": text}), 500
        return render_template("loi.html", message=text, code=500), 500

    register_mail(app, postbox, jobs, wants_fragment)

    @app.route("/dang-nhap", methods=["GET", "POST"])
    def login() -> Any:
        error = ""
        if request.method == "POST":
            if config.password and hmac.compare_digest(request.form.get("password", "").encode(),
                                                       config.password.encode()):
                session["auth"] = True
                target = request.args.get("next", "/")
                return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
            error = "Mật khẩu không đúng."
        return render_template("dang_nhap.html", error=error, page="login")

    @app.route("/")
    def overview() -> str:
        run = desk.run()
        rows = unit_rows(run)
        totals, merged = totals_rows(run)
        return render_template("tinh_hinh.html", page="overview", run=run, rows=rows,
                               counts=status_counts(rows), types=type_counts(rows, run.units.types),
                               totals=totals, merged=merged, others=other_files(run),
                               measures=MEASURE_LABELS, signature=desk.signature(),
                               by_mail=bool(run.extras.get("mail")),
                               checked_at=dt.datetime.now().strftime("%H:%M:%S %d/%m/%Y"))

    @app.route("/trang-thai.json")
    def state() -> Response:
        return jsonify({"signature": desk.signature()})

    @app.route("/don-vi/<code>")
    def unit_page(code: str) -> str:
        run = desk.run()
        unit = run.units.get(code)
        if unit is None or unit.code not in run.unit_status:
            abort(404)
        st = run.unit_status[unit.code]
        # its own files, and those whose sender is unclear but which may be its own
        files = [file_view(run, f) for f in run.files if f.unit == unit.code
                 or (f.status in SETTLED_STATUSES and unit.code in f.claims)]
        counted = next((f for f in files if f["file"] == st.file), None) if st.status in ("accepted", "rejected") \
            else None
        return render_template("don_vi.html", page="unit", unit=unit, state=st.status,
                               label=STATE_LABELS.get(st.status, UNIT_STATE_NAMES.get(st.status, st.status)),
                               counted=counted, files=files, values=unit_values(run, st.file),
                               measures=MEASURE_LABELS, signature=desk.signature(), all_units=list(run.units))

    @app.route("/xac-nhan", methods=["POST"])
    def settle() -> Any:
        """Book a file whose sender is unclear to the unit the clerk names, in the campaign's [xac_nhan] table."""
        from consolidate.campaign import add_confirmation

        name = request.form.get("file", "")
        code = request.form.get("unit") or request.form.get("unit_other") or ""
        with desk.lock:
            run = desk.run()
            # the file is looked up among those the check found; its name is never used to open anything
            report = next((f for f in run.files if f.file == name), None)
            if report is None or report.status not in SETTLED_STATUSES:
                abort(404)
            unit = run.units.get(code)
            if unit is None or unit.code != code:
                abort(400, "Hãy chọn một đơn vị trong danh sách.")
            if config.campaign_file is None:
                abort(400, "Chưa có tệp đợt báo cáo (--campaign) để ghi xác nhận; hãy mở trang với --campaign TỆP.")
            add_confirmation(config.campaign_file, report.file, unit.code)
        flash(f"Đã xác nhận tệp {report.file} là của {unit.name} ({unit.code}); đã ghi vào mục [xac_nhan] "
              f"của tệp đợt báo cáo {config.campaign_file.name}.")
        return redirect(url_for("unit_page", code=unit.code))

    @app.route("/nhan-tep", methods=["GET", "POST"])
    def receive_page() -> Any:
        if request.method == "GET":
            return render_template("nhan_tep.html", page="receive", results=None,
                                   max_file=intake.MAX_FILE_BYTES, max_archive=intake.MAX_ARCHIVE_BYTES,
                                   max_files=intake.MAX_FILES)
        sent = request.files.getlist("tep")
        if not sent or all(not f.filename for f in sent):
            results: list[dict[str, Any]] = []
            message = "Chưa chọn tệp nào."
        else:
            files: list[intake.Incoming] = []
            times = request.form.getlist("mtime")
            for k, storage in enumerate(sent):
                # read at most one byte past the bound: a larger part is refused without being kept
                data = storage.stream.read(intake.MAX_ARCHIVE_BYTES + 1)
                when = times[k] if k < len(times) and len(times) == len(sent) else None
                files.append((storage.filename or "", data, _ms(when)))
            with desk.lock:
                received = intake.receive(config.folder, files)
                run = desk.run() if any(r.saved for r in received) else None
            results = [_received_view(r, run) for r in received]
            message = ""
        if wants_fragment():
            return render_template("_ket_qua_nhan.html", results=results, message=message)
        return render_template("nhan_tep.html", page="receive", results=results, message=message,
                               max_file=intake.MAX_FILE_BYTES, max_archive=intake.MAX_ARCHIVE_BYTES,
                               max_files=intake.MAX_FILES)

    @app.route("/tai-ve")
    def downloads() -> str:
        recent = sorted(jobs.jobs.values(), key=lambda j: j.id)
        return render_template("tai_ve.html", page="downloads", kinds=Jobs.KINDS, jobs=recent)

    @app.route("/tai-ve/<kind>", methods=["POST"])
    def start_job(kind: str) -> Any:
        if kind not in Jobs.KINDS:
            abort(404)
        job = jobs.start(kind)
        if wants_fragment():
            return jsonify(job.to_dict())
        return redirect(url_for("job_page", job_id=job.id))

    @app.route("/viec/<job_id>")
    def job_page(job_id: str) -> str:
        job = jobs.jobs.get(job_id) or abort(404)
        return render_template("viec.html", page="downloads", job=job)

    @app.route("/viec/<job_id>.json")
    def job_state(job_id: str) -> Response:
        job = jobs.jobs.get(job_id) or abort(404)
        return jsonify(job.to_dict())

    @app.route("/viec/<job_id>/tep")
    def job_file(job_id: str) -> Response:
        job = jobs.jobs.get(job_id) or abort(404)
        if job.state != "done" or job.path is None or not job.path.is_file():
            abort(404)
        # a path the server wrote itself, inside the output folder
        target = outputs.inside(config.out_dir, job.path.name)
        return send_file(target, as_attachment=True, download_name=job.download_name)

    return app


def _ms(value: str | None) -> float | None:
    """A browser's File.lastModified (milliseconds) as seconds."""
    try:
        return float(value) / 1000 if value else None
    except ValueError:
        return None


def _received_view(r: intake.Received, run: RunResult | None) -> dict[str, Any]:
    """What the Nhận tệp page says about one file handed over."""
    view: dict[str, Any] = {"name": r.name, "archive": r.archive, "saved": r.saved, "kept": r.kept,
                            "duplicate_of": r.duplicate_of, "notes": [i.message for i in r.issues],
                            "refused": not r.kept}
    report = None
    if run is not None and r.saved:
        report = next((f for f in run.files if f.file == r.saved), None)
    if report is not None:
        unit = run.units.get(report.unit) if report.unit else None  # type: ignore[union-attr]
        view.update({
            "status": report.status, "status_name": FILE_STATUS_NAMES.get(report.status, report.status),
            "unit": f"{unit.name} ({unit.code})" if unit else None, "unit_code": unit.code if unit else None,
            "why": _why(report),
            "claims": _claims(run, report),  # type: ignore[arg-type]
            "errors": report.errors, "warnings": report.warnings,
            "first_error": next((i.message for i in report.issues if i.severity == "error"), ""),
        })
    return view


def make_log(out_dir: Path) -> Callable[[str], None]:
    """Append unexpected errors to ``nhat_ky_trang_web.log`` in the output folder (never shown as a traceback)."""
    lock = threading.Lock()

    def log(text: str) -> None:
        with lock:
            out_dir.mkdir(parents=True, exist_ok=True)
            with open(out_dir / "nhat_ky_trang_web.log", "a", encoding="utf-8") as fh:
                fh.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
    return log


def make_server(config: WebConfig, host: str, port: int) -> Any:
    """A threaded HTTP server for the page on (host, port); the next ports are tried when it is taken."""
    from werkzeug.serving import WSGIRequestHandler, make_server as werkzeug_server

    class Quiet(WSGIRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002  (werkzeug's signature)
            """No access log in English on the clerk's terminal."""

    app = create_app(config, make_log(config.out_dir))
    last: OSError | None = None
    for candidate in ([port] if port == 0 else range(port, port + 20)):
        try:
            return werkzeug_server(host, candidate, app, threaded=True, request_handler=Quiet)
        except OSError as exc:  # the port is taken (another copy of the page, another program)
            last = exc
    raise RunError(f"Không mở được cổng {port}–{port + 19} trên {host}: {last}. Hãy chọn cổng khác bằng --port.")
