"""The mail buttons of the page (Gửi biểu, Nhận thư, Nhắc đơn vị) in Debian's Chromium, against real mail servers
the test starts on 127.0.0.1: aiosmtpd (SMTP, tests/mail_servers.py) and Dovecot (IMAP, loaded with the mailbox of
tests/test_mail_fetch.py). The page is ``consolidate web`` started with the README's command, as in
tests/test_web.py; screenshots at 1366 × 768 go to the same artifacts folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from consolidate.feedback import FEEDBACK_SHEET
from consolidate.mail_config import PASSWORD_ENV
from consolidate.units import load_units

from mail_servers import dovecot_running, smtp_running
from test_mail_fetch import MAILBOX, SAVED
from test_mail_send import _identity_code
from test_web import CHROMIUM, SAMPLE, Server, browser, campaign_copy, page_of, screens  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium (/usr/bin/chromium) is not installed"),
]

USER = "phong"
SENDER = "phong.gd@quynhnhai.example"
# new for every run, so that finding it in a file can only mean this run wrote it there
PASSWORD = f"Mật khẩu thư {secrets.token_hex(4)} #"
WRONG = f"sai-{secrets.token_hex(4)}"
UNITS, _ = load_units(SAMPLE / "units.csv")
STARTED = time.time()
SERVER_FOLDERS: list[Path] = []  # the test IMAP server's own files (its password database)


@pytest.fixture(scope="module")
def dovecot():  # noqa: ANN201
    with dovecot_running(MAILBOX, "consolidate-web-dovecot-", user=USER, password=PASSWORD) as server:
        SERVER_FOLDERS.append(server.base.parent)
        yield server


@pytest.fixture()
def smtp():  # noqa: ANN201
    with smtp_running(USER, PASSWORD) as box:
        yield box


def mail_campaign(base: Path, smtp_port: int, imap_port: int) -> Path:
    """The Quỳnh Nhai campaign with an [email] section for the servers of this test."""
    campaign = campaign_copy(base)
    text = campaign.read_text(encoding="utf-8")
    text += (f'\n[email]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "plain"\nimap_host = "127.0.0.1"\n'
             f'imap_port = {imap_port}\nimap_security = "plain"\nuser = "{USER}"\nfrom = "{SENDER}"\n'
             'backoff = 0\ntimeout = 20\n')
    campaign.write_text(text, encoding="utf-8")
    return campaign


def clerk_env(password: str | None = None) -> dict[str, str]:
    """The page's environment: the password in CONSOLIDATE_MAIL_PASSWORD or nowhere; no system keyring."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    if password is not None:
        env[PASSWORD_ENV] = password
    return env


def assert_no_password(*roots: Path) -> None:
    """No file under ``roots`` (nor any file written in the temporary folder since the tests started, but the
    test mail server's own password file) holds either password, as text or as the base64 a login carries."""
    needles = [p for secret in (PASSWORD, WRONG)
               for p in (secret.encode(), secret.encode("utf-16-le"), base64.b64encode(secret.encode()),
                         base64.b64encode(f"\0{USER}\0{secret}".encode()))]
    seen = 0
    files = [p for root in roots for p in root.rglob("*")]
    for dirpath, _dirs, names in os.walk(tempfile.gettempdir()):
        files += [Path(dirpath) / n for n in names]
    for path in files:
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_mtime < STARTED - 1 \
                    or path.stat().st_size > 64 * 1024 * 1024:
                continue
            if any(path.is_relative_to(own) for own in SERVER_FOLDERS):
                continue
            data = path.read_bytes()
        except OSError:
            continue
        seen += 1
        for needle in needles:
            assert needle not in data, path
    assert seen > 10


def cli_check(campaign: Path, folder: Path, tmp: Path) -> dict:
    out = tmp / f"check_{secrets.token_hex(3)}.json"
    subprocess.run([sys.executable, "-m", "consolidate", "check", str(folder), "--campaign", str(campaign),
                    "--json", str(out)], capture_output=True, text=True, check=False)
    return json.loads(out.read_text(encoding="utf-8"))


def rows_of(page, selector: str, script: str) -> list:
    return page.eval_on_selector_all(selector, f"rows => rows.map(r => {script})")


