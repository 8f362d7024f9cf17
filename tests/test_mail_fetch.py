"""``consolidate fetch`` against a real IMAP server (Dovecot on 127.0.0.1), loaded with messages built the way
Gmail, Outlook and a phone's mail app build them; then ``check`` on the folder it filled."""

from __future__ import annotations

import base64
import email.policy
import io
import os
import shlex
import shutil
import tempfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from consolidate.cli import main
from consolidate.mail_config import PASSWORD_ENV
from consolidate.mail_fetch import decode_text, imap_utf7, message_files
from consolidate.mail_manifest import manifest_path, read_manifest

from conftest import SAMPLES
from mail_servers import dovecot_running, start_dovecot, stop_dovecot
from test_readme import MAILS

FETCH = shlex.split(MAILS[2])[1:]  # the README's command, as written

RETURNS = SAMPLES / "da_nhan"
CLERK = "buithiyenqn@gmail.com"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")


def _rfc2047(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def gmail_message() -> bytes:
    """As Gmail's web client writes it: alternative text/html, file name as an RFC 2047 word in quotes."""
    name = _rfc2047("Báo cáo Tuần lễ - xã Mường Giàng.xlsx")
    data = (RETURNS / "X01_UBND_xa_Muong_Giang.xlsx").read_bytes()
    return (
        "MIME-Version: 1.0\r\n"
        "Date: Thu, 14 Oct 2021 09:29:51 +0700\r\n"
        "Message-ID: <CAGmail-x01-0001@mail.gmail.com>\r\n"
        f"Subject: {_rfc2047('Re: Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — UBND xã Mường Giàng')}\r\n"
        f"From: {_rfc2047('UBND xã Mường Giàng')} <ubnd.muonggiang@quynhnhai.example>\r\n"
        f"To: {CLERK}\r\n"
        'Content-Type: multipart/mixed; boundary="000000000000aaaa"\r\n\r\n'
        "--000000000000aaaa\r\n"
        'Content-Type: multipart/alternative; boundary="000000000000bbbb"\r\n\r\n'
        "--000000000000bbbb\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + _b64("Kính gửi Phòng GD&ĐT, xã gửi báo cáo.".encode()) +
        "\r\n--000000000000bbbb\r\n"
        'Content-Type: text/html; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + _b64("<div>Kính gửi Phòng GD&amp;ĐT, xã gửi báo cáo.</div>".encode()) +
        "\r\n--000000000000bbbb--\r\n"
        "--000000000000aaaa\r\n"
        f'Content-Type: {XLSX}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\nX-Attachment-Id: f_kux1\r\nContent-ID: <f_kux1>\r\n\r\n"
        + _b64(data) +
        "\r\n--000000000000aaaa--\r\n"
    ).encode()


def outlook_message() -> bytes:
    """As Outlook writes it: related html with an inline logo, the file name in RFC 2231 continuations."""
    msg = EmailMessage()
    msg["From"] = "Trường THCS Chiềng Ơn <thcs.chiengon@quynhnhai.example>"
    msg["To"] = CLERK
    msg["Subject"] = "Gửi biểu tổng hợp Tuần lễ HTSĐ 2021"
    msg["Date"] = "Fri, 15 Oct 2021 16:44:02 +0700"
    msg["Message-ID"] = "<SG2PR06MB0001@SG2PR06MB.apcprd06.prod.outlook.com>"
    msg["X-MS-Has-Attach"] = "yes"
    msg.set_content("Kính gửi Phòng, trường gửi biểu.")
    msg.add_alternative('<html><body><p>Kính gửi Phòng</p><img src="cid:image001.png@01D7C1"></body></html>',
                        subtype="html")
    msg.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<image001.png@01D7C1>",
                                     filename="image001.png", disposition="inline")
    msg.add_attachment((RETURNS / "CS02_Truong_THCS_Chieng_On.xlsx").read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename="Biểu tổng hợp THCS Chiềng Ơn (bản chính thức đã ký, gửi Phòng GD&ĐT).xlsx")
    raw = msg.as_bytes(policy=email.policy.SMTP)
    assert b"filename*" in raw  # the RFC 2231 form
    return raw


