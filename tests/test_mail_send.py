"""``consolidate send`` against a real SMTP server (aiosmtpd on 127.0.0.1): the Quỳnh Nhai templates, reminders
after a check, the send log, retries and refusals, the password kept out of every file."""

from __future__ import annotations

import base64
import io
import json
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from consolidate.cli import main
from consolidate.feedback import FEEDBACK_SHEET
from consolidate.mail_config import PASSWORD_ENV, load_mail_settings
from consolidate.units import load_units

from conftest import SAMPLES
from mail_servers import smtp_running, start_smtp
from test_readme import MAILS

DRY_RUN, SEND, _FETCH, REMIND = (shlex.split(c)[1:] for c in MAILS)  # the README's commands, as written

USER = "phong.gd@quynhnhai.example"
PASSWORD = "Mật-khẩu-thử-7Qz!"


@pytest.fixture()
def smtp():  # noqa: ANN201
    with smtp_running(USER, PASSWORD) as box:
        yield box


def _campaign(tmp: Path, port: int, extra: str = "") -> Path:
    """The Quỳnh Nhai campaign in ``tmp`` with an [email] section for the test server."""
    shutil.copy(SAMPLES / "units.csv", tmp / "units.csv")
    text = (SAMPLES / "campaign.toml").read_text(encoding="utf-8")
    text += (f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\nuser = "{USER}"\n'
             f'from = "{USER}"\nbackoff = 0\ntimeout = 10\n{extra}')
    path = tmp / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name="consolidate")


