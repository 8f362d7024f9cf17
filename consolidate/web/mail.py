"""The mail buttons of the page (Gửi biểu, Nhận thư, Nhắc đơn vị): the library's ``plan_letters`` /
``send_letters`` and ``fetch_returns``, the functions ``consolidate send`` and ``consolidate fetch`` call, run
as jobs of the page.

Nothing is sent without a preview: "Xem trước" plans the letters (who, which address, which subject, which
attachment, who was already mailed in this round by the send log) and keeps the plan in memory; the clerk
confirms that very plan, and it is sent once (the send log skips units already mailed unless the clerk asks to
resend).

The password: from ``CONSOLIDATE_MAIL_PASSWORD`` or the system keyring, as on the command line
(``get_password``); else typed on the page and posted with the confirmation. A typed password that the server
accepted is kept in this process's memory until the page is stopped, so that it is typed once; it is never
written to a file or a log and never sent back to the browser. Errors from the mail servers are shown in
Vietnamese only (``MailError.plain``): the server's own English words stay out of the page.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for

from consolidate.issues import RunError, UsageError
from consolidate.results import FILE_STATUS_NAMES

if TYPE_CHECKING:
    from consolidate.mail_config import MailSettings
    from consolidate.mail_send import Plan
    from consolidate.web import Desk, Job, Jobs, WebConfig

KIND_NAMES = {"bieu": "biểu mẫu", "nhac": "nhắc nộp, kèm lại biểu mẫu",
              "sua": "nhắc sửa lỗi, kèm bản sao đánh dấu ô cần sửa"}
OUTCOME_NAMES = {"sent": "đã gửi", "skipped": "bỏ qua: đã gửi trong đợt này", "refused": "máy chủ từ chối",
                 "deferred": "chưa gửi được: máy chủ tạm từ chối hoặc mất kết nối; bấm gửi lại sau ít phút",
                 "no_email": "chưa có email", "no_file": "không có tệp gửi kèm", "dry_run": "chưa gửi"}
LOST = ("Mất kết nối với máy chủ thư giữa chừng. Các thư đã gửi được ghi trong nhật ký gửi thư; "
        "bấm lại sau ít phút để làm tiếp (không gửi trùng).")


@dataclass
class PlannedSend:
    """A previewed plan, waiting for the clerk's confirmation."""

    id: str
    plan: Plan
    settings: MailSettings
    reminders: bool
    state: str = "ready"  # ready | sending | sent
    notes: list[str] = field(default_factory=list)


class Postbox:
    """The campaign's mail settings, the typed password (memory only) and the plans waiting for confirmation."""

    def __init__(self, desk: Desk, config: WebConfig) -> None:
        self.desk, self.config = desk, config
        self._remembered: str | None = None
        self.plans: dict[str, PlannedSend] = {}
        self.sending = threading.Lock()  # one send at a time

    def enabled(self) -> bool:
        """True when the campaign file has an ``[email]`` section."""
        from consolidate.mail_config import has_mail_settings

        return has_mail_settings(self.config.campaign_file)

    def settings(self) -> MailSettings:
        """The ``[email]`` settings, as ``send`` and ``fetch`` read them."""
        from consolidate.mail_config import load_mail_settings

        campaign = self.desk.load()[0]
        return load_mail_settings(self.config.campaign_file, campaign.email, campaign.office, campaign.start)

    def has_password(self, settings: MailSettings) -> bool:
        """Whether a password is at hand without asking (environment, keyring, or typed earlier)."""
        from consolidate.mail_config import get_password

        if not settings.user or self._remembered:
            return True
        try:
            get_password(settings)
            return True
        except UsageError:
            return False

    def password(self, settings: MailSettings, typed: str) -> str:
        """Environment, then keyring (``get_password``'s order), then what was typed on the page."""
        from consolidate.mail_config import get_password

        def ask(_: str) -> str:
            if typed:
                return typed
            if self._remembered:
                return self._remembered
            raise UsageError(f"Hãy nhập mật khẩu thư của {settings.user} vào ô \"Mật khẩu thư\" rồi bấm lại.")
        return get_password(settings, ask)

    def accepted(self, typed: str) -> None:
        """The server took the typed password: keep it in memory for the next button."""
        if typed:
            self._remembered = typed

    def refused(self) -> None:
        """The server refused: forget a password kept in memory."""
        self._remembered = None

    def templates_dir(self, job: Job) -> Path:
        """The forms to mail: those of Tải về (``ket_qua/bieu_mau``), else those ``consolidate templates`` wrote
        beside the campaign file (``bieu_mau``); when neither exists they are made first, as Tải về makes them."""
        from consolidate.templates import MAILING_LIST_NAME

        ours = self.config.out_dir / "bieu_mau"
        beside = self.config.campaign_file.parent / "bieu_mau" if self.config.campaign_file else None
        for folder in (ours, beside):
            if folder is not None and (folder / MAILING_LIST_NAME).is_file():
                return folder
        from consolidate import narrative, schedule
        from consolidate.templates import make_templates

        campaign, form, units = self.desk.load()
        result = make_templates(campaign, form, units, ours,
                                extra_sheets=[narrative.template_writer, schedule.template_writer])
        job.notes.append(f"Chưa có biểu mẫu: đã tạo {len(result.files)} biểu mẫu trong thư mục {ours}.")
        return ours