def phone_message() -> bytes:
    """As the iPhone's Mail app writes it: a personal address, quoted-printable name, a photo beside the file."""
    data = (RETURNS / "MN01_Truong_Mam_non_Muong_Giang.xlsx").read_bytes()
    name = "=?utf-8?Q?Bi=E1=BB=83u_MN_M=C6=B0=E1=BB=9Dng_Gi=C3=A0ng.xlsx?="
    return (
        "Content-Type: multipart/mixed; boundary=Apple-Mail-1234\r\n"
        "Mime-Version: 1.0 (1.0)\r\n"
        f"From: {_rfc2047('Hiệu trưởng MN Mường Giàng')} <hieutruong.mnmg@gmail.com>\r\n"
        "Date: Sat, 16 Oct 2021 07:09:40 +0700\r\n"
        f"Subject: {_rfc2047('Báo cáo tuần lễ')}\r\n"
        "Message-Id: <5F1E-APPLE-0001@gmail.com>\r\n"
        f"To: {CLERK}\r\n"
        "X-Mailer: iPhone Mail (18H17)\r\n\r\n"
        "--Apple-Mail-1234\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "G=E1=BB=ADi ph=C3=B2ng\r\n\r\nG=E1=BB=ADi t=E1=BB=AB iPhone c=E1=BB=A7a t=C3=B4i\r\n"
        "--Apple-Mail-1234\r\n"
        f'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + _b64(data) +
        "\r\n--Apple-Mail-1234\r\n"
        'Content-Type: image/jpeg; name="IMG_0412.JPG"\r\nContent-Disposition: attachment; filename="IMG_0412.JPG"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(b"\xff\xd8\xff\xe0" + b"\0" * 64) +
        "\r\n--Apple-Mail-1234--\r\n"
    ).encode()


def zip_message() -> bytes:
    """Two returns in one zip (names with Vietnamese letters, UTF-8 flag set)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Báo cáo TH Mường Giàng.xlsx", (RETURNS / "TH01_Truong_Tieu_hoc_Muong_Giang.xlsx").read_bytes())
        zf.writestr("bao cao/THCS Nậm Ét.ods", (RETURNS / "CS03_Truong_PTDTBT_THCS_Nam_Et.ods").read_bytes())
    msg = EmailMessage()
    msg["From"] = "th.muonggiang@quynhnhai.example"
    msg["To"] = CLERK
    msg["Subject"] = "Gửi 2 báo cáo"
    msg["Message-ID"] = "<zip-0001@quynhnhai.example>"
    msg.set_content("Gửi kèm báo cáo của hai trường.")
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="Báo cáo 2 trường.zip")
    return msg.as_bytes(policy=email.policy.SMTP)


def forwarded_message() -> bytes:
    """The clerk forwards a commune's message as an attachment (message/rfc822)."""
    inner = EmailMessage()
    inner["From"] = "UBND xã Chiềng Ơn <ubnd.chiengon@quynhnhai.example>"
    inner["To"] = "vanthu@quynhnhai.example"
    inner["Subject"] = "Báo cáo tuần lễ xã Chiềng Ơn"
    inner["Message-ID"] = "<inner-x02@quynhnhai.example>"
    inner.set_content("Xã gửi báo cáo.")
    inner.add_attachment((RETURNS / "X02_UBND_xa_Chieng_On.xlsx").read_bytes(), maintype="application",
                         subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="Xã Chiềng Ơn.xlsx")
    outer = EmailMessage()
    outer["From"] = f"Bùi Thị Yến <{CLERK}>"
    outer["To"] = CLERK
    outer["Subject"] = "Fwd: Báo cáo tuần lễ xã Chiềng Ơn"
    outer["Message-ID"] = "<fwd-0001@mail.gmail.com>"
    outer.set_content("---------- Forwarded message ---------")
    outer.add_attachment(inner)
    return outer.as_bytes(policy=email.policy.SMTP)


