"""Mail settings of a campaign: the ``[email]`` section of the campaign file, server presets, the password.

The password is never read from or written to a file: it comes from an environment variable, the system
keyring (the ``keyring`` package) or a prompt the caller supplies. A ``password`` key in the campaign file
stops the run with a message saying where to put it instead.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from consolidate.issues import RunError, UsageError

PASSWORD_ENV = "CONSOLIDATE_MAIL_PASSWORD"
KEYRING_SERVICE = "consolidate"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
SECURITIES = ("ssl", "starttls", "plain")

# What a clerk needs to know about each provider: the servers and how they are secured. Zimbra is what many
# provincial ".gov.vn" mail servers run; its host is the province's own, so it is taken from the settings or
# guessed as mail.<domain of the address>.
PRESETS: dict[str, dict[str, object]] = {
    "gmail": {"smtp_host": "smtp.gmail.com", "smtp_port": 465, "smtp_security": "ssl",
              "imap_host": "imap.gmail.com", "imap_port": 993, "imap_security": "ssl"},
    "outlook": {"smtp_host": "smtp.office365.com", "smtp_port": 587, "smtp_security": "starttls",
                "imap_host": "outlook.office365.com", "imap_port": 993, "imap_security": "ssl"},
    "zimbra": {"smtp_port": 465, "smtp_security": "ssl", "imap_port": 993, "imap_security": "ssl"},
}
PRESETS["office365"] = PRESETS["outlook"]
PRESETS["hotmail"] = PRESETS["outlook"]

_KEYS = {"preset", "host", "port", "security", "smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port",
         "imap_security", "user", "from", "from_name", "reply_to", "folder", "since", "pace", "password_env",
         "template", "reminder_template", "send_log", "retries", "backoff", "timeout", "cafile"}


class MailError(RunError):
    """A mail server that refuses or cannot be reached. ``str()`` keeps the server's own words in parentheses
    (for whoever reads the terminal); ``plain`` is the Vietnamese alone, as the web page shows it."""

    def __init__(self, text: str, detail: str = "", after: str = "") -> None:
        super().__init__(text + (f" ({detail})" if detail else "") + after)
        self.plain = text + after
        self.detail = detail


def has_mail_settings(campaign_file: str | Path | None) -> bool:
    """True when the campaign file has an ``[email]`` section (an unreadable file has none)."""
    if campaign_file is None:
        return False
    try:
        return isinstance(tomllib.loads(Path(campaign_file).read_text(encoding="utf-8")).get("email"), dict)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send and fetch mail for one campaign (never the password)."""

    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: str = "ssl"
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"
    user: str = ""
    sender: str = ""  # the From address
    sender_name: str = ""
    reply_to: str = ""
    folder: str = "INBOX"
    since: dt.date | None = None
    pace: float = 0.0  # seconds between two messages (Gmail limits how fast an account may send)
    password_env: str = PASSWORD_ENV
    template: Path | None = None  # text file: first line "Tiêu đề: …", then the body
    reminder_template: Path | None = None
    send_log: Path | None = None
    retries: int = 4  # attempts after a temporary (4xx) refusal
    backoff: float = 5.0  # seconds before the first retry, doubled each time
    timeout: float = 60.0
    cafile: Path | None = None  # certificates to trust besides the system's (a province's own mail server)

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings: certificates and host names always checked, against the system's authorities
        (and ``cafile`` when the server's certificate comes from the province's own authority)."""
        context = ssl.create_default_context()
        if self.cafile is not None:
            try:
                context.load_verify_locations(cafile=str(self.cafile))
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"Không đọc được tệp chứng chỉ cafile = {self.cafile} ({exc}).") from None
        return context

    def check_security(self, which: str) -> None:
        """Refuse an unencrypted connection to anything but this machine."""
        host, security = (self.smtp_host, self.smtp_security) if which == "smtp" else (self.imap_host, self.imap_security)
        if security not in SECURITIES:
            raise UsageError(f"[email] {which}_security = {security!r}: chỉ dùng ssl hoặc starttls.")
        if security == "plain" and host not in LOOPBACK:
            raise UsageError(f"[email] {which}_security = \"plain\" (không mã hóa) chỉ dùng được với máy chủ trên chính "
                             f"máy này (127.0.0.1), không dùng với {host}: mật khẩu sẽ đi qua mạng không được bảo vệ.")
        if not host:
            raise UsageError(f"Chưa khai báo máy chủ {which.upper()}: thêm {which}_host = \"…\" (hoặc preset = \"gmail\" | "
                             "\"outlook\" | \"zimbra\") vào mục [email] của tệp đợt báo cáo.")


def _int(value: object, key: str, where: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise UsageError(f"{where}: {key} = {value!r} phải là số nguyên.") from None


def _float(value: object, key: str, where: str) -> float:
    try:
        out = float(str(value).replace(",", "."))
    except ValueError:
        raise UsageError(f"{where}: {key} = {value!r} phải là số.") from None
    if out < 0:
        raise UsageError(f"{where}: {key} = {value!r} không được âm.")
    return out


def load_mail_settings(campaign_file: str | Path | None, campaign_email: str = "", office: str = "",
                       start: dt.date | None = None, **overrides: object) -> MailSettings:
    """The ``[email]`` section of the campaign file, presets filled in; keyword overrides (None ignored) win."""
    data: dict = {}
    base = Path.cwd()
    where = "Mục [email]"
    if campaign_file is not None:
        path = Path(campaign_file)
        base = path.parent
        where = f"Tệp đợt báo cáo {path}, mục [email]"
        try:
            data = dict(tomllib.loads(path.read_text(encoding="utf-8")).get("email", {}))
        except FileNotFoundError:
            raise RunError(f"Không tìm thấy tệp đợt báo cáo {path}.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RunError(f"Tệp đợt báo cáo {path} sai cú pháp: {exc}.") from None
    if any("password" in k.lower() or "mat_khau" in k.lower() for k in data if k != "password_env"):
        raise UsageError(f"{where}: không ghi mật khẩu vào tệp (ai có tệp sẽ đọc được). Đặt mật khẩu trong biến môi "
                         f"trường {data.get('password_env', PASSWORD_ENV)}, trong kho mật khẩu của hệ thống "
                         "(keyring), hoặc nhập khi chương trình hỏi.")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise UsageError(f"{where}: không hiểu khóa {', '.join(unknown)}.")
    values: dict[str, object] = {}
    preset = str(data.get("preset", "")).strip().lower()
    if preset:
        if preset not in PRESETS:
            raise UsageError(f"{where}: preset = {preset!r} không có; dùng gmail, outlook (Office 365) hoặc zimbra.")
        values.update(PRESETS[preset])
    # host/port/security alone set the SMTP side (the common case: one server for sending)
    for short in ("host", "port", "security"):
        if short in data:
            values[f"smtp_{short}"] = data[short]
    for key in ("smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port", "imap_security"):
        if key in data:
            values[key] = data[key]
    user = str(data.get("user", "")).strip()
    sender = str(data.get("from", "")).strip() or user or campaign_email
    if preset == "zimbra" and "@" in (user or sender):
        domain = (user or sender).rsplit("@", 1)[1]
        values.setdefault("smtp_host", f"mail.{domain}")
        values.setdefault("imap_host", f"mail.{domain}")
    if "imap_host" not in values and values.get("smtp_host") in LOOPBACK:
        values["imap_host"] = values["smtp_host"]
    out = MailSettings(
        smtp_host=str(values.get("smtp_host", "")), smtp_port=_int(values.get("smtp_port", 465), "smtp_port", where),
        smtp_security=str(values.get("smtp_security", "ssl")).lower(),
        imap_host=str(values.get("imap_host", "")), imap_port=_int(values.get("imap_port", 993), "imap_port", where),
        imap_security=str(values.get("imap_security", "ssl")).lower(),
        user=user or sender, sender=sender, sender_name=str(data.get("from_name", "")).strip() or office,
        reply_to=str(data.get("reply_to", "")).strip(),
        folder=str(data.get("folder", "INBOX")) or "INBOX",
        since=_since(data.get("since"), where) or start,
        pace=_float(data.get("pace", 0), "pace", where),
        password_env=str(data.get("password_env", PASSWORD_ENV)),
        template=base / str(data.get("template", "thu_gui.txt")),
        reminder_template=base / str(data.get("reminder_template", "thu_nhac.txt")),
        send_log=base / str(data.get("send_log", "nhat_ky_gui_thu.jsonl")),
        retries=_int(data.get("retries", 4), "retries", where),
        backoff=_float(data.get("backoff", 5), "backoff", where),
        timeout=_float(data.get("timeout", 60), "timeout", where),
        cafile=(base / str(data["cafile"])) if data.get("cafile") else None,
    )
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "pace" in changes:
        changes["pace"] = _float(changes["pace"], "pace", "Tùy chọn --pace")
    if "since" in changes:
        changes["since"] = _since(changes["since"], "Tùy chọn --since")
    return replace(out, **changes) if changes else out


def _since(value: object, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            pass
    raise UsageError(f"{where}: since = {value!r} không phải ngày hợp lệ (viết ngày/tháng/năm, ví dụ 01/10/2021).")


def get_password(settings: MailSettings, prompt: Callable[[str], str] | None = None,
                 environ: dict[str, str] | None = None) -> str:
    """The account's password: environment variable, then the system keyring, then ``prompt``; never a file."""
    env = os.environ if environ is None else environ
    value = env.get(settings.password_env)
    if value:
        return value
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            stored = keyring.get_password(KEYRING_SERVICE, settings.user)
        except (KeyringError, RuntimeError, OSError):
            stored = None  # no usable keyring on this machine (a server without a desktop session)
        if stored:
            return stored
    except ImportError:
        pass
    if prompt is None:
        raise UsageError(f"Chưa có mật khẩu thư của {settings.user}: đặt biến môi trường {settings.password_env}, "
                         "hoặc lưu vào kho mật khẩu của hệ thống (keyring set consolidate "
                         f"{settings.user}), hoặc chạy lệnh ở cửa sổ dòng lệnh để nhập.")
    return prompt(f"Mật khẩu thư của {settings.user}")