# ---------------------------------------------------------------------------------------- the jobs

def _mail_errors(postbox: Postbox, work: Any) -> Any:
    """Run ``work``; a lost connection becomes a Vietnamese error, a refused login forgets the password."""
    from consolidate.mail_config import MailError

    try:
        return work()
    except MailError:
        postbox.refused()
        raise
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error) as exc:
        raise RunError(LOST) from exc


def plan_job(postbox: Postbox, job: Job, reminders: bool) -> None:
    """Xem trước: the letters of Gửi biểu (or of Nhắc đơn vị, after checking the returns folder)."""
    from consolidate.mail_send import plan_letters, read_log, sent_units

    config = postbox.config
    with postbox.desk.lock:
        campaign, form, units = postbox.desk.load()
        settings = postbox.settings()
        templates = postbox.templates_dir(job)
        config.folder.mkdir(parents=True, exist_ok=True)
        plan = plan_letters(campaign, form, units, settings, templates,
                            returns_dir=config.folder if reminders else None,
                            feedback_dir=config.out_dir / "phan_hoi" if reminders else None)
    done = sent_units(read_log(settings.send_log), plan.round)
    planned = PlannedSend(job.id, plan, settings, reminders, notes=list(job.notes))
    postbox.plans[job.id] = planned
    letters = [{"code": l.unit.code, "name": l.unit.name, "email": l.unit.email, "subject": l.subject, "body": l.body,
                "kind": KIND_NAMES.get(l.kind, l.kind), "done": l.unit.code in done,
                "attachments": [(p.name, _size(p)) for p in l.attachments]} for l in plan.letters]
    counts = plan.run.counts() if plan.run is not None else None
    job.template = "_thu_xem_truoc.html"
    job.view = {"planned": planned, "letters": letters, "counts": counts, "templates": templates,
                "feedback": plan.feedback.out_dir if plan.feedback is not None and plan.feedback.files else None,
                "left": [{"code": o.unit.code, "name": o.unit.name, "why": o.detail} for o in plan.left],
                "new": sum(1 for l in letters if not l["done"]), "already": sum(1 for l in letters if l["done"]),
                "need_password": not postbox.has_password(settings), "user": settings.user,
                "log": settings.send_log}
    job.text = f"Sẽ gửi {job.view['new']} thư."


def send_job(postbox: Postbox, job: Job, planned: PlannedSend, typed: str, resend: bool) -> None:
    """Gửi: the previewed letters, once (``send_letters`` skips units already mailed in the round)."""
    from consolidate.mail_send import send_letters

    settings, plan = planned.settings, planned.plan
    try:
        settings.check_security("smtp")
        password = postbox.password(settings, typed) if settings.user and plan.letters else None
        result = _mail_errors(postbox, lambda: send_letters(plan.letters, settings, round_name=plan.round,
                                                            password=password, resend=resend, progress=job.progress))
    except BaseException:
        planned.state = "ready"
        raise
    finally:
        postbox.sending.release()
    planned.state = "sent"
    if any(o.status in ("sent", "refused", "deferred") for o in result.outcomes):
        postbox.accepted(typed)
    rows = [{"code": o.unit.code, "name": o.unit.name, "email": o.unit.email, "status": o.status,
             "label": _outcome(o.status, o.detail)} for o in result.outcomes]
    kind = "thư nhắc" if planned.reminders else "thư gửi biểu mẫu"
    job.template = "_thu_da_gui.html"
    job.view = {"rows": rows, "sent": result.count("sent"), "skipped": result.count("skipped"), "kind": kind,
                "round": result.round, "log": result.log, "problems": result.has_problems}
    job.text = f"Đã gửi {result.count('sent')} {kind}."