def reply_from_other_unit() -> bytes:
    """A reply quoting the template, sent from Chiềng Khoang's address but carrying Mường Sại's return."""
    msg = EmailMessage()
    msg["From"] = "UBND xã Chiềng Khoang <ubnd.chiengkhoang@quynhnhai.example>"
    msg["To"] = CLERK
    msg["Subject"] = "Re: Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — UBND xã Chiềng Khoang"
    msg["Message-ID"] = "<reply-x04@quynhnhai.example>"
    msg["In-Reply-To"] = "<179625883562.22698@gmail.com>"
    msg.set_content("Xin gửi lại ạ.\n\n> Kính gửi: UBND xã Chiềng Khoang,\n> Phòng Giáo dục và Đào tạo huyện "
                    "Quỳnh Nhai gửi đơn vị biểu mẫu \"Biểu tổng hợp\"…\n")
    msg.add_attachment((RETURNS / "X07_UBND_xa_Muong_Sai.ods").read_bytes(), maintype="application",
                       subtype="vnd.oasis.opendocument.spreadsheet", filename="X07_UBND_xa_Muong_Sai.ods")
    return msg.as_bytes(policy=email.policy.SMTP)


def plain_message(sender: str, subject: str, mid: str, attach: Path | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = CLERK
    msg["Subject"] = subject
    msg["Message-ID"] = mid
    msg.set_content("Đã nhận được biểu, xã sẽ gửi báo cáo sau.")
    if attach is not None:
        msg.add_attachment(attach.read_bytes(), maintype="application", subtype="octet-stream", filename=attach.name)
    return msg.as_bytes(policy=email.policy.SMTP)


MAILBOX = [
    (gmail_message(), '"14-Oct-2021 09:30:05 +0700"'),
    (outlook_message(), '"15-Oct-2021 16:45:00 +0700"'),
    (phone_message(), '"16-Oct-2021 07:10:12 +0700"'),  # after the deadline (15/10/2021)
    (zip_message(), '"13-Oct-2021 14:02:00 +0700"'),
    (forwarded_message(), '"14-Oct-2021 20:15:00 +0700"'),
    (reply_from_other_unit(), '"15-Oct-2021 10:00:00 +0700"'),
    (plain_message("UBND xã Pá Ma Pha Khinh <ubnd.pamaphakhinh@quynhnhai.example>", "Đã nhận biểu",
                   "<noattach@quynhnhai.example>"), '"12-Oct-2021 08:00:00 +0700"'),
    # the same file sent again by X01: nothing new to save
    (plain_message("ubnd.muonggiang@quynhnhai.example", "Gửi lại", "<again@quynhnhai.example>",
                   RETURNS / "X01_UBND_xa_Muong_Giang.xlsx"), '"15-Oct-2021 08:00:00 +0700"'),
    # before the campaign started (01/10/2021): not read
    (plain_message("spam@example.com", "Bảng giá", "<old@example.com>", RETURNS / "X04_UBND_xa_Chieng_Khoang.xlsx"),
     '"20-Sep-2021 08:00:00 +0700"'),
]


@pytest.fixture(scope="module")
def dovecot():  # noqa: ANN201
    with dovecot_running(MAILBOX, password="Mật khẩu IMAP 5#") as server:
        yield server


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name="consolidate")