def test_gui_bieu_previews_then_mails_each_unit_its_workbook_once(page_of, screens, tmp_path, smtp):
    from playwright.sync_api import expect

    campaign = mail_campaign(tmp_path / "dot", smtp.port, 1)
    server = Server(campaign, env=clerk_env())
    try:
        page, errors = page_of()
        page.goto(server.url)
        page.click("nav >> text=Gửi & nhận thư")
        assert page.title().startswith("Gửi và nhận thư")
        assert page.locator("#the-nhan-thu input[type=password]").count() == 1  # neither environment nor keyring

        # Xem trước: who gets what; nothing is sent
        page.click("#mail-gui-bieu")
        preview = page.locator("#ket-qua-gui-bieu .preview")
        preview.wait_for(timeout=120_000)
        shown = rows_of(page, "#ket-qua-gui-bieu table.letters tbody tr:not([data-left])",
                        "[r.dataset.unit, r.querySelector('.email').textContent, "
                        "r.querySelector('.subject .text').textContent, r.querySelector('.attach .file').textContent]")
        assert {code: (email, subject) for code, email, subject, _ in shown} == {
            u.code: (u.email, f"Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — {u.name}") for u in UNITS}
        forms = server.out_dir / "bieu_mau"
        for code, _, _, attached in shown:
            assert attached.startswith(code + "_") and (forms / attached).is_file()
        assert f"Sẽ gửi {len(UNITS)} thư" in preview.inner_text()
        assert "Chưa có biểu mẫu: đã tạo 23 biểu mẫu trong thư mục" in preview.inner_text()
        assert smtp.received == []
        page.screenshot(path=str(screens / "9-gui-bieu-xem-truoc.png"))

        # a wrong password: a Vietnamese line on the page, no English from the server, nothing sent
        confirm = preview.locator("form.confirm")
        confirm.locator("input[name=mat_khau]").fill(WRONG)
        confirm.locator("button.mail-confirm").click()
        error = preview.locator(".job-result pre.run-text.error")
        error.wait_for(timeout=60_000)
        assert error.inner_text() == (f"Lỗi: Máy chủ thư 127.0.0.1 không nhận tài khoản {USER}. Kiểm tra mật khẩu; "
                                      "với Gmail cần \"mật khẩu ứng dụng\" (App Password), không phải mật khẩu đăng nhập.")
        body = page.inner_text("body")
        assert "535" not in body and "Authentication" not in body and "Traceback" not in body
        assert smtp.received == [] and smtp.logins == [(USER, WRONG)]
        assert confirm.locator("input[name=mat_khau]").input_value() == ""  # not kept on the page
        page.screenshot(path=str(screens / "10-sai-mat-khau.png"))

        # the right one: one message per unit, its own workbook attached
        confirm.locator("input[name=mat_khau]").fill(PASSWORD)
        confirm.locator("button.mail-confirm").click()
        sent = preview.locator(".sent")
        sent.wait_for(timeout=120_000)
        assert sent.locator(".alert").inner_text() == f'Đợt gửi "gui-bieu": đã gửi {len(UNITS)} thư gửi biểu mẫu.'
        assert set(rows_of(page, "#ket-qua-gui-bieu .sent tbody tr", "r.dataset.status")) == {"sent"}
        assert len(smtp.received) == len(UNITS)
        by_rcpt = {r.rcpt_tos[0]: r for r in smtp.received}
        assert sorted(by_rcpt) == sorted(u.email for u in UNITS)
        for unit in UNITS:
            got = by_rcpt[unit.email]
            assert got.rcpt_tos == [unit.email] and got.mail_from == SENDER
            msg = got.message
            assert str(msg["Subject"]) == f"Biểu tổng hợp Tuần lễ hưởng ứng học tập suốt đời năm 2021 — {unit.name}"
            assert msg["To"].addresses[0].addr_spec == unit.email
            (attachment,) = msg.iter_attachments()
            data = attachment.get_content()
            assert data == (forms / attachment.get_filename()).read_bytes()
            assert _identity_code(data) == unit.code
        assert smtp.logins[1:] == [(USER, PASSWORD)]
        page.screenshot(path=str(screens / "11-gui-bieu-da-gui.png"))

        # again: the send log says everyone has it; the typed password was kept in memory only
        page.click("#mail-gui-bieu")
        page.locator("#ket-qua-gui-bieu .preview").wait_for(timeout=120_000)
        again = page.locator("#ket-qua-gui-bieu .preview")
        assert set(rows_of(page, "#ket-qua-gui-bieu table.letters tbody tr", "r.dataset.done")) == {"1"}
        assert "Sẽ gửi 0 thư" in again.inner_text()
        assert again.locator("input[name=mat_khau]").count() == 0
        again.locator("button.mail-confirm").click()
        again.locator(".sent").wait_for(timeout=60_000)
        assert again.locator(".sent .alert").inner_text() == (
            f'Đợt gửi "gui-bieu": đã gửi 0 thư gửi biểu mẫu, bỏ qua {len(UNITS)} đơn vị đã được gửi trước đó.')
        assert len(smtp.received) == len(UNITS)
        log = [json.loads(line) for line in
               (campaign.parent / "nhat_ky_gui_thu.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(log) == len(UNITS) and {r["status"] for r in log} == {"sent"}
        # only when the clerk asks for it: everyone again
        page.click("#mail-gui-bieu")
        page.locator("#ket-qua-gui-bieu .preview").wait_for(timeout=120_000)
        again = page.locator("#ket-qua-gui-bieu .preview")
        again.locator("input[name=gui_lai]").check()
        again.locator("button.mail-confirm").click()
        again.locator(".sent").wait_for(timeout=120_000)
        assert again.locator(".sent .alert").inner_text() == \
            f'Đợt gửi "gui-bieu": đã gửi {len(UNITS)} thư gửi biểu mẫu.'
        assert len(smtp.received) == 2 * len(UNITS)
        assert not errors, errors
    finally:
        server.stop()
    assert_no_password(tmp_path)


def test_nhan_thu_saves_the_returns_and_the_page_shows_their_statuses_and_receipt_times(
        page_of, screens, tmp_path, dovecot):
    campaign = mail_campaign(tmp_path / "dot", 1, dovecot.port)
    server = Server(campaign, env=clerk_env())
    before = dovecot.flags()
    try:
        page, errors = page_of()
        page.goto(server.url + "thu")
        card = page.locator("#the-nhan-thu")
        card.locator("input[name=mat_khau]").fill(WRONG)
        page.click("#mail-nhan-thu")
        error = page.locator("#ket-qua-nhan-thu pre.run-text.error")
        error.wait_for(timeout=60_000)
        assert error.inner_text() == (f"Lỗi: Máy chủ thư 127.0.0.1 không nhận tài khoản {USER}. Kiểm tra mật khẩu; "
                                      "với Gmail cần bật IMAP và dùng \"mật khẩu ứng dụng\" (App Password).")
        assert "AUTHENTICATIONFAILED" not in page.inner_text("body")
        assert not any(server.folder.iterdir())

        card.locator("input[name=mat_khau]").fill(PASSWORD)
        page.click("#mail-nhan-thu")
        fetched = page.locator("#ket-qua-nhan-thu .fetched")
        fetched.wait_for(timeout=180_000)
        assert {p.name for p in server.folder.iterdir()} == set(SAVED)
        doc = cli_check(campaign, server.folder, tmp_path)
        status_of = {f["file"]: f["status"] for f in doc["files"]}
        rows = rows_of(page, "#ket-qua-nhan-thu tr[data-file]",
                       "[r.dataset.file, r.dataset.status, r.querySelector('.received-at').textContent, "
                       "r.querySelector('.sender .muted').textContent]")
        assert len(rows) == len(SAVED)
        for file, status, received, sender in rows:
            original, address, when = SAVED[file]
            assert received == dt.datetime.fromisoformat(when).strftime("%H:%M %d/%m/%Y"), file
            assert sender == address
            assert status == status_of[file], file  # the statuses of ``consolidate check`` on that folder
        assert "Hộp thư INBOX: 8 thư từ ngày 01/10/2021 (0 thư đã tải lần trước); đã lưu 7 tệp mới" in \
            fetched.locator(".alert").inner_text()
        page.screenshot(path=str(screens / "12-nhan-thu.png"))

        # Tình hình: the units whose file came by mail, with its receipt time and sender
        page.click("nav >> text=Tình hình")
        shown = {code: (state, received, sender) for code, state, received, sender in rows_of(
            page, "#don-vi tbody tr", "[r.dataset.unit, r.dataset.state, r.querySelector('.received-at').textContent, "
            "r.querySelector('.sender').textContent]")}
        assert {code: s for code, (s, _, _) in shown.items()} == {c: u["status"] for c, u in doc["units"].items()}
        by_mail = 0
        for code, u in doc["units"].items():
            if u["file"] in SAVED:
                _, address, when = SAVED[u["file"]]
                assert shown[code][1:] == (dt.datetime.fromisoformat(when).strftime("%H:%M %d/%m/%Y"), address)
                by_mail += 1
            else:
                assert shown[code][1:] == ("", "")
        assert by_mail >= 4
        page.screenshot(path=str(screens / "13-tinh-hinh-sau-nhan-thu.png"))

        # again: nothing new, nothing saved twice
        page.goto(server.url + "thu")
        page.click("#mail-nhan-thu")  # the password was kept in memory: the field is gone
        page.locator("#ket-qua-nhan-thu .fetched").wait_for(timeout=120_000)
        assert "(8 thư đã tải lần trước); đã lưu 0 tệp mới" in page.inner_text("#ket-qua-nhan-thu .alert")
        assert {p.name for p in server.folder.iterdir()} == set(SAVED)
        assert dovecot.flags() == before  # nothing marked as read
        assert not errors, errors
    finally:
        server.stop()
    assert_no_password(tmp_path)


def test_nhac_don_vi_after_a_check_mails_exactly_the_missing_and_faulty_units(page_of, screens, tmp_path, smtp):
    campaign = mail_campaign(tmp_path / "dot", smtp.port, 1)
    returns = campaign.parent / "da_nhan"
    shutil.copytree(SAMPLE / "da_nhan", returns)
    doc = cli_check(campaign, returns, tmp_path)
    missing = {c for c, u in doc["units"].items() if u["status"] == "missing"}
    faulty = {c for c, u in doc["units"].items() if u["status"] == "rejected"}
    assert missing and faulty
    server = Server(campaign, env=clerk_env(PASSWORD))  # the password from the environment, as on the command line
    try:
        page, errors = page_of()
        page.goto(server.url + "thu")
        assert page.locator("input[type=password]").count() == 0
        page.click("#mail-nhac")
        preview = page.locator("#ket-qua-nhac .preview")
        preview.wait_for(timeout=180_000)
        assert f"{len(missing)} đơn vị chưa nộp, {len(faulty)} đơn vị có lỗi" in preview.inner_text()
        planned = dict(rows_of(page, "#ket-qua-nhac table.letters tbody tr:not([data-left])",
                               "[r.dataset.unit, r.querySelector('.attach .file').textContent]"))
        assert set(planned) == missing | faulty
        assert smtp.received == []
        page.screenshot(path=str(screens / "14-nhac-xem-truoc.png"))
        preview.locator("button.mail-confirm").click()
        preview.locator(".sent").wait_for(timeout=120_000)
        assert preview.locator(".sent .alert").inner_text() == \
            f'Đợt gửi "nhac-2021-10-15": đã gửi {len(missing | faulty)} thư nhắc.'
        email_of = {u.email: u.code for u in UNITS}
        got = {email_of[r.rcpt_tos[0]]: r.message for r in smtp.received}
        assert len(smtp.received) == len(got) and set(got) == missing | faulty
        import openpyxl

        for code, msg in got.items():
            (attachment,) = msg.iter_attachments()
            assert attachment.get_filename() == planned[code]
            data = attachment.get_content()
            if code in missing:
                assert str(msg["Subject"]).startswith("Nhắc gửi Biểu tổng hợp")
                assert data == (server.out_dir / "bieu_mau" / attachment.get_filename()).read_bytes()
            else:
                assert f'tệp "{doc["units"][code]["file"]}" đơn vị gửi về còn' in msg.get_body(("plain",)).get_content()
                assert data == (server.out_dir / "phan_hoi" / attachment.get_filename()).read_bytes()
                assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == FEEDBACK_SHEET
        page.screenshot(path=str(screens / "15-nhac-da-gui.png"))
        assert not errors, errors
    finally:
        server.stop()
    assert_no_password(tmp_path)


def test_without_an_email_section_the_page_says_how_to_add_it(page_of, screens, tmp_path):
    server = Server(campaign_copy(tmp_path / "dot"))
    try:
        page, errors = page_of()
        page.goto(server.url)
        page.click("nav >> text=Gửi & nhận thư")
        how = page.locator("#chua-co-email")
        assert "chưa có mục [email] (hộp thư của phòng), nên trang chưa gửi, nhận thư được." in how.inner_text()
        assert '[email]\npreset = "gmail"' in how.locator("pre").inner_text()
        assert page.locator("#mail-gui-bieu, #mail-nhan-thu, #mail-nhac").count() == 0  # no dead buttons
        page.screenshot(path=str(screens / "16-chua-co-email.png"))
        assert not errors, errors
    finally:
        server.stop()
