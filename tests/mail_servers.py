"""Real mail servers for the mail tests, started by the tests on 127.0.0.1: aiosmtpd (SMTP) and Dovecot (IMAP).

Dovecot runs from a throwaway configuration in a temporary folder on a free high port. As root, imap-login
refuses to run as root, so the config names dovenull/dovecot as Debian creates them and the mail folder
belongs to the dovecot user (the brief's recipe); as another user, everything runs as that user.
"""

from __future__ import annotations

import email
import email.policy
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------- SMTP

@dataclass
class Received:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """What the test SMTP server holds: received messages, logins, and refusals to play."""

    port: int
    user: str
    password: str
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    # address → list of replies to give (consumed one per RCPT), e.g. ["451 4.7.1 thử lại sau"] or ["550 …"]
    replies: dict[str, list[str]] = field(default_factory=dict)
    rcpt_attempts: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        self.box.rcpt_attempts.append(address)
        queue = self.box.replies.get(address)
        if queue:
            return queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        self.box.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
        return "250 Message accepted for delivery"


def start_smtp(user: str, password: str, tls: str = "", context=None):  # noqa: ANN001, ANN201
    """Start aiosmtpd on 127.0.0.1 with AUTH (LOGIN/PLAIN): in the clear (allowed on this machine only), over
    TLS from the first byte (``tls="ssl"``) or after STARTTLS (``tls="starttls"``, required before AUTH)."""
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    box = SmtpServer(free_port(), user, password)

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        secret = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        box.logins.append((login, secret))
        return AuthResult(success=login == user and secret == password, handled=False)

    options: dict = {"auth_require_tls": False}
    if tls == "ssl":
        options = {"ssl_context": context, "auth_require_tls": False}
    elif tls == "starttls":
        options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port, authenticator=authenticator,
                            decode_data=False, **options)
    controller.start()
    return controller, box


# --------------------------------------------------------------------------------------------- IMAP

@dataclass
class Dovecot:
    """A running Dovecot with one mailbox (Maildir) for ``user``."""

    port: int
    user: str
    password: str
    base: Path
    maildir: Path
    process: subprocess.Popen
    owner: tuple[int, int]
    config: Path
    imaps_port: int = 0

    def login(self, imap) -> None:  # noqa: ANN001
        """Log in with AUTHENTICATE PLAIN in UTF-8 (imaplib's LOGIN sends only ASCII)."""
        imap.authenticate("PLAIN", lambda _: f"\0{self.user}\0{self.password}".encode())

    def deliver(self, raw: bytes, received: str) -> None:
        """Put a message in INBOX with this server receipt time (INTERNALDATE), as IMAP APPEND does."""
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            self.login(imap)
            typ, data = imap.append("INBOX", None, received, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self) -> list[str]:
        """Each message's flags as IMAP reports them (read-only look)."""
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            self.login(imap)
            imap.select("INBOX", readonly=True)
            typ, data = imap.fetch("1:*", "(FLAGS)")
            return [d.decode() for d in data if isinstance(d, bytes)]
        finally:
            imap.logout()


def start_dovecot(base: Path, user: str = "phong", password: str = "Mk-Dovecot-9#",
                  tls: tuple[Path, Path] | None = None) -> Dovecot:
    """Start Dovecot on a free port from a config in ``base`` (and IMAPS on ``imaps_port`` with the
    certificate and key ``tls``); skip when Dovecot is not installed."""
    exe = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if exe is None:
        pytest.skip("Dovecot (dovecot-imapd) is not installed")
    port, imaps_port = free_port(), free_port()
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        uid, gid = internal.pw_uid, internal.pw_gid
        login_user, internal_user = "dovenull", "dovecot"
    else:
        me = pwd.getpwuid(os.getuid())
        uid, gid = me.pw_uid, me.pw_gid
        login_user = internal_user = me.pw_name
    maildir = base / "mail"
    run = base / "run"
    for d in (maildir, run):
        d.mkdir(parents=True, exist_ok=True)
    config = base / "dovecot.conf"
    passwd = base / "passwd"
    passwd.write_text(f"{user}:{{PLAIN}}{password}\n")
    config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {base / 'state'}
log_path = {base / 'dovecot.log'}
info_log_path = {base / 'dovecot.log'}
{f"ssl = yes{chr(10)}ssl_cert = <{tls[0]}{chr(10)}ssl_key = <{tls[1]}" if tls else "ssl = no"}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(uid, 100) if os.geteuid() == 0 else uid}
first_valid_gid = {min(gid, 100) if os.geteuid() == 0 else gid}
mail_location = maildir:{maildir}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port if tls else 0}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base / 'home'}
}}
""")
    (base / "state").mkdir(exist_ok=True)
    (base / "home").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        for path in (maildir, base / "home"):
            os.chown(path, uid, gid)
        os.chmod(base, 0o755)
        os.chmod(passwd, 0o644)
    proc = subprocess.Popen([exe, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Dovecot(port, user, password, base, maildir, proc, (uid, gid), config, imaps_port if tls else 0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (base / "dovecot.log").read_text(errors="replace") if (base / "dovecot.log").exists() else ""
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"Dovecot stopped at start: {out}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.1)
    stop_dovecot(server)
    raise RuntimeError("Dovecot did not start listening")


def stop_dovecot(server: Dovecot) -> None:
    """Stop the Dovecot this test started (by its own process id)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    if server.process.stdout:
        server.process.stdout.close()


@contextmanager
def smtp_running(user: str, password: str) -> Iterator:
    """An aiosmtpd server for one test; yields its mailbox (start_smtp)."""
    controller, box = start_smtp(user, password)
    try:
        yield box
    finally:
        controller.stop()


@contextmanager
def dovecot_running(mailbox: Iterable[tuple[bytes, str]], prefix: str = "consolidate-dovecot-",
                    **login: str) -> Iterator[Dovecot]:
    """A Dovecot in a fresh temporary folder (``server.base.parent``) with these messages delivered; the
    folder is removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)  # the dovecot user reads its mail folder inside
    server = start_dovecot(base / "srv", **login)
    try:
        for raw, when in mailbox:
            server.deliver(raw, when)
        yield server
    finally:
        stop_dovecot(server)
        shutil.rmtree(base, ignore_errors=True)