@pytest.fixture()
def camp(tmp_path: Path, dovecot, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    shutil.copy(SAMPLES / "units.csv", tmp_path / "units.csv")
    text = (SAMPLES / "campaign.toml").read_text(encoding="utf-8")
    text += (f'\n[email]\npreset = "gmail"\nuser = "{dovecot.user}"\nfrom = "{CLERK}"\nimap_host = "127.0.0.1"\n'
             f'imap_port = {dovecot.port}\nimap_security = "plain"\ntimeout = 20\n')
    (tmp_path / "campaign.toml").write_text(text, encoding="utf-8")
    return tmp_path / "campaign.toml"


SAVED = {  # saved name (Vietnamese kept, as the web page's hand-over keeps it) → (original, sender, receipt time)
    "Báo cáo Tuần lễ - xã Mường Giàng.xlsx": ("Báo cáo Tuần lễ - xã Mường Giàng.xlsx",
                                              "ubnd.muonggiang@quynhnhai.example", "2021-10-14T09:30:05+07:00"),
    "Biểu tổng hợp THCS Chiềng Ơn (bản chính thức đã ký, gửi Phòng GD&ĐT).xlsx": (
        "Biểu tổng hợp THCS Chiềng Ơn (bản chính thức đã ký, gửi Phòng GD&ĐT).xlsx",
        "thcs.chiengon@quynhnhai.example", "2021-10-15T16:45:00+07:00"),
    "Biểu MN Mường Giàng.xlsx": ("Biểu MN Mường Giàng.xlsx", "hieutruong.mnmg@gmail.com", "2021-10-16T07:10:12+07:00"),
    "Báo cáo TH Mường Giàng.xlsx": ("Báo cáo 2 trường.zip/Báo cáo TH Mường Giàng.xlsx",
                                    "th.muonggiang@quynhnhai.example", "2021-10-13T14:02:00+07:00"),
    "THCS Nậm Ét.ods": ("Báo cáo 2 trường.zip/THCS Nậm Ét.ods", "th.muonggiang@quynhnhai.example",
                        "2021-10-13T14:02:00+07:00"),
    "Xã Chiềng Ơn.xlsx": ("Xã Chiềng Ơn.xlsx", CLERK, "2021-10-14T20:15:00+07:00"),
    "X07_UBND_xa_Muong_Sai.ods": ("X07_UBND_xa_Muong_Sai.ods", "ubnd.chiengkhoang@quynhnhai.example",
                                  "2021-10-15T10:00:00+07:00"),
}
MN01 = "Biểu MN Mường Giàng.xlsx"


def test_fetch_saves_every_return_once_and_marks_nothing(camp: Path, dovecot, tmp_path: Path):
    before = dovecot.flags()
    result = invoke(*FETCH)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Hộp thư INBOX: 8 thư từ ngày 01/10/2021, 0 thư đã tải lần trước."
    assert lines[1] == f"Đã đọc 8 thư mới, lưu 7 tệp vào thư mục da_nhan."
    folder = tmp_path / "da_nhan"
    assert sorted(p.name for p in folder.iterdir()) == sorted(SAVED)
    rows = read_manifest(manifest_path(folder))
    saved = {r.saved: r for r in rows if r.saved and not r.note.startswith("trùng")}
    assert {k: (r.original, r.sender, r.received_at.isoformat()) for k, r in saved.items()} == SAVED
    for name, row in saved.items():
        import hashlib

        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == row.sha256
    assert (folder / MN01).read_bytes() == (RETURNS / "MN01_Truong_Mam_non_Muong_Giang.xlsx").read_bytes()
    assert saved[MN01].sender_name == "Hiệu trưởng MN Mường Giàng"
    assert saved[MN01].note == "bỏ qua: IMG_0412.JPG"
    assert saved["Xã Chiềng Ơn.xlsx"].note == "thư chuyển tiếp, thư gốc từ ubnd.chiengon@quynhnhai.example"
    assert "1 tệp trùng nội dung với tệp đã có, không lưu lại." in result.output
    no_file = [r for r in rows if not r.saved]
    assert [(r.sender, r.subject, r.note) for r in no_file] == [
        ("ubnd.pamaphakhinh@quynhnhai.example", "Đã nhận biểu", "thư không có tệp bảng tính")]
    # nothing was marked as read, moved or deleted
    after = dovecot.flags()
    assert after == before and len(after) == len(MAILBOX)
    assert not any("\\Seen" in f or "\\Deleted" in f for f in after)
    # the receipt time is the saved file's modification time too
    assert os.path.getmtime(folder / MN01) == saved[MN01].received_at.timestamp()

    # a second run saves nothing new
    manifest_before = manifest_path(folder).read_bytes()
    result = invoke("fetch", "da_nhan", "--campaign", str(camp))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["Hộp thư INBOX: 8 thư từ ngày 01/10/2021, 8 thư đã tải lần trước.",
                                              "Đã đọc 0 thư mới, lưu 0 tệp vào thư mục da_nhan."]
    assert sorted(p.name for p in folder.iterdir()) == sorted(SAVED)
    assert manifest_path(folder).read_bytes() == manifest_before
    assert dovecot.flags() == before
    # the password is in no file the tool wrote
    for path in [*folder.iterdir(), manifest_path(folder)]:
        assert dovecot.password.encode() not in path.read_bytes()


def test_check_reads_receipt_times_and_sender_from_the_manifest(camp: Path, dovecot, tmp_path: Path):
    assert invoke(*FETCH).exit_code == 0
    result = invoke("check", "da_nhan", "--campaign", "campaign.toml")
    out = result.output
    lines = out.splitlines()
    header = next(" ".join(line.split()) for line in lines if line.startswith("Tệp  "))
    assert header == "Tệp Đơn vị Trạng thái Lỗi Cảnh báo Nhận lúc Người gửi"
    row = next(" ".join(line.split()) for line in lines if line.startswith(MN01))
    assert row == ("Biểu MN Mường Giàng.xlsx Trường Mầm non Mường Giàng (MN01) hợp lệ 0 0 07:10 16/10/2021 "
                   "hieutruong.mnmg@gmail.com")
    row = next(" ".join(line.split()) for line in lines if line.startswith("Báo cáo Tuần lễ"))
    assert row.endswith("09:30 14/10/2021 ubnd.muonggiang@quynhnhai.example")
    # lateness by the server's receipt time, not by when the file was saved
    assert ("  Thông tin: nhận lúc 07:10 16/10/2021 (giờ máy chủ thư), sau hạn 15/10/2021.") in lines
    # a return mailed from another unit's address is flagged: the file waits for the clerk ("cần xác nhận")
    row = next(" ".join(line.split()) for line in lines if line.startswith("X07_UBND_xa_Muong_Sai.ods  "))
    assert row == ("X07_UBND_xa_Muong_Sai.ods (chưa xác định) cần xác nhận 1 0 10:00 15/10/2021 "
                   "ubnd.chiengkhoang@quynhnhai.example")
    assert ("  X07_UBND_xa_Muong_Sai.ods — có thể của: UBND xã Mường Sại (X07), UBND xã Chiềng Khoang (X04)") in lines
    assert ('    địa chỉ người gửi thư (thư nhận lúc 10:00 15/10/2021): "ubnd.chiengkhoang@quynhnhai.example" '
            "→ X04") in lines
    # the clerk forwarding a return from the office's own address is nothing to flag
    assert not [line for line in lines if "gửi từ địa chỉ buithiyenqn@gmail.com" in line]
    # a personal address is noted, not refused
    assert ("  Thông tin: thư nhận lúc 07:10 16/10/2021 gửi từ địa chỉ hieutruong.mnmg@gmail.com, không phải email "
            "của Trường Mầm non Mường Giàng trong danh sách đơn vị (mn.muonggiang@quynhnhai.example).") in lines
    assert "Traceback" not in out


def test_since_and_mailbox_options(camp: Path, dovecot, tmp_path: Path):
    result = invoke("fetch", "moi", "--campaign", str(camp), "--since", "15/10/2021")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Hộp thư INBOX: 4 thư từ ngày 15/10/2021, 0 thư đã tải lần trước."
    result = invoke("fetch", "khac", "--campaign", str(camp), "--mailbox", "Báo cáo")
    assert result.exit_code == 1
    assert "Không mở được hộp thư 'Báo cáo' trên 127.0.0.1" in result.output


def test_wrong_password_is_one_vietnamese_line(camp: Path, dovecot, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "sai")
    result = invoke("fetch", "da_nhan", "--campaign", str(camp))
    assert result.exit_code == 1
    assert result.output.startswith(f"Lỗi: Máy chủ thư 127.0.0.1 không nhận tài khoản {dovecot.user}")


def test_names_decoded_from_rfc2047_and_rfc2231():
    assert decode_text("=?utf-8?Q?Bi=E1=BB=83u_MN_M=C6=B0=E1=BB=9Dng_Gi=C3=A0ng.xlsx?=") == "Biểu MN Mường Giàng.xlsx"  # "_" is a space in Q
    msg = email.message_from_bytes(outlook_message(), policy=email.policy.default)
    files, _ = message_files(msg)
    assert [name for name, _ in files] == ["Biểu tổng hợp THCS Chiềng Ơn (bản chính thức đã ký, gửi Phòng GD&ĐT).xlsx"]


def test_imap_mailbox_names_in_modified_utf7():
    assert imap_utf7("INBOX") == "INBOX"
    assert imap_utf7("Báo cáo") == "B&AOE-o c&AOE-o"
    assert imap_utf7("A&B") == "A&-B"


def test_fetch_over_imaps_checks_the_certificate(tmp_path: Path, monkeypatch):
    """IMAP over SSL (port 993 in real life) against Dovecot with a certificate from the test's own authority."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    base = Path(tempfile.mkdtemp(prefix="consolidate-dovecot-"))
    os.chmod(base, 0o755)
    try:
        cert.cert_chain_pems[0].write_to_path(str(base / "cert.pem"))
        cert.private_key_pem.write_to_path(str(base / "key.pem"))
        server = start_dovecot(base / "srv", tls=(base / "cert.pem", base / "key.pem"))
        try:
            server.deliver(outlook_message(), '"15-Oct-2021 16:45:00 +0700"')
            monkeypatch.chdir(tmp_path)
            monkeypatch.setenv(PASSWORD_ENV, server.password)
            ca.cert_pem.write_to_path(str(tmp_path / "ca_tinh.pem"))
            shutil.copy(SAMPLES / "units.csv", tmp_path / "units.csv")
            text = (SAMPLES / "campaign.toml").read_text(encoding="utf-8")
            text += (f'\n[email]\npreset = "zimbra"\nuser = "{server.user}"\nimap_host = "127.0.0.1"\n'
                     f'imap_port = {server.imaps_port}\ntimeout = 20\n')
            (tmp_path / "campaign.toml").write_text(text, encoding="utf-8")
            result = invoke(*FETCH)
            assert result.exit_code == 1
            assert result.output.startswith(f"Lỗi: Không lập được kết nối mã hóa tới 127.0.0.1:{server.imaps_port}")
            (tmp_path / "campaign.toml").write_text(text + 'cafile = "ca_tinh.pem"\n', encoding="utf-8")
            result = invoke(*FETCH)
            assert result.exit_code == 0, result.output
            assert [p.name for p in (tmp_path / "da_nhan").iterdir()] == [
                "Biểu tổng hợp THCS Chiềng Ơn (bản chính thức đã ký, gửi Phòng GD&ĐT).xlsx"]
            assert not any("\\Seen" in f for f in server.flags())
        finally:
            stop_dovecot(server)
    finally:
        shutil.rmtree(base, ignore_errors=True)
