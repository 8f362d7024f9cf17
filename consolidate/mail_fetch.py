"""``fetch``: save the units' returns from a mailbox into the returns folder, with a manifest beside it.

The mailbox is opened read-only (IMAP EXAMINE) and every message is read with ``BODY.PEEK``: nothing is
marked as read, moved or deleted. Messages are parsed with the standard ``email`` package (policy
``default``, which decodes RFC 2231 parameters; RFC 2047 words inside a quoted file name, as Gmail and many
phone apps write them, are decoded here); a forwarded message (``message/rfc822``) is searched like the
message itself.

What is kept, and how, is :func:`consolidate.intake.receive`, the web page's hand-over: each file is
classified by its content with the reader's own test (``sniff``), a plain ``.zip`` is opened only within the
reader's bounds, names are cleaned, no file is ever overwritten and bytes already in the folder are not kept
twice; the file's time is the server's receipt time. The manifest (``mail_manifest``, beside the folder) has
one row per kept file (or per message with nothing to keep): Message-ID, sender address and name, the
server's receipt time (INTERNALDATE), subject, original and saved names, SHA-256. A rerun fetches the bodies
of new messages only.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from consolidate import outputs
from consolidate.issues import UsageError
from consolidate.mail_config import MailError, MailSettings
from consolidate.mail_manifest import DUPLICATE_NOTE, FORWARD_NOTE, ManifestRow, manifest_path, read_manifest, \
    write_manifest

MAX_MESSAGE_BYTES = 60 * 1024 * 1024  # Gmail's limit is 25 MB of attachments, ~34 MB encoded
MAX_DEPTH = 4  # forwarded messages inside forwarded messages
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FETCH_ITEM = re.compile(rb"(UID|INTERNALDATE|RFC822\.SIZE)\s+(\d+|\"[^\"]*\")")


@dataclass
class FetchResult:
    """What ``fetch_returns`` did."""

    folder: Path
    manifest: Path
    mailbox: str
    since: dt.date | None
    seen: int = 0  # messages in the mailbox since the date
    known: int = 0  # of which already in the manifest
    new_rows: list[ManifestRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def saved(self) -> list[ManifestRow]:
        """Rows of files saved in this run."""
        return [r for r in self.new_rows if r.saved and not r.note.startswith(DUPLICATE_NOTE)]


# ------------------------------------------------------------------------------------------ decoding

def decode_text(value: object) -> str:
    """A header value or file name with any RFC 2047 encoded words decoded, whitespace tidied."""
    text = str(value or "")
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeError):
            pass
    return " ".join(text.split())


def imap_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3), e.g. a Gmail label "Báo cáo"."""
    out, run = [], []

    def flush() -> None:
        if run:
            import base64

            raw = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _internaldate(text: str) -> dt.datetime | None:
    """'03-Dec-2026 01:02:03 +0700' → an aware datetime (month names in English whatever the locale)."""
    m = re.match(r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})", text)
    if not m or m.group(2) not in _MONTHS:
        return None
    sign = 1 if m.group(7) == "+" else -1
    tz = dt.timezone(sign * dt.timedelta(hours=int(m.group(8)), minutes=int(m.group(9))))
    return dt.datetime(int(m.group(3)), _MONTHS.index(m.group(2)) + 1, int(m.group(1)), int(m.group(4)),
                       int(m.group(5)), int(m.group(6)), tzinfo=tz)


# ------------------------------------------------------------------------------------------ messages