def fetch_job(postbox: Postbox, job: Job, typed: str) -> None:
    """Nhận thư: the units' files from the mailbox into the returns folder, then the folder checked again."""
    from consolidate.mail_fetch import fetch_returns
    from consolidate.mail_manifest import received_text
    from consolidate.render import render_fetch

    settings = postbox.settings()
    settings.check_security("imap")
    password = postbox.password(settings, typed)
    with postbox.desk.lock:
        result = _mail_errors(postbox, lambda: fetch_returns(settings, password, postbox.config.folder,
                                                             progress=job.progress))
        postbox.accepted(typed)
        run = postbox.desk.run()
    by_file = {f.file: f for f in run.files}
    rows = []
    for r in result.saved:
        report = by_file.get(r.saved)
        unit = run.units.get(report.unit) if report is not None and report.unit else None
        rows.append({"file": r.saved, "original": r.original, "sender": r.sender, "sender_name": r.sender_name,
                     "received": received_text(r.received_at) if r.received_at else "",
                     "status": report.status if report else "", "unit_code": unit.code if unit else "",
                     "status_name": FILE_STATUS_NAMES.get(report.status, report.status) if report else "",
                     "unit": f"{unit.name} ({unit.code})" if unit else ""})
    text = render_fetch(result).split(" Bước tiếp theo:")[0]
    job.template = "_thu_da_nhan.html"
    job.view = {"rows": rows, "result": result, "details": text,
                "duplicates": sum(1 for r in result.new_rows if r.saved and r not in result.saved),
                "empty": [r for r in result.new_rows if not r.saved]}
    job.text = f"Đã lưu {len(rows)} tệp."


def _outcome(status: str, detail: str) -> str:
    label = OUTCOME_NAMES.get(status, status)
    code = re.match(r"\s*(\d{3})\b", detail or "")
    if status in ("refused", "deferred") and code:
        label += f" (mã trả lời {code.group(1)})"
    elif status in ("no_email", "no_file") and detail:
        label = detail
    return label


def _size(path: Path) -> str:
    try:
        kb = path.stat().st_size / 1024
    except OSError:
        return ""
    return f"{kb:,.0f} KB".replace(",", ".") if kb >= 1 else "1 KB"


# ---------------------------------------------------------------------------------------- the routes

def register(app: Flask, postbox: Postbox, jobs: Jobs, wants_fragment: Any) -> None:
    """The Thư page and its posts (each carries the CSRF token, checked for every POST by the app's guard)."""

    def started(job: Job) -> Any:
        if wants_fragment():
            return jsonify(job.to_dict())
        return redirect(url_for("job_page", job_id=job.id))

    def usable() -> None:
        if not postbox.enabled():
            abort(400, "Tệp đợt báo cáo chưa có mục [email]: hãy thêm mục đó (xem trang Thư) rồi tải lại trang.")

    @app.route("/thu")
    def mail_page() -> str:
        settings, problem, need_password = None, "", False
        if postbox.enabled():
            try:
                settings = postbox.settings()
                need_password = not postbox.has_password(settings)
            except RunError as exc:
                problem = str(exc)
        return render_template("thu.html", page="mail", enabled=postbox.enabled(), settings=settings,
                               problem=problem, need_password=need_password,
                               campaign_file=postbox.config.campaign_file)

    @app.route("/thu/xem-truoc/<what>", methods=["POST"])
    def mail_preview(what: str) -> Any:
        if what not in ("gui-bieu", "nhac"):
            abort(404)
        usable()
        reminders = what == "nhac"
        title = "Xem trước thư nhắc đơn vị" if reminders else "Xem trước thư gửi biểu mẫu"
        return started(jobs.start(f"xem-{what}", title, lambda job: plan_job(postbox, job, reminders),
                                  locked=False))

    @app.route("/thu/gui/<plan_id>", methods=["POST"])
    def mail_send(plan_id: str) -> Any:
        usable()
        planned = postbox.plans.get(plan_id) or abort(404)
        if planned.state == "sent":
            abort(409, "Các thư này đã được gửi. Bấm \"Xem trước\" để lập lại danh sách trước khi gửi tiếp.")
        if not postbox.sending.acquire(blocking=False):
            abort(409, "Đang gửi thư; chờ lượt gửi này xong rồi bấm lại.")
        planned.state = "sending"
        typed = request.form.get("mat_khau", "")
        resend = request.form.get("gui_lai") == "1"
        title = "Gửi thư nhắc đơn vị" if planned.reminders else "Gửi biểu mẫu cho các đơn vị"
        try:
            job = jobs.start("gui-thu", title, lambda job: send_job(postbox, job, planned, typed, resend),
                             locked=False)
        except BaseException:
            planned.state = "ready"
            postbox.sending.release()
            raise
        return started(job)

    @app.route("/thu/nhan", methods=["POST"])
    def mail_fetch() -> Any:
        usable()
        typed = request.form.get("mat_khau", "")
        return started(jobs.start("nhan-thu", "Nhận thư: lưu tệp đơn vị gửi về",
                                  lambda job: fetch_job(postbox, job, typed), locked=False))
