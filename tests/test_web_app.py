"""The web application's guards, through Flask's test client (the pages themselves are tested in Chromium,
tests/test_web.py): password, CSRF, the Host check, paths from requests, Vietnamese error pages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from consolidate.web import WebConfig, create_app

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "quynh-nhai-2021"


@pytest.fixture
def config(tmp_path: Path) -> WebConfig:
    shutil.copy(SAMPLE / "campaign.toml", tmp_path / "campaign.toml")
    shutil.copy(SAMPLE / "units.csv", tmp_path / "units.csv")
    (tmp_path / "da_nhan").mkdir()
    shutil.copy(SAMPLE / "da_nhan" / "X01_UBND_xa_Muong_Giang.xlsx", tmp_path / "da_nhan")
    return WebConfig(tmp_path / "campaign.toml", None, tmp_path / "da_nhan", tmp_path / "ket_qua")


def token(client) -> str:
    page = client.get("/", headers={"Host": "127.0.0.1:8765"}).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_a_post_without_the_pages_token_is_refused(config):
    client = create_app(config).test_client()
    before = sorted(p.name for p in config.folder.iterdir())
    data = {"tep": (open(SAMPLE / "da_nhan" / "X02_UBND_xa_Chieng_On.xlsx", "rb"), "X02.xlsx")}
    resp = client.post("/nhan-tep", data=data, headers={"Host": "127.0.0.1:8765"})
    assert resp.status_code == 403
    assert "Phiên làm việc đã hết hạn hoặc yêu cầu không đến từ trang này" in resp.get_data(as_text=True)
    assert sorted(p.name for p in config.folder.iterdir()) == before
    # with the token the same post is taken
    csrf = token(client)
    data = {"tep": (open(SAMPLE / "da_nhan" / "X02_UBND_xa_Chieng_On.xlsx", "rb"), "X02.xlsx"), "csrf": csrf}
    resp = client.post("/nhan-tep", data=data, headers={"Host": "127.0.0.1:8765"})
    assert resp.status_code == 200 and "đã lưu" in resp.get_data(as_text=True)
    assert sorted(p.name for p in config.folder.iterdir()) == sorted([*before, "X02.xlsx"])


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"])
def test_the_page_answers_to_this_machine_s_names(config, host):
    assert create_app(config).test_client().get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "192.168.1.5:8765", "127.0.0.1.evil.example"])
def test_another_host_name_is_refused(config, host):
    resp = create_app(config).test_client().get("/", headers={"Host": host})
    assert resp.status_code == 400
    assert "Địa chỉ truy cập không hợp lệ" in resp.get_data(as_text=True)


def test_a_password_guards_every_page_when_open_to_the_network(config):
    config.password, config.open_host = "mật khẩu 7", True
    client = create_app(config).test_client()
    resp = client.get("/", headers={"Host": "10.0.0.2:8765"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/dang-nhap")
    assert client.get("/trang-thai.json").status_code == 403
    page = client.get("/dang-nhap").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    wrong = client.post("/dang-nhap", data={"password": "sai", "csrf": csrf})
    assert "Mật khẩu không đúng." in wrong.get_data(as_text=True)
    right = client.post("/dang-nhap?next=//evil.example/", data={"password": "mật khẩu 7", "csrf": csrf})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_no_request_path_reaches_the_disk(config):
    client = create_app(config).test_client()
    h = {"Host": "127.0.0.1:8765"}
    for path in ("/don-vi/..%2F..%2Fcampaign.toml", "/don-vi/X99", "/viec/../../campaign.toml/tep",
                 "/viec/0123/tep", "/tai-nguyen/../campaign.toml", "/tai-ve/..%2Fx"):
        resp = client.get(path, headers=h)
        assert resp.status_code in (404, 405), path
        assert "units.csv" not in resp.get_data(as_text=True)
    assert client.get("/khong-co", headers=h).get_data(as_text=True).count("Không có trang này.") == 1


def test_unit_text_is_escaped(config):
    units = config.campaign_file.parent / "units.csv"
    units.write_text(units.read_text(encoding="utf-8") + 'Z1,"<img src=x onerror=alert(1)>",Xã,\n', encoding="utf-8")
    page = create_app(config).test_client().get("/don-vi/Z1", headers={"Host": "127.0.0.1:8765"}).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_pages_say_what_they_may_run(config):
    resp = create_app(config).test_client().get("/", headers={"Host": "127.0.0.1:8765"})
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = resp.headers["Set-Cookie"]
    assert "SameSite=Strict" in cookie and "HttpOnly" in cookie


# ---------------------------------------------------------------------------------------- the mail buttons

H = {"Host": "127.0.0.1:8765"}


def _with_email(config: WebConfig, section: str) -> WebConfig:
    path = config.campaign_file
    path.write_text(path.read_text(encoding="utf-8") + "\n[email]\n" + section, encoding="utf-8")
    return config


def _job(client, resp) -> dict:
    """Wait for the job a post started; its last state."""
    import time

    job = resp.get_json()
    for _ in range(200):
        if job["state"] != "running":
            return job
        time.sleep(0.05)
        job = client.get(f"/viec/{job['id']}.json", headers=H).get_json()
    raise AssertionError(job)


def test_without_an_email_section_the_page_says_how_to_add_it(config):
    client = create_app(config).test_client()
    page = client.get("/thu", headers=H).get_data(as_text=True)
    assert "chưa có mục <code>[email]</code> (hộp thư của phòng)" in page
    assert "Không ghi mật khẩu vào tệp." in page
    assert 'id="mail-gui-bieu"' not in page and 'id="mail-nhan-thu"' not in page and 'id="mail-nhac"' not in page
    resp = client.post("/thu/nhan", data={"csrf": token(client)}, headers={**H, "X-Requested-With": "consolidate"})
    assert resp.status_code == 400 and "chưa có mục [email]" in resp.get_json()["error"]


def test_every_mail_post_needs_the_pages_token(config):
    client = create_app(_with_email(config, 'host = "127.0.0.1"\nport = 1\nsecurity = "plain"\nuser = "u"\n')) \
        .test_client()
    assert 'id="mail-gui-bieu"' in client.get("/thu", headers=H).get_data(as_text=True)
    for path in ("/thu/xem-truoc/gui-bieu", "/thu/xem-truoc/nhac", "/thu/nhan", "/thu/gui/0123"):
        resp = client.post(path, data={"mat_khau": "x"}, headers=H)
        assert resp.status_code == 403, path
    assert not (config.out_dir / "bieu_mau").exists()


def test_a_password_in_the_campaign_file_is_refused_on_the_page(config):
    client = create_app(_with_email(config, 'preset = "gmail"\nuser = "a@gmail.com"\npassword = "lộ"\n')).test_client()
    page = client.get("/thu", headers=H).get_data(as_text=True)
    assert 'id="loi-cai-dat"' in page and "không ghi mật khẩu vào tệp (ai có tệp sẽ đọc được)" in page
    assert 'id="mail-gui-bieu"' not in page


def test_an_unreachable_mail_server_is_told_in_vietnamese_and_the_password_goes_nowhere(config, monkeypatch):
    from consolidate.mail_config import PASSWORD_ENV

    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    _with_email(config, 'host = "127.0.0.1"\nport = 1\nsecurity = "plain"\nimap_port = 1\n'
                        'imap_security = "plain"\nuser = "phong"\ntimeout = 5\nbackoff = 0\n')
    units = config.campaign_file.parent / "units.csv"
    units.write_text(units.read_text(encoding="utf-8") + 'Z1,"<img src=x onerror=alert(1)>",Xã,z1@example.vn\n',
                     encoding="utf-8")
    client = create_app(config).test_client()
    page = client.get("/thu", headers=H).get_data(as_text=True)
    assert 'name="mat_khau"' in page  # neither the environment nor a keyring has it
    secret = "Mật-khẩu-bí-mật-42"
    post = {**H, "X-Requested-With": "consolidate"}
    job = _job(client, client.post("/thu/nhan", data={"csrf": token(client), "mat_khau": secret}, headers=post))
    assert job["state"] == "failed"
    assert job["text"] == "Lỗi: Không kết nối được tới máy chủ thư 127.0.0.1:1."  # no "[Errno 111] Connection refused"
    # without a password typed the page asks for it
    job = _job(client, client.post("/thu/nhan", data={"csrf": token(client)}, headers=post))
    assert job["text"] == "Lỗi: Hãy nhập mật khẩu thư của phong vào ô \"Mật khẩu thư\" rồi bấm lại."
    # Gửi biểu: the preview first, then the confirmation fails on the server, in Vietnamese
    preview = _job(client, client.post("/thu/xem-truoc/gui-bieu", data={"csrf": token(client)}, headers=post))
    assert preview["state"] == "done" and "Sẽ gửi 24 thư" in preview["html"]
    assert "<img src=x" not in preview["html"] and "&lt;img src=x onerror=alert(1)&gt;" in preview["html"]
    plan = re.search(r'data-plan="([0-9a-f]+)"', preview["html"]).group(1)
    sent = _job(client, client.post(f"/thu/gui/{plan}", data={"csrf": token(client), "mat_khau": secret},
                                    headers=post))
    # the account "phong" is no address to send from
    assert sent["text"] == ("Lỗi: Địa chỉ gửi thư \"phong\" không phải địa chỉ email: thêm from = \"…@…\" vào mục "
                            "[email] của tệp đợt báo cáo.")
    text = config.campaign_file.read_text(encoding="utf-8")
    config.campaign_file.write_text(text.replace('user = "phong"', 'user = "phong"\nfrom = "phong@quynhnhai.example"'),
                                    encoding="utf-8")
    preview = _job(client, client.post("/thu/xem-truoc/gui-bieu", data={"csrf": token(client)}, headers=post))
    plan = re.search(r'data-plan="([0-9a-f]+)"', preview["html"]).group(1)
    sent = _job(client, client.post(f"/thu/gui/{plan}", data={"csrf": token(client), "mat_khau": secret},
                                    headers=post))
    assert sent["state"] == "failed"
    assert sent["text"].startswith("Lỗi: Không gửi được thư cho UBND xã Mường Giàng: không kết nối được tới "
                                   "127.0.0.1:1, sau 5 lần thử.")
    assert "Errno" not in sent["text"]
    for path in ("/thu", f"/viec/{preview['id']}", f"/viec/{sent['id']}"):
        assert secret not in client.get(path, headers=H).get_data(as_text=True)
    for p in config.campaign_file.parent.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p


def test_refusals_of_single_messages_are_told_per_unit_in_vietnamese(config, monkeypatch):
    """A real SMTP server (aiosmtpd) refuses one address for good (550) and another for now (451, every retry):
    the others are sent; the page names both units with the server's reply code, not its English words."""
    from consolidate.mail_config import PASSWORD_ENV

    from mail_servers import start_smtp

    controller, box = start_smtp("phong", "mk-9")
    try:
        monkeypatch.setenv(PASSWORD_ENV, "mk-9")
        _with_email(config, f'host = "127.0.0.1"\nport = {box.port}\nsecurity = "plain"\nuser = "phong"\n'
                            'from = "phong@quynhnhai.example"\nbackoff = 0\nretries = 1\ntimeout = 10\n')
        box.replies["ubnd.muonggiang@quynhnhai.example"] = ["550 5.1.1 No such user here"]
        box.replies["ubnd.chiengon@quynhnhai.example"] = ["451 4.7.1 Try again later"] * 2
        client = create_app(config).test_client()
        post = {**H, "X-Requested-With": "consolidate"}
        preview = _job(client, client.post("/thu/xem-truoc/gui-bieu", data={"csrf": token(client)}, headers=post))
        plan = re.search(r'data-plan="([0-9a-f]+)"', preview["html"]).group(1)
        sent = _job(client, client.post(f"/thu/gui/{plan}", data={"csrf": token(client)}, headers=post))
        assert sent["state"] == "done"
        html = sent["html"]
        assert 'Đợt gửi "gui-bieu": đã gửi 21 thư gửi biểu mẫu.' in html
        rows = dict(re.findall(r'<tr data-unit="(\w+)" data-status="\w+">(?:<td>.*?</td>){3}<td>(.*?)</td></tr>', html))
        assert rows["X01"] == "máy chủ từ chối (mã trả lời 550)"
        assert rows["X02"] == ("chưa gửi được: máy chủ tạm từ chối hoặc mất kết nối; bấm gửi lại sau ít phút "
                               "(mã trả lời 451)")
        assert list(rows.values()).count("đã gửi") == 21
        assert "No such user" not in html and "Try again" not in html
        assert len(box.received) == 21
        # the same plan is not sent twice
        again = client.post(f"/thu/gui/{plan}", data={"csrf": token(client)}, headers=post)
        assert again.status_code == 409 and "Các thư này đã được gửi" in again.get_json()["error"]
    finally:
        controller.stop()


