"""``send``: one message per unit with its own workbook attached, over SMTP (SSL or STARTTLS), or as .eml files.

Messages are built with the standard ``email`` package (EmailMessage, SMTP policy: the Vietnamese subject and
names are RFC 2047-encoded, the body is UTF-8) and sent with ``smtplib``. A send log (JSON lines next to the
campaign file, one line per message, flushed before the next message) makes a rerun safe: a unit already
mailed in this round is skipped unless ``resend``; a run stopped halfway resumes where it stopped. A temporary
refusal (4xx, a dropped connection) is retried with a growing pause; a permanent refusal (5xx) is recorded for
that unit and the run goes on. The password is only ever held in memory.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import email.policy
import hashlib
import io
import json
import os
import smtplib
import socket
import ssl
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.headerregistry import Address
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from consolidate import outputs
from consolidate.issues import RunError, UsageError
from consolidate.mail_config import MailError, MailSettings

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.feedback import FeedbackResult
    from consolidate.form import Form
    from consolidate.results import RunResult
    from consolidate.units import Unit, UnitList

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
FIRST_ROUND = "gui-bieu"
SUBJECT_LEAD = "Tiêu đề:"

# Placeholders a clerk may use in the text templates (thu_gui.txt, thu_nhac.txt), with what they stand for.
PLACEHOLDERS = {
    "ten_don_vi": "tên đơn vị", "ma_don_vi": "mã đơn vị", "tep": "tên tệp đính kèm", "han_nop": "hạn nộp",
    "dot": "tên đợt báo cáo", "bieu": "tên biểu mẫu", "phong": "tên phòng", "email_nhan": "email nhận báo cáo",
    "huyen": "tên huyện", "nam": "năm", "tinh_trang": "tình trạng báo cáo của đơn vị (thư nhắc)",
}

DEFAULT_REMINDER = """Tiêu đề: Nhắc gửi {bieu} {dot} — {ten_don_vi}

Kính gửi: {ten_don_vi},

{phong} nhắc đơn vị: {tinh_trang}
Đề nghị đơn vị hoàn thành và gửi tệp {tep} (đính kèm) về {email_nhan} trước ngày {han_nop}.

Trân trọng cảm ơn.
{phong}
"""


@dataclass
class Letter:
    """One message to one unit."""

    unit: Unit
    subject: str
    body: str
    attachments: list[Path]
    kind: str = "bieu"  # "bieu" (the form) | "nhac" (reminder, missing) | "sua" (reminder with feedback copy)


@dataclass
class Outcome:
    """What happened to one unit's message."""

    unit: Unit
    # "sent" | "dry_run" | "skipped" (already sent this round) | "refused" (5xx) | "deferred" (4xx, retries spent)
    # | "no_email" | "no_file"
    status: str
    detail: str = ""
    path: Path | None = None  # the .eml of a dry run
    message_id: str = ""


