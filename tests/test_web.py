"""The web page in a real browser: Debian's Chromium driven by Playwright, against ``consolidate web`` started
as the clerk starts it. Screenshots at 1366 × 768 are kept as artifacts (the path is printed at the end of
the run); they are not committed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from consolidate.campaign import prepare
from consolidate.reader import find_layout, load_sheets, read_values

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "quynh-nhai-2021"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def screens(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go; the path is written at the end of the run."""
    folder = Path(os.environ.get("CONSOLIDATE_ARTIFACTS") or tmp_path_factory.mktemp("web-screens"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    shots = sorted(p.name for p in folder.glob("*.png"))
    if reporter is not None and shots:
        reporter.write_line(f"\nẢnh chụp trang web (1366×768): {folder} — {', '.join(shots)}")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def campaign_copy(base: Path, extra_units: str = "") -> Path:
    """A copy of the Quỳnh Nhai campaign with an empty returns folder; → the campaign file."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "campaign.toml", base / "campaign.toml")
    units = (SAMPLE / "units.csv").read_text(encoding="utf-8")
    (base / "units.csv").write_text(units.rstrip("\n") + "\n" + extra_units, encoding="utf-8")
    return base / "campaign.toml"


def readme_command(campaign: Path) -> list[str]:
    """The README's command that starts the page, on ``campaign`` (a copy of the sample's), without a browser."""
    [command] = re.findall(r"```\n(consolidate web [^\n]+)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))
    argv = command.split()
    argv[argv.index("--campaign") + 1] = str(campaign)
    return [sys.executable, "-m", "consolidate", *argv[1:], "--port", "0", "--no-browser"]


class Server:
    """``consolidate web`` in a child process, started with the README's command (without opening a browser)."""

    def __init__(self, campaign: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([*readme_command(campaign), *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        first = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+/", first)
        if not m:
            self.proc.kill()
            raise AssertionError(f"the page did not start: {first!r} {self.proc.stderr.read()!r}")
        self.url = m.group(0)
        self.folder = campaign.parent / "da_nhan"
        self.out_dir = campaign.parent / "ket_qua"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.proc.stdout.close()
        self.proc.stderr.close()
        log = self.out_dir / "nhat_ky_trang_web.log"
        assert not log.exists(), log.read_text(encoding="utf-8")  # no unexpected error on any page


@pytest.fixture
def page_of(browser):
    pages = []

    def make():
        ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="vi-VN")
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pages.append((ctx, errors))
        return page, errors

    yield make
    for ctx, _ in pages:
        ctx.close()


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def upload(page, files, selector: str = "#pick-files") -> None:
    from playwright.sync_api import expect

    page.set_input_files(selector, files)
    expect(page.locator("#upload-progress .label")).to_have_text(re.compile(r"^Xong"), timeout=120_000)


def summary_values(path: Path, form) -> dict[str, dict[str, float]]:
    """The numbers of the summary's "Biểu tổng hợp" sheet, read by the reader's own layout finder."""
    sheets, _ = load_sheets(path.read_bytes(), path.name)
    [sheet] = [s for s in sheets if s.name == "Biểu tổng hợp"]
    records, _ = read_values(find_layout(sheet), form, path.name)
    return {r["indicator"]: {m: r[m] for m in ("count", "people", "amount")} for r in records}


def cli_merge_json(tmp: Path) -> dict:
    out = tmp / "cli"
    out.mkdir()
    subprocess.run([sys.executable, "-m", "consolidate", "merge", str(SAMPLE / "da_nhan"), "--campaign",
                    str(SAMPLE / "campaign.toml"), "-o", str(out / "tong_hop.xlsx"), "--json", str(out / "m.json")],
                   capture_output=True, text=True, check=False)
    return json.loads((out / "m.json").read_text(encoding="utf-8"))


def test_the_clerk_receives_the_returns_reads_the_statuses_and_downloads_the_summary(page_of, screens, tmp_path):
    campaign = campaign_copy(tmp_path / "dot")
    server = Server(campaign)
    try:
        page, errors = page_of()
        page.goto(server.url)
        assert page.title().startswith("Tình hình")
        states = page.eval_on_selector_all("#don-vi tbody tr", "rows => rows.map(r => r.dataset.state)")
        assert len(states) == 23 and set(states) == {"missing"}

        # a file that arrives in the folder by another way (a mail fetch, a copy) shows without a click
        shutil.copy2(SAMPLE / "da_nhan" / "X01_UBND_xa_Muong_Giang.xlsx", server.folder)
        from playwright.sync_api import expect

        expect(page.locator("#don-vi tr[data-unit='X01']")).to_have_attribute("data-state", "accepted", timeout=30_000)
        assert page.locator("#don-vi tr[data-unit='X02']").get_attribute("data-state") == "missing"

        # Nhận tệp: every file the district received, as the clerk saved them from the mail
        page.click("nav >> text=Nhận tệp")
        sent = sorted(p for p in (SAMPLE / "da_nhan").iterdir() if p.is_file())
        upload(page, [str(p) for p in sent])
        page.screenshot(path=str(screens / "2-nhan-tep.png"), full_page=False)
        cards = page.locator("#upload-results .batch").first.locator(".received")
        assert cards.count() == len(sent)
        x01 = page.locator('.received[data-name="X01_UBND_xa_Muong_Giang.xlsx"]')
        assert "đã có" in x01.inner_text() and "giống hệt (X01_UBND_xa_Muong_Giang.xlsx)" in x01.inner_text()
        x02 = page.locator('.received[data-name="X02_UBND_xa_Chieng_On.xlsx"]')
        assert "đã lưu" in x02.inner_text()
        assert "Của UBND xã Chiềng Ơn (X02), xác định theo trang ẩn _dinh_danh của biểu mẫu" in x02.inner_text()
        assert "hợp lệ" in x02.inner_text()
        photo = page.locator('.received[data-name="Anh le khai mac.jpg"]')
        assert "không lưu" in photo.inner_text() and "ảnh JPEG" in photo.inner_text()
        kept = {p.name for p in server.folder.iterdir()}
        spreadsheets = {p.name for p in sent} - {"Anh le khai mac.jpg", "Cong van gui kem.docx",
                                                 "~$MN01_Truong_Mam_non_Muong_Giang.xlsx"}
        assert kept == spreadsheets
        for name in kept:  # kept byte for byte
            assert (server.folder / name).read_bytes() == (SAMPLE / "da_nhan" / name).read_bytes()

        # Tình hình: the statuses read off the page are those of the command line
        page.click("nav >> text=Tình hình")
        doc = cli_merge_json(tmp_path)
        shown = dict(page.eval_on_selector_all(
            "#don-vi tbody tr", "rows => rows.map(r => [r.dataset.unit, r.dataset.state])"))
        assert shown == {code: u["status"] for code, u in doc["units"].items()}
        files = dict(page.eval_on_selector_all(
            "#don-vi tbody tr", "rows => rows.map(r => [r.dataset.unit, r.querySelector('td.file').textContent])"))
        assert files == {code: u["file"] or "" for code, u in doc["units"].items()}
        cards = dict(page.eval_on_selector_all(".cards .card[data-state]",
                                               "cs => cs.map(c => [c.dataset.state, +c.querySelector('.n').textContent])"))
        assert cards["accepted"] == doc["summary"]["accepted"] == 15
        assert cards["rejected"] == doc["summary"]["rejected"]
        assert cards["missing"] == doc["summary"]["missing"]
        page.screenshot(path=str(screens / "1-tinh-hinh.png"))
        page.screenshot(path=str(screens / "1-tinh-hinh-ca-trang.png"), full_page=True)

        # Một đơn vị: a unit with an error shows it with sheet!cell, the value found and the expected one
        page.click("#don-vi tr[data-unit='X04'] a")
        assert page.inner_text("#ten-don-vi") == "UBND xã Chiềng Khoang"
        assert page.inner_text("#tinh-trang") == "có lỗi"
        error = page.locator("table.issues tr.sev-error").first
        cells = error.locator("td").all_inner_texts()
        assert re.fullmatch(r".+![A-Z]+\d+", cells[1]), cells
        assert cells[3] and cells[4], cells  # the value found and the one expected
        page.screenshot(path=str(screens / "3-mot-don-vi.png"))

        # Tải về: the district summary, whose totals are those of ``merge --json``
        page.click("nav >> text=Tải về")
        page.screenshot(path=str(screens / "4-tai-ve.png"))
        page.click("#job-tong-hop")
        link = page.locator("form[data-kind='tong-hop'] a.download")
        link.wait_for(timeout=120_000)
        with page.expect_download() as dl:
            link.click()
        got = tmp_path / "tai_ve.xlsx"
        dl.value.save_as(got)
        assert "Đã tổng hợp 15/23 đơn vị" in page.inner_text("form[data-kind='tong-hop'] pre")
        camp, form, units, _ = prepare(campaign, None)
        read = summary_values(got, form)
        compared = 0
        for code, measures in doc["totals"].items():
            for measure, value in measures.items():
                if value is not None:
                    assert read[code][measure] == value, (code, measure)
                    compared += 1
        assert compared > 5

        # the other downloads are what the commands write
        def download(kind: str, where: Path) -> Path:
            page.click(f"#job-{kind}")
            link = page.locator(f"form[data-kind='{kind}'] a.download")
            link.wait_for(timeout=120_000)
            with page.expect_download() as dl:
                link.click()
            dl.value.save_as(where)
            return where

        with zipfile.ZipFile(download("bieu-mau", tmp_path / "bieu_mau.zip")) as zf:
            names = zf.namelist()
        assert "danh_sach_gui_thu.csv" in names
        assert sorted(n.split("_")[0] for n in names if n.endswith(".xlsx") and n[0] in "XMTC") == \
            sorted(u.code for u in units)
        cli_feedback = tmp_path / "cli_tra_lai"
        subprocess.run([sys.executable, "-m", "consolidate", "check", str(SAMPLE / "da_nhan"), "--campaign",
                        str(SAMPLE / "campaign.toml"), "--feedback", str(cli_feedback)], capture_output=True, check=False)
        with zipfile.ZipFile(download("phan-hoi", tmp_path / "phan_hoi.zip")) as zf:
            assert sorted(zf.namelist()) == sorted(p.name for p in cli_feedback.iterdir() if not p.name.startswith("."))
        import docx

        report = docx.Document(str(download("bao-cao", tmp_path / "bao_cao.docx")))
        assert any("Quỳnh Nhai" in p.text for p in report.paragraphs)
        page.screenshot(path=str(screens / "5-tai-ve-xong.png"))
        assert not errors, errors
    finally:
        server.stop()


def _xlsx_bytes() -> bytes:
    return (SAMPLE / "da_nhan" / "X01_UBND_xa_Muong_Giang.xlsx").read_bytes()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("X02_UBND_xa_Chieng_On.xlsx", _xlsx_bytes())
        zf.writestr("bom.xlsx", b"\0" * (300 * 1024 * 1024))  # 300 MB of zeros in ~300 KB
    return buf.getvalue()


def test_hostile_uploads_get_a_message_and_leave_the_folder_as_it_was(page_of, screens, tmp_path):
    campaign = campaign_copy(tmp_path / "dot", "Z99,<script>window.pwned=1</script>,Trường THCS,\n")
    server = Server(campaign)
    try:
        page, errors = page_of()
        page.goto(server.url + "nhan-tep")
        upload(page, [str(SAMPLE / "da_nhan" / "X01_UBND_xa_Muong_Giang.xlsx")])
        before = folder_state(server.folder)
        around = sorted(p.name for p in campaign.parent.iterdir())
        huge = tmp_path / "lon.xlsx"
        with open(huge, "wb") as fh:  # 200 MB (sparse on disk)
            fh.truncate(200 * 1024 * 1024)
        bomb = tmp_path / "bom.zip"
        bomb.write_bytes(_zip_bomb())
        upload(page, [str(huge)])
        text = page.locator("#upload-results .batch").first.inner_text()
        assert "lon.xlsx: tệp quá lớn (200 MB, giới hạn 20 MB cho một biểu báo cáo); không gửi lên, không lưu." in text
        upload(page, [str(bomb)])
        text = page.locator("#upload-results .batch").first.inner_text()
        assert "bom.zip: tệp bị từ chối vì lý do an toàn (thành phần 'bom.xlsx' nén với tỉ lệ bất thường" in text
        assert "không lưu" in text
        upload(page, [{"name": "../X03_UBND_xa_Chieng_Bang.xlsx", "mimeType": "application/octet-stream",
                       "buffer": _xlsx_bytes()}])
        text = page.locator("#upload-results .batch").first.inner_text()
        assert "tên tệp chứa đường dẫn ra ngoài thư mục" in text and "không lưu" in text, text
        page.screenshot(path=str(screens / "6-tep-nguy-hiem.png"))
        assert folder_state(server.folder) == before
        assert sorted(p.name for p in campaign.parent.iterdir()) == around

        # the server keeps its own bounds for a request that never came from the page
        token = page.eval_on_selector("meta[name=csrf-token]", "m => m.content")
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
        body = b"x" * (101 * 1024 * 1024)
        req = urllib.request.Request(server.url + "nhan-tep", data=body, method="POST", headers={
            "Content-Type": "multipart/form-data; boundary=zz", "X-CSRF-Token": token, "Cookie": cookies,
            "X-Requested-With": "consolidate"})
        with pytest.raises(urllib.error.HTTPError) as too_big:
            urllib.request.urlopen(req, timeout=60)
        assert too_big.value.code == 413
        assert "Tệp gửi lên quá lớn" in json.loads(too_big.value.read())["error"]
        too_big.value.close()  # an HTTPError holds its response's socket: unclosed, its ResourceWarning comes later
        # a post without the page's token is refused
        form = b"--zz\r\nContent-Disposition: form-data; name=\"tep\"; filename=\"X03.xlsx\"\r\n\r\n" + \
            _xlsx_bytes() + b"\r\n--zz--\r\n"
        req = urllib.request.Request(server.url + "nhan-tep", data=form, method="POST", headers={
            "Content-Type": "multipart/form-data; boundary=zz", "Cookie": cookies})
        with pytest.raises(urllib.error.HTTPError) as forged:
            urllib.request.urlopen(req, timeout=60)
        assert forged.value.code == 403
        forged.value.close()
        assert folder_state(server.folder) == before
        # a page that reaches the server under another name (DNS rebinding) is refused
        req = urllib.request.Request(server.url, headers={"Host": "evil.example:80"})
        with pytest.raises(urllib.error.HTTPError) as rebound:
            urllib.request.urlopen(req, timeout=60)
        assert rebound.value.code == 400
        rebound.value.close()

        # unit text is text: a unit called <script> shows as such and runs nothing
        page.goto(server.url)
        assert page.evaluate("window.pwned") is None
        assert page.inner_text("#don-vi tr[data-unit='Z99'] a") == "<script>window.pwned=1</script>"
        page.goto(server.url + "don-vi/Z99")
        assert page.inner_text("#ten-don-vi") == "<script>window.pwned=1</script>"
        assert page.evaluate("window.pwned") is None
        assert not [e for e in errors if "Content Security Policy" not in e], errors
    finally:
        server.stop()


def test_another_address_needs_a_password(tmp_path):
    from click.testing import CliRunner

    from consolidate.cli import main

    campaign = campaign_copy(tmp_path / "dot")
    result = CliRunner().invoke(main, ["web", "--campaign", str(campaign), "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2
    assert "phải đặt mật khẩu: thêm --password MẬT_KHẨU" in result.output


def _resaved(data: bytes) -> bytes:
    """The same workbook with other bytes (a zip comment), as a second save of it would have."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = b"saved again"
    return buf.getvalue()


def test_the_clerk_settles_a_file_whose_sender_is_unclear(page_of, screens, tmp_path):
    campaign = campaign_copy(tmp_path / "dot")
    server = Server(campaign)
    try:
        page, errors = page_of()
        page.goto(server.url + "nhan-tep")
        # X06 filled in X10's template: the hidden sheet says X10, the file name X06
        upload(page, [{"name": "X06_UBND_xa_Muong_Chien.xlsx", "mimeType": "application/octet-stream",
                       "buffer": _resaved((SAMPLE / "da_nhan" / "X10_UBND_xa_Pa_Ma_Pha_Khinh.xlsx").read_bytes())}])
        said = page.locator("#upload-results .batch").first.inner_text()
        assert "Chưa rõ của đơn vị nào: các dấu hiệu chỉ UBND xã Pá Ma Pha Khinh (X10), UBND xã Mường Chiên (X06)" in said
        page.goto(server.url)
        assert page.locator("#don-vi tr[data-unit='X06']").get_attribute("data-state") == "unconfirmed"
        assert page.locator("#don-vi tr[data-unit='X10']").get_attribute("data-state") == "unconfirmed"
        assert page.locator(".cards .card[data-state='unconfirmed'] .n").inner_text() == "2"
        page.click("#don-vi tr[data-unit='X06'] a")
        assert page.inner_text("#tinh-trang") == "cần xác nhận"
        evidence = page.locator("table.evidence tbody tr").all_inner_texts()
        assert any("X10" in row for row in evidence) and any("X06" in row for row in evidence), evidence
        page.screenshot(path=str(screens / "7-can-xac-nhan.png"))
        page.click("form.settle button[data-unit='X06']")
        assert "Đã xác nhận tệp X06_UBND_xa_Muong_Chien.xlsx là của UBND xã Mường Chiên (X06)" in \
            page.inner_text(".alert.done")
        assert page.inner_text("#tinh-trang") in ("hợp lệ", "có lỗi")
        assert '"X06_UBND_xa_Muong_Chien.xlsx" = "X06"' in campaign.read_text(encoding="utf-8")
        page.screenshot(path=str(screens / "8-da-xac-nhan.png"))
        page.goto(server.url)
        assert page.locator("#don-vi tr[data-unit='X06'] td.file").inner_text() == "X06_UBND_xa_Muong_Chien.xlsx"
        assert page.locator("#don-vi tr[data-unit='X10']").get_attribute("data-state") == "missing"
        assert not errors, errors
    finally:
        server.stop()