@pytest.fixture()
def qn(tmp_path: Path, smtp, monkeypatch):  # noqa: ANN001, ANN201
    """A folder with the campaign, its templates, the password in the environment, the cwd there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    camp = _campaign(tmp_path, smtp.port)
    result = invoke("templates", "--campaign", str(camp))
    assert result.exit_code == 0, result.output
    return camp


def _identity_code(data: bytes) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["_dinh_danh"]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True)}["unit_code"]


def _all_written(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _assert_no_password(root: Path) -> None:
    """No file under ``root`` holds the password, as text or as the base64 an SMTP login would carry."""
    needles = [PASSWORD.encode(), PASSWORD.encode("utf-16-le"), base64.b64encode(PASSWORD.encode()),
               base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())]
    for path in _all_written(root):
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, path


def test_sends_each_unit_its_own_workbook(qn: Path, smtp, tmp_path: Path):
    units, _ = load_units(SAMPLES / "units.csv")
    result = invoke(*SEND)
    assert result.exit_code == 0, result.output
    assert f'Đợt gửi "gui-bieu": đã gửi {len(units)} thư gửi biểu mẫu.' in result.output
    assert smtp.logins and all(login == (USER, PASSWORD) for login in smtp.logins)
    assert len(smtp.received) == len(units)
    by_rcpt = {r.rcpt_tos[0]: r for r in smtp.received}
    assert sorted(by_rcpt) == sorted(u.email for u in units)
    for unit in units:
        got = by_rcpt[unit.email]
        assert got.rcpt_tos == [unit.email]
        assert got.mail_from == USER
        msg = got.message
        assert str(msg["Subject"]) == f"Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — {unit.name}"
        assert msg["To"].addresses[0].display_name == unit.name
        assert msg["From"].addresses[0].display_name == "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai"
        body = msg.get_body(("plain",)).get_content()
        assert body.startswith(f"Kính gửi: {unit.name},")
        assert "trước ngày 15/10/2021" in body
        attachments = list(msg.iter_attachments())
        assert len(attachments) == 1
        data = attachments[0].get_content()
        sent_file = tmp_path / "bieu_mau" / attachments[0].get_filename()
        assert data == sent_file.read_bytes()
        assert _identity_code(data) == unit.code
    _assert_no_password(tmp_path)


def test_rerun_sends_nothing_twice_and_resend_does(qn: Path, smtp, tmp_path: Path):
    assert invoke("send", "--campaign", str(qn), "--unit", "X01", "--unit", "CS02").exit_code == 0
    assert len(smtp.received) == 2
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 0
    assert "bỏ qua 2 đơn vị đã được gửi trước đó (dùng --resend để gửi lại)" in result.output
    units, _ = load_units(SAMPLES / "units.csv")
    assert len(smtp.received) == len(units)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(u.email for u in units)
    log = [json.loads(line) for line in (tmp_path / "nhat_ky_gui_thu.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(log) == len(units) and {r["status"] for r in log} == {"sent"}
    assert invoke("send", "--campaign", str(qn), "--unit", "X01", "--resend").exit_code == 0
    assert len(smtp.received) == len(units) + 1
    _assert_no_password(tmp_path)


def test_temporary_refusal_is_retried_permanent_is_reported_and_the_run_goes_on(qn: Path, smtp, tmp_path: Path):
    units, _ = load_units(SAMPLES / "units.csv")
    first, second = units.units[0], units.units[1]
    smtp.replies[first.email] = ["451 4.7.1 Tạm thời quá tải, thử lại sau", "421 4.7.0 Thử lại sau"]
    smtp.replies[second.email] = ["550 5.1.1 Hộp thư không tồn tại"]
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 1
    assert smtp.rcpt_attempts.count(first.email) == 3  # two temporary refusals, then accepted
    assert (f"Máy chủ từ chối thư gửi {second.name} ({second.code}, {second.email}): "
            "550 5.1.1 Hộp thư không tồn tại") in result.output
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(u.email for u in units if u is not second)
    # the refused unit is tried again on the next run, the others are not mailed twice
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 0
    assert smtp.received[-1].rcpt_tos == [second.email]
    assert len(smtp.received) == len(units)


def test_a_run_stopped_halfway_resumes_where_it_stopped(qn: Path, smtp, tmp_path: Path):
    units, _ = load_units(SAMPLES / "units.csv")
    # the server goes on refusing the 6th unit for longer than the retries last: a stop, not a loss
    stuck = units.units[5]
    smtp.replies[stuck.email] = ["421 4.3.2 Dịch vụ tạm ngừng"] * 5
    from consolidate import mail_send

    settings = load_mail_settings(qn, start=None)
    assert settings.retries == 4 and settings.backoff == 0
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 1
    assert f"Chưa gửi được thư cho {stuck.name}" in result.output
    assert len(smtp.received) == len(units) - 1
    log = mail_send.read_log(tmp_path / "nhat_ky_gui_thu.jsonl")
    assert [r["status"] for r in log if r["unit"] == stuck.code] == ["deferred"]
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 0
    assert smtp.received[-1].rcpt_tos == [stuck.email] and len(smtp.received) == len(units)


def test_dry_run_writes_eml_files_and_needs_no_password(qn: Path, smtp, tmp_path: Path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    result = invoke(*DRY_RUN)
    assert result.exit_code == 0, result.output
    emls = sorted((tmp_path / "thu_xem_truoc").glob("*.eml"))
    units, _ = load_units(SAMPLES / "units.csv")
    assert len(emls) == len(units)
    import email
    import email.policy

    msg = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert str(msg["Subject"]).startswith("Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — ")
    assert not smtp.received and not (tmp_path / "nhat_ky_gui_thu.jsonl").exists()


def test_editable_text_template(qn: Path, smtp, tmp_path: Path):
    (tmp_path / "thu_gui.txt").write_text(
        "Tiêu đề: [{ma_don_vi}] Gửi biểu {dot}\n\nKính gửi {ten_don_vi}: hạn nộp {han_nop}, tệp {tep}.\n{phong}\n",
        encoding="utf-8")
    assert invoke("send", "--campaign", str(qn), "--unit", "X02").exit_code == 0
    msg = smtp.received[0].message
    assert str(msg["Subject"]) == "[X02] Gửi biểu Tuần lễ hưởng ứng học tập suốt đời năm 2021"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        "Kính gửi UBND xã Chiềng Ơn: hạn nộp 15/10/2021, tệp X02_UBND_xa_Chieng_On.xlsx.\n"
        "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai\n")
    (tmp_path / "thu_gui.txt").write_text("Tiêu đề: {ten_truong}\n\nx\n", encoding="utf-8")
    result = invoke("send", "--campaign", str(qn), "--resend", "--unit", "X02")
    assert result.exit_code == 2
    assert "không hiểu {ten_truong}" in result.output


def test_password_in_campaign_file_is_refused(tmp_path: Path, smtp, monkeypatch):
    monkeypatch.chdir(tmp_path)
    camp = _campaign(tmp_path, smtp.port, extra='password = "abc"\n')
    result = invoke("send", "--campaign", str(camp), "--dry-run")
    assert result.exit_code == 2
    assert "không ghi mật khẩu vào tệp" in result.output


def test_wrong_password_stops_the_run_with_a_vietnamese_line(qn: Path, smtp, monkeypatch, tmp_path: Path):
    monkeypatch.setenv(PASSWORD_ENV, "sai")
    result = invoke("send", "--campaign", str(qn))
    assert result.exit_code == 1
    assert f"Máy chủ thư 127.0.0.1 không nhận tài khoản {USER}" in result.output
    assert not smtp.received
    assert "Traceback" not in result.output


def test_unencrypted_connection_refused_beyond_this_machine(tmp_path: Path):
    from consolidate.issues import UsageError

    (tmp_path / "c.toml").write_text('[campaign]\ntitle = "x"\nyear = 2021\n[email]\nhost = "smtp.example.vn"\n'
                                     'security = "plain"\n', encoding="utf-8")
    settings = load_mail_settings(tmp_path / "c.toml")
    with pytest.raises(UsageError, match="chỉ dùng được với máy chủ trên chính máy này"):
        settings.check_security("smtp")


@pytest.mark.parametrize(("preset", "user", "smtp", "imap"), [
    ("gmail", "a@gmail.com", ("smtp.gmail.com", 465, "ssl"), ("imap.gmail.com", 993, "ssl")),
    ("outlook", "a@outlook.com", ("smtp.office365.com", 587, "starttls"), ("outlook.office365.com", 993, "ssl")),
    ("zimbra", "pgd@sonla.gov.vn", ("mail.sonla.gov.vn", 465, "ssl"), ("mail.sonla.gov.vn", 993, "ssl")),
])
def test_presets(tmp_path: Path, preset: str, user: str, smtp: tuple, imap: tuple):
    (tmp_path / "c.toml").write_text(f'[campaign]\ntitle = "x"\nyear = 2021\n[email]\npreset = "{preset}"\n'
                                     f'user = "{user}"\n', encoding="utf-8")
    s = load_mail_settings(tmp_path / "c.toml")
    assert (s.smtp_host, s.smtp_port, s.smtp_security) == smtp
    assert (s.imap_host, s.imap_port, s.imap_security) == imap
    assert s.sender == user


def test_password_order_environment_then_keyring_then_prompt(tmp_path: Path):
    from consolidate.mail_config import MailSettings, get_password

    s = MailSettings(user="u@example.vn")
    assert get_password(s, environ={PASSWORD_ENV: "tu-bien"}, prompt=lambda _: "hoi") == "tu-bien"
    asked: list[str] = []
    assert get_password(s, environ={}, prompt=lambda text: asked.append(text) or "hoi") == "hoi"
    assert asked == ["Mật khẩu thư của u@example.vn"]


def test_reminders_after_check_mail_exactly_the_missing_and_faulty_units(qn: Path, smtp, tmp_path: Path):
    shutil.copytree(SAMPLES / "da_nhan", tmp_path / "da_nhan")
    checked = invoke("check", "da_nhan", "--campaign", str(qn), "--json", "ket_qua.json")
    assert checked.exit_code == 1  # the sample has faulty returns
    doc = json.loads((tmp_path / "ket_qua.json").read_text(encoding="utf-8"))
    missing = {c for c, u in doc["units"].items() if u["status"] == "missing"}
    faulty = {c for c, u in doc["units"].items() if u["status"] == "rejected"}
    assert missing and faulty
    units, _ = load_units(SAMPLES / "units.csv")
    result = invoke(*REMIND)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (f"Đã kiểm tra da_nhan: {len(missing)} đơn vị chưa nộp, "
                                             f"{len(faulty)} đơn vị có lỗi.")
    assert f'Đợt gửi "nhac-2021-10-22": đã gửi {len(missing | faulty)} thư nhắc.' in result.output
    email_of = {u.email: u.code for u in units}
    got = {email_of[r.rcpt_tos[0]]: r.message for r in smtp.received}
    assert set(got) == missing | faulty
    for code, msg in got.items():
        unit = units.get(code)
        body = msg.get_body(("plain",)).get_content()
        assert "trước ngày 22/10/2021" in body  # the new date
        (attachment,) = msg.iter_attachments()
        data = attachment.get_content()
        if code in missing:
            assert str(msg["Subject"]).startswith("Nhắc gửi Biểu tổng hợp")
            assert "chưa nhận được báo cáo của đơn vị" in body
            assert data == (tmp_path / "bieu_mau" / attachment.get_filename()).read_bytes()
        else:
            file = doc["units"][code]["file"]
            assert f'tệp "{file}" đơn vị gửi về còn' in body
            assert data == (tmp_path / "phan_hoi" / attachment.get_filename()).read_bytes()
            import openpyxl

            assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == FEEDBACK_SHEET
        assert str(msg["To"].addresses[0].addr_spec) == unit.email
    # the same reminder round again mails nobody
    again = invoke(*REMIND)
    assert again.exit_code == 0
    assert len(smtp.received) == len(missing | faulty)
    _assert_no_password(tmp_path)


def test_password_from_the_system_keyring(monkeypatch):
    """keyring's own extension point: a backend class; the password is looked up by service and account."""
    import keyring
    from keyring.backend import KeyringBackend

    from consolidate.mail_config import KEYRING_SERVICE, MailSettings, get_password

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    old = keyring.get_keyring()
    backend = Memory()
    keyring.set_keyring(backend)
    try:
        keyring.set_password(KEYRING_SERVICE, "u@example.vn", "tu-kho")
        s = MailSettings(user="u@example.vn")
        assert get_password(s, environ={}, prompt=None) == "tu-kho"
        assert get_password(s, environ={PASSWORD_ENV: "tu-bien"}) == "tu-bien"  # the environment comes first
        with pytest.raises(Exception, match="Chưa có mật khẩu thư của v@example.vn"):
            get_password(MailSettings(user="v@example.vn"), environ={}, prompt=None)
    finally:
        keyring.set_keyring(old)