@dataclass
class SendResult:
    """What ``send_letters`` did, unit by unit."""

    round: str
    outcomes: list[Outcome] = field(default_factory=list)
    log: Path | None = None
    dry_run_dir: Path | None = None

    def count(self, status: str) -> int:
        """Number of units with this outcome."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def has_problems(self) -> bool:
        """True when a unit could not be mailed."""
        return any(o.status in ("refused", "deferred", "no_email", "no_file") for o in self.outcomes)


# ---------------------------------------------------------------------------------------------- texts

def _fields(campaign: Campaign, form: Form, unit: Unit, file_name: str, state: str = "") -> dict[str, str]:
    office = campaign.office or "Phòng Giáo dục và Đào tạo"
    return {
        "ten_don_vi": unit.name, "ma_don_vi": unit.code, "tep": file_name,
        "han_nop": campaign.deadline.strftime("%d/%m/%Y") if campaign.deadline else "……",
        "dot": campaign.title, "bieu": form.name, "phong": office,
        "email_nhan": campaign.email or "địa chỉ email này", "huyen": campaign.district, "nam": str(campaign.year),
        "tinh_trang": state,
    }


def load_text_template(path: Path | None) -> tuple[str, str] | None:
    """A text template (first line ``Tiêu đề: …``, then the body), checked for unknown placeholders; None if absent."""
    if path is None or not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise UsageError(f"Mẫu thư {path} không phải văn bản UTF-8; hãy lưu lại bằng Notepad với mã UTF-8.") from None
    return parse_text_template(text, str(path))


def parse_text_template(text: str, where: str) -> tuple[str, str]:
    """(subject, body) of a template text; unknown ``{tên}`` placeholders are a usage error naming them."""
    first, _, rest = text.lstrip("\n").partition("\n")
    if not first.lower().startswith(SUBJECT_LEAD.lower()):
        raise UsageError(f"Mẫu thư {where}: dòng đầu phải là \"{SUBJECT_LEAD} …\" (tiêu đề thư), "
                         "các dòng sau là nội dung.")
    subject, body = first[len(SUBJECT_LEAD):].strip(), rest.strip("\n") + "\n"
    try:
        names = {n for part in (subject, body) for _, n, _, _ in string.Formatter().parse(part) if n is not None}
    except ValueError as exc:
        raise UsageError(f"Mẫu thư {where}: dấu ngoặc {{ }} không khớp ({exc}).") from None
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    if unknown:
        known = ", ".join("{" + k + "}" for k in PLACEHOLDERS)
        raise UsageError(f"Mẫu thư {where}: không hiểu {', '.join('{' + n + '}' for n in unknown)}; dùng được: {known}.")
    return subject, body


def _fill(template: tuple[str, str], values: dict[str, str]) -> tuple[str, str]:
    subject, body = template
    # a value never goes through format() itself, so braces in a unit's name stay as they are
    return " ".join(subject.format_map(values).split()), body.format_map(values)


# ------------------------------------------------------------------------------------------- letters

def template_files(templates_dir: Path, units: UnitList) -> dict[str, Path]:
    """Each unit's workbook in a folder written by ``templates``, by the mailing list it wrote there."""
    from consolidate.templates import MAILING_LIST_NAME, MASTER_NAME

    found: dict[str, Path] = {}
    mailing = templates_dir / MAILING_LIST_NAME
    if mailing.is_file():
        rows = list(csv.reader(io.StringIO(mailing.read_text(encoding="utf-8-sig"))))
        for row in rows[1:]:
            if len(row) >= 4:
                code = row[1][1:] if row[1][:2] in ("'=", "'+", "'-", "'@") else row[1]
                found[code] = templates_dir / row[3]
    else:  # the names make_templates gives, in the same order
        names = outputs.unique_names([MASTER_NAME] + [outputs.unit_file_name(u.code, u.name) for u in units])[1:]
        found = {u.code: templates_dir / n for u, n in zip(units, names)}
    return found


def form_letters(campaign: Campaign, form: Form, units: UnitList, templates_dir: Path,
                 settings: MailSettings) -> tuple[list[Letter], list[Outcome]]:
    """The first round: each unit's own workbook from ``templates_dir``; units without email or file come back."""
    from consolidate.templates import mail_body, mail_subject

    if not templates_dir.is_dir():
        raise UsageError(f"Không thấy thư mục biểu mẫu {templates_dir}: chạy consolidate templates trước "
                         "(hoặc chỉ thư mục bằng --templates).")
    custom = load_text_template(settings.template)
    files = template_files(templates_dir, units)
    letters: list[Letter] = []
    left: list[Outcome] = []
    for unit in units:
        path = files.get(unit.code)
        if not unit.email:
            left.append(Outcome(unit, "no_email", "danh sách đơn vị chưa có email"))
            continue
        if path is None or not path.is_file():
            left.append(Outcome(unit, "no_file", f"không thấy biểu mẫu của đơn vị trong {templates_dir}"))
            continue
        if custom is not None:
            subject, body = _fill(custom, _fields(campaign, form, unit, path.name))
        else:
            subject, body = mail_subject(campaign, form, unit), mail_body(campaign, form, unit, path.name) + "\n"
        letters.append(Letter(unit, subject, body, [path], "bieu"))
    return letters, left