def test_a_return_received_late_by_mail_shows_late_and_no_save_time_it_does_not_carry():
    import dataclasses
    import datetime as dt

    from consolidate.campaign import prepare
    from consolidate.check import check_folder
    from consolidate.issues import make
    from consolidate.web import file_view, unit_rows

    campaign, form, units, _ = prepare(str(SAMPLE / "campaign.toml"), None)
    run = check_folder(SAMPLE / "da_nhan", campaign, form, units)
    f = next(f for f in run.files if f.unit == "X01" and f.status == "accepted")
    assert f.saved_at is not None and {r.code: r for r in unit_rows(run)}["X01"].late is False
    # fetched by "Nhận thư" after the deadline: the server's time is its only time (no save time in the workbook)
    received = dt.datetime(2021, 10, 25, 9, 30)
    i = run.files.index(f)
    run.files[i] = dataclasses.replace(f, saved_at=received, received_at=received, issues=[*f.issues, make(
        "late-received", file=f.file, unit="X01", value="09:30 25/10/2021", deadline="22/10/2021")])
    row = {r.code: r for r in unit_rows(run)}["X01"]
    assert (row.late, row.saved_at) == (True, "")
    assert file_view(run, run.files[i])["saved_at"] == ""


def test_a_file_with_many_identical_copies_names_the_first_and_counts_the_rest():
    import dataclasses

    from consolidate.campaign import prepare
    from consolidate.check import check_folder
    from consolidate.web import file_view

    campaign, form, units, _ = prepare(str(SAMPLE / "campaign.toml"), None)
    run = check_folder(SAMPLE / "da_nhan", campaign, form, units)
    f = dataclasses.replace(run.files[0], same_as=[f"U{k:02d}.xlsx" for k in range(20)], same_count=30)
    view = file_view(run, f)  # the unit page shows "U00.xlsx, …, U19.xlsx và 10 tệp khác"
    assert (len(view["same_as"]), view["same_as"][-1], view["same_more"]) == (20, "U19.xlsx", 10)
    assert file_view(run, dataclasses.replace(f, same_count=20))["same_more"] == 0