@pytest.fixture(scope="module")
def authority():  # noqa: ANN201
    """A certificate authority of the test's own, and a certificate for 127.0.0.1 that it signed."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    return ca, ca.issue_cert("127.0.0.1")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_sends_over_tls_and_checks_the_certificate(tmp_path: Path, monkeypatch, authority, security: str):
    import ssl

    ca, cert = authority
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    controller, box = start_smtp(USER, PASSWORD, tls=security, context=server_context)
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        ca.cert_pem.write_to_path(str(tmp_path / "ca_tinh.pem"))
        camp = _campaign(tmp_path, box.port)
        text = camp.read_text(encoding="utf-8").replace('security = "plain"', f'security = "{security}"')
        camp.write_text(text, encoding="utf-8")
        assert invoke("templates", "--campaign", str(camp)).exit_code == 0
        # the server's certificate is from no authority the system knows: refused, nothing sent
        result = invoke("send", "--campaign", str(camp), "--unit", "X01")
        assert result.exit_code == 1
        assert result.output.startswith(f"Lỗi: Không lập được kết nối mã hóa tới 127.0.0.1:{box.port} (")
        assert not box.received and not box.logins
        # trusted through cafile (a province's own authority): sent, logged in over TLS only
        camp.write_text(text + 'cafile = "ca_tinh.pem"\n', encoding="utf-8")
        result = invoke("send", "--campaign", str(camp), "--unit", "X01")
        assert result.exit_code == 0, result.output
        assert [r.rcpt_tos for r in box.received] == [["ubnd.muonggiang@quynhnhai.example"]]
        assert box.logins == [(USER, PASSWORD)]
        _assert_no_password(tmp_path)
    finally:
        controller.stop()


def test_pace_waits_between_messages(qn: Path, smtp, tmp_path: Path):
    from consolidate import mail_send
    from consolidate.campaign import load_campaign

    campaign = load_campaign(qn)
    units, _ = load_units(SAMPLES / "units.csv")
    settings = load_mail_settings(qn, campaign.email, campaign.office, pace=3)
    plan = mail_send.plan_letters(campaign, campaign.form(), units, settings, tmp_path / "bieu_mau",
                                  only=("X01", "X02", "X03"))
    waits: list[float] = []
    result = mail_send.send_letters(plan.letters, settings, round_name=plan.round, password=PASSWORD,
                                    sleep=waits.append)
    assert result.count("sent") == 3 and waits == [3.0, 3.0]