def reminder_letters(run: RunResult, feedback: FeedbackResult | None, templates_dir: Path,
                     settings: MailSettings) -> tuple[list[Letter], list[Outcome]]:
    """Reminders after a check: units still missing get their form again, units whose return has errors get
    the highlighted copy of it; accepted units get nothing."""
    campaign, form, units = run.campaign, run.form, run.units
    template = load_text_template(settings.reminder_template) or parse_text_template(DEFAULT_REMINDER, "mặc định")
    copies = {f.report.unit: f.path for f in (feedback.files if feedback else []) if f.report.unit}
    forms = template_files(templates_dir, units) if templates_dir.is_dir() else {}
    letters: list[Letter] = []
    left: list[Outcome] = []
    for unit in units:
        standing = run.unit_status.get(unit.code)
        if standing is None or standing.status not in ("missing", "rejected"):
            continue
        if standing.status == "missing":
            path = forms.get(unit.code)
            kind = "nhac"
            state = "đến nay Phòng chưa nhận được báo cáo của đơn vị."
        else:
            path = copies.get(unit.code)
            kind = "sua"
            report = next((f for f in run.files if f.file == standing.file), None)
            errors = report.errors if report else 0
            state = (f"tệp \"{Path(standing.file or '').name}\" đơn vị gửi về còn {errors} lỗi nên chưa tổng hợp được. "
                     "Tệp đính kèm là bản sao của tệp đó, các ô cần sửa đã được tô màu và ghi chú "
                     "(danh sách ở trang đầu).")
        if not unit.email:
            left.append(Outcome(unit, "no_email", "danh sách đơn vị chưa có email"))
            continue
        if path is None or not path.is_file():
            where = templates_dir if kind == "nhac" else "bản sao đánh dấu lỗi"
            left.append(Outcome(unit, "no_file", f"không có tệp để gửi kèm ({where})"))
            continue
        subject, body = _fill(template, _fields(campaign, form, unit, path.name, state))
        letters.append(Letter(unit, subject, body, [path], kind))
    return letters, left


@dataclass
class Plan:
    """What a ``send`` run will mail: the letters, the units left out and why, the round."""

    letters: list[Letter]
    left: list[Outcome]
    round: str
    run: RunResult | None = None  # the check behind reminders
    feedback: FeedbackResult | None = None


def plan_letters(campaign: Campaign, form: Form, units: UnitList, settings: MailSettings, templates_dir: Path,
                 returns_dir: Path | None = None, feedback_dir: Path | None = None,
                 only: Sequence[str] = (), round_name: str | None = None) -> Plan:
    """The first round (each unit its form) or, with ``returns_dir``, reminders after checking that folder
    (the highlighted copies written into ``feedback_dir``); ``only`` keeps the units with these codes."""
    if only:
        wanted = {c.casefold() for c in only}
        unknown = sorted(c for c in only if units.get(c) is None)
        if unknown:
            raise UsageError(f"Không có đơn vị mã {', '.join(unknown)} trong danh sách đơn vị.")
        keep = lambda u: u.code.casefold() in wanted  # noqa: E731
    else:
        keep = lambda u: True  # noqa: E731
    if returns_dir is None:
        letters, left = form_letters(campaign, form, units, templates_dir, settings)
        plan = Plan(letters, left, round_name or FIRST_ROUND)
    else:
        from consolidate.check import check_folder
        from consolidate.feedback import write_feedback

        run = check_folder(Path(returns_dir), campaign, form, units)
        feedback = write_feedback(run, Path(feedback_dir or "phan_hoi"))
        letters, left = reminder_letters(run, feedback, templates_dir, settings)
        plan = Plan(letters, left, round_name or reminder_round(campaign), run, feedback)
    plan.letters = [l for l in plan.letters if keep(l.unit)]
    plan.left = [o for o in plan.left if keep(o.unit)]
    return plan


def reminder_round(campaign: Campaign, today: dt.date | None = None) -> str:
    """The round of a reminder: one per new deadline (or per day without one)."""
    day = campaign.deadline or today or dt.date.today()
    return f"nhac-{day:%Y-%m-%d}"


# ------------------------------------------------------------------------------------------- message

def build_message(letter: Letter, settings: MailSettings) -> EmailMessage:
    """The MIME message of a letter: Vietnamese subject (RFC 2047), UTF-8 body, the workbook attached."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = letter.subject
    msg["From"] = Address(display_name=settings.sender_name, addr_spec=settings.sender)
    msg["To"] = Address(display_name=letter.unit.name, addr_spec=letter.unit.email)
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg["Date"] = formatdate(localtime=True)
    domain = settings.sender.rsplit("@", 1)[-1] if "@" in settings.sender else None
    msg["Message-ID"] = make_msgid("consolidate", domain=domain)
    msg.set_content(letter.body)
    for path in letter.attachments:
        data = path.read_bytes()
        maintype, subtype = XLSX_TYPE if data[:2] == b"PK" else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


# Headers are written unfolded (each on one line, well under SMTP's 998 characters): when the email package
# folds a long Vietnamese name it may cut a word between a base64 and a quoted-printable encoded word
# ("Qu" | "ỳnh"), which Python's own parser and some mail programs then show as "Qu ỳnh".
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=None)


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as it goes on the wire (and into an .eml file)."""
    return msg.as_bytes(policy=WIRE_POLICY)