def message_files(msg: Message) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The attached files of a message, forwarded messages searched too, as (decoded name, bytes); and the
    addresses the forwarded messages came from."""
    found: list[tuple[str, bytes]] = []
    forwarded: list[str] = []
    for part in _walk_all(msg, forwarded):
        raw_name = part.get_filename()
        name = decode_text(raw_name) if raw_name else ""
        disposition = (part.get_content_disposition() or "").lower()
        ctype = part.get_content_type()
        if (not name and (ctype.startswith("text/") or disposition == "inline")) or \
                (ctype.startswith("image/") and (disposition == "inline" or part.get("Content-ID"))):
            continue  # the body, a signature logo, a picture shown in the text (Outlook names them image001.png)
        try:
            data = part.get_payload(decode=True) or b""
        except (ValueError, TypeError):
            data = b""
        if data:
            found.append((name or f"tep_dinh_kem{_guess_suffix(ctype)}", data))
    return found, forwarded


def _walk_all(msg: Message, forwarded: list[str], depth: int = 0) -> Iterator[Message]:
    """Leaf parts, forwarded messages (message/rfc822, whose payload is a one-message list) searched too; the
    senders of forwarded messages are added to ``forwarded``."""
    if msg.get_content_type() == "message/rfc822" and depth < MAX_DEPTH:
        inner = msg.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            sender = getaddresses([decode_text(inner.get("From", ""))])
            if sender and sender[0][1]:
                forwarded.append(sender[0][1].lower())
            yield from _walk_all(inner, forwarded, depth + 1)
            return
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _walk_all(part, forwarded, depth)
        return
    yield msg


def _guess_suffix(ctype: str) -> str:
    return {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
            "application/vnd.ms-excel": ".xls", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
            "application/zip": ".zip"}.get(ctype, "")


# --------------------------------------------------------------------------------------------- IMAP

def _connect(settings: MailSettings, password: str | None, context: ssl.SSLContext | None) -> imaplib.IMAP4:
    s = settings
    context = context or s.ssl_context()
    try:
        if s.imap_security == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.imap_host, s.imap_port, ssl_context=context, timeout=s.timeout)
        else:
            imap = imaplib.IMAP4(s.imap_host, s.imap_port, timeout=s.timeout)
            if s.imap_security == "starttls":
                imap.starttls(ssl_context=context)
    except ssl.SSLError as exc:
        raise MailError(f"Không lập được kết nối mã hóa tới {s.imap_host}:{s.imap_port}", str(exc.reason or exc),
                        "; kiểm tra imap_port và imap_security (993 = ssl).") from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailError(f"Không kết nối được tới máy chủ thư {s.imap_host}:{s.imap_port}", str(exc), ".") from None
    try:
        if (s.user + (password or "")).isascii():
            imap.login(s.user, password or "")
        else:  # imaplib quotes only ASCII: AUTHENTICATE PLAIN carries UTF-8 (RFC 4616)
            imap.authenticate("PLAIN", lambda _: f"\0{s.user}\0{password}".encode("utf-8"))
    except imaplib.IMAP4.error as exc:
        _logout(imap)
        detail = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise MailError(f"Máy chủ thư {s.imap_host} không nhận tài khoản {s.user}", detail, ". Kiểm tra mật khẩu; "
                        "với Gmail cần bật IMAP và dùng \"mật khẩu ứng dụng\" (App Password).") from None
    return imap


def _logout(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _fetch_items(data: list) -> Iterator[tuple[dict[bytes, bytes], bytes]]:
    """(items, literal) of each message in an imaplib FETCH answer."""
    for entry in data:
        if isinstance(entry, tuple):
            head, literal = entry[0], entry[1]
        elif isinstance(entry, bytes) and b"UID" in entry:
            head, literal = entry, b""
        else:
            continue
        items = {k: v.strip(b'"') for k, v in _FETCH_ITEM.findall(head)}
        yield items, literal


def _message_id(header_bytes: bytes, internaldate: str, size: str) -> str:
    msg = email.message_from_bytes(header_bytes, policy=email.policy.compat32)
    mid = " ".join(str(msg.get("Message-ID", "")).split())
    return mid or f"(không có Message-ID) {internaldate} {size}"


def fetch_returns(settings: MailSettings, password: str | None, folder: Path, *, since: dt.date | None = None,
                  ssl_context: ssl.SSLContext | None = None,
                  progress: Callable[[int, int], None] | None = None) -> FetchResult:
    """Save the spreadsheets mailed to the account since ``since`` into ``folder``; see the module docstring."""
    settings.check_security("imap")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} không phải thư mục.")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = manifest_path(folder)
    since = since or settings.since
    result = FetchResult(folder, manifest, settings.folder, since)
    rows = read_manifest(manifest)
    known = {r.message_id for r in rows}
    with outputs.folder_lock(folder):
        imap = _connect(settings, password, ssl_context)
        try:
            typ, data = imap.select(_quote_mailbox(settings.folder), readonly=True)  # EXAMINE: read-only
            if typ != "OK":
                raise MailError(f"Không mở được hộp thư {settings.folder!r} trên {settings.imap_host}",
                                (data[0] or b"").decode(errors="replace") if data else "", ".")
            criteria = ["SINCE", f"{since.day:02d}-{_MONTHS[since.month - 1]}-{since.year}"] if since else ["ALL"]
            typ, data = imap.uid("SEARCH", *criteria)
            uids = (data[0] or b"").split() if typ == "OK" and data else []
            result.seen = len(uids)
            heads: list[tuple[bytes, str, str, dt.datetime | None]] = []
            for i in range(0, len(uids), 200):
                chunk = b",".join(uids[i:i + 200]).decode()
                typ, data = imap.uid("FETCH", chunk,
                                     "(UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                for items, literal in _fetch_items(data or []):
                    idate = items.get(b"INTERNALDATE", b"").decode()
                    size = items.get(b"RFC822.SIZE", b"0").decode()
                    mid = _message_id(literal, idate, size)
                    heads.append((items.get(b"UID", b""), mid, size, _internaldate(idate)))
            new = [h for h in heads if h[1] not in known]
            result.known = len(heads) - len(new)
            for n, (uid, mid, size, when) in enumerate(new, 1):
                if int(size or 0) > MAX_MESSAGE_BYTES:
                    result.problems.append(f"Bỏ qua thư {mid}: {int(size) // (1024 * 1024)} MB, quá giới hạn "
                                           f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MB.")
                    continue
                typ, data = imap.uid("FETCH", uid.decode(), "(UID INTERNALDATE BODY.PEEK[])")
                raw = next((lit for _, lit in _fetch_items(data or []) if lit), b"")
                if typ != "OK" or not raw:
                    result.problems.append(f"Không tải được thư {mid} (UID {uid.decode()}).")
                    continue
                added = _take_message(raw, mid, when, folder)
                rows += added
                result.new_rows += added
                known.add(mid)
                write_manifest(manifest, rows)  # after every message: a stopped run loses nothing
                if progress:
                    progress(n, len(new))
        finally:
            _logout(imap)
    if not manifest.exists():
        write_manifest(manifest, rows)
    return result


def _quote_mailbox(name: str) -> str:
    encoded = imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _take_message(raw: bytes, mid: str, when: dt.datetime | None, folder: Path) -> list[ManifestRow]:
    """Keep the spreadsheets of one message in the folder (through :func:`consolidate.intake.receive`, the
    same rules as files handed over on the web page); its manifest rows."""
    from consolidate.intake import receive

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        name, address = getaddresses([decode_text(msg.get("From", ""))])[0]
    except (IndexError, ValueError, TypeError):
        name, address = "", ""
    address = address.lower()
    subject = decode_text(msg.get("Subject", ""))
    files, forwarded = message_files(msg)
    note_fw = f"{FORWARD_NOTE} {', '.join(forwarded)}" if forwarded else ""
    stamp = when.timestamp() if when else None
    received = receive(folder, [(n, data, stamp) for n, data in files]) if files else []
    out: list[ManifestRow] = []
    skipped: list[str] = []
    for r in received:
        original = f"{r.archive}/{r.name}" if r.archive else r.name
        if not r.kept:
            skipped.append(original)
            continue
        notes = [note_fw] if note_fw else []
        saved = r.saved or r.duplicate_of or ""
        if r.duplicate_of:
            notes.insert(0, f"{DUPLICATE_NOTE} {r.duplicate_of}, không lưu lại")
        digest = hashlib.sha256((folder / saved).read_bytes()).hexdigest()
        out.append(ManifestRow(mid, address, name, when, subject, original, saved, digest, "; ".join(notes)))
    if not out:
        why = "thư không có tệp bảng tính" + (f"; bỏ qua: {', '.join(skipped)}" if skipped else "")
        out.append(ManifestRow(mid, address, name, when, subject, "", "", "", "; ".join(filter(None, [why, note_fw]))))
    elif skipped:
        out[0].note = "; ".join(filter(None, [out[0].note, f"bỏ qua: {', '.join(skipped)}"]))
    return out