# ----------------------------------------------------------------------------------------------- log

def read_log(path: Path | None) -> list[dict]:
    """The send log's records (a damaged last line, from a crash while writing it, is ignored)."""
    if path is None or not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def _append_log(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def sent_units(log: list[dict], round_name: str) -> set[str]:
    """Codes of units whose message of this round the server accepted."""
    return {r.get("unit", "") for r in log if r.get("round") == round_name and r.get("status") == "sent"}


# ---------------------------------------------------------------------------------------------- SMTP

class _Temporary(Exception):
    """A refusal worth trying again (4xx, a dropped connection); ``connect`` when the server cannot be reached."""

    def __init__(self, reply: str, connect: bool = False, detail: str = "") -> None:
        super().__init__(reply)
        self.connect = connect
        self.detail = detail  # for ``connect``: why, in the system's words


class _Permanent(Exception):
    """A refusal of this one message (5xx)."""


_AUTH_CODES = (530, 534, 535)


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with AUTH PLAIN in UTF-8 (RFC 4616) where the server offers it: smtplib sends only ASCII, and a
    Vietnamese password is possible. Otherwise smtplib's own login (LOGIN, as Office 365 offers)."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        smtp.login(user, password)
        return
    token = base64.b64encode(f"\0{user}\0{password}".encode("utf-8")).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


class _Connection:
    """One SMTP session, opened when needed and opened again after the server drops it."""

    def __init__(self, settings: MailSettings, password: str | None, context: ssl.SSLContext | None) -> None:
        self.settings, self.password, self.context = settings, password, context
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        context = self.context or s.ssl_context()
        smtp: smtplib.SMTP | None = None
        try:
            if s.smtp_security == "ssl":
                smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
                if s.smtp_security == "starttls":
                    smtp.starttls(context=context)
            if self.password is not None and s.user:
                _login(smtp, s.user, self.password)
        except BaseException:
            if smtp is not None:
                smtp.close()
            raise
        self.smtp = smtp
        return smtp

    def _open(self) -> smtplib.SMTP:
        """:meth:`open` with the server's answers turned into Vietnamese errors or retries."""
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        try:
            return self.open()
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"Máy chủ thư {s.smtp_host} không nhận tài khoản {s.user}",
                            _reply_text(exc.smtp_code, exc.smtp_error), ". Kiểm tra mật khẩu; với Gmail cần "
                            "\"mật khẩu ứng dụng\" (App Password), không phải mật khẩu đăng nhập.") from None
        except smtplib.SMTPNotSupportedError:
            raise RunError(f"Máy chủ thư {s.smtp_host} không hỗ trợ {s.smtp_security.upper()} hoặc đăng nhập trên cổng "
                           f"{s.smtp_port}; kiểm tra mục [email] (preset, port, security).") from None
        except ssl.SSLError as exc:
            raise MailError(f"Không lập được kết nối mã hóa tới {s.smtp_host}:{s.smtp_port}", str(exc.reason or exc),
                            "; kiểm tra port và security (465 = ssl, 587 = starttls).") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Temporary(_reply_text(exc.smtp_code, exc.smtp_error)) from None
            raise MailError(f"Máy chủ thư {s.smtp_host} từ chối kết nối",
                            _reply_text(exc.smtp_code, exc.smtp_error), ".") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(f"không kết nối được tới {s.smtp_host}:{s.smtp_port} ({exc})", connect=True,
                             detail=str(exc)) from None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def send(self, msg: EmailMessage, to: str) -> None:
        smtp = self._open()
        try:
            refused = smtp.sendmail(self.settings.sender, [to], message_bytes(msg))
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._refusal(code, text)
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
            if exc.smtp_code in _AUTH_CODES:
                raise MailError("Máy chủ thư yêu cầu đăng nhập lại", _reply_text(exc.smtp_code, exc.smtp_error),
                                ".") from None
            self._refusal(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            smtp.close()
            self.smtp = None
            raise _Temporary(f"mất kết nối tới máy chủ ({exc or type(exc).__name__})") from None
        if refused:
            code, text = next(iter(refused.values()))
            self._refusal(code, text)

    def _refusal(self, code: int, text: bytes | str) -> None:
        reply = _reply_text(code, text)
        if 400 <= code < 500 or code < 0:
            self.close()
            raise _Temporary(reply)
        raise _Permanent(reply)


def send_letters(letters: Sequence[Letter], settings: MailSettings, *, round_name: str,
                 password: str | None = None, resend: bool = False, dry_run_dir: Path | None = None,
                 ssl_context: ssl.SSLContext | None = None, sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[int, int], None] | None = None) -> SendResult:
    """Send (or, with ``dry_run_dir``, write as .eml) each letter once per round; see the module docstring."""
    result = SendResult(round_name, log=None if dry_run_dir else settings.send_log, dry_run_dir=dry_run_dir)
    if letters and "@" not in settings.sender:
        raise UsageError(f"Địa chỉ gửi thư \"{settings.sender}\" không phải địa chỉ email: thêm from = \"…@…\" "
                         "vào mục [email] của tệp đợt báo cáo.")
    if dry_run_dir is not None:
        names = outputs.unique_names([outputs.unit_file_name(l.unit.code, l.unit.name, ".eml") for l in letters])
        with outputs.folder_lock(dry_run_dir):
            for i, (letter, name) in enumerate(zip(letters, names), 1):
                msg = build_message(letter, settings)
                target = outputs.inside(dry_run_dir, name)
                outputs.atomic_write_bytes(target, message_bytes(msg))
                result.outcomes.append(Outcome(letter.unit, "dry_run", path=target, message_id=msg["Message-ID"]))
                if progress:
                    progress(i, len(letters))
        return result
    settings.check_security("smtp")
    if settings.send_log is None:
        raise UsageError("Chưa có nơi ghi nhật ký gửi thư.")
    done = set() if resend else sent_units(read_log(settings.send_log), round_name)
    conn = _Connection(settings, password, ssl_context)
    first = True
    try:
        for i, letter in enumerate(letters, 1):
            if letter.unit.code in done:
                result.outcomes.append(Outcome(letter.unit, "skipped", "đã gửi trong đợt này"))
                continue
            if not first and settings.pace:
                sleep(settings.pace)
            first = False
            msg = build_message(letter, settings)
            outcome = _send_one(conn, msg, letter, settings, sleep)
            result.outcomes.append(outcome)
            _append_log(settings.send_log, {
                "time": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "round": round_name,
                "kind": letter.kind, "unit": letter.unit.code, "to": letter.unit.email, "subject": letter.subject,
                "attachments": [{"name": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                                for p in letter.attachments],
                "message_id": msg["Message-ID"], "status": outcome.status, "reply": outcome.detail,
            })
            if progress:
                progress(i, len(letters))
    finally:
        conn.close()
    return result


def _send_one(conn: _Connection, msg: EmailMessage, letter: Letter, settings: MailSettings,
              sleep: Callable[[float], None]) -> Outcome:
    """One message with retries of temporary refusals; a run-stopping error (login, lost server) propagates."""
    wait = settings.backoff
    for attempt in range(settings.retries + 1):
        try:
            conn.send(msg, letter.unit.email)
            return Outcome(letter.unit, "sent", message_id=msg["Message-ID"])
        except _Permanent as exc:
            return Outcome(letter.unit, "refused", str(exc), message_id=msg["Message-ID"])
        except _Temporary as exc:
            if attempt == settings.retries:
                if exc.connect:  # nothing more can be sent in this run
                    raise MailError(f"Không gửi được thư cho {letter.unit.name}: không kết nối được tới "
                                    f"{settings.smtp_host}:{settings.smtp_port}", exc.detail,
                                    f", sau {settings.retries + 1} lần thử. Các thư đã gửi được ghi trong nhật ký; "
                                    "chạy lại lệnh sau ít phút để gửi tiếp (không gửi trùng).") from None
                return Outcome(letter.unit, "deferred", f"{exc} (đã thử {settings.retries + 1} lần)",
                               message_id=msg["Message-ID"])
            sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover
